import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ASSETS, needTool } from './tools.ts';
import { runVirtImage } from './virt-run.ts';

/**
 * labos, the lab's guest kernel, on the engine: its shell, its HVM and PV console paths
 * measured in exits, SMP scheduling, and the same transcript as on QEMU with hvlab's
 * firmware.
 */
const LABOS = 'guests/labos.elf';
const PROMPT = 'labos> ';

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
