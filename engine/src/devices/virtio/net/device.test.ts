import { describe, expect, it } from 'vitest';
import {
  VIRTQ_DESC_F_INDIRECT,
  VIRTQ_DESC_F_NEXT,
  VIRTQ_DESC_F_WRITE,
  VirtioTestDriver,
  type DriverOptions,
} from '../../../../test/virtio-driver.ts';
import { FramePool, PAGE_SIZE } from '../../../memory/frame-pool.ts';
import { GuestRam } from '../../../memory/guest-ram.ts';
import { VirtualSwitch, type SwitchOptions } from '../../../net/switch.ts';
import { INT_CONFIG, INT_USED, REG, STATUS, VirtioMmio } from '../mmio.ts';
import {
  NET_HDR_SIZE,
  NET_RX,
  NET_TX,
  VIRTIO_NET_F_MAC,
  VIRTIO_NET_F_MTU,
  VIRTIO_NET_F_STATUS,
  VirtioNet,
  type VirtioNetOptions,
} from './device.ts';
import { frame } from '../../../../test/ethernet.ts';

const BASE = 0x8000_0000;
const PAGES = 128;
const QS = 64;
const RINGS = [0, 1].map((q) => ({
  size: QS,
  desc: BASE + 0x1000 + 0x3000 * q,
  avail: BASE + 0x2000 + 0x3000 * q,
  used: BASE + 0x3000 + 0x3000 * q,
}));
/** Receive buffers: QS of 2 KiB; transmit slots: QS / 2 of 2 KiB (two descriptors each). */
const RX_DATA = BASE + 0x1_0000;
const TX_DATA = BASE + 0x4_0000;
const SLOT = 0x800;
const RX_BUF = NET_HDR_SIZE + 1514;
const TX_SLOTS = QS / 2;
const WANT = (1 << VIRTIO_NET_F_MAC) | (1 << VIRTIO_NET_F_STATUS) | (1 << VIRTIO_NET_F_MTU);

const MAC_A = '52:54:00:00:00:0a';
const MAC_B = '52:54:00:00:00:0b';

type TxShape = 'one' | 'two' | 'indirect';

interface Received {
  hdr: Uint8Array;
  frame: Uint8Array;
}

/**
 * A virtio-net driver as Linux's behaves without MRG_RXBUF: every receive buffer is one
 * writable 1526-byte descriptor, re-posted as soon as it is reaped; a frame goes out as
 * header + frame in one descriptor, in two (header, frame) or through an indirect table.
 */
class NetDriver extends VirtioTestDriver {
  received: Received[] = [];
  /** Frames in flight on the transmitq, and completions seen. */
  txNext = 0;
  txDone = 0;
  rxZeroLen = 0;

  override init(): void {
    super.init(1, WANT);
    for (let i = 0; i < QS; i++) this.postRx(i);
    this.kick(NET_RX, this.expose(NET_RX, 0));
  }

  clone(t: VirtioMmio, ram: GuestRam): NetDriver {
    const d = new NetDriver(t, ram, RINGS);
    d.copyStateFrom(this);
    d.received = [...this.received];
    d.txNext = this.txNext;
    d.txDone = this.txDone;
    d.rxZeroLen = this.rxZeroLen;
    return d;
  }

  postRx(i: number, len = RX_BUF): void {
    this.desc(NET_RX, i, RX_DATA + SLOT * i, len, VIRTQ_DESC_F_WRITE);
    this.offer(NET_RX, i);
  }

  /** Queue one frame on the transmitq (not yet exposed). */
  queueTx(f: Uint8Array, shape: TxShape = 'one'): void {
    const k = this.txNext++ % TX_SLOTS;
    if (this.txNext - this.txDone > TX_SLOTS) throw new Error('transmitq full');
    const at = TX_DATA + SLOT * k;
    const hdr = new Uint8Array(NET_HDR_SIZE).fill(0xee); // garbage the device must ignore
    this.ram.write(at, hdr);
    this.ram.write(at + NET_HDR_SIZE, f);
    const [d0, d1] = [2 * k, 2 * k + 1];
    if (shape === 'one') this.desc(NET_TX, d0, at, NET_HDR_SIZE + f.length, 0);
    else if (shape === 'two') {
      this.desc(NET_TX, d0, at, NET_HDR_SIZE, VIRTQ_DESC_F_NEXT, d1);
      this.desc(NET_TX, d1, at + NET_HDR_SIZE, f.length, 0);
    } else {
      const table = at + SLOT - 32;
      this.descAt(table, at, NET_HDR_SIZE, VIRTQ_DESC_F_NEXT, 1);
      this.descAt(table + 16, at + NET_HDR_SIZE, f.length, 0);
      this.desc(NET_TX, d0, table, 32, VIRTQ_DESC_F_INDIRECT);
    }
    this.offer(NET_TX, d0);
  }

  /** Send frames as one batch: one avail idx update, at most one kick. */
  send(frames: Uint8Array[], shape: TxShape = 'one'): boolean {
    const old = this.availIdx[NET_TX];
    for (const f of frames) this.queueTx(f, shape);
    return this.kick(NET_TX, this.expose(NET_TX, old));
  }

  /** Reap received frames and re-post their buffers (one kick, if the device wants one). */
  pollRx(): number {
    const used = this.reap(NET_RX);
    const old = this.availIdx[NET_RX];
    for (const { id, len } of used) {
      if (len === 0) this.rxZeroLen++;
      else {
        const b = this.ram.read(RX_DATA + SLOT * id, len)!;
        this.received.push({ hdr: b.slice(0, NET_HDR_SIZE), frame: b.slice(NET_HDR_SIZE) });
      }
      this.postRx(id);
    }
    if (used.length > 0) this.kick(NET_RX, this.expose(NET_RX, old));
    return used.length;
  }

  pollTx(): number {
    const used = this.reap(NET_TX);
    for (const u of used) expect(u.len).toBe(0);
    this.txDone += used.length;
    return used.length;
  }

  /** The interrupt handler: acknowledge, then reap both queues. */
  interrupt(): number {
    const status = this.ack();
    this.pollRx();
    this.pollTx();
    return status;
  }
}

interface Vm {
  pool: FramePool;
  ram: GuestRam;
  dev: VirtioNet;
  t: VirtioMmio;
  irq: boolean[];
  drv: NetDriver;
}

function vm(sw: VirtualSwitch | null, name: string, mac: string, o: VirtioNetOptions = {}) {
  return vmWith(sw, name, { mac, queueSize: 128, ...o }, {});
}

function vmWith(
  sw: VirtualSwitch | null,
  name: string,
  options: VirtioNetOptions,
  driver: DriverOptions,
): Vm {
  const pool = new FramePool(PAGES);
  const ram = new GuestRam(pool, BASE, PAGES * PAGE_SIZE);
  ram.populate();
  const dev = new VirtioNet(options);
  if (sw) dev.connect(sw, name);
  const irq: boolean[] = [];
  const t = new VirtioMmio(`virtio-${name}`, ram, dev, (l) => irq.push(l));
  const drv = new NetDriver(t, ram, RINGS, driver);
  return { pool, ram, dev, t, irq, drv };
}

function pair(o: SwitchOptions = {}, driver: DriverOptions = {}) {
  const sw = new VirtualSwitch(o);
  const a = vmWith(sw, 'a', { mac: MAC_A }, driver);
  const b = vmWith(sw, 'b', { mac: MAC_B }, driver);
  a.drv.init();
  b.drv.init();
  return { sw, a, b };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('virtio-net', () => {
  it('offers MAC, STATUS and MTU and shows them in config space', () => {
    const { t, drv } = vm(null, 'a', MAC_A, { mtu: 9000 });
    t.write(REG.deviceFeaturesSel, 4, 0);
    const lo = t.read(REG.deviceFeatures, 4);
    expect(lo & 0xffffff).toBe(WANT); // nothing else: no CSUM, no MRG_RXBUF, no CTRL_VQ, no MQ
    expect(lo >>> 28).toBe(0b11); // INDIRECT_DESC, EVENT_IDX from the transport
    expect(t.read(REG.deviceId, 4)).toBe(1);
    const mac = [0, 1, 2, 3, 4, 5].map((i) => t.read(0x100 + i, 1));
    expect(mac).toEqual([0x52, 0x54, 0, 0, 0, 0x0a]);
    expect(t.read(0x100, 4)).toBe(0x00_00_54_52);
    expect(t.read(0x106, 2)).toBe(1); // LINK_UP
    expect(t.read(0x108, 2)).toBe(1); // max_virtqueue_pairs
    expect(t.read(0x10a, 2)).toBe(9000);
    expect(t.read(0x10c, 4)).toBe(0); // beyond config space
    t.write(0x100, 1, 0xff); // read-only
    expect(t.read(0x100, 1)).toBe(0x52);
    drv.init();
    expect(drv.features).toBe(WANT);
    expect(t.metrics()).toMatchObject({ txPackets: 0, rxPackets: 0, linkUp: 1, needsResets: 0 });
  });

  for (const shape of ['one', 'two', 'indirect'] as const) {
    it(`delivers a frame from A to B by MAC, with the header (TX ${shape} descriptor)`, () => {
      const { sw, a, b } = pair();
      const f = frame(MAC_B, MAC_A, 100, 1);
      a.drv.send([f], shape);
      expect(b.irq).toEqual([true]);
      expect(b.drv.interrupt()).toBe(INT_USED);
      expect(b.drv.received).toHaveLength(1);
      const got = b.drv.received[0];
      // flags 0, gso_type NONE, hdr_len/gso_size/csum 0, num_buffers 1.
      expect(hex(got.hdr)).toBe('000000000000000000000100');
      expect(hex(got.frame)).toBe(hex(f));
      expect(a.irq).toEqual([true]);
      a.drv.interrupt();
      expect(a.drv.txDone).toBe(1);
      expect(a.drv.received).toHaveLength(0);
      expect(a.t.metrics()).toMatchObject({ txPackets: 1, txBytes: 114, 'kicks.transmitq': 1 });
      expect(b.t.metrics()).toMatchObject({ rxPackets: 1, rxBytes: 114, interrupts: 1 });
      // B answers: A was learned from its frame, so the reply is forwarded, not flooded.
      b.drv.send([frame(MAC_A, MAC_B, 60, 2)]);
      a.drv.interrupt();
      expect(hex(a.drv.received[0].frame)).toBe(hex(frame(MAC_A, MAC_B, 60, 2)));
      expect(sw.metrics()).toMatchObject({ flooded: 1, forwarded: 1, delivered: 2 });
    });
  }

  it('gives a device alone on the switch its own frames back (loopback)', () => {
    const sw = new VirtualSwitch();
    const a = vm(sw, 'a', MAC_A);
    a.drv.init();
    const frames = [0, 1, 2].map((i) => frame('02:00:00:00:00:01', MAC_A, 64 + i, i));
    a.drv.send(frames);
    // TX completion and three receptions: one raise of the line.
    expect(a.irq).toEqual([true]);
    a.drv.interrupt();
    expect(a.drv.received.map((r) => hex(r.frame))).toEqual(frames.map(hex));
    expect(a.drv.txDone).toBe(3);
    expect(a.t.metrics()).toMatchObject({
      txPackets: 3,
      rxPackets: 3,
      interrupts: 2, // one decision per queue per kick
      irqRaises: 1,
    });
    expect(sw.metrics()).toMatchObject({ loopback: 3 });
  });

  it('drops and counts frames with no receive buffer posted', () => {
    const { sw, a, b } = pair();
    // B's 64 buffers take 64 frames; it does not reap; the next ones are dropped.
    for (let i = 0; i < 70; i += 10) {
      a.drv.send(Array.from({ length: 10 }, (_, k) => frame(MAC_B, MAC_A, 50, i + k)));
      a.drv.pollTx();
    }
    expect(b.t.metrics()).toMatchObject({
      rxPackets: 64,
      rxDropped: 6,
      rxDroppedNoBuffer: 6,
    });
    expect(sw.portMetrics('b')).toMatchObject({ framesOut: 64, drops: 6 });
    expect(a.t.metrics()).toMatchObject({ txPackets: 70, txDropped: 0 });
    b.drv.interrupt(); // reaps 64 and re-posts them
    a.drv.send([frame(MAC_B, MAC_A, 50, 99)]);
    b.drv.interrupt();
    expect(b.drv.received.map((r) => r.frame[14])).toEqual([
      ...Array.from({ length: 64 }, (_, i) => (i * 7) & 0xff),
      (99 * 7) & 0xff,
    ]);
    // A device whose driver is not up drops as well.
    const c = vm(sw, 'c', '52:54:00:00:00:0c');
    a.drv.send([frame('52:54:00:00:00:0c', MAC_A)]);
    expect(c.t.metrics()).toMatchObject({ rxDroppedNoBuffer: 1, rxPackets: 0 });
  });

  it('completes a receive buffer too small for header + frame with length 0', () => {
    const { a, b } = pair();
    b.drv.reap(NET_RX); // nothing yet
    // Replace B's first posted buffer (descriptor 0) by a 40-byte one.
    b.drv.desc(NET_RX, 0, RX_DATA, 40, VIRTQ_DESC_F_WRITE);
    a.drv.send([frame(MAC_B, MAC_A, 100), frame(MAC_B, MAC_A, 10)]);
    b.drv.interrupt();
    expect(b.drv.rxZeroLen).toBe(1);
    expect(b.drv.received.map((r) => r.frame.length)).toEqual([24]);
    expect(b.t.metrics()).toMatchObject({ rxPackets: 1, rxDropped: 1, rxDroppedTooSmall: 1 });
  });

  it('completes and drops malformed transmit chains without stopping', () => {
    const { a, b } = pair();
    const old = a.drv.availIdx[NET_TX];
    a.drv.desc(NET_TX, 0, TX_DATA, 8, 0); // shorter than the header
    a.drv.offer(NET_TX, 0);
    a.drv.desc(NET_TX, 2, TX_DATA, NET_HDR_SIZE + 1515, 0); // over MTU + 14
    a.drv.offer(NET_TX, 2);
    a.drv.desc(NET_TX, 4, TX_DATA, NET_HDR_SIZE + 5, 0); // a runt: the switch drops it
    a.drv.offer(NET_TX, 4);
    a.drv.kick(NET_TX, a.drv.expose(NET_TX, old));
    expect(a.drv.reap(NET_TX)).toEqual([
      { id: 0, len: 0 },
      { id: 2, len: 0 },
      { id: 4, len: 0 },
    ]);
    expect(a.t.metrics()).toMatchObject({ txPackets: 0, txDropped: 3, txErrors: 2 });
    expect(a.t.needsResetReason).toBeNull();
    a.drv.txNext = a.drv.txDone = 3;
    a.drv.send([frame(MAC_B, MAC_A)]);
    b.drv.interrupt();
    expect(b.drv.received).toHaveLength(1);
  });

  it('needs a reset when a receive chain has no writable byte', () => {
    const { a, b } = pair();
    b.drv.desc(NET_RX, 0, RX_DATA, RX_BUF, 0); // posted readable: the wrong way round
    a.drv.send([frame(MAC_B, MAC_A)]);
    expect(b.t.needsResetReason).toBe(
      'net: receiveq: chain from head 0 has no device-writable buffer',
    );
    expect(b.t.read(REG.status, 4) & STATUS.needsReset).toBe(STATUS.needsReset);
    expect(b.drv.ack()).toBe(INT_CONFIG);
    a.drv.send([frame(MAC_B, MAC_A)]); // the device is stopped: dropped
    expect(b.t.metrics()).toMatchObject({ rxPackets: 0, rxDroppedNoBuffer: 2 });
    // A reset and a new handshake bring it back.
    b.drv.init();
    a.drv.pollTx();
    a.drv.send([frame(MAC_B, MAC_A, 50, 5)]);
    b.drv.interrupt();
    expect(b.drv.received.map((r) => hex(r.frame))).toEqual([hex(frame(MAC_B, MAC_A, 50, 5))]);
  });

  it('batching 32 frames per kick with EVENT_IDX: one kick and one interrupt per batch', () => {
    const run = (eventIdx: boolean) => {
      const { a, b } = pair({}, { eventIdx });
      const batches = 100;
      for (let n = 0; n < batches; n++) {
        const frames = Array.from({ length: 32 }, (_, k) => frame(MAC_B, MAC_A, 50, n + k));
        a.drv.send(frames);
        if (a.t.irqLevel) a.drv.interrupt();
        if (b.t.irqLevel) b.drv.interrupt();
      }
      expect(b.drv.received).toHaveLength(32 * batches);
      const [ma, mb] = [a.t.metrics(), b.t.metrics()];
      return {
        txKicks: ma['kicks.transmitq'],
        txInterrupts: ma.interrupts,
        rxInterrupts: mb.interrupts,
        rxRefillKicks: mb['kicks.receiveq'],
        irqRaises: ma.irqRaises + mb.irqRaises,
      };
    };
    expect(run(true)).toEqual({
      txKicks: 100,
      txInterrupts: 100,
      rxInterrupts: 100,
      rxRefillKicks: 1, // only the first post: the device never needs to hear of buffers
      irqRaises: 200,
    });
    // Without EVENT_IDX the device decides per frame on the receive side.
    expect(run(false)).toEqual({
      txKicks: 100,
      txInterrupts: 100,
      rxInterrupts: 3200,
      rxRefillKicks: 0, // NO_NOTIFY from the start
      irqRaises: 200,
    });
  });

  /** netflood in loopback: `batches` of 32 frames; exits = kicks + injections + handler MMIO. */
  function flood(napi: boolean, batches: number) {
    const sw = new VirtualSwitch();
    const a = vmWith(sw, 'a', { mac: MAC_A }, { rearm: !napi });
    a.drv.init();
    let mmio = 0;
    for (let n = 0; n < batches; n++) {
      // TX completions are reaped lazily on the next send (as Linux does): used_event on
      // the transmitq stays far behind. A NAPI-style driver also polls the receiveq
      // instead of taking its interrupt while traffic flows.
      a.drv.pollTx();
      a.drv.setUsedEvent(NET_TX, a.drv.lastUsed[NET_TX] + 0x7fff);
      const frames = Array.from({ length: 32 }, (_, k) => frame(MAC_A, MAC_A, 50, n + k));
      if (a.drv.send(frames)) mmio++;
      if (a.t.irqLevel) {
        mmio += 2; // InterruptStatus read + InterruptACK write
        a.drv.ack();
      }
      a.drv.pollRx();
      if (napi) a.drv.setUsedEvent(NET_RX, a.drv.lastUsed[NET_RX] + 0x7fff);
    }
    expect(a.drv.received).toHaveLength(32 * batches);
    const m = a.t.metrics();
    return {
      kicks: m.kicks,
      irqRaises: m.irqRaises,
      perPacket: (mmio + m.irqRaises) / (32 * batches),
    };
  }

  it('netflood 32 in loopback: exits per packet with EVENT_IDX', () => {
    // Interrupt-driven receive: per batch a kick, an injection, and the handler's two MMIO
    // accesses: 4 / 32.
    expect(flood(false, 100)).toEqual({ kicks: 101, irqRaises: 100, perPacket: 400 / 3200 });
    // NAPI-style (receive polled while busy): one kick per batch and only the very first
    // interrupt decision (always made) raises the line.
    const napi = flood(true, 100);
    expect(napi).toEqual({ kicks: 101, irqRaises: 1, perPacket: (100 + 2 + 1) / 3200 });
    expect(napi.perPacket).toBeLessThan(0.1);
  });

  it('signals link down and up with a config interrupt; a down link drops both ways', () => {
    const { sw, a, b } = pair();
    const gen = a.t.read(REG.configGeneration, 4);
    a.dev.setLink(false);
    expect(a.dev.linkUp).toBe(false);
    expect(a.t.read(0x106, 2)).toBe(0);
    expect(a.t.read(REG.configGeneration, 4)).toBe(gen + 1);
    expect(a.irq).toEqual([true]);
    expect(a.drv.ack()).toBe(INT_CONFIG);
    a.dev.setLink(false); // no change, no interrupt
    expect(a.irq).toEqual([true, false]);
    a.drv.send([frame(MAC_B, MAC_A)]);
    expect(a.drv.interrupt()).toBe(INT_USED); // still completed
    expect(a.drv.txDone).toBe(1);
    b.drv.send([frame(MAC_A, MAC_B)]);
    expect(b.drv.received).toHaveLength(0);
    expect(a.t.metrics()).toMatchObject({
      txPackets: 0,
      txDropped: 1,
      rxDroppedLinkDown: 1,
      linkUp: 0,
      linkChanges: 1,
      configInterrupts: 1,
    });
    expect(sw.portMetrics('a')).toMatchObject({ framesIn: 0, drops: 1 });
    a.dev.setLink(true);
    expect(a.drv.ack()).toBe(INT_CONFIG);
    expect(a.t.read(0x106, 2)).toBe(1);
    a.drv.send([frame(MAC_B, MAC_A, 50, 3)]);
    b.drv.interrupt();
    expect(b.drv.received).toHaveLength(1);
    expect(a.t.metrics()).toMatchObject({ linkChanges: 2, configInterrupts: 2 });
  });

  it('a snapshot mid-stream restores and continues identically', () => {
    const sw = new VirtualSwitch();
    const a = vm(sw, 'a', MAC_A);
    const b = vm(sw, 'b', MAC_B);
    a.drv.init();
    b.drv.init();
    a.drv.send([frame(MAC_B, MAC_A, 40, 1), frame(MAC_B, MAC_A, 41, 2)]);
    b.drv.interrupt();
    b.drv.send([frame(MAC_A, MAC_B, 42, 3)]);
    // Mid-stream: A has TX completions and a received frame not yet reaped; B has queued
    // a frame without exposing it; B's link is down.
    b.drv.queueTx(frame(MAC_A, MAC_B, 43, 4));
    b.dev.setLink(false);

    const state = { sw: sw.save(), a: a.t.save(), b: b.t.save() };
    const sw2 = new VirtualSwitch();
    const copy = (x: Vm, name: string): Vm => {
      const y = vm(sw2, name, '02:00:00:00:00:00'); // MAC and link come from the snapshot
      y.pool.u8.set(x.pool.u8);
      y.t.restore(state[name as 'a' | 'b']);
      y.drv = x.drv.clone(y.t, y.ram);
      return y;
    };
    const a2 = copy(a, 'a');
    const b2 = copy(b, 'b');
    sw2.restore(state.sw);
    expect(sw2.save()).toEqual(state.sw);
    expect(a2.t.save()).toEqual(state.a);
    expect(b2.dev.mac).toBe(MAC_B);
    expect(b2.dev.linkUp).toBe(false);

    const marks = [a.irq.length, b.irq.length];
    for (const [x, y] of [
      [a, b],
      [a2, b2],
    ]) {
      x.drv.interrupt();
      y.drv.kick(NET_TX, y.drv.expose(NET_TX, y.drv.availIdx[NET_TX] - 1)); // dropped: link down
      y.dev.setLink(true);
      y.drv.interrupt();
      y.drv.send([frame(MAC_A, MAC_B, 44, 5)]);
      x.drv.send([frame(MAC_B, MAC_A, 45, 6), frame('ff:ff:ff:ff:ff:ff', MAC_A, 46, 7)]);
      x.drv.interrupt();
      y.drv.interrupt();
    }
    const show = (r: Received[]) => r.map((e) => hex(e.hdr) + hex(e.frame));
    expect(show(a2.drv.received)).toEqual(show(a.drv.received));
    expect(show(b2.drv.received)).toEqual(show(b.drv.received));
    expect(a.drv.received.map((r) => r.frame.length)).toEqual([56, 58]);
    expect(b.drv.received.map((r) => r.frame.length)).toEqual([54, 55, 59, 60]);
    expect(a2.irq).toEqual(a.irq.slice(marks[0]));
    expect(b2.irq).toEqual(b.irq.slice(marks[1]));
    expect(a2.t.metrics()).toEqual(a.t.metrics());
    expect(b2.t.metrics()).toEqual(b.t.metrics());
    expect(sw2.save()).toEqual(sw.save());
    expect(Buffer.from(a2.pool.u8).equals(Buffer.from(a.pool.u8))).toBe(true);
    expect(Buffer.from(b2.pool.u8).equals(Buffer.from(b.pool.u8))).toBe(true);
  });
});
