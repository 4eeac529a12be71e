import { describe, expect, it } from 'vitest';
import { VirtioTestDriver } from '../../../../test/virtio-driver.ts';
import { CodeCache } from '../../../cpu/code-cache.ts';
import { Hart, type HartPlatform } from '../../../cpu/hart.ts';
import { EXIT_REASONS } from '../../../hv/exits.ts';
import { Hypervisor } from '../../../hv/hypervisor.ts';
import type { HostProfile } from '../../../hv/profile.ts';
import { VmConsole } from '../../../machine/console.ts';
import { FramePool, PAGE_SIZE } from '../../../memory/frame-pool.ts';
import { GuestRam, NO_FRAME } from '../../../memory/guest-ram.ts';
import type { SnapObject } from '../../../snapshot/persist.ts';
import { INT_CONFIG, INT_USED, REG, STATUS, VirtioMmio } from '../mmio.ts';
import {
  BALLOON_DEFLATE,
  BALLOON_INFLATE,
  BALLOON_STATS,
  STAT_AVAIL,
  STAT_MAJFLT,
  STAT_MEMFREE,
  STAT_MEMTOT,
  STAT_MINFLT,
  VIRTIO_BALLOON_F_DEFLATE_ON_OOM,
  VIRTIO_BALLOON_F_MUST_TELL_HOST,
  VIRTIO_BALLOON_F_STATS_VQ,
  VirtioBalloon,
} from './device.ts';

const BASE = 0x8000_0000;
const BASE_PFN = BASE / PAGE_SIZE;
const PAGES = 64;
const QSIZE = 8;
/** Queue q's rings fill page 1 + q; the PFN arrays and the stats buffer have pages 4-6. */
const DESC = (q: number) => BASE + 0x1000 * (1 + q);
const AVAIL = (q: number) => DESC(q) + 0x400;
const USED = (q: number) => DESC(q) + 0x800;
const PFN_DATA = (q: number) => BASE + 0x4000 + 0x1000 * q;
const STATS_DATA = BASE + 0x6000;
/** Where the guest's own code runs in the CPU tests. */
const CODE = BASE + 0x7000;
/** The pages the tests balloon: the upper half of RAM. */
const HALF = PAGES / 2;

/**
 * A virtio-balloon driver on the shared test driver (engine/test/virtio-driver.ts), as
 * Linux's behaves: PFN arrays in readable buffers on the inflateq and deflateq (one chain
 * per call), `actual` written after each, and the stats buffer posted (and kicked) before
 * DRIVER_OK, then refilled whenever the device gives it back. It reaches the device only
 * through MMIO registers and guest RAM.
 */
class Driver extends VirtioTestDriver {
  readonly stats: boolean;
  used: [number, number][][] = [[], [], []];
  actual = 0;

  constructor(t: VirtioMmio, ram: GuestRam, stats = true) {
    const rings = (stats ? [0, 1, 2] : [0, 1]).map((q) => ({
      size: QSIZE,
      desc: DESC(q),
      avail: AVAIL(q),
      used: USED(q),
    }));
    super(t, ram, rings, { eventIdx: false, indirect: false });
    this.stats = stats;
  }

  override init(): void {
    const want = this.stats
      ? (1 << VIRTIO_BALLOON_F_STATS_VQ) | (1 << VIRTIO_BALLOON_F_DEFLATE_ON_OOM)
      : 1 << VIRTIO_BALLOON_F_DEFLATE_ON_OOM;
    // Fresh rings, as a driver allocates them at probe. As Linux's init_vqs: the first
    // stats buffer goes out before DRIVER_OK.
    super.init(5, want, () => {
      if (this.stats) this.postStats([[STAT_MEMTOT, PAGES * PAGE_SIZE]]);
    });
    expect(this.features).toBe(want);
  }

  numPages(): number {
    return this.rd(0x100);
  }

  setActual(pages: number): void {
    this.actual = pages;
    this.wr(0x104, pages);
  }

  /** One chain of PFNs (raw bytes may be given to test broken arrays) on queue q. */
  pfns(q: number, pfns: number[] | Uint8Array): void {
    const bytes =
      pfns instanceof Uint8Array
        ? pfns
        : new Uint8Array(Uint32Array.from(pfns, (p) => p >>> 0).buffer);
    const head = this.availIdx[q] % QSIZE;
    expect(this.ram.write(PFN_DATA(q) + 0x200 * head, bytes)).toBe(true);
    this.desc(q, head, PFN_DATA(q) + 0x200 * head, bytes.length, 0);
    expect(this.kick(q, this.publish(q, head))).toBe(true);
  }

  /** Post the stats buffer (descriptor 0 of the statsq) holding these entries. */
  postStats(entries: [number, number][]): void {
    const b = new Uint8Array(10 * entries.length);
    const v = new DataView(b.buffer);
    entries.forEach(([tag, val], i) => {
      v.setUint16(10 * i, tag, true);
      v.setBigUint64(10 * i + 2, BigInt(val), true);
    });
    this.ram.write(STATS_DATA, b);
    this.desc(BALLOON_STATS, 0, STATS_DATA, b.length, 0);
    expect(this.kick(BALLOON_STATS, this.publish(BALLOON_STATS, 0))).toBe(true);
  }

  /** The interrupt handler: ack, reap the used rings; returns InterruptStatus. */
  interrupt(): number {
    const status = this.ack();
    this.rings.forEach((_, q) => {
      for (const { id, len } of this.reap(q)) this.used[q].push([id, len]);
    });
    return status;
  }
}

const pfnOf = (gfn: number) => BASE_PFN + gfn;
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

function profile(): HostProfile {
  return {
    name: 'test',
    description: 'test',
    cpuHz: 1e9,
    timebaseHz: 1e7,
    cpi: 1,
    exitCycles: Object.fromEntries(EXIT_REASONS.map((r) => [r, 2000])) as HostProfile['exitCycles'],
    deviceExitCycles: {},
    trapCsrs: [],
    sstc: true,
    sources: {},
  };
}

/** A hart on this RAM under a Hypervisor: nothing but RAM on its bus. */
function vcpu(ram: GuestRam) {
  const platform: HartPlatform = {
    busFault: false,
    load() {
      this.busFault = true;
      return 0;
    },
    store() {
      this.busFault = true;
    },
    now: () => 0,
    insnsUntil: () => Infinity,
    timerEvent: () => Infinity,
  };
  const h = new Hart(0, ram, new CodeCache(ram), platform);
  const hv = new Hypervisor(
    { harts: [h], ram, console: new VmConsole(() => {}), now: () => 0, stop: () => {} },
    profile(),
  );
  return { h, hv };
}

function rig(options: { stats?: boolean; poolFrames?: number } = {}) {
  const pool = new FramePool(options.poolFrames ?? PAGES);
  const ram = new GuestRam(pool, BASE, PAGES * PAGE_SIZE);
  ram.populate();
  const unmaps: number[][] = [];
  ram.onUnmap = (gfns) => unmaps.push([...gfns]);
  const dev = new VirtioBalloon({ queueSize: QSIZE });
  const irq: boolean[] = [];
  const t = new VirtioMmio('virtio-balloon0', ram, dev, (l) => irq.push(l));
  const drv = new Driver(t, ram, options.stats ?? true);
  return { pool, ram, dev, t, irq, drv, unmaps };
}

describe('virtio-balloon', () => {
  it('offers STATS_VQ and DEFLATE_ON_OOM, not MUST_TELL_HOST, and three queues', () => {
    const { t, drv } = rig();
    expect(drv.rd(REG.deviceId)).toBe(5);
    drv.wr(REG.deviceFeaturesSel, 0);
    const lo = drv.rd(REG.deviceFeatures);
    expect(lo & 0b111).toBe(
      (1 << VIRTIO_BALLOON_F_STATS_VQ) | (1 << VIRTIO_BALLOON_F_DEFLATE_ON_OOM),
    );
    expect(lo & (1 << VIRTIO_BALLOON_F_MUST_TELL_HOST)).toBe(0);
    expect(t.queues.map((q) => q.name)).toEqual(['inflateq', 'deflateq', 'statsq']);
  });

  it('a target change raises a config interrupt; actual is the driver’s to write', () => {
    const { dev, t, irq, drv } = rig();
    dev.setTarget(5); // before the driver: no interrupt, but the driver reads it
    expect(irq).toEqual([]);
    drv.init();
    expect(drv.numPages()).toBe(5);
    const gen = drv.rd(REG.configGeneration);
    dev.setTarget(HALF);
    expect(drv.numPages()).toBe(HALF);
    expect(drv.rd(REG.configGeneration)).not.toBe(gen);
    expect(irq).toEqual([true]);
    expect(drv.interrupt()).toBe(INT_CONFIG);
    dev.setTarget(HALF); // no change, no interrupt
    expect(irq).toEqual([true, false]);
    expect(() => dev.setTarget(PAGES + 1)).toThrow(RangeError);
    expect(() => dev.setTarget(-1)).toThrow(RangeError);
    expect(() => dev.setTarget(1.5)).toThrow(RangeError);
    // actual: whole word, bytes, halves; num_pages cannot be written by the driver.
    drv.setActual(0x01020304);
    expect(drv.rd(0x104)).toBe(0x01020304);
    t.write(0x105, 1, 0xaa);
    t.write(0x106, 2, 0xbbcc);
    expect(drv.rd(0x104)).toBe(0xbbccaa04);
    t.write(0x100, 4, 7);
    expect(drv.numPages()).toBe(HALF);
    expect(dev.metrics()).toMatchObject({ target: HALF, actual: 0xbbccaa04 });
  });

  it('inflating half of RAM gives exactly those frames back to the pool', () => {
    const { pool, ram, dev, t, drv, unmaps } = rig();
    drv.init();
    expect(pool.free).toBe(0);
    dev.setTarget(HALF);
    drv.interrupt();
    // Two chains of 16 PFNs, as Linux fills its PFN array in batches.
    drv.pfns(BALLOON_INFLATE, range(HALF, 16).map(pfnOf));
    drv.pfns(BALLOON_INFLATE, range(HALF + 16, 16).map(pfnOf));
    expect(drv.interrupt()).toBe(INT_USED);
    expect(drv.used[BALLOON_INFLATE]).toEqual([
      [0, 0],
      [1, 0],
    ]);
    drv.setActual(HALF);
    expect(pool.free).toBe(HALF);
    expect(ram.framesMapped).toBe(PAGES - HALF);
    for (let g = 0; g < PAGES; g++) expect(ram.p2m[g] === NO_FRAME).toBe(g >= HALF);
    // One TLB flush per chain, naming its pages.
    expect(unmaps).toEqual([range(HALF, 16), range(HALF + 16, 16)]);
    expect(ram.unmapped).toBe(HALF);
    expect(dev.actualPages).toBe(HALF);
    expect(dev.metrics()).toMatchObject({
      inflatedPages: HALF,
      framesReleased: HALF,
      balloonPages: HALF,
      invalidPfns: 0,
      actual: HALF,
      target: HALF,
    });
    expect(t.needsResetReason).toBeNull();
  });

  it('a deflated page stays unbacked and comes back zeroed through a gstage_fault exit', () => {
    const { pool, ram, dev, drv } = rig();
    const { h, hv } = vcpu(ram);
    drv.init();
    const page = BASE + (PAGES - 1) * PAGE_SIZE;
    ram.write(page, new Uint8Array([1, 2, 3, 4])); // stale data the guest must never see
    drv.pfns(BALLOON_INFLATE, range(HALF, HALF).map(pfnOf));
    drv.pfns(BALLOON_DEFLATE, [pfnOf(PAGES - 1), pfnOf(PAGES - 2)]);
    drv.interrupt();
    expect(drv.used[BALLOON_DEFLATE]).toEqual([[0, 0]]);
    expect(dev.metrics()).toMatchObject({ deflatedPages: 2, balloonPages: HALF - 2 });
    expect(ram.p2m[PAGES - 1]).toBe(NO_FRAME); // lazily: no frame until touched
    expect(pool.free).toBe(HALF);
    // The guest: lw a0, 0(a1); sw a2, 4(a1); lw a3, 4(a1); j . (in S-mode, no paging).
    const prog = [0x0005a503, 0x00c5a223, 0x0045a683, 0x0000006f];
    ram.write(CODE, new Uint8Array(Uint32Array.from(prog).buffer));
    hv.boot(h, CODE, 0);
    h.stvec = CODE + 12; // a trap would land on `j .` (and fail the test, not hang it)
    h.x[11] = page;
    h.x[12] = 0x5a5a;
    h.x[10] = -1;
    h.run(8);
    expect(h.x[10]).toBe(0);
    expect(h.x[13]).toBe(0x5a5a);
    expect(h.scause).toBe(0); // no trap reached the guest
    const report = hv.stats.report();
    expect(report.byReason.gstage_fault).toBe(1);
    expect(report.cyclesByReason.gstage_fault).toBe(2000);
    expect(ram.p2m[PAGES - 1]).not.toBe(NO_FRAME);
    expect(pool.free).toBe(HALF - 1);
    expect(ram.zeroFilled).toBe(1);
    // The hook itself, as a host-side caller would use it: the other deflated page.
    expect(hv.gstageFault(h, page - PAGE_SIZE + 8)).toBe(true);
    expect(ram.read(page - PAGE_SIZE, PAGE_SIZE)).toEqual(new Uint8Array(PAGE_SIZE));
    expect(hv.stats.report().byReason.gstage_fault).toBe(2);
    expect(hv.gstageFault(h, BASE - 4)).toBe(false); // not RAM: not a gstage fault
  });

  it('a touch with the pool empty is an access fault the guest sees, counted', () => {
    const { pool, ram, drv } = rig();
    const { h, hv } = vcpu(ram);
    drv.init();
    drv.pfns(BALLOON_INFLATE, [pfnOf(PAGES - 1)]);
    expect(pool.alloc()).toBeGreaterThanOrEqual(0); // someone else took the frame
    const prog = [0x0005a503, 0x0000006f]; // lw a0, 0(a1); j .
    ram.write(CODE, new Uint8Array(Uint32Array.from(prog).buffer));
    hv.boot(h, CODE, 0);
    h.stvec = CODE + 4;
    h.x[11] = BASE + (PAGES - 1) * PAGE_SIZE;
    h.run(4);
    expect(h.scause).toBe(5); // load access fault, in the guest's own handler
    expect(h.stval).toBe(h.x[11]);
    expect(hv.stats.report().byReason.gstage_fault).toBe(1);
    expect(ram.mapFailures).toBe(1);
    expect(pool.exhausted).toBe(1);
  });

  it('stats reach the host, and the held buffer comes back on request', () => {
    const { dev, t, drv } = rig();
    expect(dev.requestStats()).toBe(false); // no driver yet
    drv.init(); // posted MEMTOT before DRIVER_OK: the device took it at activation
    expect(dev.stats()).toEqual({ memtot: PAGES * PAGE_SIZE });
    expect(drv.used[BALLOON_STATS]).toEqual([]); // held
    expect(dev.requestStats()).toBe(true);
    expect(dev.requestStats()).toBe(false); // only one buffer, already given back
    expect(drv.interrupt()).toBe(INT_USED);
    expect(drv.used[BALLOON_STATS]).toEqual([[0, 0]]);
    const big = 2 ** 40 + 5;
    drv.postStats([
      [STAT_MEMFREE, 0x30000],
      [STAT_MEMTOT, 0x40000],
      [STAT_AVAIL, 0x38000],
      [STAT_MAJFLT, 7],
      [STAT_MINFLT, big],
      [99, 1], // unknown: ignored
      [11, 3], // alloc_stalls, a newer Linux tag
    ]);
    expect(dev.stats()).toEqual({
      memfree: 0x30000,
      memtot: 0x40000,
      avail: 0x38000,
      majflt: 7,
      minflt: big,
      alloc_stalls: 3,
    });
    expect(dev.metrics()).toMatchObject({ statsUpdates: 2, statsRequests: 1 });
    // A second buffer while one is held: the older one goes back (as QEMU does).
    drv.postStats([[STAT_MEMFREE, 1]]);
    drv.interrupt();
    expect(drv.used[BALLOON_STATS]).toEqual([
      [0, 0],
      [0, 0],
    ]);
    expect(dev.stats().memfree).toBe(1);
    expect(t.needsResetReason).toBeNull();
  });

  it('without STATS_VQ there are no stats and nothing breaks', () => {
    const { dev, t, drv } = rig({ stats: false });
    drv.init();
    expect(dev.requestStats()).toBe(false);
    drv.pfns(BALLOON_INFLATE, [pfnOf(HALF)]);
    expect(dev.metrics().inflatedPages).toBe(1);
    expect(dev.stats()).toEqual({});
    expect(t.needsResetReason).toBeNull();
  });

  it('bad PFNs are ignored and counted, never fatal', () => {
    const { pool, ram, dev, t, drv } = rig();
    drv.init();
    const outside = [0, 0xffff_ffff, BASE_PFN - 1, BASE_PFN + PAGES, 0x7ffff];
    // Outside RAM (5), a repeat in one chain (1), and a real page.
    drv.pfns(BALLOON_INFLATE, [...outside, pfnOf(40), pfnOf(40), pfnOf(41)]);
    expect(dev.metrics()).toMatchObject({ invalidPfns: 6, inflatedPages: 2 });
    expect(pool.free).toBe(2);
    // Inflating a page already in the balloon; deflating one that is not in it.
    drv.pfns(BALLOON_INFLATE, [pfnOf(41)]);
    drv.pfns(BALLOON_DEFLATE, [pfnOf(42), pfnOf(40), 0xdead_beef]);
    expect(dev.metrics()).toMatchObject({
      invalidPfns: 9,
      inflatedPages: 2,
      deflatedPages: 1,
      balloonPages: 1,
    });
    // A trailing partial PFN and an empty chain.
    const bytes = new Uint8Array(7);
    new DataView(bytes.buffer).setUint32(0, pfnOf(43), true);
    drv.pfns(BALLOON_INFLATE, bytes);
    drv.pfns(BALLOON_INFLATE, new Uint8Array(0));
    expect(dev.metrics()).toMatchObject({ invalidPfns: 10, inflatedPages: 3 });
    expect(pool.free).toBe(3);
    expect(ram.p2m[43]).toBe(NO_FRAME);
    drv.interrupt();
    expect(drv.used[BALLOON_INFLATE]).toHaveLength(4);
    expect(t.needsResetReason).toBeNull();
  });

  it('a page the guest touched while in the balloon is taken back when inflated again', () => {
    const { pool, ram, dev, drv } = rig();
    drv.init();
    drv.pfns(BALLOON_INFLATE, [pfnOf(50)]);
    expect(ram.mapZeroed(50)).toBe(true); // the guest touched it anyway
    drv.pfns(BALLOON_INFLATE, [pfnOf(50)]);
    expect(ram.p2m[50]).toBe(NO_FRAME);
    expect(pool.free).toBe(1);
    expect(dev.metrics()).toMatchObject({ invalidPfns: 1, framesReleased: 2, inflatedPages: 1 });
  });

  it('ballooning its own used ring is the driver’s bug: DEVICE_NEEDS_RESET, no crash', () => {
    const { ram, t, drv } = rig();
    drv.init();
    drv.pfns(BALLOON_INFLATE, [pfnOf((USED(BALLOON_INFLATE) - BASE) / PAGE_SIZE)]);
    expect(t.read(REG.status, 4) & STATUS.needsReset).toBe(STATUS.needsReset);
    expect(t.needsResetReason).toMatch(/^queue inflateq: ring-access: /);
    expect(ram.p2m[1]).toBe(NO_FRAME);
  });

  it('a reset forgets the balloon; the target and stats stay', () => {
    const { ram, dev, drv } = rig();
    drv.init();
    dev.setTarget(4);
    drv.pfns(BALLOON_INFLATE, range(60, 4).map(pfnOf));
    drv.setActual(4);
    drv.wr(REG.status, 0);
    expect(dev.metrics()).toMatchObject({ balloonPages: 0, actual: 0, target: 4 });
    expect(dev.stats().memtot).toBe(PAGES * PAGE_SIZE);
    expect(ram.p2m[60]).toBe(NO_FRAME); // the next touch brings it back
    expect(dev.requestStats()).toBe(false);
    drv.init();
    expect(drv.numPages()).toBe(4);
    drv.pfns(BALLOON_DEFLATE, [pfnOf(60)]); // not in this driver's balloon
    expect(dev.metrics().invalidPfns).toBe(1);
  });

  it('a stats buffer held across a queue reset is dropped, not returned', () => {
    const { dev, t, drv } = rig();
    drv.init();
    drv.wr(REG.queueSel, BALLOON_STATS);
    drv.wr(REG.queueReady, 0);
    drv.wr(REG.queueReady, 1); // set up again: the held head is void
    expect(dev.requestStats()).toBe(false);
    expect(t.queues[BALLOON_STATS].nextUsed).toBe(0);
    drv.availIdx[BALLOON_STATS] = 0;
    drv.postStats([[STAT_MEMFREE, 9]]);
    expect(dev.requestStats()).toBe(true);
    expect(dev.stats().memfree).toBe(9);
  });

  it('survives a snapshot: RAM map, balloon, held stats buffer and counters', () => {
    const a = rig();
    a.drv.init();
    a.dev.setTarget(HALF);
    a.drv.pfns(BALLOON_INFLATE, range(HALF, HALF).map(pfnOf));
    a.drv.setActual(HALF);
    a.drv.pfns(BALLOON_INFLATE, [pfnOf(1000)]); // one invalid
    a.drv.interrupt();
    const saved: SnapObject = { ram: a.ram.save(), t: a.t.save() };

    const b = rig();
    b.ram.restore(saved.ram as SnapObject);
    b.t.restore(saved.t as SnapObject);
    expect(b.unmaps).toHaveLength(1); // the restore flushed the TLBs of the pages it freed
    expect(b.pool.free).toBe(HALF);
    for (let g = 0; g < PAGES; g++) expect(b.ram.p2m[g] === NO_FRAME).toBe(g >= HALF);
    expect(b.ram.unmapped).toBe(HALF);
    expect(b.dev.metrics()).toEqual(a.dev.metrics());
    expect(b.dev.stats()).toEqual(a.dev.stats());
    expect(b.drv.numPages()).toBe(HALF);
    expect(b.drv.rd(0x104)).toBe(HALF);
    // The held stats buffer goes back from the restored device.
    const drv = new Driver(b.t, b.ram);
    drv.copyStateFrom(a.drv);
    expect(b.dev.requestStats()).toBe(true);
    drv.interrupt();
    expect(drv.used[BALLOON_STATS]).toEqual([[0, 0]]);
    // And the balloon goes on: deflate what was inflated before the snapshot.
    drv.pfns(BALLOON_DEFLATE, range(HALF, 4).map(pfnOf));
    expect(b.dev.metrics()).toMatchObject({ deflatedPages: 4, balloonPages: HALF - 4 });
    expect(b.t.needsResetReason).toBeNull();
  });
});
