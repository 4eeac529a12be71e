import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { SessionSpec, VmStats } from '../../../engine/src/worker/protocol.ts';
import { EngineSession, type SessionEnd } from './engine-session.ts';

/**
 * Engine sessions in real worker threads: crash and hang isolation, snapshot/restore
 * across workers, and the protocol's answers to malformed requests.
 */
const ASSETS = fileURLToPath(new URL('../../../native-free-assets/', import.meta.url));
const KVM: unknown = JSON.parse(readFileSync(`${ASSETS}profiles/kvm.json`, 'utf8'));

function spec(image: string, over: Partial<SessionSpec> = {}, harts = 1): SessionSpec {
  return {
    vms: [
      {
        name: image,
        image: readFileSync(`${ASSETS}guests/${image}`),
        memBytes: 16 << 20,
        harts,
        bootargs: '',
      },
    ],
    profile: KVM,
    clock: 'deterministic',
    ...over,
  };
}

/** A session whose console is consumed (and credited) as it arrives. */
function open(source: ConstructorParameters<typeof EngineSession>[0], hangMs?: number) {
  const s = new EngineSession(source, { hangMs });
  const out: Buffer[] = [];
  s.subscribe({
    console: (vm, bytes) => {
      out.push(Buffer.from(bytes));
      s.credit(vm, bytes.length);
    },
  });
  return { s, text: () => Buffer.concat(out).toString('latin1') };
}

function ended(end: SessionEnd): Extract<SessionEnd, { kind: 'ended' }> {
  if (end.kind !== 'ended') throw new Error(`session failed: ${end.reason}`);
  return end;
}

/** What must agree between a straight run and a restored one. */
function summary(vm: VmStats) {
  return { instret: vm.instret, ticks: vm.ticks, exits: vm.exits };
}

describe('engine sessions in worker threads', () => {
  it('runs a guest to its shutdown and reports its statistics', async () => {
    const { s, text } = open({ create: spec('hello.elf', {}, 2) });
    expect(await s.ready).toEqual({
      vms: [{ name: 'hello.elf', harts: 2, memBytes: 16 << 20, bootargs: '', devices: [] }],
      profile: 'kvm',
      clock: 'deterministic',
    });
    s.start();
    const end = ended(await s.done);
    expect(end.outcomes).toEqual([{ kind: 'shutdown', exitCode: 0 }]);
    expect(text()).toContain('hart 1: hello\n');
    expect(end.vms[0].exits.sbi.HSM.hart_start).toBe(1);
  });

  it('a worker that crashes fails its session with the reason; another session goes on', async () => {
    const crash = open({ create: spec('sbi-loop.elf', { testHooks: true }) });
    const other = open({ create: spec('sbi-loop.elf') });
    await Promise.all([crash.s.ready, other.s.ready]);
    other.s.start();
    crash.s.start();
    crash.s.fault('throw');
    const failed = await crash.s.done;
    expect(failed).toMatchObject({ kind: 'failed' });
    expect(failed.kind === 'failed' && failed.reason).toMatch(/^worker crashed: .*test fault/);
    expect(other.s.state).not.toBe('ended');
    const fine = ended(await other.s.done);
    expect(fine.outcomes).toEqual([{ kind: 'shutdown', exitCode: 0 }]);
    expect(fine.vms[0].exits.sbi.BASE.get_spec_version).toBe(1_000_000);
  });

  it('once a session has failed, what its worker sends after that reaches no listener', async () => {
    // A worker scripted to report a fatal engine failure and then go on sending, as a
    // worker whose crash overtook its last messages would: the session's runs are closed
    // by then, and a run recorder handed more output would throw (the run has ended).
    const script = `
      import { parentPort } from 'node:worker_threads';
      parentPort.on('message', (m) => {
        if (m.type === 'create')
          parentPort.postMessage({ type: 'ready', vms: [], profile: 'kvm', clock: 'deterministic' });
        if (m.type === 'start') {
          parentPort.postMessage({ type: 'console', vm: 0, bytes: new Uint8Array([104, 105]) });
          parentPort.postMessage({ type: 'error', message: 'engine failure: scripted', fatal: true });
          parentPort.postMessage({ type: 'console', vm: 0, bytes: new Uint8Array([33]) });
          parentPort.postMessage({ type: 'state', state: 'ended', instret: 0 });
        }
      });`;
    const workerUrl = new URL(`data:text/javascript,${encodeURIComponent(script)}`);
    const s = new EngineSession({ create: spec('hello.elf') }, { workerUrl });
    const heard: string[] = [];
    s.subscribe({
      console: (_vm, bytes) => heard.push(Buffer.from(bytes).toString('latin1')),
      state: (state) => heard.push(state),
    });
    await s.ready;
    s.start();
    expect(await s.done).toMatchObject({ kind: 'failed', reason: 'engine failure: scripted' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(heard).toEqual(['hi']);
  });

  it('a worker that stops answering is ended as failed after the hang timeout', async () => {
    const hang = open({ create: spec('sbi-loop.elf', { testHooks: true }) }, 1000);
    await hang.s.ready;
    hang.s.start();
    hang.s.fault('hang');
    const end = await hang.s.done;
    expect(end).toMatchObject({
      kind: 'failed',
      reason: 'worker stopped responding (no message for 1 s)',
    });
  });

  it('refuses fault injection unless the session asked for test hooks', async () => {
    const { s } = open({ create: spec('hello.elf') });
    await s.ready;
    const refused = new Promise<string>((resolve) => s.subscribe({ refused: resolve }));
    s.fault('throw');
    expect(await refused).toBe('fault injection is off for this session');
    s.start();
    expect(ended(await s.done).outcomes[0]).toEqual({ kind: 'shutdown', exitCode: 0 });
  });

  it.each(['uart', 'virtio'])(
    'console=%s: a guest that sleeps right after writing still has its output sent',
    async (con) => {
      const asleep = spec('labos.elf', { clock: 'realtime' });
      asleep.vms[0].bootargs = `console=${con}`;
      asleep.vms[0].devices = con === 'virtio' ? ['console'] : [];
      const { s, text } = open({ create: asleep });
      await s.ready;
      const idle = new Promise<void>((resolve) =>
        s.subscribe({ state: (st) => st === 'idle' && resolve() }),
      );
      s.start();
      await idle; // at the prompt, nothing to run until input
      // Keys a few ms apart: each echo comes sooner after the last output than the 16 ms
      // of coalescing, and then the guest sleeps with nothing left to wake it.
      for (const key of 'echo hi\n') {
        s.input(0, new TextEncoder().encode(key));
        await new Promise((r) => setTimeout(r, 3));
      }
      const deadline = Date.now() + 3000;
      while (!text().includes('echo hi\nhi\n') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 10));
      expect(text()).toContain('labos> echo hi\nhi\nlabos> ');
      s.stop('done');
      await s.done;
    },
  );

  it('a bad image ends the session before it starts, with the loader error', async () => {
    const bad = spec('hello.elf');
    bad.vms[0].image = new TextEncoder().encode('not an elf');
    const { s } = open({ create: bad });
    await expect(s.ready).rejects.toThrow('not an ELF file (bad magic)');
    expect(await s.done).toEqual({
      kind: 'failed',
      reason: 'not an ELF file (bad magic)',
      vms: null,
    });
  });

  // Pauses land on scheduling-round boundaries (100,000 cycles per hart), so N and the
  // total are far apart in rounds.
  it.each([
    ['sbi-loop.elf', '', '', 1, 1_000_000, 3_000_000],
    [
      'labos.elf',
      'console=uart',
      'help\ntouch 64 rand\ncpu\nthreads\nexit 4\n',
      2,
      400_000,
      2_500_000,
    ],
  ])(
    'snapshot of %s at instruction N, restored in a new worker, runs on exactly like a straight run',
    async (image, bootargs, input, harts, N, total) => {
      const make = (over: Partial<SessionSpec>): SessionSpec => {
        const s = spec(image, over, harts);
        s.vms[0].bootargs = bootargs;
        s.vms[0].input = new TextEncoder().encode(input);
        return s;
      };
      const straight = open({ create: make({ maxInsns: total }) });
      await straight.s.ready;
      straight.s.start();
      const whole = ended(await straight.s.done);

      const first = open({ create: make({}) });
      await first.s.ready;
      const paused = new Promise<number>((resolve) =>
        first.s.subscribe({ state: (st, instret) => st === 'paused' && resolve(instret) }),
      );
      first.s.pauseAt(N);
      first.s.start();
      const pausedAt = await paused;
      expect(pausedAt).toBeGreaterThanOrEqual(N);
      expect(pausedAt).toBeLessThan(N + 100_000 * harts);
      const snapshot = await first.s.snapshot();
      first.s.stop('snapshot taken');
      await first.s.done;

      const second = open({ restore: snapshot, maxInsns: total });
      await second.s.ready;
      second.s.start();
      const rest = ended(await second.s.done);
      expect(whole.outcomes).toEqual([{ kind: 'max-insns' }]);
      expect(rest.outcomes).toEqual(whole.outcomes);
      expect(first.text() + second.text()).toBe(straight.text());
      expect(summary(rest.vms[0])).toEqual(summary(whole.vms[0]));
      if (image === 'labos.elf') expect(straight.text()).toContain('result: touch pages=64');
    },
  );

  it('a corrupt snapshot is refused with one clear line', async () => {
    const { s } = open({ restore: new TextEncoder().encode('HVLABSNP garbage of a file') });
    await expect(s.ready).rejects.toThrow(/snapshot is corrupt or truncated|snapshot format/);
  });
});

describe('console backpressure', () => {
  it('a 10 MB flood to a slow consumer: memory stays bounded, every byte arrives in order', async () => {
    const window = 256 * 1024;
    const flood = (): SessionSpec => spec('labos.elf', { consoleWindow: window }, 1);
    const withArgs = (s: SessionSpec): SessionSpec => {
      s.vms[0].bootargs = 'console=dbcn run=flood N=10485760 K=4096';
      s.vms[0].memBytes = 64 << 20;
      return s;
    };
    // A consumer that keeps up: the reference transcript.
    const fast = open({ create: withArgs(flood()) });
    await fast.s.ready;
    fast.s.start();
    ended(await fast.s.done);
    const reference = fast.text();
    expect(reference.length).toBeGreaterThan(10_485_760);

    // A slow one: takes a chunk only every few milliseconds, so the guest outruns it.
    const slow = new EngineSession({ create: withArgs(flood()) });
    const got: Buffer[] = [];
    let outstanding = 0;
    let maxOutstanding = 0;
    const queue: [number, number][] = [];
    slow.subscribe({
      console: (vm, bytes) => {
        got.push(Buffer.from(bytes));
        outstanding += bytes.length;
        maxOutstanding = Math.max(maxOutstanding, outstanding);
        queue.push([vm, bytes.length]);
      },
    });
    const reader = setInterval(() => {
      const next = queue.shift();
      if (!next) return;
      outstanding -= next[1];
      slow.credit(next[0], next[1]);
    }, 2);
    await slow.ready;
    slow.start();
    const end = ended(await slow.done);
    clearInterval(reader);
    expect(Buffer.concat(got).toString('latin1')).toBe(reference);
    // Bounded: the host never held more than a window unread, and the engine's own
    // backlog stayed within about a window too, while 10 MB went through.
    expect(maxOutstanding).toBeLessThanOrEqual(window);
    expect(end.vms[0].consoleBacklogPeak).toBeLessThanOrEqual(2 * window);
    expect(end.vms[0].consoleBytes).toBe(reference.length);
  });
});

describe('balloon control through the worker', () => {
  it('the host sets a target; the guest inflates to it; a VM without a balloon refuses', async () => {
    const s = spec('labos.elf');
    s.vms[0].devices = ['balloon'];
    s.vms[0].memBytes = 32 << 20;
    const { s: session, text } = open({ create: s });
    await session.ready;
    const refused = new Promise<string>((resolve) => session.subscribe({ refused: resolve }));
    session.start();
    while (!text().endsWith('labos> ')) await new Promise((r) => setTimeout(r, 10));
    session.balloon(0, 4096);
    session.balloon(1, 10);
    expect(await refused).toBe('balloon for VM 1: it has no balloon device');
    let actual = 0;
    session.subscribe({ stats: (_ms, vms) => (actual = vms[0].devices['virtio-balloon0'].actual) });
    while (actual !== 4096) await new Promise((r) => setTimeout(r, 20));
    session.input(0, new TextEncoder().encode('balloon\nexit\n'));
    ended(await session.done);
    expect(text()).toMatch(/actual 4096 pages \(16 MiB\)/);
  });
});
