import { readFileSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { BareMachine, type StopReason } from '../../../engine/src/machine/bare.ts';
import { parseCount, parseMemSize, UsageError } from './options.ts';

/** Process exit statuses for runs that did not end through the guest's own finisher. */
export const EXIT_MAX_INSNS = 124;
export const EXIT_IDLE = 125;
/** Instructions between console flushes. */
const CHUNK = 20_000_000;

export const RUN_USAGE = `usage: hvlab run IMAGE --machine bare [--mem 64M] [--max-insns N] [--json]`;

export interface RunReport {
  image: string;
  machine: 'bare';
  outcome: StopReason;
  exitCode: number;
  instret: number;
  hostMs: number;
  mips: number;
  console: string;
}

/** `hvlab run`: boot an image headless; returns the process exit status. */
export function runCommand(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      machine: { type: 'string', default: 'bare' },
      mem: { type: 'string', default: '64M' },
      'max-insns': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 1) throw new UsageError(RUN_USAGE);
  if (values.machine !== 'bare') {
    throw new UsageError(`--machine ${values.machine}: unknown machine (available: bare)`);
  }
  const path = positionals[0];
  const memBytes = parseMemSize(values.mem);
  const maxInsns = values['max-insns'] ? parseCount('max-insns', values['max-insns']) : Infinity;
  let image: Uint8Array;
  try {
    image = readFileSync(path);
  } catch (e) {
    throw new UsageError(
      `${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
    );
  }

  const json = values.json;
  const out: number[] = [];
  const transcript: number[] = [];
  const flush = (): void => {
    if (out.length === 0) return;
    writeSync(1, Uint8Array.from(out));
    out.length = 0;
  };
  const machine = new BareMachine({
    memBytes,
    onConsole: (b) => (json ? transcript : out).push(b),
  });
  machine.loadImage(image);
  const started = performance.now();
  let result = machine.run(Math.min(maxInsns, CHUNK));
  while (result.reason === 'max-insns' && result.instret < maxInsns) {
    flush();
    result = machine.run(Math.min(maxInsns, result.instret + CHUNK));
  }
  const hostMs = performance.now() - started;
  flush();

  const report: RunReport = {
    image: basename(path),
    machine: 'bare',
    outcome: result.reason,
    exitCode: result.exitCode,
    instret: result.instret,
    hostMs: Math.round(hostMs * 1000) / 1000,
    mips: Math.round((result.instret / hostMs / 1000) * 10) / 10,
    console: Buffer.from(transcript).toString('latin1'),
  };
  if (json) writeSync(1, JSON.stringify(report, null, 2) + '\n');
  if (result.reason === 'max-insns') {
    process.stderr.write(`hvlab: stopped at --max-insns ${maxInsns}: the guest had not finished\n`);
    return EXIT_MAX_INSNS;
  }
  if (result.reason === 'idle') {
    process.stderr.write('hvlab: the hart waits (WFI) with no timer armed: nothing can wake it\n');
    return EXIT_IDLE;
  }
  if (!json) {
    process.stderr.write(
      `hvlab: ${result.reason} (exit ${result.exitCode}), ${result.instret.toLocaleString('en-US')} instructions in ${(hostMs / 1000).toFixed(3)} s (${report.mips} MIPS)\n`,
    );
  }
  return result.exitCode & 0xff;
}
