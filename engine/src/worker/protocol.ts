/**
 * The engine worker's message protocol: what the host may ask of a session running in a
 * worker thread, and what the session reports back. Messages are structured-cloned
 * (byte arrays may be transferred). Everything that arrives from the host is checked by
 * parseHostMessage before it touches the session: one malformed message gets a one-line
 * `error` back and changes nothing.
 */
import type { ExitReport } from '../hv/exits.ts';
import type { ClockMode } from '../machine/virt.ts';

/** One VM of a session. */
export interface VmSpec {
  /** Shown in statistics and run records, e.g. the image's file name. */
  name: string;
  image: Uint8Array;
  memBytes: number;
  harts: number;
  bootargs: string;
  /** Optional devices in slot order: 'console', 'net', 'balloon', 'nic'. */
  devices?: string[];
  /** The balloon's target at power-on, in 4 KiB pages (needs the balloon device). */
  balloonPages?: number;
  /** Console input given up front (scripted runs). */
  input?: Uint8Array;
  /** Note when the console first shows this text (a shell prompt: "booted"). */
  readyMarker?: string;
}

/** When a VM's console first showed its ready marker. */
export interface ReadyPoint {
  /** Host ms the session had run when it appeared (engine time: what boot costs us). */
  hostMs: number;
  instret: number;
  virtualSeconds: number;
}

export interface SessionSpec {
  vms: VmSpec[];
  /** A host profile as JSON (validated in the worker with parseProfile). */
  profile: unknown;
  clock: ClockMode;
  /** Stop when the guests have retired this many instructions in all (default: no limit). */
  maxInsns?: number;
  /** Console bytes a VM may have in flight to the host before it must wait for credit. */
  consoleWindow?: number;
  /** Accept the test-only `fault` request (crash and hang tests). */
  testHooks?: boolean;
}

export type HostMessage =
  | { type: 'create'; spec: SessionSpec }
  | { type: 'restore'; snapshot: Uint8Array; consoleWindow?: number; maxInsns?: number }
  | { type: 'start' }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop'; reason: string }
  /** Pause as soon as the guests have retired `instret` instructions in all. */
  | { type: 'pause-at'; instret: number }
  | { type: 'snapshot'; id: number }
  | { type: 'input'; vm: number; bytes: Uint8Array }
  /** The host consumed `bytes` of a VM's console output: the VM may send that much more. */
  | { type: 'credit'; vm: number; bytes: number }
  /** Set VM `vm`'s balloon target (4 KiB pages). */
  | { type: 'balloon'; vm: number; pages: number }
  | { type: 'fault'; kind: 'throw' | 'hang' };

/** Why a VM stopped running. */
export type VmOutcome =
  | { kind: 'shutdown'; exitCode: number }
  | { kind: 'reboot' }
  | { kind: 'stopped'; reason: string }
  | { kind: 'max-insns' };

export interface VmStats {
  instret: number;
  /** Guest time in timebase ticks (the furthest hart) and in seconds. */
  ticks: number;
  virtualSeconds: number;
  guestCycles: number;
  exits: ExitReport;
  consoleBytes: number;
  /** A whole window of output waits for the host to take it (backpressure). */
  consoleBlocked: boolean;
  /** Output bytes held in the engine, not yet sent, now and at most so far. */
  consoleBacklog: number;
  consoleBacklogPeak: number;
  ready: ReadyPoint | null;
  /** Device metrics by device name. */
  devices: Record<string, Record<string, number>>;
  /** Guest RAM in pages, and how many of them hold a host frame (the balloon frees some). */
  memory: { pages: number; framesMapped: number };
  /** The balloon's latest guest statistics by name, when the VM has one and the guest sent them. */
  balloonStats: Record<string, number>;
}

export type SessionState = 'created' | 'running' | 'paused' | 'idle' | 'ended';

export type WorkerMessage =
  | {
      type: 'ready';
      vms: {
        name: string;
        harts: number;
        memBytes: number;
        bootargs: string;
        devices: string[];
      }[];
      profile: string;
      clock: ClockMode;
    }
  | { type: 'console'; vm: number; bytes: Uint8Array }
  | { type: 'state'; state: SessionState; instret: number }
  | { type: 'stats'; hostMs: number; vms: VmStats[] }
  | { type: 'ended'; hostMs: number; outcomes: VmOutcome[]; vms: VmStats[] }
  | { type: 'snapshot'; id: number; bytes: Uint8Array }
  /** A request failed; `fatal` means the session is gone. */
  | { type: 'error'; message: string; fatal: boolean };

export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

/** Check a message from the host; throws ProtocolError naming what is wrong. */
export function parseHostMessage(data: unknown): HostMessage {
  const m = record(data, 'message');
  const type = m.type;
  switch (type) {
    case 'start':
    case 'pause':
    case 'resume':
      return { type };
    case 'stop':
      return { type, reason: typeof m.reason === 'string' ? m.reason : 'stopped by the host' };
    case 'pause-at':
      return { type, instret: count(m.instret, 'pause-at.instret') };
    case 'snapshot':
      return { type, id: count(m.id, 'snapshot.id') };
    case 'input':
      return { type, vm: count(m.vm, 'input.vm'), bytes: bytes(m.bytes, 'input.bytes') };
    case 'credit':
      return { type, vm: count(m.vm, 'credit.vm'), bytes: count(m.bytes, 'credit.bytes') };
    case 'balloon':
      return { type, vm: count(m.vm, 'balloon.vm'), pages: count(m.pages, 'balloon.pages') };
    case 'fault':
      if (m.kind !== 'throw' && m.kind !== 'hang')
        throw new ProtocolError('fault.kind must be throw or hang');
      return { type, kind: m.kind };
    case 'restore':
      return {
        type,
        snapshot: bytes(m.snapshot, 'restore.snapshot'),
        consoleWindow: optionalCount(m.consoleWindow, 'restore.consoleWindow'),
        maxInsns: optionalCount(m.maxInsns, 'restore.maxInsns'),
      };
    case 'create':
      return { type, spec: sessionSpec(m.spec) };
    default:
      throw new ProtocolError(`unknown message type ${JSON.stringify(type)}`);
  }
}

function sessionSpec(data: unknown): SessionSpec {
  const s = record(data, 'create.spec');
  if (!Array.isArray(s.vms) || s.vms.length === 0)
    throw new ProtocolError('create.spec.vms must list at least one VM');
  if (s.clock !== 'deterministic' && s.clock !== 'realtime')
    throw new ProtocolError('create.spec.clock must be deterministic or realtime');
  return {
    vms: s.vms.map((v: unknown, i: number) => vmSpec(v, `create.spec.vms[${i}]`)),
    profile: s.profile,
    clock: s.clock,
    maxInsns: optionalCount(s.maxInsns, 'create.spec.maxInsns'),
    consoleWindow: optionalCount(s.consoleWindow, 'create.spec.consoleWindow'),
    testHooks: s.testHooks === true,
  };
}

function vmSpec(data: unknown, where: string): VmSpec {
  const v = record(data, where);
  if (typeof v.name !== 'string') throw new ProtocolError(`${where}.name must be a string`);
  if (typeof v.bootargs !== 'string') throw new ProtocolError(`${where}.bootargs must be a string`);
  return {
    name: v.name,
    image: bytes(v.image, `${where}.image`),
    memBytes: count(v.memBytes, `${where}.memBytes`),
    harts: count(v.harts, `${where}.harts`),
    bootargs: v.bootargs,
    input: v.input === undefined ? undefined : bytes(v.input, `${where}.input`),
    devices: strings(v.devices ?? [], `${where}.devices`),
    balloonPages: optionalCount(v.balloonPages, `${where}.balloonPages`),
    readyMarker: typeof v.readyMarker === 'string' && v.readyMarker ? v.readyMarker : undefined,
  };
}

function record(data: unknown, what: string): Record<string, unknown> {
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new ProtocolError(`${what} must be an object`);
  return data as Record<string, unknown>;
}

function count(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    throw new ProtocolError(`${what} must be a whole number >= 0`);
  return v;
}

function optionalCount(v: unknown, what: string): number | undefined {
  return v === undefined ? undefined : count(v, what);
}

function strings(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw new ProtocolError(`${what} must be a list of names`);
  return v as string[];
}

function bytes(v: unknown, what: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new ProtocolError(`${what} must be bytes`);
  return v;
}
