import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runInNewContext } from 'node:vm';
import { createBuilder } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabEventMessage, SessionInfo } from '../api/lab-api.ts';
import { LAB_METHODS } from '../api/lab-api.ts';
import { PROFILE_DIR } from '../cli/profiles.ts';
import { IMAGES_DIR } from '../cli/serve-command.ts';
import { LabHost } from '../host/lab-host.ts';
import { RunStore } from '../store/run-store.ts';

/**
 * The Electron build (vite.config.ts) into a folder of this test's own: what each bundle
 * may import, the preload under a sandbox's require, and the bundled engine worker
 * running a guest.
 */
const out = mkdtempSync(join(tmpdir(), 'hvlab-bundle-'));
const read = (name: string) => readFileSync(join(out, name), 'utf8');

beforeAll(async () => {
  const build = { build: { outDir: out } };
  const builder = await createBuilder({
    configFile: fileURLToPath(new URL('./vite.config.ts', import.meta.url)),
    logLevel: 'silent',
    environments: { main: build, worker: build, preload: build },
  });
  await builder.buildApp();
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** The modules an ES module bundle imports. */
function imports(code: string): string[] {
  return [...code.matchAll(/^import\s[^'"]*["']([^'"]+)["'];?$/gm)].map((m) => m[1]);
}

describe('the Electron bundles', () => {
  it('main.js is an ES module importing only Node, Electron and the shipped packages', () => {
    const code = read('main.js');
    expect(imports(code).length).toBeGreaterThan(0);
    for (const m of imports(code)) expect(m).toMatch(/^(node:.*|electron|better-sqlite3)$/);
    expect(code).not.toMatch(/\brequire\(/);
  });

  it('engine-worker.js needs nothing but Node', () => {
    for (const m of imports(read('engine-worker.js'))) expect(m).toMatch(/^node:/);
  });

  it("preload.cjs runs with a sandbox's require (electron only) and exposes the LabApi", () => {
    const exposed = new Map<string, Record<string, unknown>>();
    const electron = {
      contextBridge: {
        exposeInMainWorld: (key: string, api: Record<string, unknown>) => exposed.set(key, api),
      },
      ipcRenderer: { invoke: async () => ({ result: null }), on() {}, removeListener() {} },
    };
    const require = (id: string) => {
      if (id === 'electron') return electron;
      throw new Error(`a sandboxed preload cannot require '${id}'`);
    };
    const module = { exports: {} };
    runInNewContext(read('preload.cjs'), { require, module, exports: module.exports });
    expect(Object.keys(exposed.get('hvlab')!).sort()).toEqual([...LAB_METHODS, 'subscribe'].sort());
  });

  it('engine-worker.js runs a guest for the lab host', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hvlab-bundle-host-'));
    const store = RunStore.open(dir);
    const host = new LabHost({
      store,
      imagesDir: IMAGES_DIR,
      profilesDir: PROFILE_DIR,
      workerUrl: pathToFileURL(join(out, 'engine-worker.js')),
    });
    try {
      const ended = new Promise<LabEventMessage>((resolve) =>
        host.subscribe((e) => {
          if (e.event === 'ended') resolve(e);
        }),
      );
      const s: SessionInfo = await host.call('createSession', {
        vms: [{ image: 'hello.elf', memBytes: 16 << 20, harts: 1, bootargs: '', devices: [] }],
        profile: 'kvm',
        clock: 'deterministic',
      });
      await host.call('start', { session: s.id });
      expect((await ended).data).toMatchObject({ session: s.id, outcome: 'completed' });
      expect(store.get(s.runs[0])?.transcript.text).toMatch(/hello/i);
    } finally {
      await host.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
