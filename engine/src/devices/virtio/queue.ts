import { PAGE_SHIFT } from '../../memory/frame-pool.ts';
import { NO_FRAME, type GuestRam } from '../../memory/guest-ram.ts';
import {
  SnapshotError,
  snapBool,
  snapNumber,
  type Persistent,
  type SnapObject,
} from '../../snapshot/persist.ts';

/**
 * The split virtqueue, device side (reference/virtio.md §2), kept apart from any device as
 * rust-vmm's virtio-queue is. It reads the driver's rings in guest RAM and trusts none of
 * it: every rule of reference/virtio.md §2 is checked, each descriptor is read once into a
 * private copy that is validated and then used, every loop is bounded by the queue size,
 * and a violation comes back as a one-line reason `rule: detail` (never an exception).
 * A violation is sticky: the queue refuses all further work until it is configured again,
 * and `onViolation` tells the transport, which sets DEVICE_NEEDS_RESET.
 *
 * Guest memory is reached only through GuestRam.hostOffset (bounds- and backing-checked),
 * and every write honours codeFrames so the CPU's decode cache stays coherent.
 */

export const VIRTQ_DESC_F_NEXT = 1;
export const VIRTQ_DESC_F_WRITE = 2;
export const VIRTQ_DESC_F_INDIRECT = 4;
export const VIRTQ_AVAIL_F_NO_INTERRUPT = 1;
export const VIRTQ_USED_F_NO_NOTIFY = 1;
/** The largest queue size the split ring allows. */
export const MAX_QUEUE_SIZE = 32768;
/** Default cap on the total bytes of one chain (rule 7). */
export const DEFAULT_MAX_CHAIN_BYTES = 1 << 20;
const DESC_SIZE = 16;

/** The rule names that begin every violation reason. */
export const RULE = {
  queueSize: 'queue-size',
  ringAlignment: 'ring-alignment',
  ringAddress: 'ring-address',
  ringAccess: 'ring-access',
  availIdx: 'avail-idx-jump',
  headRange: 'head-out-of-range',
  nextRange: 'next-out-of-range',
  loop: 'descriptor-loop',
  chainLength: 'chain-too-long',
  chainBytes: 'chain-bytes',
  indirectFeature: 'indirect-not-negotiated',
  indirectNested: 'indirect-nested',
  indirectNext: 'indirect-with-next',
  indirectLength: 'indirect-length',
  writeOrder: 'readable-after-writable',
  bufferAddress: 'buffer-address',
  bufferUnbacked: 'buffer-unbacked',
} as const;

/**
 * The event-index test: having moved an index from `old` to `newIdx`, notify iff the
 * other side's event index lies in (old, newIdx] (all u16, as Linux's vring_need_event).
 */
export function vringNeedEvent(event: number, newIdx: number, old: number): boolean {
  return ((newIdx - event - 1) & 0xffff) < ((newIdx - old) & 0xffff);
}

/**
 * One popped descriptor chain: its data segments in order, readable ones first (indices
 * below firstWritable), then writable ones. The queue reuses one object for every pop, so
 * a chain is valid until the next pop on that queue; a device that holds buffers keeps the
 * head and re-walks it with SplitQueue.walk into a chain of its own.
 */
export class DescriptorChain {
  /** The head descriptor index: the id the used element must carry. */
  head = 0;
  /** Number of data segments. */
  count = 0;
  /** Segments [0, firstWritable) are device-readable, [firstWritable, count) writable. */
  firstWritable = 0;
  readableBytes = 0;
  writableBytes = 0;
  /** Guest-physical address and length of each segment. */
  addr: Uint32Array;
  len: Uint32Array;
  private readonly ram: GuestRam;

  constructor(ram: GuestRam, capacity: number) {
    this.ram = ram;
    this.addr = new Uint32Array(Math.max(1, capacity));
    this.len = new Uint32Array(Math.max(1, capacity));
  }

  writable(i: number): boolean {
    return i >= this.firstWritable;
  }

  /**
   * Copy readable bytes [from, from + max) into dst (max defaults to dst.length). Returns
   * the bytes copied (0 past the end), or -1 if the memory is no longer backed.
   */
  read(dst: Uint8Array, from = 0, max = dst.length): number {
    const want = Math.min(max, dst.length, this.readableBytes - from);
    return this.copy(dst, from, want, 0, this.firstWritable, false);
  }

  /**
   * Copy src[0, len) into the writable bytes starting at writable offset `at`, as far as
   * they reach. Returns the bytes written, or -1 if the memory is no longer backed.
   */
  write(src: Uint8Array, at = 0, len = src.length): number {
    const want = Math.min(len, src.length, this.writableBytes - at);
    return this.copy(src, at, want, this.firstWritable, this.count, true);
  }

  /** Move `want` bytes between `buf` and segments [first, end), from byte `skip` of them. */
  private copy(
    buf: Uint8Array,
    skip: number,
    want: number,
    first: number,
    end: number,
    toGuest: boolean,
  ): number {
    if (want <= 0) return 0;
    let done = 0;
    for (let i = first; i < end && done < want; i++) {
      const l = this.len[i];
      if (skip >= l) {
        skip -= l;
        continue;
      }
      const k = Math.min(l - skip, want - done);
      const a = this.addr[i] + skip;
      const ok = toGuest ? this.ram.writeFrom(a, buf, done, k) : this.ram.readInto(a, buf, done, k);
      if (!ok) return -1;
      done += k;
      skip = 0;
    }
    return done;
  }

  /** Room for `n` segments. */
  reserve(n: number): void {
    if (this.addr.length >= n) return;
    this.addr = new Uint32Array(n);
    this.len = new Uint32Array(n);
  }
}

export interface QueueLayout {
  /** QueueNum. */
  size: number;
  /** Guest-physical addresses (full 64-bit values as numbers: high word * 2^32 + low). */
  desc: number;
  avail: number;
  used: number;
}

/** The result of pop(): a chain, null when the ring is empty, or a violation reason. */
export type PopResult = DescriptorChain | string | null;

export class SplitQueue implements Persistent<SnapObject> {
  readonly name: string;
  readonly maxSize: number;
  readonly maxChainBytes: number;
  private readonly ram: GuestRam;
  private readonly onViolation: (reason: string) => void;
  /** The chain pop() fills. */
  private readonly chain: DescriptorChain;

  /** Configured by the driver and validated (QueueReady = 1). */
  enabled = false;
  size = 0;
  desc = 0;
  avail = 0;
  used = 0;
  /** Negotiated VIRTIO_F_RING_INDIRECT_DESC / VIRTIO_F_RING_EVENT_IDX. */
  indirect = false;
  eventIdx = false;
  /** Next avail index to consume (free-running u16). */
  lastAvail = 0;
  /** Next used index to publish (free-running u16; the device's copy is the truth). */
  nextUsed = 0;
  /** Used index at the last interrupt decision (EVENT_IDX), valid once one was made. */
  private signalledUsed = 0;
  private signalledValid = false;
  /** The sticky violation, or null. */
  error: string | null = null;
  /** Descriptors read (a work measure: each pop reads at most 2 * size). */
  descriptorReads = 0;
  chainsPopped = 0;

  /* The descriptor being looked at: the one private copy that is validated and used. */
  private dAddrLo = 0;
  private dAddrHi = 0;
  private dLen = 0;
  private dFlags = 0;
  private dNext = 0;
  private readonly scratch = new Uint8Array(DESC_SIZE);

  constructor(
    ram: GuestRam,
    name: string,
    maxSize: number,
    onViolation: (reason: string) => void = () => {},
    maxChainBytes = DEFAULT_MAX_CHAIN_BYTES,
  ) {
    if (!isPowerOfTwo(maxSize) || maxSize > MAX_QUEUE_SIZE) {
      throw new RangeError(`queue ${name}: maximum size ${maxSize} is not a power of two <= 32768`);
    }
    this.ram = ram;
    this.name = name;
    this.maxSize = maxSize;
    this.onViolation = onViolation;
    this.maxChainBytes = maxChainBytes;
    this.chain = new DescriptorChain(ram, 0);
  }

  /**
   * Validate the driver's layout (rule 8) and enable the queue, or return the reason it is
   * refused (the queue stays disabled). Indices restart at 0.
   */
  configure(layout: QueueLayout, indirect: boolean, eventIdx: boolean): string | null {
    const { size, desc, avail, used } = layout;
    if (!isPowerOfTwo(size) || size > this.maxSize) {
      return `${RULE.queueSize}: QueueNum ${size} is not a power of two in 1..${this.maxSize}`;
    }
    for (const [what, addr, align, bytes] of [
      ['descriptor table', desc, 16, DESC_SIZE * size],
      ['available ring', avail, 2, 6 + 2 * size],
      ['used ring', used, 4, 6 + 8 * size],
    ] as const) {
      if (addr % align !== 0) {
        return `${RULE.ringAlignment}: ${what} at ${hex(addr)} is not ${align}-byte aligned`;
      }
      const bad = this.rangeProblem(addr, bytes, false);
      if (bad !== 0) {
        const where = bad === 1 ? 'is not inside RAM' : 'touches a page with no frame';
        return `${RULE.ringAddress}: ${what} [${hex(addr)}, +${bytes}) ${where}`;
      }
    }
    this.size = size;
    this.desc = desc;
    this.avail = avail;
    this.used = used;
    this.indirect = indirect;
    this.eventIdx = eventIdx;
    this.lastAvail = 0;
    this.nextUsed = 0;
    this.signalledUsed = 0;
    this.signalledValid = false;
    this.error = null;
    this.chain.reserve(size);
    this.enabled = true;
    return null;
  }

  /** Negotiated ring features (the transport sets them again at DRIVER_OK). */
  setFeatures(indirect: boolean, eventIdx: boolean): void {
    this.indirect = indirect;
    this.eventIdx = eventIdx;
  }

  /** Back to the state after construction (device reset or QueueReady = 0). */
  reset(): void {
    this.enabled = false;
    this.size = this.desc = this.avail = this.used = 0;
    this.indirect = this.eventIdx = false;
    this.lastAvail = this.nextUsed = this.signalledUsed = 0;
    this.signalledValid = false;
    this.error = null;
  }

  /** A chain of this queue's capacity, for devices that re-walk held heads. */
  newChain(): DescriptorChain {
    return new DescriptorChain(this.ram, this.size);
  }

  /**
   * Buffers the driver made available and the device has not consumed, or -1 after a
   * violation (rule 1: more than the queue size is a broken driver).
   */
  pending(): number {
    if (!this.enabled || this.error !== null) return this.error === null ? 0 : -1;
    const idx = this.read16(this.avail + 2);
    if (idx < 0) {
      this.fail(`${RULE.ringAccess}: available ring index at ${hex(this.avail + 2)} unreadable`);
      return -1;
    }
    const n = (idx - this.lastAvail) & 0xffff;
    if (n > this.size) {
      this.fail(
        `${RULE.availIdx}: avail idx ${idx} is ${n} ahead of the last seen ${this.lastAvail}` +
          ` (queue size ${this.size})`,
      );
      return -1;
    }
    return n;
  }

  /** The next available chain (valid until the next pop), null if none, or a violation. */
  pop(): PopResult {
    if (this.error !== null) return this.error;
    const n = this.pending();
    if (n < 0) return this.error;
    if (n === 0) return null;
    const slot = this.lastAvail & (this.size - 1);
    const head = this.read16(this.avail + 4 + 2 * slot);
    if (head < 0) {
      return this.fail(`${RULE.ringAccess}: available ring slot ${slot} unreadable`);
    }
    if (head >= this.size) {
      return this.fail(
        `${RULE.headRange}: avail ring slot ${slot} holds head ${head} >= queue size ${this.size}`,
      );
    }
    const r = this.walk(head, this.chain);
    if (r !== null) return r;
    this.lastAvail = (this.lastAvail + 1) & 0xffff;
    this.chainsPopped++;
    return this.chain;
  }

  /**
   * Parse the chain starting at descriptor `head` into `chain` (rules 2-7, 9). Returns null
   * or the violation (which also makes the queue fail). Reads at most 2 * size descriptors.
   */
  walk(head: number, chain: DescriptorChain): string | null {
    if (this.error !== null) return this.error;
    if (!this.enabled) return `queue ${this.name} is not enabled`;
    if (head >= this.size) {
      return this.fail(`${RULE.headRange}: head ${head} >= queue size ${this.size}`);
    }
    const size = this.size;
    chain.reserve(size);
    chain.head = head;
    chain.count = 0;
    chain.firstWritable = 0;
    chain.readableBytes = 0;
    chain.writableBytes = 0;
    let table = this.desc;
    let tableSize = size;
    let idx = head;
    let visits = 0;
    /** The indirect descriptor we came through, -1 in the descriptor table. */
    let via = -1;
    let sawWritable = false;
    let bytes = 0;
    for (;;) {
      if (++visits > tableSize) {
        return this.fail(
          `${RULE.loop}: chain from head ${head} visits more than ${tableSize} descriptors` +
            ` of its ${via < 0 ? 'descriptor table' : 'indirect table'} (at ${descName(idx, via)})`,
        );
      }
      if (!this.readDesc(table + DESC_SIZE * idx)) {
        return this.fail(`${RULE.ringAccess}: ${descName(idx, via)} unreadable`);
      }
      const flags = this.dFlags;
      if (flags & VIRTQ_DESC_F_INDIRECT) {
        const at = descName(idx, via);
        if (!this.indirect) {
          return this.fail(`${RULE.indirectFeature}: ${at} is indirect but INDIRECT_DESC is off`);
        }
        if (via >= 0) return this.fail(`${RULE.indirectNested}: ${at} is indirect again`);
        if (flags & VIRTQ_DESC_F_NEXT) {
          return this.fail(`${RULE.indirectNext}: ${at} has both INDIRECT and NEXT`);
        }
        const len = this.dLen;
        if (len === 0 || len % DESC_SIZE !== 0 || len / DESC_SIZE > size) {
          return this.fail(
            `${RULE.indirectLength}: ${at} has table length ${len}, not a non-zero multiple` +
              ` of 16 of at most ${size} entries`,
          );
        }
        const addr = this.dAddrHi * 0x1_0000_0000 + this.dAddrLo;
        const bad = this.rangeProblem(addr, len, true);
        if (bad !== 0) {
          const rule = bad === 1 ? RULE.bufferAddress : RULE.bufferUnbacked;
          return this.fail(`${rule}: ${at} points at [${hex(addr)}, +${len}) outside RAM`);
        }
        table = addr;
        tableSize = len / DESC_SIZE;
        via = idx;
        idx = 0;
        visits = 0;
        continue;
      }
      const len = this.dLen;
      const writable = (flags & VIRTQ_DESC_F_WRITE) !== 0;
      if (!writable && sawWritable) {
        return this.fail(
          `${RULE.writeOrder}: ${descName(idx, via)} is device-readable after a writable one`,
        );
      }
      if (chain.count >= size) {
        return this.fail(
          `${RULE.chainLength}: chain from head ${head} has more than ${size} buffers`,
        );
      }
      if (this.dAddrHi !== 0) {
        return this.fail(
          `${RULE.bufferAddress}: ${descName(idx, via)} has high address word ${hex(this.dAddrHi)}`,
        );
      }
      const addr = this.dAddrLo;
      if (!this.inRam(addr, len)) {
        return this.fail(
          `${RULE.bufferAddress}: ${descName(idx, via)} [${hex(addr)}, +${len}) is not inside RAM`,
        );
      }
      // Before the page walk, so the walk is bounded by the cap.
      bytes += len;
      if (bytes > this.maxChainBytes) {
        return this.fail(
          `${RULE.chainBytes}: chain from head ${head} exceeds ${this.maxChainBytes} bytes` +
            ` at ${descName(idx, via)}`,
        );
      }
      if (!this.backable(addr, len)) {
        return this.fail(
          `${RULE.bufferUnbacked}: ${descName(idx, via)} [${hex(addr)}, +${len})` +
            ` touches a page with no frame, and the host has none to give`,
        );
      }
      const i = chain.count++;
      chain.addr[i] = addr;
      chain.len[i] = len;
      if (writable) {
        if (!sawWritable) chain.firstWritable = i;
        sawWritable = true;
        chain.writableBytes += len;
      } else {
        chain.readableBytes += len;
      }
      if (!(flags & VIRTQ_DESC_F_NEXT)) break;
      const next = this.dNext;
      if (next >= tableSize) {
        return this.fail(
          `${RULE.nextRange}: ${descName(idx, via)} links to ${next} >= table size ${tableSize}`,
        );
      }
      idx = next;
    }
    if (!sawWritable) chain.firstWritable = chain.count;
    return null;
  }

  /** Publish a used element {head, len}. False if the queue failed (or fails now). */
  push(head: number, len: number): boolean {
    if (!this.enabled || this.error !== null) return false;
    const at = this.used + 4 + 8 * (this.nextUsed & (this.size - 1));
    if (!this.write32(at, head) || !this.write32(at + 4, len)) {
      this.fail(`${RULE.ringAccess}: used ring element at ${hex(at)} unwritable`);
      return false;
    }
    this.nextUsed = (this.nextUsed + 1) & 0xffff;
    if (!this.write16(this.used + 2, this.nextUsed)) {
      this.fail(`${RULE.ringAccess}: used ring index at ${hex(this.used + 2)} unwritable`);
      return false;
    }
    return true;
  }

  /**
   * After pushing used elements: should the device interrupt? Without EVENT_IDX, unless
   * the driver set VIRTQ_AVAIL_F_NO_INTERRUPT; with it, iff used_event was crossed since
   * the last decision (always the first time).
   */
  needsNotification(): boolean {
    if (!this.enabled || this.error !== null) return false;
    if (this.eventIdx) {
      const usedEvent = this.read16(this.avail + 4 + 2 * this.size);
      if (usedEvent < 0) {
        this.fail(`${RULE.ringAccess}: used_event unreadable`);
        return false;
      }
      const valid = this.signalledValid;
      const old = this.signalledUsed;
      this.signalledValid = true;
      this.signalledUsed = this.nextUsed;
      return !valid || vringNeedEvent(usedEvent, this.nextUsed, old);
    }
    const flags = this.read16(this.avail);
    if (flags < 0) {
      this.fail(`${RULE.ringAccess}: available ring flags unreadable`);
      return false;
    }
    return (flags & VIRTQ_AVAIL_F_NO_INTERRUPT) === 0;
  }

  /**
   * Ask the driver not to kick (while the device is busy or paused): VIRTQ_USED_F_NO_NOTIFY
   * without EVENT_IDX; with it there is nothing to do (avail_event stays where it was).
   */
  disableNotification(): void {
    if (!this.enabled || this.error !== null || this.eventIdx) return;
    if (!this.write16(this.used, VIRTQ_USED_F_NO_NOTIFY)) {
      this.fail(`${RULE.ringAccess}: used ring flags unwritable`);
    }
  }

  /**
   * Ask the driver to kick for the next buffer: clear NO_NOTIFY, or with EVENT_IDX set
   * avail_event to the next index the device will consume. Returns whether buffers are
   * already pending (the device should look again before sleeping).
   */
  enableNotification(): boolean {
    if (!this.enabled || this.error !== null) return false;
    const ok = this.eventIdx
      ? this.write16(this.used + 4 + 8 * this.size, this.lastAvail)
      : this.write16(this.used, 0);
    if (!ok) {
      this.fail(
        `${RULE.ringAccess}: used ring ${this.eventIdx ? 'avail_event' : 'flags'} unwritable`,
      );
      return false;
    }
    return this.pending() > 0;
  }

  save(): SnapObject {
    return {
      enabled: this.enabled,
      size: this.size,
      desc: this.desc,
      avail: this.avail,
      used: this.used,
      indirect: this.indirect,
      eventIdx: this.eventIdx,
      lastAvail: this.lastAvail,
      nextUsed: this.nextUsed,
      signalledUsed: this.signalledUsed,
      signalledValid: this.signalledValid,
      error: this.error,
      descriptorReads: this.descriptorReads,
      chainsPopped: this.chainsPopped,
    };
  }

  restore(s: SnapObject): void {
    const size = snapNumber(s, 'size');
    if (size !== 0 && (!isPowerOfTwo(size) || size > this.maxSize)) {
      throw new SnapshotError(`queue ${this.name}: size ${size} exceeds ${this.maxSize}`);
    }
    const error = s.error;
    if (error !== null && typeof error !== 'string') {
      throw new SnapshotError(`queue ${this.name}: error is not a string`);
    }
    this.enabled = snapBool(s, 'enabled');
    this.size = size;
    this.desc = snapNumber(s, 'desc');
    this.avail = snapNumber(s, 'avail');
    this.used = snapNumber(s, 'used');
    this.indirect = snapBool(s, 'indirect');
    this.eventIdx = snapBool(s, 'eventIdx');
    this.lastAvail = snapNumber(s, 'lastAvail') & 0xffff;
    this.nextUsed = snapNumber(s, 'nextUsed') & 0xffff;
    this.signalledUsed = snapNumber(s, 'signalledUsed') & 0xffff;
    this.signalledValid = snapBool(s, 'signalledValid');
    this.error = error;
    this.descriptorReads = snapNumber(s, 'descriptorReads');
    this.chainsPopped = snapNumber(s, 'chainsPopped');
    if (this.enabled && size === 0) throw new SnapshotError(`queue ${this.name}: enabled, size 0`);
    this.chain.reserve(size);
  }

  /** Record a violation (the first one sticks) and return it. */
  private fail(reason: string): string {
    if (this.error === null) {
      this.error = reason;
      this.onViolation(reason);
    }
    return this.error;
  }

  /** [pa, pa + len) lies inside RAM (plain numbers: nothing wraps). */
  private inRam(pa: number, len: number): boolean {
    const ram = this.ram;
    return pa >= ram.base && len >= 0 && pa + len <= ram.base + ram.size;
  }

  /** Every page of [pa, pa + len), which is inside RAM, has a frame. */
  private backed(pa: number, len: number): boolean {
    if (len === 0) return true;
    const ram = this.ram;
    const first = (pa - ram.base) >>> PAGE_SHIFT;
    const last = (pa - ram.base + len - 1) >>> PAGE_SHIFT;
    for (let g = first; g <= last; g++) if (ram.p2m[g] === NO_FRAME) return false;
    return true;
  }

  /**
   * Buffers and indirect tables may sit in pages the balloon gave back and the guest has
   * not touched since: the device's access backs them with zeroed frames, as the host
   * kernel faults pages in for a device model (no VM exit). Only an empty pool fails.
   * Rings are different: they are checked with backed() and must keep their frames.
   */
  private backable(pa: number, len: number): boolean {
    return this.backed(pa, len) || this.ram.populateRange(pa, len);
  }

  /** 0 if [pa, pa + len) is backed RAM (or, for buffers, can be), 1 if not inside RAM, 2 if not. */
  private rangeProblem(pa: number, len: number, buffer: boolean): number {
    if (!this.inRam(pa, len)) return 1;
    return (buffer ? this.backable(pa, len) : this.backed(pa, len)) ? 0 : 2;
  }

  /** Copy the descriptor at `pa` into the d* fields; false if it is not all in RAM. */
  private readDesc(pa: number): boolean {
    this.descriptorReads++;
    const ram = this.ram;
    if ((pa & (DESC_SIZE - 1)) === 0) {
      // Aligned: one page holds all of it.
      const off = ram.hostOffset(pa);
      if (off < 0) return false;
      const { i32, u16 } = ram.pool;
      const w = off >> 2;
      this.dAddrLo = i32[w] >>> 0;
      this.dAddrHi = i32[w + 1] >>> 0;
      this.dLen = i32[w + 2] >>> 0;
      this.dFlags = u16[(off >> 1) + 6];
      this.dNext = u16[(off >> 1) + 7];
      return true;
    }
    // An indirect table may sit anywhere: read it byte by byte.
    const b = this.scratch;
    if (!ram.readInto(pa, b, 0, DESC_SIZE)) return false;
    this.dAddrLo = (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
    this.dAddrHi = (b[4] | (b[5] << 8) | (b[6] << 16) | (b[7] << 24)) >>> 0;
    this.dLen = (b[8] | (b[9] << 8) | (b[10] << 16) | (b[11] << 24)) >>> 0;
    this.dFlags = b[12] | (b[13] << 8);
    this.dNext = b[14] | (b[15] << 8);
    return true;
  }

  /** A ring u16 (2-aligned, so in one page), or -1 if not backed RAM. */
  private read16(pa: number): number {
    const off = this.ram.hostOffset(pa);
    return off < 0 ? -1 : this.ram.pool.u16[off >> 1];
  }

  private write16(pa: number, v: number): boolean {
    const off = this.ram.hostOffset(pa);
    if (off < 0) return false;
    this.touch(off);
    this.ram.pool.u16[off >> 1] = v;
    return true;
  }

  /** A ring u32 (4-aligned, so in one page). */
  private write32(pa: number, v: number): boolean {
    const off = this.ram.hostOffset(pa);
    if (off < 0) return false;
    this.touch(off);
    this.ram.pool.i32[off >> 2] = v;
    return true;
  }

  private touch(off: number): void {
    const frame = off >>> PAGE_SHIFT;
    if (this.ram.codeFrames[frame]) this.ram.onCodeWrite(frame);
  }
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && n <= 0x4000_0000 && (n & (n - 1)) === 0;
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function descName(idx: number, via: number): string {
  return via < 0 ? `descriptor ${idx}` : `indirect descriptor ${idx} (via descriptor ${via})`;
}
