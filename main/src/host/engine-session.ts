/**
 * The host's handle on one engine session running in its own worker thread. It speaks
 * the worker protocol (engine/src/worker/protocol.ts) and watches the worker: one that
 * crashes, exits or stops answering ends its session as failed, with the reason, and
 * nothing else in the process is touched.
 */
import { Worker } from 'node:worker_threads';
import type { ClockMode } from '../../../engine/src/machine/virt.ts';
import type {
  HostMessage,
  SessionSpec,
  SessionState,
  VmOutcome,
  VmStats,
  WorkerMessage,
} from '../../../engine/src/worker/protocol.ts';

/** The engine worker as source (Node strips its types); a bundled app passes its own build. */
export const ENGINE_WORKER_URL = new URL('../../../engine/src/worker/worker.ts', import.meta.url);
/** A worker beats every 250 ms whatever it does; this much silence means it hangs. */
export const DEFAULT_HANG_MS = 5000;

export interface SessionVm {
  name: string;
  harts: number;
  memBytes: number;
  bootargs: string;
  devices: string[];
}

/** What the worker built: its VMs, and the profile and clock they run under. */
export interface SessionSetup {
  vms: SessionVm[];
  profile: string;
  clock: ClockMode;
}

export type SessionEnd =
  | { kind: 'ended'; hostMs: number; outcomes: VmOutcome[]; vms: VmStats[] }
  /** The worker died or hung, or the session could not be created. */
  | { kind: 'failed'; reason: string; vms: VmStats[] | null };

export interface SessionListener {
  console?(vm: number, bytes: Uint8Array): void;
  stats?(hostMs: number, vms: VmStats[]): void;
  state?(state: SessionState, instret: number): void;
  /** A request the session refused (it goes on). */
  refused?(message: string): void;
}

export type SessionSource =
  { create: SessionSpec } | { restore: Uint8Array; consoleWindow?: number; maxInsns?: number };

export class EngineSession {
  /** The session, once the worker has built it (rejects if it could not). */
  readonly ready: Promise<SessionSetup>;
  /** How the session ended; never rejects. */
  readonly done: Promise<SessionEnd>;
  state: SessionState = 'created';
  /** The latest statistics the worker sent. */
  lastStats: VmStats[] | null = null;
  private readonly worker: Worker;
  private readonly listeners = new Set<SessionListener>();
  private readonly snapshots = new Map<number, (bytes: Uint8Array) => void>();
  private nextSnapshot = 1;
  private finish!: (end: SessionEnd) => void;
  private resolveReady!: (setup: SessionSetup) => void;
  private rejectReady!: (e: Error) => void;
  private watchdog: ReturnType<typeof setTimeout> | null = null;
  private readonly hangMs: number;
  private ended = false;
  private started = false;

  constructor(source: SessionSource, opts: { hangMs?: number; workerUrl?: URL } = {}) {
    this.hangMs = opts.hangMs ?? DEFAULT_HANG_MS;
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => {}); // callers that only await `done` must not see it unhandled
    this.done = new Promise((resolve) => (this.finish = resolve));
    this.worker = new Worker(opts.workerUrl ?? ENGINE_WORKER_URL);
    this.worker.on('message', (m: WorkerMessage) => this.receive(m));
    this.worker.on('error', (e) => this.fail(`worker crashed: ${e.message}`));
    this.worker.on('exit', (code) => this.fail(`worker exited with code ${code}`));
    // Images are copied, not transferred: a Buffer may share its memory with others.
    if ('create' in source) this.post({ type: 'create', spec: source.create });
    else {
      this.post({
        type: 'restore',
        snapshot: source.restore,
        consoleWindow: source.consoleWindow,
        maxInsns: source.maxInsns,
      });
    }
  }

  subscribe(l: SessionListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  start(): void {
    this.started = true;
    this.post({ type: 'start' });
    this.armWatchdog();
  }

  pause(): void {
    this.post({ type: 'pause' });
  }

  resume(): void {
    this.post({ type: 'resume' });
  }

  /** Pause once the guests have retired `instret` instructions in all. */
  pauseAt(instret: number): void {
    this.post({ type: 'pause-at', instret });
  }

  stop(reason: string): void {
    this.post({ type: 'stop', reason });
  }

  input(vm: number, bytes: Uint8Array): void {
    this.post({ type: 'input', vm, bytes });
  }

  /** Set VM `vm`'s balloon target, in 4 KiB pages. */
  balloon(vm: number, pages: number): void {
    this.post({ type: 'balloon', vm, pages });
  }

  /** The consumer took `bytes` of VM `vm`'s console output. */
  credit(vm: number, bytes: number): void {
    this.post({ type: 'credit', vm, bytes });
  }

  /** The session's state as a snapshot file (the session must be paused). */
  snapshot(): Promise<Uint8Array> {
    const id = this.nextSnapshot++;
    return new Promise((resolve, reject) => {
      this.snapshots.set(id, resolve);
      const unsubscribe = this.subscribe({
        refused: (message) => {
          if (!this.snapshots.delete(id)) return;
          unsubscribe();
          reject(new Error(message));
        },
      });
      this.post({ type: 'snapshot', id });
    });
  }

  /** Test hook (sessions created with testHooks): crash or hang the worker. */
  fault(kind: 'throw' | 'hang'): void {
    this.post({ type: 'fault', kind });
  }

  /** End the worker now, whatever it is doing. */
  kill(reason: string): void {
    this.fail(reason);
  }

  private post(msg: HostMessage, transfer: ArrayBuffer[] = []): void {
    if (!this.ended) this.worker.postMessage(msg, transfer);
  }

  private receive(m: WorkerMessage): void {
    // Once the session is over (failed, killed) its runs are closed: whatever the worker
    // had sent by then is dropped, never handed to a listener that would write to them.
    // (A crash is reported apart from the messages sent before it and may overtake them.)
    if (this.ended) return;
    this.armWatchdog();
    switch (m.type) {
      case 'ready':
        this.resolveReady({ vms: m.vms, profile: m.profile, clock: m.clock });
        return;
      case 'console':
        for (const l of this.listeners) l.console?.(m.vm, m.bytes);
        return;
      case 'stats':
        this.lastStats = m.vms;
        for (const l of this.listeners) l.stats?.(m.hostMs, m.vms);
        return;
      case 'state':
        this.state = m.state;
        for (const l of this.listeners) l.state?.(m.state, m.instret);
        return;
      case 'snapshot':
        this.snapshots.get(m.id)?.(m.bytes);
        this.snapshots.delete(m.id);
        return;
      case 'ended':
        this.lastStats = m.vms;
        this.close({ kind: 'ended', hostMs: m.hostMs, outcomes: m.outcomes, vms: m.vms });
        return;
      case 'error':
        if (m.fatal) this.fail(m.message);
        else for (const l of this.listeners) l.refused?.(m.message);
        return;
    }
  }

  private armWatchdog(): void {
    if (this.watchdog !== null) clearTimeout(this.watchdog);
    if (this.ended || !this.started) return; // a session not yet started sends no beat
    this.watchdog = setTimeout(
      () => this.fail(`worker stopped responding (no message for ${this.hangMs / 1000} s)`),
      this.hangMs,
    );
  }

  private fail(reason: string): void {
    this.rejectReady(new Error(reason));
    this.close({ kind: 'failed', reason, vms: this.lastStats });
  }

  private close(end: SessionEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.state = 'ended';
    if (this.watchdog !== null) clearTimeout(this.watchdog);
    void this.worker.terminate();
    this.finish(end);
  }
}
