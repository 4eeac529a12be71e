import type { GuestRam } from '../../memory/guest-ram.ts';
import type { Persistent, SnapObject } from '../../snapshot/persist.ts';
import type { SplitQueue } from './queue.ts';

/**
 * The interface between the virtio-mmio transport (mmio.ts) and a device model (console,
 * net, balloon, ...). The transport owns the registers, the feature handshake, the queues
 * and the interrupt line; the device owns its config space and what its queues mean.
 *
 * Life cycle: the transport calls attach(ctx) once when it is built; activate() when the
 * driver sets DRIVER_OK (features accepted); notify(q) on each kick of a live queue;
 * reset() when the driver writes Status 0. After DEVICE_NEEDS_RESET, ctx.queue() returns
 * null until the driver resets, so a device that asks for its queues on every entry (as it
 * should: it keeps no queue references of its own) stops by itself.
 *
 * A device never throws for anything a guest does: a broken ring is reported by the queue
 * (the transport then sets DEVICE_NEEDS_RESET), a device-level violation by
 * ctx.needsReset(reason).
 */

/** A 64-bit feature set as two unsigned 32-bit words: no bigint on any access path. */
export interface FeatureWords {
  /** Bits 0..31. */
  readonly lo: number;
  /** Bits 32..63. */
  readonly hi: number;
}

export function hasFeature(f: FeatureWords, bit: number): boolean {
  const word = bit < 32 ? f.lo : bit < 64 ? f.hi : 0;
  return ((word >>> (bit & 31)) & 1) === 1;
}

/** Device-independent feature bits (reference/virtio.md §3). */
export const VIRTIO_F_INDIRECT_DESC = 28;
export const VIRTIO_F_EVENT_IDX = 29;
export const VIRTIO_F_VERSION_1 = 32;

export interface QueueSpec {
  /** Used in metrics ("kicks.tx") and in needs-reset reasons. */
  readonly name: string;
  /** QueueNumMax: the largest size the driver may choose (a power of two, <= 32768). */
  readonly maxSize: number;
}

/** What the transport gives a device. */
export interface VirtioContext {
  readonly ram: GuestRam;
  /** True from DRIVER_OK until reset or DEVICE_NEEDS_RESET. */
  isActive(): boolean;
  /** Queue `index` if the device is active and the driver made that queue ready, else null. */
  queue(index: number): SplitQueue | null;
  /** A feature the driver accepted (meaningful from FEATURES_OK on). */
  hasFeature(bit: number): boolean;
  /**
   * Call after pushing used buffers on queue `index`: raises the used-buffer interrupt
   * unless the driver suppressed it (VIRTQ_AVAIL_F_NO_INTERRUPT or used_event). Returns
   * whether it interrupted.
   */
  signalUsed(index: number): boolean;
  /** The config space changed: bump ConfigGeneration and, after DRIVER_OK, interrupt. */
  configChanged(): void;
  /** A violation: set DEVICE_NEEDS_RESET, raise a config interrupt, stop the device. */
  needsReset(reason: string): void;
}

export interface VirtioDeviceModel extends Persistent<SnapObject> {
  /** DeviceID: 1 net, 3 console, 5 balloon, ... */
  readonly deviceId: number;
  /** Short name for reasons and metrics ("console"). */
  readonly kind: string;
  /** One entry per queue, in queue-index order. */
  readonly queues: readonly QueueSpec[];
  /** Device-specific feature bits; the transport adds VERSION_1, INDIRECT_DESC, EVENT_IDX. */
  readonly features: FeatureWords;
  /** Bytes of config space at 0x100; accesses beyond it read 0 and are ignored. */
  readonly configSize: number;
  /** Cap on one chain's total bytes (queue rule chain-bytes); default 1 MiB. */
  readonly maxChainBytes?: number;
  /** Called once by the transport's constructor. */
  attach(ctx: VirtioContext): void;
  /** A config-space read of 1, 2 or 4 bytes at `offset` (within configSize), little-endian. */
  configRead(offset: number, size: number): number;
  configWrite(offset: number, size: number, value: number): void;
  /** The driver set DRIVER_OK: queues may now be used. */
  activate(): void;
  /** The driver kicked queue `index` (the queue is live). */
  notify(index: number): void;
  /** The driver reset the device: drop runtime state (keep host-side settings and metrics). */
  reset(): void;
  /** Counters of this device, merged into the transport's metrics (names must not clash). */
  metrics(): Record<string, number>;
}
