/**
 * Records an engine session in the run store: one run per VM, begun when the worker has
 * built the VMs, its console appended as it streams (so a killed process leaves the
 * transcript up to the last chunk), finished with the outcome and statistics.
 */
import type { RunEnd, RunOutcome, RunStart } from '../api/runs.ts';
import { emptyExitReport } from '../../../engine/src/hv/exits.ts';
import type { VmOutcome } from '../../../engine/src/worker/protocol.ts';
import type { EngineSession, SessionEnd } from './engine-session.ts';

/** The part of the run store a recorder writes to. */
export interface RunSink {
  begin(start: RunStart): number;
  appendConsole(id: number, bytes: Uint8Array): void;
  finish(id: number, end: RunEnd): void;
}

export class RunRecorder {
  /** Run ids, one per VM, once begun. */
  readonly ids: number[] = [];
  private readonly sink: RunSink;

  constructor(sink: RunSink, session: EngineSession, starts: RunStart[]) {
    this.sink = sink;
    for (const s of starts) this.ids.push(sink.begin(s));
    session.subscribe({ console: (vm, bytes) => this.sink.appendConsole(this.ids[vm], bytes) });
  }

  /** Finish every VM's run from how the session ended. */
  finish(end: SessionEnd): void {
    const endedAt = Date.now();
    this.ids.forEach((id, vm) => {
      const stats = end.vms?.[vm] ?? null;
      const { outcome, reason, exitCode } =
        end.kind === 'failed'
          ? { outcome: 'failed' as const, reason: end.reason, exitCode: null }
          : describe(end.outcomes[vm]);
      this.sink.finish(id, {
        outcome,
        reason,
        endedAt,
        exitCode,
        instret: stats?.instret ?? 0,
        virtualSeconds: stats?.virtualSeconds ?? 0,
        hostMs: end.kind === 'ended' ? end.hostMs : 0,
        exits: stats?.exits ?? emptyExitReport(),
        deviceMetrics: stats?.devices ?? {},
        results: stats?.ready ? { ready: { ...stats.ready } } : {},
      });
    });
  }
}

/** A VM's outcome as the run history words it. */
export function describe(o: VmOutcome): {
  outcome: Exclude<RunOutcome, 'running'>;
  reason: string;
  exitCode: number | null;
} {
  switch (o.kind) {
    case 'shutdown':
      return {
        outcome: 'completed',
        reason: `guest shut down (status ${o.exitCode})`,
        exitCode: o.exitCode,
      };
    case 'reboot':
      return { outcome: 'completed', reason: 'guest asked to reboot', exitCode: null };
    case 'max-insns':
      return { outcome: 'completed', reason: 'instruction limit reached', exitCode: null };
    case 'stopped':
      return { outcome: 'completed', reason: `stopped: ${o.reason}`, exitCode: null };
  }
}
