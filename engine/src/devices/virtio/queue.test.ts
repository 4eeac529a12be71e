import { describe, expect, it } from 'vitest';
import { FramePool, PAGE_SIZE } from '../../memory/frame-pool.ts';
import { GuestRam, NO_FRAME } from '../../memory/guest-ram.ts';
import {
  DescriptorChain,
  RULE,
  SplitQueue,
  VIRTQ_DESC_F_INDIRECT as INDIRECT,
  VIRTQ_DESC_F_NEXT as NEXT,
  VIRTQ_DESC_F_WRITE as WRITE,
  vringNeedEvent,
} from './queue.ts';

const BASE = 0x8000_0000;
const PAGES = 16;
const DESC = BASE + 0x1000;
const AVAIL = BASE + 0x2000;
const USED = BASE + 0x3000;
const DATA = BASE + 0x4000;
/** A second table area for indirect descriptors. */
const TABLE = BASE + 0x5000;

interface Opts {
  size?: number;
  pages?: number;
  maxSize?: number;
  indirect?: boolean;
  eventIdx?: boolean;
  maxChainBytes?: number;
}

/** A queue over real guest RAM and a hand-written driver side of its rings. */
function rig(opts: Opts = {}) {
  const { size = 8, maxSize = 256, indirect = true, eventIdx = false, pages = PAGES } = opts;
  const pool = new FramePool(pages);
  const ram = new GuestRam(pool, BASE, pages * PAGE_SIZE);
  ram.populate();
  const violations: string[] = [];
  const q = new SplitQueue(ram, 'q', maxSize, (r) => violations.push(r), opts.maxChainBytes);
  const w16 = (pa: number, v: number) =>
    ram.write(pa, new Uint8Array([v & 0xff, (v >>> 8) & 0xff]));
  const w32 = (pa: number, v: number) =>
    ram.write(pa, new Uint8Array([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24]));
  const r16 = (pa: number) => {
    const b = ram.read(pa, 2)!;
    return b[0] | (b[1] << 8);
  };
  const r32 = (pa: number) => {
    const b = ram.read(pa, 4)!;
    return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
  };
  let availIdx = 0;
  const d = {
    ram,
    q,
    violations,
    configure: () =>
      q.configure({ size, desc: DESC, avail: AVAIL, used: USED }, indirect, eventIdx),
    /** Write descriptor i of the table at `table` (the descriptor table by default). */
    desc(i: number, addr: number, len: number, flags = 0, next = 0, table = DESC, addrHi = 0) {
      const at = table + 16 * i;
      w32(at, addr);
      w32(at + 4, addrHi);
      w32(at + 8, len);
      w16(at + 12, flags);
      w16(at + 14, next);
    },
    /** Put heads in the avail ring and move avail.idx past them. */
    publish(...heads: number[]) {
      for (const h of heads) w16(AVAIL + 4 + 2 * (availIdx++ % size), h);
      w16(AVAIL + 2, availIdx & 0xffff);
    },
    setAvailIdx(v: number) {
      availIdx = v;
      w16(AVAIL + 2, v & 0xffff);
    },
    availFlags: (v: number) => w16(AVAIL, v),
    usedEvent: (v: number) => w16(AVAIL + 4 + 2 * size, v),
    usedIdx: () => r16(USED + 2),
    usedFlags: () => r16(USED),
    availEvent: () => r16(USED + 4 + 8 * size),
    usedElem: (i: number) => [r32(USED + 4 + 8 * (i % size)), r32(USED + 8 + 8 * (i % size))],
    fill: (pa: number, bytes: number[]) => ram.write(pa, new Uint8Array(bytes)),
    read: (pa: number, n: number) => Array.from(ram.read(pa, n)!),
    unback(pa: number) {
      const gfn = (pa - BASE) >>> 12;
      pool.release(ram.p2m[gfn]);
      ram.p2m[gfn] = NO_FRAME;
    },
  };
  return d;
}

function ready(opts: Opts = {}) {
  const r = rig(opts);
  expect(r.configure()).toBeNull();
  return r;
}

function popChain(q: SplitQueue): DescriptorChain {
  const c = q.pop();
  if (!(c instanceof DescriptorChain)) throw new Error(`expected a chain, got ${c}`);
  return c;
}

/** Pop expecting a violation of `rule`; returns its text. */
function popError(q: SplitQueue, rule: string): string {
  const e = q.pop();
  expect(typeof e, `pop should fail with ${rule}`).toBe('string');
  expect(e as string).toMatch(new RegExp(`^${rule}: `));
  return e as string;
}

function segments(c: DescriptorChain) {
  return Array.from({ length: c.count }, (_, i) => [c.addr[i], c.len[i], c.writable(i)]);
}

describe('split virtqueue: chains', () => {
  it('pops a one-descriptor chain, reads it and publishes the used element', () => {
    const r = ready();
    r.fill(DATA, [104, 105, 33]);
    r.desc(3, DATA, 3);
    expect(r.q.pop()).toBeNull();
    r.publish(3);
    const c = popChain(r.q);
    expect([c.head, c.count, c.readableBytes, c.writableBytes]).toEqual([3, 1, 3, 0]);
    const out = new Uint8Array(8);
    expect(c.read(out)).toBe(3);
    expect(Array.from(out.subarray(0, 3))).toEqual([104, 105, 33]);
    expect(c.read(out, 1, 1)).toBe(1);
    expect(out[0]).toBe(105);
    expect(r.q.pop()).toBeNull();
    expect(r.q.push(3, 0)).toBe(true);
    expect(r.usedIdx()).toBe(1);
    expect(r.usedElem(0)).toEqual([3, 0]);
    expect(r.violations).toEqual([]);
  });

  it('follows NEXT links: readable segments first, then writable ones', () => {
    const r = ready();
    r.fill(DATA, [1, 2, 3, 4, 5]);
    r.desc(0, DATA, 2, NEXT, 5);
    r.desc(5, DATA + 2, 3, NEXT, 2);
    r.desc(2, DATA + 0x100, 4, WRITE | NEXT, 7);
    r.desc(7, DATA + 0x200, 4, WRITE);
    r.publish(0);
    const c = popChain(r.q);
    expect(segments(c)).toEqual([
      [DATA, 2, false],
      [DATA + 2, 3, false],
      [DATA + 0x100, 4, true],
      [DATA + 0x200, 4, true],
    ]);
    expect([c.firstWritable, c.readableBytes, c.writableBytes]).toEqual([2, 5, 8]);
    const out = new Uint8Array(5);
    expect(c.read(out)).toBe(5);
    expect(Array.from(out)).toEqual([1, 2, 3, 4, 5]);
    // A write from writable offset 2 spans both writable segments and stops at their end.
    expect(c.write(new Uint8Array([9, 9, 9, 9, 9, 9, 9]), 2)).toBe(6);
    expect(r.read(DATA + 0x100, 4)).toEqual([0, 0, 9, 9]);
    expect(r.read(DATA + 0x200, 5)).toEqual([9, 9, 9, 9, 0]);
  });

  it('follows an indirect table, also one after a direct prefix and at an odd address', () => {
    const r = ready();
    r.desc(0, TABLE, 48, INDIRECT);
    r.desc(0, DATA, 10, NEXT, 2, TABLE);
    r.desc(2, DATA + 0x10, 20, NEXT, 1, TABLE);
    r.desc(1, DATA + 0x40, 30, WRITE, 0, TABLE);
    r.publish(0);
    expect(segments(popChain(r.q))).toEqual([
      [DATA, 10, false],
      [DATA + 0x10, 20, false],
      [DATA + 0x40, 30, true],
    ]);
    const odd = TABLE + 0x801; // an indirect table may sit anywhere
    r.desc(1, DATA, 4, NEXT, 4);
    r.desc(4, odd, 32, INDIRECT);
    r.desc(0, DATA + 8, 8, WRITE | NEXT, 1, odd);
    r.desc(1, DATA + 16, 8, WRITE, 0, odd);
    r.publish(1);
    const c = popChain(r.q);
    expect(c.head).toBe(1);
    expect(segments(c)).toEqual([
      [DATA, 4, false],
      [DATA + 8, 8, true],
      [DATA + 16, 8, true],
    ]);
    expect(r.violations).toEqual([]);
  });

  it('accepts chains of exactly the queue size and wraps the free-running indices', () => {
    const r = ready({ size: 4 });
    for (let i = 0; i < 4; i++) r.desc(i, DATA + i, 1, i < 3 ? NEXT : 0, i + 1);
    r.setAvailIdx(0xfffe);
    r.q.lastAvail = 0xfffe;
    r.q.nextUsed = 0xfffe;
    for (let k = 0; k < 3; k++) {
      r.publish(0);
      const c = popChain(r.q);
      expect(c.count).toBe(4);
      expect(r.q.push(c.head, 0)).toBe(true);
    }
    expect(r.q.lastAvail).toBe(1);
    expect(r.usedIdx()).toBe(1);
  });

  it('copies through pages and drops decoded code that a device write overwrites', () => {
    const r = ready();
    const dropped: number[] = [];
    r.ram.onCodeWrite = (f) => dropped.push(f);
    const frameOf = (pa: number) => r.ram.hostOffset(pa) >>> 12;
    r.ram.codeFrames[frameOf(DATA + 0x1000)] = 1;
    r.desc(0, DATA + 0xffe, 4, WRITE); // straddles two pages
    r.publish(0);
    const c = popChain(r.q);
    expect(c.write(new Uint8Array([1, 2, 3, 4]))).toBe(4);
    expect(r.read(DATA + 0xffe, 4)).toEqual([1, 2, 3, 4]);
    expect(dropped).toEqual([frameOf(DATA + 0x1000)]);
    r.ram.codeFrames[frameOf(USED)] = 1;
    r.q.push(0, 4);
    expect(dropped).toContain(frameOf(USED));
  });

  it('re-walks a held head into a chain of its own', () => {
    const r = ready();
    r.desc(6, DATA, 12, WRITE);
    const held = r.q.newChain();
    expect(r.q.walk(6, held)).toBeNull();
    expect(segments(held)).toEqual([[DATA, 12, true]]);
  });

  it('restores its state into a fresh queue, which continues where the first stopped', () => {
    const r = ready({ eventIdx: true });
    r.desc(0, DATA, 1);
    r.desc(1, DATA, 2);
    r.publish(0, 1);
    const c = popChain(r.q);
    r.q.push(c.head, 0);
    r.q.needsNotification();
    const copy = new SplitQueue(r.ram, 'q', 256);
    copy.restore(r.q.save());
    expect(copy.save()).toEqual(r.q.save());
    const c2 = popChain(copy);
    expect([c2.head, c2.readableBytes]).toEqual([1, 2]);
    copy.push(1, 0);
    expect(r.usedIdx()).toBe(2);
  });
});

describe('split virtqueue: notification suppression', () => {
  it('vring_need_event: notify iff the event index was crossed (u16 arithmetic)', () => {
    expect(vringNeedEvent(3, 4, 3)).toBe(true);
    expect(vringNeedEvent(3, 3, 2)).toBe(false);
    expect(vringNeedEvent(5, 9, 1)).toBe(true);
    expect(vringNeedEvent(9, 9, 1)).toBe(false);
    expect(vringNeedEvent(0xffff, 1, 0xfffe)).toBe(true);
    expect(vringNeedEvent(0, 1, 0xffff)).toBe(true);
    expect(vringNeedEvent(2, 1, 0xffff)).toBe(false);
  });

  it('without EVENT_IDX: interrupts unless VIRTQ_AVAIL_F_NO_INTERRUPT', () => {
    const r = ready();
    r.q.push(0, 0);
    expect(r.q.needsNotification()).toBe(true);
    r.availFlags(1);
    r.q.push(0, 0);
    expect(r.q.needsNotification()).toBe(false);
    r.availFlags(0);
    expect(r.q.needsNotification()).toBe(true);
  });

  it('without EVENT_IDX: asks for no kicks with VIRTQ_USED_F_NO_NOTIFY', () => {
    const r = ready();
    r.q.disableNotification();
    expect(r.usedFlags()).toBe(1);
    r.desc(0, DATA, 1);
    r.publish(0);
    expect(r.q.enableNotification()).toBe(true); // a buffer is already waiting
    expect(r.usedFlags()).toBe(0);
    popChain(r.q);
    expect(r.q.enableNotification()).toBe(false);
  });

  it("with EVENT_IDX: interrupts when the driver's used_event is crossed, ignoring flags", () => {
    const r = ready({ eventIdx: true });
    r.availFlags(1); // ignored with EVENT_IDX
    r.usedEvent(3);
    const decisions: boolean[] = [];
    for (let i = 0; i < 5; i++) {
      r.q.push(0, 0);
      decisions.push(r.q.needsNotification());
    }
    // The first decision always interrupts; then only the move 3 -> 4 crosses used_event.
    expect(decisions).toEqual([true, false, false, true, false]);
    // Two pushes before one decision still see a crossing inside the batch.
    r.usedEvent(5);
    r.q.push(0, 0);
    r.q.push(0, 0);
    expect(r.q.needsNotification()).toBe(true);
  });

  it("with EVENT_IDX: the device's avail_event tells the driver when to kick", () => {
    const r = ready({ eventIdx: true });
    r.q.disableNotification(); // nothing to do with EVENT_IDX
    expect(r.usedFlags()).toBe(0);
    for (let i = 0; i < 3; i++) r.desc(i, DATA, 1);
    r.publish(0, 1, 2);
    popChain(r.q);
    popChain(r.q);
    expect(r.q.enableNotification()).toBe(true);
    expect(r.availEvent()).toBe(2);
    popChain(r.q);
    expect(r.q.enableNotification()).toBe(false);
    expect(r.availEvent()).toBe(3);
    // The driver, having published idx 3 -> 4, must kick: avail_event 3 was crossed.
    expect(vringNeedEvent(r.availEvent(), 4, 3)).toBe(true);
    expect(vringNeedEvent(r.availEvent(), 5, 4)).toBe(false);
  });
});

describe('split virtqueue: validation (reference/virtio.md §2)', () => {
  const layout = (size: number, desc = DESC, avail = AVAIL, used = USED) => ({
    size,
    desc,
    avail,
    used,
  });

  it('queue-size: QueueNum must be a power of two no larger than QueueNumMax', () => {
    const r = rig({ maxSize: 64 });
    for (const n of [0, 6, 128, 100000]) {
      expect(r.q.configure(layout(n), true, false)).toMatch(/^queue-size: QueueNum \d+/);
      expect(r.q.enabled).toBe(false);
    }
    expect(r.q.configure(layout(64), true, false)).toBeNull();
  });

  it('ring-alignment: descriptor table 16, available ring 2, used ring 4', () => {
    const r = rig();
    expect(r.q.configure(layout(8, DESC + 8), true, false)).toMatch(
      /^ring-alignment: descriptor table at 0x80001008/,
    );
    expect(r.q.configure(layout(8, DESC, AVAIL + 1), true, false)).toMatch(
      /^ring-alignment: available ring/,
    );
    expect(r.q.configure(layout(8, DESC, AVAIL, USED + 2), true, false)).toMatch(
      /^ring-alignment: used ring/,
    );
  });

  it('ring-address: every ring wholly inside backed RAM, high words included', () => {
    const r = rig();
    const end = BASE + PAGES * PAGE_SIZE;
    expect(r.q.configure(layout(8, BASE - 0x1000), true, false)).toMatch(
      /^ring-address: descriptor table .* not inside RAM/,
    );
    expect(r.q.configure(layout(8, DESC, end - 8), true, false)).toMatch(
      /^ring-address: available ring/,
    );
    expect(r.q.configure(layout(8, DESC, AVAIL, 0x1_0000_0000 + USED), true, false)).toMatch(
      /^ring-address: used ring/,
    );
    r.unback(USED);
    expect(r.q.configure(layout(8), true, false)).toMatch(/^ring-address: used ring .* no frame/);
  });

  it('avail-idx-jump: more than the queue size pending', () => {
    const r = ready();
    r.setAvailIdx(9);
    expect(popError(r.q, RULE.availIdx)).toContain('9 ahead of the last seen 0');
    r.setAvailIdx(8);
    expect(r.q.pop()).toMatch(/^avail-idx-jump/); // sticky until reconfigured
    expect(r.violations.length).toBe(1);
    expect(r.q.push(0, 0)).toBe(false);
  });

  it('head-out-of-range: a head index >= queue size', () => {
    const r = ready();
    r.publish(8);
    expect(popError(r.q, RULE.headRange)).toContain('head 8 >= queue size 8');
  });

  it('next-out-of-range: a NEXT link >= the table size', () => {
    const r = ready();
    r.desc(0, DATA, 1, NEXT, 8);
    r.publish(0);
    expect(popError(r.q, RULE.nextRange)).toContain('descriptor 0 links to 8');
    const s = ready();
    s.desc(0, TABLE, 32, INDIRECT);
    s.desc(0, DATA, 1, NEXT, 2, TABLE);
    s.publish(0);
    expect(popError(s.q, RULE.nextRange)).toContain('indirect descriptor 0 (via descriptor 0)');
  });

  it('descriptor-loop: a chain that visits more descriptors than its table has', () => {
    const r = ready();
    r.desc(0, DATA, 1, NEXT, 1);
    r.desc(1, DATA, 1, NEXT, 0);
    r.publish(0);
    expect(popError(r.q, RULE.loop)).toContain('more than 8 descriptors');
    const s = ready();
    s.desc(2, DATA, 1, NEXT, 2); // loops on itself
    s.publish(2);
    popError(s.q, RULE.loop);
    const t = ready();
    t.desc(0, TABLE, 48, INDIRECT);
    t.desc(0, DATA, 1, NEXT, 1, TABLE);
    t.desc(1, DATA, 1, NEXT, 2, TABLE);
    t.desc(2, DATA, 1, NEXT, 1, TABLE);
    t.publish(0);
    expect(popError(t.q, RULE.loop)).toContain('more than 3 descriptors of its indirect table');
  });

  it('finds a loop through every descriptor of the largest queue in bounded work', () => {
    const size = 32768;
    const r = rig({ size, maxSize: size, pages: 256 });
    const [desc, avail, used] = [BASE, BASE + 0x8_0000, BASE + 0x9_0000];
    expect(r.q.configure({ size, desc, avail, used }, true, false)).toBeNull();
    const table = new Uint8Array(16 * size);
    const view = new DataView(table.buffer);
    for (let i = 0; i < size; i++) {
      view.setUint32(16 * i, DATA, true);
      view.setUint32(16 * i + 8, 1, true);
      view.setUint16(16 * i + 12, NEXT, true);
      view.setUint16(16 * i + 14, (i + 1) % size, true);
    }
    r.ram.write(desc, table);
    r.ram.write(avail + 2, new Uint8Array([1, 0]));
    expect(r.q.pop()).toMatch(/^descriptor-loop: chain from head 0 visits more than 32768/);
    expect(r.q.descriptorReads).toBe(size);
  });

  it('chain-too-long: direct plus indirect buffers beyond the queue size', () => {
    const r = ready({ size: 4 });
    for (let i = 0; i < 3; i++) r.desc(i, DATA, 1, NEXT, i + 1);
    r.desc(3, TABLE, 32, INDIRECT);
    r.desc(0, DATA, 1, NEXT, 1, TABLE);
    r.desc(1, DATA, 1, 0, 0, TABLE);
    r.publish(0);
    expect(popError(r.q, RULE.chainLength)).toContain('more than 4 buffers');
  });

  it('chain-bytes: the total length of a chain is capped', () => {
    const r = ready({ maxChainBytes: 4096 });
    r.desc(0, DATA, 3000, NEXT, 1);
    r.desc(1, DATA, 3000, WRITE);
    r.publish(0);
    expect(popError(r.q, RULE.chainBytes)).toContain('exceeds 4096 bytes at descriptor 1');
  });

  it('indirect-not-negotiated: INDIRECT without VIRTIO_F_RING_INDIRECT_DESC', () => {
    const r = ready({ indirect: false });
    r.desc(0, TABLE, 16, INDIRECT);
    r.publish(0);
    expect(popError(r.q, RULE.indirectFeature)).toContain('descriptor 0');
  });

  it('indirect-nested: an indirect table may not point at another', () => {
    const r = ready();
    r.desc(0, TABLE, 32, INDIRECT);
    r.desc(0, DATA, 1, NEXT, 1, TABLE);
    r.desc(1, TABLE + 0x100, 16, INDIRECT, 0, TABLE);
    r.publish(0);
    expect(popError(r.q, RULE.indirectNested)).toContain('indirect descriptor 1');
  });

  it('indirect-with-next: INDIRECT and NEXT together', () => {
    const r = ready();
    r.desc(0, TABLE, 16, INDIRECT | NEXT, 1);
    r.publish(0);
    expect(popError(r.q, RULE.indirectNext)).toContain('descriptor 0');
  });

  it('indirect-length: non-zero, a multiple of 16, at most the queue size entries', () => {
    for (const len of [0, 24, 16 * 9]) {
      const r = ready();
      r.desc(0, TABLE, len, INDIRECT);
      r.publish(0);
      expect(popError(r.q, RULE.indirectLength)).toContain(`table length ${len}`);
    }
  });

  it('readable-after-writable: in a chain and across an indirect table', () => {
    const r = ready();
    r.desc(0, DATA, 1, WRITE | NEXT, 1);
    r.desc(1, DATA, 1);
    r.publish(0);
    expect(popError(r.q, RULE.writeOrder)).toContain('descriptor 1 is device-readable');
    const s = ready();
    s.desc(0, DATA, 1, WRITE | NEXT, 1);
    s.desc(1, TABLE, 16, INDIRECT | WRITE); // WRITE on the table descriptor is ignored
    s.desc(0, DATA, 1, 0, 0, TABLE);
    s.publish(0);
    expect(popError(s.q, RULE.writeOrder)).toContain('indirect descriptor 0');
  });

  it('buffer-address: outside RAM, past its end, wrapping, or a high address word', () => {
    const end = BASE + PAGES * PAGE_SIZE;
    const cases: [number, number, number, RegExp][] = [
      [0x1000_0000, 4, 0, /descriptor 0 \[0x10000000, \+4\) is not inside RAM/],
      [end - 2, 4, 0, /not inside RAM/],
      [0xffff_fff0, 0x20, 0, /not inside RAM/], // would wrap past 2^32
      [BASE, 0xffff_ffff, 0, /not inside RAM/],
      [BASE, 4, 1, /high address word 0x1/],
      [end + 1, 0, 0, /not inside RAM/],
    ];
    for (const [addr, len, hi, text] of cases) {
      const r = ready();
      r.desc(0, addr, len, 0, 0, DESC, hi);
      r.publish(0);
      expect(popError(r.q, RULE.bufferAddress)).toMatch(text);
    }
    const r = ready();
    r.desc(0, end - 16, 32, INDIRECT);
    r.publish(0);
    expect(popError(r.q, RULE.bufferAddress)).toContain('descriptor 0 points at');
  });

  it('a buffer over a page the balloon gave back gets a zeroed frame', () => {
    const r = ready();
    r.unback(DATA + 0x3000);
    r.desc(0, DATA + 0x2ff0, 0x20, WRITE);
    r.publish(0);
    const c = popChain(r.q);
    expect(c.write(new Uint8Array(0x20).fill(7))).toBe(0x20);
    expect(r.ram.read(DATA + 0x3000, 4)).toEqual(Uint8Array.of(7, 7, 7, 7));
    expect(r.ram.zeroFilled).toBe(1);
  });

  it('buffer-unbacked: a buffer over a page with no frame when the pool has none', () => {
    const r = ready();
    r.unback(DATA + 0x3000);
    while (r.ram.pool.alloc() >= 0); // the host's pool runs dry
    r.desc(0, DATA + 0x2ff0, 0x20, WRITE);
    r.publish(0);
    expect(popError(r.q, RULE.bufferUnbacked)).toContain('descriptor 0');
  });

  it('ring-access: a ring page that loses its frame after setup', () => {
    const r = ready();
    r.unback(AVAIL);
    expect(popError(r.q, RULE.ringAccess)).toContain('available ring');
  });

  it('a violation is reported once and sticks until the queue is configured again', () => {
    const r = ready();
    r.publish(9);
    popError(r.q, RULE.headRange);
    popError(r.q, RULE.headRange);
    expect(r.violations).toEqual([r.q.error]);
    expect(r.q.needsNotification()).toBe(false);
    expect(r.configure()).toBeNull();
    expect(r.q.error).toBeNull();
  });
});
