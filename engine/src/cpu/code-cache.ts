import type { GuestRam } from '../memory/guest-ram.ts';
import { PAGE_SIZE } from '../memory/frame-pool.ts';
import type { Tlb } from './tlb.ts';

/**
 * Decoded instructions, one Int32Array per host frame that has been executed: two ints
 * (packed op word, immediate) per 16-bit parcel, zero meaning "not decoded yet".
 *
 * Coherence without a check on every store: a frame with decoded code is kept out of
 * every hart's write TLB, so the first store to it takes the slow path, which lands
 * here, forgets the decoded code and tells the harts to re-fetch. FENCE.I is therefore
 * a no-op: stores are already visible to instruction fetch, as on a coherent machine.
 */
export interface CodeCacheClient {
  readonly tlb: Tlb;
  /** Set when the hart must leave its current block (its fetch page may be stale). */
  endBlock: boolean;
}

export class CodeCache {
  /** Decode arrays by host frame; present for every frame in any hart's fetch TLB. */
  readonly pages: (Int32Array | null)[];
  private readonly clients: CodeCacheClient[] = [];
  private readonly ram: GuestRam;

  constructor(ram: GuestRam) {
    this.ram = ram;
    this.pages = new Array<Int32Array | null>(ram.pool.frames).fill(null);
    ram.onCodeWrite = (frame) => this.invalidate(frame);
  }

  attach(client: CodeCacheClient): void {
    this.clients.push(client);
  }

  /** The decode array for a frame about to be executed; protects it from fast-path writes. */
  page(frame: number): Int32Array {
    let page = this.pages[frame];
    if (page === null) {
      page = new Int32Array(PAGE_SIZE);
      this.pages[frame] = page;
    }
    if (!this.ram.codeFrames[frame]) {
      this.ram.codeFrames[frame] = 1;
      for (const c of this.clients) c.tlb.dropWrites(frame);
    }
    return page;
  }

  invalidate(frame: number): void {
    this.pages[frame]?.fill(0);
    this.ram.codeFrames[frame] = 0;
    for (const c of this.clients) {
      c.tlb.dropFetches(frame);
      c.endBlock = true;
    }
  }
}
