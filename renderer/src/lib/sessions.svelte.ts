/**
 * The sessions this window follows: their state, a rolling window of live statistics for
 * the charts, and the console streams. Console bytes are not kept here: they go to the
 * terminal that shows them (which credits the host as it draws them), and wait in a
 * queue only until that terminal is attached, so an unwatched VM is held by the host's
 * flow control instead of growing this page's memory.
 */
import type {
  LabEventMessage,
  SessionConfig,
  SessionInfo,
  VmLiveStats,
} from '../../../main/src/api/lab-api.ts';
import type { RunOutcome } from '../../../main/src/api/runs.ts';
import type { SessionState } from '../../../engine/src/worker/protocol.ts';
import type { LabClient } from './api/client.ts';

/** One stats event as the charts use it. */
export interface StatsSample {
  /** Host milliseconds since the session started (the worker's clock). */
  hostMs: number;
  vms: VmLiveStats[];
}

/** Samples kept per session: a minute at the worker's four per second. */
export const SAMPLES_KEPT = 240;

/**
 * A session as this window follows it. A class, so the list's proxy leaves it alone:
 * samples are replaced, never changed, and kept raw (no deep proxy over each one).
 */
export class LiveSession {
  readonly info: SessionInfo;
  state = $state<SessionState>('created');
  samples = $state.raw<StatsSample[]>([]);
  ended = $state<{ outcome: RunOutcome; reasons: string[] } | null>(null);

  constructor(info: SessionInfo) {
    this.info = info;
    this.state = info.state;
  }
}

type ConsoleSink = (bytes: Uint8Array) => void;

export class Sessions {
  list = $state<LiveSession[]>([]);
  private readonly client: LabClient;
  // Plumbing, not view state: deliberately not reactive.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  private readonly sinks = new Map<string, ConsoleSink>();
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  private readonly waiting = new Map<string, Uint8Array[]>();

  constructor(client: LabClient) {
    this.client = client;
    client.subscribe((e) => this.onEvent(e));
  }

  /** Sessions the host already runs (a reload, or another window started them). */
  async refresh(): Promise<void> {
    // eslint-disable-next-line svelte/prefer-svelte-reactivity
    const known = new Set(this.list.map((s) => s.info.id));
    for (const info of await this.client.call('listSessions', {}))
      if (!known.has(info.id)) this.list.push(new LiveSession(info));
  }

  async create(config: SessionConfig): Promise<LiveSession> {
    const info = await this.client.call('createSession', config);
    const existing = this.find(info.id);
    if (existing) return existing;
    this.list.push(new LiveSession(info));
    return this.list[this.list.length - 1];
  }

  find(id: string): LiveSession | undefined {
    return this.list.find((s) => s.info.id === id);
  }

  /** Forget an ended session (its run stays in the history). */
  dismiss(id: string): void {
    this.list = this.list.filter((s) => s.info.id !== id);
    for (const key of [...this.waiting.keys()])
      if (key.startsWith(`${id}:`)) this.waiting.delete(key);
  }

  /**
   * Attach the consumer of a VM's console (its terminal): bytes that waited are handed
   * over first. The consumer credits the host itself once the bytes are drawn.
   */
  attachConsole(session: string, vm: number, sink: ConsoleSink): () => void {
    const key = `${session}:${vm}`;
    this.sinks.set(key, sink);
    for (const chunk of this.waiting.get(key) ?? []) sink(chunk);
    this.waiting.delete(key);
    return () => {
      if (this.sinks.get(key) === sink) this.sinks.delete(key);
    };
  }

  private onEvent(e: LabEventMessage): void {
    switch (e.event) {
      case 'console': {
        const key = `${e.data.session}:${e.data.vm}`;
        const bytes = fromBase64(e.data.data);
        const sink = this.sinks.get(key);
        if (sink) sink(bytes);
        else if (this.find(e.data.session)) {
          const q = this.waiting.get(key) ?? [];
          q.push(bytes);
          this.waiting.set(key, q);
        }
        return;
      }
      case 'stats': {
        const s = this.find(e.data.session);
        if (!s) return;
        const kept = s.samples.length < SAMPLES_KEPT ? s.samples : s.samples.slice(1);
        s.samples = [...kept, { hostMs: e.data.hostMs, vms: e.data.vms }];
        return;
      }
      case 'state': {
        const s = this.find(e.data.session);
        if (s) s.state = e.data.state;
        return;
      }
      case 'ended': {
        const s = this.find(e.data.session);
        if (!s) return;
        s.state = 'ended';
        s.ended = { outcome: e.data.outcome, reasons: e.data.reasons };
        return;
      }
    }
  }
}

/** Base64 to bytes. (Uint8Array.from with a map function costs a call per byte, which a
 * console flood makes the page's hottest code.) */
function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
