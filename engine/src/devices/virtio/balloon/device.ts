import type { GuestRam } from '../../../memory/guest-ram.ts';
import {
  SnapshotError,
  snapBytes,
  snapFloat64s,
  snapNumber,
  type SnapObject,
} from '../../../snapshot/persist.ts';
import type { FeatureWords, QueueSpec, VirtioContext, VirtioDeviceModel } from '../device.ts';
import type { SplitQueue } from '../queue.ts';

/**
 * virtio-balloon (device id 5, reference/virtio.md §6): the host asks the guest for memory
 * back, and the guest's statistics come to the host. Queue 0 is the inflateq, 1 the
 * deflateq, 2 the statsq. Features offered: STATS_VQ and DEFLATE_ON_OOM (the guest may
 * take pages back when it runs out of memory, without asking); not MUST_TELL_HOST, so the
 * guest may use a deflated page before it tells the host.
 *
 * Memory (DESIGN §4): guest RAM is a gfn -> frame map over the host frame pool.
 * - Inflate: every PFN (le32, guest-physical address >> 12) of a chain leaves the VM's map
 *   and its frame goes back to the pool (GuestRam.unmapAll: one TLB flush per chain).
 * - Deflate: the pages leave the balloon but stay without a frame. The next touch by a
 *   vCPU is a gstage_fault exit that maps a zeroed frame (Hypervisor.gstageFault), so a
 *   deflated page always comes back as zeros, and only the pages the guest really uses
 *   take frames again. (A page in the balloon that the guest touches anyway comes back the
 *   same way: the guest cannot reach a frame that is not its own.)
 * A PFN outside this VM's RAM, one already in the balloon (inflate), one not in it
 * (deflate), and a trailing partial PFN are ignored and counted in invalidPfns: a buggy or
 * hostile driver gets nothing, and the device goes on.
 *
 * Config space: num_pages le32 @0, the host's target balloon size in 4 KiB pages (set with
 * setTarget, which raises a config interrupt), and actual le32 @4, written by the driver
 * when it has inflated or deflated. The device never changes actual itself.
 *
 * Stats: the driver posts one buffer of {le16 tag, le64 value} entries; the device keeps
 * the latest value of every tag it knows (0..15; others are ignored) and holds the buffer.
 * requestStats() gives it back, which makes the driver refill it and post it again.
 *
 * Reset (Status 0) forgets the balloon: every page is the guest's again (frameless ones
 * come back on touch), actual is 0 and a held stats buffer is dropped. The target, the
 * latest stats and the counters are the host's and stay.
 */
export const VIRTIO_BALLOON_F_MUST_TELL_HOST = 0;
export const VIRTIO_BALLOON_F_STATS_VQ = 1;
export const VIRTIO_BALLOON_F_DEFLATE_ON_OOM = 2;
export const BALLOON_INFLATE = 0;
export const BALLOON_DEFLATE = 1;
export const BALLOON_STATS = 2;
/** Config space: num_pages le32 @0, actual le32 @4 (the hint and poison fields are not offered). */
export const BALLOON_CONFIG_SIZE = 8;
/** Balloon PFNs are always in 4 KiB units, whatever the guest's page size. */
export const BALLOON_PFN_SHIFT = 12;

/** Stat names by tag (VIRTIO_BALLOON_S_*, Linux's uapi order); the spec has 0..9. */
export const BALLOON_STAT_NAMES = [
  'swap_in',
  'swap_out',
  'majflt',
  'minflt',
  'memfree',
  'memtot',
  'avail',
  'caches',
  'htlb_pgalloc',
  'htlb_pgfail',
  'oom_kills',
  'alloc_stalls',
  'async_scans',
  'direct_scans',
  'async_reclaims',
  'direct_reclaims',
] as const;
export type BalloonStatName = (typeof BALLOON_STAT_NAMES)[number];
export const STAT_SWAP_IN = 0;
export const STAT_SWAP_OUT = 1;
export const STAT_MAJFLT = 2;
export const STAT_MINFLT = 3;
export const STAT_MEMFREE = 4;
export const STAT_MEMTOT = 5;
export const STAT_AVAIL = 6;
/** Bytes of one stats entry: le16 tag, le64 value, packed. */
export const STAT_ENTRY_SIZE = 10;

export interface VirtioBalloonOptions {
  /** QueueNumMax of the three queues (a power of two); default 128, as QEMU. */
  queueSize?: number;
}

/** The balloon's counters: its metrics (with actual, target, balloonPages), saved with it. */
const COUNTERS = [
  'inflatedPages',
  'deflatedPages',
  'framesReleased',
  'invalidPfns',
  'statsUpdates',
  'statsRequests',
] as const;

/** No stats buffer held. */
const NO_HEAD = -1;

export class VirtioBalloon implements VirtioDeviceModel {
  readonly deviceId = 5;
  readonly kind = 'balloon';
  readonly queues: readonly QueueSpec[];
  readonly features: FeatureWords = {
    lo: (1 << VIRTIO_BALLOON_F_STATS_VQ) | (1 << VIRTIO_BALLOON_F_DEFLATE_ON_OOM),
    hi: 0,
  };
  readonly configSize = BALLOON_CONFIG_SIZE;
  /** Set by the transport that drives this device. */
  private ctx: VirtioContext | null = null;
  private ram: GuestRam | null = null;
  /** 1 for each page (gfn) the driver put in the balloon and has not taken back. */
  private inBalloon = new Uint8Array(0);
  private balloonPages = 0;
  /** The host's target (num_pages) and the driver's actual, in 4 KiB pages. */
  private target = 0;
  private actual = 0;
  /** The stats buffer the device holds (its head), or NO_HEAD. */
  private statsHead = NO_HEAD;
  /** The latest value of each stat tag, NaN until the guest reported it. */
  private readonly statValues = new Float64Array(BALLOON_STAT_NAMES.length).fill(NaN);
  /** Bounce buffer for PFN arrays and stats (a multiple of 4 and of STAT_ENTRY_SIZE). */
  private readonly buf = new Uint8Array(4000);
  private readonly gfns: number[] = [];

  /* Metrics. */
  /** Pages put in the balloon (valid inflate PFNs). */
  private inflatedPages = 0;
  /** Pages taken out of the balloon (valid deflate PFNs). */
  private deflatedPages = 0;
  /** Frames that went back to the host pool on inflation. */
  private framesReleased = 0;
  /** PFNs ignored: outside RAM, repeated, not in the balloon, or a trailing partial one. */
  private invalidPfns = 0;
  /** Stats buffers received. */
  private statsUpdates = 0;
  /** Stats buffers given back to ask for fresh stats. */
  private statsRequests = 0;

  constructor(options: VirtioBalloonOptions = {}) {
    const size = options.queueSize ?? 128;
    this.queues = [
      { name: 'inflateq', maxSize: size },
      { name: 'deflateq', maxSize: size },
      { name: 'statsq', maxSize: size },
    ];
  }

  attach(ctx: VirtioContext): void {
    this.ctx = ctx;
    this.ram = ctx.ram;
    this.inBalloon = new Uint8Array(ctx.ram.pages);
    this.balloonPages = 0;
  }

  /**
   * The host's target balloon size in 4 KiB pages (0 .. the VM's RAM pages): the guest
   * inflates or deflates toward it. A change raises a config interrupt (once the driver
   * is up; a driver that comes later reads it at start).
   */
  setTarget(pages: number): void {
    const max = this.ram?.pages ?? 0;
    if (!Number.isInteger(pages) || pages < 0 || pages > max) {
      throw new RangeError(`balloon target ${pages} pages is out of range (0..${max})`);
    }
    if (pages === this.target) return;
    this.target = pages;
    this.ctx?.configChanged();
  }

  /** The host's target, in pages. */
  get targetPages(): number {
    return this.target;
  }

  /** The balloon size the driver last reported (config `actual`), in pages. */
  get actualPages(): number {
    return this.actual;
  }

  /** Pages in the balloon as the device counts them (inflated, not deflated). */
  get pagesInBalloon(): number {
    return this.balloonPages;
  }

  /**
   * Ask the guest for fresh stats: give back the stats buffer the device holds, which
   * makes the driver refill and re-post it. False if there is none to give back (no
   * STATS_VQ, the driver has not posted one, or a request is already out).
   */
  requestStats(): boolean {
    const ctx = this.ctx;
    const q = ctx?.queue(BALLOON_STATS) ?? null;
    if (ctx === null || q === null || this.statsHead === NO_HEAD) return false;
    if (!this.heldIsLive(q)) {
      this.statsHead = NO_HEAD; // the queue was reset under it
      return false;
    }
    const head = this.statsHead;
    this.statsHead = NO_HEAD;
    if (!q.push(head, 0)) return false;
    this.statsRequests++;
    ctx.signalUsed(BALLOON_STATS);
    return true;
  }

  /** The latest guest stats by name (BALLOON_STAT_NAMES); only the tags the guest sent. */
  stats(): Partial<Record<BalloonStatName, number>> {
    const out: Partial<Record<BalloonStatName, number>> = {};
    BALLOON_STAT_NAMES.forEach((name, tag) => {
      const v = this.statValues[tag];
      if (!Number.isNaN(v)) out[name] = v;
    });
    return out;
  }

  configRead(off: number, size: number): number {
    let v = 0;
    for (let k = 0; k < size; k++) v |= this.configByte(off + k) << (8 * k);
    return v >>> 0;
  }

  configWrite(off: number, size: number, value: number): void {
    // Only actual (bytes 4..7) is the driver's to write; num_pages is the host's.
    let actual = this.actual;
    for (let k = 0; k < size; k++) {
      const at = off + k - 4;
      if (at < 0 || at > 3) continue;
      const byte = (value >>> (8 * k)) & 0xff;
      actual = (actual & ~(0xff << (8 * at))) | (byte << (8 * at));
    }
    this.actual = actual >>> 0;
  }

  activate(): void {
    // Linux posts its first stats buffer (and kicks) before DRIVER_OK: look now.
    this.drainPfns(BALLOON_INFLATE);
    this.drainPfns(BALLOON_DEFLATE);
    this.receiveStats();
  }

  notify(index: number): void {
    if (index === BALLOON_INFLATE || index === BALLOON_DEFLATE) this.drainPfns(index);
    else if (index === BALLOON_STATS) this.receiveStats();
  }

  reset(): void {
    this.inBalloon.fill(0);
    this.balloonPages = 0;
    this.actual = 0;
    this.statsHead = NO_HEAD;
  }

  metrics(): Record<string, number> {
    return {
      ...Object.fromEntries(COUNTERS.map((k) => [k, this[k]])),
      actual: this.actual,
      target: this.target,
      balloonPages: this.balloonPages,
    };
  }

  save(): SnapObject {
    return {
      target: this.target,
      actual: this.actual,
      statsHead: this.statsHead,
      inBalloon: Uint8Array.from(this.inBalloon),
      statValues: Float64Array.from(this.statValues),
      counters: Float64Array.from(COUNTERS, (k) => this[k]),
    };
  }

  restore(s: SnapObject): void {
    const target = snapNumber(s, 'target');
    const actual = snapNumber(s, 'actual');
    const statsHead = snapNumber(s, 'statsHead');
    const inBalloon = snapBytes(s, 'inBalloon', this.inBalloon.length);
    const statValues = snapFloat64s(s, 'statValues', this.statValues.length);
    const counters = snapFloat64s(s, 'counters', COUNTERS.length);
    if (!Number.isInteger(target) || target < 0 || target > this.inBalloon.length) {
      throw new SnapshotError(`virtio balloon: target ${target} out of range`);
    }
    if (actual !== actual >>> 0) throw new SnapshotError(`virtio balloon: actual ${actual}`);
    if (statsHead !== NO_HEAD && !(Number.isInteger(statsHead) && statsHead >= 0)) {
      throw new SnapshotError(`virtio balloon: stats buffer head ${statsHead}`);
    }
    this.target = target;
    this.actual = actual;
    this.statsHead = statsHead;
    this.inBalloon.set(inBalloon);
    this.balloonPages = inBalloon.reduce((n, b) => n + (b !== 0 ? 1 : 0), 0);
    this.statValues.set(statValues);
    COUNTERS.forEach((k, i) => (this[k] = counters[i]));
  }

  private configByte(i: number): number {
    const word = i < 4 ? this.target : this.actual;
    return (word >>> (8 * (i & 3))) & 0xff;
  }

  /** Inflate or deflate every chain on queue `index`, at most one ring's worth per call. */
  private drainPfns(index: number): void {
    const ctx = this.ctx;
    const ram = this.ram;
    const q = ctx?.queue(index) ?? null;
    if (ctx === null || ram === null || q === null) return;
    const inflate = index === BALLOON_INFLATE;
    const buf = this.buf;
    const gfns = this.gfns;
    const base = ram.base / 2 ** BALLOON_PFN_SHIFT;
    let done = 0;
    for (let n = 0; n < q.size; n++) {
      const c = q.pop();
      if (c === null) break;
      if (typeof c === 'string') return; // the transport already set DEVICE_NEEDS_RESET
      // Read the whole PFN array before any page leaves: it may list its own pages.
      gfns.length = 0;
      const bytes = c.readableBytes;
      for (let at = 0; at + 4 <= bytes;) {
        const k = c.read(buf, at, Math.min(buf.length, (bytes - at) & ~3));
        if (k <= 0) {
          ctx.needsReset(`${q.name}: chain from head ${c.head} lost its memory`);
          return;
        }
        for (let i = 0; i + 4 <= k; i += 4) {
          const pfn = (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24)) >>> 0;
          this.pfn(pfn - base, inflate);
        }
        at += k;
      }
      if (bytes % 4 !== 0) this.invalidPfns++;
      if (inflate && gfns.length > 0) this.framesReleased += ram.unmapAll(gfns);
      if (!q.push(c.head, 0)) return;
      done++;
    }
    if (done > 0) ctx.signalUsed(index);
  }

  /** One PFN, as page `gfn` of this VM's RAM (any number: checked here). */
  private pfn(gfn: number, inflate: boolean): void {
    if (!(gfn >= 0 && gfn < this.inBalloon.length)) {
      this.invalidPfns++;
      return;
    }
    if (inflate) {
      if (this.inBalloon[gfn]) this.invalidPfns++;
      else {
        this.inBalloon[gfn] = 1;
        this.balloonPages++;
        this.inflatedPages++;
      }
      // Even a repeated PFN gives back a frame the guest touched since: it is the host's.
      if (this.ram?.isBacked(gfn)) this.gfns.push(gfn);
    } else if (!this.inBalloon[gfn]) this.invalidPfns++;
    else {
      // The page stays without a frame: the guest's next touch maps a zeroed one.
      this.inBalloon[gfn] = 0;
      this.balloonPages--;
      this.deflatedPages++;
    }
  }

  /** Take the stats buffers the driver posted; hold the last one. */
  private receiveStats(): void {
    const ctx = this.ctx;
    const q = ctx?.queue(BALLOON_STATS) ?? null;
    if (ctx === null || q === null) return;
    let returned = 0;
    for (let n = 0; n < q.size; n++) {
      // A held buffer from before a queue reset is gone with it.
      if (this.statsHead !== NO_HEAD && !this.heldIsLive(q)) this.statsHead = NO_HEAD;
      const c = q.pop();
      if (c === null) break;
      if (typeof c === 'string') return;
      // A driver that follows the spec has one buffer; give an older one back (as QEMU).
      if (this.statsHead !== NO_HEAD) {
        if (!q.push(this.statsHead, 0)) return;
        returned++;
      }
      this.statsHead = c.head;
      const buf = this.buf;
      const bytes = c.readableBytes - (c.readableBytes % STAT_ENTRY_SIZE);
      for (let at = 0; at < bytes;) {
        const k = c.read(buf, at, Math.min(buf.length, bytes - at));
        if (k <= 0) {
          ctx.needsReset(`statsq: chain from head ${c.head} lost its memory`);
          return;
        }
        for (let i = 0; i + STAT_ENTRY_SIZE <= k; i += STAT_ENTRY_SIZE) {
          const tag = buf[i] | (buf[i + 1] << 8);
          if (tag >= this.statValues.length) continue; // unknown tags are ignored
          const lo =
            (buf[i + 2] | (buf[i + 3] << 8) | (buf[i + 4] << 16) | (buf[i + 5] << 24)) >>> 0;
          const hi =
            (buf[i + 6] | (buf[i + 7] << 8) | (buf[i + 8] << 16) | (buf[i + 9] << 24)) >>> 0;
          // Exact below 2^53 (8 PiB of memory); beyond, the nearest double.
          this.statValues[tag] = hi * 2 ** 32 + lo;
        }
        at += k;
      }
      this.statsUpdates++;
    }
    if (returned > 0) ctx.signalUsed(BALLOON_STATS);
  }

  /**
   * Whether the held stats head still belongs to the live queue. The device completes
   * every other statsq chain at once, so while it holds one, exactly one chain is popped
   * and not used; a queue reset (QueueReady 0, then set up again) zeroes both indices.
   */
  private heldIsLive(q: SplitQueue): boolean {
    return ((q.lastAvail - q.nextUsed) & 0xffff) === 1 && this.statsHead < q.size;
  }
}
