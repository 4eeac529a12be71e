import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtioTestDriver, VIRTQ_DESC_F_WRITE } from '../../../test/virtio-driver.ts';
import { FramePool, PAGE_SIZE } from '../../memory/frame-pool.ts';
import { GuestRam, NO_FRAME } from '../../memory/guest-ram.ts';
import { VirtualSwitch, formatMac } from '../../net/switch.ts';
import { VirtioMmio } from '../virtio/mmio.ts';
import { NET_HDR_SIZE, NET_RX, NET_TX, VirtioNet } from '../virtio/net/device.ts';
import {
  CTRL_RST,
  E1000Nic,
  ICR_LSC,
  ICR_RXO,
  ICR_RXT0,
  ICR_TXDW,
  ICR_TXQE,
  NIC_REG as R,
  RCTL_EN,
  RXD_ERR_RXE,
  RXD_STAT_DD,
  RXD_STAT_EOP,
  STATUS_LU,
  TCTL_EN,
  TCTL_PSP,
  TXD_CMD_EOP,
  TXD_CMD_RS,
  TXD_STAT_DD,
  TXD_STAT_EC,
  type NicOptions,
} from './device.ts';
import { frame } from '../../../test/ethernet.ts';

const BASE = 0x8000_0000;
const PAGES = 128;
const END = BASE + PAGES * PAGE_SIZE;
const TX_RING = BASE + 0x1000;
const RX_RING = BASE + 0x2000;
const TX_DATA = BASE + 0x1_0000;
const RX_DATA = BASE + 0x4_0000;
const SLOT = 0x800;

const MAC_A = '52:54:00:00:00:0a';
const MAC_B = '52:54:00:00:00:0b';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/**
 * An e1000 driver as a small kernel writes it: rings of `n` legacy descriptors, receive
 * buffers of 2 KiB, interrupts on RXT0 | TXDW | LSC | RXO. The handler reads ICR, takes
 * received frames (DD set), gives the descriptors back with one RDT write and re-enables
 * the mask with an IMS write. Every register access is counted: each is an MMIO exit.
 */
class NicDriver {
  readonly nic: E1000Nic;
  readonly ram: GuestRam;
  readonly n: number;
  exits = 0;
  tdt = 0;
  txClean = 0;
  rxNext = 0;
  mac = '';
  received: Uint8Array[] = [];
  errors: number[] = [];
  lastIcr = 0;

  constructor(nic: E1000Nic, ram: GuestRam, n = 16) {
    this.nic = nic;
    this.ram = ram;
    this.n = n;
  }

  clone(nic: E1000Nic, ram: GuestRam): NicDriver {
    const d = new NicDriver(nic, ram, this.n);
    Object.assign(d, { ...this, nic, ram, received: [...this.received] });
    return d;
  }

  rd(off: number): number {
    this.exits++;
    return this.nic.read(off, 4) >>> 0;
  }
  wr(off: number, v: number): void {
    this.exits++;
    this.nic.write(off, 4, v);
  }

  /** A legacy descriptor: addr, length, then the cmd/status bytes. */
  writeDesc(pa: number, addr: number, len: number, cmd: number, hi = 0): void {
    const b = new Uint8Array(16);
    const v = new DataView(b.buffer);
    v.setUint32(0, addr >>> 0, true);
    v.setUint32(4, hi, true);
    v.setUint16(8, len, true);
    b[11] = cmd;
    this.ram.write(pa, b);
  }
  descBytes(pa: number): Uint8Array {
    return this.ram.read(pa, 16)!;
  }

  init(itr = 0): void {
    this.wr(R.ctrl, CTRL_RST);
    const lo = this.rd(R.ral0);
    const hi = this.rd(R.rah0);
    this.mac = formatMac(
      new Uint8Array([
        lo & 0xff,
        (lo >>> 8) & 0xff,
        (lo >>> 16) & 0xff,
        lo >>> 24,
        hi & 0xff,
        (hi >>> 8) & 0xff,
      ]),
    );
    this.ram.write(TX_RING, new Uint8Array(16 * this.n));
    this.ram.write(RX_RING, new Uint8Array(16 * this.n));
    for (let i = 0; i < this.n; i++) this.writeDesc(RX_RING + 16 * i, RX_DATA + SLOT * i, 0, 0);
    this.wr(R.tdbal, TX_RING);
    this.wr(R.tdbah, 0);
    this.wr(R.tdlen, 16 * this.n);
    this.wr(R.tdh, 0);
    this.wr(R.tdt, 0);
    this.wr(R.rdbal, RX_RING);
    this.wr(R.rdbah, 0);
    this.wr(R.rdlen, 16 * this.n);
    this.wr(R.rdh, 0);
    this.wr(R.rdt, this.n - 1); // all but one: RDH == RDT means empty
    this.wr(R.itr, itr);
    this.wr(R.ims, ICR_RXT0 | ICR_TXDW | ICR_LSC | ICR_RXO);
    this.wr(R.rctl, RCTL_EN);
    this.wr(R.tctl, TCTL_EN);
    this.tdt = this.txClean = this.rxNext = 0;
  }

  /** Put frames in the transmit ring and tell the NIC with one TDT write. */
  send(frames: Uint8Array[], cmd = TXD_CMD_EOP | TXD_CMD_RS): void {
    for (const f of frames) {
      if ((this.tdt + 1) % this.n === this.txClean) this.reapTx();
      const at = TX_DATA + SLOT * this.tdt;
      this.ram.write(at, f);
      this.writeDesc(TX_RING + 16 * this.tdt, at, f.length, cmd);
      this.tdt = (this.tdt + 1) % this.n;
    }
    this.wr(R.tdt, this.tdt);
  }

  reapTx(): number {
    let k = 0;
    while (this.txClean !== this.tdt) {
      const d = this.descBytes(TX_RING + 16 * this.txClean);
      if (!(d[12] & TXD_STAT_DD)) break;
      if (d[12] & TXD_STAT_EC) this.errors.push(this.txClean);
      this.txClean = (this.txClean + 1) % this.n;
      k++;
    }
    return k;
  }

  /** Take received frames and give their descriptors back (one RDT write). */
  pollRx(): number {
    let k = 0;
    for (; k < this.n; k++) {
      const pa = RX_RING + 16 * this.rxNext;
      const d = this.descBytes(pa);
      if (!(d[12] & RXD_STAT_DD)) break;
      expect(d[12]).toBe(RXD_STAT_DD | RXD_STAT_EOP);
      if (d[13] & RXD_ERR_RXE) this.errors.push(-1 - this.rxNext);
      else {
        const len = d[8] | (d[9] << 8);
        this.received.push(this.ram.read(RX_DATA + SLOT * this.rxNext, len)!);
      }
      this.writeDesc(pa, RX_DATA + SLOT * this.rxNext, 0, 0); // clear status
      this.rxNext = (this.rxNext + 1) % this.n;
    }
    if (k > 0) this.wr(R.rdt, (this.rxNext + this.n - 1) % this.n);
    return k;
  }

  /** The interrupt handler: ICR (read-to-clear), RX, TX clean-up, IMS to re-enable. */
  interrupt(): number {
    const icr = this.rd(R.icr);
    this.lastIcr = icr;
    if (icr & (ICR_RXT0 | ICR_RXO)) this.pollRx();
    if (icr & ICR_TXDW) this.reapTx();
    this.wr(R.ims, ICR_RXT0 | ICR_TXDW | ICR_LSC | ICR_RXO);
    return icr;
  }
}

interface Host {
  pool: FramePool;
  ram: GuestRam;
  nic: E1000Nic;
  irq: boolean[];
  drv: NicDriver;
}

function host(
  sw: VirtualSwitch | null,
  name: string,
  mac: string,
  n = 16,
  o: NicOptions = {},
): Host {
  const pool = new FramePool(PAGES);
  const ram = new GuestRam(pool, BASE, PAGES * PAGE_SIZE);
  ram.populate();
  const irq: boolean[] = [];
  const nic = new E1000Nic(name, ram, (l) => irq.push(l), { mac, ...o });
  if (sw) nic.connect(sw);
  return { pool, ram, nic, irq, drv: new NicDriver(nic, ram, n) };
}

function pair(n = 16) {
  const sw = new VirtualSwitch();
  const a = host(sw, 'nic-a', MAC_A, n);
  const b = host(sw, 'nic-b', MAC_B, n);
  a.drv.init();
  b.drv.init();
  return { sw, a, b };
}

describe('e1000 NIC', () => {
  it('shows link, MAC and masks; ICR is read-to-clear and drives a level line', () => {
    const { nic, irq, drv } = host(null, 'nic0', MAC_A);
    expect(nic.name).toBe('nic0');
    expect(drv.rd(R.status) & STATUS_LU).toBe(STATUS_LU);
    drv.init();
    expect(drv.mac).toBe(MAC_A);
    expect(drv.rd(R.ims)).toBe(ICR_RXT0 | ICR_TXDW | ICR_LSC | ICR_RXO);
    drv.wr(R.imc, ICR_TXDW | ICR_LSC | ICR_RXO);
    expect(drv.rd(R.ims)).toBe(ICR_RXT0);
    drv.wr(R.ics, ICR_TXDW); // masked: no interrupt
    expect(nic.irqLevel).toBe(false);
    drv.wr(R.ics, ICR_RXT0);
    expect(irq).toEqual([true]);
    expect(drv.rd(R.icr)).toBe(ICR_TXDW | ICR_RXT0);
    expect(irq).toEqual([true, false]);
    expect(drv.rd(R.icr)).toBe(0);
    // Unmasking a pending cause raises the line; a W1C write to ICR clears it.
    drv.wr(R.ics, ICR_TXQE);
    expect(nic.irqLevel).toBe(false);
    drv.wr(R.ims, ICR_TXQE);
    expect(nic.irqLevel).toBe(true);
    drv.wr(R.icr, ICR_TXQE);
    expect(nic.irqLevel).toBe(false);
    // Odd sizes and unknown registers: ignored.
    expect(nic.read(R.icr, 2)).toBe(0);
    nic.write(R.ims, 1, 0xff);
    expect(drv.rd(0x1234)).toBe(0);
    expect(nic.metrics()).toMatchObject({ icrReads: 2, badAccesses: 2, interrupts: 2 });
    // CTRL.RST: everything back to power-on, the MAC in RAL0/RAH0 again.
    drv.wr(R.ral0, 0);
    drv.wr(R.ctrl, CTRL_RST);
    expect([drv.rd(R.ims), drv.rd(R.rctl), drv.rd(R.tdlen), drv.rd(R.ctrl)]).toEqual([0, 0, 0, 0]);
    expect(drv.rd(R.ral0)).toBe(0x0000_5452);
    expect(drv.rd(R.rah0)).toBe(0x8000_0a00);
  });

  it('sends a frame from one NIC to another over the switch', () => {
    const { sw, a, b } = pair();
    const f = frame(MAC_B, MAC_A, 100, 1);
    a.drv.send([f]);
    // A: the descriptor is done (RS -> DD), TXDW and TXQE raised.
    expect(a.drv.descBytes(TX_RING)[12]).toBe(TXD_STAT_DD);
    expect(a.drv.rd(R.tdh)).toBe(1);
    expect(a.irq).toEqual([true]);
    expect(a.drv.interrupt()).toBe(ICR_TXDW | ICR_TXQE);
    // B: DD | EOP, the length, the bytes; RXT0.
    expect(b.irq).toEqual([true]);
    const d = b.drv.descBytes(RX_RING);
    expect([d[8] | (d[9] << 8), d[12], d[13]]).toEqual([114, RXD_STAT_DD | RXD_STAT_EOP, 0]);
    expect(b.drv.interrupt()).toBe(ICR_RXT0);
    expect(b.drv.received.map(hex)).toEqual([hex(f)]);
    expect(b.drv.rd(R.rdh)).toBe(1);
    expect(b.drv.rd(R.rdt)).toBe(0);
    // B answers; A was learned.
    b.drv.send([frame(MAC_A, MAC_B, 60, 2)]);
    a.drv.interrupt();
    expect(a.drv.received.map(hex)).toEqual([hex(frame(MAC_A, MAC_B, 60, 2))]);
    expect(a.nic.metrics()).toMatchObject({
      txPackets: 1,
      txBytes: 114,
      rxPackets: 1,
      rxBytes: 74,
      tdtWrites: 2, // init and one send
    });
    expect(sw.metrics()).toMatchObject({ flooded: 1, forwarded: 1 });
  });

  it('loops frames back to a NIC alone on the switch: about 4 exits per packet', () => {
    const sw = new VirtualSwitch();
    const a = host(sw, 'nic0', MAC_A);
    a.drv.init();
    const start = a.drv.exits;
    const packets = 100;
    for (let i = 0; i < packets; i++) {
      a.drv.send([frame('ff:ff:ff:ff:ff:ff', MAC_A, 50, i)]);
      expect(a.nic.irqLevel).toBe(true);
      a.drv.interrupt();
    }
    expect(a.drv.received).toHaveLength(packets);
    expect(a.drv.received[99]).toEqual(frame('ff:ff:ff:ff:ff:ff', MAC_A, 50, 99));
    // TDT write; ICR read, RDT write, IMS write — plus the injected interrupt.
    expect((a.drv.exits - start) / packets).toBe(4);
    expect(a.nic.metrics()).toMatchObject({
      interrupts: packets,
      icrReads: packets,
      imsWrites: packets + 1,
    });
    expect(sw.metrics().loopback).toBe(packets);
  });

  it('coalesces with ITR = N: one interrupt per N packets, the tail released by the timer', () => {
    const sw = new VirtualSwitch();
    const a = host(sw, 'nic0', MAC_A, 64);
    a.drv.init(8);
    const sends = 44;
    for (let i = 0; i < sends; i++) {
      a.drv.send([frame(MAC_A, MAC_A, 50, i)]); // each send: one TX and one RX packet
      if (a.nic.irqLevel) a.drv.interrupt();
    }
    // The first rises at once; then one per 8 packets (4 round trips): sends 1, 5, ..., 41.
    expect(a.nic.metrics().interrupts).toBe(1 + Math.floor((2 * sends - 2) / 8));
    expect(a.drv.received).toHaveLength(41);
    expect(a.nic.irqLevel).toBe(false);
    a.nic.itrExpired(); // the tail of 3 is let through by the "timer"
    expect(a.nic.irqLevel).toBe(true);
    a.drv.interrupt();
    expect(a.drv.received).toHaveLength(sends);
    expect(a.nic.metrics().coalesced).toBeGreaterThan(0);
    // Urgent causes are not held: no descriptor left -> RXO at once.
    a.drv.send([frame(MAC_A, MAC_A)]);
    a.drv.rd(R.icr);
    a.drv.wr(R.rdt, a.drv.rd(R.rdh)); // give the NIC nothing
    a.drv.send([frame(MAC_A, MAC_A)]);
    expect(a.nic.irqLevel).toBe(true);
    expect(a.drv.rd(R.icr) & ICR_RXO).toBe(ICR_RXO);
  });

  it('wraps both rings', () => {
    const { a, b } = pair(8);
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 21; i++) {
      const batch = [frame(MAC_B, MAC_A, 40 + i, i)];
      if (i % 5 === 0) batch.push(frame(MAC_B, MAC_A, 20, 100 + i)); // two per TDT write
      sent.push(...batch);
      a.drv.send(batch);
      a.drv.interrupt();
      b.drv.interrupt();
    }
    expect(b.drv.received.map(hex)).toEqual(sent.map(hex));
    expect(a.drv.rd(R.tdh)).toBe(sent.length % 8);
    expect(b.drv.rd(R.rdh)).toBe(sent.length % 8);
    expect(b.nic.metrics()).toMatchObject({ rxPackets: sent.length, rxDropped: 0 });
  });

  it('gathers a packet over several descriptors, up to EOP', () => {
    const { a, b } = pair();
    const f = frame(MAC_B, MAC_A, 200, 3);
    const d = a.drv;
    d.ram.write(TX_DATA, f.subarray(0, 14));
    d.ram.write(TX_DATA + SLOT, f.subarray(14, 100));
    d.ram.write(TX_DATA + 2 * SLOT, f.subarray(100));
    d.writeDesc(TX_RING, TX_DATA, 14, 0);
    d.writeDesc(TX_RING + 16, TX_DATA + SLOT, 86, 0);
    d.wr(R.tdt, 2); // the packet is not complete yet: nothing sent
    expect(a.nic.metrics().txPackets).toBe(0);
    d.writeDesc(TX_RING + 32, TX_DATA + 2 * SLOT, f.length - 100, TXD_CMD_EOP | TXD_CMD_RS);
    d.wr(R.tdt, 3);
    b.drv.interrupt();
    expect(b.drv.received.map(hex)).toEqual([hex(f)]);
  });

  it('pads short packets to 60 bytes with TCTL.PSP', () => {
    const { a, b } = pair();
    a.drv.send([frame(MAC_B, MAC_A, 10, 1)]);
    a.drv.wr(R.tctl, TCTL_EN | TCTL_PSP);
    a.drv.send([frame(MAC_B, MAC_A, 10, 2), frame(MAC_B, MAC_A, 50, 3)]);
    b.drv.interrupt();
    const padded = new Uint8Array(60);
    padded.set(frame(MAC_B, MAC_A, 10, 2));
    expect(b.drv.received.map(hex)).toEqual(
      [frame(MAC_B, MAC_A, 10, 1), padded, frame(MAC_B, MAC_A, 50, 3)].map(hex),
    );
    expect(a.nic.metrics().txBytes).toBe(24 + 60 + 64);
  });

  it('drops and counts a frame when the receive ring is empty (RXO)', () => {
    const { sw, a, b } = pair(8);
    // B has 7 descriptors (RDT = RDH - 1); the 8th and 9th frame are dropped.
    for (let i = 0; i < 9; i++) {
      a.drv.send([frame(MAC_B, MAC_A, 50, i)]);
      a.drv.interrupt();
    }
    expect(b.nic.metrics()).toMatchObject({ rxPackets: 7, rxDropped: 2, rxNoDescriptor: 2 });
    expect(sw.portMetrics('nic-b')).toMatchObject({ framesOut: 7, drops: 2 });
    expect(b.drv.interrupt()).toBe(ICR_RXT0 | ICR_RXO);
    expect(b.drv.received).toHaveLength(7);
    // Receive off, or a frame longer than the buffer: dropped as well.
    b.drv.wr(R.rctl, RCTL_EN | (3 << 16)); // 256-byte buffers
    a.drv.send([frame(MAC_B, MAC_A, 300)]);
    b.drv.wr(R.rctl, 0);
    a.drv.send([frame(MAC_B, MAC_A, 30)]);
    expect(b.nic.metrics()).toMatchObject({ rxPackets: 7, rxTooLong: 1, rxDropped: 4 });
    // RDLEN is in units of 128 bytes (8 descriptors): a ring of 4 is no ring.
    b.drv.wr(R.rdlen, 64);
    expect(b.drv.rd(R.rdlen)).toBe(0);
  });

  it('shares the switch with virtio-net', () => {
    const sw = new VirtualSwitch();
    const a = host(sw, 'nic0', MAC_A);
    a.drv.init();
    const pool = new FramePool(PAGES);
    const ram = new GuestRam(pool, BASE, PAGES * PAGE_SIZE);
    ram.populate();
    const dev = new VirtioNet({ mac: MAC_B, queueSize: 16 });
    dev.connect(sw, 'vnet0');
    const t = new VirtioMmio('virtio0', ram, dev);
    const rings = [0, 1].map((q) => ({
      size: 16,
      desc: BASE + 0x1000 + 0x3000 * q,
      avail: BASE + 0x2000 + 0x3000 * q,
      used: BASE + 0x3000 + 0x3000 * q,
    }));
    const v = new VirtioTestDriver(t, ram, rings);
    v.init(1, 1 << 5);
    for (let i = 0; i < 16; i++) {
      v.desc(NET_RX, i, BASE + 0x1_0000 + SLOT * i, 1526, VIRTQ_DESC_F_WRITE);
      v.offer(NET_RX, i);
    }
    v.kick(NET_RX, v.expose(NET_RX, 0));
    // NIC -> virtio-net.
    const f1 = frame(MAC_B, MAC_A, 80, 1);
    a.drv.send([f1]);
    const [u] = v.reap(NET_RX);
    expect(u.len).toBe(NET_HDR_SIZE + f1.length);
    expect(hex(ram.read(BASE + 0x1_0000 + SLOT * u.id + NET_HDR_SIZE, f1.length)!)).toBe(hex(f1));
    // virtio-net -> NIC.
    const f2 = frame(MAC_A, MAC_B, 90, 2);
    const at = BASE + 0x3_0000;
    ram.write(at, new Uint8Array(NET_HDR_SIZE));
    ram.write(at + NET_HDR_SIZE, f2);
    v.desc(NET_TX, 0, at, NET_HDR_SIZE + f2.length, 0);
    v.kick(NET_TX, v.publish(NET_TX, 0));
    a.drv.interrupt();
    expect(a.drv.received.map(hex)).toEqual([hex(f2)]);
    expect(sw.metrics()).toMatchObject({ flooded: 1, forwarded: 1, delivered: 2 });
  });

  it('signals link changes (LSC, STATUS.LU) and drops both ways while down', () => {
    const { a, b } = pair();
    a.nic.setLink(false);
    expect(a.drv.rd(R.status) & STATUS_LU).toBe(0);
    expect(a.nic.irqLevel).toBe(true);
    expect(a.drv.interrupt()).toBe(ICR_LSC);
    a.drv.send([frame(MAC_B, MAC_A)]);
    expect(a.drv.descBytes(TX_RING)[12]).toBe(TXD_STAT_DD); // completed, not sent
    b.drv.send([frame(MAC_A, MAC_B)]);
    expect(a.nic.metrics()).toMatchObject({
      txDropped: 1,
      rxDropped: 1,
      linkChanges: 1,
      linkUp: 0,
    });
    a.nic.setLink(true);
    expect(a.drv.interrupt() & ICR_LSC).toBe(ICR_LSC);
    expect(a.drv.rd(R.status) & STATUS_LU).toBe(STATUS_LU);
  });

  it('survives hostile descriptors and registers without throwing', () => {
    const { a, b } = pair(8);
    const d = a.drv;
    // A buffer outside RAM: DD | EC, counted, the next packet goes out.
    d.writeDesc(TX_RING, END - 8, 64, TXD_CMD_EOP | TXD_CMD_RS);
    d.writeDesc(TX_RING + 16, TX_DATA, 0, TXD_CMD_EOP | TXD_CMD_RS, 1); // high word, empty
    d.writeDesc(TX_RING + 32, BASE, 64, TXD_CMD_EOP, 1); // high word set, no RS
    d.ram.write(TX_DATA + 3 * SLOT, frame(MAC_B, MAC_A, 30, 9));
    d.writeDesc(TX_RING + 48, TX_DATA + 3 * SLOT, 44, TXD_CMD_EOP | TXD_CMD_RS);
    d.wr(R.tdt, 4);
    expect([0, 1, 2, 3].map((i) => d.descBytes(TX_RING + 16 * i)[12])).toEqual([
      TXD_STAT_DD | TXD_STAT_EC,
      TXD_STAT_DD,
      TXD_STAT_DD | TXD_STAT_EC,
      TXD_STAT_DD,
    ]);
    b.drv.interrupt();
    expect(b.drv.received.map(hex)).toEqual([hex(frame(MAC_B, MAC_A, 30, 9))]);
    // A runt (empty packet) is refused by the switch and counted as dropped.
    expect(a.nic.metrics()).toMatchObject({ txPackets: 1, txDropped: 3, bufferErrors: 2 });
    // TDT beyond the ring: nothing happens until the driver fixes it.
    d.wr(R.tdt, 200);
    expect(d.rd(R.tdh)).toBe(4);
    expect(a.nic.metrics().tailErrors).toBe(1);
    // A huge ring whose descriptors run off the end of RAM.
    d.wr(R.tdbal, END - 0x100);
    d.wr(R.tdlen, 0xffff_ffff);
    expect(d.rd(R.tdlen)).toBe(0xf_ff80);
    d.wr(R.tdh, 0);
    d.wr(R.tdt, 0xfff0);
    expect(d.rd(R.tdh)).toBe(0xfff0);
    expect(a.nic.metrics().descErrors).toBe(0xfff0 - 16);
    // A receive ring with a bad buffer: DD | EOP with RXE, length 0.
    const bd = b.drv;
    bd.writeDesc(RX_RING + 16 * bd.rxNext, 0x1000, 0, 0);
    d.wr(R.tdbal, TX_RING);
    d.wr(R.tdlen, 16 * 8);
    d.wr(R.tdh, 0);
    d.tdt = d.txClean = 0;
    d.send([frame(MAC_B, MAC_A)]);
    const rd = bd.descBytes(RX_RING + 16 * bd.rxNext);
    expect([rd[8], rd[12], rd[13]]).toEqual([0, RXD_STAT_DD | RXD_STAT_EOP, RXD_ERR_RXE]);
    expect(b.nic.metrics()).toMatchObject({ bufferErrors: 1, rxPackets: 1 });
    // A receive ring based above 4 GiB: descriptors unreadable, frames dropped.
    bd.wr(R.rdbah, 1);
    d.send([frame(MAC_B, MAC_A)]);
    expect(b.nic.metrics().descErrors).toBe(1);
  });

  it('never throws on random registers, rings and frames (fast-check)', () => {
    const regs = Object.values(R);
    const op = fc.oneof(
      fc.record({
        k: fc.constant('write' as const),
        off: fc.oneof(fc.constantFrom(...regs), fc.integer({ min: 0, max: 0x1ffff })),
        v: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 0xffff_ffff })),
        size: fc.constantFrom(4, 4, 4, 2, 1),
      }),
      fc.record({ k: fc.constant('read' as const), off: fc.constantFrom(...regs) }),
      fc.record({
        k: fc.constant('mem' as const),
        at: fc.integer({ min: 0, max: 0x3000 - 16 }),
        bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
      }),
      fc.record({ k: fc.constant('rx' as const), n: fc.integer({ min: 0, max: 3000 }) }),
      fc.record({ k: fc.constant('host' as const), which: fc.integer({ min: 0, max: 2 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const sw = new VirtualSwitch();
        const a = host(sw, 'nic0', MAC_A, 8);
        const hole = 3; // the data page after the rings has no frame
        a.pool.release(a.ram.p2m[hole]);
        a.ram.p2m[hole] = NO_FRAME;
        a.drv.init();
        const rxOps = ops.filter((o) => o.k === 'rx').length;
        for (const o of ops) {
          if (o.k === 'write') a.nic.write(o.off, o.size, o.v);
          else if (o.k === 'read') a.nic.read(o.off, 4);
          else if (o.k === 'mem') a.ram.write(TX_RING + o.at, o.bytes);
          else if (o.k === 'rx') a.nic.receive(new Uint8Array(o.n));
          else if (o.which === 0) a.nic.setLink(!a.nic.linkUp);
          else if (o.which === 1) a.nic.itrExpired();
          else a.nic.write(R.tdt, 4, (a.nic.read(R.tdh, 4) + 7) % 8);
        }
        // Every frame the NIC sent came back (loopback) and was received or dropped.
        const m = a.nic.metrics();
        expect(m.rxPackets + m.rxDropped).toBe(m.txPackets + rxOps);
        // The line is up only for an unmasked cause, and always for one without coalescing.
        const regs = a.nic.save().regs as Record<string, number>;
        const cause = (regs.icr & regs.ims) !== 0;
        if (a.nic.irqLevel) expect(cause).toBe(true);
        else if (regs.itr === 0) expect(cause).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('a snapshot mid-stream restores and continues identically', () => {
    const sw = new VirtualSwitch();
    const a = host(sw, 'nic-a', MAC_A, 8);
    const b = host(sw, 'nic-b', MAC_B, 8);
    a.drv.init(2);
    b.drv.init();
    a.drv.send([frame(MAC_B, MAC_A, 40, 1), frame(MAC_B, MAC_A, 41, 2)]);
    b.drv.interrupt();
    b.drv.send([frame(MAC_A, MAC_B, 42, 3)]);
    // Mid-stream: A has not taken its interrupt; a half-gathered packet sits in A's NIC.
    const f = frame(MAC_B, MAC_A, 100, 4);
    a.ram.write(TX_DATA + SLOT * 2, f.subarray(0, 30));
    a.drv.writeDesc(TX_RING + 32, TX_DATA + SLOT * 2, 30, 0);
    a.drv.tdt = 3;
    a.drv.wr(R.tdt, 3);

    const state = { sw: sw.save(), a: a.nic.save(), b: b.nic.save() };
    const sw2 = new VirtualSwitch();
    const copy = (x: Host, name: string, s: typeof state.a): Host => {
      const y = host(sw2, name, '02:00:00:00:00:00', 8);
      y.pool.u8.set(x.pool.u8);
      y.nic.restore(s);
      y.drv = x.drv.clone(y.nic, y.ram);
      return y;
    };
    const a2 = copy(a, 'nic-a', state.a);
    const b2 = copy(b, 'nic-b', state.b);
    sw2.restore(state.sw);
    expect(a2.nic.save()).toEqual(state.a);
    expect(a2.nic.mac).toBe(MAC_A);
    expect(a2.nic.irqLevel).toBe(a.nic.irqLevel);

    const marks = [a.irq.length, b.irq.length];
    for (const [x, y] of [
      [a, b],
      [a2, b2],
    ]) {
      x.ram.write(TX_DATA + SLOT * 3, f.subarray(30));
      x.drv.writeDesc(TX_RING + 48, TX_DATA + SLOT * 3, f.length - 30, TXD_CMD_EOP | TXD_CMD_RS);
      x.drv.tdt = 4;
      x.drv.wr(R.tdt, 4);
      x.drv.interrupt();
      y.drv.interrupt();
      y.drv.send([frame(MAC_A, MAC_B, 43, 5), frame(MAC_A, MAC_B, 44, 6)]);
      x.nic.itrExpired();
      x.drv.interrupt();
    }
    expect(a2.drv.received.map(hex)).toEqual(a.drv.received.map(hex));
    expect(b2.drv.received.map(hex)).toEqual(b.drv.received.map(hex));
    expect(b.drv.received.map(hex)).toContain(hex(f));
    expect(a.drv.received).toHaveLength(3);
    expect(a2.irq).toEqual(a.irq.slice(marks[0]));
    expect(b2.irq).toEqual(b.irq.slice(marks[1]));
    expect(a2.nic.save()).toEqual(a.nic.save());
    expect(b2.nic.save()).toEqual(b.nic.save());
    expect(sw2.save()).toEqual(sw.save());
    expect(Buffer.from(a2.pool.u8).equals(Buffer.from(a.pool.u8))).toBe(true);
    expect(Buffer.from(b2.pool.u8).equals(Buffer.from(b.pool.u8))).toBe(true);
    expect(() => a2.nic.restore({ ...state.a, regs: {} })).toThrow(/lacks/);
  });
});
