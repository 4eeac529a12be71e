/**
 * The mapping between the contract's types and the schema's rows (migrations.ts), both
 * ways, kept apart from the SQL that moves them.
 */
import { emptyExitReport, type ExitReport } from '../../../engine/src/hv/exits.ts';
import type { ClockMode, RunEnd, RunOutcome, RunStart, RunSummary } from '../api/runs.ts';

/** A row of `runs`, as better-sqlite3 returns it. */
export interface RunRow {
  id: number;
  uuid: string;
  image_name: string;
  image_sha256: string;
  machine: 'virt' | 'bare';
  smp: number;
  mem_bytes: number;
  bootargs: string;
  devices: string;
  vms: number;
  profile: string;
  clock: ClockMode;
  started_at: number;
  owner_pid: number | null;
  outcome: RunOutcome;
  reason: string | null;
  ended_at: number | null;
  exit_code: number | null;
  instret: number | null;
  virtual_seconds: number | null;
  host_ms: number | null;
  exits_total: number | null;
  exit_cycles: number | null;
  exits_json: string | null;
  results_json: string | null;
  transcript_bytes: number;
  transcript_stored: number;
  transcript_truncated: number;
  last_output_at: number | null;
}

/** The `runs` columns a RunStart fills, as named parameters. */
export function startParams(s: RunStart) {
  return {
    image_name: s.image.name,
    image_sha256: s.image.sha256,
    machine: s.config.machine,
    smp: s.config.smp,
    mem_bytes: s.config.memBytes,
    bootargs: s.config.bootargs,
    devices: JSON.stringify(s.config.devices),
    vms: s.config.vms,
    profile: s.profile,
    clock: s.clock,
    started_at: s.startedAt,
  };
}

export function startFromRow(r: RunRow): RunStart {
  return {
    image: { name: r.image_name, sha256: r.image_sha256 },
    config: {
      machine: r.machine,
      smp: r.smp,
      memBytes: r.mem_bytes,
      bootargs: r.bootargs,
      devices: JSON.parse(r.devices) as string[],
      vms: r.vms,
    },
    profile: r.profile,
    clock: r.clock,
    startedAt: r.started_at,
  };
}

/** The `runs` columns a run's end fills, as named parameters. */
export function endParams(outcome: Exclude<RunOutcome, 'running'>, e: Omit<RunEnd, 'outcome'>) {
  return {
    outcome,
    reason: e.reason,
    ended_at: e.endedAt,
    exit_code: e.exitCode,
    instret: e.instret,
    virtual_seconds: e.virtualSeconds,
    host_ms: e.hostMs,
    exits_total: e.exits.total,
    exit_cycles: e.exits.cycles,
    exits_json: JSON.stringify(e.exits),
    results_json: JSON.stringify(e.results),
  };
}

/** The end columns of a run that has not ended. */
export const NO_END = {
  outcome: 'running',
  reason: null,
  ended_at: null,
  exit_code: null,
  instret: null,
  virtual_seconds: null,
  host_ms: null,
  exits_total: null,
  exit_cycles: null,
  exits_json: null,
  results_json: null,
} as const;

/**
 * A run's end as stored. An interrupted run never reported figures: the contract still
 * wants numbers, so they read as zero and its exits as an empty report.
 */
export function endFromRow(
  r: RunRow,
  deviceMetrics: Record<string, Record<string, number>>,
): Omit<RunEnd, 'outcome'> {
  return {
    reason: r.reason ?? '',
    endedAt: r.ended_at ?? r.started_at,
    exitCode: r.exit_code,
    instret: r.instret ?? 0,
    virtualSeconds: r.virtual_seconds ?? 0,
    hostMs: r.host_ms ?? 0,
    exits: r.exits_json === null ? emptyExitReport() : (JSON.parse(r.exits_json) as ExitReport),
    deviceMetrics,
    results: r.results_json === null ? {} : (JSON.parse(r.results_json) as Record<string, unknown>),
  };
}

/** The columns a RunSummary needs (list() reads no JSON). */
export const SUMMARY_COLUMNS =
  'id, uuid, image_name, profile, clock, smp, started_at, ended_at, outcome, reason, ' +
  'exit_code, exits_total, host_ms';
export type SummaryRow = Pick<
  RunRow,
  | 'id'
  | 'uuid'
  | 'image_name'
  | 'profile'
  | 'clock'
  | 'smp'
  | 'started_at'
  | 'ended_at'
  | 'outcome'
  | 'reason'
  | 'exit_code'
  | 'exits_total'
  | 'host_ms'
>;

export function summaryFromRow(r: SummaryRow): RunSummary {
  return {
    id: r.id,
    uuid: r.uuid,
    image: r.image_name,
    profile: r.profile,
    clock: r.clock,
    smp: r.smp,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    outcome: r.outcome,
    reason: r.reason,
    exitCode: r.exit_code,
    exitsTotal: r.exits_total,
    hostMs: r.host_ms,
  };
}

/** A row of `run_exits`. */
export interface ExitRow {
  vcpu: number | null;
  kind: 'reason' | 'sbi' | 'mmio';
  key: string;
  count: number;
  cycles: number | null;
}

/** The queryable rows of an exit report (the report itself is kept whole in exits_json). */
export function exitRows(x: ExitReport): ExitRow[] {
  const rows: ExitRow[] = [];
  const reasons = new Set([...Object.keys(x.byReason), ...Object.keys(x.cyclesByReason)]);
  const count = (m: Record<string, number>, k: string): number => m[k] ?? 0;
  for (const k of reasons)
    rows.push({
      vcpu: null,
      kind: 'reason',
      key: k,
      count: count(x.byReason, k),
      cycles: count(x.cyclesByReason, k),
    });
  x.byVcpu.forEach((perReason, vcpu) => {
    for (const [k, n] of Object.entries(perReason))
      rows.push({ vcpu, kind: 'reason', key: k, count: n, cycles: null });
  });
  for (const [ext, fns] of Object.entries(x.sbi))
    for (const [fn, n] of Object.entries(fns))
      rows.push({ vcpu: null, kind: 'sbi', key: `${ext}.${fn}`, count: n, cycles: null });
  for (const [dev, rw] of Object.entries(x.mmio)) {
    rows.push({ vcpu: null, kind: 'mmio', key: `${dev}.read`, count: rw.read, cycles: null });
    rows.push({ vcpu: null, kind: 'mmio', key: `${dev}.write`, count: rw.write, cycles: null });
  }
  return rows;
}
