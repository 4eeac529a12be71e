import type { MmioDevice } from '../../machine/bus.ts';
import type { GuestRam } from '../../memory/guest-ram.ts';
import {
  SnapshotError,
  isSnapObject,
  snapArray,
  snapBool,
  snapNumber,
  snapObject,
  type Persistent,
  type SnapObject,
} from '../../snapshot/persist.ts';
import {
  VIRTIO_F_EVENT_IDX,
  VIRTIO_F_INDIRECT_DESC,
  VIRTIO_F_VERSION_1,
  type FeatureWords,
  type VirtioContext,
  type VirtioDeviceModel,
} from './device.ts';
import { SplitQueue } from './queue.ts';

/**
 * The virtio-mmio transport, version 2 (reference/virtio.md §1), in front of one device
 * model (device.ts). It owns the registers, the status handshake and feature negotiation,
 * the queues (queue.ts) and the level-triggered interrupt line: high while
 * InterruptStatus != 0.
 *
 * Nothing a guest writes makes it throw. A broken ring or a refused queue layout sets
 * DEVICE_NEEDS_RESET (status bit 64), raises a config-change interrupt, records the reason
 * and stops the device until the driver writes Status 0.
 *
 * Decisions where the spec leaves room: status bits only accumulate (a non-zero write
 * cannot clear one; Status 0 resets); DriverFeatures is frozen once FEATURES_OK is
 * accepted; kicks before DRIVER_OK are counted and dropped; a queue's registers are
 * copied into the live queue when QueueReady goes to 1, so later writes to them do not
 * move a live ring; ConfigGeneration survives a reset.
 */
export const VIRTIO_MMIO_MAGIC = 0x74726976; // "virt"
export const VIRTIO_MMIO_VENDOR = 0x554d4551; // "QEMU", as QEMU's virt board reports

export const REG = {
  magic: 0x000,
  version: 0x004,
  deviceId: 0x008,
  vendorId: 0x00c,
  deviceFeatures: 0x010,
  deviceFeaturesSel: 0x014,
  driverFeatures: 0x020,
  driverFeaturesSel: 0x024,
  queueSel: 0x030,
  queueNumMax: 0x034,
  queueNum: 0x038,
  queueReady: 0x044,
  queueNotify: 0x050,
  interruptStatus: 0x060,
  interruptAck: 0x064,
  status: 0x070,
  queueDescLow: 0x080,
  queueDescHigh: 0x084,
  queueDriverLow: 0x090,
  queueDriverHigh: 0x094,
  queueDeviceLow: 0x0a0,
  queueDeviceHigh: 0x0a4,
  shmSel: 0x0ac,
  shmLenLow: 0x0b0,
  shmLenHigh: 0x0b4,
  shmBaseLow: 0x0b8,
  shmBaseHigh: 0x0bc,
  configGeneration: 0x0fc,
  config: 0x100,
} as const;

export const STATUS = {
  acknowledge: 1,
  driver: 2,
  driverOk: 4,
  featuresOk: 8,
  needsReset: 64,
  failed: 128,
} as const;

/** InterruptStatus bits. */
export const INT_USED = 1;
export const INT_CONFIG = 2;

/** Ring features the transport implements, offered with every device's own. */
const TRANSPORT_FEATURES_LO = (1 << VIRTIO_F_INDIRECT_DESC) | (1 << VIRTIO_F_EVENT_IDX);
const TRANSPORT_FEATURES_HI = 1 << (VIRTIO_F_VERSION_1 - 32);

/** Per queue: the registers the driver writes before QueueReady. */
interface QueueRegs {
  num: number;
  descLo: number;
  descHi: number;
  driverLo: number;
  driverHi: number;
  deviceLo: number;
  deviceHi: number;
  ready: number;
}

const QUEUE_REG_KEYS = [
  'num',
  'descLo',
  'descHi',
  'driverLo',
  'driverHi',
  'deviceLo',
  'deviceHi',
  'ready',
] as const;

export class VirtioMmio implements MmioDevice, Persistent<SnapObject> {
  readonly name: string;
  readonly device: VirtioDeviceModel;
  /** The live queues, in queue-index order (inspect only; the device uses ctx.queue). */
  readonly queues: readonly SplitQueue[];
  private readonly irq: (level: boolean) => void;
  private readonly regs: QueueRegs[];
  private readonly offeredLo: number;
  private readonly offeredHi: number;

  private status = 0;
  private deviceFeaturesSel = 0;
  private driverFeaturesSel = 0;
  private driverLo = 0;
  private driverHi = 0;
  /** The driver wrote a non-zero word beyond bit 63: it can never be accepted. */
  private driverExtra = false;
  private queueSel = 0;
  private interruptStatus = 0;
  private configGeneration = 0;
  private line = false;
  private reason: string | null = null;

  /* Metrics. */
  private readonly kicks: number[];
  private interrupts = 0;
  private interruptsSuppressed = 0;
  private configInterrupts = 0;
  private irqRaises = 0;
  private resets = 0;
  private needsResets = 0;
  private featureRefusals = 0;
  private lastReason: string | null = null;

  /**
   * `irq` drives this slot's PLIC line (level-triggered); it is called only when the level
   * changes.
   */
  constructor(
    name: string,
    ram: GuestRam,
    device: VirtioDeviceModel,
    irq: (level: boolean) => void = () => {},
  ) {
    this.name = name;
    this.device = device;
    this.irq = irq;
    const maxChainBytes = device.maxChainBytes;
    this.queues = device.queues.map(
      (spec) =>
        new SplitQueue(
          ram,
          spec.name,
          spec.maxSize,
          (reason) => this.needsReset(`queue ${spec.name}: ${reason}`),
          maxChainBytes,
        ),
    );
    this.regs = device.queues.map(() => emptyRegs());
    this.kicks = device.queues.map(() => 0);
    this.offeredLo = (device.features.lo | TRANSPORT_FEATURES_LO) >>> 0;
    this.offeredHi = (device.features.hi | TRANSPORT_FEATURES_HI) >>> 0;
    const ctx: VirtioContext = {
      ram,
      isActive: () => this.active,
      queue: (i) => this.liveQueue(i),
      hasFeature: (bit) => this.driverHas(bit),
      signalUsed: (i) => this.signalUsed(i),
      configChanged: () => this.configChanged(),
      needsReset: (reason) => this.needsReset(`${device.kind}: ${reason}`),
    };
    device.attach(ctx);
  }

  /** DRIVER_OK set and no DEVICE_NEEDS_RESET. */
  get active(): boolean {
    return (this.status & (STATUS.driverOk | STATUS.needsReset)) === STATUS.driverOk;
  }

  /** The current interrupt line level. */
  get irqLevel(): boolean {
    return this.line;
  }

  /** Why the device is in DEVICE_NEEDS_RESET, or null. */
  get needsResetReason(): string | null {
    return this.reason;
  }

  /** The last needs-reset reason since the transport was built (kept across resets). */
  get lastNeedsResetReason(): string | null {
    return this.lastReason;
  }

  get driverFeatures(): FeatureWords {
    return { lo: this.driverLo, hi: this.driverHi };
  }

  read(off: number, size: number): number {
    if (off >= REG.config) return this.configRead(off - REG.config, size);
    if (size !== 4 || off & 3) return 0;
    switch (off) {
      case REG.magic:
        return VIRTIO_MMIO_MAGIC;
      case REG.version:
        return 2;
      case REG.deviceId:
        return this.device.deviceId;
      case REG.vendorId:
        return VIRTIO_MMIO_VENDOR;
      case REG.deviceFeatures:
        return this.deviceFeaturesSel === 0
          ? this.offeredLo
          : this.deviceFeaturesSel === 1
            ? this.offeredHi
            : 0;
      case REG.queueNumMax:
        return this.queueSel < this.queues.length ? this.queues[this.queueSel].maxSize : 0;
      case REG.queueReady:
        return this.queueSel < this.queues.length ? this.regs[this.queueSel].ready : 0;
      case REG.interruptStatus:
        return this.interruptStatus;
      case REG.status:
        return this.status;
      case REG.shmLenLow:
      case REG.shmLenHigh:
      case REG.shmBaseLow:
      case REG.shmBaseHigh:
        return 0xffff_ffff; // no shared memory regions
      case REG.configGeneration:
        return this.configGeneration;
      default:
        return 0;
    }
  }

  write(off: number, size: number, value: number): void {
    if (off >= REG.config) {
      this.configWrite(off - REG.config, size, value);
      return;
    }
    if (size !== 4 || off & 3) return;
    const v = value >>> 0;
    const q = this.queueSel < this.queues.length ? this.regs[this.queueSel] : null;
    switch (off) {
      case REG.deviceFeaturesSel:
        this.deviceFeaturesSel = v;
        return;
      case REG.driverFeatures:
        if (this.status & STATUS.featuresOk) return; // frozen once accepted
        if (this.driverFeaturesSel === 0) this.driverLo = v;
        else if (this.driverFeaturesSel === 1) this.driverHi = v;
        else if (v !== 0) this.driverExtra = true;
        return;
      case REG.driverFeaturesSel:
        this.driverFeaturesSel = v;
        return;
      case REG.queueSel:
        this.queueSel = v;
        return;
      case REG.queueNum:
        if (q) q.num = v;
        return;
      case REG.queueReady:
        if (q) this.setReady(this.queueSel, v);
        return;
      case REG.queueNotify:
        this.notify(v);
        return;
      case REG.interruptAck:
        this.interruptStatus &= ~v;
        this.updateLine();
        return;
      case REG.status:
        if (v === 0) this.reset();
        else this.setStatus(v & 0xff); // bits 8..31 are reserved
        return;
      case REG.queueDescLow:
        if (q) q.descLo = v;
        return;
      case REG.queueDescHigh:
        if (q) q.descHi = v;
        return;
      case REG.queueDriverLow:
        if (q) q.driverLo = v;
        return;
      case REG.queueDriverHigh:
        if (q) q.driverHi = v;
        return;
      case REG.queueDeviceLow:
        if (q) q.deviceLo = v;
        return;
      case REG.queueDeviceHigh:
        if (q) q.deviceHi = v;
        return;
    }
  }

  /** The transport's counters merged with the device's. */
  metrics(): Record<string, number> {
    const m: Record<string, number> = {
      kicks: this.kicks.reduce((a, b) => a + b, 0),
    };
    this.queues.forEach((q, i) => (m[`kicks.${q.name}`] = this.kicks[i]));
    m.interrupts = this.interrupts;
    m.interruptsSuppressed = this.interruptsSuppressed;
    m.configInterrupts = this.configInterrupts;
    m.irqRaises = this.irqRaises;
    m.resets = this.resets;
    m.needsResets = this.needsResets;
    m.featureRefusals = this.featureRefusals;
    return { ...m, ...this.device.metrics() };
  }

  /** Enter DEVICE_NEEDS_RESET (once until reset): config interrupt, device stopped. */
  needsReset(reason: string): void {
    if (this.status & STATUS.needsReset) return;
    this.status |= STATUS.needsReset;
    this.reason = reason;
    this.lastReason = reason;
    this.needsResets++;
    this.interruptStatus |= INT_CONFIG;
    this.configInterrupts++;
    this.updateLine();
  }

  save(): SnapObject {
    return {
      deviceId: this.device.deviceId,
      status: this.status,
      deviceFeaturesSel: this.deviceFeaturesSel,
      driverFeaturesSel: this.driverFeaturesSel,
      driverLo: this.driverLo,
      driverHi: this.driverHi,
      driverExtra: this.driverExtra,
      queueSel: this.queueSel,
      interruptStatus: this.interruptStatus,
      configGeneration: this.configGeneration,
      line: this.line,
      reason: this.reason,
      queues: this.queues.map((q, i) => ({ ...this.regs[i], live: q.save() })),
      metrics: {
        kicks: this.kicks.slice(),
        interrupts: this.interrupts,
        interruptsSuppressed: this.interruptsSuppressed,
        configInterrupts: this.configInterrupts,
        irqRaises: this.irqRaises,
        resets: this.resets,
        needsResets: this.needsResets,
        featureRefusals: this.featureRefusals,
        lastReason: this.lastReason,
      },
      device: this.device.save(),
    };
  }

  /**
   * Restore in place. The interrupt line is not driven: the PLIC's own snapshot holds its
   * level (irqLevel says what it should be).
   */
  restore(s: SnapObject): void {
    const id = snapNumber(s, 'deviceId');
    if (id !== this.device.deviceId) {
      throw new SnapshotError(
        `${this.name}: snapshot of device id ${id}, not ${this.device.deviceId}`,
      );
    }
    const queues = snapArray(s, 'queues');
    if (queues.length !== this.queues.length) {
      throw new SnapshotError(
        `${this.name}: snapshot has ${queues.length} queues, not ${this.queues.length}`,
      );
    }
    const metrics = snapObject(s, 'metrics');
    const kicks = snapArray(metrics, 'kicks');
    if (kicks.length !== this.kicks.length || kicks.some((k) => typeof k !== 'number')) {
      throw new SnapshotError(`${this.name}: snapshot kicks do not match the queues`);
    }
    this.status = snapNumber(s, 'status');
    this.deviceFeaturesSel = snapNumber(s, 'deviceFeaturesSel');
    this.driverFeaturesSel = snapNumber(s, 'driverFeaturesSel');
    this.driverLo = snapNumber(s, 'driverLo');
    this.driverHi = snapNumber(s, 'driverHi');
    this.driverExtra = snapBool(s, 'driverExtra');
    this.queueSel = snapNumber(s, 'queueSel');
    this.interruptStatus = snapNumber(s, 'interruptStatus');
    this.configGeneration = snapNumber(s, 'configGeneration');
    this.line = snapBool(s, 'line');
    this.reason = optionalString(s, 'reason');
    queues.forEach((qs, i) => {
      if (!isSnapObject(qs)) throw new SnapshotError(`${this.name}: queue ${i} is not an object`);
      for (const k of QUEUE_REG_KEYS) this.regs[i][k] = snapNumber(qs, k);
      this.queues[i].restore(snapObject(qs, 'live'));
    });
    kicks.forEach((k, i) => (this.kicks[i] = k as number));
    this.interrupts = snapNumber(metrics, 'interrupts');
    this.interruptsSuppressed = snapNumber(metrics, 'interruptsSuppressed');
    this.configInterrupts = snapNumber(metrics, 'configInterrupts');
    this.irqRaises = snapNumber(metrics, 'irqRaises');
    this.resets = snapNumber(metrics, 'resets');
    this.needsResets = snapNumber(metrics, 'needsResets');
    this.featureRefusals = snapNumber(metrics, 'featureRefusals');
    this.lastReason = optionalString(metrics, 'lastReason');
    this.device.restore(snapObject(s, 'device'));
  }

  private driverHas(bit: number): boolean {
    const word = bit < 32 ? this.driverLo : bit < 64 ? this.driverHi : 0;
    return ((word >>> (bit & 31)) & 1) === 1;
  }

  private liveQueue(i: number): SplitQueue | null {
    if (!this.active || i < 0 || i >= this.queues.length) return null;
    const q = this.queues[i];
    return q.enabled && q.error === null ? q : null;
  }

  /** A non-zero Status write: bits are added, never cleared (Status 0 resets). */
  private setStatus(v: number): void {
    if (this.status & STATUS.needsReset) return; // only a reset gets out of it
    const old = this.status;
    let next = old | (v & ~STATUS.needsReset);
    const added = next & ~old;
    if (added & STATUS.featuresOk && !this.featuresAcceptable()) {
      next &= ~STATUS.featuresOk;
      this.featureRefusals++;
    }
    if (added & STATUS.driverOk && !(next & STATUS.featuresOk)) next &= ~STATUS.driverOk;
    this.status = next;
    if (next & added & STATUS.driverOk) {
      const indirect = this.driverHas(VIRTIO_F_INDIRECT_DESC);
      const eventIdx = this.driverHas(VIRTIO_F_EVENT_IDX);
      for (const q of this.queues) q.setFeatures(indirect, eventIdx);
      this.guard(() => this.device.activate());
    }
  }

  /** The subset must be one we offer, and VERSION_1 must be in it. */
  private featuresAcceptable(): boolean {
    return (
      !this.driverExtra &&
      (this.driverLo & ~this.offeredLo) === 0 &&
      (this.driverHi & ~this.offeredHi) === 0 &&
      this.driverHas(VIRTIO_F_VERSION_1)
    );
  }

  private setReady(i: number, v: number): void {
    const r = this.regs[i];
    const q = this.queues[i];
    if (v === 0) {
      r.ready = 0;
      q.reset();
      return;
    }
    if (r.ready) return;
    if (this.status & STATUS.needsReset) return;
    const problem = q.configure(
      {
        size: r.num,
        desc: r.descHi * 0x1_0000_0000 + r.descLo,
        avail: r.driverHi * 0x1_0000_0000 + r.driverLo,
        used: r.deviceHi * 0x1_0000_0000 + r.deviceLo,
      },
      this.driverHas(VIRTIO_F_INDIRECT_DESC),
      this.driverHas(VIRTIO_F_EVENT_IDX),
    );
    if (problem !== null) {
      this.needsReset(`queue ${q.name}: ${problem}`);
      return;
    }
    r.ready = 1;
  }

  private notify(v: number): void {
    if (v >= this.queues.length) return;
    this.kicks[v]++;
    if (this.liveQueue(v) === null) return;
    try {
      this.device.notify(v);
    } catch (e) {
      this.internalError(e);
    }
  }

  private signalUsed(i: number): boolean {
    const q = this.liveQueue(i);
    if (q === null) return false;
    if (!q.needsNotification()) {
      this.interruptsSuppressed++;
      return false;
    }
    this.interrupts++;
    this.interruptStatus |= INT_USED;
    this.updateLine();
    return true;
  }

  private configChanged(): void {
    this.configGeneration = (this.configGeneration + 1) >>> 0;
    if (!(this.status & STATUS.driverOk)) return;
    this.interruptStatus |= INT_CONFIG;
    this.configInterrupts++;
    this.updateLine();
  }

  private configRead(off: number, size: number): number {
    if (!(size === 1 || size === 2 || size === 4) || off + size > this.device.configSize) return 0;
    let v = 0;
    this.guard(() => (v = this.device.configRead(off, size)));
    return v;
  }

  private configWrite(off: number, size: number, value: number): void {
    if (!(size === 1 || size === 2 || size === 4) || off + size > this.device.configSize) return;
    this.guard(() => this.device.configWrite(off, size, value));
  }

  private reset(): void {
    this.resets++;
    this.status = 0;
    this.deviceFeaturesSel = this.driverFeaturesSel = 0;
    this.driverLo = this.driverHi = 0;
    this.driverExtra = false;
    this.queueSel = 0;
    this.interruptStatus = 0;
    this.reason = null;
    for (let i = 0; i < this.queues.length; i++) {
      this.queues[i].reset();
      this.regs[i] = emptyRegs();
    }
    this.updateLine();
    this.guard(() => this.device.reset());
  }

  private updateLine(): void {
    const level = this.interruptStatus !== 0;
    if (level === this.line) return;
    this.line = level;
    if (level) this.irqRaises++;
    this.irq(level);
  }

  /** Run device code; anything it throws becomes DEVICE_NEEDS_RESET, never a guest-visible crash. */
  private guard(f: () => void): void {
    try {
      f();
    } catch (e) {
      this.internalError(e);
    }
  }

  private internalError(e: unknown): void {
    const what = e instanceof Error ? e.message : String(e);
    this.needsReset(`${this.device.kind}: internal error: ${what}`);
  }
}

function emptyRegs(): QueueRegs {
  return {
    num: 0,
    descLo: 0,
    descHi: 0,
    driverLo: 0,
    driverHi: 0,
    deviceLo: 0,
    deviceHi: 0,
    ready: 0,
  };
}

function optionalString(s: SnapObject, key: string): string | null {
  const v = s[key];
  if (v === null || typeof v === 'string') return v;
  throw new SnapshotError(`snapshot field '${key}' is not a string or null`);
}
