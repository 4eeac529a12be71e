import type { Hart } from '../cpu/hart.ts';
import { MIP_MSIP, MIP_MTIP } from '../cpu/csr-numbers.ts';
import type { MmioDevice } from '../machine/bus.ts';

/**
 * The SiFive CLINT of the bare machine: msip per hart at +4h, mtimecmp per hart at
 * +0x4000+8h, mtime at +0xBFF8. mtime is the board clock and reads as the calling
 * hart's virtual time; writes to it are ignored (nothing in the lab needs them).
 */
export const CLINT_SIZE = 0x10000;

export class Clint implements MmioDevice {
  readonly name = 'clint';
  private readonly harts: readonly Hart[];
  private readonly mtimecmp: Float64Array;
  private readonly now: () => number;

  constructor(harts: readonly Hart[], now: () => number) {
    this.harts = harts;
    this.now = now;
    this.mtimecmp = new Float64Array(harts.length).fill(2 ** 64 - 1);
  }

  read(off: number, size: number): number {
    if (size !== 4) return 0;
    if (off < 0x4000) {
      const h = this.harts[off >>> 2];
      return h && h.mipHw & MIP_MSIP ? 1 : 0;
    }
    if (off < 0xbff8) return half(this.mtimecmp[(off - 0x4000) >>> 3] ?? 0, off);
    if (off < 0xc000) return half(this.now(), off);
    return 0;
  }

  write(off: number, size: number, value: number): void {
    if (size !== 4) return;
    if (off < 0x4000) {
      this.harts[off >>> 2]?.setPending(MIP_MSIP, (value & 1) !== 0);
      return;
    }
    if (off < 0xbff8) {
      const i = (off - 0x4000) >>> 3;
      if (i >= this.mtimecmp.length) return;
      const old = this.mtimecmp[i];
      const lo = off & 4 ? old % 2 ** 32 : value >>> 0;
      const hi = off & 4 ? value >>> 0 : Math.floor(old / 2 ** 32);
      this.mtimecmp[i] = hi * 2 ** 32 + lo;
      this.timerEvent(this.harts[i]);
    }
  }

  /** Update MTIP of `h`; the tick at which it next rises, or Infinity. */
  timerEvent(h: Hart): number {
    const cmp = this.mtimecmp[h.id];
    const due = this.now() >= cmp;
    h.setPending(MIP_MTIP, due);
    return due ? Infinity : cmp;
  }
}

function half(v: number, off: number): number {
  return (off & 4 ? Math.floor(v / 2 ** 32) : v % 2 ** 32) | 0;
}
