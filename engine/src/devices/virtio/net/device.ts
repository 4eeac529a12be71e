import {
  DEFAULT_MTU,
  ETH_HEADER,
  type MacAddress,
  type SwitchPort,
  type VirtualSwitch,
} from '../../../net/switch.ts';
import { SwitchPlug } from '../../../net/switch-plug.ts';
import {
  SnapshotError,
  snapBool,
  snapBytes,
  snapNumber,
  type SnapObject,
} from '../../../snapshot/persist.ts';
import type { FeatureWords, QueueSpec, VirtioContext, VirtioDeviceModel } from '../device.ts';

/**
 * virtio-net (device id 1, reference/virtio.md §4): a port on the session's virtual switch
 * (net/switch.ts). Queue 0 is the receiveq, queue 1 the transmitq; no control queue, no
 * multiqueue, no offloads. Features: MAC (config mac), STATUS (config status, LINK_UP
 * driven by the host with setLink() and a config interrupt), MTU (config mtu, default
 * 1500), and the ring features the transport adds (VERSION_1, INDIRECT_DESC, EVENT_IDX).
 *
 * Every frame, both ways, is preceded by the 12-byte virtio_net_hdr (VERSION_1 layout:
 * flags, gso_type, hdr_len, gso_size, csum_start, csum_offset, num_buffers).
 *
 * TX: each chain's readable bytes are header + frame; the header is ignored (no offloads
 * were offered) and the frame goes to the switch. The chain comes back with used len 0 and
 * one interrupt decision per kick (the queue applies NO_INTERRUPT / used_event). A chain
 * shorter than the header or longer than header + MTU + 14 is completed and dropped
 * (txErrors); with the link down or no switch, frames are completed and dropped too.
 * After each kick the device re-arms notifications (avail_event = next index with
 * EVENT_IDX), so a driver that batches N frames per kick costs one kick per batch.
 *
 * RX: a frame from the switch goes, at once, into the next available receive chain: header
 * with flags 0, gso_type NONE and num_buffers 1, then the frame; used len = 12 + frame
 * length. No chain posted (or the driver not up): the frame is dropped and counted
 * (rxDroppedNoBuffer), and the switch counts it on this port too. A chain that is too small
 * for header + frame is completed with used len 0 and the frame dropped (rxDroppedTooSmall);
 * a chain with no writable byte at all is a broken driver (DEVICE_NEEDS_RESET). The device
 * never holds receive buffers and never needs to be told of new ones, so it asks the driver
 * not to kick the receiveq (NO_NOTIFY; with EVENT_IDX it simply never moves avail_event):
 * refilling buffers costs no exit. Frames this device receives while it is transmitting
 * (loopback) get one interrupt decision at the end of the kick, not one each.
 *
 * Receive is promiscuous: the switch's forwarding is the only filter (no CTRL_RX).
 * Nothing is buffered in the device, so its snapshot is its settings and counters.
 */
export const VIRTIO_NET_F_MTU = 3;
export const VIRTIO_NET_F_MAC = 5;
export const VIRTIO_NET_F_STATUS = 16;
export const VIRTIO_NET_S_LINK_UP = 1;
export const NET_RX = 0;
export const NET_TX = 1;
/** struct virtio_net_hdr with VERSION_1 (num_buffers included). */
export const NET_HDR_SIZE = 12;
/** Config: mac[6] @0, status le16 @6, max_virtqueue_pairs le16 @8, mtu le16 @10. */
export const NET_CONFIG_SIZE = 12;

export interface VirtioNetOptions {
  /** The MAC in config space; default 52:54:00:12:34:56 (QEMU's first). */
  mac?: MacAddress | string;
  /** The MTU in config space, and the largest frame (MTU + 14) accepted for TX. */
  mtu?: number;
  /** QueueNumMax of both queues (a power of two); default 256, as QEMU. */
  queueSize?: number;
  /** The link state at power-on; default up. */
  linkUp?: boolean;
}

/** The device's counters: its metrics, and saved with its state. */
const COUNTERS = [
  'txPackets',
  'txBytes',
  'txDropped',
  'txErrors',
  'rxPackets',
  'rxBytes',
  'rxDropped',
  'rxDroppedNoBuffer',
  'rxDroppedTooSmall',
  'rxDroppedLinkDown',
  'linkChanges',
] as const;
type Counter = (typeof COUNTERS)[number];

export class VirtioNet implements VirtioDeviceModel {
  readonly deviceId = 1;
  readonly kind = 'net';
  readonly queues: readonly QueueSpec[];
  readonly features: FeatureWords = {
    lo: (1 << VIRTIO_NET_F_MTU) | (1 << VIRTIO_NET_F_MAC) | (1 << VIRTIO_NET_F_STATUS),
    hi: 0,
  };
  readonly configSize = NET_CONFIG_SIZE;
  private ctx: VirtioContext | null = null;
  private readonly plug: SwitchPlug;
  private mtuValue: number;
  private link: boolean;
  /** Header + the largest frame, read from TX chains. */
  private txBuf: Uint8Array;
  private readonly rxHdr = new Uint8Array(NET_HDR_SIZE);
  /** Inside drainTx: receive() leaves the RX interrupt decision to the end of the kick. */
  private transmitting = false;
  private rxToSignal = false;
  private readonly counters: Record<Counter, number> = zeroCounters();

  constructor(options: VirtioNetOptions = {}) {
    this.plug = new SwitchPlug(options.mac ?? '52:54:00:12:34:56', (frame) => this.receive(frame));
    this.mtuValue = options.mtu ?? DEFAULT_MTU;
    if (!Number.isInteger(this.mtuValue) || this.mtuValue < 68 || this.mtuValue > 65535) {
      throw new RangeError(`virtio-net MTU ${this.mtuValue} is not in 68..65535`);
    }
    this.link = options.linkUp ?? true;
    this.txBuf = new Uint8Array(NET_HDR_SIZE + this.mtuValue + ETH_HEADER);
    this.rxHdr[10] = 1; // num_buffers
    const size = options.queueSize ?? 256;
    this.queues = [
      { name: 'receiveq', maxSize: size },
      { name: 'transmitq', maxSize: size },
    ];
  }

  /** Plug into a switch as port `name` (unique on that switch). */
  connect(sw: VirtualSwitch, name: string): SwitchPort {
    return this.plug.connect(sw, name);
  }

  disconnect(): void {
    this.plug.disconnect();
  }

  get mac(): string {
    return this.plug.mac;
  }

  get mtu(): number {
    return this.mtuValue;
  }

  get linkUp(): boolean {
    return this.link;
  }

  /** Host side: plug or unplug the cable. Changes config status and raises a config interrupt. */
  setLink(up: boolean): void {
    if (up === this.link) return;
    this.link = up;
    this.counters.linkChanges++;
    this.ctx?.configChanged();
  }

  attach(ctx: VirtioContext): void {
    this.ctx = ctx;
  }

  /**
   * A frame for this device (the switch's deliver callback). Returns false when it was
   * dropped: link down, driver not up, no receive buffer, or a buffer too small.
   */
  receive(frame: Uint8Array): boolean {
    const c = this.counters;
    if (!this.link) {
      c.rxDropped++;
      c.rxDroppedLinkDown++;
      return false;
    }
    const ctx = this.ctx;
    const q = ctx?.queue(NET_RX) ?? null;
    const chain = q?.pop() ?? null;
    if (ctx === null || q === null || chain === null || typeof chain === 'string') {
      // A violation has already set DEVICE_NEEDS_RESET; either way the frame is lost.
      c.rxDropped++;
      c.rxDroppedNoBuffer++;
      return false;
    }
    const head = chain.head;
    if (chain.writableBytes === 0) {
      ctx.needsReset(`receiveq: chain from head ${head} has no device-writable buffer`);
      c.rxDropped++;
      c.rxDroppedNoBuffer++;
      return false;
    }
    const len = frame.length;
    let used = 0;
    if (chain.writableBytes < NET_HDR_SIZE + len) {
      c.rxDropped++;
      c.rxDroppedTooSmall++;
    } else {
      if (chain.write(this.rxHdr, 0) !== NET_HDR_SIZE || chain.write(frame, NET_HDR_SIZE) !== len) {
        ctx.needsReset(`receiveq: chain from head ${head} lost its memory`);
        c.rxDropped++;
        c.rxDroppedNoBuffer++;
        return false;
      }
      used = NET_HDR_SIZE + len;
    }
    if (!q.push(head, used)) {
      c.rxDropped++;
      c.rxDroppedNoBuffer++;
      return false;
    }
    if (this.transmitting) this.rxToSignal = true;
    else ctx.signalUsed(NET_RX);
    if (used === 0) return false;
    c.rxPackets++;
    c.rxBytes += len;
    return true;
  }

  configRead(off: number, size: number): number {
    let v = 0;
    for (let k = 0; k < size; k++) v |= this.configByte(off + k) << (8 * k);
    return v >>> 0;
  }

  configWrite(): void {
    // Read-only with VERSION_1 (the MAC is writable only on legacy devices).
  }

  activate(): void {
    this.ctx?.queue(NET_RX)?.disableNotification();
    this.drainTx();
  }

  notify(index: number): void {
    if (index === NET_TX) this.drainTx();
    // The receiveq: buffers are taken when frames arrive; nothing to do now.
    else if (index === NET_RX) this.ctx?.queue(NET_RX)?.disableNotification();
  }

  reset(): void {
    // No runtime state: chains are never held. MAC, MTU and link belong to the host.
    this.transmitting = false;
    this.rxToSignal = false;
  }

  metrics(): Record<string, number> {
    return { ...this.counters, linkUp: this.link ? 1 : 0 };
  }

  save(): SnapObject {
    return {
      mac: this.plug.macBytes.slice(),
      mtu: this.mtuValue,
      linkUp: this.link,
      ...this.counters,
    };
  }

  restore(s: SnapObject): void {
    const mac = snapBytes(s, 'mac', 6);
    const mtu = snapNumber(s, 'mtu');
    if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) {
      throw new SnapshotError(`virtio-net: MTU ${mtu} out of range`);
    }
    const link = snapBool(s, 'linkUp');
    const counters = zeroCounters();
    for (const k of COUNTERS) counters[k] = snapNumber(s, k);
    this.plug.setMac(mac);
    if (mtu !== this.mtuValue) this.txBuf = new Uint8Array(NET_HDR_SIZE + mtu + ETH_HEADER);
    this.mtuValue = mtu;
    this.link = link;
    Object.assign(this.counters, counters);
    this.transmitting = false;
    this.rxToSignal = false;
  }

  private configByte(i: number): number {
    if (i < 6) return this.plug.macBytes[i];
    switch (i) {
      case 6:
        return this.link ? VIRTIO_NET_S_LINK_UP : 0;
      case 8:
        return 1; // max_virtqueue_pairs (meaningful only with MQ)
      case 10:
        return this.mtuValue & 0xff;
      case 11:
        return this.mtuValue >>> 8;
      default:
        return 0;
    }
  }

  /** Send the driver's queued frames, at most one ring's worth per call. */
  private drainTx(): void {
    const ctx = this.ctx;
    const q = ctx?.queue(NET_TX) ?? null;
    if (ctx === null || q === null) return;
    const c = this.counters;
    const buf = this.txBuf;
    let done = 0;
    this.transmitting = true;
    try {
      for (let n = 0; n < q.size; n++) {
        const chain = q.pop();
        if (chain === null) break;
        if (typeof chain === 'string') return; // the transport already set DEVICE_NEEDS_RESET
        const head = chain.head;
        const total = chain.readableBytes;
        const len = total - NET_HDR_SIZE;
        if (len < 0 || total > buf.length) {
          c.txDropped++;
          c.txErrors++;
        } else {
          if (chain.read(buf, 0, total) !== total) {
            ctx.needsReset(`transmitq: chain from head ${head} lost its memory`);
            return;
          }
          const sent = this.link && this.plug.send(buf.subarray(NET_HDR_SIZE, total));
          if (sent) {
            c.txPackets++;
            c.txBytes += len;
          } else c.txDropped++;
          // A loopback frame may have broken the receiveq: then the device is stopped.
          if (ctx.queue(NET_TX) !== q) return;
        }
        if (!q.push(head, 0)) return;
        done++;
      }
      if (done > 0) ctx.signalUsed(NET_TX);
      q.enableNotification();
    } finally {
      this.transmitting = false;
      if (this.rxToSignal) {
        this.rxToSignal = false;
        ctx.signalUsed(NET_RX);
      }
    }
  }
}

function zeroCounters(): Record<Counter, number> {
  const o = {} as Record<Counter, number>;
  for (const k of COUNTERS) o[k] = 0;
  return o;
}
