import { FramePool, PAGE_MASK, PAGE_SHIFT, PAGE_SIZE } from './frame-pool.ts';
import { snapBytes, snapFloat64s, SnapshotError, type SnapObject } from '../snapshot/persist.ts';

/**
 * Copies of at least this many bytes use TypedArray.set, native at any JIT tier (an
 * image load is tens of KiB); shorter ones a loop, which allocates no subarray view for
 * the small copies devices make per descriptor.
 */
const NATIVE_COPY = 256;

/** Page states in a snapshot: no frame, a frame of zeros, a frame with data saved. */
const PAGE_ABSENT = 0;
const PAGE_ZERO = 1;
const PAGE_DATA = 2;

/** The counters a snapshot keeps, in this order. */
const COUNTERS = ['unmapped', 'zeroFilled', 'mapFailures'] as const;

/**
 * One VM's guest-physical RAM: a gfn -> frame map (p2m) over the host frame pool.
 * Every access from outside the CPU's TLB goes through here and is bounds-checked, so a
 * guest (or a device acting for it) can never touch a frame that is not its own.
 *
 * A page may have no frame (NO_FRAME): given back to the pool by the balloon (unmap), or
 * never backed. hostOffset, read and write treat such a page as absent; a vCPU that
 * touches it takes a gstage fault, which the hypervisor resolves with mapZeroed (see
 * Hart and Hypervisor.gstageFault), so the guest sees a zeroed page and nothing else.
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
  /**
   * Called when pages lose their frames (unmap, unmapAll, restore), with their gfns, once
   * per call and before the frames can be handed out again: whatever caches a translation
   * to those frames must forget it. The harts' TLBs do (they map guest-virtual pages
   * straight to host offsets), so the hypervisor sets this to flush every hart's TLB.
   * Decoded code of the frames is already dropped (onCodeWrite) when it runs.
   */
  onUnmap: (gfns: readonly number[]) => void = () => {};

  /* Counters (cumulative; saved with the RAM). */
  /** Frames given back to the pool by unmap/unmapAll (balloon inflation). */
  unmapped = 0;
  /** Pages given a zeroed frame on demand by mapZeroed (gstage faults, host accesses). */
  zeroFilled = 0;
  /** mapZeroed calls that found the pool empty. */
  mapFailures = 0;

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

  /** Pages that have a frame now (a scan: for metrics, not for a hot path). */
  get framesMapped(): number {
    let n = 0;
    const p2m = this.p2m;
    for (let gfn = 0; gfn < p2m.length; gfn++) if (p2m[gfn] !== NO_FRAME) n++;
    return n;
  }

  /** The page number (gfn) of guest-physical `pa`, or -1 if `pa` is not in this RAM. */
  gfnOf(pa: number): number {
    const rel = pa - this.base;
    return rel >= 0 && rel < this.size ? Math.floor(rel / PAGE_SIZE) : -1;
  }

  /** Whether page `gfn` (in range) has a frame. */
  isBacked(gfn: number): boolean {
    return this.p2m[gfn] !== NO_FRAME;
  }

  /**
   * Give page `gfn`'s frame back to the pool: the page reads as absent until mapped
   * again. False (and nothing done) if gfn is out of range or the page has no frame.
   */
  unmap(gfn: number): boolean {
    return this.unmapAll([gfn]) === 1;
  }

  /**
   * unmap() for many pages with one onUnmap call (so the TLBs are flushed once): returns
   * how many frames went back. Out-of-range, repeated and frameless gfns are skipped.
   */
  unmapAll(gfns: ArrayLike<number>): number {
    const gone: number[] = [];
    for (let i = 0; i < gfns.length; i++) {
      const gfn = gfns[i];
      if (!(Number.isInteger(gfn) && gfn >= 0 && gfn < this.pages)) continue;
      const frame = this.p2m[gfn];
      if (frame === NO_FRAME) continue;
      if (this.codeFrames[frame]) this.onCodeWrite(frame);
      this.codeFrames[frame] = 0;
      this.p2m[gfn] = NO_FRAME;
      this.pool.release(frame);
      gone.push(gfn);
    }
    if (gone.length > 0) {
      this.unmapped += gone.length;
      this.onUnmap(gone);
    }
    return gone.length;
  }

  /**
   * Back page `gfn` with a zeroed frame from the pool. True if the page has a frame
   * afterwards (one it already had is left as it is); false if gfn is out of range or
   * the pool is empty (counted in mapFailures).
   */
  mapZeroed(gfn: number): boolean {
    if (!(Number.isInteger(gfn) && gfn >= 0 && gfn < this.pages)) return false;
    if (this.p2m[gfn] !== NO_FRAME) return true;
    const frame = this.pool.alloc();
    if (frame < 0) {
      this.mapFailures++;
      return false;
    }
    this.p2m[gfn] = frame;
    this.zeroFilled++;
    return true;
  }

  /**
   * Back every frameless page of [pa, pa + len) with a zeroed frame: how the host side
   * (an SBI call reading a guest buffer, a device) reaches pages the balloon gave back.
   * False if the range is not all in RAM or the pool ran out.
   */
  populateRange(pa: number, len: number): boolean {
    if (!this.contains(pa, len)) return false;
    if (len === 0) return true;
    const first = this.gfnOf(pa);
    const last = this.gfnOf(pa + len - 1);
    for (let gfn = first; gfn <= last; gfn++) if (!this.mapZeroed(gfn)) return false;
    return true;
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
    return { pages: state, data, counters: Float64Array.from(COUNTERS, (k) => this[k]) };
  }

  /** Make every page what the snapshot says: frames taken from or given back to the pool. */
  restore(s: SnapObject): void {
    const state = snapBytes(s, 'pages', this.pages);
    const data = snapBytes(s, 'data');
    // Older snapshots have no counters.
    const counters = 'counters' in s ? snapFloat64s(s, 'counters', COUNTERS.length) : null;
    let at = 0;
    const gone: number[] = [];
    try {
      for (let gfn = 0; gfn < this.pages; gfn++) {
        const want = state[gfn];
        if (want === PAGE_ABSENT) {
          const frame = this.p2m[gfn];
          if (frame !== NO_FRAME) {
            if (this.codeFrames[frame]) this.onCodeWrite(frame);
            this.codeFrames[frame] = 0;
            this.pool.release(frame);
            gone.push(gfn);
          }
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
    } finally {
      // Frames that left a page must leave the TLBs too, even if the restore failed.
      if (gone.length > 0) this.onUnmap(gone);
    }
    if (at !== data.length) throw new SnapshotError('snapshot RAM data is too long');
    if (counters !== null) COUNTERS.forEach((k, i) => (this[k] = counters[i]));
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
    return this.contains(pa, bytes.length) && this.writeFrom(pa, bytes, 0, bytes.length);
  }

  /** Copy bytes out of guest RAM; null if any byte falls outside. */
  read(pa: number, len: number): Uint8Array | null {
    if (!this.contains(pa, len)) return null;
    const out = new Uint8Array(len);
    return this.readInto(pa, out, 0, len) ? out : null;
  }

  /**
   * Copy src[srcOff, srcOff + n) to guest `pa`, dropping decoded code it overwrites; false
   * if a byte is not backed RAM. No allocation: devices call it per descriptor.
   */
  writeFrom(pa: number, src: Uint8Array, srcOff: number, n: number): boolean {
    const u8 = this.pool.u8;
    while (n > 0) {
      const off = this.hostOffset(pa);
      if (off < 0) return false;
      const k = Math.min(n, PAGE_SIZE - (off & PAGE_MASK));
      const frame = off >>> PAGE_SHIFT;
      if (this.codeFrames[frame]) this.onCodeWrite(frame);
      if (k < NATIVE_COPY) for (let i = 0; i < k; i++) u8[off + i] = src[srcOff + i];
      else u8.set(src.subarray(srcOff, srcOff + k), off);
      pa += k;
      srcOff += k;
      n -= k;
    }
    return true;
  }

  /** Copy `n` guest bytes at `pa` into dst[dstOff..]; false if a byte is not backed RAM. */
  readInto(pa: number, dst: Uint8Array, dstOff: number, n: number): boolean {
    const u8 = this.pool.u8;
    while (n > 0) {
      const off = this.hostOffset(pa);
      if (off < 0) return false;
      const k = Math.min(n, PAGE_SIZE - (off & PAGE_MASK));
      if (k < NATIVE_COPY) for (let i = 0; i < k; i++) dst[dstOff + i] = u8[off + i];
      else dst.set(u8.subarray(off, off + k), dstOff);
      pa += k;
      dstOff += k;
      n -= k;
    }
    return true;
  }
}
