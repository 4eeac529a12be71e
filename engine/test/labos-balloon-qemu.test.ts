import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VirtMachine } from '../src/machine/virt.ts';
import { ASSETS, needTool } from './tools.ts';
import { profile } from './virt-run.ts';

/**
 * The balloon differential: labos on QEMU 7.2 (its virtio-balloon-device, driven from the
 * QEMU monitor) and on hvlab's engine (its balloon, driven through setTarget) must agree.
 *
 * Both sides run the same session: boot, wait for the prompt, ask for a balloon of 32 MiB
 * (8192 pages) of the 64 MiB guest, wait until the device sees actual == target, then type
 * `balloon`, `memhog 50` (more than is left: labos must deflate on OOM), `balloon` and
 * `exit 4`, each when the prompt is back.
 *
 * What may differ, and nothing else:
 *   - the balloon's virtio slot and irq (`virtio_mmio@ADDR (irq N)` in the `balloon:` line):
 *     QEMU fills the virtio-mmio slots from the top (10008000, irq 8), hvlab from the
 *     bottom (10001000, irq 1);
 *   - `ticks=` of the memhog result (time; QEMU's clock is the host's).
 */
const LABOS = `${ASSETS}guests/labos.elf`;
const FIRMWARE = `${ASSETS}firmware/fw.elf`;
const MEM_MIB = 64;
const TARGET = 8192; // pages: a balloon of 32 MiB
const PAGES_PER_MIB = 256;
const PROMPT = 'labos> ';
const COMMANDS = ['balloon', 'memhog 50', 'balloon'];
const EXIT_CODE = 4;
/** The bound of every single wait. */
const WAIT_MS = 30_000;
/** Between two `info balloon`s while QEMU's guest inflates. */
const POLL_MS = 10;

/** One guest, on QEMU or on the engine, as the session drives it. */
interface Side {
  readonly name: string;
  /** The console so far. */
  text(): string;
  /** Resolves once `done(text)` holds; rejects after WAIT_MS or if the guest stops. */
  waitFor(what: string, done: (text: string) => boolean): Promise<void>;
  type(line: string): void;
  /** The host sets the target balloon size. */
  setBalloon(pages: number): Promise<void>;
  /** The balloon size the device last got from the driver (config `actual`), in pages. */
  actualPages(): Promise<number>;
  /** Let the guest move on between two looks at actualPages. */
  settle(): Promise<void>;
  /** Resolves with the exit status once the guest has stopped. */
  exited(): Promise<number | null>;
}

interface Session {
  console: string;
  /** The device's `actual` when the target was reached, and after the session. */
  actualAtTarget: number;
  actualAfter: number;
  exitCode: number | null;
}

const prompts = (t: string) => t.split(PROMPT).length - 1;

async function drive(side: Side): Promise<Session> {
  await side.waitFor('the first prompt', (t) => t.endsWith(PROMPT));
  await side.setBalloon(TARGET);
  const deadline = Date.now() + WAIT_MS;
  let actualAtTarget = await side.actualPages();
  while (actualAtTarget !== TARGET) {
    if (Date.now() > deadline) {
      throw new Error(
        `${side.name}: the balloon did not reach ${TARGET} pages (at ${actualAtTarget})`,
      );
    }
    await side.settle();
    actualAtTarget = await side.actualPages();
  }
  for (const cmd of COMMANDS) {
    const n = prompts(side.text());
    side.type(`${cmd}\n`);
    await side.waitFor(`the prompt after \`${cmd}\``, (t) => prompts(t) > n && t.endsWith(PROMPT));
  }
  const actualAfter = await side.actualPages();
  side.type(`exit ${EXIT_CODE}\n`);
  const exitCode = await side.exited();
  return { console: side.text().replace(/\r\n/g, '\n'), actualAtTarget, actualAfter, exitCode };
}

/** hvlab: an in-process VirtMachine, run in deterministic rounds. */
function engineSide(): Side {
  let out = '';
  const vm = new VirtMachine(
    {
      memBytes: MEM_MIB << 20,
      harts: 1,
      bootargs: 'console=uart',
      clock: 'deterministic',
      devices: ['balloon'],
    },
    profile('kvm'),
    (b) => (out += String.fromCharCode(b)),
  );
  vm.loadImage(readFileSync(LABOS));
  const balloon = vm.devices.balloon;
  if (!balloon) throw new Error('the engine VM has no balloon');
  const runUntil = (what: string, done: () => boolean) => {
    const deadline = Date.now() + WAIT_MS;
    for (let round = 0; !done(); round++) {
      if (vm.outcome !== null) throw new Error(`engine: stopped waiting for ${what}:\n${out}`);
      if (round > 1_000_000 || Date.now() > deadline) {
        throw new Error(`engine: timed out waiting for ${what}:\n${out}`);
      }
      vm.runRound();
    }
  };
  return {
    name: 'engine',
    text: () => out,
    waitFor: async (what, done) => runUntil(what, () => done(out)),
    type: (line) => vm.console.pushInput(new TextEncoder().encode(line)),
    setBalloon: async (pages) => balloon.setTarget(pages),
    actualPages: async () => balloon.actualPages,
    settle: async () => void vm.runRound(),
    exited: async () => {
      runUntil('the exit', () => vm.outcome !== null);
      return vm.outcome?.kind === 'shutdown' ? vm.outcome.exitCode : null;
    },
  };
}

/** Waits on a growing buffer, each bounded by WAIT_MS: its check runs on every change. */
class Waiter {
  private checks = new Set<() => void>();
  private failure: Error | null = null;

  changed(): void {
    for (const c of [...this.checks]) c();
  }

  fail(err: Error): void {
    this.failure ??= err;
    this.changed();
  }

  wait(what: string, done: () => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (done()) finish(null);
        else if (this.failure) finish(new Error(`${this.failure.message} waiting for ${what}`));
      };
      const timer = setTimeout(
        () => finish(new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`)),
        WAIT_MS,
      );
      const finish = (err: Error | null) => {
        clearTimeout(timer);
        this.checks.delete(check);
        if (err) reject(err);
        else resolve();
      };
      this.checks.add(check);
      check();
    });
  }
}

/** The monitor's line editor redraws the line as you type: ESC [ K, ESC [ D. */
const TERMINAL_ESCAPES = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*[A-Za-z]`, 'g');

/** The human monitor on a unix socket: one command at a time, answered by `(qemu) `. */
class Monitor {
  private buf = '';
  private readonly waiter = new Waiter();
  private readonly sock: Socket;

  constructor(path: string) {
    this.sock = createConnection(path);
    this.sock.setEncoding('latin1');
    this.sock.on('data', (d: string) => {
      this.buf += d;
      this.waiter.changed();
    });
    this.sock.on('error', (e) => this.waiter.fail(new Error(`monitor: ${e.message}`)));
    this.sock.on('close', () => this.waiter.fail(new Error('monitor: closed')));
  }

  ready(): Promise<void> {
    return this.waiter.wait('the monitor prompt', () => this.buf.includes('(qemu) '));
  }

  /** The answer to `cmd` (its echo and terminal escapes stripped). */
  async command(cmd: string): Promise<string> {
    const from = this.buf.length;
    this.sock.write(`${cmd}\n`);
    await this.waiter.wait(`the monitor's answer to \`${cmd}\``, () =>
      this.buf.slice(from).includes('(qemu) '),
    );
    const answer = this.buf
      .slice(from, this.buf.indexOf('(qemu) ', from))
      .replace(TERMINAL_ESCAPES, '');
    return answer.slice(answer.indexOf('\n') + 1).trim();
  }

  close(): void {
    this.sock.destroy();
  }
}

/** QEMU: stdin/stdout is labos's UART, the monitor a unix socket. */
function qemuSide(qemu: ChildProcess, monitorPath: string, onMonitor: (m: Monitor) => void): Side {
  let out = '';
  let stderr = '';
  const waiter = new Waiter();
  let exitCode: number | null | undefined;
  qemu.stdout!.setEncoding('latin1');
  qemu.stdout!.on('data', (d: string) => {
    out += d;
    waiter.changed();
  });
  qemu.stderr!.setEncoding('latin1');
  qemu.stderr!.on('data', (d: string) => (stderr += d));
  qemu.on('error', (e) => waiter.fail(new Error(`qemu: ${e.message}`)));
  qemu.on('exit', (code, signal) => {
    exitCode = code;
    waiter.fail(new Error(`qemu exited (${code ?? signal}): ${stderr.trim()}`));
  });
  let monitor: Monitor | null = null;
  const mon = async () => {
    if (!monitor) {
      monitor = new Monitor(monitorPath);
      onMonitor(monitor);
      await monitor.ready();
    }
    return monitor;
  };
  return {
    name: 'qemu',
    text: () => out,
    waitFor: (what, done) =>
      waiter
        .wait(what, () => done(out))
        .catch((e: Error) => {
          throw new Error(`qemu: ${e.message}\n--- console so far:\n${out}`);
        }),
    type: (line) => qemu.stdin!.write(line),
    // `balloon N` sets the memory the guest keeps, in MiB: the balloon is the rest.
    setBalloon: async (pages) => {
      const answer = await (await mon()).command(`balloon ${MEM_MIB - pages / PAGES_PER_MIB}`);
      if (answer !== '') throw new Error(`qemu monitor: balloon: ${answer}`);
    },
    // `info balloon` says `balloon: actual=M`: the MiB the guest keeps.
    actualPages: async () => {
      const answer = await (await mon()).command('info balloon');
      const m = /^balloon: actual=(\d+)$/m.exec(answer);
      if (!m) throw new Error(`qemu monitor: info balloon: ${answer}`);
      return (MEM_MIB - Number(m[1])) * PAGES_PER_MIB;
    },
    // The monitor tells nothing unasked: look again shortly (the guest runs meanwhile).
    settle: () => delay(POLL_MS),
    exited: async () => {
      await waiter.wait('qemu to exit', () => exitCode !== undefined);
      return exitCode ?? null;
    },
  };
}

/** Kills QEMU and removes its socket: in runQemu's finally, and again in afterAll. */
const cleanups = new Set<() => void>();

async function runQemu(): Promise<Session> {
  const dir = mkdtempSync(join(tmpdir(), 'hvlab-balloon-'));
  const sock = join(dir, 'monitor.sock');
  let qemu: ChildProcess | null = null;
  let monitor: Monitor | null = null;
  const cleanup = () => {
    cleanups.delete(cleanup);
    monitor?.close();
    if (qemu && qemu.exitCode === null && qemu.signalCode === null) qemu.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  cleanups.add(cleanup);
  try {
    qemu = spawn(
      'qemu-system-riscv32',
      [
        ...['-machine', 'virt', '-smp', '1', '-m', `${MEM_MIB}M`, '-nographic'],
        ...['-bios', FIRMWARE, '-kernel', LABOS, '-append', 'console=uart'],
        ...['-global', 'virtio-mmio.force-legacy=false'],
        ...['-device', 'virtio-balloon-device,id=bal0,deflate-on-oom=on'],
        ...['-serial', 'stdio', '-monitor', `unix:${sock},server=on,wait=off`],
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    return await drive(qemuSide(qemu, sock, (m) => (monitor = m)));
  } finally {
    cleanup();
  }
}

/** The lines that must agree, with the fields that may differ masked. */
const comparable = (t: string) =>
  t
    .replace(/virtio_mmio@[0-9a-f]+ \(irq \d+\)/g, 'virtio_mmio@# (irq #)')
    .replace(/\bticks=\d+/g, 'ticks=#');

/** The `balloon: ... target T pages ..., actual A pages ..., held H pages` lines. */
function balloonReports(
  t: string,
): { slot: string; target: number; actual: number; held: number }[] {
  return [
    ...t.matchAll(
      /^balloon: (virtio_mmio@[0-9a-f]+ \(irq \d+\)): target (\d+) pages \(\d+ MiB\), actual (\d+) pages \(\d+ MiB\), held (\d+) pages/gm,
    ),
  ].map((m) => ({ slot: m[1], target: Number(m[2]), actual: Number(m[3]), held: Number(m[4]) }));
}

function memhog(t: string): Record<string, number> {
  const m = /^result: memhog (.*)$/m.exec(t);
  if (!m) throw new Error(`no memhog result in:\n${t}`);
  return Object.fromEntries([...m[1].matchAll(/(\w+)=(\d+)/g)].map((f) => [f[1], Number(f[2])]));
}

/** Checks one side on its own: the values must be right, not just the same on both. */
function checkSession(name: string, s: Session): void {
  expect(s.exitCode, `${name}: exit status`).toBe(EXIT_CODE);
  expect(s.actualAtTarget, `${name}: device actual at the target`).toBe(TARGET);
  const [before, after, ...rest] = balloonReports(s.console);
  expect(rest, `${name}: two balloon reports`).toEqual([]);
  expect(before, `${name}: balloon before memhog`).toEqual({
    slot: expect.stringMatching(/^virtio_mmio@/),
    target: TARGET,
    actual: TARGET,
    held: TARGET,
  });
  const hog = memhog(s.console);
  // 50 MiB is more than the 32 MiB left: labos got it all by deflating, in chains of 256.
  expect(hog, `${name}: memhog`).toMatchObject({ asked: 50, got: 50, pages: 50 * PAGES_PER_MIB });
  expect(hog.deflated, `${name}: deflated on OOM`).toBeGreaterThan(0);
  expect(hog.deflated % 256, `${name}: deflated in chains of 256`).toBe(0);
  expect(hog.deflated).toBeLessThanOrEqual(TARGET);
  const left = TARGET - hog.deflated;
  expect(after, `${name}: balloon after memhog`).toEqual({ ...before, actual: left, held: left });
  expect(s.console).toMatch(/held \d+ pages, holding off after OOM\n/);
  expect(s.actualAfter, `${name}: device actual after memhog`).toBe(left);
}

describe('labos balloon on QEMU with hvlab firmware (differential)', () => {
  const haveQemu = needTool('qemu-system-riscv32', 'the virtio-balloon differential test');
  afterAll(() => [...cleanups].forEach((c) => c())); // if the test timed out mid-wait
  it.runIf(haveQemu)(
    'a 32 MiB balloon, memhog 50 deflating on OOM: the same on QEMU and the engine',
    async () => {
      const engine = await drive(engineSide());
      const qemu = await runQemu();
      checkSession('engine', engine);
      checkSession('qemu', qemu);
      // The two sides' reports, value for value...
      expect(balloonReports(qemu.console).map(({ slot: _, ...r }) => r)).toEqual(
        balloonReports(engine.console).map(({ slot: _, ...r }) => r),
      );
      const withoutTicks = ({ ticks: _, ...fields }: Record<string, number>) => fields;
      expect(withoutTicks(memhog(qemu.console))).toEqual(withoutTicks(memhog(engine.console)));
      expect(qemu.actualAfter).toBe(engine.actualAfter);
      // ...and the whole transcript line for line, but for the slot, the irq and ticks.
      expect(comparable(qemu.console)).toBe(comparable(engine.console));
    },
  );
});
