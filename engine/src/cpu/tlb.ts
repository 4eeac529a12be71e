/**
 * A direct-mapped software TLB per access type (TinyEMU-style, DESIGN §10). An entry maps
 * one guest-virtual page straight to a host offset in the frame pool, so a hit costs a
 * compare and an add. Only RAM is ever entered: device pages always miss and take the
 * slow path, which is what makes every MMIO access an observable exit.
 *
 * The tag is the virtual page address with the translation context in bits 2-5
 * (privilege, SUM, MXR), so changing privilege or SUM needs no flush. Bits 0-1 are zero,
 * and the executor compares against `(va & (0xfffff000 | alignMask)) | ctx`, so a
 * misaligned access can never hit.
 */
export const TLB_BITS = 10;
export const TLB_SIZE = 1 << TLB_BITS;
export const TLB_MASK = TLB_SIZE - 1;
export const TLB_INVALID = -1;
/**
 * All three TLBs live in one Int32Array, which keeps the interpreter's live state small.
 * Entry t of a TLB is at region + 2t (tag) and region + 2t + 1: for reads and writes the
 * host delta (host offset = va + delta), for fetches the page's code-cache slot base.
 */
export const TLB_READ = 0;
export const TLB_WRITE = 2 * TLB_SIZE;
export const TLB_FETCH = 4 * TLB_SIZE;

/** Ints a TLB occupies. */
export const TLB_INTS = 6 * TLB_SIZE;

export class Tlb {
  readonly e: Int32Array;
  /**
   * Per host frame: may a write entry map it? Set by every write fill, cleared when
   * dropWrites has scanned for the frame (or the TLB is flushed), so making a frame code
   * scans the write TLB only if the frame was written through it since.
   */
  private readonly writeMapped: Uint8Array;

  /**
   * `frames`: the size of the host frame pool the entries point into; `e` may be a view
   * into a larger array (the hart keeps it beside its registers).
   */
  constructor(frames: number, e: Int32Array = new Int32Array(TLB_INTS)) {
    this.e = e;
    this.writeMapped = new Uint8Array(frames);
    this.flushAll();
  }

  // Whole-region flushes use fill(), a native memset even before V8 has optimized
  // anything: the data words they also overwrite are ignored behind an invalid tag.
  flushAll(): void {
    this.e.fill(TLB_INVALID);
    this.writeMapped.fill(0);
  }

  /** Drop every entry for one virtual page, whatever its context. */
  flushPage(va: number): void {
    const i = ((va >>> 12) & TLB_MASK) << 1;
    this.e[TLB_READ + i] = TLB_INVALID;
    this.e[TLB_WRITE + i] = TLB_INVALID;
    this.e[TLB_FETCH + i] = TLB_INVALID;
  }

  /** Enter a translation: virtual page of `va` (with context `ctx`) -> host page `host`. */
  fill(region: number, va: number, ctx: number, host: number): void {
    const i = region + (((va >>> 12) & TLB_MASK) << 1);
    this.e[i] = (va & 0xfffff000) | ctx;
    this.e[i + 1] = ((host & ~0xfff) - (va & 0xfffff000)) | 0;
    if (region === TLB_WRITE) this.writeMapped[host >>> 12] = 1;
  }

  /** Enter a fetch translation: virtual page of `va` -> code-cache slot `base`. */
  fillFetch(va: number, ctx: number, base: number): void {
    const i = TLB_FETCH + (((va >>> 12) & TLB_MASK) << 1);
    this.e[i] = (va & 0xfffff000) | ctx;
    this.e[i + 1] = base;
  }

  /** Drop the write entries that map host frame `frame` (it now holds decoded code). */
  dropWrites(frame: number): void {
    if (this.writeMapped[frame] === 0) return;
    this.writeMapped[frame] = 0;
    const e = this.e;
    for (let i = TLB_WRITE; i < TLB_WRITE + 2 * TLB_SIZE; i += 2) {
      const t = e[i];
      if (t !== TLB_INVALID && (((t & ~0xfff) + e[i + 1]) | 0) >>> 12 === frame) e[i] = TLB_INVALID;
    }
  }

  /** Drop the fetch entries that point at one code-cache slot (its code was overwritten). */
  dropFetchSlot(base: number): void {
    const e = this.e;
    for (let i = TLB_FETCH; i < TLB_FETCH + 2 * TLB_SIZE; i += 2) {
      if (e[i + 1] === base) e[i] = TLB_INVALID;
    }
  }

  flushFetch(): void {
    this.e.fill(TLB_INVALID, TLB_FETCH, TLB_FETCH + 2 * TLB_SIZE);
  }
}
