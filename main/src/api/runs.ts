/**
 * Runs as the lab records them: the contract between the run store, the host, the CLI
 * and the renderer (which imports these types only). Plain JSON-able data.
 */
import type { ExitReport } from '../../../engine/src/hv/exits.ts';

/** How a run ended; 'running' until it does. 'interrupted' = the hvlab process died first. */
export type RunOutcome = 'running' | 'completed' | 'failed' | 'interrupted';
export type ClockMode = 'deterministic' | 'realtime';

/** What was booted, and how. */
export interface RunConfig {
  machine: 'virt' | 'bare';
  smp: number;
  memBytes: number;
  bootargs: string;
  /** Devices in slot order, e.g. ['net', 'balloon']. */
  devices: string[];
  /** VMs in the session (copies of the image on one switch). */
  vms: number;
}

/** Everything known when a run starts. */
export interface RunStart {
  image: { name: string; sha256: string };
  config: RunConfig;
  profile: string;
  clock: ClockMode;
  /** Wall-clock start, ms since the epoch. */
  startedAt: number;
}

/** Everything known when it ends. */
export interface RunEnd {
  outcome: Exclude<RunOutcome, 'running'>;
  /** Why it ended: 'guest shut down (status 3)', 'worker crashed: ...', 'timeout 20 s'. */
  reason: string;
  endedAt: number;
  /** The guest's exit status where it gave one. */
  exitCode: number | null;
  /** Guest instructions retired, summed over vCPUs. */
  instret: number;
  virtualSeconds: number;
  hostMs: number;
  exits: ExitReport;
  /** Device metrics by device name, e.g. { 'virtio-net0': { kicks: 12, packets: 300 } }. */
  deviceMetrics: Record<string, Record<string, number>>;
  /** Experiment results (experiments fill it; plain runs leave it empty). */
  results: Record<string, unknown>;
}

/** The console transcript as stored: at most the store's cap, with the cap noted. */
export interface RunTranscript {
  text: string;
  /** Bytes the guest wrote in all; more than text's length when the cap cut it. */
  totalBytes: number;
  truncated: boolean;
}

export interface RunRecord extends RunStart {
  id: number;
  /** Stable across export and import (ids are local to one store). */
  uuid: string;
  outcome: RunOutcome;
  /** Present once the run has ended (outcome other than 'running'). */
  end: Omit<RunEnd, 'outcome'> | null;
  transcript: RunTranscript;
}

/** One row of a run list (no transcript, no per-vCPU detail). */
export interface RunSummary {
  id: number;
  uuid: string;
  image: string;
  profile: string;
  clock: ClockMode;
  smp: number;
  startedAt: number;
  endedAt: number | null;
  outcome: RunOutcome;
  reason: string | null;
  exitCode: number | null;
  exitsTotal: number | null;
  hostMs: number | null;
}

export interface RunFilter {
  image?: string;
  outcome?: RunOutcome;
  profile?: string;
  /** Runs started at or after (ms since the epoch). */
  since?: number;
  limit?: number;
}

/** Two runs side by side: the differences a student looks for first. */
export interface RunComparison {
  a: RunSummary;
  b: RunSummary;
  /** Per exit reason: counts in a and b, and b - a. */
  exits: { reason: string; a: number; b: number; delta: number }[];
  /** Other figures: instret, virtual seconds, host ms, total exits, exit cycles. */
  figures: { name: string; a: number | null; b: number | null; delta: number | null }[];
}
