import {
  SnapshotError,
  isSnapObject,
  snapArray,
  snapBytes,
  snapNumber,
  snapObject,
  snapString,
  type Persistent,
  type SnapObject,
  type SnapValue,
} from '../snapshot/persist.ts';

/**
 * The session's virtual switch (DESIGN §5): every network device of every VM in a session
 * (virtio-net, the emulated e1000 NIC) is a port on it.
 *
 * - One port: every frame goes back to its sender ("loopback": a VM alone on the switch
 *   talks to itself, whatever the destination MAC).
 * - Several ports: a learning bridge. The source MAC of each frame is learned on its port
 *   (unicast sources only); a unicast frame goes to the port its destination was learned
 *   on, or is flooded to every other port while unknown; broadcast and multicast frames go
 *   to every other port. A frame whose destination was learned on the port it came from is
 *   filtered (counted, not delivered), as a real bridge does: there is no hairpin.
 * - Frames are Ethernet II without FCS: shorter than 14 bytes (no header) or longer than
 *   MTU + 14 (no VLAN tag room) are dropped and counted (`dropRunt`, `dropOversize`).
 * - A receiver's `deliver` returns false when it has nowhere to put the frame (no RX
 *   buffer, link down, device not started): the frame is dropped and counted on that port.
 *
 * Deterministic: no timers, no ageing, no randomness; the MAC table is bounded
 * (`macTableSize`, default 1024 entries) and evicts the least recently learned entry, so a
 * guest spraying source addresses cannot grow host memory.
 *
 * Delivery is synchronous by default: `send` calls the receivers' `deliver` before it
 * returns, so a receiver must copy what it needs and must not keep or change the frame.
 * With `{ queued: true }` the switch copies each accepted frame into a pending list
 * (bounded by `maxPending`, default 4096 frames, beyond which frames are dropped as
 * `dropQueueFull`) and delivers them, in order, on `flush()` — for a scheduler that moves
 * frames once per round. Learning happens at send time in both modes; forwarding decisions
 * are made at delivery time.
 */

/** A 48-bit MAC address, six bytes. */
export type MacAddress = Uint8Array;

export const ETH_HEADER = 14;
export const DEFAULT_MTU = 1500;

export interface SwitchOptions {
  /** Largest payload; frames longer than mtu + 14 bytes are dropped. Default 1500. */
  mtu?: number;
  /** Bound on learned addresses. Default 1024. */
  macTableSize?: number;
  /** Queue frames until flush() instead of delivering them in send(). Default false. */
  queued?: boolean;
  /** Bound on queued frames. Default 4096. */
  maxPending?: number;
}

/** What a device holds after attaching: its side of the cable. */
export interface SwitchPort {
  readonly id: number;
  readonly name: string;
  /** The device's configured MAC (informational: forwarding learns from frames). */
  mac: MacAddress;
  /** Put a frame on the wire. False if the switch dropped it (size, queue full, detached). */
  send(frame: Uint8Array): boolean;
  detach(): void;
}

/** Per-port counters, as seen from the switch: "in" is what the port sent. */
const PORT_COUNTERS = [
  'framesIn',
  'bytesIn',
  'framesOut',
  'bytesOut',
  /** Frames for this port its device refused (no buffer). */
  'drops',
  /** Frames from this port the switch refused (runt, oversize, queue full). */
  'dropsIn',
] as const;
type PortCounter = (typeof PORT_COUNTERS)[number];

const SWITCH_COUNTERS = [
  'frames',
  'bytes',
  'loopback',
  'forwarded',
  'flooded',
  'broadcast',
  'filtered',
  'delivered',
  'dropNoBuffer',
  'dropRunt',
  'dropOversize',
  'dropQueueFull',
  'learned',
  'moved',
  'evicted',
] as const;

interface Port extends SwitchPort {
  deliver: (frame: Uint8Array) => boolean;
  attached: boolean;
  counters: Record<PortCounter, number>;
}

interface Pending {
  from: Port;
  frame: Uint8Array;
}

export class VirtualSwitch implements Persistent<SnapObject> {
  readonly mtu: number;
  readonly macTableSize: number;
  readonly queued: boolean;
  readonly maxPending: number;
  private readonly ports: Port[] = [];
  private nextId = 0;
  /** MAC (as a 48-bit number) -> port; Map order is learning order (oldest first). */
  private readonly table = new Map<number, Port>();
  private pending: Pending[] = [];
  private readonly counters = zeroCounters(SWITCH_COUNTERS);

  constructor(options: SwitchOptions = {}) {
    this.mtu = options.mtu ?? DEFAULT_MTU;
    this.macTableSize = options.macTableSize ?? 1024;
    this.queued = options.queued ?? false;
    this.maxPending = options.maxPending ?? 4096;
    if (!Number.isInteger(this.mtu) || this.mtu < 68 || this.mtu > 65535) {
      throw new RangeError(`switch MTU ${this.mtu} is not in 68..65535`);
    }
    if (!Number.isInteger(this.macTableSize) || this.macTableSize < 1) {
      throw new RangeError(`switch MAC table size ${this.macTableSize}`);
    }
  }

  /** The largest frame carried: MTU plus the Ethernet header. */
  get maxFrame(): number {
    return this.mtu + ETH_HEADER;
  }

  /**
   * Plug a device in. `name` must be unique on the switch (snapshots match ports by it);
   * `deliver` receives frames for it and returns false when it cannot take one.
   */
  attach(name: string, mac: MacAddress, deliver: (frame: Uint8Array) => boolean): SwitchPort {
    if (this.ports.some((p) => p.name === name)) {
      throw new Error(`switch port '${name}' is already attached`);
    }
    if (mac.length !== 6) throw new RangeError(`switch port '${name}': MAC is not 6 bytes`);
    const port: Port = {
      id: this.nextId++,
      name,
      mac: mac.slice(),
      deliver,
      attached: true,
      counters: zeroCounters(PORT_COUNTERS),
      send: (frame) => this.send(port, frame),
      detach: () => this.detach(port),
    };
    this.ports.push(port);
    return port;
  }

  /** The attached ports, in attach order. */
  get portNames(): string[] {
    return this.ports.map((p) => p.name);
  }

  /** Frames waiting for flush() (queued mode). */
  get pendingFrames(): number {
    return this.pending.length;
  }

  /** Where a MAC was learned (port name), or null. */
  lookup(mac: MacAddress | string): string | null {
    const m = typeof mac === 'string' ? parseMac(mac) : mac;
    return this.table.get(macKey(m, 0))?.name ?? null;
  }

  /**
   * A frame from `from` (a port of this switch, or its name). Returns whether the switch
   * accepted it (false: dropped for its size, a full queue, or an unknown port).
   */
  send(from: SwitchPort | string, frame: Uint8Array): boolean {
    const port = this.port(from);
    if (port === null) return false;
    const c = port.counters;
    const len = frame.length;
    if (len < ETH_HEADER || len > this.maxFrame) {
      c.dropsIn++;
      if (len < ETH_HEADER) this.counters.dropRunt++;
      else this.counters.dropOversize++;
      return false;
    }
    if (this.queued && this.pending.length >= this.maxPending) {
      c.dropsIn++;
      this.counters.dropQueueFull++;
      return false;
    }
    c.framesIn++;
    c.bytesIn += len;
    this.counters.frames++;
    this.counters.bytes += len;
    this.learn(frame, port);
    if (this.queued) this.pending.push({ from: port, frame: frame.slice() });
    else this.forward(port, frame);
    return true;
  }

  /**
   * Deliver the frames queued so far, in order (queued mode; a no-op otherwise). Frames sent
   * while flushing wait for the next flush. Returns how many frames were taken.
   */
  flush(): number {
    const batch = this.pending;
    if (batch.length === 0) return 0;
    this.pending = [];
    for (const { from, frame } of batch) {
      if (from.attached) this.forward(from, frame);
    }
    return batch.length;
  }

  /** Switch-wide counters, the MAC table's size, and each port's as `port.NAME.counter`. */
  metrics(): Record<string, number> {
    const m: Record<string, number> = { ...this.counters };
    m.macTable = this.table.size;
    m.ports = this.ports.length;
    m.pending = this.pending.length;
    for (const p of this.ports) {
      for (const k of PORT_COUNTERS) m[`port.${p.name}.${k}`] = p.counters[k];
    }
    return m;
  }

  /** One port's counters. */
  portMetrics(name: string): Record<string, number> {
    const p = this.ports.find((x) => x.name === name);
    if (!p) throw new RangeError(`no switch port '${name}'`);
    return { ...p.counters };
  }

  /**
   * The MAC table (by port name), counters and queued frames. Ports are not saved: the
   * board attaches its devices again, under the same names, before restoring.
   */
  save(): SnapObject {
    const table: SnapValue[] = [];
    for (const [mac, port] of this.table) table.push([mac, port.name]);
    const ports: SnapObject = {};
    for (const p of this.ports) ports[p.name] = { ...p.counters };
    return {
      mtu: this.mtu,
      table,
      counters: { ...this.counters },
      ports,
      pending: this.pending.map((f) => ({ from: f.from.name, frame: f.frame.slice() })),
    };
  }

  /** Restore in place. Every port named in the snapshot must be attached already. */
  restore(s: SnapObject): void {
    const mtu = snapNumber(s, 'mtu');
    if (mtu !== this.mtu) throw new SnapshotError(`switch: snapshot MTU ${mtu}, not ${this.mtu}`);
    const byName = (name: string): Port => {
      const p = this.ports.find((x) => x.name === name);
      if (!p) throw new SnapshotError(`switch: snapshot names port '${name}', not attached`);
      return p;
    };
    const table = new Map<number, Port>();
    for (const e of snapArray(s, 'table')) {
      if (
        !Array.isArray(e) ||
        e.length !== 2 ||
        typeof e[0] !== 'number' ||
        typeof e[1] !== 'string' ||
        !Number.isInteger(e[0]) ||
        e[0] < 0 ||
        e[0] >= 2 ** 48
      ) {
        throw new SnapshotError('switch: malformed MAC table entry');
      }
      table.set(e[0], byName(e[1]));
    }
    if (table.size > this.macTableSize) {
      throw new SnapshotError(`switch: ${table.size} MAC entries exceed ${this.macTableSize}`);
    }
    const counters = snapObject(s, 'counters');
    const ports = snapObject(s, 'ports');
    const portCounters = new Map<Port, Record<PortCounter, number>>();
    for (const name of Object.keys(ports)) {
      const pc = ports[name];
      if (!isSnapObject(pc)) throw new SnapshotError(`switch: port '${name}' is not an object`);
      const c = zeroCounters(PORT_COUNTERS);
      for (const k of PORT_COUNTERS) c[k] = snapNumber(pc, k);
      portCounters.set(byName(name), c);
    }
    const pending: Pending[] = [];
    for (const f of snapArray(s, 'pending')) {
      if (!isSnapObject(f)) throw new SnapshotError('switch: malformed queued frame');
      pending.push({ from: byName(snapString(f, 'from')), frame: snapBytes(f, 'frame').slice() });
    }
    if (pending.length > 0 && !this.queued) {
      throw new SnapshotError('switch: snapshot has queued frames, this switch does not queue');
    }
    const sc = zeroCounters(SWITCH_COUNTERS);
    for (const k of SWITCH_COUNTERS) sc[k] = snapNumber(counters, k);
    // Everything read: now change state.
    this.table.clear();
    for (const [k, v] of table) this.table.set(k, v);
    Object.assign(this.counters, sc);
    for (const p of this.ports) p.counters = portCounters.get(p) ?? zeroCounters(PORT_COUNTERS);
    this.pending = pending;
  }

  private port(from: SwitchPort | string): Port | null {
    const p =
      typeof from === 'string'
        ? this.ports.find((x) => x.name === from)
        : this.ports.find((x) => x === from);
    return p && p.attached ? p : null;
  }

  private detach(port: Port): void {
    const i = this.ports.indexOf(port);
    if (i < 0) return;
    this.ports.splice(i, 1);
    port.attached = false;
    for (const [mac, p] of this.table) if (p === port) this.table.delete(mac);
    this.pending = this.pending.filter((f) => f.from !== port);
  }

  /** Learn the frame's source MAC (bytes 6..11) on `port`, if it is a unicast address. */
  private learn(frame: Uint8Array, port: Port): void {
    if (frame[6] & 1) return; // a multicast source is bogus: never learn it
    const src = macKey(frame, 6);
    const was = this.table.get(src);
    if (was === port) return;
    if (was !== undefined) {
      this.table.delete(src);
      this.counters.moved++;
    } else if (this.table.size >= this.macTableSize) {
      const oldest = this.table.keys().next().value;
      if (oldest !== undefined) this.table.delete(oldest);
      this.counters.evicted++;
    }
    this.table.set(src, port);
    this.counters.learned++;
  }

  private forward(from: Port, frame: Uint8Array): void {
    const c = this.counters;
    if (this.ports.length === 1) {
      c.loopback++;
      this.deliverTo(from, frame);
      return;
    }
    if (frame[0] & 1) {
      c.broadcast++;
      this.flood(from, frame);
      return;
    }
    const to = this.table.get(macKey(frame, 0));
    if (to === undefined) {
      c.flooded++;
      this.flood(from, frame);
    } else if (to === from) {
      c.filtered++;
    } else {
      c.forwarded++;
      this.deliverTo(to, frame);
    }
  }

  private flood(from: Port, frame: Uint8Array): void {
    // A copy of the list: a deliver callback may not attach or detach, but be safe.
    for (const p of this.ports.slice()) if (p !== from) this.deliverTo(p, frame);
  }

  private deliverTo(p: Port, frame: Uint8Array): void {
    if (!p.attached) return;
    if (p.deliver(frame)) {
      p.counters.framesOut++;
      p.counters.bytesOut += frame.length;
      this.counters.delivered++;
    } else {
      p.counters.drops++;
      this.counters.dropNoBuffer++;
    }
  }
}

/** A 48-bit MAC at bytes[off..off+6) as an exact number (first byte most significant). */
export function macKey(bytes: Uint8Array, off: number): number {
  const hi = bytes[off] * 0x100 + bytes[off + 1];
  const lo =
    ((bytes[off + 2] << 24) | (bytes[off + 3] << 16) | (bytes[off + 4] << 8) | bytes[off + 5]) >>>
    0;
  return hi * 0x1_0000_0000 + lo;
}

/** "52:54:00:12:34:56" (or with dashes) -> six bytes; throws RangeError on anything else. */
export function parseMac(text: string): MacAddress {
  const parts = text.trim().split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) {
    throw new RangeError(`'${text}' is not a MAC address (six hex bytes, e.g. 52:54:00:12:34:56)`);
  }
  return new Uint8Array(parts.map((p) => parseInt(p, 16)));
}

export function formatMac(mac: MacAddress): string {
  return Array.from(mac.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** A MAC given as text or bytes, checked and copied. */
export function toMac(mac: MacAddress | string): MacAddress {
  if (typeof mac === 'string') return parseMac(mac);
  if (mac.length !== 6) throw new RangeError(`a MAC address is 6 bytes, not ${mac.length}`);
  return mac.slice();
}

/** QEMU's MAC scheme: 52:54:00:12:34:56 + index, for a board's n-th network device. */
export function defaultMac(index: number): MacAddress {
  const mac = parseMac('52:54:00:12:34:56');
  const low = (0x56 + index) >>> 0;
  mac[5] = low & 0xff;
  mac[4] = (0x34 + Math.floor(low / 256)) & 0xff;
  return mac;
}

function zeroCounters<K extends string>(keys: readonly K[]): Record<K, number> {
  const o = {} as Record<K, number>;
  for (const k of keys) o[k] = 0;
  return o;
}
