import { spawnSync } from 'node:child_process';

/** qemu-system-riscv32, when installed: the reference the engine is checked and timed against. */
export const QEMU = 'qemu-system-riscv32';

export function qemuAvailable(): boolean {
  return spawnSync(QEMU, ['--version'], { stdio: 'ignore' }).status === 0;
}

export interface QemuRun {
  status: number | null;
  stdout: string;
  ms: number;
}

/**
 * Run an image on QEMU's virt board the way the bare machine runs it. `exactCounters`
 * adds -icount shift=0, without which QEMU's minstret/mcycle count host ticks; it makes
 * QEMU much slower, so timing runs leave it off.
 */
export function runQemuBare(elf: string, timeoutMs = 60_000, exactCounters = false): QemuRun {
  const started = performance.now();
  const icount = exactCounters ? ['-icount', 'shift=0'] : [];
  const r = spawnSync(
    QEMU,
    ['-machine', 'virt', '-bios', 'none', '-nographic', '-m', '64M', ...icount, '-kernel', elf],
    { encoding: 'latin1', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return { status: r.status, stdout: r.stdout, ms: performance.now() - started };
}
