/**
 * Runs as CSV for spreadsheets: one row per run, RFC 4180 (CRLF line ends, fields quoted
 * when they hold a comma, quote or line break, quotes doubled). Empty field = not known.
 */
import { EXIT_REASONS } from '../../../engine/src/hv/exits.ts';
import type { RunConfig, RunOutcome } from '../api/runs.ts';

/** What a CSV row needs: the run's columns and its exit counts by reason (totals). */
export interface CsvRun {
  id: number;
  uuid: string;
  image: { name: string; sha256: string };
  config: RunConfig;
  profile: string;
  clock: string;
  startedAt: number;
  endedAt: number | null;
  hostMs: number | null;
  virtualSeconds: number | null;
  instret: number | null;
  outcome: RunOutcome;
  reason: string | null;
  exitCode: number | null;
  exitsTotal: number | null;
  /** Exits by reason; empty when the run recorded none (still running, interrupted). */
  exitsByReason: Map<string, number>;
}

const COLUMNS = [
  'id',
  'uuid',
  'image',
  'sha256',
  'machine',
  'smp',
  'mem_bytes',
  'bootargs',
  'devices',
  'vms',
  'profile',
  'clock',
  'started_at',
  'ended_at',
  'host_ms',
  'virtual_seconds',
  'instret',
  'outcome',
  'reason',
  'exit_code',
  'exits_total',
];

export function csvField(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function runsToCsv(runs: CsvRun[]): string {
  // Today's reasons in the engine's order, then any others the runs hold (from another
  // engine version), so columns are stable for a given set of runs.
  const reasons: string[] = [...EXIT_REASONS];
  for (const r of runs)
    for (const k of r.exitsByReason.keys()) if (!reasons.includes(k)) reasons.push(k);
  const header = [...COLUMNS, ...reasons.map((r) => `exits_${r}`)];
  const lines = [header.map(csvField).join(',')];
  for (const r of runs) {
    const known = r.exitsByReason.size > 0;
    const row: (string | number | null)[] = [
      r.id,
      r.uuid,
      r.image.name,
      r.image.sha256,
      r.config.machine,
      r.config.smp,
      r.config.memBytes,
      r.config.bootargs,
      // Device names are identifiers; ';' keeps the list in one field without quoting.
      r.config.devices.join(';'),
      r.config.vms,
      r.profile,
      r.clock,
      iso(r.startedAt),
      iso(r.endedAt),
      r.hostMs,
      r.virtualSeconds,
      r.instret,
      r.outcome,
      r.reason,
      r.exitCode,
      r.exitsTotal,
      ...reasons.map((k) => (known ? (r.exitsByReason.get(k) ?? 0) : null)),
    ];
    lines.push(row.map(csvField).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}
