import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { writeAll } from './output.ts';
import type { ExitReport } from '../../../engine/src/hv/exits.ts';
import type { HostProfile } from '../../../engine/src/hv/profile.ts';
import { ImageError } from '../../../engine/src/machine/elf-loader.ts';
import type { ClockMode } from '../../../engine/src/machine/virt.ts';
import type { ReadyPoint } from '../../../engine/src/worker/protocol.ts';
import { EngineSession } from '../host/engine-session.ts';
import { RunRecorder, type RunSink } from '../host/run-recorder.ts';
import type { CommonRunOptions } from './run-bare.ts';
import { EXIT_IDLE, EXIT_LIMIT } from './run-command.ts';
import { formatExitTable } from './exit-table.ts';
import { RunFailure } from './options.ts';

/** What a run and a restored run share. */
export interface SessionOptions {
  maxInsns: number;
  timeoutMs: number;
  json: boolean;
  /** Console input given up front (deterministic runs); otherwise stdin feeds the console. */
  input: string | undefined;
  /** Where the run is recorded; null: not recorded. */
  store: RunSink | null;
  /** Pause at this many instructions, save the session to `file` and stop. */
  save?: { at: number; file: string };
}

export interface VirtRunOptions extends CommonRunOptions, SessionOptions {
  harts: number;
  profile: HostProfile;
  clock: ClockMode;
  bootargs: string;
  /** Report when the console first shows this text (boot to prompt). */
  readyMarker: string;
  /** Optional devices, in slot order. */
  devices: string[];
  /** Copies of the image in the session, on one switch. */
  vms: number;
  /** The balloon's target at power-on, MiB. */
  balloonMiB?: number;
}

export interface VirtRunReport {
  image: string;
  machine: 'virt';
  profile: string;
  clock: ClockMode;
  smp: number;
  memBytes: number;
  outcome:
    'shutdown' | 'reboot' | 'timeout' | 'max-insns' | 'idle' | 'user' | 'snapshot' | 'stopped';
  exitCode: number;
  instret: number;
  hostMs: number;
  /** When the console first showed the ready marker (boot to prompt), if it did. */
  ready: ReadyPoint | null;
  virtual: { ticks: number; seconds: number; guestCycles: number; exitCycles: number };
  exits: ExitReport;
  console: string;
  /** The run's id in the store, when recorded. */
  run: number | null;
  /** With --vms N: the other VMs of the session. */
  others: {
    outcome: string;
    instret: number;
    exits: ExitReport;
    devices: Record<string, Record<string, number>>;
    console: string;
  }[];
}

/**
 * The virt board under the hypervisor, in an engine worker like every session of the lab:
 * the console on stdin/stdout, the guest's status as ours, the run recorded in the store
 * unless recording is off.
 */
export async function runVirt(image: Uint8Array, o: VirtRunOptions): Promise<number> {
  const input = consoleInput(o.input);
  const session = new EngineSession({
    create: {
      // --vms N: copies of the image on the session's switch; input goes to the first.
      vms: Array.from({ length: o.vms }, (_, i) => ({
        name: o.imageName,
        image,
        memBytes: o.memBytes,
        harts: o.harts,
        bootargs: o.bootargs,
        input: i === 0 ? (input ?? undefined) : undefined,
        readyMarker: o.readyMarker,
        devices: o.devices,
        balloonPages: o.balloonMiB === undefined ? undefined : o.balloonMiB * 256,
      })),
      profile: o.profile,
      clock: o.clock,
      maxInsns: Number.isFinite(o.maxInsns) ? o.maxInsns : undefined,
    },
  });
  return drive(session, o, sha256(image), input === null);
}

/** `hvlab restore FILE`: a saved session continues (its own console input included). */
export async function restoreVirt(snapshot: Uint8Array, o: SessionOptions): Promise<number> {
  const session = new EngineSession({
    restore: snapshot,
    maxInsns: Number.isFinite(o.maxInsns) ? o.maxInsns : undefined,
  });
  const input = consoleInput(o.input);
  if (input) session.input(0, input);
  return drive(session, o, sha256(snapshot), input === null);
}

/**
 * Console input: given up front, read whole from a pipe (so a deterministic run is
 * repeatable), or null for a terminal, whose keys stream to the guest as typed.
 */
function consoleInput(given: string | undefined): Uint8Array | null {
  if (given !== undefined) return new TextEncoder().encode(given);
  return process.stdin.isTTY ? null : new Uint8Array(readFileSync(0));
}

async function drive(
  session: EngineSession,
  o: SessionOptions,
  sha: string,
  streaming: boolean,
): Promise<number> {
  let setup;
  try {
    setup = await session.ready;
  } catch (e) {
    throw new ImageError((e as Error).message);
  }
  const vmInfo = setup.vms[0];
  const many = setup.vms.length > 1;
  const transcripts = setup.vms.map(() => [] as Uint8Array[]);
  // With several VMs, each line on the terminal says whose it is.
  const partial = setup.vms.map(() => '');
  session.subscribe({
    console: (vm, bytes) => {
      transcripts[vm].push(bytes);
      if (!o.json && !many) writeAll(1, bytes);
      else if (!o.json) {
        const lines = (partial[vm] + Buffer.from(bytes).toString('latin1')).split('\n');
        partial[vm] = lines.pop() ?? '';
        for (const l of lines) writeAll(1, Buffer.from(`vm${vm}| ${l}\n`, 'latin1'));
      }
      session.credit(vm, bytes.length); // written through: the consumer keeps up
    },
  });
  const recorder =
    o.store === null
      ? null
      : new RunRecorder(
          o.store,
          session,
          setup.vms.map((v) => ({
            image: { name: v.name, sha256: sha },
            config: {
              machine: 'virt',
              smp: v.harts,
              memBytes: v.memBytes,
              bootargs: v.bootargs,
              devices: v.devices,
              vms: setup.vms.length,
            },
            profile: setup.profile,
            clock: setup.clock,
            startedAt: Date.now(),
          })),
        );

  // Why the CLI itself stopped the guest, if it did.
  let stoppedFor: 'timeout' | 'idle' | 'user' | 'snapshot' | null = null;
  const stop = (why: NonNullable<typeof stoppedFor>, reason: string): void => {
    stoppedFor ??= why;
    session.stop(reason);
  };
  let saved = '';
  session.subscribe({
    state: (state, instret) => {
      if (state === 'idle' && !streaming)
        stop('idle', 'idle: every hart waits and no input is to come');
      if (state === 'paused' && o.save) {
        const file = o.save.file;
        void session.snapshot().then((bytes) => {
          writeFileSync(file, bytes);
          saved = `hvlab: saved the session at instruction ${instret} to ${file} (${bytes.length} bytes)\n`;
          stop('snapshot', `snapshot saved to ${file}`);
        });
      }
    },
  });
  if (o.save) session.pauseAt(o.save.at);
  const timer = Number.isFinite(o.timeoutMs)
    ? setTimeout(() => stop('timeout', `timeout after ${o.timeoutMs / 1000} s`), o.timeoutMs)
    : null;
  if (streaming) {
    process.stdin.setRawMode(true);
    process.stdin.on('data', (d: Buffer) => {
      // Ctrl-] leaves, like telnet: a raw terminal passes Ctrl-C to the guest.
      if (d.includes(0x1d)) stop('user', 'stopped from the terminal (Ctrl-])');
      else session.input(0, d);
    });
  }
  session.start();
  const end = await session.done;
  if (timer) clearTimeout(timer);
  if (streaming) {
    process.stdin.setRawMode(false);
    process.stdin.pause();
  }
  recorder?.finish(end);
  if (end.kind === 'failed') throw new RunFailure(end.reason);

  const vm = end.vms[0];
  const outcome = end.outcomes[0];
  const exits = vm.exits;
  const report: VirtRunReport = {
    image: vmInfo.name,
    machine: 'virt',
    profile: setup.profile,
    clock: setup.clock,
    smp: vmInfo.harts,
    memBytes: vmInfo.memBytes,
    outcome: outcome.kind === 'stopped' ? (stoppedFor ?? 'stopped') : outcome.kind,
    exitCode: outcome.kind === 'shutdown' ? outcome.exitCode : 0,
    instret: vm.instret,
    hostMs: Math.round(end.hostMs * 1000) / 1000,
    ready: vm.ready,
    virtual: {
      ticks: vm.ticks,
      seconds: vm.virtualSeconds,
      guestCycles: vm.guestCycles,
      exitCycles: exits.cycles,
    },
    exits,
    console: Buffer.concat(transcripts[0]).toString('latin1'),
    run: recorder?.ids[0] ?? null,
    others: end.vms.slice(1).map((v, i) => ({
      outcome: end.outcomes[i + 1].kind,
      instret: v.instret,
      exits: v.exits,
      devices: v.devices,
      console: Buffer.concat(transcripts[i + 1]).toString('latin1'),
    })),
  };
  if (many && !o.json) {
    for (const [vm, rest] of partial.entries()) if (rest) writeAll(1, `vm${vm}| ${rest}\n`);
  }
  if (o.save && stoppedFor !== 'snapshot')
    process.stderr.write(`hvlab: the run ended before instruction ${o.save.at}: nothing saved\n`);
  if (o.json) writeAll(1, JSON.stringify(report, null, 2) + '\n');
  else process.stderr.write(formatExitTable(report));
  switch (report.outcome) {
    case 'timeout':
      process.stderr.write(
        `hvlab: stopped after --timeout ${o.timeoutMs / 1000} s: the guest had not finished\n`,
      );
      return EXIT_LIMIT;
    case 'max-insns':
      process.stderr.write(
        `hvlab: stopped at --max-insns ${o.maxInsns}: the guest had not finished\n`,
      );
      return EXIT_LIMIT;
    case 'user':
    case 'stopped':
      return 130;
    case 'snapshot':
      process.stderr.write(saved);
      return 0;
    case 'idle':
      process.stderr.write(
        'hvlab: every hart waits with no timer armed and no input to come: nothing can wake them\n',
      );
      return EXIT_IDLE;
    default:
      return report.exitCode & 0xff;
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
