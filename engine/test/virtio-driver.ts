import { REG, STATUS, type VirtioMmio } from '../src/devices/virtio/mmio.ts';
import { vringNeedEvent } from '../src/devices/virtio/queue.ts';
import type { GuestRam } from '../src/memory/guest-ram.ts';

/**
 * A hand-written virtio driver for tests, as Linux's would behave: it writes descriptors
 * and rings in a real GuestRam and talks to the device only through the virtio-mmio
 * registers. Device tests build on it (console, net, ...): it does the handshake, queue
 * setup, publishing and kicking (honouring NO_NOTIFY and avail_event), reaping used rings
 * (re-arming used_event with EVENT_IDX) and interrupt acknowledgement; what buffers mean
 * is the device test's business.
 */

export const VIRTQ_DESC_F_NEXT = 1;
export const VIRTQ_DESC_F_WRITE = 2;
export const VIRTQ_DESC_F_INDIRECT = 4;
export const VIRTIO_F_INDIRECT_DESC = 28;
export const VIRTIO_F_EVENT_IDX = 29;

/** Where one queue's rings live in guest RAM. */
export interface RingLayout {
  size: number;
  desc: number;
  avail: number;
  used: number;
}

/** One used element. */
export interface Used {
  id: number;
  len: number;
}

export interface DriverOptions {
  /** Negotiate EVENT_IDX (if offered). Default true. */
  eventIdx?: boolean;
  /** Negotiate INDIRECT_DESC (if offered). Default true. */
  indirect?: boolean;
  /**
   * After reaping, set used_event to the next used index (interrupt me for the next one).
   * Default true; a driver batching TX completions may leave it behind instead.
   */
  rearm?: boolean;
}

export class VirtioTestDriver {
  readonly t: VirtioMmio;
  readonly ram: GuestRam;
  readonly rings: readonly RingLayout[];
  eventIdx: boolean;
  indirect: boolean;
  rearm: boolean;
  /** The driver's avail idx and last seen used idx, per queue (free-running u16). */
  availIdx: number[];
  lastUsed: number[];
  /** Notifications actually written (after suppression). */
  kicks = 0;
  /** Notifications the device's suppression saved. */
  kicksSuppressed = 0;
  /** Device-specific feature bits negotiated (bits 0..31). */
  features = 0;

  constructor(t: VirtioMmio, ram: GuestRam, rings: readonly RingLayout[], o: DriverOptions = {}) {
    this.t = t;
    this.ram = ram;
    this.rings = rings;
    this.eventIdx = o.eventIdx ?? true;
    this.indirect = o.indirect ?? true;
    this.rearm = o.rearm ?? true;
    this.availIdx = rings.map(() => 0);
    this.lastUsed = rings.map(() => 0);
  }

  /** Take over another driver's software state (after a snapshot is restored elsewhere). */
  copyStateFrom(d: VirtioTestDriver): void {
    this.eventIdx = d.eventIdx;
    this.indirect = d.indirect;
    this.rearm = d.rearm;
    this.availIdx = [...d.availIdx];
    this.lastUsed = [...d.lastUsed];
    this.kicks = d.kicks;
    this.kicksSuppressed = d.kicksSuppressed;
    this.features = d.features;
  }

  /* ---- Registers and guest memory. ---- */

  rd(off: number): number {
    return this.t.read(off, 4) >>> 0;
  }
  wr(off: number, v: number): void {
    this.t.write(off, 4, v);
  }
  w16(pa: number, v: number): void {
    this.ram.write(pa, new Uint8Array([v & 0xff, (v >>> 8) & 0xff]));
  }
  r16(pa: number): number {
    const b = this.ram.read(pa, 2)!;
    return b[0] | (b[1] << 8);
  }
  r32(pa: number): number {
    const b = this.ram.read(pa, 4)!;
    return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
  }
  /** Write a descriptor at guest address `pa` (a table slot or an indirect table entry). */
  descAt(pa: number, addr: number, len: number, flags: number, next = 0): void {
    const b = new Uint8Array(16);
    const v = new DataView(b.buffer);
    v.setUint32(0, addr >>> 0, true);
    v.setUint32(8, len >>> 0, true);
    v.setUint16(12, flags, true);
    v.setUint16(14, next, true);
    this.ram.write(pa, b);
  }
  /** Descriptor `i` of queue `q`'s table. */
  desc(q: number, i: number, addr: number, len: number, flags: number, next = 0): void {
    this.descAt(this.rings[q].desc + 16 * i, addr, len, flags, next);
  }

  /* ---- Initialization. ---- */

  /**
   * The spec's sequence: reset, ACKNOWLEDGE, DRIVER, features (the device bits in
   * `wantLo` that it offers, plus EVENT_IDX / INDIRECT_DESC as configured, plus
   * VERSION_1), FEATURES_OK, every queue, DRIVER_OK. Throws if the device refuses.
   * `beforeDriverOk`, if given, runs once the queues are live but before DRIVER_OK (a
   * driver posting buffers at probe, as Linux's balloon does with its stats buffer).
   */
  init(deviceId: number, wantLo: number, beforeDriverOk?: () => void): void {
    if (this.rd(REG.magic) !== 0x74726976) throw new Error('bad magic');
    if (this.rd(REG.deviceId) !== deviceId) throw new Error(`not device ${deviceId}`);
    this.wr(REG.status, 0);
    this.wr(REG.status, STATUS.acknowledge);
    this.wr(REG.status, STATUS.acknowledge | STATUS.driver);
    this.wr(REG.deviceFeaturesSel, 0);
    const lo = this.rd(REG.deviceFeatures);
    this.wr(REG.deviceFeaturesSel, 1);
    if ((this.rd(REG.deviceFeatures) & 1) === 0) throw new Error('no VERSION_1');
    this.eventIdx &&= ((lo >>> VIRTIO_F_EVENT_IDX) & 1) === 1;
    this.indirect &&= ((lo >>> VIRTIO_F_INDIRECT_DESC) & 1) === 1;
    const ring =
      (this.eventIdx ? 1 << VIRTIO_F_EVENT_IDX : 0) |
      (this.indirect ? 1 << VIRTIO_F_INDIRECT_DESC : 0);
    this.features = lo & wantLo & ~((1 << VIRTIO_F_EVENT_IDX) | (1 << VIRTIO_F_INDIRECT_DESC));
    this.wr(REG.driverFeaturesSel, 0);
    this.wr(REG.driverFeatures, (this.features | ring) >>> 0);
    this.wr(REG.driverFeaturesSel, 1);
    this.wr(REG.driverFeatures, 1); // VERSION_1
    this.wr(REG.status, STATUS.acknowledge | STATUS.driver | STATUS.featuresOk);
    if ((this.rd(REG.status) & STATUS.featuresOk) === 0) throw new Error('features refused');
    this.rings.forEach((r, q) => {
      this.ram.write(r.desc, new Uint8Array(16 * r.size));
      this.ram.write(r.avail, new Uint8Array(6 + 2 * r.size));
      this.ram.write(r.used, new Uint8Array(6 + 8 * r.size));
      this.wr(REG.queueSel, q);
      if (this.rd(REG.queueReady) !== 0) throw new Error(`queue ${q} already ready`);
      if (this.rd(REG.queueNumMax) < r.size) throw new Error(`queue ${q} is too small`);
      this.wr(REG.queueNum, r.size);
      this.wr(REG.queueDescLow, r.desc);
      this.wr(REG.queueDriverLow, r.avail);
      this.wr(REG.queueDeviceLow, r.used);
      this.wr(REG.queueReady, 1);
      this.availIdx[q] = 0;
      this.lastUsed[q] = 0;
    });
    beforeDriverOk?.();
    this.wr(REG.status, this.rd(REG.status) | STATUS.driverOk);
    if ((this.rd(REG.status) & STATUS.driverOk) === 0) throw new Error('DRIVER_OK refused');
  }

  /* ---- The available side. ---- */

  /** Put `head` in the available ring (not yet visible: see expose). */
  offer(q: number, head: number): void {
    const r = this.rings[q];
    this.w16(r.avail + 4 + 2 * (this.availIdx[q] % r.size), head);
    this.availIdx[q] = (this.availIdx[q] + 1) & 0xffff;
  }

  /** Make offered heads visible (avail.idx); returns the previous idx for kick(). */
  expose(q: number, old: number): number {
    this.w16(this.rings[q].avail + 2, this.availIdx[q]);
    return old;
  }

  /** offer + expose one head; returns the old idx. */
  publish(q: number, head: number): number {
    const old = this.availIdx[q];
    this.offer(q, head);
    return this.expose(q, old);
  }

  /** Notify unless the device asked not to be (NO_NOTIFY, or avail_event not crossed). */
  kick(q: number, old: number): boolean {
    const r = this.rings[q];
    const now = this.availIdx[q];
    const need = this.eventIdx
      ? vringNeedEvent(this.r16(r.used + 4 + 8 * r.size), now, old)
      : (this.r16(r.used) & 1) === 0;
    if (!need) {
      this.kicksSuppressed++;
      return false;
    }
    this.kicks++;
    this.wr(REG.queueNotify, q);
    return true;
  }

  /** avail.flags (bit 0: NO_INTERRUPT, used without EVENT_IDX). */
  setAvailFlags(q: number, flags: number): void {
    this.w16(this.rings[q].avail, flags);
  }

  /** used_event (EVENT_IDX): interrupt me when the used idx passes this. */
  setUsedEvent(q: number, v: number): void {
    const r = this.rings[q];
    this.w16(r.avail + 4 + 2 * r.size, v & 0xffff);
  }

  /* ---- The used side. ---- */

  /** The device's used idx. */
  usedIdx(q: number): number {
    return this.r16(this.rings[q].used + 2);
  }

  /** Take the used elements published since the last call; re-arm used_event if configured. */
  reap(q: number): Used[] {
    const r = this.rings[q];
    const idx = this.usedIdx(q);
    const out: Used[] = [];
    while (this.lastUsed[q] !== idx) {
      const slot = r.used + 4 + 8 * (this.lastUsed[q] % r.size);
      out.push({ id: this.r32(slot), len: this.r32(slot + 4) });
      this.lastUsed[q] = (this.lastUsed[q] + 1) & 0xffff;
    }
    if (this.eventIdx && this.rearm) this.setUsedEvent(q, this.lastUsed[q]);
    return out;
  }

  /** The interrupt handler's first half: read InterruptStatus and acknowledge it. */
  ack(): number {
    const status = this.rd(REG.interruptStatus);
    if (status !== 0) this.wr(REG.interruptAck, status);
    return status;
  }
}
