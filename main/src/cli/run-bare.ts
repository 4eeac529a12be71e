import { writeAll } from './output.ts';
import { BareMachine } from '../../../engine/src/machine/bare.ts';
import { EXIT_IDLE, EXIT_LIMIT } from './run-command.ts';
import { thousands } from './thousands.ts';

export interface CommonRunOptions {
  imageName: string;
  memBytes: number;
  maxInsns: number;
  timeoutMs: number;
  json: boolean;
}

/** Instructions between console flushes and limit checks. */
const CHUNK = 20_000_000;

/** The bare machine: one M-mode hart, UART to stdout, the finisher's status as ours. */
export function runBare(
  image: Uint8Array,
  kernel: Uint8Array | undefined,
  o: CommonRunOptions,
): number {
  const out: number[] = [];
  const transcript: number[] = [];
  const flush = (): void => {
    if (out.length === 0) return;
    writeAll(1, Uint8Array.from(out));
    out.length = 0;
  };
  const machine = new BareMachine({
    memBytes: o.memBytes,
    onConsole: (b) => (o.json ? transcript : out).push(b),
  });
  machine.loadImage(image, kernel);
  const started = performance.now();
  let result = machine.run(Math.min(o.maxInsns, CHUNK));
  let timedOut = false;
  while (result.reason === 'max-insns' && result.instret < o.maxInsns) {
    flush();
    if (performance.now() - started > o.timeoutMs) {
      timedOut = true;
      break;
    }
    result = machine.run(Math.min(o.maxInsns, result.instret + CHUNK));
  }
  const hostMs = performance.now() - started;
  flush();
  const mips = Math.round((result.instret / hostMs / 1000) * 10) / 10;
  if (o.json) {
    const report = {
      image: o.imageName,
      machine: 'bare',
      outcome: timedOut ? 'timeout' : result.reason,
      exitCode: result.exitCode,
      instret: result.instret,
      hostMs: Math.round(hostMs * 1000) / 1000,
      mips,
      console: Buffer.from(transcript).toString('latin1'),
    };
    writeAll(1, JSON.stringify(report, null, 2) + '\n');
  }
  if (timedOut) {
    process.stderr.write(
      `hvlab: stopped after --timeout ${o.timeoutMs / 1000} s: the guest had not finished\n`,
    );
    return EXIT_LIMIT;
  }
  if (result.reason === 'max-insns') {
    process.stderr.write(
      `hvlab: stopped at --max-insns ${o.maxInsns}: the guest had not finished\n`,
    );
    return EXIT_LIMIT;
  }
  if (result.reason === 'idle') {
    process.stderr.write('hvlab: the hart waits (WFI) with no timer armed: nothing can wake it\n');
    return EXIT_IDLE;
  }
  if (!o.json) {
    process.stderr.write(
      `hvlab: ${result.reason} (exit ${result.exitCode}), ${thousands(result.instret)} instructions in ${(hostMs / 1000).toFixed(3)} s (${mips} MIPS)\n`,
    );
  }
  return result.exitCode & 0xff;
}
