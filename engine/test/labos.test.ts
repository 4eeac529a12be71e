import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VirtMachine } from '../src/machine/virt.ts';
import type { DeviceKind } from '../src/machine/virt-devices.ts';
import { ASSETS, needTool } from './tools.ts';
import { profile, runVirtImage } from './virt-run.ts';

/**
 * labos, the lab's guest kernel, on the engine: its shell, its HVM and PV console paths
 * measured in exits, SMP scheduling, and the same transcript as on QEMU with hvlab's
 * firmware.
 */
const LABOS = 'guests/labos.elf';
const PROMPT = 'labos> ';
/** One 64-byte line of `flood` output. */
const FLOOD_LINE = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!\n';

/**
 * Lines that describe the platform, which differ between hvlab's board and QEMU's (more
 * devices, another SBI implementation), and fields that hold measured time.
 */
const PLATFORM_LINES = [/^isa: /, /^device: /, /^sbi: spec /];
const TIMING_FIELDS = /\b(ticks|score|uptime|time|us|ms)=[\d.]+/g;
function comparable(text: string): string {
  return text
    .split('\n')
    .filter((l) => !PLATFORM_LINES.some((re) => re.test(l)))
    .map((l) => l.replace(TIMING_FIELDS, '$1=#'))
    .join('\n');
}

/** `result: key=value ...` lines of a transcript, by workload. */
function results(text: string): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const m of text.matchAll(/^result: (\S+)(.*)$/gm)) {
    out.set(m[1], Object.fromEntries([...m[2].matchAll(/(\w+)=(\S+)/g)].map((f) => [f[1], f[2]])));
  }
  return out;
}

/**
 * labos on one hart of the engine, driven like a user at a keyboard: run until the
 * console shows something, then type. Throws if labos stops, waits for a key or takes
 * more than a minute of guest time before showing it.
 */
function keyboardSession(bootargs: string, devices: DeviceKind[]) {
  let out = '';
  const vm = new VirtMachine(
    { memBytes: 64 << 20, harts: 1, bootargs, clock: 'deterministic', devices },
    profile('kvm'),
    (b) => (out += String.fromCharCode(b)),
  );
  vm.loadImage(readFileSync(`${ASSETS}${LABOS}`));
  return {
    vm,
    output: () => out,
    type: (keys: string) => vm.console.pushInput(new TextEncoder().encode(keys)),
    /** Run until `text` appears at or after `from`; returns where it starts. */
    runUntil(text: string, from = 0): number {
      const deadline = vm.now(vm.harts[0]) + 60 * vm.profile.timebaseHz;
      for (let seen = from, ended = false; ;) {
        const at = out.indexOf(text, seen);
        if (at >= 0) return at;
        if (ended)
          throw new Error(
            `labos never printed ${JSON.stringify(text)}; its last output:\n${out.slice(-500)}`,
          );
        seen = Math.max(from, out.length - text.length + 1); // only new output can hold it
        ended = vm.runRound().state !== 'running' || vm.now(vm.harts[0]) > deadline;
      }
    },
  };
}

describe('labos on the engine', () => {
  it('boots to its prompt, describes the board from the DTB, and exits with the status asked', () => {
    const { vm, console } = runVirtImage(LABOS, { harts: 2, input: 'info\nexit 3\n' });
    expect(console).toMatch(/^labos 0\.1 -- the hvlab lab kernel\n/);
    expect(console).toContain(PROMPT);
    expect(console).toMatch(/harts?:? .*2/);
    expect(console).toMatch(/^device: .*uart.*ns16550a/m);
    expect(console).toMatch(/^device: .*plic/m);
    expect(console).toMatch(/^sbi: spec 2\.0, implementation 0x48564c42/m);
    expect(console).toMatch(/^sbi: extensions BASE TIME IPI RFENCE HSM SRST DBCN/m);
    expect(vm.outcome).toEqual({ kind: 'shutdown', exitCode: 3 });
  });

  it('gives the same transcript twice (deterministic clock)', () => {
    const input = 'help\nmem\ntouch 32 rand\ntime\nexit\n';
    const a = runVirtImage(LABOS, { harts: 2, input });
    const b = runVirtImage(LABOS, { harts: 2, input });
    expect(b.console).toBe(a.console);
    expect(b.vm.hv.stats.report()).toEqual(a.vm.hv.stats.report());
  });

  it('edits the line: backspace erases, an unknown command says so', () => {
    const { console } = runVirtImage(LABOS, { input: 'echx\x7fo  hi   there\nfrob\nexit\n' });
    expect(console).toContain('\nhi there\n');
    expect(console).toContain('unknown command: frob (try help)\n');
  });

  it('flood on the UART costs two MMIO exits per byte; through DBCN about N/K SBI exits', () => {
    const N = 65536;
    const uart = runVirtImage(LABOS, { bootargs: `console=uart run=flood N=${N} K=1` });
    const dbcn = runVirtImage(LABOS, { bootargs: `console=dbcn run=flood N=${N} K=64` });
    for (const run of [uart, dbcn]) {
      expect(run.vm.outcome).toEqual({ kind: 'shutdown', exitCode: 0 });
      expect(results(run.console).get('flood')).toMatchObject({ bytes: String(N) });
    }
    const u = uart.vm.hv.stats.report();
    const uartExits = u.mmio.uart0.read + u.mmio.uart0.write;
    expect(uartExits / N).toBeGreaterThanOrEqual(2);
    expect(uartExits / N).toBeLessThan(2.1); // banner and result line on top of the flood
    const d = dbcn.vm.hv.stats.report();
    expect(d.sbi.DBCN.write).toBeGreaterThanOrEqual(N / 64);
    expect(d.sbi.DBCN.write).toBeLessThan(N / 64 + 50);
    expect(d.mmio.uart0?.write ?? 0).toBe(0); // the PV path never touches the UART
  });

  it('with four harts, the cpu workload runs on all four and threads shows it', () => {
    const { console } = runVirtImage(LABOS, { harts: 4, input: 'cpu\nthreads\nexit\n' });
    const cpu = results(console).get('cpu');
    expect(cpu).toMatchObject({ threads: '4' });
    const after = console.slice(console.indexOf('threads\n'));
    const harts = new Set([...after.matchAll(/^hart (\d): switches (\d+)/gm)].map((m) => m[1]));
    expect([...harts].sort()).toEqual(['0', '1', '2', '3']);
    // Each hart ran some of the workers: busy ticks on every one.
    for (const m of after.matchAll(/^hart \d: switches \d+, busy (\d+)/gm)) {
      expect(Number(m[1])).toBeGreaterThan(0);
    }
  });

  // One hart: the flood and the shell share it, so only the tick's preemption (and, for
  // DBCN, the tick's input polling) gets the key to the shell before the flood ends. The
  // paravirtual consoles write 2 MB in about a tick: they flood the desktop app's 10 MiB.
  for (const [con, bytes] of [
    ['uart', 2_000_000],
    ['dbcn', 10_485_760],
    ['virtio', 10_485_760],
  ] as const) {
    it(`console=${con}: with a flood in the background (&) the shell still echoes and runs commands`, () => {
      const s = keyboardSession(`console=${con}`, con === 'virtio' ? ['console'] : []);
      s.runUntil(PROMPT);
      s.type(`flood ${bytes} 4096 &\n`);
      const job = s.runUntil('[1] flood\n');
      s.runUntil(FLOOD_LINE, job); // the job is under way
      // '#' is not in the flood's pattern; Ctrl-U erases it again.
      const typedAt = s.output().length;
      s.type('#\x15threads\n');
      s.runUntil('#', typedAt);
      expect(s.output()).not.toContain('result: flood');
      const listed = s.runUntil('lock runqueue: ', typedAt);
      expect(s.output().slice(typedAt, listed)).toMatch(/^thread \d+ flood: (running|ready), /m);
      expect(s.output()).not.toContain('result: flood');
      const done = s.runUntil('[1] done flood\n', listed);
      expect(s.output().lastIndexOf('result: flood', done)).toBeGreaterThan(listed);
      s.type('threads\nexit 5\n'); // a finished job's thread is gone
      s.runUntil('labos> exit 5\n', done);
      for (let round = 0; round < 1000 && s.vm.runRound().state === 'running'; round++);
      expect(s.vm.outcome).toEqual({ kind: 'shutdown', exitCode: 5 });
      const text = s.output();
      expect(text.slice(done)).not.toMatch(/^thread \d+ flood/m);
      expect(results(text).get('flood')).toMatchObject({
        bytes: String(bytes),
        writes: String(Math.ceil(bytes / 4096)),
        console: con,
      });
      // Every line of the flood is there whole: echoes and `threads` fell between writes.
      expect(text.split(FLOOD_LINE).length - 1).toBe(bytes / 64);
    });
  }

  it('reaches its prompt in a bounded number of instructions (boot cost)', () => {
    // Host milliseconds are a benchmark (npm run bench -- boot); the test pins the work.
    const { vm } = runVirtImage(LABOS, { harts: 4, input: 'exit\n' });
    const instret = vm.harts.reduce((s, h) => s + h.instret, 0);
    expect(instret).toBeLessThan(3_000_000);
  });
});

describe('labos on QEMU with hvlab firmware (differential)', () => {
  const haveQemu = needTool('qemu-system-riscv32', 'the labos differential test');
  const SESSION = 'help\ninfo\nmem\necho hello lab\ntouch 16 seq\ntouch 8 rand\ntime\nexit 5\n';
  for (const [console_, smp] of [
    ['uart', 1],
    ['uart', 2],
    ['dbcn', 2],
  ] as const) {
    it.runIf(haveQemu)(
      `console=${console_}, ${smp} hart(s): the scripted session's transcript matches`,
      () => {
        const bootargs = `console=${console_}`;
        const q = spawnSync(
          'qemu-system-riscv32',
          [
            ...['-machine', 'virt', '-smp', String(smp), '-m', '64M', '-nographic'],
            ...['-bios', `${ASSETS}firmware/fw.elf`, '-kernel', `${ASSETS}${LABOS}`],
            ...['-append', bootargs],
          ],
          { encoding: 'latin1', timeout: 60_000, input: SESSION },
        );
        expect(q.status).toBe(5);
        const { vm, console } = runVirtImage(LABOS, { harts: smp, bootargs, input: SESSION });
        expect(vm.outcome).toEqual({ kind: 'shutdown', exitCode: 5 });
        expect(comparable(q.stdout)).toBe(comparable(console));
        // The platform lines are there on both sides; only they (and timings) differ.
        for (const re of PLATFORM_LINES) {
          expect(q.stdout.split('\n').some((l) => re.test(l))).toBe(true);
          expect(console.split('\n').some((l) => re.test(l))).toBe(true);
        }
      },
    );
  }
});
