import type { MmioDevice } from '../machine/bus.ts';
import { bytesOf, restoreBytes, type SnapObject } from '../snapshot/persist.ts';

/**
 * The SiFive PLIC of QEMU's virt board: sources 1..95 with 3-bit priorities, and per
 * context an enable bitmap, a priority threshold and a claim/complete register. Context
 * 2h is hart h's M-mode context, 2h+1 its S-mode one.
 *
 * Sources are level-triggered as in QEMU: a source is pending while its line is high and
 * it is not being served (claimed, not yet completed), so completing a source whose line
 * is still high makes it pend again, and a line that drops before the claim un-pends it.
 */
export const PLIC_SIZE = 0x60_0000;
/** Highest source id (QEMU virt's riscv,ndev); id 0 means "no interrupt". */
export const PLIC_NDEV = 95;

const WORDS = (PLIC_NDEV + 1) / 32;
const PRIORITY_MASK = 7;
const PENDING = 0x1000;
const ENABLE = 0x2000;
const ENABLE_STRIDE = 0x80;
const CONTEXT = 0x20_0000;
const CONTEXT_STRIDE = 0x1000;
/** The most contexts whose registers fit in the mapped window. */
const MAX_CONTEXTS = (PLIC_SIZE - CONTEXT) / CONTEXT_STRIDE;

export class Plic implements MmioDevice {
  readonly name = 'plic';
  private readonly contexts: number;
  private readonly onContextIrq: (context: number, level: boolean) => void;
  private readonly priority = new Uint8Array(PLIC_NDEV + 1);
  private readonly level = new Uint32Array(WORDS);
  private readonly served = new Uint32Array(WORDS);
  private readonly enable: Uint32Array;
  private readonly threshold: Uint8Array;
  /** Each context's output as last reported, so the callback fires only on changes. */
  private readonly output: Uint8Array;

  constructor(contexts: number, onContextIrq: (context: number, level: boolean) => void) {
    if (!Number.isInteger(contexts) || contexts < 1 || contexts > MAX_CONTEXTS) {
      throw new RangeError(`PLIC contexts ${contexts}`);
    }
    this.contexts = contexts;
    this.onContextIrq = onContextIrq;
    this.enable = new Uint32Array(contexts * WORDS);
    this.threshold = new Uint8Array(contexts);
    this.output = new Uint8Array(contexts);
  }

  /** Drive source `source`'s interrupt line. */
  setLevel(source: number, level: boolean): void {
    if (!Number.isInteger(source) || source < 1 || source > PLIC_NDEV) {
      throw new RangeError(`PLIC source ${source}`);
    }
    const w = source >>> 5;
    const bit = 1 << (source & 31);
    const was = (this.level[w] & bit) !== 0;
    if (was === level) return;
    this.level[w] = level ? this.level[w] | bit : this.level[w] & ~bit;
    this.update();
  }

  read(off: number, size: number): number {
    if (size !== 4 || off & 3) return 0;
    if (off < PENDING) return off >>> 2 <= PLIC_NDEV ? this.priority[off >>> 2] : 0;
    if (off < ENABLE) {
      const w = (off - PENDING) >>> 2;
      return w < WORDS ? this.pending(w) | 0 : 0;
    }
    if (off < CONTEXT) {
      const c = Math.floor((off - ENABLE) / ENABLE_STRIDE);
      const w = ((off - ENABLE) % ENABLE_STRIDE) >>> 2;
      return c < this.contexts && w < WORDS ? this.enable[c * WORDS + w] | 0 : 0;
    }
    const c = Math.floor((off - CONTEXT) / CONTEXT_STRIDE);
    if (c >= this.contexts) return 0;
    switch ((off - CONTEXT) % CONTEXT_STRIDE) {
      case 0:
        return this.threshold[c];
      case 4:
        return this.claim(c);
      default:
        return 0;
    }
  }

  write(off: number, size: number, value: number): void {
    if (size !== 4 || off & 3) return;
    if (off < PENDING) {
      const src = off >>> 2;
      if (src === 0 || src > PLIC_NDEV) return;
      this.priority[src] = value & PRIORITY_MASK;
      this.update();
      return;
    }
    if (off < ENABLE) return; // pending bits are read-only: only the lines set them
    if (off < CONTEXT) {
      const c = Math.floor((off - ENABLE) / ENABLE_STRIDE);
      const w = ((off - ENABLE) % ENABLE_STRIDE) >>> 2;
      if (c >= this.contexts || w >= WORDS) return;
      this.enable[c * WORDS + w] = w === 0 ? value & ~1 : value; // source 0 does not exist
      this.update();
      return;
    }
    const c = Math.floor((off - CONTEXT) / CONTEXT_STRIDE);
    if (c >= this.contexts) return;
    switch ((off - CONTEXT) % CONTEXT_STRIDE) {
      case 0:
        this.threshold[c] = value & PRIORITY_MASK;
        this.update();
        return;
      case 4:
        this.complete(c, value >>> 0);
        return;
    }
  }

  save(): SnapObject {
    const { priority, level, served, enable, threshold, output } = this;
    return Object.fromEntries(
      Object.entries({ priority, level, served, enable, threshold, output }).map(([k, a]) => [
        k,
        bytesOf(a),
      ]),
    );
  }

  /** Restores the registers and line state; the harts' SEIP lines are restored with them. */
  restore(s: SnapObject): void {
    for (const a of ['priority', 'level', 'served', 'enable', 'threshold', 'output'] as const)
      restoreBytes(this[a], s, a);
  }

  private pending(w: number): number {
    return this.level[w] & ~this.served[w];
  }

  /** The source context `c` would claim: highest priority above threshold, then lowest id. */
  private best(c: number): number {
    let id = 0;
    let prio = this.threshold[c];
    for (let w = 0; w < WORDS; w++) {
      let bits = this.pending(w) & this.enable[c * WORDS + w];
      while (bits) {
        const b = 31 - Math.clz32(bits & -bits);
        bits &= bits - 1;
        const src = w * 32 + b;
        if (this.priority[src] > prio) {
          id = src;
          prio = this.priority[src];
        }
      }
    }
    return id;
  }

  private claim(c: number): number {
    const id = this.best(c);
    if (id) {
      this.served[id >>> 5] |= 1 << (id & 31);
      this.update();
    }
    return id;
  }

  /** As the spec says, an id not enabled for this context completes nothing. */
  private complete(c: number, id: number): void {
    if (id === 0 || id > PLIC_NDEV) return;
    const w = id >>> 5;
    const bit = 1 << (id & 31);
    if (!(this.enable[c * WORDS + w] & bit) || !(this.served[w] & bit)) return;
    this.served[w] &= ~bit;
    this.update();
  }

  private update(): void {
    for (let c = 0; c < this.contexts; c++) {
      const out = this.best(c) !== 0 ? 1 : 0;
      if (out === this.output[c]) continue;
      this.output[c] = out;
      this.onContextIrq(c, out === 1);
    }
  }
}
