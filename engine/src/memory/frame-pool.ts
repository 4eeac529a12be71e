/**
 * The host frame pool: one ArrayBuffer carved into 4 KiB frames that back the
 * guest-physical RAM of every VM in a session (DESIGN §4). Keeping all frames in one
 * buffer lets the CPU's TLB store a plain host offset, and lets several VMs share a
 * frame (copy-on-write, ballooning) without copying.
 */
export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
export const PAGE_MASK = PAGE_SIZE - 1;

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  // Typed-array views are used as guest memory directly; RISC-V is little-endian.
  throw new Error('hvlab needs a little-endian host');
}

export class FramePool {
  readonly frames: number;
  readonly buffer: ArrayBuffer;
  readonly u8: Uint8Array;
  readonly i8: Int8Array;
  readonly u16: Uint16Array;
  readonly i16: Int16Array;
  readonly i32: Int32Array;
  private readonly freeList: Int32Array;
  private freeCount: number;

  constructor(frames: number) {
    if (!Number.isInteger(frames) || frames <= 0 || frames > 0x7ffff) {
      throw new RangeError(`frame pool size ${frames} frames is out of range (1..524287)`);
    }
    this.frames = frames;
    this.buffer = new ArrayBuffer(frames * PAGE_SIZE);
    this.u8 = new Uint8Array(this.buffer);
    this.i8 = new Int8Array(this.buffer);
    this.u16 = new Uint16Array(this.buffer);
    this.i16 = new Int16Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
    this.freeList = new Int32Array(frames);
    // Hand frames out in ascending order so a fresh VM's RAM is contiguous in the pool.
    for (let i = 0; i < frames; i++) this.freeList[i] = frames - 1 - i;
    this.freeCount = frames;
  }

  get free(): number {
    return this.freeCount;
  }

  /** A zeroed frame, or -1 when the pool is exhausted. */
  alloc(): number {
    if (this.freeCount === 0) return -1;
    const frame = this.freeList[--this.freeCount];
    this.u8.fill(0, frame << PAGE_SHIFT, (frame + 1) << PAGE_SHIFT);
    return frame;
  }

  release(frame: number): void {
    this.freeList[this.freeCount++] = frame;
  }
}
