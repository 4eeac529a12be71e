/**
 * Shape checks for what enters the store: runs being written (finish) and runs being
 * imported. Each check returns a fresh object holding only the contract's fields in a
 * fixed order (so stored and exported data is canonical), or throws a one-line StoreError
 * naming the field, e.g. "runs[2].config.smp must be an integer >= 1 (got "two")".
 * Numbers must be finite: SQLite and JSON cannot keep NaN or Infinity.
 */
import type { ExitReport } from '../../../engine/src/hv/exits.ts';
import type {
  ClockMode,
  RunConfig,
  RunEnd,
  RunOutcome,
  RunRecord,
  RunStart,
  RunTranscript,
} from '../api/runs.ts';
import { StoreError } from './errors.ts';

type Obj = Record<string, unknown>;

const OUTCOMES: readonly RunOutcome[] = ['running', 'completed', 'failed', 'interrupted'];
const CLOCKS: readonly ClockMode[] = ['deterministic', 'realtime'];
const MACHINES: readonly RunConfig['machine'][] = ['virt', 'bare'];

function show(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === undefined) return 'nothing';
  return /^[aeiou]/.test(typeof v) ? `an ${typeof v}` : `a ${typeof v}`;
}

function fail(path: string, want: string, got: unknown): never {
  throw new StoreError(`${path} must be ${want} (got ${show(got)})`);
}

export function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function obj(v: unknown, path: string): Obj {
  return isObject(v) ? v : fail(path, 'an object', v);
}

function str(v: unknown, path: string): string {
  return typeof v === 'string' ? v : fail(path, 'a string', v);
}

function num(v: unknown, path: string): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fail(path, 'a finite number', v);
}

function int(v: unknown, path: string, min?: number): number {
  if (!Number.isSafeInteger(v))
    fail(path, min === undefined ? 'an integer' : `an integer >= ${min}`, v);
  return min === undefined || (v as number) >= min
    ? (v as number)
    : fail(path, `an integer >= ${min}`, v);
}

function oneOf<T extends string>(v: unknown, path: string, allowed: readonly T[]): T {
  return allowed.includes(v as T) ? (v as T) : fail(path, `one of ${allowed.join(', ')}`, v);
}

function record<T>(
  v: unknown,
  path: string,
  each: (x: unknown, p: string) => T,
): Record<string, T> {
  const o = obj(v, path);
  const out: Record<string, T> = {};
  for (const [k, x] of Object.entries(o)) out[k] = each(x, `${path}.${k}`);
  return out;
}

const numbers = (v: unknown, path: string): Record<string, number> => record(v, path, num);

export function checkExitReport(v: unknown, path: string): ExitReport {
  const o = obj(v, path);
  const byVcpu = Array.isArray(o.byVcpu) ? o.byVcpu : fail(`${path}.byVcpu`, 'an array', o.byVcpu);
  // Reason keys are not limited to today's EXIT_REASONS: a newer engine's runs still import.
  type PerReason = ExitReport['byReason'];
  return {
    total: num(o.total, `${path}.total`),
    cycles: num(o.cycles, `${path}.cycles`),
    byReason: numbers(o.byReason, `${path}.byReason`) as PerReason,
    cyclesByReason: numbers(o.cyclesByReason, `${path}.cyclesByReason`) as PerReason,
    byVcpu: byVcpu.map((r, i) => numbers(r, `${path}.byVcpu[${i}]`) as PerReason),
    sbi: record(o.sbi, `${path}.sbi`, numbers),
    mmio: record(o.mmio, `${path}.mmio`, (d, p) => {
      const rw = obj(d, p);
      return { read: num(rw.read, `${p}.read`), write: num(rw.write, `${p}.write`) };
    }),
  };
}

/** Experiment results: any JSON object (anything JSON cannot hold is refused, not dropped silently). */
function checkResults(v: unknown, path: string): Record<string, unknown> {
  const o = obj(v, path);
  let text: string;
  try {
    text = JSON.stringify(o);
  } catch (e) {
    throw new StoreError(`${path} is not JSON-able: ${(e as Error).message}`, { cause: e });
  }
  return JSON.parse(text) as Record<string, unknown>;
}

export function checkRunStart(v: unknown, path: string): RunStart {
  const o = obj(v, path);
  const image = obj(o.image, `${path}.image`);
  const c = obj(o.config, `${path}.config`);
  const devices = Array.isArray(c.devices)
    ? c.devices
    : fail(`${path}.config.devices`, 'an array', c.devices);
  return {
    image: {
      name: str(image.name, `${path}.image.name`),
      sha256: str(image.sha256, `${path}.image.sha256`),
    },
    config: {
      machine: oneOf(c.machine, `${path}.config.machine`, MACHINES),
      smp: int(c.smp, `${path}.config.smp`, 1),
      memBytes: int(c.memBytes, `${path}.config.memBytes`, 0),
      bootargs: str(c.bootargs, `${path}.config.bootargs`),
      devices: devices.map((d, i) => str(d, `${path}.config.devices[${i}]`)),
      vms: int(c.vms, `${path}.config.vms`, 1),
    },
    profile: str(o.profile, `${path}.profile`),
    clock: oneOf(o.clock, `${path}.clock`, CLOCKS),
    startedAt: int(o.startedAt, `${path}.startedAt`, 0),
  };
}

type EndFields = Omit<RunEnd, 'outcome'>;

function checkEndFields(o: Obj, path: string): EndFields {
  return {
    reason: str(o.reason, `${path}.reason`),
    endedAt: int(o.endedAt, `${path}.endedAt`, 0),
    exitCode: o.exitCode === null ? null : int(o.exitCode, `${path}.exitCode`),
    instret: num(o.instret, `${path}.instret`),
    virtualSeconds: num(o.virtualSeconds, `${path}.virtualSeconds`),
    hostMs: num(o.hostMs, `${path}.hostMs`),
    exits: checkExitReport(o.exits, `${path}.exits`),
    deviceMetrics: record(o.deviceMetrics, `${path}.deviceMetrics`, numbers),
    results: checkResults(o.results, `${path}.results`),
  };
}

export function checkRunEnd(v: unknown, path: string): RunEnd {
  const o = obj(v, path);
  const outcome = oneOf(o.outcome, `${path}.outcome`, ['completed', 'failed', 'interrupted']);
  return { outcome, ...checkEndFields(o, path) };
}

function checkTranscript(v: unknown, path: string): RunTranscript {
  const o = obj(v, path);
  const truncated = o.truncated;
  return {
    text: str(o.text, `${path}.text`),
    totalBytes: int(o.totalBytes, `${path}.totalBytes`, 0),
    truncated:
      typeof truncated === 'boolean'
        ? truncated
        : fail(`${path}.truncated`, 'true or false', truncated),
  };
}

/** A whole run as exported. `id` is checked but means nothing to the importing store. */
export function checkRunRecord(v: unknown, path: string): RunRecord {
  const o = obj(v, path);
  const id = int(o.id, `${path}.id`, 1);
  const uuid = str(o.uuid, `${path}.uuid`);
  if (uuid === '') fail(`${path}.uuid`, 'a non-empty string', uuid);
  const start = checkRunStart(o, path);
  const outcome = oneOf(o.outcome, `${path}.outcome`, OUTCOMES);
  const end =
    outcome === 'running'
      ? o.end === null
        ? null
        : fail(`${path}.end`, 'null while the run is running', o.end)
      : checkEndFields(obj(o.end, `${path}.end`), `${path}.end`);
  return {
    id,
    uuid,
    ...start,
    outcome,
    end,
    transcript: checkTranscript(o.transcript, `${path}.transcript`),
  };
}
