/**
 * LabApi: the one contract between a user interface and the lab host, used alike by
 * Electron IPC and by the WebSocket of web mode. Requests go in as { id, method, params }
 * and come back as { id, result } or { id, error }; the host pushes events as
 * { event, data }. Everything arriving from outside is checked by parseRequest before
 * the host acts on it.
 */
import type { ExitReport } from '../../../engine/src/hv/exits.ts';
import type { ReadyPoint, SessionState } from '../../../engine/src/worker/protocol.ts';
import type {
  ClockMode,
  RunComparison,
  RunFilter,
  RunOutcome,
  RunRecord,
  RunSummary,
} from './runs.ts';

export interface ImageInfo {
  name: string;
  description: string;
  bytes: number;
}

export interface VmConfig {
  /** An image of the library, by file name (e.g. 'labos.elf'). */
  image: string;
  memBytes: number;
  harts: number;
  bootargs: string;
  /** Optional devices in slot order: 'console', 'net', 'balloon', 'nic'. */
  devices: string[];
}

export interface SessionConfig {
  vms: VmConfig[];
  profile: string;
  clock: ClockMode;
}

export interface SessionInfo {
  id: string;
  config: SessionConfig;
  state: SessionState;
  /** The run recorded for each VM. */
  runs: number[];
}

/** Live figures of one VM, as the worker reports them about four times a second. */
export interface VmLiveStats {
  instret: number;
  virtualSeconds: number;
  exits: ExitReport;
  consoleBytes: number;
  consoleBlocked: boolean;
  ready: ReadyPoint | null;
  /** Device metrics by device name (counters are totals since boot). */
  devices: Record<string, Record<string, number>>;
  /** Guest RAM pages, and how many hold a host frame now. */
  memory: { pages: number; framesMapped: number };
  /** The balloon's latest guest statistics (virtio names), when there are any. */
  balloonStats: Record<string, number>;
}

/** Where a snapshot went. */
export interface SnapshotInfo {
  file: string;
  bytes: number;
}

/** Method name -> [params, result]. */
export interface LabMethods {
  listImages: [Record<string, never>, ImageInfo[]];
  listProfiles: [Record<string, never>, string[]];
  createSession: [SessionConfig, SessionInfo];
  listSessions: [Record<string, never>, SessionInfo[]];
  start: [{ session: string }, null];
  pause: [{ session: string }, null];
  resume: [{ session: string }, null];
  stop: [{ session: string }, null];
  /** Save a paused session to a snapshot file in the data folder (`hvlab restore FILE`). */
  snapshot: [{ session: string }, SnapshotInfo];
  /** Console input; `data` is text (UTF-8). */
  input: [{ session: string; vm: number; data: string }, null];
  /** The client's terminal took `bytes` of a VM's output (flow control). */
  credit: [{ session: string; vm: number; bytes: number }, null];
  /** Set a VM's balloon target in MiB (the VM needs a balloon device). */
  balloonTarget: [{ session: string; vm: number; mib: number }, null];
  listRuns: [RunFilter, RunSummary[]];
  getRun: [{ id: number }, RunRecord | null];
  compareRuns: [{ a: number; b: number }, RunComparison];
  exportRuns: [{ ids: number[]; format: 'json' | 'csv' }, string];
  deleteRun: [{ id: number }, boolean];
}

export type LabMethod = keyof LabMethods;
export type LabParams<M extends LabMethod> = LabMethods[M][0];
export type LabResult<M extends LabMethod> = LabMethods[M][1];

export interface LabEvents {
  /** Console output: `data` is base64 (bytes, not necessarily whole UTF-8 characters). */
  console: { session: string; vm: number; data: string };
  stats: { session: string; hostMs: number; vms: VmLiveStats[] };
  state: { session: string; state: SessionState };
  ended: { session: string; outcome: RunOutcome; reasons: string[] };
}

export type LabEvent = keyof LabEvents;

export interface LabRequest<M extends LabMethod = LabMethod> {
  id: number;
  method: M;
  params: LabParams<M>;
}

export type LabResponse = { id: number; result: unknown } | { id: number | null; error: string };

/** An event as pushed to clients: a union discriminated by `event`. */
export type LabEventMessage = { [E in LabEvent]: { event: E; data: LabEvents[E] } }[LabEvent];

/** The contract of the Electron preload (window.hvlab): one function per method, and events. */
export type PreloadApi = {
  [M in LabMethod]: (params: LabParams<M>) => Promise<LabResult<M>>;
} & { subscribe(listener: (e: LabEventMessage) => void): () => void };

export class ApiError extends Error {
  override name = 'ApiError';
}

type Check = (v: unknown, where: string) => void;

const str: Check = (v, w) => {
  if (typeof v !== 'string') throw new ApiError(`${w} must be a string`);
};
const whole: Check = (v, w) => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    throw new ApiError(`${w} must be a whole number >= 0`);
};
const optional =
  (c: Check): Check =>
  (v, w) => {
    if (v !== undefined) c(v, w);
  };
const oneOf =
  (...values: string[]): Check =>
  (v, w) => {
    if (typeof v !== 'string' || !values.includes(v))
      throw new ApiError(`${w} must be one of ${values.join(', ')}`);
  };
const listOf =
  (c: Check): Check =>
  (v, w) => {
    if (!Array.isArray(v)) throw new ApiError(`${w} must be a list`);
    v.forEach((x, i) => c(x, `${w}[${i}]`));
  };
const object =
  (fields: Record<string, Check>): Check =>
  (v, w) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw new ApiError(`${w} must be an object`);
    for (const k of Object.keys(v))
      if (!(k in fields)) throw new ApiError(`${w}.${k} is not a known field`);
    for (const [k, c] of Object.entries(fields)) c((v as Record<string, unknown>)[k], `${w}.${k}`);
  };

const none = object({});
const session = object({ session: str });
const PARAMS: Record<LabMethod, Check> = {
  listImages: none,
  listProfiles: none,
  createSession: object({
    vms: (v, w) => {
      listOf(
        object({ image: str, memBytes: whole, harts: whole, bootargs: str, devices: listOf(str) }),
      )(v, w);
      if ((v as unknown[]).length === 0) throw new ApiError(`${w} must list at least one VM`);
    },
    profile: str,
    clock: oneOf('deterministic', 'realtime'),
  }),
  listSessions: none,
  start: session,
  pause: session,
  resume: session,
  stop: session,
  snapshot: session,
  input: object({ session: str, vm: whole, data: str }),
  credit: object({ session: str, vm: whole, bytes: whole }),
  balloonTarget: object({ session: str, vm: whole, mib: whole }),
  listRuns: object({
    image: optional(str),
    outcome: optional(oneOf('running', 'completed', 'failed', 'interrupted')),
    profile: optional(str),
    since: optional(whole),
    limit: optional(whole),
  }),
  getRun: object({ id: whole }),
  compareRuns: object({ a: whole, b: whole }),
  exportRuns: object({ ids: listOf(whole), format: oneOf('json', 'csv') }),
  deleteRun: object({ id: whole }),
};

/** Every method, in declaration order: what the Electron preload exposes, one function each. */
export const LAB_METHODS = Object.keys(PARAMS) as LabMethod[];

/** Check a request from a client; ApiError names the first thing wrong. */
export function parseRequest(data: unknown): LabRequest {
  object({ id: whole, method: str, params: () => {} })(data, 'request');
  const r = data as { id: number; method: string; params: unknown };
  if (!Object.hasOwn(PARAMS, r.method)) throw new ApiError(`unknown method '${r.method}'`);
  const method = r.method as LabMethod;
  const params = r.params ?? {};
  PARAMS[method](params, 'params');
  return { id: r.id, method, params: params as LabParams<LabMethod> };
}
