import type { GuestRam } from '../memory/guest-ram.ts';
import { PAGE_SIZE } from '../memory/frame-pool.ts';
import type { Tlb } from './tlb.ts';

/**
 * Decoded instructions, in one Int32Array shared by the harts of a VM: a slot of two
 * ints (packed op word, immediate) per 16-bit parcel of a code page, zero meaning "not
 * decoded yet". A page gets a slot when first executed; when the slots run out the whole
 * cache is dropped and refilled, as QEMU flushes its translation cache. The fetch TLB
 * maps a virtual page straight to its slot's base index, so the interpreter's fetch is
 * one array read.
 *
 * Coherence without a check on every store: a frame with decoded code is kept out of
 * every hart's write TLB, so the first store to it takes the slow path, which lands in
 * `invalidate` and tells the harts to re-fetch. FENCE.I is therefore a no-op: stores are
 * already visible to instruction fetch, as on a coherent machine.
 */
export interface CodeCacheClient {
  readonly tlb: Tlb;
  /** Set when the hart must leave its current block (its fetch page may be stale). */
  endBlock: boolean;
}

/** Ints per slot: two per 16-bit parcel of a 4 KiB page. */
export const SLOT_INTS = PAGE_SIZE;
/** Slot 0 is scratch for an instruction that straddles two pages. */
export const CROSS_SLOT = 0;
const DEFAULT_SLOTS = 1024;

export class CodeCache {
  readonly code: Int32Array;
  private readonly slots: number;
  private readonly slotOfFrame: Int32Array;
  private readonly frameOfSlot: Int32Array;
  private used = 1;
  private readonly clients: CodeCacheClient[] = [];
  private readonly ram: GuestRam;
  /** Times the cache filled up and was dropped whole. */
  flushes = 0;

  constructor(ram: GuestRam, slots = DEFAULT_SLOTS) {
    this.ram = ram;
    this.slots = slots;
    this.code = new Int32Array(slots * SLOT_INTS);
    this.slotOfFrame = new Int32Array(ram.pool.frames).fill(-1);
    this.frameOfSlot = new Int32Array(slots).fill(-1);
    ram.onCodeWrite = (frame) => this.invalidate(frame);
  }

  attach(client: CodeCacheClient): void {
    this.clients.push(client);
  }

  /** Base index in `code` of the slot for a frame about to run; protects the frame. */
  slotFor(frame: number): number {
    let slot = this.slotOfFrame[frame];
    if (slot < 0) {
      if (this.used === this.slots) this.flush();
      slot = this.used++;
      this.slotOfFrame[frame] = slot;
      this.frameOfSlot[slot] = frame;
    }
    if (!this.ram.codeFrames[frame]) {
      this.ram.codeFrames[frame] = 1;
      for (const c of this.clients) c.tlb.dropWrites(frame);
    }
    return slot * SLOT_INTS;
  }

  /** A store hit a code frame: forget its decoded instructions. */
  invalidate(frame: number): void {
    this.ram.codeFrames[frame] = 0;
    const slot = this.slotOfFrame[frame];
    if (slot < 0) return;
    const base = slot * SLOT_INTS;
    this.code.fill(0, base, base + SLOT_INTS);
    for (const c of this.clients) {
      c.tlb.dropFetchSlot(base);
      c.endBlock = true;
    }
  }

  private flush(): void {
    this.flushes++;
    for (let s = 1; s < this.used; s++) {
      const frame = this.frameOfSlot[s];
      this.ram.codeFrames[frame] = 0;
      this.slotOfFrame[frame] = -1;
    }
    this.used = 1;
    this.code.fill(0);
    for (const c of this.clients) {
      c.tlb.flushFetch();
      c.endBlock = true;
    }
  }
}
