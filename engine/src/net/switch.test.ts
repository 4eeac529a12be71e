import { describe, expect, it } from 'vitest';
import { SnapshotError } from '../snapshot/persist.ts';
import { VirtualSwitch, formatMac, macKey, parseMac, type SwitchOptions } from './switch.ts';

const MAC = {
  a: parseMac('52:54:00:00:00:0a'),
  b: parseMac('52:54:00:00:00:0b'),
  c: parseMac('52:54:00:00:00:0c'),
  x: parseMac('52:54:00:00:00:99'), // nobody's
  bcast: parseMac('ff:ff:ff:ff:ff:ff'),
  mcast: parseMac('01:00:5e:00:00:01'),
};

/** An Ethernet frame: dst, src, type 0x88b5 (local experimental), then `n` payload bytes. */
function frame(dst: Uint8Array, src: Uint8Array, n = 46, tag = 0): Uint8Array {
  const f = new Uint8Array(14 + n);
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = 0x88;
  f[13] = 0xb5;
  for (let i = 0; i < n; i++) f[14 + i] = (tag + i) & 0xff;
  return f;
}

/** A switch with ports whose receivers record what they get (and can refuse). */
function rig(names: (keyof typeof MAC)[], options: SwitchOptions = {}) {
  const sw = new VirtualSwitch(options);
  const got: Record<string, Uint8Array[]> = {};
  const full: Record<string, boolean> = {};
  const ports = Object.fromEntries(
    names.map((n) => {
      got[n] = [];
      full[n] = false;
      const port = sw.attach(n, MAC[n], (f) => {
        if (full[n]) return false;
        got[n].push(f.slice());
        return true;
      });
      return [n, port];
    }),
  );
  return { sw, got, full, ports };
}

describe('VirtualSwitch', () => {
  it('parses and formats MAC addresses, and keys them exactly', () => {
    expect(formatMac(parseMac('52-54-00-AB-cd-EF'))).toBe('52:54:00:ab:cd:ef');
    expect(() => parseMac('52:54:00:ab:cd')).toThrow(RangeError);
    expect(() => parseMac('52:54:00:ab:cd:xy')).toThrow(RangeError);
    expect(macKey(MAC.bcast, 0)).toBe(2 ** 48 - 1);
    expect(macKey(parseMac('00:00:80:00:00:00'), 0)).toBe(0x8000_0000);
    expect(macKey(parseMac('01:02:03:04:05:06'), 0)).toBe(0x0102_0304_0506);
  });

  it('loops every frame back to a port alone on the switch, whatever its destination', () => {
    const { sw, got, ports } = rig(['a']);
    for (const dst of [MAC.x, MAC.a, MAC.bcast, MAC.mcast]) {
      expect(ports.a.send(frame(dst, MAC.a))).toBe(true);
    }
    expect(got.a.map((f) => formatMac(f.subarray(0, 6)))).toEqual([
      '52:54:00:00:00:99',
      '52:54:00:00:00:0a',
      'ff:ff:ff:ff:ff:ff',
      '01:00:5e:00:00:01',
    ]);
    expect(got.a[0]).toEqual(frame(MAC.x, MAC.a));
    expect(sw.metrics()).toMatchObject({ frames: 4, loopback: 4, delivered: 4, flooded: 0 });
    expect(sw.portMetrics('a')).toEqual({
      framesIn: 4,
      bytesIn: 240,
      framesOut: 4,
      bytesOut: 240,
      drops: 0,
      dropsIn: 0,
    });
  });

  it('floods unknown unicast, learns source MACs, then forwards only to the learned port', () => {
    const { sw, got, ports } = rig(['a', 'b', 'c']);
    // A to B before B has said anything: flooded to B and C.
    ports.a.send(frame(MAC.b, MAC.a, 46, 1));
    expect([got.a.length, got.b.length, got.c.length]).toEqual([0, 1, 1]);
    expect(sw.lookup(MAC.a)).toBe('a');
    expect(sw.lookup(MAC.b)).toBeNull();
    // B answers A: A is known, so only A gets it; and B is learned.
    ports.b.send(frame(MAC.a, MAC.b, 46, 2));
    expect([got.a.length, got.b.length, got.c.length]).toEqual([1, 1, 1]);
    expect(got.a[0]).toEqual(frame(MAC.a, MAC.b, 46, 2));
    expect(sw.lookup('52:54:00:00:00:0b')).toBe('b');
    // Now A to B goes to B alone.
    ports.a.send(frame(MAC.b, MAC.a, 46, 3));
    expect([got.a.length, got.b.length, got.c.length]).toEqual([1, 2, 1]);
    // An address nobody owns is still flooded.
    ports.c.send(frame(MAC.x, MAC.c));
    expect([got.a.length, got.b.length, got.c.length]).toEqual([2, 3, 1]);
    expect(sw.metrics()).toMatchObject({
      frames: 4,
      forwarded: 2,
      flooded: 2,
      delivered: 6,
      learned: 3,
      macTable: 3,
    });
  });

  it('sends broadcast and multicast to every other port, and never learns a multicast source', () => {
    const { sw, got, ports } = rig(['a', 'b', 'c']);
    ports.a.send(frame(MAC.bcast, MAC.a));
    ports.b.send(frame(MAC.mcast, MAC.b));
    ports.c.send(frame(MAC.a, MAC.mcast)); // bogus source: A is known, so forwarded
    expect([got.a.length, got.b.length, got.c.length]).toEqual([2, 1, 2]);
    expect(sw.metrics()).toMatchObject({ broadcast: 2, forwarded: 1, learned: 2, macTable: 2 });
  });

  it('filters a frame whose destination lives on the port it came from (no hairpin)', () => {
    const { sw, got, ports } = rig(['a', 'b']);
    ports.a.send(frame(MAC.b, MAC.a));
    ports.a.send(frame(MAC.a, MAC.a)); // to itself, with a second port present
    expect([got.a.length, got.b.length]).toEqual([0, 1]);
    expect(sw.metrics().filtered).toBe(1);
  });

  it('moves a MAC that shows up on another port', () => {
    const { sw, ports } = rig(['a', 'b']);
    ports.a.send(frame(MAC.bcast, MAC.c));
    expect(sw.lookup(MAC.c)).toBe('a');
    ports.b.send(frame(MAC.bcast, MAC.c));
    expect(sw.lookup(MAC.c)).toBe('b');
    expect(sw.metrics()).toMatchObject({ learned: 2, moved: 1, macTable: 1 });
  });

  it('drops runts and frames over MTU + 14, counting them on the sender', () => {
    const { sw, got, ports } = rig(['a', 'b'], { mtu: 100 });
    expect(ports.a.send(new Uint8Array(13))).toBe(false);
    expect(ports.a.send(new Uint8Array(0))).toBe(false);
    expect(ports.a.send(frame(MAC.b, MAC.a, 101))).toBe(false);
    expect(ports.a.send(frame(MAC.b, MAC.a, 100))).toBe(true); // exactly 114 bytes
    expect(ports.a.send(frame(MAC.b, MAC.a, 0))).toBe(true); // a bare header is a frame
    expect(got.b.map((f) => f.length)).toEqual([114, 14]);
    expect(sw.metrics()).toMatchObject({ frames: 2, bytes: 128, dropRunt: 2, dropOversize: 1 });
    expect(sw.portMetrics('a')).toMatchObject({ framesIn: 2, dropsIn: 3 });
    expect(() => new VirtualSwitch({ mtu: 20 })).toThrow(RangeError);
  });

  it('counts frames a receiver refuses (no buffer) as drops on that port', () => {
    const { sw, got, full, ports } = rig(['a', 'b', 'c']);
    full.b = true;
    ports.a.send(frame(MAC.bcast, MAC.a));
    expect([got.b.length, got.c.length]).toEqual([0, 1]);
    expect(sw.portMetrics('b')).toMatchObject({ framesOut: 0, drops: 1 });
    expect(sw.metrics()).toMatchObject({ delivered: 1, dropNoBuffer: 1 });
  });

  it('bounds the MAC table, evicting the oldest entry', () => {
    const { sw, ports } = rig(['a', 'b'], { macTableSize: 4 });
    for (let i = 0; i < 10; i++) {
      ports.a.send(frame(MAC.bcast, parseMac(`02:00:00:00:00:${i.toString(16).padStart(2, '0')}`)));
    }
    expect(sw.metrics()).toMatchObject({ macTable: 4, learned: 10, evicted: 6 });
    expect(sw.lookup('02:00:00:00:00:05')).toBeNull();
    expect(sw.lookup('02:00:00:00:00:06')).toBe('a');
  });

  it('forgets a detached port and stops delivering to it', () => {
    const { sw, got, ports } = rig(['a', 'b', 'c']);
    ports.b.send(frame(MAC.bcast, MAC.b));
    ports.b.detach();
    expect(sw.lookup(MAC.b)).toBeNull();
    expect(ports.b.send(frame(MAC.a, MAC.b))).toBe(false);
    ports.a.send(frame(MAC.b, MAC.a)); // unknown again: flooded to C only
    expect([got.b.length, got.c.length]).toEqual([0, 2]);
    expect(sw.portNames).toEqual(['a', 'c']);
    expect(() => sw.attach('a', MAC.a, () => true)).toThrow(/already attached/);
  });

  it('in queued mode holds frames until flush(), bounded', () => {
    const { sw, got, ports } = rig(['a', 'b'], { queued: true, maxPending: 3 });
    for (let i = 0; i < 4; i++) ports.a.send(frame(MAC.b, MAC.a, 46, i));
    expect(got.b.length).toBe(0);
    expect(sw.pendingFrames).toBe(3);
    expect(sw.metrics()).toMatchObject({ dropQueueFull: 1, frames: 3 });
    expect(sw.flush()).toBe(3);
    expect(got.b).toEqual([0, 1, 2].map((i) => frame(MAC.b, MAC.a, 46, i)));
    expect(sw.flush()).toBe(0);
  });

  it('saves and restores the MAC table, counters and queued frames', () => {
    const a = rig(['a', 'b', 'c'], { queued: true });
    a.ports.a.send(frame(MAC.b, MAC.a, 46, 1));
    a.ports.b.send(frame(MAC.a, MAC.b, 46, 2));
    a.sw.flush();
    a.ports.c.send(frame(MAC.bcast, MAC.c, 46, 3)); // still queued at the snapshot
    const state = a.sw.save();
    const seen = { a: a.got.a.length, b: a.got.b.length, c: a.got.c.length };
    // B was learned when it sent, before the flush: A's frame went to B alone.
    expect(seen).toEqual({ a: 1, b: 1, c: 0 });

    const b = rig(['c', 'a', 'b'], { queued: true }); // other attach order: matched by name
    b.sw.restore(state);
    expect(b.sw.save()).toEqual(state);
    expect(b.sw.metrics()).toEqual({ ...a.sw.metrics(), ['port.c.framesIn']: 1 });
    for (const s of [a, b]) {
      s.sw.flush();
      s.ports.a.send(frame(MAC.c, MAC.a, 46, 4)); // C learned before the snapshot
      s.ports.b.send(frame(MAC.x, MAC.b, 46, 5));
      s.sw.flush();
    }
    expect(b.got.a).toEqual(a.got.a.slice(seen.a));
    expect(b.got.b).toEqual(a.got.b.slice(seen.b));
    expect(b.got.c).toEqual(a.got.c.slice(seen.c));
    expect(b.got.c.length).toBe(2); // the forward to C (learned before), the unknown flood
    expect(b.sw.save()).toEqual(a.sw.save());

    const c = rig(['a', 'b']);
    expect(() => c.sw.restore(state)).toThrow(SnapshotError);
    expect(() => c.sw.restore({ ...state, mtu: 9000 })).toThrow(/MTU/);
    expect(() => b.sw.restore({ ...state, table: [[1, 2]] })).toThrow(SnapshotError);
  });
});
