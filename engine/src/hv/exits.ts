/**
 * VM exits: the reasons (after KVM's RISC-V statistics, DESIGN §3) and their accounting.
 * Every exit is counted in total, per vCPU and by reason, and charged its cost in
 * virtual cycles to the vCPU that took it, which is how an exit costs virtual time.
 * SBI exits are also counted by extension and function, MMIO exits by device.
 */
import type { Hart } from '../cpu/hart.ts';
import {
  isSnapObject,
  snapArray,
  snapFloat64s,
  snapObject,
  SnapshotError,
  type SnapObject,
  type SnapValue,
} from '../snapshot/persist.ts';

export const EXIT_REASONS = [
  'sbi',
  'mmio_read',
  'mmio_write',
  'wfi',
  'csr',
  'irq_inject',
  'preempt',
  'gstage_fault',
  'illegal',
  // Not in KVM's list: a misaligned load/store the hypervisor emulates (OpenSBI's job
  // on a real machine), counted so the lab can show what it costs.
  'misaligned',
] as const;
export type ExitReason = (typeof EXIT_REASONS)[number];

/** Index of each reason in the counter arrays. */
export const Exit = Object.fromEntries(EXIT_REASONS.map((r, i) => [r, i])) as {
  readonly [R in ExitReason]: number;
};

export interface TraceEntry {
  reason: ExitReason;
  vcpu: number;
  pc: number;
  /** Virtual time (timebase ticks) of the vCPU when it exited. */
  time: number;
  detail: string;
}

export interface ExitReport {
  total: number;
  cycles: number;
  byReason: Record<ExitReason, number>;
  cyclesByReason: Record<ExitReason, number>;
  byVcpu: Record<ExitReason, number>[];
  /** SBI calls by extension, then function name. */
  sbi: Record<string, Record<string, number>>;
  /** MMIO exits by device. */
  mmio: Record<string, { read: number; write: number }>;
}

export class ExitStats {
  private readonly perVcpu: Float64Array[];
  private readonly cyclesByReason = new Float64Array(EXIT_REASONS.length);
  private readonly sbiCalls = new Map<string, Map<string, number>>();
  private readonly mmio = new Map<string, { read: number; write: number }>();
  private readonly costs: Float64Array;
  private readonly trace: TraceEntry[] = [];
  private readonly traceCapacity: number;
  private readonly timeOf: (h: Hart) => number;

  /**
   * costs: virtual cycles per exit reason; traceCapacity: how many recent exits to keep
   * (0 keeps none); timeOf: a vCPU's virtual time, for the trace.
   */
  constructor(
    vcpus: number,
    costs: Float64Array,
    traceCapacity: number,
    timeOf: (h: Hart) => number,
  ) {
    this.perVcpu = Array.from({ length: vcpus }, () => new Float64Array(EXIT_REASONS.length));
    this.costs = costs;
    this.traceCapacity = traceCapacity;
    this.timeOf = timeOf;
  }

  /** Count one exit of vCPU `h` and charge its cost (the reason's unless given) to h's time. */
  record(h: Hart, reason: number, pc: number, detail = '', cost = this.costs[reason]): void {
    this.perVcpu[h.id][reason]++;
    this.cyclesByReason[reason] += cost;
    h.stallCycles += cost;
    if (this.traceCapacity > 0) {
      if (this.trace.length === this.traceCapacity) this.trace.shift();
      this.trace.push({
        reason: EXIT_REASONS[reason],
        vcpu: h.id,
        pc: pc >>> 0,
        time: this.timeOf(h),
        detail,
      });
    }
  }

  /** Exits so far, of vCPU `vcpu` or (-1) of all. */
  count(vcpu: number): number {
    let n = 0;
    for (let v = 0; v < this.perVcpu.length; v++) {
      if (vcpu !== -1 && v !== vcpu) continue;
      for (const c of this.perVcpu[v]) n += c;
    }
    return n;
  }

  sbi(h: Hart, pc: number, ext: string, fn: string): void {
    this.record(h, Exit.sbi, pc, this.traceCapacity > 0 ? `${ext}.${fn}` : '');
    let fns = this.sbiCalls.get(ext);
    if (!fns) this.sbiCalls.set(ext, (fns = new Map()));
    fns.set(fn, (fns.get(fn) ?? 0) + 1);
  }

  mmioAccess(h: Hart, pc: number, device: string, write: boolean, cost?: number): void {
    const reason = write ? Exit.mmio_write : Exit.mmio_read;
    this.record(h, reason, pc, device, cost ?? this.costs[reason]);
    let d = this.mmio.get(device);
    if (!d) this.mmio.set(device, (d = { read: 0, write: 0 }));
    if (write) d.write++;
    else d.read++;
  }

  /** The counters (not the trace, which a restored run starts afresh). */
  save(): SnapObject {
    const nested = (m: Map<string, Map<string, number>>): SnapObject =>
      Object.fromEntries([...m].map(([k, fns]) => [k, Object.fromEntries(fns)]));
    return {
      perVcpu: this.perVcpu.map((a) => Float64Array.from(a)),
      cyclesByReason: Float64Array.from(this.cyclesByReason),
      sbi: nested(this.sbiCalls),
      mmio: Object.fromEntries([...this.mmio].map(([d, c]) => [d, { ...c }])),
    };
  }

  restore(s: SnapObject): void {
    const perVcpu = snapArray(s, 'perVcpu');
    if (perVcpu.length !== this.perVcpu.length)
      throw new SnapshotError(`snapshot has exit counters for ${perVcpu.length} vCPUs`);
    perVcpu.forEach((counts, i) => {
      if (!(counts instanceof Float64Array) || counts.length !== EXIT_REASONS.length)
        throw new SnapshotError('snapshot exit counters are malformed');
      this.perVcpu[i].set(counts);
    });
    this.cyclesByReason.set(snapFloat64s(s, 'cyclesByReason', EXIT_REASONS.length));
    this.sbiCalls.clear();
    for (const [ext, fns] of Object.entries(snapObject(s, 'sbi'))) {
      this.sbiCalls.set(ext, new Map(Object.entries(countsOf(fns))));
    }
    this.mmio.clear();
    for (const [dev, c] of Object.entries(snapObject(s, 'mmio'))) {
      const counts = countsOf(c);
      this.mmio.set(dev, { read: counts.read ?? 0, write: counts.write ?? 0 });
    }
    this.trace.length = 0;
  }

  recent(): readonly TraceEntry[] {
    return this.trace;
  }

  report(): ExitReport {
    const byReason = perReason(() => 0);
    const cyclesByReason = perReason((i) => this.cyclesByReason[i]);
    const byVcpu = this.perVcpu.map((counts) => perReason((i) => counts[i]));
    for (const v of byVcpu) for (const r of EXIT_REASONS) byReason[r] += v[r];
    const total = EXIT_REASONS.reduce((s, r) => s + byReason[r], 0);
    const cycles = EXIT_REASONS.reduce((s, r) => s + cyclesByReason[r], 0);
    const sbi: Record<string, Record<string, number>> = {};
    for (const [ext, fns] of [...this.sbiCalls].sort())
      sbi[ext] = Object.fromEntries([...fns].sort());
    const mmio = Object.fromEntries([...this.mmio].sort());
    return { total, cycles, byReason, cyclesByReason, byVcpu, sbi, mmio };
  }
}

/** The report of a VM that never ran (or whose figures were lost with its worker). */
export function emptyExitReport(): ExitReport {
  const zeros = perReason(() => 0);
  return {
    total: 0,
    cycles: 0,
    byReason: zeros,
    cyclesByReason: { ...zeros },
    byVcpu: [],
    sbi: {},
    mmio: {},
  };
}

function perReason(value: (i: number) => number): Record<ExitReason, number> {
  return Object.fromEntries(EXIT_REASONS.map((r, i) => [r, value(i)])) as Record<
    ExitReason,
    number
  >;
}

function countsOf(v: SnapValue): Record<string, number> {
  const out: Record<string, number> = {};
  if (isSnapObject(v))
    for (const [k, n] of Object.entries(v)) if (typeof n === 'number') out[k] = n;
  return out;
}
