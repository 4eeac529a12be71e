import type { MmioDevice } from '../../machine/bus.ts';
import type { GuestRam } from '../../memory/guest-ram.ts';
import {
  DEFAULT_MTU,
  ETH_HEADER,
  type MacAddress,
  type SwitchPort,
  type VirtualSwitch,
} from '../../net/switch.ts';
import { SwitchPlug } from '../../net/switch-plug.ts';
import {
  SnapshotError,
  snapBool,
  snapBytes,
  snapNumber,
  snapObject,
  type Persistent,
  type SnapObject,
} from '../../snapshot/persist.ts';

/**
 * The emulated baseline NIC (DESIGN §5): a register-level subset of Intel's 8254x (e1000)
 * with legacy descriptors, enough for a polled or interrupt-driven driver, on the same
 * virtual switch as virtio-net. Every register access is an MMIO exit, so a driver pays
 * per packet what it pays on real e1000 emulation: a TDT write to send; an ICR read, an
 * RDT write and an IMS write to receive — about four exits a packet (plus the injected
 * interrupt) for a round trip, unless ITR coalesces interrupts.
 *
 * Registers (32-bit, little-endian; other sizes or offsets read 0 and ignore writes):
 *
 * | Off    | Name   | Access | Meaning here                                                    |
 * |--------|--------|--------|-----------------------------------------------------------------|
 * | 0x0000 | CTRL   | RW     | stored; RST (bit 26) resets the device and self-clears          |
 * | 0x0008 | STATUS | R      | FD (bit 0), LU (bit 1: the host's link), SPEED 1000 (7:6 = 10)  |
 * | 0x00C0 | ICR    | R/W1C  | causes; a read returns them and clears all                      |
 * | 0x00C4 | ITR    | RW     | coalescing: N > 0 = at most one interrupt per N packets (below) |
 * | 0x00C8 | ICS    | W      | sets ICR bits (software interrupt)                              |
 * | 0x00D0 | IMS    | RW     | write sets mask bits; read gives the mask                       |
 * | 0x00D8 | IMC    | W      | clears mask bits                                                |
 * | 0x0100 | RCTL   | RW     | EN (1) receive on; BSIZE (17:16) + BSEX (25) buffer size        |
 * | 0x0400 | TCTL   | RW     | EN (1) transmit on (setting it sends what TDT already covers);  |
 * |        |        |        | PSP (3) pads packets shorter than 60 bytes with zeros           |
 * | 0x2800 | RDBAL  | RW     | receive ring base, low (bits 3:0 ignored)                       |
 * | 0x2804 | RDBAH  | RW     | receive ring base, high (non-zero: outside RAM on RV32)         |
 * | 0x2808 | RDLEN  | RW     | ring bytes (bits 19:7; size = RDLEN / 16, at most 65528)        |
 * | 0x2810 | RDH    | RW     | head: the next descriptor the NIC fills                         |
 * | 0x2818 | RDT    | RW     | tail: the driver gives descriptors up to (not including) it     |
 * | 0x3800 | TDBAL  | RW     | transmit ring base, low                                         |
 * | 0x3804 | TDBAH  | RW     | transmit ring base, high                                        |
 * | 0x3808 | TDLEN  | RW     | as RDLEN                                                        |
 * | 0x3810 | TDH    | RW     | head: the next descriptor the NIC sends                         |
 * | 0x3818 | TDT    | RW     | tail: a write sends descriptors TDH..TDT-1 at once              |
 * | 0x5400 | RAL0   | RW     | MAC bytes 0..3 (preloaded, as from the EEPROM)                  |
 * | 0x5404 | RAH0   | RW     | MAC bytes 4..5 in bits 15:0, AV (bit 31) set                    |
 *
 * ICR causes: TXDW 0x01 (a descriptor with RS written back), TXQE 0x02 (transmit ring
 * empty), LSC 0x04 (link changed), RXO 0x40 (a frame dropped: no receive descriptor),
 * RXT0 0x80 (a frame received). The interrupt line is level = (ICR & IMS) != 0.
 *
 * Legacy descriptors, 16 bytes. TX: addr u64 @0, length u16 @8, cso u8 @10, cmd u8 @11
 * (EOP 0x01, RS 0x08; IFCS and the rest ignored), status u8 @12 (DD 0x01, EC 0x02), css
 * u8 @13, special u16 @14. A packet is the buffers of consecutive descriptors up to one
 * with EOP; it may span TDT writes, and moving the ring (TDBAL, TDBAH, TDLEN, TDH) drops
 * it. RX: addr u64 @0, length u16 @8, csum u16 @10, status u8 @12 (DD 0x01, EOP 0x02),
 * errors u8 @13 (RXE 0x80), special u16 @14. One descriptor per frame; the frame has no
 * FCS (as with RCTL.SECRC).
 *
 * Semantics. TDT write (with TCTL.EN): descriptors from TDH up to TDT are processed in
 * order, at most one ring's worth; RS gets DD written back; then TXDW (if any RS) and TXQE.
 * A frame from the switch goes into the descriptor at RDH if RCTL.EN and RDH != RDT, gets
 * length, DD|EOP, and RDH advances; then RXT0. No descriptor: dropped, counted, RXO. A
 * frame longer than the receive buffer (BSIZE) or than MTU + 14 on transmit is dropped and
 * counted. Receive is promiscuous (the switch is the only filter; RAL0/RAH0 are read by
 * the driver to learn its MAC and are not used to filter).
 *
 * Hostile rings never throw: a head or tail beyond the ring stops that ring (tailErrors)
 * until the driver fixes it; a descriptor outside RAM is skipped (descErrors); a buffer
 * outside RAM or unbacked gets DD with an error bit (TX status EC, RX errors RXE, length
 * 0) and its packet is dropped (bufferErrors). Every loop is bounded by the ring size.
 *
 * Interrupt coalescing (ITR), a packet-count model instead of e1000's 256 ns timer: with
 * ITR = N > 0 the line may rise only when N packets (sent or received) have gone by since
 * it last rose; causes stay in ICR meanwhile (each held-back rise counts in `coalesced`).
 * LSC, RXO and ICS writes are urgent and raise at once. The host stands in for the timer:
 * itrExpired() lets a held interrupt through (the board should call it once per scheduling
 * round, so a tail of fewer than N packets is not held for ever). ITR = 0: one interrupt
 * per event.
 *
 * Link down: frames are dropped both ways (transmit descriptors are still completed).
 */
export const NIC_SIZE = 0x2_0000;

export const NIC_REG = {
  ctrl: 0x0000,
  status: 0x0008,
  icr: 0x00c0,
  itr: 0x00c4,
  ics: 0x00c8,
  ims: 0x00d0,
  imc: 0x00d8,
  rctl: 0x0100,
  tctl: 0x0400,
  rdbal: 0x2800,
  rdbah: 0x2804,
  rdlen: 0x2808,
  rdh: 0x2810,
  rdt: 0x2818,
  tdbal: 0x3800,
  tdbah: 0x3804,
  tdlen: 0x3808,
  tdh: 0x3810,
  tdt: 0x3818,
  ral0: 0x5400,
  rah0: 0x5404,
} as const;

export const ICR_TXDW = 0x01;
export const ICR_TXQE = 0x02;
export const ICR_LSC = 0x04;
export const ICR_RXO = 0x40;
export const ICR_RXT0 = 0x80;
export const CTRL_RST = 1 << 26;
export const STATUS_FD = 0x01;
export const STATUS_LU = 0x02;
export const STATUS_SPEED_1000 = 0x80;
export const RCTL_EN = 0x02;
export const RCTL_BSEX = 1 << 25;
export const TCTL_EN = 0x02;
/** Pad short packets to 60 bytes (64 with the FCS the wire would add). */
export const TCTL_PSP = 0x08;
const MIN_PADDED = 60;
export const RAH_AV = 0x8000_0000;
export const TXD_CMD_EOP = 0x01;
export const TXD_CMD_RS = 0x08;
export const TXD_STAT_DD = 0x01;
export const TXD_STAT_EC = 0x02;
export const RXD_STAT_DD = 0x01;
export const RXD_STAT_EOP = 0x02;
export const RXD_ERR_RXE = 0x80;

const DESC = 16;
const LEN_MASK = 0x000f_ff80;
/** Packets since the last rise, saturating: "long ago" at power-on. */
const LONG_AGO = 0x7fff_ffff;

export interface NicOptions {
  /** The MAC in RAL0/RAH0; default 52:54:00:12:34:56. */
  mac?: MacAddress | string;
  /** Largest transmitted payload (frame up to MTU + 14 bytes); default 1500. */
  mtu?: number;
  /** The link at power-on; default up. */
  linkUp?: boolean;
}

/** The registers a snapshot holds, and that a reset zeroes (RAL0/RAH0 get the MAC back). */
const REGS = [
  'ctrl',
  'icr',
  'itr',
  'ims',
  'rctl',
  'tctl',
  'rdbal',
  'rdbah',
  'rdlen',
  'rdh',
  'rdt',
  'tdbal',
  'tdbah',
  'tdlen',
  'tdh',
  'tdt',
  'ral0',
  'rah0',
] as const;
type Reg = (typeof REGS)[number];

const COUNTERS = [
  'txPackets',
  'txBytes',
  'txDropped',
  'rxPackets',
  'rxBytes',
  'rxDropped',
  'rxNoDescriptor',
  'rxTooLong',
  'descErrors',
  'bufferErrors',
  'tailErrors',
  'interrupts',
  'coalesced',
  'tailWrites',
  'tdtWrites',
  'rdtWrites',
  'icrReads',
  'imsWrites',
  'regReads',
  'regWrites',
  'badAccesses',
  'resets',
  'linkChanges',
] as const;
type Counter = (typeof COUNTERS)[number];

export class E1000Nic implements MmioDevice, Persistent<SnapObject> {
  readonly name: string;
  private readonly ram: GuestRam;
  private readonly irq: (level: boolean) => void;
  private readonly plug: SwitchPlug;
  private readonly mtu: number;
  private link: boolean;
  private readonly r = {} as Record<Reg, number>;
  /** The transmit packet being gathered (descriptors up to EOP) and whether it is spoiled. */
  private readonly txBuf: Uint8Array;
  private txLen = 0;
  private txBad = false;
  private sinceIrq = LONG_AGO;
  private line = false;
  /** Descriptor copies, one per direction: a loopback receive runs inside transmit(). */
  private readonly txDesc = new Uint8Array(DESC);
  private readonly txView = new DataView(this.txDesc.buffer);
  private readonly rxDesc = new Uint8Array(DESC);
  private readonly rxView = new DataView(this.rxDesc.buffer);
  private readonly rxWb = new Uint8Array(8);
  private readonly c = {} as Record<Counter, number>;

  /** `irq` drives the NIC's interrupt line (level-triggered), called when the level changes. */
  constructor(
    name: string,
    ram: GuestRam,
    irq: (level: boolean) => void = () => {},
    options: NicOptions = {},
  ) {
    this.name = name;
    this.ram = ram;
    this.irq = irq;
    this.plug = new SwitchPlug(options.mac ?? '52:54:00:12:34:56', (frame) => this.receive(frame));
    this.mtu = options.mtu ?? DEFAULT_MTU;
    if (!Number.isInteger(this.mtu) || this.mtu < 68 || this.mtu > 16_000) {
      throw new RangeError(`${name}: MTU ${this.mtu} is not in 68..16000`);
    }
    this.link = options.linkUp ?? true;
    this.txBuf = new Uint8Array(this.mtu + ETH_HEADER);
    for (const k of COUNTERS) this.c[k] = 0;
    this.powerOn();
  }

  /** Plug into a switch as port `name` (default: the device's name). */
  connect(sw: VirtualSwitch, name = this.name): SwitchPort {
    return this.plug.connect(sw, name);
  }

  disconnect(): void {
    this.plug.disconnect();
  }

  get mac(): string {
    return this.plug.mac;
  }

  get linkUp(): boolean {
    return this.link;
  }

  /** The current interrupt line level. */
  get irqLevel(): boolean {
    return this.line;
  }

  /** Host side: plug or unplug the cable (STATUS.LU, and an LSC interrupt). */
  setLink(up: boolean): void {
    if (up === this.link) return;
    this.link = up;
    this.c.linkChanges++;
    this.r.icr |= ICR_LSC;
    this.updateLine(true);
  }

  /** Host side: the coalescing interval elapsed; a held interrupt may rise now. */
  itrExpired(): void {
    this.sinceIrq = LONG_AGO;
    this.updateLine(false);
  }

  read(off: number, size: number): number {
    if (size !== 4 || off & 3) {
      this.c.badAccesses++;
      return 0;
    }
    this.c.regReads++;
    const r = this.r;
    switch (off) {
      case NIC_REG.ctrl:
        return r.ctrl;
      case NIC_REG.status:
        return STATUS_FD | STATUS_SPEED_1000 | (this.link ? STATUS_LU : 0);
      case NIC_REG.icr: {
        const v = r.icr;
        this.c.icrReads++;
        r.icr = 0;
        this.updateLine(false);
        return v;
      }
      case NIC_REG.itr:
        return r.itr;
      case NIC_REG.ims:
        return r.ims;
      case NIC_REG.rctl:
        return r.rctl;
      case NIC_REG.tctl:
        return r.tctl;
      case NIC_REG.rdbal:
        return r.rdbal;
      case NIC_REG.rdbah:
        return r.rdbah;
      case NIC_REG.rdlen:
        return r.rdlen;
      case NIC_REG.rdh:
        return r.rdh;
      case NIC_REG.rdt:
        return r.rdt;
      case NIC_REG.tdbal:
        return r.tdbal;
      case NIC_REG.tdbah:
        return r.tdbah;
      case NIC_REG.tdlen:
        return r.tdlen;
      case NIC_REG.tdh:
        return r.tdh;
      case NIC_REG.tdt:
        return r.tdt;
      case NIC_REG.ral0:
        return r.ral0;
      case NIC_REG.rah0:
        return r.rah0;
      default:
        return 0;
    }
  }

  write(off: number, size: number, value: number): void {
    if (size !== 4 || off & 3) {
      this.c.badAccesses++;
      return;
    }
    this.c.regWrites++;
    const v = value >>> 0;
    const r = this.r;
    switch (off) {
      case NIC_REG.ctrl:
        if (v & CTRL_RST) this.deviceReset();
        else r.ctrl = v;
        return;
      case NIC_REG.icr:
        r.icr = (r.icr & ~v) >>> 0;
        this.updateLine(false);
        return;
      case NIC_REG.itr:
        r.itr = v & 0xffff;
        this.updateLine(false);
        return;
      case NIC_REG.ics:
        r.icr = (r.icr | v) >>> 0;
        this.updateLine(true);
        return;
      case NIC_REG.ims:
        this.c.imsWrites++;
        r.ims = (r.ims | v) >>> 0;
        this.updateLine(false);
        return;
      case NIC_REG.imc:
        r.ims = (r.ims & ~v) >>> 0;
        this.updateLine(false);
        return;
      case NIC_REG.rctl:
        r.rctl = v;
        return;
      case NIC_REG.tctl: {
        const was = r.tctl & TCTL_EN;
        r.tctl = v;
        if (!was && v & TCTL_EN) this.transmit();
        return;
      }
      case NIC_REG.rdbal:
        r.rdbal = (v & ~0xf) >>> 0;
        return;
      case NIC_REG.rdbah:
        r.rdbah = v;
        return;
      case NIC_REG.rdlen:
        r.rdlen = v & LEN_MASK;
        return;
      case NIC_REG.rdh:
        r.rdh = v & 0xffff;
        return;
      case NIC_REG.rdt:
        this.c.tailWrites++;
        this.c.rdtWrites++;
        r.rdt = v & 0xffff;
        return;
      case NIC_REG.tdbal:
        this.dropPartial();
        r.tdbal = (v & ~0xf) >>> 0;
        return;
      case NIC_REG.tdbah:
        this.dropPartial();
        r.tdbah = v;
        return;
      case NIC_REG.tdlen:
        this.dropPartial();
        r.tdlen = v & LEN_MASK;
        return;
      case NIC_REG.tdh:
        this.dropPartial();
        r.tdh = v & 0xffff;
        return;
      case NIC_REG.tdt:
        this.c.tailWrites++;
        this.c.tdtWrites++;
        r.tdt = v & 0xffff;
        this.transmit();
        return;
      case NIC_REG.ral0:
        r.ral0 = v;
        return;
      case NIC_REG.rah0:
        r.rah0 = (v & (RAH_AV | 0xffff)) >>> 0;
        return;
      default:
        return;
    }
  }

  /**
   * A frame from the switch (its deliver callback). Returns false when it was dropped: link
   * down, receive off, no descriptor, too long for the buffer, or a bad descriptor.
   */
  receive(frame: Uint8Array): boolean {
    const r = this.r;
    const c = this.c;
    if (!this.link || !(r.rctl & RCTL_EN)) {
      c.rxDropped++;
      return false;
    }
    const size = r.rdlen / DESC;
    if (size === 0 || r.rdh >= size || r.rdt >= size) {
      if (size !== 0) c.tailErrors++;
      c.rxDropped++;
      c.rxNoDescriptor++;
      return false;
    }
    if (r.rdh === r.rdt) {
      c.rxDropped++;
      c.rxNoDescriptor++;
      r.icr |= ICR_RXO;
      this.updateLine(true);
      return false;
    }
    const len = frame.length;
    if (len > this.rxBufferSize()) {
      c.rxDropped++;
      c.rxTooLong++;
      return false;
    }
    const pa = this.ringBase(r.rdbal, r.rdbah) + DESC * r.rdh;
    r.rdh = (r.rdh + 1) % size;
    if (!this.ram.readInto(pa, this.rxDesc, 0, DESC)) {
      c.descErrors++;
      c.rxDropped++;
      return false;
    }
    const view = this.rxView;
    const addrLo = view.getUint32(0, true);
    const addrHi = view.getUint32(4, true);
    const ok =
      addrHi === 0 && this.ram.contains(addrLo, len) && this.ram.writeFrom(addrLo, frame, 0, len);
    const wb = this.rxWb;
    wb.fill(0);
    if (ok) {
      wb[0] = len & 0xff;
      wb[1] = len >>> 8;
      wb[4] = RXD_STAT_DD | RXD_STAT_EOP;
    } else {
      wb[4] = RXD_STAT_DD | RXD_STAT_EOP;
      wb[5] = RXD_ERR_RXE;
      c.bufferErrors++;
      c.rxDropped++;
    }
    this.ram.writeFrom(pa + 8, wb, 0, 8);
    if (ok) {
      c.rxPackets++;
      c.rxBytes += len;
    }
    this.packetDone();
    r.icr |= ICR_RXT0;
    this.updateLine(false);
    return ok;
  }

  metrics(): Record<string, number> {
    return { ...this.c, linkUp: this.link ? 1 : 0 };
  }

  save(): SnapObject {
    const regs: SnapObject = {};
    for (const k of REGS) regs[k] = this.r[k];
    return {
      mac: this.plug.macBytes.slice(),
      mtu: this.mtu,
      linkUp: this.link,
      regs,
      tx: this.txBuf.slice(0, this.txLen),
      txBad: this.txBad,
      sinceIrq: this.sinceIrq,
      line: this.line,
      counters: { ...this.c },
    };
  }

  /** Restore in place; the interrupt line is not driven (the PLIC's snapshot holds it). */
  restore(s: SnapObject): void {
    const mac = snapBytes(s, 'mac', 6);
    const mtu = snapNumber(s, 'mtu');
    if (mtu !== this.mtu)
      throw new SnapshotError(`${this.name}: snapshot MTU ${mtu}, not ${this.mtu}`);
    const regs = snapObject(s, 'regs');
    const r = {} as Record<Reg, number>;
    for (const k of REGS) r[k] = snapNumber(regs, k) >>> 0;
    const tx = snapBytes(s, 'tx');
    if (tx.length > this.txBuf.length) {
      throw new SnapshotError(`${this.name}: partial packet of ${tx.length} bytes is too long`);
    }
    const counters = snapObject(s, 'counters');
    const c = {} as Record<Counter, number>;
    for (const k of COUNTERS) c[k] = snapNumber(counters, k);
    const link = snapBool(s, 'linkUp');
    const txBad = snapBool(s, 'txBad');
    const sinceIrq = snapNumber(s, 'sinceIrq');
    const line = snapBool(s, 'line');
    this.plug.setMac(mac);
    this.link = link;
    Object.assign(this.r, r);
    this.txBuf.set(tx);
    this.txLen = tx.length;
    this.txBad = txBad;
    this.sinceIrq = sinceIrq;
    this.line = line;
    Object.assign(this.c, c);
  }

  /** Registers at power-on (and after CTRL.RST): zero, the MAC in RAL0/RAH0. */
  private powerOn(): void {
    for (const k of REGS) this.r[k] = 0;
    const m = this.plug.macBytes;
    this.r.ral0 = (m[0] | (m[1] << 8) | (m[2] << 16) | (m[3] << 24)) >>> 0;
    this.r.rah0 = (m[4] | (m[5] << 8) | RAH_AV) >>> 0;
    this.txLen = 0;
    this.txBad = false;
    this.sinceIrq = LONG_AGO;
  }

  private deviceReset(): void {
    this.c.resets++;
    this.powerOn();
    this.updateLine(false);
  }

  /** Receive buffer bytes from RCTL.BSIZE (bits 17:16) and BSEX. */
  private rxBufferSize(): number {
    const bsize = (this.r.rctl >>> 16) & 3;
    if (this.r.rctl & RCTL_BSEX) return bsize === 0 ? 2048 : 32768 >>> bsize;
    return 2048 >>> bsize;
  }

  private ringBase(lo: number, hi: number): number {
    return hi * 0x1_0000_0000 + lo;
  }

  /** A TDT write (or TCTL.EN set): send descriptors TDH..TDT-1, at most one ring's worth. */
  private transmit(): void {
    const r = this.r;
    const c = this.c;
    if (!(r.tctl & TCTL_EN)) return;
    const size = r.tdlen / DESC;
    if (size === 0) return;
    if (r.tdh >= size || r.tdt >= size) {
      c.tailErrors++;
      return;
    }
    const base = this.ringBase(r.tdbal, r.tdbah);
    const view = this.txView;
    const desc = this.txDesc;
    let reported = false;
    let n = 0;
    for (; n < size && r.tdh !== r.tdt; n++) {
      const pa = base + DESC * r.tdh;
      r.tdh = (r.tdh + 1) % size;
      if (!this.ram.readInto(pa, desc, 0, DESC)) {
        // Nothing to write back to: the packet in progress is lost.
        c.descErrors++;
        this.txBad = true;
        continue;
      }
      const addrLo = view.getUint32(0, true);
      const addrHi = view.getUint32(4, true);
      const len = view.getUint16(8, true);
      const cmd = desc[11];
      let bad = false;
      if (len > 0 && !this.txBad) {
        if (this.txLen + len > this.txBuf.length) {
          this.txBad = true; // over MTU + 14: dropped at EOP
        } else if (
          addrHi !== 0 ||
          !this.ram.contains(addrLo, len) ||
          !this.ram.readInto(addrLo, this.txBuf, this.txLen, len)
        ) {
          bad = true;
          this.txBad = true;
          c.bufferErrors++;
        } else this.txLen += len;
      }
      if (cmd & TXD_CMD_EOP) this.sendPacket();
      if (cmd & TXD_CMD_RS || bad) {
        desc[0] = TXD_STAT_DD | (bad ? TXD_STAT_EC : 0);
        this.ram.writeFrom(pa + 12, desc, 0, 1);
        if (cmd & TXD_CMD_RS) reported = true;
      }
    }
    if (reported) r.icr |= ICR_TXDW;
    if (n > 0 && r.tdh === r.tdt) r.icr |= ICR_TXQE;
    this.updateLine(false);
  }

  /** EOP: the gathered packet goes to the switch (or is dropped and counted). */
  private sendPacket(): void {
    const c = this.c;
    let len = this.txLen;
    if (this.r.tctl & TCTL_PSP && len < MIN_PADDED) {
      this.txBuf.fill(0, len, MIN_PADDED);
      len = MIN_PADDED;
    }
    const ok = !this.txBad && this.link && this.plug.send(this.txBuf.subarray(0, len));
    if (ok) {
      c.txPackets++;
      c.txBytes += len;
    } else c.txDropped++;
    this.txLen = 0;
    this.txBad = false;
    this.packetDone();
  }

  /** The driver moved the transmit ring: a packet gathered without its EOP is lost. */
  private dropPartial(): void {
    if (this.txLen === 0 && !this.txBad) return;
    this.c.txDropped++;
    this.txLen = 0;
    this.txBad = false;
  }

  private packetDone(): void {
    if (this.sinceIrq < LONG_AGO) this.sinceIrq++;
  }

  /**
   * Drive the line: level = (ICR & IMS) != 0, but with ITR = N a rise waits until N packets
   * went by since the last one (unless `urgent`). A line that is up stays up until the
   * causes are cleared or masked.
   */
  private updateLine(urgent: boolean): void {
    const r = this.r;
    let level = (r.icr & r.ims) !== 0;
    if (level && !this.line && r.itr !== 0 && !urgent && this.sinceIrq < r.itr) {
      level = false;
      this.c.coalesced++;
    }
    if (level === this.line) return;
    this.line = level;
    if (level) {
      this.c.interrupts++;
      this.sinceIrq = 0;
    }
    this.irq(level);
  }
}
