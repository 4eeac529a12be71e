import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LabEventMessage, SessionInfo } from '../api/lab-api.ts';
import { IMAGES_DIR } from '../cli/serve-command.ts';
import { PROFILE_DIR } from '../cli/profiles.ts';
import { RunStore } from '../store/run-store.ts';
import { LabHost } from './lab-host.ts';

/** LabHost on a real store and real workers: runs recorded, failures isolated. */
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function lab(hangMs?: number) {
  const dir = mkdtempSync(join(tmpdir(), 'hvlab-host-'));
  const store = RunStore.open(dir);
  const host = new LabHost({
    store,
    imagesDir: IMAGES_DIR,
    profilesDir: PROFILE_DIR,
    hangMs,
    testHooks: true,
  });
  const events: LabEventMessage[] = [];
  host.subscribe((e) => events.push(e));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanup.push(() => store.close());
  cleanup.push(() => host.close());
  const ended = (id: string) =>
    new Promise<void>((resolve) => {
      const check = () =>
        events.some((e) => e.event === 'ended' && e.data.session === id)
          ? resolve()
          : setTimeout(check, 10);
      check();
    });
  return { host, store, events, ended };
}

const config = {
  vms: [{ image: 'labos.elf', memBytes: 32 << 20, harts: 2, bootargs: '', devices: [] }],
  profile: 'kvm',
  clock: 'deterministic' as const,
};

describe('LabHost', () => {
  it('a session whose worker crashes is recorded as failed; another goes on and completes', async () => {
    const { host, store, ended } = lab();
    const crash: SessionInfo = await host.call('createSession', config);
    const fine: SessionInfo = await host.call('createSession', config);
    await host.call('start', { session: fine.id });
    await host.call('start', { session: crash.id });
    host.engine(crash.id).fault('throw');
    await ended(crash.id);
    const failed = store.get(crash.runs[0]);
    expect(failed?.outcome).toBe('failed');
    expect(failed?.end?.reason).toMatch(/^worker crashed: .*test fault/);

    // The other session is alive: it answers input and shuts down when told.
    await host.call('input', { session: fine.id, vm: 0, data: 'echo still here\nexit 6\n' });
    await ended(fine.id);
    const done = store.get(fine.runs[0]);
    expect(done?.outcome).toBe('completed');
    expect(done?.end?.exitCode).toBe(6);
    expect(done?.transcript.text).toContain('still here\n');
  });

  it('a session that stops answering is ended as failed after the hang timeout', async () => {
    const { host, store, ended } = lab(800);
    const s: SessionInfo = await host.call('createSession', config);
    await host.call('start', { session: s.id });
    host.engine(s.id).fault('hang');
    await ended(s.id);
    expect(store.get(s.runs[0])).toMatchObject({
      outcome: 'failed',
      end: { reason: 'worker stopped responding (no message for 0.8 s)' },
    });
  });

  it('snapshots a paused session into the data folder; refuses a running one', async () => {
    const { host, events, ended } = lab();
    const s: SessionInfo = await host.call('createSession', {
      ...config,
      vms: [{ ...config.vms[0], devices: ['balloon'] }],
    });
    await host.call('start', { session: s.id });
    await expect(host.call('snapshot', { session: s.id })).rejects.toThrow(
      'pause the session before taking a snapshot',
    );
    await host.call('pause', { session: s.id });
    while (!events.some((e) => e.event === 'state' && e.data.state === 'paused'))
      await new Promise((r) => setTimeout(r, 10));
    const snap = await host.call('snapshot', { session: s.id });
    expect(snap.file).toMatch(/snapshots[/\\]labos\.elf-.*\.hvsnap$/);
    expect(readFileSync(snap.file).subarray(0, 8).toString('latin1')).toBe('HVLABSNP');
    expect(statSync(snap.file).size).toBe(snap.bytes);
    // Live statistics carry what the panels draw: device metrics and RAM backing.
    const stats = events.findLast((e) => e.event === 'stats');
    expect(stats?.event === 'stats' && stats.data.vms[0].memory.pages).toBe(8192);
    expect(stats?.event === 'stats' && stats.data.vms[0].devices['virtio-balloon0']).toMatchObject({
      actual: 0,
    });
    await host.call('stop', { session: s.id });
    await ended(s.id);
  });
});
