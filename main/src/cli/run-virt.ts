import { readFileSync, writeSync } from 'node:fs';
import { setImmediate as yieldToEvents, setTimeout as sleep } from 'node:timers/promises';
import type { ExitReport } from '../../../engine/src/hv/exits.ts';
import type { HostProfile } from '../../../engine/src/hv/profile.ts';
import { VirtMachine, type ClockMode } from '../../../engine/src/machine/virt.ts';
import type { CommonRunOptions } from './run-bare.ts';
import { EXIT_IDLE, EXIT_LIMIT } from './run-command.ts';
import { formatExitTable } from './exit-table.ts';

export interface VirtRunOptions extends CommonRunOptions {
  harts: number;
  profile: HostProfile;
  clock: ClockMode;
  bootargs: string;
  /** Console input given up front (deterministic runs); otherwise stdin feeds the console. */
  input: string | undefined;
}

export interface VirtRunReport {
  image: string;
  machine: 'virt';
  profile: string;
  clock: ClockMode;
  smp: number;
  memBytes: number;
  outcome: 'shutdown' | 'reboot' | 'timeout' | 'max-insns' | 'idle';
  exitCode: number;
  instret: number;
  hostMs: number;
  virtual: { ticks: number; seconds: number; guestCycles: number; exitCycles: number };
  exits: ExitReport;
  console: string;
}

/** How long the loop may run before letting stdin and timers through. */
const YIELD_MS = 16;
/** Longest single sleep while idle; the loop looks again after it. */
const MAX_SLEEP_MS = 1000;

/** The virt board under the hypervisor: console on stdin/stdout, the guest's status as ours. */
export async function runVirt(image: Uint8Array, o: VirtRunOptions): Promise<number> {
  const transcript: number[] = [];
  let pending: number[] = [];
  const vm = new VirtMachine(
    { memBytes: o.memBytes, harts: o.harts, bootargs: o.bootargs, clock: o.clock },
    o.profile,
    (b) => {
      transcript.push(b);
      if (!o.json) pending.push(b);
    },
  );
  vm.loadImage(image);
  const flush = (): void => {
    if (pending.length === 0) return;
    writeSync(1, Uint8Array.from(pending));
    pending = [];
  };

  // Input: given up front, read whole from a pipe (so a deterministic run is repeatable),
  // or streamed from a terminal.
  let inputArrived: (() => void) | null = null;
  let streaming = false;
  if (o.input !== undefined) vm.console.pushInput(new TextEncoder().encode(o.input));
  else if (!process.stdin.isTTY) vm.console.pushInput(readFileSync(0));
  else {
    streaming = true;
    process.stdin.setRawMode(true);
    process.stdin.on('data', (d: Buffer) => {
      if (d.includes(0x1d)) {
        // Ctrl-] leaves, like telnet: a raw terminal passes Ctrl-C to the guest.
        vm.hv.systemReset('shutdown', 130);
      } else vm.console.pushInput(d);
      inputArrived?.();
    });
  }

  const started = performance.now();
  let outcome: VirtRunReport['outcome'] = 'shutdown';
  let lastYield = started;
  for (;;) {
    const r = vm.runRound();
    flush();
    if (r.state === 'stopped') break;
    const now = performance.now();
    const instret = vm.harts.reduce((s, h) => s + h.instret, 0);
    if (instret >= o.maxInsns) {
      outcome = 'max-insns';
      break;
    }
    if (now - started > o.timeoutMs) {
      outcome = 'timeout';
      break;
    }
    if (r.state === 'idle') {
      if (!streaming && r.wakeInMs === Infinity) {
        outcome = 'idle';
        break;
      }
      // Sleep for real until a timer is due or input comes: no core spins.
      await Promise.race([
        sleep(Math.min(r.wakeInMs, o.timeoutMs - (now - started), MAX_SLEEP_MS)),
        new Promise<void>((resolve) => (inputArrived = resolve)),
      ]);
      inputArrived = null;
      lastYield = performance.now();
    } else if (now - lastYield > YIELD_MS) {
      await yieldToEvents();
      lastYield = performance.now();
    }
  }
  const hostMs = performance.now() - started;
  if (streaming) {
    process.stdin.setRawMode(false);
    process.stdin.pause();
  }

  const exits = vm.hv.stats.report();
  const instret = vm.harts.reduce((s, h) => s + h.instret, 0);
  const ticks = Math.max(...vm.harts.map((h) => vm.clock.now(h)));
  const report: VirtRunReport = {
    image: o.imageName,
    machine: 'virt',
    profile: o.profile.name,
    clock: o.clock,
    smp: o.harts,
    memBytes: o.memBytes,
    outcome: vm.outcome?.kind ?? outcome,
    exitCode: vm.outcome?.kind === 'shutdown' ? vm.outcome.exitCode : 0,
    instret,
    hostMs: Math.round(hostMs * 1000) / 1000,
    virtual: {
      ticks,
      seconds: ticks / o.profile.timebaseHz,
      guestCycles: instret * o.profile.cpi,
      exitCycles: exits.cycles,
    },
    exits,
    console: Buffer.from(transcript).toString('latin1'),
  };
  if (o.json) writeSync(1, JSON.stringify(report, null, 2) + '\n');
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
    case 'idle':
      process.stderr.write(
        'hvlab: every hart waits with no timer armed and no input to come: nothing can wake them\n',
      );
      return EXIT_IDLE;
    default:
      return report.exitCode & 0xff;
  }
}
