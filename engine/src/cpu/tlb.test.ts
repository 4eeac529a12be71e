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

/** The fetch lookup: same tag, but the value is the page's code-cache slot base. */
function lookupFetch(tlb: Tlb, pc: number, ctx: number): number | null {
  const t = TLB_FETCH + ((pc >>> 12) & TLB_MASK) * 2;
  return tlb.e[t] === ((pc & 0xfffff000) | ctx) ? tlb.e[t + 1] : null;
}

const hits = (tlb: Tlb) => {
  let n = 0;
  for (let i = 0; i < tlb.e.length; i += 2) if (tlb.e[i] !== TLB_INVALID) n++;
  return n;
};

/** Host frames in a pool (< 0x7ffff frames, so offsets stay below 2 GiB). */
const POOL_FRAMES = 0x7ffff;
const hostFrame = fc.integer({ min: 0, max: POOL_FRAMES - 1 });
const va32 = fc.integer({ min: 0, max: 0xffffffff });
const ctx = fc.constantFrom(...CTXS);
const region = fc.constantFrom(...REGIONS);
/** Regions whose value is a host delta (the fetch region holds a code-cache slot base). */
const dataRegion = fc.constantFrom(TLB_READ, TLB_WRITE);

describe('Tlb layout', () => {
  it('has three direct-mapped regions of TLB_SIZE entries', () => {
    const tlb = new Tlb(POOL_FRAMES);
    expect(tlb.e.length).toBe(6 * TLB_SIZE);
    expect([TLB_READ, TLB_WRITE, TLB_FETCH]).toEqual([0, 2 * TLB_SIZE, 4 * TLB_SIZE]);
    expect(TLB_MASK).toBe(TLB_SIZE - 1);
  });

  it('starts with every entry invalid', () => {
    expect(hits(new Tlb(POOL_FRAMES))).toBe(0);
  });
});

describe('Tlb.fill', () => {
  it('maps every byte of the filled page, for the filled region and context only', () => {
    const tlb = new Tlb(POOL_FRAMES);
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
    const tlb = new Tlb(POOL_FRAMES);
    tlb.fill(TLB_WRITE, 0x00403000, 0, 0x5000);
    expect(lookup(tlb, TLB_WRITE, 0x00403008, 0, 3)).toBe(0x5008);
    expect(lookup(tlb, TLB_WRITE, 0x00403006, 0, 1)).toBe(0x5006);
    expect(lookup(tlb, TLB_WRITE, 0x00403006, 0, 3)).toBeNull();
    expect(lookup(tlb, TLB_WRITE, 0x00403001, 0, 1)).toBeNull();
    expect(lookup(tlb, TLB_WRITE, 0x00403fff, 0, 3)).toBeNull();
  });

  it('is direct-mapped: a page with the same index replaces the entry', () => {
    const tlb = new Tlb(POOL_FRAMES);
    const a = 0x00403000;
    const b = a + TLB_SIZE * 4096; // same index, different tag
    tlb.fill(TLB_READ, a, 0, 0x10000);
    tlb.fill(TLB_READ, b, 0, 0x20000);
    expect(lookup(tlb, TLB_READ, a, 0)).toBeNull();
    expect(lookup(tlb, TLB_READ, b + 4, 0)).toBe(0x20004);
    expect(hits(tlb)).toBe(1);
  });

  it('handles virtual pages with bit 31 set and host offsets near 2 GiB', () => {
    const tlb = new Tlb(POOL_FRAMES);
    const host = 0x7fffe000;
    tlb.fill(TLB_WRITE, 0xfffff000 | 0, 4, host);
    expect(lookup(tlb, TLB_WRITE, 0xfffffffc | 0, 4, 3)).toBe(0x7fffeffc);
    expect(lookup(tlb, TLB_WRITE, 0xfffffffe, 4, 1)).toBe(0x7fffeffe);
    tlb.fill(TLB_READ, 0x80000000, 0, 0);
    expect(lookup(tlb, TLB_READ, 0x80000010 | 0, 0)).toBe(0x10);
  });

  it('round-trips any page, context and host frame (property)', () => {
    fc.assert(
      fc.property(dataRegion, va32, ctx, hostFrame, fc.nat(0xfff), (r, va, c, frame, off) => {
        const tlb = new Tlb(POOL_FRAMES);
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
    const tlb = new Tlb(POOL_FRAMES);
    for (let p = 0; p < 8; p++) {
      tlb.fill(TLB_READ, 0x10000000 + p * 4096, 4, 0x100000 + p * 4096);
      tlb.fill(TLB_WRITE, 0x10000000 + p * 4096, 4, 0x100000 + p * 4096);
      tlb.fillFetch(0x10000000 + p * 4096, 4, (p + 1) * 4096);
    }
    return tlb;
  }

  it('flushAll invalidates every entry in every region', () => {
    const tlb = filled();
    expect(hits(tlb)).toBe(24);
    tlb.flushAll();
    expect(hits(tlb)).toBe(0);
    for (const r of REGIONS) expect(lookup(tlb, r, 0x10003000, 4)).toBeNull();
    expect(lookupFetch(tlb, 0x10003000, 4)).toBeNull();
  });

  it('flushPage drops that page in all three regions and nothing else', () => {
    const tlb = filled();
    tlb.flushPage(0x10003abc);
    for (const r of [TLB_READ, TLB_WRITE]) {
      expect(lookup(tlb, r, 0x10003000, 4)).toBeNull();
      expect(lookup(tlb, r, 0x10002000, 4)).toBe(0x102000);
      expect(lookup(tlb, r, 0x10004000, 4)).toBe(0x104000);
    }
    expect(lookupFetch(tlb, 0x10003000, 4)).toBeNull();
    expect(lookupFetch(tlb, 0x10002000, 4)).toBe(3 * 4096);
    expect(lookupFetch(tlb, 0x10004000, 4)).toBe(5 * 4096);
    expect(hits(tlb)).toBe(21);
  });

  it('flushPage drops the entry whatever context it was filled with', () => {
    const tlb = new Tlb(POOL_FRAMES);
    tlb.fill(TLB_READ, 0x00403000, 4 | 16 | 32, 0x9000);
    tlb.fillFetch(0x00403000, 0, 0x9000);
    tlb.flushPage(0x00403000);
    expect(hits(tlb)).toBe(0);
  });

  it('flushPage of an unmapped page is harmless', () => {
    const tlb = filled();
    tlb.flushPage(0x7ff00000);
    expect(hits(tlb)).toBe(24);
  });
});

describe('Tlb.dropWrites', () => {
  it('dropWrites drops only write entries that map the given host frame', () => {
    const tlb = new Tlb(POOL_FRAMES);
    const code = 0x123; // host frame that now holds decoded code
    tlb.fill(TLB_WRITE, 0x00400000, 4, code * 4096);
    tlb.fill(TLB_WRITE, 0x00801000, 0, code * 4096); // an alias of the same frame
    tlb.fill(TLB_WRITE, 0x00402000, 4, (code + 1) * 4096);
    tlb.fill(TLB_WRITE, 0x00403000, 4, (code - 1) * 4096);
    tlb.fill(TLB_READ, 0x00400000, 4, code * 4096);
    tlb.fillFetch(0x00400000, 4, 7 * 4096);
    tlb.dropWrites(code);
    expect(lookup(tlb, TLB_WRITE, 0x00400000, 4)).toBeNull();
    expect(lookup(tlb, TLB_WRITE, 0x00801000, 0)).toBeNull();
    expect(lookup(tlb, TLB_WRITE, 0x00402000, 4)).toBe((code + 1) * 4096);
    expect(lookup(tlb, TLB_WRITE, 0x00403000, 4)).toBe((code - 1) * 4096);
    expect(lookup(tlb, TLB_READ, 0x00400000, 4)).toBe(code * 4096);
    expect(lookupFetch(tlb, 0x00400000, 4)).toBe(7 * 4096);
  });

  it('works for frame 0 and the highest pool frame, with bit-31 virtual pages', () => {
    const tlb = new Tlb(POOL_FRAMES);
    tlb.fill(TLB_WRITE, 0xfffff000, 60, 0);
    tlb.fill(TLB_WRITE, 0x80000000, 60, 0x7fffe * 4096);
    tlb.dropWrites(0);
    expect(lookup(tlb, TLB_WRITE, 0xfffff000, 60)).toBeNull();
    expect(lookup(tlb, TLB_WRITE, 0x80000000, 60)).toBe(0x7fffe000);
    tlb.dropWrites(0x7fffe);
    expect(hits(tlb)).toBe(0);
  });

  it('drops a frame written again after an earlier drop, and after a flush', () => {
    const tlb = new Tlb(POOL_FRAMES);
    tlb.fill(TLB_WRITE, 0x00400000, 4, 0x123000);
    tlb.dropWrites(0x123);
    tlb.fill(TLB_WRITE, 0x00500000, 4, 0x123000);
    tlb.dropWrites(0x123);
    expect(lookup(tlb, TLB_WRITE, 0x00500000, 4)).toBeNull();
    tlb.flushAll();
    tlb.fill(TLB_WRITE, 0x00600000, 4, 0x123000);
    tlb.dropWrites(0x123);
    expect(hits(tlb)).toBe(0);
  });

  it('dropWrites ignores fetch entries even when their slot base looks like the frame', () => {
    const tlb = new Tlb(POOL_FRAMES);
    // A fetch entry whose "page + value" happens to point at frame 0x123.
    tlb.fillFetch(0x00400000, 0, 0x123000 - 0x00400000);
    tlb.dropWrites(0x123);
    expect(lookupFetch(tlb, 0x00400000, 0)).toBe(0x123000 - 0x00400000);
  });

  it('dropWrites drops exactly the write entries whose host frame matches (property)', () => {
    const entry = fc.record({ r: region, va: va32, c: ctx, frame: fc.integer({ min: 0, max: 7 }) });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 40 }), fc.integer({ min: 0, max: 7 }), (es, f) => {
        const tlb = new Tlb(POOL_FRAMES);
        for (const { r, va, c, frame } of es) tlb.fill(r, va, c, frame * 4096);
        // What each slot holds before the drop.
        const before = Array.from(tlb.e);
        tlb.dropWrites(f);
        for (let i = 0; i < tlb.e.length; i += 2) {
          if (before[i] === TLB_INVALID) {
            if (tlb.e[i] !== TLB_INVALID) return false;
            continue;
          }
          const frame = (((before[i] & ~0xfff) + before[i + 1]) | 0) >>> 12;
          const dropped = i >= TLB_WRITE && i < TLB_FETCH && frame === f;
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

describe('Tlb.fillFetch / dropFetchSlot / flushFetch', () => {
  const SLOT = 4096; // code-cache slot bases are multiples of SLOT_INTS

  it('fillFetch maps a virtual page to a code-cache slot base, per context', () => {
    const tlb = new Tlb(POOL_FRAMES);
    tlb.fillFetch(0x80001234, 4, 3 * SLOT);
    expect(lookupFetch(tlb, 0x80001000, 4)).toBe(3 * SLOT);
    expect(lookupFetch(tlb, 0x80001ffe, 4)).toBe(3 * SLOT);
    expect(lookupFetch(tlb, 0x80001000, 0)).toBeNull();
    expect(lookupFetch(tlb, 0x80002000, 4)).toBeNull();
    expect(lookup(tlb, TLB_READ, 0x80001000, 4)).toBeNull();
    expect(lookup(tlb, TLB_WRITE, 0x80001000, 4)).toBeNull();
    expect(hits(tlb)).toBe(1);
  });

  it('dropFetchSlot drops every fetch entry for that slot and only those', () => {
    const tlb = new Tlb(POOL_FRAMES);
    tlb.fillFetch(0x80001000, 0, 5 * SLOT);
    tlb.fillFetch(0xc0001000, 4, 5 * SLOT); // alias of the same code page
    tlb.fillFetch(0x80002000, 0, 6 * SLOT);
    tlb.fill(TLB_READ, 0x80001000, 0, 5 * SLOT);
    // A write entry whose delta happens to equal the slot base must survive.
    tlb.fill(TLB_WRITE, 0x80003000, 0, (0x80003000 + 5 * SLOT) | 0);
    expect(tlb.e[TLB_WRITE + ((0x80003000 >>> 12) & TLB_MASK) * 2 + 1]).toBe(5 * SLOT);
    tlb.dropFetchSlot(5 * SLOT);
    expect(lookupFetch(tlb, 0x80001000, 0)).toBeNull();
    expect(lookupFetch(tlb, 0xc0001000, 4)).toBeNull();
    expect(lookupFetch(tlb, 0x80002000, 0)).toBe(6 * SLOT);
    expect(lookup(tlb, TLB_READ, 0x80001000, 0)).toBe(5 * SLOT);
    expect(tlb.e[TLB_WRITE + ((0x80003000 >>> 12) & TLB_MASK) * 2]).not.toBe(TLB_INVALID);
    expect(hits(tlb)).toBe(3);
  });

  it('flushFetch drops all fetch entries and keeps reads and writes', () => {
    const tlb = new Tlb(POOL_FRAMES);
    for (let p = 0; p < 4; p++) {
      tlb.fillFetch(0x80000000 + p * 4096, 0, (p + 1) * SLOT);
      tlb.fill(TLB_READ, 0x80000000 + p * 4096, 0, p * 4096);
      tlb.fill(TLB_WRITE, 0x80000000 + p * 4096, 0, p * 4096);
    }
    tlb.flushFetch();
    for (let p = 0; p < 4; p++) {
      const va = 0x80000000 + p * 4096;
      expect(lookupFetch(tlb, va, 0)).toBeNull();
      expect(lookup(tlb, TLB_READ, va, 0)).toBe(p * 4096);
      expect(lookup(tlb, TLB_WRITE, va, 0)).toBe(p * 4096);
    }
    expect(hits(tlb)).toBe(8);
  });

  it('flushPage and flushAll also drop fetch entries', () => {
    const tlb = new Tlb(POOL_FRAMES);
    tlb.fillFetch(0x80001000, 0, SLOT);
    tlb.fillFetch(0x80002000, 0, 2 * SLOT);
    tlb.flushPage(0x80001000);
    expect(lookupFetch(tlb, 0x80001000, 0)).toBeNull();
    expect(lookupFetch(tlb, 0x80002000, 0)).toBe(2 * SLOT);
    tlb.flushAll();
    expect(hits(tlb)).toBe(0);
  });

  it('dropFetchSlot leaves exactly the other slots (property)', () => {
    const entry = fc.record({ va: va32, c: ctx, slot: fc.integer({ min: 1, max: 6 }) });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 40 }), fc.integer({ min: 1, max: 6 }), (es, s) => {
        const tlb = new Tlb(POOL_FRAMES);
        for (const { va, c, slot } of es) tlb.fillFetch(va, c, slot * SLOT);
        const before = Array.from(tlb.e);
        tlb.dropFetchSlot(s * SLOT);
        for (let i = 0; i < tlb.e.length; i += 2) {
          const dropped = i >= TLB_FETCH && before[i] !== TLB_INVALID && before[i + 1] === s * SLOT;
          if (dropped ? tlb.e[i] !== TLB_INVALID : tlb.e[i] !== before[i]) return false;
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
    const fresh = new Tlb(POOL_FRAMES);
    const flushed = new Tlb(POOL_FRAMES);
    for (let p = 0; p < TLB_SIZE; p++) {
      flushed.fill(TLB_READ, p * 4096, 4, p * 4096);
      flushed.fill(TLB_WRITE, p * 4096, 4, p * 4096);
      flushed.fillFetch(p * 4096, 4, 4096);
    }
    flushed.flushAll();
    const paged = new Tlb(POOL_FRAMES);
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
    const tlb = new Tlb(POOL_FRAMES);
    for (const r of REGIONS) {
      for (const c of CTXS) {
        for (const align of [0, 1, 3]) expect(lookup(tlb, r, 0xffffffff, c, align)).toBeNull();
      }
    }
  });

  it('is never produced as a tag by fill (property)', () => {
    fc.assert(
      fc.property(region, va32, ctx, hostFrame, (r, va, c, frame) => {
        const tlb = new Tlb(POOL_FRAMES);
        tlb.fill(r, va, c, frame * 4096);
        return tlb.e[r + ((va >>> 12) & TLB_MASK) * 2] !== TLB_INVALID;
      }),
      { numRuns: 300 },
    );
  });
});
