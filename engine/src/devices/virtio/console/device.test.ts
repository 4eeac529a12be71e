import { describe, expect, it } from 'vitest';
import { VirtioTestDriver } from '../../../../test/virtio-driver.ts';
import { VmConsole } from '../../../machine/console.ts';
import { FramePool, PAGE_SIZE } from '../../../memory/frame-pool.ts';
import { GuestRam } from '../../../memory/guest-ram.ts';
import { INT_CONFIG, INT_USED, REG, STATUS, VirtioMmio } from '../mmio.ts';
import { CONSOLE_RX, CONSOLE_TX, VirtioConsole, type VirtioConsoleOptions } from './device.ts';

const BASE = 0x8000_0000;
const PAGES = 16;
const QSIZE = 8;
const RX_BUF = 16;
/** Rings of queue q, and the data areas. */
const DESC = (q: number) => BASE + 0x1000 + 0x3000 * q;
const AVAIL = (q: number) => BASE + 0x2000 + 0x3000 * q;
const USED = (q: number) => BASE + 0x3000 + 0x3000 * q;
const RX_DATA = BASE + 0x8000;
const TX_DATA = BASE + 0x9000;

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ!';
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: number[] | Uint8Array) => new TextDecoder().decode(new Uint8Array(b));

/**
 * A virtio-console driver on the shared test driver (engine/test/virtio-driver.ts), as
 * Linux's would behave. RX buffers are descriptors 0..QSIZE-1 of the receiveq, RX_BUF bytes
 * each; TX uses its descriptors in turn, one readable buffer per send.
 */
class Driver extends VirtioTestDriver {
  txNext = 0;
  received: number[] = [];
  txDone = 0;

  constructor(t: VirtioMmio, ram: GuestRam, eventIdx: boolean) {
    const rings = [CONSOLE_RX, CONSOLE_TX].map((q) => ({
      size: QSIZE,
      desc: DESC(q),
      avail: AVAIL(q),
      used: USED(q),
    }));
    super(t, ram, rings, { eventIdx, indirect: false });
  }

  /** A copy of this driver's software state, driving another transport over other RAM. */
  clone(t: VirtioMmio, ram: GuestRam): Driver {
    const d = new Driver(t, ram, this.eventIdx);
    d.copyStateFrom(this);
    d.txNext = this.txNext;
    d.received = [...this.received];
    d.txDone = this.txDone;
    return d;
  }

  override init(): void {
    super.init(3, 0b101); // SIZE and EMERG_WRITE
    expect(this.features).toBe(0b101);
    for (let i = 0; i < QSIZE; i++) this.postRx(i, false);
    this.kick(CONSOLE_RX, 0);
  }

  postRx(i: number, kick = true): void {
    this.desc(CONSOLE_RX, i, RX_DATA + RX_BUF * i, RX_BUF, 2 /* WRITE */);
    const old = this.publish(CONSOLE_RX, i);
    if (kick) this.kick(CONSOLE_RX, old);
  }

  send(text: string): void {
    const i = this.txNext++ % QSIZE;
    const at = TX_DATA + 0x100 * i;
    this.ram.write(at, enc(text));
    this.desc(CONSOLE_TX, i, at, text.length, 0);
    this.kick(CONSOLE_TX, this.publish(CONSOLE_TX, i));
  }

  /** The interrupt handler: ack, then reap both used rings (re-posting RX buffers). */
  interrupt(): number {
    const status = this.rd(REG.interruptStatus);
    this.wr(REG.interruptAck, status);
    const reposts: number[] = [];
    for (const { id, len } of this.reap(CONSOLE_RX)) {
      this.received.push(...this.ram.read(RX_DATA + RX_BUF * id, len)!);
      reposts.push(id);
    }
    for (const { len } of this.reap(CONSOLE_TX)) {
      expect(len).toBe(0);
      this.txDone++;
    }
    for (const id of reposts) this.postRx(id);
    return status;
  }
}

function rig(eventIdx = true, options: VirtioConsoleOptions = {}) {
  const pool = new FramePool(PAGES);
  const ram = new GuestRam(pool, BASE, PAGES * PAGE_SIZE);
  ram.populate();
  const out: number[] = [];
  const con = new VmConsole((b) => out.push(b));
  const dev = new VirtioConsole(con, options);
  const irq: boolean[] = [];
  const t = new VirtioMmio('virtio-console0', ram, dev, (l) => irq.push(l));
  con.onInput = () => dev.inputArrived();
  const drv = new Driver(t, ram, eventIdx);
  return { pool, ram, out, con, dev, t, irq, drv };
}

describe('virtio-console', () => {
  for (const eventIdx of [true, false]) {
    it(`sends "hello" through the transmitq (EVENT_IDX ${eventIdx ? 'on' : 'off'})`, () => {
      const { out, t, irq, drv } = rig(eventIdx);
      drv.init();
      drv.send('hello');
      expect(dec(out)).toBe('hello');
      expect(irq).toEqual([true]);
      expect(drv.interrupt()).toBe(INT_USED);
      expect(irq).toEqual([true, false]);
      expect(drv.txDone).toBe(1);
      drv.send(', world');
      drv.interrupt();
      expect(dec(out)).toBe('hello, world');
      expect(t.metrics()).toMatchObject({
        txBytes: 12,
        txChains: 2,
        'kicks.transmitq': 2,
        'kicks.receiveq': 1,
        interrupts: 2,
        irqRaises: 2,
        needsResets: 0,
      });
    });

    it(`receives typed input through the receiveq (EVENT_IDX ${eventIdx ? 'on' : 'off'})`, () => {
      const { con, t, irq, drv } = rig(eventIdx);
      drv.init();
      con.pushInput(enc('ls\r'));
      expect(irq).toEqual([true]);
      drv.interrupt();
      expect(dec(drv.received)).toBe('ls\r');
      // More than one buffer's worth is spread over several buffers in one go.
      const long = 'the quick brown fox jumps over the lazy dog';
      con.pushInput(enc(long));
      drv.interrupt();
      expect(dec(drv.received)).toBe('ls\r' + long);
      expect(con.available()).toBe(0);
      expect(t.metrics()).toMatchObject({
        rxBytes: 3 + long.length,
        rxChains: 1 + Math.ceil(long.length / RX_BUF),
        interrupts: 2,
      });
    });
  }

  it('keeps input in the console until the driver posts buffers and kicks', () => {
    const { con, drv, t } = rig();
    con.pushInput(enc('early')); // no driver yet: nowhere to put it
    expect(con.available()).toBe(5);
    drv.init(); // posts buffers and kicks the receiveq
    drv.interrupt();
    expect(dec(drv.received)).toBe('early');
    expect(t.metrics().rxChains).toBe(1);
  });

  it('shows cols and rows in config space and signals a resize', () => {
    const { t, dev, drv, irq } = rig(true, { cols: 132, rows: 43 });
    expect(t.read(0x100, 2)).toBe(132);
    expect(t.read(0x102, 2)).toBe(43);
    expect(t.read(0x100, 4)).toBe((43 << 16) | 132);
    expect(t.read(0x104, 4)).toBe(1); // max_nr_ports
    drv.init();
    const gen = t.read(REG.configGeneration, 4);
    dev.resize(100, 30);
    expect(t.read(REG.configGeneration, 4)).toBe(gen + 1);
    expect(irq).toEqual([true]);
    expect(drv.interrupt()).toBe(INT_CONFIG);
    expect([t.read(0x100, 2), t.read(0x102, 2)]).toEqual([100, 30]);
    dev.resize(100, 30); // no change, no interrupt
    expect(t.metrics().configInterrupts).toBe(1);
  });

  it('writes emerg_wr bytes straight out, even before the driver is up', () => {
    const { t, out } = rig();
    t.write(0x108, 4, 0x121); // low byte only
    t.write(0x108, 1, 0x6b);
    t.write(0x10a, 2, 0x41); // not the low byte: ignored
    expect(t.read(0x108, 4)).toBe(0);
    expect(dec(out)).toBe('!k');
    expect(t.metrics().emergBytes).toBe(2);
  });

  it('leaves TX chains in the ring while the console cannot take bytes', () => {
    let room = true;
    const { out, t, dev, drv } = rig(false, { canWrite: () => room });
    drv.init();
    room = false;
    t.write(0x108, 1, 0x21); // an emergency byte with no room is lost, as on the UART
    expect(t.metrics()).toMatchObject({ emergBytes: 0, emergDropped: 1 });
    drv.send('abc');
    drv.send('def'); // NO_NOTIFY is set: the driver does not kick
    expect(out).toEqual([]);
    expect(dev.paused).toBe(true);
    expect(drv.r16(USED(CONSOLE_TX) + 2)).toBe(0);
    expect(t.metrics()).toMatchObject({ 'kicks.transmitq': 1, txPauses: 1 });
    dev.resumeTx(); // still no room: nothing happens
    expect(out).toEqual([]);
    room = true;
    dev.resumeTx();
    expect(dec(out)).toBe('abcdef');
    expect(drv.r16(USED(CONSOLE_TX))).toBe(0); // kicks welcome again
    drv.interrupt();
    expect(drv.txDone).toBe(2);
  });

  it('needs a reset when a receive buffer is not device-writable', () => {
    const { con, t, drv, irq } = rig();
    drv.init();
    con.pushInput(enc('a')); // fills buffer 0
    drv.desc(CONSOLE_RX, 0, RX_DATA, RX_BUF, 0); // re-posted readable: wrong way round
    drv.publish(CONSOLE_RX, 0);
    con.pushInput(enc('x'.repeat(7 * RX_BUF))); // fills buffers 1..7
    expect(t.needsResetReason).toBeNull();
    con.pushInput(enc('y'));
    expect(t.needsResetReason).toBe(
      'console: receiveq: chain from head 0 has no device-writable buffer',
    );
    expect(t.read(REG.status, 4) & STATUS.needsReset).toBe(STATUS.needsReset);
    expect(irq.at(-1)).toBe(true);
    con.pushInput(enc('z')); // the device is stopped
    expect(con.available()).toBe(2);
  });

  it('a snapshot mid-stream restores into a new transport and device that continue identically', () => {
    const a = rig();
    a.drv.init();
    a.drv.send('hel');
    a.drv.interrupt();
    a.con.pushInput(enc('first line\r'));
    // The driver has not reaped yet: its buffers are used up; more input waits.
    a.con.pushInput(enc(ALPHABET.repeat(3)));
    expect(a.con.available()).toBeGreaterThan(0);
    a.drv.send('lo');

    // Snapshot: RAM, transport (with device), console input; the driver is guest state.
    const state = a.t.save();
    const pool = new FramePool(PAGES);
    const ram = new GuestRam(pool, BASE, PAGES * PAGE_SIZE);
    ram.populate();
    pool.u8.set(a.pool.u8);
    const out: number[] = [];
    const con = new VmConsole((x) => out.push(x));
    // The console's pending input goes along (read out of A and put back, unannounced).
    const wire = a.con.onInput;
    a.con.onInput = () => {};
    const pending: number[] = [];
    while (a.con.available() > 0) pending.push(a.con.read());
    a.con.pushInput(new Uint8Array(pending));
    a.con.onInput = wire;
    con.pushInput(new Uint8Array(pending));
    const dev = new VirtioConsole(con);
    const irq: boolean[] = [];
    const t = new VirtioMmio('virtio-console0', ram, dev, (l) => irq.push(l));
    t.restore(state);
    con.onInput = () => dev.inputArrived();
    const b = { out, con, dev, t, irq, drv: a.drv.clone(t, ram), pool };
    expect(b.t.save()).toEqual(state);
    expect(b.t.irqLevel).toBe(a.t.irqLevel);

    // Both continue with the same driver actions and the same input.
    const aOut = a.out.length;
    const aIrq = a.irq.length;
    for (const s of [a, b]) {
      s.drv.interrupt();
      s.drv.interrupt();
      s.drv.send('!\n');
      s.con.pushInput(enc('more'));
      s.drv.interrupt();
      s.drv.interrupt();
      s.t.write(0x108, 4, 0x2e);
    }
    expect(dec(b.out)).toBe(dec(a.out.slice(aOut)));
    expect(b.irq).toEqual(a.irq.slice(aIrq));
    expect(dec(b.drv.received)).toBe(dec(a.drv.received));
    expect(dec(a.drv.received)).toBe('first line\r' + ALPHABET.repeat(3) + 'more');
    expect(b.t.metrics()).toEqual(a.t.metrics());
    expect(b.t.save()).toEqual(a.t.save());
    expect(b.pool.u8).toEqual(a.pool.u8);
  });
});
