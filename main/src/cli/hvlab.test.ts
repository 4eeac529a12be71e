import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { code, elf } from '../../../engine/test/elf-builder.ts';
import { EXIT_LIMIT } from './run-command.ts';

const CLI = fileURLToPath(new URL('./hvlab.ts', import.meta.url));
const ASSETS = fileURLToPath(new URL('../../../native-free-assets/', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'hvlab-cli-'));

/** Runs are recorded in a store of this test's own. */
const DATA = join(tmp, 'data');

function hvlab(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, HVLAB_DATA_DIR: DATA },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function image(name: string, bytes: Uint8Array): string {
  const path = join(tmp, name);
  writeFileSync(path, bytes);
  return path;
}

describe('hvlab run --machine bare', () => {
  it('reports pass and the instructions retired as JSON', () => {
    const r = hvlab('run', `${ASSETS}tests/isa/alu.elf`, '--machine', 'bare', '--json');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({
      image: 'alu.elf',
      machine: 'bare',
      outcome: 'pass',
      exitCode: 0,
    });
    expect(report.instret).toBeGreaterThan(100);
    expect(report.hostMs).toBeGreaterThan(0);
    expect(report.console).toContain('pass');
  });

  it('prints the guest console and exits with the finisher status', () => {
    // lui t0,0x100; lui t1,0x73; addi t1,t1,0x333; sw t1,0(t0); j .  => fail with code 7
    const fail7 = image(
      'fail7.elf',
      elf([
        { paddr: 0x80000000, data: code(0x001002b7, 0x00073337, 0x33330313, 0x0062a023, 0x6f) },
      ]),
    );
    const r = hvlab('run', fail7, '--machine', 'bare');
    expect(r.status).toBe(7);
    expect(r.stderr).toMatch(/^hvlab: fail \(exit 7\), 4 instructions in/);
    const ok = hvlab('run', `${ASSETS}bench/loop.elf`, '--machine', 'bare');
    expect(ok.stdout).toBe('loop: done\n');
  });

  it('stops a looping guest at --max-insns with a clear message', () => {
    const spin = image('spin.elf', elf([{ paddr: 0x80000000, data: code(0x6f) }]));
    const r = hvlab('run', spin, '--machine', 'bare', '--max-insns', '100000');
    expect(r.status).toBe(EXIT_LIMIT);
    expect(r.stderr).toBe('hvlab: stopped at --max-insns 100000: the guest had not finished\n');
  });

  it.each([
    [
      'not-elf.bin',
      new TextEncoder().encode('#!/bin/sh\necho hi\n'),
      'not an ELF file (bad magic)',
    ],
    [
      'x86.elf',
      elf([{ paddr: 0x80000000, data: [1] }], (_b, dv) => dv.setUint16(18, 62, true)),
      'ELF for machine 62, not RISC-V (243)',
    ],
    [
      'low.elf',
      elf([{ paddr: 0x1000, data: [1, 2] }]),
      'segment at 0x00001000-0x00001001 lies outside RAM 0x80000000-0x83ffffff',
    ],
  ])('refuses %s with one line and no stack trace', (name, bytes, msg) => {
    const r = hvlab('run', image(name, bytes), '--machine', 'bare');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`hvlab: ${msg}\n`);
  });

  it.each([
    [['run'], /usage: hvlab run IMAGE/],
    [['run', 'missing.elf', '--machine', 'bare'], /missing.elf: no such file/],
    [['run', 'x.elf', '--mem', 'lots'], /--mem lots: expected a size/],
    [['run', 'x.elf', '--max-insns', '1e9'], /--max-insns 1e9: expected a whole number/],
    [['run', 'x.elf', '--frobnicate'], /Unknown option '--frobnicate'/],
    [['launch'], /unknown command 'launch'/],
  ])('rejects bad usage %j in one message', (args, msg) => {
    const r = hvlab(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(msg);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('hvlab run (virt board, the default)', () => {
  it('runs hello on two harts and exits 0, with exits by reason and SBI by extension', () => {
    const r = hvlab('run', `${ASSETS}guests/hello.elf`, '--smp', '2', '--json');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({
      machine: 'virt',
      profile: 'kvm',
      clock: 'deterministic',
      smp: 2,
      outcome: 'shutdown',
      exitCode: 0,
    });
    expect(report.console).toContain('hello: hart 0 says hello\n');
    expect(report.console).toContain('hart 1: hello\n');
    expect(report.exits.byReason.sbi).toBeGreaterThan(10);
    expect(report.exits.sbi.DBCN.write).toBeGreaterThan(5);
    expect(report.exits.sbi.HSM).toMatchObject({ hart_start: 1, hart_stop: 1 });
    expect(report.virtual.exitCycles).toBe(report.exits.cycles);
  });

  it('prints the console on stdout and the exit table on stderr', () => {
    const r = hvlab('run', `${ASSETS}guests/hello.elf`, '--profile', 'kvm-trap-time');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^hello: hart 0 says hello\n[\s\S]*bye\n$/);
    expect(r.stderr).toMatch(/hvlab: shutdown \(exit 0\) · hello\.elf · profile kvm-trap-time/);
    expect(r.stderr).toMatch(/\n {2}csr +\d+ +[\d,]+\n/);
    expect(r.stderr).toMatch(/\n {4}DBCN\.write +\d+\n/);
  });

  it('boots firmware and a kernel on the bare machine (--kernel)', () => {
    const r = hvlab(
      'run',
      `${ASSETS}firmware/fw.elf`,
      '--machine',
      'bare',
      '--kernel',
      `${ASSETS}guests/hello.elf`,
      '--mem',
      '128M',
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('implementation 0x48564657');
  });

  it.each([
    [['--profile', 'nosuch'], /--profile nosuch: no such profile/],
    [['--clock', 'sundial'], /--clock sundial: expected deterministic or realtime/],
    [['--smp', '9'], /--smp 9: the virt board has 1 to 8 harts/],
    [['--kernel', 'x.elf'], /--kernel goes with --machine bare/],
  ])('rejects %j in one line', (args, msg) => {
    const r = hvlab('run', `${ASSETS}guests/hello.elf`, ...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(msg);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('hvlab runs: the run history', () => {
  it('records a run, lists it, and exports it so that a re-import compares equal', () => {
    const dir = mkdtempSync(join(tmp, 'runs-'));
    const labos = `${ASSETS}guests/labos.elf`;
    const r = hvlab(
      'run',
      labos,
      '--smp',
      '2',
      '--input',
      'info\nexit 2\n',
      '--json',
      '--data-dir',
      dir,
    );
    expect(r.status).toBe(2);
    const report = JSON.parse(r.stdout);
    const id = report.run as number;
    expect(id).toBeGreaterThan(0);
    expect(
      hvlab('run', `${ASSETS}guests/hello.elf`, '--no-record', '--json', '--data-dir', dir).status,
    ).toBe(0);

    const list = hvlab('runs', 'list', '--data-dir', dir);
    expect(list.status).toBe(0);
    const rows = list.stdout.trim().split('\n');
    expect(rows).toHaveLength(2); // header + the one recorded run
    const exits = report.exits.total.toLocaleString('en-US');
    expect(rows[1]).toMatch(
      new RegExp(`^\\s+${id}\\s.*labos\\.elf\\s+kvm\\s+2\\s+completed\\s+2\\s+${exits}\\s`),
    );

    const listed = JSON.parse(hvlab('runs', 'list', '--json', '--data-dir', dir).stdout);
    expect(listed[0]).toMatchObject({ id, image: 'labos.elf', outcome: 'completed', exitCode: 2 });
    expect(listed[0].hostMs).toBeGreaterThan(0);

    const file = join(dir, 'export.json');
    expect(hvlab('runs', 'export', '--out', file, '--data-dir', dir).status).toBe(0);
    const other = mkdtempSync(join(tmp, 'runs-'));
    expect(hvlab('runs', 'import', file, '--data-dir', other).stdout).toBe(
      'imported 1 run(s), skipped 0 already present\n',
    );
    const again = JSON.parse(hvlab('runs', 'export', '--data-dir', other).stdout);
    const first = JSON.parse(hvlab('runs', 'export', '--data-dir', dir).stdout);
    const noIds = (doc: { runs: { id: number }[] }) => doc.runs.map(({ id: _, ...rest }) => rest);
    expect(noIds(again)).toEqual(noIds(first));
    expect(first.runs[0].transcript.text).toContain('labos> info\nharts: 2 online');

    const csv = hvlab('runs', 'export', '--csv', '--data-dir', dir).stdout.split('\n');
    expect(csv[0]).toMatch(/^id,uuid,image,sha256,/);
    expect(csv[1]).toContain(',labos.elf,');
  });

  it('names a missing run in one line', () => {
    const r = hvlab('runs', 'show', '999', '--data-dir', mkdtempSync(join(tmp, 'runs-')));
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('hvlab: run 999: no such run\n');
  });
});

describe('hvlab run --save and hvlab restore', () => {
  it("a session saved mid-run and restored gives the straight run's console and status", () => {
    const dir = mkdtempSync(join(tmp, 'snap-'));
    const file = join(dir, 'labos.hvsnap');
    const input = 'help\ntouch 64 rand\nexit 4\n';
    const labos = `${ASSETS}guests/labos.elf`;
    const first = hvlab('run', labos, '--input', input, '--save-at', '150000', '--save', file);
    expect(first.status).toBe(0);
    expect(first.stderr).toMatch(/hvlab: saved the session at instruction \d+ to .*labos\.hvsnap/);
    const rest = hvlab('restore', file);
    expect(rest.status).toBe(4);
    const straight = hvlab('run', labos, '--input', input);
    expect(straight.status).toBe(4);
    expect(first.stdout.length).toBeGreaterThan(0);
    expect(rest.stdout.length).toBeGreaterThan(0);
    expect(first.stdout + rest.stdout).toBe(straight.stdout);
    // The restored run ends with the same figures (exit counts were saved with the VM).
    const tail = (t: string) => t.slice(t.indexOf('instructions'));
    expect(tail(rest.stderr)).toBe(tail(straight.stderr));
  });

  it('refuses a file that is not a snapshot in one line', () => {
    const r = hvlab('restore', `${ASSETS}guests/hello.elf`);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('hvlab: not an hvlab snapshot (bad magic)\n');
  });
});

describe('hvlab run with devices', () => {
  const labos = `${ASSETS}guests/labos.elf`;

  it("--vms 2 --device net: two VMs on one switch, lines marked by VM, the first VM's status", () => {
    const input = 'ping 52:54:00:12:34:5e 2\nexit 5\n';
    const r = hvlab('run', labos, '--vms', '2', '--device', 'net', '--input', input, '--no-record');
    expect(r.status).toBe(5);
    expect(r.stdout).toContain('vm0| result: ping sent=2 received=2\n');
    expect(r.stdout).toMatch(/^vm1\| labos 0\.1 -- the hvlab lab kernel$/m);
    const json = JSON.parse(
      hvlab(
        'run',
        labos,
        '--vms',
        '2',
        '--device',
        'net',
        '--input',
        input,
        '--json',
        '--no-record',
      ).stdout,
    );
    expect(json.others).toHaveLength(1);
    // VM 1 answered every frame it got (ping may resend one sent before VM 1's driver was up).
    const net = json.others[0].devices['virtio-net0'];
    expect(net.rxPackets).toBeGreaterThanOrEqual(2);
    expect(net.txPackets).toBe(net.rxPackets);
  });

  it('--balloon-target MB inflates the balloon at boot; without the device it says so', () => {
    const r = hvlab(
      'run',
      labos,
      '--device',
      'balloon',
      '--balloon-target',
      '16',
      '--input',
      'sleep 100\nballoon\nexit\n',
      '--no-record',
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/target 4096 pages \(16 MiB\), actual 4096 pages/);
    const bad = hvlab('run', labos, '--balloon-target', '16', '--no-record');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('hvlab: --balloon-target needs --device balloon\n');
  });
});

describe('hvlab start-up', () => {
  /** The files under `dir`, recursively (the cache keeps a few per module). */
  const files = (dir: string): string[] =>
    existsSync(dir)
      ? readdirSync(dir, { recursive: true, withFileTypes: true })
          .filter((e) => e.isFile())
          .map((e) => join(e.parentPath, e.name))
      : [];
  /** Spawn options with a temp folder of its own: the default cache lives there. */
  const inTmp = (dir: string, extra: Record<string, string> = {}) => ({
    encoding: 'utf8' as const,
    env: { ...process.env, TMPDIR: dir, NODE_COMPILE_CACHE: '', ...extra },
  });

  it("keeps Node's compile cache, for the command and for its engine worker", () => {
    const help = join(tmp, 'tmp-help');
    const run = join(tmp, 'tmp-run');
    const off = join(tmp, 'tmp-off');
    for (const d of [help, run, off]) mkdirSync(d);
    expect(spawnSync(process.execPath, [CLI, '--help'], inTmp(help)).status).toBe(0);
    expect(files(help).length).toBeGreaterThan(0);
    const args = ['run', `${ASSETS}guests/labos.elf`, '--no-record', '--input', 'exit\n'];
    expect(spawnSync(process.execPath, [CLI, ...args], inTmp(run)).status).toBe(0);
    // The cache keeps each module's type-stripped source: the worker's entry, which only
    // the worker loads, is there if the worker was handed the cache.
    const workerEntry = 'engine/src/worker/worker.ts must run in a worker thread';
    expect(files(run).some((f) => readFileSync(f, 'latin1').includes(workerEntry))).toBe(true);
    spawnSync(process.execPath, [CLI, '--help'], inTmp(off, { NODE_DISABLE_COMPILE_CACHE: '1' }));
    expect(files(off)).toEqual([]);
  });
});
