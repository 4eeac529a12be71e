import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FramePool, PAGE_SIZE } from './frame-pool.ts';
import { GuestRam, NO_FRAME } from './guest-ram.ts';

const BASE = 0x8000_0000;

function rig(pages = 8, frames = pages) {
  const pool = new FramePool(frames);
  const ram = new GuestRam(pool, BASE, pages * PAGE_SIZE);
  ram.populate();
  const unmaps: number[][] = [];
  const codeWrites: number[] = [];
  ram.onUnmap = (gfns) => unmaps.push([...gfns]);
  ram.onCodeWrite = (frame) => codeWrites.push(frame);
  return { pool, ram, unmaps, codeWrites };
}

describe('frame pool', () => {
  it('counts free and used frames, and refuses a frame released twice', () => {
    const pool = new FramePool(4);
    const a = pool.alloc();
    expect([pool.free, pool.used, pool.isUsed(a)]).toEqual([3, 1, true]);
    pool.release(a);
    expect([pool.free, pool.used, pool.isUsed(a)]).toEqual([4, 0, false]);
    expect(() => pool.release(a)).toThrow(RangeError);
    expect(() => pool.release(99)).toThrow(RangeError);
    expect(pool.free).toBe(4);
  });

  it('hands out zeroed frames and counts when it is empty', () => {
    const pool = new FramePool(1);
    const f = pool.alloc();
    pool.u8.fill(0xaa, f * PAGE_SIZE, (f + 1) * PAGE_SIZE);
    pool.release(f);
    expect(pool.u8.subarray(f * PAGE_SIZE, (f + 1) * PAGE_SIZE).every((b) => b === 0xaa)).toBe(
      true,
    );
    expect(pool.alloc()).toBe(f);
    expect(pool.u8.subarray(f * PAGE_SIZE, (f + 1) * PAGE_SIZE).every((b) => b === 0)).toBe(true);
    expect(pool.alloc()).toBe(-1);
    expect(pool.exhausted).toBe(1);
  });

  it('is shared by several VMs, each with its own map', () => {
    const pool = new FramePool(6);
    const a = new GuestRam(pool, BASE, 3 * PAGE_SIZE);
    const b = new GuestRam(pool, BASE, 3 * PAGE_SIZE);
    a.populate();
    b.populate();
    expect(pool.free).toBe(0);
    a.write(BASE, new Uint8Array([1, 2, 3]));
    expect(a.unmap(0)).toBe(true);
    expect(b.unmap(1)).toBe(true);
    expect(pool.free).toBe(2);
    // A frame a gave back reaches b zeroed.
    expect(b.mapZeroed(1)).toBe(true);
    expect(b.read(BASE + PAGE_SIZE, 3)).toEqual(new Uint8Array(3));
    expect(a.framesMapped + b.framesMapped).toBe(pool.used);
  });
});

describe('guest RAM without frames', () => {
  it('unmap gives the frame back, drops decoded code and tells onUnmap', () => {
    const { pool, ram, unmaps, codeWrites } = rig();
    const frame = ram.p2m[3];
    ram.codeFrames[frame] = 1;
    expect(ram.unmap(3)).toBe(true);
    expect(ram.p2m[3]).toBe(NO_FRAME);
    expect(ram.codeFrames[frame]).toBe(0);
    expect(codeWrites).toEqual([frame]);
    expect(unmaps).toEqual([[3]]);
    expect(pool.free).toBe(1);
    expect(ram.hostOffset(BASE + 3 * PAGE_SIZE)).toBe(-1);
    expect(ram.read(BASE + 3 * PAGE_SIZE, 1)).toBeNull();
    expect(ram.write(BASE + 3 * PAGE_SIZE, new Uint8Array(1))).toBe(false);
    // Again, or out of range: nothing happens.
    expect(ram.unmap(3)).toBe(false);
    expect(ram.unmap(8)).toBe(false);
    expect(ram.unmap(-1)).toBe(false);
    expect(ram.unmap(1.5)).toBe(false);
    expect(unmaps).toHaveLength(1);
    expect([ram.unmapped, ram.framesMapped]).toEqual([1, 7]);
  });

  it('unmapAll tells onUnmap once, with the pages that really lost a frame', () => {
    const { pool, ram, unmaps } = rig();
    expect(ram.unmapAll([2, 5, 5, 99, 6])).toBe(3);
    expect(unmaps).toEqual([[2, 5, 6]]);
    expect(ram.unmapAll([2, 99])).toBe(0);
    expect(unmaps).toHaveLength(1);
    expect(pool.free).toBe(3);
  });

  it('mapZeroed backs a page with zeros, keeps a backed one, fails on an empty pool', () => {
    const { pool, ram } = rig(4, 4);
    ram.write(BASE + PAGE_SIZE, new Uint8Array([9, 9]));
    ram.unmap(1);
    expect(ram.mapZeroed(1)).toBe(true);
    expect(ram.read(BASE + PAGE_SIZE, 2)).toEqual(new Uint8Array(2));
    ram.write(BASE, new Uint8Array([7]));
    expect(ram.mapZeroed(0)).toBe(true); // already backed: untouched
    expect(ram.read(BASE, 1)).toEqual(new Uint8Array([7]));
    ram.unmap(2);
    pool.alloc(); // someone else took the frame
    expect(ram.mapZeroed(2)).toBe(false);
    expect(ram.mapZeroed(4)).toBe(false);
    expect([ram.zeroFilled, ram.mapFailures]).toEqual([1, 1]);
  });

  it('populateRange backs every frameless page of a range inside RAM', () => {
    const { ram } = rig();
    ram.unmapAll([1, 2, 4]);
    expect(ram.populateRange(BASE + PAGE_SIZE - 1, PAGE_SIZE + 2)).toBe(true);
    expect([ram.isBacked(1), ram.isBacked(2), ram.isBacked(4)]).toEqual([true, true, false]);
    expect(ram.populateRange(BASE + 7 * PAGE_SIZE, 2 * PAGE_SIZE)).toBe(false);
    expect(ram.populateRange(BASE, 0)).toBe(true);
    expect(ram.gfnOf(BASE + 4 * PAGE_SIZE + 5)).toBe(4);
    expect(ram.gfnOf(BASE - 1)).toBe(-1);
    expect(ram.gfnOf(BASE + 8 * PAGE_SIZE)).toBe(-1);
  });

  it('a snapshot keeps absent pages absent, frees their frames and keeps the counters', () => {
    const a = rig();
    a.ram.write(BASE + 2 * PAGE_SIZE, new Uint8Array([5]));
    a.ram.unmapAll([3, 4]);
    a.ram.mapZeroed(4);
    const s = a.ram.save();
    const b = rig();
    b.ram.codeFrames[b.ram.p2m[3]] = 1;
    b.ram.restore(s);
    expect(b.unmaps).toEqual([[3]]);
    expect(b.codeWrites).toHaveLength(1);
    expect(b.ram.p2m[3]).toBe(NO_FRAME);
    expect(b.ram.isBacked(4)).toBe(true);
    expect(b.pool.free).toBe(1);
    expect(b.ram.read(BASE + 2 * PAGE_SIZE, 1)).toEqual(new Uint8Array([5]));
    expect([b.ram.unmapped, b.ram.zeroFilled, b.ram.mapFailures]).toEqual([2, 1, 0]);
    // A snapshot from before the counters existed still restores.
    const { counters, ...old } = s;
    expect(counters).toBeInstanceOf(Float64Array);
    const c = rig();
    c.ram.restore(old);
    expect(c.ram.p2m[3]).toBe(NO_FRAME);
    expect(c.ram.unmapped).toBe(0);
  });
});

describe('guest RAM copies', () => {
  it('write then read gives the bytes back, across frames that are not contiguous (property)', () => {
    // Short copies take a loop, long ones TypedArray.set: both, across page boundaries,
    // onto frames the pool handed out out of order.
    const pages = 8;
    const pool = new FramePool(pages);
    const taken = Array.from({ length: pages }, () => pool.alloc());
    for (const f of [3, 0, 6, 1, 7, 2, 5, 4]) pool.release(taken[f]);
    const ram = new GuestRam(pool, BASE, pages * PAGE_SIZE);
    ram.populate();
    const size = pages * PAGE_SIZE;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: size - 1 }),
        fc.uint8Array({ minLength: 1, maxLength: 3 * PAGE_SIZE }),
        (off, bytes) => {
          const data = bytes.subarray(0, Math.min(bytes.length, size - off));
          expect(ram.write(BASE + off, data)).toBe(true);
          expect(ram.read(BASE + off, data.length)).toEqual(data);
          return true;
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a write drops the decoded code of every frame it touches, short or long', () => {
    const { ram, codeWrites } = rig(4);
    for (let f = 0; f < 4; f++) ram.codeFrames[ram.hostOffset(BASE + f * PAGE_SIZE) >>> 12] = 1;
    ram.write(BASE + PAGE_SIZE - 2, new Uint8Array(4)); // 2 bytes each on pages 0 and 1
    ram.write(BASE + 2 * PAGE_SIZE + 100, new Uint8Array(PAGE_SIZE)); // pages 2 and 3
    expect(codeWrites.length).toBe(4);
  });
});
