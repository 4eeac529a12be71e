/**
 * The host frame pool: one ArrayBuffer carved into 4 KiB frames that back the
 * guest-physical RAM of every VM in a session (DESIGN §4). Keeping all frames in one
 * buffer lets the CPU's TLB store a plain host offset, and lets several VMs share a
 * frame (copy-on-write, ballooning) without copying.
 *
 * The pool knows nothing of VMs: each VM's GuestRam keeps its own gfn -> frame map and
 * takes frames from, and gives them back to, a pool that several VMs may share. A frame
 * is zeroed when it is handed out, so nothing of one owner ever reaches the next. The
 * pool keeps an in-use bit per frame: releasing a frame that is not in use is an engine
 * bug (two owners of one frame), and throws rather than corrupting the free list.
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
  /**
   * Frames never handed out: `fresh` and up, given in ascending order (a new VM's RAM is
   * contiguous in the pool). A fresh ArrayBuffer is zeroed already: not filling these
   * again saves a 64 MiB VM a memset that also made the OS back every page at once.
   */
  private fresh = 0;
  /** Frames released, handed out again first (and zeroed then): a stack. */
  private readonly released: Int32Array;
  private releasedCount = 0;
  /** 1 for a frame handed out by alloc() and not yet released. */
  private readonly inUse: Uint8Array;
  /** Times alloc() found the pool empty. */
  exhausted = 0;

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
    this.released = new Int32Array(frames);
    this.inUse = new Uint8Array(frames);
  }

  /** Frames in the pool, ready to hand out. */
  get free(): number {
    return this.frames - this.fresh + this.releasedCount;
  }

  /** Frames handed out (to any VM) and not released. */
  get used(): number {
    return this.fresh - this.releasedCount;
  }

  /** A zeroed frame, or -1 when the pool is exhausted. */
  alloc(): number {
    let frame: number;
    if (this.releasedCount > 0) {
      frame = this.released[--this.releasedCount];
      this.u8.fill(0, frame << PAGE_SHIFT, (frame + 1) << PAGE_SHIFT);
    } else if (this.fresh < this.frames) frame = this.fresh++;
    else {
      this.exhausted++;
      return -1;
    }
    this.inUse[frame] = 1;
    return frame;
  }

  /** Give a frame back. Its contents stay until the next alloc() zeroes them. */
  release(frame: number): void {
    if (!(frame >= 0 && frame < this.frames && this.inUse[frame] === 1)) {
      throw new RangeError(`frame ${frame} released but not in use`);
    }
    this.inUse[frame] = 0;
    this.released[this.releasedCount++] = frame;
  }

  /** Whether `frame` is handed out. */
  isUsed(frame: number): boolean {
    return this.inUse[frame] === 1;
  }
}
