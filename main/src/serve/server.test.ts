import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { RENDERER_CSP } from '../api/renderer-assets.ts';
import { LabHost } from '../host/lab-host.ts';
import { RunStore } from '../store/run-store.ts';
import { IMAGES_DIR, RENDERER_DIR } from '../cli/serve-command.ts';
import { PROFILE_DIR } from '../cli/profiles.ts';
import { startServer, type RunningServer } from './server.ts';

/**
 * Web mode's socket: who may connect (token, Origin), what a malformed message gets, and
 * a good client driving a session to its end over the LabApi.
 */
let dir: string;
let store: RunStore;
let host: LabHost;
let server: RunningServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hvlab-serve-'));
  store = RunStore.open(dir);
  host = new LabHost({
    store,
    imagesDir: IMAGES_DIR,
    profilesDir: PROFILE_DIR,
  });
  server = await startServer({ host, rendererDir: RENDERER_DIR, port: 0, token: 'sesame' });
});

afterAll(async () => {
  await host.close();
  await server.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Try to connect; resolves to the open socket or to the HTTP refusal. */
function connect(
  query: string,
  origin?: string,
): Promise<WebSocket | { status: number; body: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api${query}`, {
      headers: origin ? { origin } : {},
    });
    ws.on('open', () => resolve(ws));
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body.trim() }));
    });
  });
}

/** A client that sends requests and collects responses and events. */
async function client() {
  const ws = await connect('?token=sesame', `http://127.0.0.1:${server.port}`);
  if (!(ws instanceof WebSocket)) throw new Error(`refused: ${ws.body}`);
  const events: { event: string; data: Record<string, unknown> }[] = [];
  const waiting = new Map<number | null, (r: Record<string, unknown>) => void>();
  ws.on('message', (raw: Buffer) => {
    const m = JSON.parse(raw.toString()) as Record<string, unknown>;
    if ('event' in m) events.push(m as (typeof events)[number]);
    else waiting.get(m.id as number | null)?.(m);
  });
  let next = 1;
  const raw = (text: string, id: number | null): Promise<Record<string, unknown>> =>
    new Promise((resolve) => {
      waiting.set(id, resolve);
      ws.send(text);
    });
  const call = (method: string, params: unknown = {}) => {
    const id = next++;
    return raw(JSON.stringify({ id, method, params }), id);
  };
  return { ws, events, raw, call };
}

describe('hvlab serve: the LabApi over a WebSocket', () => {
  it('refuses a missing or wrong token and a foreign origin, each with a clear reason', async () => {
    expect(await connect('')).toEqual({ status: 401, body: 'missing token' });
    expect(await connect('?token=guess')).toEqual({ status: 401, body: 'wrong token' });
    expect(await connect('?token=sesame', 'https://evil.example')).toEqual({
      status: 403,
      body: 'origin https://evil.example is not allowed',
    });
  });

  it('serves the page with the renderer CSP, and nothing outside the renderer folder', async () => {
    const page = await fetch(`http://127.0.0.1:${server.port}/`);
    expect(page.headers.get('content-security-policy')).toBe(RENDERER_CSP);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const escape = await fetch(`http://127.0.0.1:${server.port}/..%2f..%2fpackage.json`);
    expect(escape.status).toBe(404); // the path is clamped to the renderer folder
  });

  it('answers malformed messages with an error and stays up for the client', async () => {
    const c = await client();
    expect(await c.raw('{not json', null)).toEqual({
      id: null,
      error: 'malformed message: not JSON',
    });
    expect(await c.call('format-disk')).toMatchObject({ error: "unknown method 'format-disk'" });
    expect(await c.call('getRun', { id: 'one' })).toMatchObject({
      error: 'params.id must be a whole number >= 0',
    });
    expect(
      await c.call('createSession', { vms: [], profile: 'kvm', clock: 'deterministic' }),
    ).toMatchObject({
      error: 'params.vms must list at least one VM',
    });
    expect(
      await c.call('createSession', {
        vms: [
          { image: '../../etc/passwd', memBytes: 1 << 24, harts: 1, bootargs: '', devices: [] },
        ],
        profile: 'kvm',
        clock: 'deterministic',
      }),
    ).toMatchObject({ error: "image '../../etc/passwd' is not in the library" });
    const images = (await c.call('listImages')).result as { name: string }[];
    expect(images.map((i) => i.name)).toContain('hello.elf');
    c.ws.close();
  });

  it('credits what a page was sent and never drew when it goes away, so its session goes on', async () => {
    // A flood through a 64 KiB window: a page that takes output and never credits it
    // holds the window shut; once it disconnects, the next page gets the rest.
    const a = await client();
    const created = await a.call('createSession', {
      vms: [
        {
          image: 'labos.elf',
          memBytes: 32 << 20,
          harts: 1,
          bootargs: 'run=flood N=1048576 K=4096',
          devices: [],
        },
      ],
      profile: 'kvm',
      clock: 'deterministic',
    });
    const id = (created.result as { id: string }).id;
    const bytesTo = (events: typeof a.events) =>
      events
        .filter((e) => e.event === 'console' && e.data.session === id)
        .reduce((n, e) => n + Buffer.from(e.data.data as string, 'base64').length, 0);
    await a.call('start', { session: id });
    while (bytesTo(a.events) < 64 * 1024) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200));
    const held = bytesTo(a.events);
    expect(held).toBeLessThan(2 * 64 * 1024); // the window is shut: the flood waits
    a.ws.close();

    const b = await client();
    b.ws.on('message', (raw: Buffer) => {
      const m = JSON.parse(raw.toString()) as { event?: string; data: Record<string, unknown> };
      if (m.event === 'console' && m.data.session === id)
        void b.call('credit', {
          session: id,
          vm: m.data.vm,
          bytes: Buffer.from(m.data.data as string, 'base64').length,
        });
    });
    while (!b.events.some((e) => e.event === 'ended' && e.data.session === id))
      await new Promise((r) => setTimeout(r, 20));
    expect(held + bytesTo(b.events)).toBeGreaterThan(1_048_576);
    b.ws.close();
  });

  it('drives a session to its end, streams its console and records the run', async () => {
    const c = await client();
    const created = await c.call('createSession', {
      vms: [{ image: 'hello.elf', memBytes: 16 << 20, harts: 2, bootargs: '', devices: [] }],
      profile: 'kvm',
      clock: 'deterministic',
    });
    const info = created.result as { id: string; runs: number[] };
    expect(info.runs).toHaveLength(1);
    expect(await c.call('start', { session: info.id })).toEqual({
      id: expect.any(Number),
      result: null,
    });
    while (!c.events.some((e) => e.event === 'ended')) await new Promise((r) => setTimeout(r, 20));
    const text = c.events
      .filter((e) => e.event === 'console')
      .map((e) => Buffer.from(e.data.data as string, 'base64').toString('latin1'))
      .join('');
    expect(text).toContain('hart 1: hello\n');
    expect(c.events.find((e) => e.event === 'ended')?.data).toMatchObject({
      outcome: 'completed',
      reasons: ['guest shut down (status 0)'],
    });
    const run = (await c.call('getRun', { id: info.runs[0] })).result as Record<string, unknown>;
    expect(run).toMatchObject({ outcome: 'completed', image: { name: 'hello.elf' } });
    c.ws.close();
  });
});
