import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { VirtioDeviceModel } from '../src/devices/virtio/device.ts';
import { VirtioBalloon } from '../src/devices/virtio/balloon/device.ts';
import { VirtioConsole } from '../src/devices/virtio/console/device.ts';
import { VirtioNet } from '../src/devices/virtio/net/device.ts';
import { REG, STATUS, VirtioMmio } from '../src/devices/virtio/mmio.ts';
import { DescriptorChain, RULE, type SplitQueue } from '../src/devices/virtio/queue.ts';
import { VmConsole } from '../src/machine/console.ts';
import { FramePool, PAGE_SIZE } from '../src/memory/frame-pool.ts';
import { GuestRam, NO_FRAME } from '../src/memory/guest-ram.ts';
import { VirtualSwitch } from '../src/net/switch.ts';

/**
 * A hostile driver against the virtio-mmio transport and each device model (DESIGN §5,
 * reference/virtio.md §2): random and adversarial rings (loops, out-of-range and wrapping
 * addresses, nested indirect tables, zero and huge lengths, readable after writable, avail
 * index jumps, unaligned rings, bad queue sizes) and garbage in every register.
 *
 * The property, for every device: nothing throws; every pop does bounded work (at most
 * 2 * size descriptor reads) and every device entry at most one ring's worth of pops; every
 * pop agrees with an independent oracle (chain, empty, or violation) on the memory as it
 * was at that moment; every used element the device publishes completes a chain that the
 * oracle found valid, with len <= its writable bytes, and lands in the used ring; and a
 * device in DEVICE_NEEDS_RESET has a reason, never an internal error.
 *
 * To add a device (net, balloon, nic), add a factory to FACTORIES: it builds the model
 * and lists the host-side events that can reach it (input, link changes, ...).
 */

const BASE = 0x8000_0000;
const PAGES = 16;
const END = BASE + PAGES * PAGE_SIZE;
/** A page with no frame, as if ballooned out. */
const HOLE = BASE + 0xd000;
const DATA = BASE + 0x8000;
const QMAX = 16;

interface Env {
  ram: GuestRam;
  console: VmConsole;
}

interface DeviceUnderTest {
  device: VirtioDeviceModel;
  /** Host-side events, each given a random argument. */
  events: ((arg: number) => void)[];
}

interface DeviceFactory {
  name: string;
  /** A queue the device consumes as soon as it is kicked (console: transmitq). */
  eagerQueue: number;
  make(env: Env): DeviceUnderTest;
}

const FACTORIES: DeviceFactory[] = [
  {
    name: 'virtio-console',
    eagerQueue: 1,
    make: ({ console }) => {
      let room = true;
      const d = new VirtioConsole(console, { queueSize: QMAX, canWrite: () => room });
      console.onInput = () => d.inputArrived();
      return {
        device: d,
        events: [
          (n) => console.pushInput(new Uint8Array(n % 70).fill(0x61 + (n % 26))),
          () => (room = !room),
          () => d.resumeTx(),
          () => d.pauseTx(),
          (n) => d.resize(n & 0xff, n >>> 8),
        ],
      };
    },
  },
  {
    name: 'virtio-balloon',
    eagerQueue: 0,
    make: ({ ram }) => {
      const d = new VirtioBalloon({ queueSize: QMAX });
      return {
        device: d,
        events: [(n) => d.setTarget(n % (ram.pages + 1)), () => d.requestStats()],
      };
    },
  },
  {
    name: 'virtio-net',
    eagerQueue: 1,
    make: () => {
      // Alone on its switch: every frame it sends comes back into its receiveq.
      const d = new VirtioNet({ queueSize: QMAX });
      d.connect(new VirtualSwitch(), 'net0');
      return {
        device: d,
        events: [
          (n) => d.receive(new Uint8Array(n % 1600).fill(n & 0xff)),
          (n) => d.receive(new Uint8Array(14 + (n % 64))),
          () => d.setLink(!d.linkUp),
        ],
      };
    },
  },
];

/* ---- The independent oracle: what a correct device must make of the ring right now. ---- */

type Expect = { kind: 'none' } | { kind: 'error'; why: string } | { kind: 'chain'; segs: Seg[] };
type Seg = [addr: number, len: number, writable: boolean];

/** Whether a device can reach [pa, pa+len): backed, or the pool can back what is not. */
function backed(ram: GuestRam, pa: number, len: number): boolean {
  if (!(pa >= ram.base && pa + len <= ram.base + ram.size)) return false;
  // An empty range touches no page (but must still lie within RAM's bounds).
  const rel = pa - ram.base;
  let missing = 0;
  for (let g = Math.floor(rel / PAGE_SIZE); len > 0 && g <= (rel + len - 1) / PAGE_SIZE; g++) {
    if (ram.p2m[g] === NO_FRAME) missing++;
  }
  return missing <= ram.pool.free;
}

function u16(ram: GuestRam, pa: number): number | null {
  const b = ram.read(pa, 2);
  return b && b[0] | (b[1] << 8);
}

function oracle(ram: GuestRam, q: SplitQueue): Expect {
  const err = (why: string): Expect => ({ kind: 'error', why });
  const idx = u16(ram, q.avail + 2);
  if (idx === null) return err('avail idx unreadable');
  const pending = (idx - q.lastAvail) & 0xffff;
  if (pending > q.size) return err('avail idx jump');
  if (pending === 0) return { kind: 'none' };
  const head = u16(ram, q.avail + 4 + 2 * (q.lastAvail % q.size));
  if (head === null || head >= q.size) return err('bad head');
  const segs: Seg[] = [];
  let table = q.desc;
  let n = q.size;
  let i = head;
  let steps = 0;
  let nested = false;
  let sawWritable = false;
  let total = 0;
  for (;;) {
    if (++steps > n) return err('loop');
    const raw = ram.read(table + 16 * i, 16);
    if (raw === null) return err('descriptor unreadable');
    const v = new DataView(raw.buffer);
    const [addr, hi, len] = [v.getUint32(0, true), v.getUint32(4, true), v.getUint32(8, true)];
    const [flags, next] = [v.getUint16(12, true), v.getUint16(14, true)];
    if (flags & 4) {
      if (!q.indirect || nested || flags & 1) return err('indirect misuse');
      if (len === 0 || len % 16 !== 0 || len / 16 > q.size) return err('indirect length');
      if (hi !== 0 || !backed(ram, addr, len)) return err('indirect table address');
      [table, n, i, steps, nested] = [addr, len / 16, 0, 0, true];
      continue;
    }
    const writable = (flags & 2) !== 0;
    if (!writable && sawWritable) return err('readable after writable');
    sawWritable ||= writable;
    if (segs.length >= q.size) return err('too many buffers');
    if (hi !== 0 || !(addr >= ram.base && addr + len <= ram.base + ram.size)) {
      return err('buffer address');
    }
    total += len;
    if (total > q.maxChainBytes) return err('too many bytes');
    if (!backed(ram, addr, len)) return err('unbacked');
    segs.push([addr, len, writable]);
    if (!(flags & 1)) break;
    if (next >= n) return err('next out of range');
    i = next;
  }
  return { kind: 'chain', segs };
}

/* ---- Arbitraries: a driver that sometimes follows the rules. ---- */

const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const addr = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 255 }).map((k) => BASE + 256 * k) },
  { weight: 3, arbitrary: fc.integer({ min: BASE, max: END - 1 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      0,
      BASE - 16,
      END,
      END - 8,
      HOLE,
      0xffff_fff0,
      0xffff_ffff,
      BASE + 1,
    ),
  },
);
const len = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 64 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 0x3000 }) },
  { weight: 1, arbitrary: fc.constantFrom(16, 32, 0x1000_0000, 0x8000_0000, 0xffff_ffff) },
);
const flags = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 7 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
);
const small = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 17 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
);
/** A queue the driver works on: mostly one the device has. */
const qi = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 1 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 }) },
);
const queueIndex = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 3 }) },
  { weight: 1, arbitrary: u32 },
);

const SPOIL_KINDS = [
  'order',
  'loop',
  'next',
  'hole',
  'wrap',
  'huge',
  'nest',
  'indirectNext',
  'indirectLen',
  'long',
  'head',
  'jump',
] as const;
/** How a 'chain' op breaks its chain ('none': it does not). */
type Spoil = 'none' | (typeof SPOIL_KINDS)[number];

/** Queue q's usual rings: all in page 1 + 2q, properly aligned. */
const goodLayout = (q: number) => ({
  size: 8,
  desc: BASE + 0x1000 + 0x2000 * q,
  avail: BASE + 0x1400 + 0x2000 * q,
  used: BASE + 0x1800 + 0x2000 * q,
});

const layout = fc.oneof(
  { weight: 6, arbitrary: fc.constant(null) },
  {
    weight: 2,
    arbitrary: fc.record({
      size: fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom(1, 2, 4, 8, 16) },
        { weight: 1, arbitrary: fc.integer({ min: 0, max: 70000 }) },
      ),
      desc: addr,
      avail: addr,
      used: addr,
    }),
  },
);

const setup = fc.record({
  /** A mask over what the device offers (VERSION_1 kept), or raw words. */
  features: fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        masked: fc.constant(true),
        lo: fc.oneof(fc.constant(0xffff_ffff), u32),
        hi: fc.constant(1),
      }),
    },
    { weight: 1, arbitrary: fc.record({ masked: fc.constant(false), lo: u32, hi: u32 }) },
  ),
  layouts: fc.array(layout, { minLength: 4, maxLength: 4 }),
  driverOk: fc.oneof(
    { weight: 8, arbitrary: fc.constant(true) },
    { weight: 1, arbitrary: fc.constant(false) },
  ),
});

const op = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      k: fc.constant('chain' as const),
      q: qi,
      head: small,
      parts: fc.array(fc.record({ len: fc.integer({ min: 0, max: 40 }), w: fc.boolean() }), {
        minLength: 1,
        maxLength: 5,
      }),
      indirect: fc.boolean(),
      kick: fc.boolean(),
      spoil: fc.oneof(
        { weight: 8, arbitrary: fc.constant<Spoil>('none') },
        { weight: 1, arbitrary: fc.constantFrom<Spoil>(...SPOIL_KINDS) },
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('desc' as const),
      q: qi,
      i: small,
      addr,
      len,
      flags,
      next: small,
      hi: fc.oneof({ weight: 9, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: u32 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('descAt' as const),
      at: addr,
      addr,
      len,
      flags,
      next: small,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('avail' as const),
      q: qi,
      slot: small,
      head: small,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('publish' as const),
      q: qi,
      delta: fc.oneof(
        { weight: 6, arbitrary: fc.integer({ min: 1, max: 4 }) },
        { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
      ),
    }),
  },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('kick' as const), q: queueIndex }) },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('mmio' as const),
      off: fc.integer({ min: 0, max: 0x1ff }),
      size: fc.constantFrom(1, 2, 4),
      value: u32,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('read' as const),
      off: fc.integer({ min: 0, max: 0x1ff }),
      size: fc.constantFrom(1, 2, 4),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ k: fc.constant('host' as const), which: fc.nat(), arg: u32 }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('suppress' as const),
      q: qi,
      availFlags: fc.integer({ min: 0, max: 3 }),
      usedEvent: small,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('raw' as const),
      at: addr,
      bytes: fc.uint8Array({ minLength: 1, maxLength: 24 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('reinit' as const) }) },
);

type Setup = typeof setup extends fc.Arbitrary<infer T> ? T : never;
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

/* ---- One run. ---- */

interface Tally {
  completions: number;
  violations: number;
  chains: number;
  /** How often each rule was broken (ring rules and queue-layout rules). */
  rules: Map<string, number>;
}

/** One hostile session; returns the last DEVICE_NEEDS_RESET reason (null if none). */
function run(factory: DeviceFactory, s: Setup, ops: Op[], tally: Tally): string | null {
  const pool = new FramePool(PAGES);
  const ram = new GuestRam(pool, BASE, PAGES * PAGE_SIZE);
  ram.populate();
  // A page with no frame, and (until a balloon gives frames back) none in the pool to
  // back it with: the hole's frame is not returned.
  const hole = (HOLE - BASE) / PAGE_SIZE;
  ram.p2m[hole] = NO_FRAME;
  const console = new VmConsole(() => {});
  const { device, events } = factory.make({ ram, console });
  const t = new VirtioMmio('virtio0', ram, device, () => {});
  const nq = t.queues.length;
  const layouts = s.layouts.map((l, q) => l ?? goodLayout(q));

  const failures: string[] = [];
  let pops = 0;
  for (const q of t.queues) spy(q);

  /** Check every pop against the oracle and every push against what was popped. */
  function spy(q: SplitQueue): void {
    const pop = q.pop.bind(q);
    const push = q.push.bind(q);
    /** Heads popped and not yet completed, with their writable bytes (a head may repeat). */
    const open: [number, number][] = [];
    // A reset or a new layout voids the chains in flight.
    const configure = q.configure.bind(q);
    const reset = q.reset.bind(q);
    q.configure = (...args) => {
      open.length = 0;
      return configure(...args);
    };
    q.reset = () => {
      open.length = 0;
      reset();
    };
    q.pop = () => {
      pops++;
      const before = q.descriptorReads;
      const stuck = q.error;
      const want: Expect =
        stuck !== null
          ? { kind: 'error', why: stuck }
          : q.enabled
            ? oracle(ram, q)
            : { kind: 'none' };
      const got = pop();
      if (q.descriptorReads - before > 2 * q.size) {
        failures.push(`pop read ${q.descriptorReads - before} descriptors, queue size ${q.size}`);
      }
      if (want.kind === 'none' && got !== null)
        failures.push(`pop gave ${String(got)} on an empty ring`);
      if (want.kind === 'error' && typeof got !== 'string') {
        failures.push(`pop accepted a bad ring (${want.why})`);
      }
      if (want.kind === 'chain') {
        if (!(got instanceof DescriptorChain))
          failures.push(`pop refused a good chain: ${String(got)}`);
        else {
          const segs = Array.from({ length: got.count }, (_, i): Seg => [
            got.addr[i],
            got.len[i],
            got.writable(i),
          ]);
          if (JSON.stringify(segs) !== JSON.stringify(want.segs)) {
            failures.push(
              `pop parsed ${JSON.stringify(segs)}, oracle ${JSON.stringify(want.segs)}`,
            );
          }
          open.push([got.head, got.writableBytes]);
          tally.chains++;
        }
      }
      if (typeof got === 'string') tally.violations++;
      return got;
    };
    q.push = (head, n) => {
      const slot = q.used + 4 + 8 * (q.nextUsed & (q.size - 1));
      const ok = push(head, n);
      if (!ok) return ok;
      const at = open.findIndex(([h]) => h === head);
      if (at < 0) failures.push(`used element for head ${head}, which was not popped`);
      else {
        if (n > open[at][1]) failures.push(`used len ${n} > writable ${open[at][1]}`);
        open.splice(at, 1);
      }
      const elem = ram.read(slot, 8);
      const v = elem && new DataView(elem.buffer);
      if (!v || v.getUint32(0, true) !== head || v.getUint32(4, true) !== n) {
        failures.push(`used element for head ${head} not in the used ring`);
      }
      if (u16(ram, q.used + 2) !== q.nextUsed) failures.push('used idx not published');
      tally.completions++;
      return ok;
    };
  }

  const wr = (off: number, v: number) => t.write(off, 4, v);
  const w16 = (pa: number, v: number) =>
    ram.write(pa, new Uint8Array([v & 0xff, (v >>> 8) & 0xff]));
  const desc = (at: number, a: number, l: number, f: number, next: number, hi = 0) => {
    const b = new Uint8Array(16);
    const v = new DataView(b.buffer);
    v.setUint32(0, a >>> 0, true);
    v.setUint32(4, hi >>> 0, true);
    v.setUint32(8, l >>> 0, true);
    v.setUint16(12, f, true);
    v.setUint16(14, next, true);
    ram.write(at, b);
  };
  const availIdx = (q: number) => u16(ram, layouts[q].avail + 2) ?? 0;
  const lay = (q: number) => layouts[q % layouts.length];

  function handshake(): void {
    wr(REG.status, 0);
    wr(REG.status, STATUS.acknowledge | STATUS.driver);
    const { masked, lo, hi } = s.features;
    for (const sel of [0, 1]) {
      wr(REG.deviceFeaturesSel, sel);
      const offered = t.read(REG.deviceFeatures, 4);
      wr(REG.driverFeaturesSel, sel);
      const want = sel === 0 ? lo : hi;
      wr(REG.driverFeatures, masked ? (offered & want) | (sel === 1 ? 1 : 0) : want);
    }
    wr(REG.status, STATUS.acknowledge | STATUS.driver | STATUS.featuresOk);
    for (let q = 0; q < Math.max(nq, 2); q++) {
      const l = layouts[q];
      wr(REG.queueSel, q);
      wr(REG.queueNum, l.size);
      wr(REG.queueDescLow, l.desc);
      wr(REG.queueDescHigh, Math.floor(l.desc / 0x1_0000_0000));
      wr(REG.queueDriverLow, l.avail);
      wr(REG.queueDeviceLow, l.used);
      wr(REG.queueReady, 1);
    }
    if (s.driverOk) wr(REG.status, t.read(REG.status, 4) | STATUS.driverOk);
  }

  function apply(o: Op): void {
    switch (o.k) {
      case 'chain': {
        // A well-formed chain, or one broken in one chosen way.
        const l = lay(o.q);
        const size = Math.max(1, l.size & 0xffff);
        const head = o.head % size;
        const parts = [...o.parts].sort((a, b) => Number(a.w) - Number(b.w));
        if (o.spoil === 'order') parts.unshift({ len: 4, w: true }, { len: 4, w: false });
        const indirect =
          o.spoil !== 'long' &&
          (o.indirect ||
            o.spoil === 'nest' ||
            o.spoil === 'indirectNext' ||
            o.spoil === 'indirectLen');
        const n = parts.length;
        const at = (i: number) => (indirect ? i : (head + i) % size);
        const d: [number, number, number, number][] = parts.map((p, i) => [
          DATA + 0x100 * ((head + i) % 32),
          p.len,
          (p.w ? 2 : 0) | (i < n - 1 ? 1 : 0),
          at(i + 1),
        ]);
        const last = d[n - 1];
        if (o.spoil === 'loop') [last[2], last[3]] = [last[2] | 1, at(0)];
        if (o.spoil === 'next') [last[2], last[3]] = [last[2] | 1, indirect ? n : size];
        if (o.spoil === 'hole') d[0][0] = HOLE + 8;
        if (o.spoil === 'wrap') [d[0][0], d[0][1]] = [0xffff_fff0, 0x20];
        if (o.spoil === 'huge') d[0][1] = 0xffff_ffff;
        if (o.spoil === 'nest') [last[0], last[1], last[2]] = [DATA, 16, 4];
        const table = DATA + 0x3000 + 0x100 * (head % 16);
        d.forEach(([a, len, f, nx], i) =>
          desc((indirect ? table : l.desc) + 16 * at(i), a, len, f, nx),
        );
        if (indirect) {
          const tlen = 16 * n + (o.spoil === 'indirectLen' ? 8 : 0);
          desc(l.desc + 16 * head, table, tlen, o.spoil === 'indirectNext' ? 5 : 4, 0);
        }
        if (o.spoil === 'long' && size >= 2) {
          // size - 1 direct buffers, then an indirect table of 2: one buffer too many.
          for (let i = 0; i < size - 1; i++) desc(l.desc + 16 * at(i), DATA, 1, 1, at(i + 1));
          desc(l.desc + 16 * at(size - 1), table, 32, 4, 0);
          desc(table, DATA, 1, 1, 1);
          desc(table + 16, DATA, 1, 0, 0);
        }
        const idx = availIdx(o.q % layouts.length);
        w16(l.avail + 4 + 2 * (idx % size), o.spoil === 'head' ? size : head);
        w16(l.avail + 2, idx + (o.spoil === 'jump' ? size + 1 : 1));
        if (o.kick) wr(REG.queueNotify, o.q);
        return;
      }
      case 'desc':
        desc(lay(o.q).desc + 16 * o.i, o.addr, o.len, o.flags, o.next, o.hi);
        return;
      case 'descAt':
        desc(o.at, o.addr, o.len, o.flags, o.next);
        return;
      case 'avail':
        w16(lay(o.q).avail + 4 + 2 * o.slot, o.head);
        return;
      case 'publish':
        w16(lay(o.q).avail + 2, availIdx(o.q % layouts.length) + o.delta);
        return;
      case 'kick':
        wr(REG.queueNotify, o.q);
        return;
      case 'mmio':
        t.write(o.off, o.size, o.value);
        return;
      case 'read':
        t.read(o.off, o.size);
        return;
      case 'host':
        events[o.which % events.length](o.arg);
        return;
      case 'suppress': {
        const l = lay(o.q);
        w16(l.avail, o.availFlags);
        w16(l.avail + 4 + 2 * (l.size & 0xffff), o.usedEvent);
        return;
      }
      case 'raw':
        ram.write(o.at, o.bytes);
        return;
      case 'reinit':
        handshake();
        return;
    }
  }

  handshake();
  const budget = 4 * nq * QMAX + 8; // pops one op may cause: a ring's worth per device entry
  let needsResets = 0;
  for (const o of ops) {
    pops = 0;
    apply(o);
    if (pops > budget) failures.push(`${o.k} caused ${pops} pops`);
    const status = t.read(REG.status, 4);
    const reason = t.needsResetReason;
    const resets = t.metrics().needsResets;
    if (resets !== needsResets) {
      needsResets = resets;
      const rule = /^queue \w+: ([a-z-]+): /.exec(t.lastNeedsResetReason ?? '');
      if (rule) tally.rules.set(rule[1], (tally.rules.get(rule[1]) ?? 0) + 1);
    }
    if (status & STATUS.needsReset) {
      if (!reason) failures.push('DEVICE_NEEDS_RESET without a reason');
      else if (/internal error/.test(reason)) failures.push(reason);
    } else if (reason !== null) failures.push(`a reason without DEVICE_NEEDS_RESET: ${reason}`);
    if (failures.length) {
      throw new Error(`${factory.name}, after ${JSON.stringify(o)}: ${failures.join('; ')}`);
    }
  }
  return t.lastNeedsResetReason;
}

/** Each way of breaking a chain or a layout, and the rule the device must name. */
const SPOILS: [Spoil, string][] = [
  ['order', RULE.writeOrder],
  ['loop', RULE.loop],
  ['next', RULE.nextRange],
  ['hole', RULE.bufferUnbacked],
  ['wrap', RULE.bufferAddress],
  ['huge', RULE.bufferAddress],
  ['nest', RULE.indirectNested],
  ['indirectNext', RULE.indirectNext],
  ['indirectLen', RULE.indirectLength],
  ['long', RULE.chainLength],
  ['head', RULE.headRange],
  ['jump', RULE.availIdx],
];

describe('virtio against a hostile driver', () => {
  for (const factory of FACTORIES) {
    it(`${factory.name}: no exception, bounded work, valid completions or DEVICE_NEEDS_RESET`, () => {
      const tally: Tally = { completions: 0, violations: 0, chains: 0, rules: new Map() };
      fc.assert(
        fc.property(
          setup,
          fc.array(op, { minLength: 1, maxLength: 40, size: 'medium' }),
          (s, ops) => {
            run(factory, s, ops, tally);
          },
        ),
        { numRuns: 1000 },
      );
      // Not vacuous: the runs reached both outcomes many times, and many rules.
      expect(tally.completions).toBeGreaterThan(300);
      expect(tally.violations).toBeGreaterThan(150);
      expect(tally.rules.size).toBeGreaterThan(8);
    });

    it(`${factory.name}: each hostile chain and layout is refused by name`, () => {
      const tally: Tally = { completions: 0, violations: 0, chains: 0, rules: new Map() };
      const good: Setup = {
        features: { masked: true, lo: 0xffff_ffff, hi: 1 },
        layouts: [null, null, null, null],
        driverOk: true,
      };
      const q = factory.eagerQueue;
      const chain = (spoil: Spoil, indirect = false): Op => ({
        k: 'chain',
        q,
        head: 3,
        parts: [
          { len: 8, w: false },
          { len: 8, w: false },
        ],
        indirect,
        kick: true,
        spoil,
      });
      expect(run(factory, good, [chain('none'), chain('none', true)], tally)).toBeNull();
      expect(tally.completions).toBe(2);
      for (const [spoil, rule] of SPOILS) {
        for (const indirect of [false, true]) {
          const reason = run(factory, good, [chain(spoil, indirect)], tally);
          expect(reason, `${spoil}${indirect ? ' (indirect)' : ''}`).toMatch(
            new RegExp(`^queue \\w+: ${rule}: `),
          );
        }
      }
      const noIndirect: Setup = { ...good, features: { masked: true, lo: ~(1 << 28), hi: 1 } };
      expect(run(factory, noIndirect, [chain('none', true)], tally)).toMatch(
        new RegExp(`: ${RULE.indirectFeature}: `),
      );
      const bad = (l: Partial<ReturnType<typeof goodLayout>>): Setup => ({
        ...good,
        layouts: [0, 1, 2, 3].map((i) => (i === q ? { ...goodLayout(i), ...l } : null)),
      });
      for (const [l, rule] of [
        [{ size: 6 }, RULE.queueSize],
        [{ size: 2 * QMAX }, RULE.queueSize],
        [{ desc: goodLayout(q).desc + 8 }, RULE.ringAlignment],
        [{ avail: goodLayout(q).avail + 1 }, RULE.ringAlignment],
        [{ used: goodLayout(q).used + 2 }, RULE.ringAlignment],
        [{ used: END - 16 }, RULE.ringAddress],
        [{ desc: HOLE }, RULE.ringAddress],
        [{ desc: 0x1_0000_0000 + goodLayout(q).desc }, RULE.ringAddress],
      ] as const) {
        expect(run(factory, bad(l), [], tally), JSON.stringify(l)).toMatch(
          new RegExp(`^queue \\w+: ${rule}: `),
        );
      }
    });
  }
});
