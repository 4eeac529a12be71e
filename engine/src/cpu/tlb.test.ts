import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Tlb, TLB_FETCH, TLB_INVALID, TLB_MASK, TLB_READ, TLB_SIZE, TLB_WRITE } from './tlb.ts';

const REGIONS = [TLB_READ, TLB_WRITE, TLB_FETCH] as const;

/** Translation contexts as the hart builds them: priv << 2 | SUM << 4 | MXR << 5. */
const CTXS = Array.from({ length: 16 }, (_, k) => k << 2);

/** The executor's lookup: tag compare against (va & (0xfffff000 | alignMask)) | ctx. */
function lookup(tlb: Tlb, region: number, va: number, ctx: number, alignMask = 0): number | null {
  const t = region + ((va >>> 12) & TLB_MASK) * 2;
  if (tlb.e[t] !== ((va & (0xfffff000 | alignMask)) | ctx)) return null;
  return (va + tlb.e[t + 1]) | 0;
}

const hits = (tlb: Tlb) => {
  let n = 0;
  for (let i = 0; i < tlb.e.length; i += 2) if (tlb.e[i] !== TLB_INVALID) n++;
  return n;
};

/** Host frames in a pool (< 0x7ffff frames, so offsets stay below 2 GiB). */
const hostFrame = fc.integer({ min: 0, max: 0x7fffe });
const va32 = fc.integer({ min: 0, max: 0xffffffff });
const ctx = fc.constantFrom(...CTXS);
const region = fc.constantFrom(...REGIONS);

describe('Tlb layout', () => {
  it('has three direct-mapped regions of TLB_SIZE entries', () => {
    const tlb = new Tlb();
    expect(tlb.e.length).toBe(6 * TLB_SIZE);
    expect([TLB_READ, TLB_WRITE, TLB_FETCH]).toEqual([0, 2 * TLB_SIZE, 4 * TLB_SIZE]);
    expect(TLB_MASK).toBe(TLB_SIZE - 1);
  });

  it('starts with every entry invalid', () => {
    expect(hits(new Tlb())).toBe(0);
  });
});

describe('Tlb.fill', () => {
  it('maps every byte of the filled page, for the filled region and context only', () => {
    const tlb = new Tlb();
    const host = 0x1234 * 4096;
    tlb.fill(TLB_READ, 0x00403abc, 4, host + 0x777); // host offset bits are ignored
    for (const off of [0, 1, 0x123, 0xffc, 0xfff]) {
      expect(lookup(tlb, TLB_READ, 0x00403000 + off, 4)).toBe(host + off);
    }
    expect(lookup(tlb, TLB_READ, 0x00403000, 0)).toBeNull(); // other privilege
    expect(lookup(tlb, TLB_READ, 0x00403000, 4 | 16)).toBeNull(); // SUM differs
    expect(lookup(tlb, TLB_READ, 0x00403000, 4 | 32)).toBeNull(); // MXR differs
    expect(lookup(tlb, TLB_WRITE, 0x00403000, 4)).toBeNull();
    expect(lookup(tlb, TLB_FETCH, 0x00403000, 4)).toBeNull();
    expect(lookup(tlb, TLB_READ, 0x00404000, 4)).toBeNull(); // next page
    expect(hits(tlb)).toBe(1);
  });

  it('lets aligned accesses hit and misaligned ones miss', () => {
    const tlb = new Tlb();
    tlb.fill(TLB_WRITE, 0x00403000, 0, 0x5000);
    expect(lookup(tlb, TLB_WRITE, 0x00403008, 0, 3)).toBe(0x5008);
    expect(lookup(tlb, TLB_WRITE, 0x00403006, 0, 1)).toBe(0x5006);
    expect(lookup(tlb, TLB_WRITE, 0x00403006, 0, 3)).toBeNull();
    expect(lookup(tlb, TLB_WRITE, 0x00403001, 0, 1)).toBeNull();
    expect(lookup(tlb, TLB_WRITE, 0x00403fff, 0, 3)).toBeNull();
  });

  it('is direct-mapped: a page with the same index replaces the entry', () => {
    const tlb = new Tlb();
    const a = 0x00403000;
    const b = a + TLB_SIZE * 4096; // same index, different tag
    tlb.fill(TLB_READ, a, 0, 0x10000);
    tlb.fill(TLB_READ, b, 0, 0x20000);
    expect(lookup(tlb, TLB_READ, a, 0)).toBeNull();
    expect(lookup(tlb, TLB_READ, b + 4, 0)).toBe(0x20004);
    expect(hits(tlb)).toBe(1);
  });

  it('handles virtual pages with bit 31 set and host offsets near 2 GiB', () => {
    const tlb = new Tlb();
    const host = 0x7fffe000;
    tlb.fill(TLB_FETCH, 0xfffff000 | 0, 4, host);
    expect(lookup(tlb, TLB_FETCH, 0xfffffffe | 0, 4)).toBe(0x7ffffffe);
    expect(lookup(tlb, TLB_FETCH, 0xfffffffe, 4)).toBe(0x7ffffffe);
    tlb.fill(TLB_READ, 0x80000000, 0, 0);
    expect(lookup(tlb, TLB_READ, 0x80000010 | 0, 0)).toBe(0x10);
  });

  it('round-trips any page, context and host frame (property)', () => {
    fc.assert(
      fc.property(region, va32, ctx, hostFrame, fc.nat(0xfff), (r, va, c, frame, off) => {
        const tlb = new Tlb();
        tlb.fill(r, va, c, frame * 4096);
        const page = va & 0xfffff000;
        return (
          lookup(tlb, r, (page | off) >>> 0, c) === frame * 4096 + off &&
          lookup(tlb, r, page | off | 0, c) === frame * 4096 + off &&
          lookup(tlb, r, page, c ^ 4) === null &&
          hits(tlb) === 1
        );
      }),
      { numRuns: 300 },
    );
  });
});

describe('Tlb.flushAll / flushPage', () => {
  function filled(): Tlb {
    const tlb = new Tlb();
    for (const r of REGIONS) {
      for (let p = 0; p < 8; p++) tlb.fill(r, 0x10000000 + p * 4096, 4, 0x100000 + p * 4096);
    }
    return tlb;
  }

  it('flushAll invalidates every entry in every region', () => {
    const tlb = filled();
    expect(hits(tlb)).toBe(24);
    tlb.flushAll();
    expect(hits(tlb)).toBe(0);
    for (const r of REGIONS) expect(lookup(tlb, r, 0x10003000, 4)).toBeNull();
  });

  it('flushPage drops that page in all three regions and nothing else', () => {
    const tlb = filled();
    tlb.flushPage(0x10003abc);
    for (const r of REGIONS) {
      expect(lookup(tlb, r, 0x10003000, 4)).toBeNull();
      expect(lookup(tlb, r, 0x10002000, 4)).toBe(0x102000);
      expect(lookup(tlb, r, 0x10004000, 4)).toBe(0x104000);
    }
    expect(hits(tlb)).toBe(21);
  });

  it('flushPage drops the entry whatever context it was filled with', () => {
    const tlb = new Tlb();
    tlb.fill(TLB_READ, 0x00403000, 4 | 16 | 32, 0x9000);
    tlb.fill(TLB_FETCH, 0x00403000, 0, 0x9000);
    tlb.flushPage(0x00403000);
    expect(hits(tlb)).toBe(0);
  });

  it('flushPage of an unmapped page is harmless', () => {
    const tlb = filled();
    tlb.flushPage(0x7ff00000);
    expect(hits(tlb)).toBe(24);
  });
});

describe('Tlb.dropWrites / dropFetches', () => {
  it('dropWrites drops only write entries that map the given host frame', () => {
    const tlb = new Tlb();
    const code = 0x123; // host frame that now holds decoded code
    tlb.fill(TLB_WRITE, 0x00400000, 4, code * 4096);
    tlb.fill(TLB_WRITE, 0x00801000, 0, code * 4096); // an alias of the same frame
    tlb.fill(TLB_WRITE, 0x00402000, 4, (code + 1) * 4096);
    tlb.fill(TLB_WRITE, 0x00403000, 4, (code - 1) * 4096);
    tlb.fill(TLB_READ, 0x00400000, 4, code * 4096);
    tlb.fill(TLB_FETCH, 0x00400000, 4, code * 4096);
    tlb.dropWrites(code);
    expect(lookup(tlb, TLB_WRITE, 0x00400000, 4)).toBeNull();
    expect(lookup(tlb, TLB_WRITE, 0x00801000, 0)).toBeNull();
    expect(lookup(tlb, TLB_WRITE, 0x00402000, 4)).toBe((code + 1) * 4096);
    expect(lookup(tlb, TLB_WRITE, 0x00403000, 4)).toBe((code - 1) * 4096);
    expect(lookup(tlb, TLB_READ, 0x00400000, 4)).toBe(code * 4096);
    expect(lookup(tlb, TLB_FETCH, 0x00400000, 4)).toBe(code * 4096);
  });

  it('dropFetches drops only fetch entries that map the given host frame', () => {
    const tlb = new Tlb();
    const frame = 0x40;
    tlb.fill(TLB_FETCH, 0x80000000, 0, frame * 4096);
    tlb.fill(TLB_FETCH, 0xc0001000, 4, frame * 4096);
    tlb.fill(TLB_FETCH, 0x80002000, 0, (frame + 1) * 4096);
    tlb.fill(TLB_WRITE, 0x80000000, 0, frame * 4096);
    tlb.fill(TLB_READ, 0x80000000, 0, frame * 4096);
    tlb.dropFetches(frame);
    expect(lookup(tlb, TLB_FETCH, 0x80000000, 0)).toBeNull();
    expect(lookup(tlb, TLB_FETCH, 0xc0001000, 4)).toBeNull();
    expect(lookup(tlb, TLB_FETCH, 0x80002000, 0)).toBe((frame + 1) * 4096);
    expect(lookup(tlb, TLB_WRITE, 0x80000000, 0)).toBe(frame * 4096);
    expect(lookup(tlb, TLB_READ, 0x80000000, 0)).toBe(frame * 4096);
  });

  it('works for frame 0 and the highest pool frame, with bit-31 virtual pages', () => {
    const tlb = new Tlb();
    tlb.fill(TLB_WRITE, 0xfffff000, 60, 0);
    tlb.fill(TLB_WRITE, 0x80000000, 60, 0x7fffe * 4096);
    tlb.dropWrites(0);
    expect(lookup(tlb, TLB_WRITE, 0xfffff000, 60)).toBeNull();
    expect(lookup(tlb, TLB_WRITE, 0x80000000, 60)).toBe(0x7fffe000);
    tlb.dropWrites(0x7fffe);
    expect(hits(tlb)).toBe(0);
  });

  it('drops exactly the entries whose host frame matches (property)', () => {
    const entry = fc.record({ r: region, va: va32, c: ctx, frame: fc.integer({ min: 0, max: 7 }) });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 40 }), fc.integer({ min: 0, max: 7 }), (es, f) => {
        const tlb = new Tlb();
        for (const { r, va, c, frame } of es) tlb.fill(r, va, c, frame * 4096);
        // What each slot holds before the drop.
        const before = Array.from(tlb.e);
        tlb.dropWrites(f);
        tlb.dropFetches(f);
        for (let i = 0; i < tlb.e.length; i += 2) {
          if (before[i] === TLB_INVALID) {
            if (tlb.e[i] !== TLB_INVALID) return false;
            continue;
          }
          const frame = ((((before[i] & ~0xfff) + before[i + 1]) | 0) >>> 12) as number;
          const dropped = i >= TLB_WRITE && frame === f;
          if ((tlb.e[i] === TLB_INVALID) !== dropped) return false;
          if (!dropped && tlb.e[i] !== before[i]) return false;
          if (tlb.e[i + 1] !== before[i + 1]) return false; // deltas are never touched
        }
        return true;
      }),
      { numRuns: 200 },
    );
  });
});

describe('TLB_INVALID', () => {
  it('can never equal a lookup key (va & 0xfffff003) | ctx (property)', () => {
    fc.assert(
      fc.property(va32, ctx, (va, c) => ((va & 0xfffff003) | c) !== TLB_INVALID),
      { numRuns: 10000 },
    );
  });

  it('is never hit by any lookup in a fresh or flushed TLB (property)', () => {
    const fresh = new Tlb();
    const flushed = new Tlb();
    for (let p = 0; p < TLB_SIZE; p++) {
      for (const r of REGIONS) flushed.fill(r, p * 4096, 4, p * 4096);
    }
    flushed.flushAll();
    const paged = new Tlb();
    fc.assert(
      fc.property(region, va32, ctx, fc.constantFrom(0, 1, 3), (r, va, c, align) => {
        paged.fill(r, va, c, 0x1000);
        paged.flushPage(va);
        return (
          lookup(fresh, r, va, c, align) === null &&
          lookup(flushed, r, va, c, align) === null &&
          lookup(paged, r, va, c, align) === null &&
          lookup(fresh, r, va | 0, c, align) === null
        );
      }),
      { numRuns: 10000 },
    );
  });

  it('is never hit for the worst-case va 0xffffffff in any context', () => {
    const tlb = new Tlb();
    for (const r of REGIONS) {
      for (const c of CTXS) {
        for (const align of [0, 1, 3]) expect(lookup(tlb, r, 0xffffffff, c, align)).toBeNull();
      }
    }
  });

  it('is never produced as a tag by fill (property)', () => {
    fc.assert(
      fc.property(region, va32, ctx, hostFrame, (r, va, c, frame) => {
        const tlb = new Tlb();
        tlb.fill(r, va, c, frame * 4096);
        return tlb.e[r + ((va >>> 12) & TLB_MASK) * 2] !== TLB_INVALID;
      }),
      { numRuns: 300 },
    );
  });
});
