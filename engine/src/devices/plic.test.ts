import { describe, expect, it } from 'vitest';
import { PLIC_NDEV, PLIC_SIZE, Plic } from './plic.ts';

const PRIORITY = (src: number) => 4 * src;
const PENDING = 0x1000;
const ENABLE = (ctx: number) => 0x2000 + 0x80 * ctx;
const THRESHOLD = (ctx: number) => 0x20_0000 + 0x1000 * ctx;
const CLAIM = (ctx: number) => THRESHOLD(ctx) + 4;

/** A PLIC for two harts (contexts 0..3) that records every output change. */
function plic(contexts = 4) {
  const events: [number, boolean][] = [];
  const p = new Plic(contexts, (c, level) => events.push([c, level]));
  const rd = (off: number) => p.read(off, 4) >>> 0;
  const wr = (off: number, v: number) => p.write(off, 4, v);
  /** Enable `sources` for `ctx` and give each priority 1 unless it has one. */
  const enable = (ctx: number, ...sources: number[]) => {
    for (const s of sources) {
      wr(ENABLE(ctx) + 4 * (s >>> 5), rd(ENABLE(ctx) + 4 * (s >>> 5)) | (1 << (s & 31)));
      if (!rd(PRIORITY(s))) wr(PRIORITY(s), 1);
    }
  };
  return { p, events, rd, wr, enable };
}

describe('PLIC', () => {
  it('has 3-bit priorities for sources 1..95 and none for source 0', () => {
    const { rd, wr } = plic();
    expect(PLIC_NDEV).toBe(95);
    expect(PLIC_SIZE).toBe(0x60_0000);
    for (const [src, v, back] of [
      [1, 5, 5],
      [95, 7, 7],
      [2, 0xf, 7],
      [3, 8, 0],
      [0, 3, 0],
      [96, 3, 0],
    ]) {
      wr(PRIORITY(src), v);
      expect(rd(PRIORITY(src)), `source ${src}`).toBe(back);
    }
  });

  it('keeps an enable bitmap per context, without source 0', () => {
    const { rd, wr } = plic();
    wr(ENABLE(0), 0xffff_ffff);
    wr(ENABLE(0) + 8, 0x8000_0001);
    wr(ENABLE(3) + 4, 0x1234_5678);
    expect(rd(ENABLE(0))).toBe(0xffff_fffe);
    expect(rd(ENABLE(0) + 8)).toBe(0x8000_0001);
    expect(rd(ENABLE(3) + 4)).toBe(0x1234_5678);
    expect(rd(ENABLE(1))).toBe(0);
    wr(ENABLE(0) + 12, 0xffff_ffff); // sources 96..127 do not exist
    expect(rd(ENABLE(0) + 12)).toBe(0);
    wr(ENABLE(4), 0xffff_ffff); // nor does context 4 of two harts
    expect(rd(ENABLE(4))).toBe(0);
  });

  it('shows line levels in the read-only pending bitmap', () => {
    const { p, rd, wr } = plic();
    p.setLevel(1, true);
    p.setLevel(33, true);
    p.setLevel(95, true);
    expect([rd(PENDING), rd(PENDING + 4), rd(PENDING + 8)]).toEqual([2, 2, 0x8000_0000]);
    wr(PENDING, 0);
    wr(PENDING + 4, 0xffff_ffff);
    expect([rd(PENDING), rd(PENDING + 4)]).toEqual([2, 2]);
    p.setLevel(33, false); // level-triggered: a line that drops before the claim un-pends
    expect(rd(PENDING + 4)).toBe(0);
  });

  it('claims only sources above the threshold, masking the threshold to 3 bits', () => {
    const { p, events, rd, wr, enable } = plic();
    enable(1, 4);
    wr(PRIORITY(4), 3);
    wr(THRESHOLD(1), 3);
    p.setLevel(4, true);
    expect(events).toEqual([]);
    expect(rd(CLAIM(1))).toBe(0);
    expect(rd(PENDING)).toBe(1 << 4); // an unsuccessful claim leaves it pending
    wr(THRESHOLD(1), 0xa); // 3 bits: 2
    expect(rd(THRESHOLD(1))).toBe(2);
    expect(events).toEqual([[1, true]]);
    wr(THRESHOLD(1), 7);
    expect(events).toEqual([
      [1, true],
      [1, false],
    ]);
    wr(THRESHOLD(1), 0);
    expect(rd(CLAIM(1))).toBe(4);
  });

  it('claims by priority, then lowest id, and clears the pending bit', () => {
    const { p, rd, wr, enable } = plic();
    enable(0, 3, 5, 40, 70, 90);
    wr(PRIORITY(3), 2);
    wr(PRIORITY(5), 2);
    wr(PRIORITY(40), 3);
    wr(PRIORITY(70), 1);
    wr(PRIORITY(90), 0); // priority 0 never interrupts
    for (const s of [90, 70, 5, 3, 40]) p.setLevel(s, true);
    const claimed: number[] = [];
    for (let i = 0; i < 5; i++) {
      claimed.push(rd(CLAIM(0)));
      expect(rd(PENDING + 4 * (claimed[i] >>> 5)) & (1 << (claimed[i] & 31))).toBe(0);
    }
    expect(claimed).toEqual([40, 3, 5, 70, 0]);
    expect(rd(PENDING + 8)).toBe(1 << (90 - 64)); // still pending, never claimable
  });

  it('re-pends a completed source whose line is still high', () => {
    const { p, events, rd, wr, enable } = plic();
    enable(0, 10);
    p.setLevel(10, true);
    expect(rd(CLAIM(0))).toBe(10);
    expect(events).toEqual([
      [0, true],
      [0, false],
    ]);
    wr(CLAIM(0), 10);
    expect(rd(PENDING)).toBe(1 << 10);
    expect(events.at(-1)).toEqual([0, true]);
    expect(rd(CLAIM(0))).toBe(10);
    p.setLevel(10, false);
    wr(CLAIM(0), 10);
    expect(rd(PENDING)).toBe(0);
    expect(rd(CLAIM(0))).toBe(0);
    expect(events).toEqual([
      [0, true],
      [0, false],
      [0, true],
      [0, false],
    ]);
  });

  it('does not re-pend a source being served until it is completed', () => {
    const { p, events, rd, wr, enable } = plic();
    enable(0, 7);
    enable(1, 7);
    p.setLevel(7, true);
    expect(rd(CLAIM(0))).toBe(7);
    p.setLevel(7, false);
    p.setLevel(7, true);
    expect(rd(PENDING)).toBe(0);
    expect(rd(CLAIM(1))).toBe(0); // no other context can take it either
    expect(events).toEqual([
      [0, true],
      [1, true],
      [0, false],
      [1, false],
    ]);
    wr(CLAIM(1), 7); // completion from a context that is not serving it still ends it
    expect(rd(CLAIM(0))).toBe(7);
  });

  it('ignores completion of a source not enabled for the context', () => {
    const { p, rd, wr, enable } = plic();
    enable(0, 7);
    p.setLevel(7, true);
    expect(rd(CLAIM(0))).toBe(7);
    wr(CLAIM(2), 7);
    wr(CLAIM(0), 0);
    wr(CLAIM(0), 96);
    expect(rd(PENDING)).toBe(0);
    wr(CLAIM(0), 7);
    expect(rd(PENDING)).toBe(1 << 7);
  });

  it('reports each context output change once, as it happens', () => {
    const { p, events, wr, enable } = plic();
    enable(0, 1);
    enable(2, 1, 2);
    p.setLevel(1, true);
    p.setLevel(1, true); // no change, no call
    p.setLevel(2, true);
    expect(events).toEqual([
      [0, true],
      [2, true],
    ]);
    p.setLevel(1, false);
    expect(events.slice(2)).toEqual([[0, false]]);
    wr(PRIORITY(2), 0);
    expect(events.slice(3)).toEqual([[2, false]]);
    wr(PRIORITY(2), 4);
    wr(ENABLE(2), 0);
    expect(events.slice(4)).toEqual([
      [2, true],
      [2, false],
    ]);
  });

  it("routes hart 1's S-mode context as context 3", () => {
    const { p, events, rd, wr } = plic();
    wr(PRIORITY(10), 1);
    wr(ENABLE(3), 1 << 10);
    p.setLevel(10, true);
    expect(events).toEqual([[3, true]]);
    expect(rd(0x20_3004)).toBe(10);
    expect(events).toEqual([
      [3, true],
      [3, false],
    ]);
    p.write(0x20_3004, 4, 10);
    expect(events.at(-1)).toEqual([3, true]);
  });

  it('answers only 32-bit aligned accesses inside its registers', () => {
    const { p, rd, wr, enable } = plic();
    enable(0, 1);
    p.setLevel(1, true);
    expect(p.read(PRIORITY(1), 1)).toBe(0);
    expect(p.read(CLAIM(0), 2)).toBe(0);
    expect(p.read(CLAIM(0) + 2, 4)).toBe(0);
    p.write(PRIORITY(1), 2, 5);
    p.write(THRESHOLD(0), 1, 7);
    expect(rd(PRIORITY(1))).toBe(1);
    expect(rd(THRESHOLD(0))).toBe(0);
    expect(rd(PENDING + 12)).toBe(0);
    expect(rd(THRESHOLD(0) + 8)).toBe(0);
    expect(rd(THRESHOLD(4))).toBe(0);
    expect(rd(CLAIM(4))).toBe(0);
    expect(rd(PLIC_SIZE - 4)).toBe(0);
    wr(THRESHOLD(4), 7);
    expect(rd(CLAIM(0))).toBe(1); // the claim reads above took nothing
  });

  it('refuses impossible sources and context counts', () => {
    const { p } = plic();
    expect(() => p.setLevel(0, true)).toThrow(RangeError);
    expect(() => p.setLevel(96, true)).toThrow(RangeError);
    expect(() => new Plic(0, () => {})).toThrow(RangeError);
    expect(() => new Plic(1025, () => {})).toThrow(RangeError); // 0x600000 holds 1024
    const big = new Plic(1024, () => {});
    big.write(THRESHOLD(1023), 4, 5);
    expect(big.read(THRESHOLD(1023), 4)).toBe(5);
  });
});
