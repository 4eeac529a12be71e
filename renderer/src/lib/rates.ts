/**
 * Rates from a session's stats samples: the host reports totals since boot, the live
 * panels show what changed per second of host time between two consecutive samples.
 */
import type { VmLiveStats } from '../../../main/src/api/lab-api.ts';
import type { StatsSample } from './sessions.svelte.ts';

/** The board names network devices virtio-netN and nicN (engine/src/machine/virt-devices.ts). */
export function isNetworkDevice(name: string): boolean {
  return /^(virtio-net|nic)\d+$/.test(name);
}

/** Sum of one counter over the VM's network devices. */
function networkCounter(vm: VmLiveStats, counter: 'txPackets' | 'rxPackets'): number {
  let n = 0;
  for (const [name, m] of Object.entries(vm.devices))
    if (isNetworkDevice(name)) n += m[counter] ?? 0;
  return n;
}

/** A VM's MMIO exits (reads and writes) by device. */
function mmioExits(vm: VmLiveStats): Record<string, number> {
  return Object.fromEntries(
    Object.entries(vm.exits.mmio).map(([d, rw]) => [d, rw.read + rw.write]),
  );
}

export interface VmRates {
  /** Host seconds between the two samples. */
  seconds: number;
  /** Exits per second, all reasons. */
  exits: number;
  /** Exits per second by reason. */
  byReason: Record<string, number>;
  /** MMIO exits (reads + writes) per second by device. */
  mmioByDevice: Record<string, number>;
  /** Frames the VM's network devices sent, and received, per second. */
  packetsSent: number;
  packetsReceived: number;
  /**
   * The VM's exits (all reasons) per frame it sent in the interval, as labos's netflood
   * reports them; null when it sent none.
   */
  exitsPerPacket: number | null;
}

/** What changed for VM `vm` from `prev` to `cur`, per host second; null without a time step. */
export function vmRates(prev: StatsSample, cur: StatsSample, vm: number): VmRates | null {
  const a = prev.vms[vm];
  const b = cur.vms[vm];
  const seconds = (cur.hostMs - prev.hostMs) / 1000;
  if (!a || !b || !(seconds > 0)) return null;
  const perSecond = (before: number, after: number): number => (after - before) / seconds;
  const byReason: Record<string, number> = {};
  for (const [reason, n] of Object.entries(b.exits.byReason))
    byReason[reason] = perSecond(a.exits.byReason[reason as keyof typeof a.exits.byReason] ?? 0, n);
  const mmioBefore = mmioExits(a);
  const mmioByDevice: Record<string, number> = {};
  for (const [device, n] of Object.entries(mmioExits(b)))
    mmioByDevice[device] = perSecond(mmioBefore[device] ?? 0, n);
  const sent = networkCounter(b, 'txPackets') - networkCounter(a, 'txPackets');
  const exits = b.exits.total - a.exits.total;
  return {
    seconds,
    exits: exits / seconds,
    byReason,
    mmioByDevice,
    packetsSent: sent / seconds,
    packetsReceived: perSecond(networkCounter(a, 'rxPackets'), networkCounter(b, 'rxPackets')),
    exitsPerPacket: sent > 0 ? exits / sent : null,
  };
}

/** The rates over the last interval of the window, if it has two samples. */
export function latestRates(samples: StatsSample[], vm: number): VmRates | null {
  if (samples.length < 2) return null;
  return vmRates(samples[samples.length - 2], samples[samples.length - 1], vm);
}

/** Chart series: one value per interval, each key's values aligned with `t`. */
export interface RateSeries {
  /** Host seconds at the end of each interval. */
  t: number[];
  byReason: Record<string, number[]>;
  mmioByDevice: Record<string, number[]>;
}

/**
 * Rates over the whole window for VM `vm`. Only reasons and devices the VM has seen exits
 * of (by the newest sample) get a series, so a chart's legend lists what happened.
 */
export function rateSeries(samples: StatsSample[], vm: number): RateSeries {
  const newest = samples.at(-1)?.vms[vm];
  const reasons = newest
    ? Object.entries(newest.exits.byReason)
        .filter(([, n]) => n > 0)
        .map(([r]) => r)
    : [];
  const devices = newest ? Object.keys(newest.exits.mmio).sort() : [];
  const out: RateSeries = {
    t: [],
    byReason: Object.fromEntries(reasons.map((r) => [r, []])),
    mmioByDevice: Object.fromEntries(devices.map((d) => [d, []])),
  };
  for (let i = 1; i < samples.length; i++) {
    const r = vmRates(samples[i - 1], samples[i], vm);
    if (!r) continue;
    out.t.push(samples[i].hostMs / 1000);
    for (const reason of reasons) out.byReason[reason].push(r.byReason[reason] ?? 0);
    for (const device of devices) out.mmioByDevice[device].push(r.mmioByDevice[device] ?? 0);
  }
  return out;
}

/** Virtual seconds of VM `vm` beside host seconds, sample by sample. */
export function timeSeries(
  samples: StatsSample[],
  vm: number,
): { host: number[]; virtual: number[] } {
  const host: number[] = [];
  const virtual: number[] = [];
  for (const s of samples) {
    const v = s.vms[vm];
    if (!v) continue;
    host.push(s.hostMs / 1000);
    virtual.push(v.virtualSeconds);
  }
  return { host, virtual };
}
