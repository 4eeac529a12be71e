import { FramePool, PAGE_MASK, PAGE_SHIFT, PAGE_SIZE } from './frame-pool.ts';
import { snapBytes, SnapshotError, type SnapObject } from '../snapshot/persist.ts';

/** Page states in a snapshot: no frame, a frame of zeros, a frame with data saved. */
const PAGE_ABSENT = 0;
const PAGE_ZERO = 1;
const PAGE_DATA = 2;

/**
 * One VM's guest-physical RAM: a gfn -> frame map (p2m) over the host frame pool.
 * Every access from outside the CPU's TLB goes through here and is bounds-checked, so a
 * guest (or a device acting for it) can never touch a frame that is not its own.
 */
export const NO_FRAME = -1;

export class GuestRam {
  readonly base: number;
  readonly size: number;
  readonly pages: number;
  readonly pool: FramePool;
  /** gfn -> host frame, NO_FRAME when unbacked. */
  readonly p2m: Int32Array;
  /**
   * Frames whose decoded instructions are cached. A write to one must drop the cache;
   * the CPU keeps such frames out of its write TLB so its fast path never needs to check.
   */
  readonly codeFrames: Uint8Array;
  onCodeWrite: (frame: number) => void = () => {};

  constructor(pool: FramePool, base: number, size: number) {
    if (size <= 0 || size % PAGE_SIZE !== 0) {
      throw new RangeError(`RAM size ${size} is not a positive multiple of ${PAGE_SIZE}`);
    }
    this.pool = pool;
    this.base = base;
    this.size = size;
    this.pages = size >>> PAGE_SHIFT;
    this.p2m = new Int32Array(this.pages).fill(NO_FRAME);
    this.codeFrames = new Uint8Array(pool.frames);
  }

  /** Back every page with a frame from the pool (a VM booted with all its RAM present). */
  populate(): void {
    for (let gfn = 0; gfn < this.pages; gfn++) {
      if (this.p2m[gfn] !== NO_FRAME) continue;
      const frame = this.pool.alloc();
      if (frame < 0) throw new RangeError(`host frame pool exhausted backing ${this.size} bytes`);
      this.p2m[gfn] = frame;
    }
  }

  /** Every page's state, and the contents of the pages that are not all zeros. */
  save(): SnapObject {
    const state = new Uint8Array(this.pages);
    const words = PAGE_SIZE / 4;
    const i32 = this.pool.i32;
    let dataPages = 0;
    for (let gfn = 0; gfn < this.pages; gfn++) {
      const frame = this.p2m[gfn];
      if (frame === NO_FRAME) continue;
      state[gfn] = PAGE_ZERO;
      for (let w = frame * words, end = w + words; w < end; w++) {
        if (i32[w] !== 0) {
          state[gfn] = PAGE_DATA;
          dataPages++;
          break;
        }
      }
    }
    const data = new Uint8Array(dataPages * PAGE_SIZE);
    let at = 0;
    for (let gfn = 0; gfn < this.pages; gfn++) {
      if (state[gfn] !== PAGE_DATA) continue;
      const off = this.p2m[gfn] << PAGE_SHIFT;
      data.set(this.pool.u8.subarray(off, off + PAGE_SIZE), at);
      at += PAGE_SIZE;
    }
    return { pages: state, data };
  }

  /** Make every page what the snapshot says: frames taken from or given back to the pool. */
  restore(s: SnapObject): void {
    const state = snapBytes(s, 'pages', this.pages);
    const data = snapBytes(s, 'data');
    let at = 0;
    for (let gfn = 0; gfn < this.pages; gfn++) {
      const want = state[gfn];
      if (want === PAGE_ABSENT) {
        if (this.p2m[gfn] !== NO_FRAME) this.pool.release(this.p2m[gfn]);
        this.p2m[gfn] = NO_FRAME;
        continue;
      }
      if (this.p2m[gfn] === NO_FRAME) {
        const frame = this.pool.alloc();
        if (frame < 0) throw new SnapshotError('host frame pool exhausted restoring RAM');
        this.p2m[gfn] = frame;
      }
      const off = this.p2m[gfn] << PAGE_SHIFT;
      if (want === PAGE_DATA) {
        if (at + PAGE_SIZE > data.length) throw new SnapshotError('snapshot RAM data is short');
        this.pool.u8.set(data.subarray(at, at + PAGE_SIZE), off);
        at += PAGE_SIZE;
      } else this.pool.u8.fill(0, off, off + PAGE_SIZE);
      if (this.codeFrames[this.p2m[gfn]]) this.onCodeWrite(this.p2m[gfn]);
    }
    if (at !== data.length) throw new SnapshotError('snapshot RAM data is too long');
  }

  contains(pa: number, len: number): boolean {
    return pa >= this.base && len >= 0 && pa + len <= this.base + this.size;
  }

  /** Host byte offset of a guest-physical address, or -1 if it is not backed RAM. */
  hostOffset(pa: number): number {
    const rel = pa - this.base;
    if (rel < 0 || rel >= this.size) return -1;
    const frame = this.p2m[rel >>> PAGE_SHIFT];
    if (frame === NO_FRAME) return -1;
    return (frame << PAGE_SHIFT) | (rel & PAGE_MASK);
  }

  /** Copy bytes into guest RAM (loader, devices); false if any byte falls outside. */
  write(pa: number, bytes: Uint8Array): boolean {
    if (!this.contains(pa, bytes.length)) return false;
    let done = 0;
    while (done < bytes.length) {
      const off = this.hostOffset(pa + done);
      if (off < 0) return false;
      const n = Math.min(bytes.length - done, PAGE_SIZE - (off & PAGE_MASK));
      const frame = off >>> PAGE_SHIFT;
      if (this.codeFrames[frame]) this.onCodeWrite(frame);
      this.pool.u8.set(bytes.subarray(done, done + n), off);
      done += n;
    }
    return true;
  }

  /** Copy bytes out of guest RAM; null if any byte falls outside. */
  read(pa: number, len: number): Uint8Array | null {
    if (!this.contains(pa, len)) return null;
    const out = new Uint8Array(len);
    let done = 0;
    while (done < len) {
      const off = this.hostOffset(pa + done);
      if (off < 0) return null;
      const n = Math.min(len - done, PAGE_SIZE - (off & PAGE_MASK));
      out.set(this.pool.u8.subarray(off, off + n), done);
      done += n;
    }
    return out;
  }
}
