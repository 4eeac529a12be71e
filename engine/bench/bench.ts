/**
 * `npm run bench -- SUITE...`: performance figures as JSON on stdout (never asserted in
 * tests). Suites: cpu, exits, boot, net, console. Each engine figure is the median of several
 * runs in this process; peers (QEMU) run the same ELF when installed. `console` drives
 * Chromium through web mode (e2e/bench-console.ts).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { BareMachine } from '../src/machine/bare.ts';
import { VirtMachine } from '../src/machine/virt.ts';
import { parseProfile } from '../src/hv/profile.ts';
import { VirtualSwitch } from '../src/net/switch.ts';
import { qemuAvailable, runQemuBare } from './qemu.ts';

const ASSETS = fileURLToPath(new URL('../../native-free-assets/', import.meta.url));
const RUNS = 5;
/** The runner, for figures it reports itself (boot to prompt). */
const CLI = fileURLToPath(new URL('../../main/src/cli/hvlab.ts', import.meta.url));

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (v: number, digits = 1): number => Math.round(v * 10 ** digits) / 10 ** digits;

function engineRun(elf: string): { instret: number; ms: number } {
  const m = new BareMachine({ memBytes: 64 << 20 });
  m.loadImage(readFileSync(elf));
  const t = performance.now();
  const r = m.run(Infinity);
  const ms = performance.now() - t;
  if (r.reason !== 'pass') throw new Error(`${elf}: ended with ${r.reason} ${r.exitCode}`);
  return { instret: r.instret, ms };
}

function cpuSuite(): object {
  const images = [
    { name: 'loop', what: 'tight loop: add/xor/sw/lw/add/addi/bnez, store buffer on its own page' },
    { name: 'mixed', what: 'sorting, CRC32, integer matrix multiply, string work' },
  ];
  const haveQemu = qemuAvailable();
  // QEMU's start-up and shutdown, measured on an image that finishes at once.
  const qemuStartupMs = haveQemu
    ? median(Array.from({ length: RUNS }, () => runQemuBare(`${ASSETS}tests/isa/alu.elf`).ms))
    : 0;
  return images.map(({ name, what }) => {
    const elf = `${ASSETS}bench/${name}.elf`;
    const runs = Array.from({ length: RUNS }, () => engineRun(elf));
    const instret = runs[0].instret;
    const ms = median(runs.map((r) => r.ms));
    const engineMips = instret / ms / 1000;
    let qemu: object | null = null;
    if (haveQemu) {
      const qms = median(Array.from({ length: RUNS }, () => runQemuBare(elf).ms)) - qemuStartupMs;
      const qemuMips = instret / qms / 1000;
      qemu = {
        ms: round(qms),
        mips: round(qemuMips),
        engineOverQemu: round(engineMips / qemuMips, 3),
      };
    }
    return {
      image: `bench/${name}.elf`,
      what,
      instret,
      engine: {
        runs: RUNS,
        ms: round(ms),
        mips: round(engineMips),
        bestMips: round(instret / Math.min(...runs.map((r) => r.ms)) / 1000),
      },
      qemu,
    };
  });
}

/**
 * Host cost of a VM exit: a guest making 1,000,000 BASE.get_spec_version calls, so
 * nearly all its time is the SBI exit path (trap, dispatch, accounting, return).
 */
function exitsSuite(): object {
  const profile = parseProfile(
    JSON.parse(readFileSync(`${ASSETS}profiles/kvm.json`, 'utf8')),
    'kvm',
  );
  const image = readFileSync(`${ASSETS}guests/sbi-loop.elf`);
  const runs = Array.from({ length: RUNS }, () => {
    const vm = new VirtMachine(
      { memBytes: 16 << 20, harts: 1, bootargs: '', clock: 'deterministic' },
      profile,
      () => {},
    );
    vm.loadImage(image);
    const t = performance.now();
    while (vm.runRound().state === 'running');
    const ms = performance.now() - t;
    if (vm.outcome?.kind !== 'shutdown') throw new Error('sbi-loop did not shut down');
    return { ms, sbi: vm.hv.stats.report().byReason.sbi, instret: vm.harts[0].instret };
  });
  const ms = median(runs.map((r) => r.ms));
  const { sbi, instret } = runs[0];
  return {
    image: 'guests/sbi-loop.elf',
    what: 'BASE.get_spec_version in a loop: the SBI exit round trip',
    sbiExits: sbi,
    instret,
    hostMs: round(ms),
    exitsPerSecond: Math.round((sbi / ms) * 1000),
    nsPerExit: round((ms * 1e6) / sbi),
    forScale: 'a hardware VM exit round trip: ~2,000 cycles, ~0.7 us on a 2.93 GHz Xeon (SplitX)',
  };
}

/** Cold boots: single runs on a shared 2-core machine vary by 2x, so take more. */
const COLD_RUNS = 11;

/**
 * labos from power-on to its shell prompt: engine host time as the runner reports it
 * (`ready` in `hvlab run --json`), each run in a fresh process and worker (a cold engine,
 * what a user launching a VM gets), then warm (a second boot in one process).
 */
function bootSuite(): object {
  const profile = parseProfile(
    JSON.parse(readFileSync(`${ASSETS}profiles/kvm.json`, 'utf8')),
    'kvm',
  );
  const image = readFileSync(`${ASSETS}guests/labos.elf`);
  const figures: Record<string, object> = {};
  for (const harts of [1, 4]) {
    const cold = Array.from({ length: COLD_RUNS }, () => {
      const t = performance.now();
      const j = spawnSync(
        process.execPath,
        [CLI, 'run', `${ASSETS}guests/labos.elf`, '--smp', String(harts), '--json', '--no-record'],
        { input: 'exit\n', encoding: 'utf8' },
      );
      const processMs = performance.now() - t;
      const ready = (JSON.parse(j.stdout) as { ready: { hostMs: number; instret: number } }).ready;
      return { ...ready, processMs };
    });
    const coldMs = cold.map((r) => r.hostMs);
    const warm = Array.from({ length: RUNS + 1 }, () => {
      let out = '';
      const vm = new VirtMachine(
        { memBytes: 64 << 20, harts, bootargs: '', clock: 'deterministic' },
        profile,
        (b) => (out += String.fromCharCode(b)),
      );
      vm.loadImage(image);
      const t = performance.now();
      while (!out.endsWith('labos> ')) vm.runRound();
      return performance.now() - t;
    }).slice(1);
    figures[`smp${harts}`] = {
      instructionsToPrompt: cold[0].instret,
      coldHostMs: round(median(coldMs)),
      coldHostMsRange: [round(Math.min(...coldMs)), round(Math.max(...coldMs))],
      warmHostMs: round(median(warm)),
      // The whole `hvlab run` as a shell sees it: Node, loading the engine, the worker.
      processMs: round(median(cold.map((r) => r.processMs))),
    };
  }
  return { image: 'guests/labos.elf', what: 'boot to the shell prompt', ...figures };
}

/**
 * 64-byte frames from one labos VM to another over the session's switch: packets per
 * second of host time and exits per packet (both VMs' exits during the flood), through
 * virtio-net (batch 32, EVENT_IDX) and through the emulated NIC (a register write per frame).
 */
function netSuite(): object {
  const profile = parseProfile(
    JSON.parse(readFileSync(`${ASSETS}profiles/kvm.json`, 'utf8')),
    'kvm',
  );
  const image = readFileSync(`${ASSETS}guests/labos.elf`);
  const N = 50_000;
  const flood = (dev: 'virtio' | 'nic') => {
    const sw = new VirtualSwitch();
    const kind = dev === 'virtio' ? 'net' : 'nic';
    const outs = ['', ''];
    const vms = [0, 1].map((i) => {
      const vm = new VirtMachine(
        {
          memBytes: 32 << 20,
          harts: 1,
          // VM 0 floods VM 1's device (the session's second MAC, ...:5e).
          bootargs: i === 0 ? 'flood_to=52:54:00:12:34:5e' : '',
          clock: 'deterministic',
          devices: [kind],
          network: { switch: sw, vmIndex: i },
        },
        profile,
        (b) => (outs[i] += String.fromCharCode(b)),
      );
      vm.loadImage(image);
      return vm;
    });
    const step = () => vms.forEach((vm) => vm.runRound());
    while (!outs.every((o) => o.endsWith('labos> '))) step();
    const exits0 = vms.map((vm) => vm.hv.stats.count(-1));
    vms[0].console.pushInput(new TextEncoder().encode(`netflood ${N} 64 32 ${dev}\n`));
    const t = performance.now();
    while (!/result: netflood/.test(outs[0])) step();
    const ms = performance.now() - t;
    const exits = vms.reduce((sum, vm, i) => sum + vm.hv.stats.count(-1) - exits0[i], 0);
    const received = vms[1].devices.metrics()[dev === 'virtio' ? 'virtio-net0' : 'nic0'].rxPackets;
    return {
      packets: N,
      received,
      hostMs: round(ms),
      packetsPerSecond: Math.round((N / ms) * 1000),
      exitsPerPacket: round(exits / N, 3),
    };
  };
  return { frameBytes: 64, virtioNet: flood('virtio'), nic: flood('nic') };
}

const suites: Record<string, () => object | Promise<object>> = {
  cpu: cpuSuite,
  exits: exitsSuite,
  boot: bootSuite,
  net: netSuite,
  // Loaded on demand: it brings playwright-core and needs the built renderer.
  console: async () => (await import('../../e2e/bench-console.ts')).consoleBench(),
};
const wanted = process.argv.slice(2);
for (const s of wanted) {
  if (!(s in suites)) {
    process.stderr.write(
      `bench: unknown suite '${s}' (available: ${Object.keys(suites).join(', ')})\n`,
    );
    process.exit(2);
  }
}
const out: Record<string, unknown> = {
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: availableParallelism(),
};
for (const s of wanted.length ? wanted : Object.keys(suites)) out[s] = await suites[s]();
process.stdout.write(JSON.stringify(out, null, 2) + '\n');
