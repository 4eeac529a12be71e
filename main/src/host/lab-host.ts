/**
 * LabHost: what every user interface talks to (through LabApi). It owns the sessions,
 * each in its own engine worker, routes console and control to them, records every VM's
 * run in the store, and publishes console output, statistics and state as events. A
 * session that fails (worker crash, hang, bad image) is recorded as failed and the host
 * and its other sessions go on.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  ImageInfo,
  LabEvent,
  LabEventMessage,
  LabEvents,
  LabMethod,
  LabParams,
  LabResult,
  SessionConfig,
  SessionInfo,
  SnapshotInfo,
} from '../api/lab-api.ts';
import { ApiError } from '../api/lab-api.ts';
import type { RunStore } from '../store/run-store.ts';
import { EngineSession, type SessionEnd } from './engine-session.ts';
import { describe, RunRecorder } from './run-recorder.ts';

/**
 * The credit window of a session a person watches. What is in flight is what a key's
 * echo waits behind: at the 1.4-2 MB/s a browser terminal draws a flood on a small
 * machine, 64 KiB keeps the echo under about 100 ms (p95; `npm run bench -- console`),
 * where 256 KiB (the engine's default, for scripts) made it 300 ms.
 */
export const INTERACTIVE_CONSOLE_WINDOW = 64 * 1024;

export interface LabHostOptions {
  store: RunStore;
  /** Folder of guest images (*.elf) and library.json with their descriptions. */
  imagesDir: string;
  /** Folder of host profiles (*.json). */
  profilesDir: string;
  hangMs?: number;
  /** The engine worker's entry (a bundled app passes its own build). */
  workerUrl?: URL;
  /** Sessions accept fault injection (crash and hang tests only). */
  testHooks?: boolean;
}

interface Hosted {
  info: SessionInfo;
  engine: EngineSession;
  recorder: RunRecorder;
}

type Handlers = { [M in LabMethod]: (p: LabParams<M>) => Promise<LabResult<M>> | LabResult<M> };

export class LabHost {
  private readonly o: LabHostOptions;
  private readonly sessions = new Map<string, Hosted>();
  private readonly listeners = new Set<(e: LabEventMessage) => void>();
  private readonly handlers: Handlers;

  constructor(o: LabHostOptions) {
    this.o = o;
    const store = o.store;
    this.handlers = {
      listImages: () => this.images(),
      listProfiles: () =>
        readdirSync(o.profilesDir)
          .filter((f) => f.endsWith('.json'))
          .map((f) => f.slice(0, -5))
          .sort(),
      createSession: (p) => this.create(p),
      listSessions: () => [...this.sessions.values()].map((s) => s.info),
      start: (p) => this.control(p.session, (e) => e.start()),
      pause: (p) => this.control(p.session, (e) => e.pause()),
      resume: (p) => this.control(p.session, (e) => e.resume()),
      stop: (p) => this.control(p.session, (e) => e.stop('stopped by the user')),
      snapshot: (p) => this.snapshot(p.session),
      input: (p) => this.control(p.session, (e) => e.input(p.vm, new TextEncoder().encode(p.data))),
      credit: (p) => this.control(p.session, (e) => e.credit(p.vm, p.bytes)),
      balloonTarget: (p) => this.control(p.session, (e) => e.balloon(p.vm, p.mib * 256)),
      listRuns: (p) => store.list(p),
      getRun: (p) => store.get(p.id),
      compareRuns: (p) => store.compare(p.a, p.b),
      exportRuns: (p) =>
        p.format === 'csv'
          ? store.exportCsv(p.ids.length ? p.ids : undefined)
          : store.exportJson(p.ids.length ? p.ids : undefined),
      deleteRun: (p) => store.delete(p.id),
    };
  }

  /** Serve one LabApi request (already validated by parseRequest). */
  async call<M extends LabMethod>(method: M, params: LabParams<M>): Promise<LabResult<M>> {
    const handler = this.handlers[method] as (p: LabParams<M>) => Promise<LabResult<M>>;
    return handler(params);
  }

  subscribe(listener: (e: LabEventMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stop every session and wait until each is recorded. */
  async close(): Promise<void> {
    const hosted = [...this.sessions.values()];
    for (const h of hosted) h.engine.stop('the lab host is closing');
    await Promise.all(hosted.map((h) => h.engine.done));
  }

  /** The session's engine, for the CLI and tests that drive it directly. */
  engine(session: string): EngineSession {
    return this.hosted(session).engine;
  }

  private images(): ImageInfo[] {
    const dir = this.o.imagesDir;
    let described: Record<string, string> = {};
    try {
      described = JSON.parse(readFileSync(join(dir, 'library.json'), 'utf8')) as Record<
        string,
        string
      >;
    } catch {
      // No descriptions: the file names alone.
    }
    return readdirSync(dir)
      .filter((f) => f.endsWith('.elf'))
      .sort()
      .map((name) => ({
        name,
        description: described[name] ?? '',
        bytes: statSync(join(dir, name)).size,
      }));
  }

  private async create(config: SessionConfig): Promise<SessionInfo> {
    const profileNames = this.handlers.listProfiles({}) as string[];
    if (!profileNames.includes(config.profile))
      throw new ApiError(`profile '${config.profile}' is not one of ${profileNames.join(', ')}`);
    const profile: unknown = JSON.parse(
      readFileSync(join(this.o.profilesDir, `${config.profile}.json`), 'utf8'),
    );
    const images = config.vms.map((v) => this.image(v.image));
    const engine = new EngineSession(
      {
        create: {
          vms: config.vms.map((v, i) => ({
            name: v.image,
            image: images[i],
            memBytes: v.memBytes,
            harts: v.harts,
            bootargs: v.bootargs,
            devices: v.devices,
            readyMarker: 'labos> ',
          })),
          profile,
          clock: config.clock,
          consoleWindow: INTERACTIVE_CONSOLE_WINDOW,
          testHooks: this.o.testHooks,
        },
      },
      { hangMs: this.o.hangMs, workerUrl: this.o.workerUrl },
    );
    try {
      await engine.ready;
    } catch (e) {
      throw new ApiError((e as Error).message);
    }
    const recorder = new RunRecorder(
      this.o.store,
      engine,
      config.vms.map((v, i) => ({
        image: { name: v.image, sha256: createHash('sha256').update(images[i]).digest('hex') },
        config: {
          machine: 'virt',
          smp: v.harts,
          memBytes: v.memBytes,
          bootargs: v.bootargs,
          devices: v.devices,
          vms: config.vms.length,
        },
        profile: config.profile,
        clock: config.clock,
        startedAt: Date.now(),
      })),
    );
    const id = randomUUID();
    const info: SessionInfo = { id, config, state: 'created', runs: recorder.ids };
    this.sessions.set(id, { info, engine, recorder });
    engine.subscribe({
      console: (vm, bytes) =>
        this.emit('console', { session: id, vm, data: Buffer.from(bytes).toString('base64') }),
      stats: (hostMs, vms) =>
        this.emit('stats', {
          session: id,
          hostMs,
          vms: vms.map((v) => ({
            instret: v.instret,
            virtualSeconds: v.virtualSeconds,
            exits: v.exits,
            consoleBytes: v.consoleBytes,
            consoleBlocked: v.consoleBlocked,
            ready: v.ready,
            devices: v.devices,
            memory: v.memory,
            balloonStats: v.balloonStats,
          })),
        }),
      state: (state) => {
        info.state = state;
        this.emit('state', { session: id, state });
      },
    });
    void engine.done.then((end) => this.ended(id, end));
    return info;
  }

  private async snapshot(session: string): Promise<SnapshotInfo> {
    const h = this.hosted(session);
    if (h.info.state !== 'paused') throw new ApiError('pause the session before taking a snapshot');
    const bytes = await h.engine.snapshot();
    // Snapshots go beside the run history, in the data folder's snapshots/.
    const dir = join(this.o.store.dataDir, 'snapshots');
    mkdirSync(dir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const file = join(dir, `${h.info.config.vms[0].image}-${stamp}.hvsnap`);
    writeFileSync(file, bytes);
    return { file, bytes: bytes.length };
  }

  private ended(id: string, end: SessionEnd): void {
    const h = this.sessions.get(id);
    if (!h) return;
    h.recorder.finish(end);
    h.info.state = 'ended';
    this.sessions.delete(id);
    const described = end.kind === 'ended' ? end.outcomes.map(describe) : [];
    this.emit('ended', {
      session: id,
      outcome: end.kind === 'failed' ? 'failed' : 'completed',
      reasons: end.kind === 'failed' ? [end.reason] : described.map((d) => d.reason),
    });
  }

  private image(name: string): Uint8Array {
    // Names from the library only: no paths from clients.
    if (!this.images().some((i) => i.name === name))
      throw new ApiError(`image '${name}' is not in the library`);
    return readFileSync(join(this.o.imagesDir, name));
  }

  private hosted(session: string): Hosted {
    const h = this.sessions.get(session);
    if (!h) throw new ApiError(`no session '${session}'`);
    return h;
  }

  private control(session: string, act: (e: EngineSession) => void): null {
    act(this.hosted(session).engine);
    return null;
  }

  private emit<E extends LabEvent>(event: E, data: LabEvents[E]): void {
    const msg = { event, data } as LabEventMessage;
    for (const l of this.listeners) l(msg);
  }
}
