import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VirtMachine } from '../src/machine/virt.ts';
import type { DeviceKind } from '../src/machine/virt-devices.ts';
import { VirtualSwitch } from '../src/net/switch.ts';
import { ASSETS, needTool } from './tools.ts';
import { profile, runVirtImage } from './virt-run.ts';

/**
 * labos's paravirtual devices beside their emulated twins, measured in exits: the virtio
 * console against the UART, virtio-net against the e1000-subset NIC, VMs on one switch.
 */
const LABOS = 'guests/labos.elf';

/** `result: NAME key=value ...` of a transcript. */
function result(text: string, name: string): Record<string, string> {
  const m = new RegExp(`^result: ${name}(.*)$`, 'm').exec(text);
  if (!m) throw new Error(`no result: ${name} line in:\n${text.slice(-2000)}`);
  return Object.fromEntries([...m[1].matchAll(/(\w+)=(\S+)/g)].map((f) => [f[1], f[2]]));
}

/** Lines that name the console driver itself (they differ by design). */
const DRIVER_LINES = /^(boot|bootargs|console|virtio): /;
// Tick counts are blanked: the two runs read the clock at different points of a tick, so
// the same duration may round one tick apart.
const withoutDriver = (t: string) =>
  t
    .split('\n')
    .filter((l) => !DRIVER_LINES.test(l))
    .join('\n')
    .replace(/\bticks=\d+/g, 'ticks=#');

/** Several labos VMs on one switch, run in deterministic rounds until each has stopped. */
function runOnSwitch(vms: { input: string; devices: DeviceKind[] }[]): string[] {
  const sw = new VirtualSwitch();
  const image = readFileSync(`${ASSETS}${LABOS}`);
  const out = vms.map(() => '');
  const machines = vms.map((v, i) => {
    const vm = new VirtMachine(
      {
        memBytes: 32 << 20,
        harts: 1,
        bootargs: '',
        clock: 'deterministic',
        devices: v.devices,
        network: { switch: sw, vmIndex: i },
      },
      profile('kvm'),
      (b) => (out[i] += String.fromCharCode(b)),
    );
    vm.loadImage(image);
    vm.console.pushInput(new TextEncoder().encode(v.input));
    return vm;
  });
  for (let round = 0; machines.some((m) => m.outcome === null); round++) {
    if (round > 200_000) throw new Error('the VMs did not finish');
    for (const m of machines) m.runRound();
  }
  return out;
}

describe('labos devices on the engine', () => {
  it('console=virtio gives the same transcript as console=uart, with far fewer exits per byte', () => {
    const input = 'help\ninfo\nmem\necho same words\ntouch 16 seq\nexit 3\n';
    const uart = runVirtImage(LABOS, { input, bootargs: 'console=uart' });
    const virtio = runVirtImage(LABOS, {
      input,
      bootargs: 'console=virtio',
      devices: ['console'],
    });
    for (const r of [uart, virtio]) expect(r.vm.outcome).toEqual({ kind: 'shutdown', exitCode: 3 });
    // virtio's `info` also lists its slot; everything else matches line for line.
    expect(withoutDriver(virtio.console)).toBe(withoutDriver(uart.console));
    const perByte = (r: typeof uart) => r.vm.hv.stats.report().total / r.console.length;
    expect(perByte(uart)).toBeGreaterThan(2);
    expect(perByte(virtio)).toBeLessThan(perByte(uart) / 10);
    expect(virtio.vm.hv.stats.report().mmio.uart0?.write ?? 0).toBe(0);
  });

  it("two VMs on one switch: a ping from A gets B's replies", () => {
    // The session's first VM's network device is 52:54:00:12:34:56, the second's ...:5e.
    const [a, b] = runOnSwitch([
      { input: 'ping 52:54:00:12:34:5e 3\nexit\n', devices: ['net'] },
      { input: 'sleep 200\nnet\nexit\n', devices: ['net'] },
    ]);
    expect(a).toMatch(/pong from 52:54:00:12:34:5e seq 1/);
    expect(result(a, 'ping')).toMatchObject({ sent: '3', received: '3' });
    expect(b).toMatch(/pongs sent 3/);
  });

  it('a lone VM gets its own frames back', () => {
    const { console } = runVirtImage(LABOS, {
      input: 'ping 52:54:00:12:34:56 2\nexit\n',
      devices: ['net'],
    });
    expect(console).toMatch(/echo of own frame seq 1/);
    expect(result(console, 'ping')).toMatchObject({ sent: '2', received: '2' });
  });

  it('netflood 100000 64 32: about 4 NIC exits per packet; virtio-net under 0.1 exits per packet', () => {
    const N = 100_000;
    const nic = runVirtImage(LABOS, { input: `netflood ${N} 64 32 nic\nexit\n`, devices: ['nic'] });
    const net = runVirtImage(LABOS, {
      input: `netflood ${N} 64 32 virtio\nexit\n`,
      devices: ['net'],
    });
    expect(result(nic.console, 'netflood')).toMatchObject({ dev: 'nic', packets: String(N) });
    expect(result(net.console, 'netflood')).toMatchObject({ dev: 'virtio', packets: String(N) });
    const n = nic.vm.hv.stats.report();
    const nicExits = n.mmio.nic0.read + n.mmio.nic0.write;
    // TDT write, ICR read, RDT write, IMS write: the emulated NIC's four per packet.
    expect(nicExits / N).toBeGreaterThan(3.9);
    expect(nicExits / N).toBeLessThan(4.1);
    // Each of those interrupts also costs the PLIC's claim and complete and an injection.
    expect(n.total / N).toBeGreaterThan(6.9);
    const v = net.vm.hv.stats.report();
    expect(v.total / N).toBeLessThan(0.1);
    expect(v.mmio.nic0).toBeUndefined();
  });
});

describe('the balloon with labos', () => {
  it('reaches a target of half of RAM, frees those frames, reports stats, deflates on OOM', () => {
    let out = '';
    const vm = new VirtMachine(
      { memBytes: 32 << 20, harts: 1, bootargs: '', clock: 'deterministic', devices: ['balloon'] },
      profile('kvm'),
      (b) => (out += String.fromCharCode(b)),
    );
    vm.loadImage(readFileSync(`${ASSETS}${LABOS}`));
    const run = (rounds: number, done: () => boolean) => {
      for (let i = 0; i < rounds && !done(); i++) vm.runRound();
    };
    run(10_000, () => out.endsWith('labos> '));
    const balloon = vm.devices.balloon;
    if (!balloon) throw new Error('no balloon');
    const half = vm.ram.pages / 2;
    const free = vm.ram.pool.free;
    balloon.setTarget(half);
    run(10_000, () => balloon.actualPages === half);
    expect(balloon.actualPages).toBe(half);
    expect(vm.ram.pool.free - free).toBe(half); // the host got those frames back
    expect(balloon.requestStats()).toBe(true);
    run(200, () => false);
    expect(balloon.stats()).toMatchObject({
      memtot: expect.any(Number),
      memfree: expect.any(Number),
    });
    expect(balloon.stats().memtot).toBeGreaterThan(16 << 20);

    // memhog wants more than is left: labos deflates instead of panicking, and every
    // deflated page it touches again comes back as a zeroed frame through a gstage fault.
    vm.console.pushInput(new TextEncoder().encode('memhog 30\nexit 9\n'));
    run(100_000, () => vm.outcome !== null);
    expect(vm.outcome).toEqual({ kind: 'shutdown', exitCode: 9 });
    const memhog = result(out, 'memhog');
    expect(Number(memhog.deflated)).toBe(half);
    const faults = vm.hv.stats.report().byReason.gstage_fault;
    expect(faults).toBeGreaterThan(0);
    expect(faults).toBeLessThanOrEqual(half);
    expect(vm.ram.zeroFilled).toBe(faults);
  });
});

describe('labos virtio console on QEMU with hvlab firmware (differential)', () => {
  const haveQemu = needTool('qemu-system-riscv32', 'the virtio console differential test');
  it.runIf(haveQemu)('a scripted session gives the same transcript on QEMU and the engine', () => {
    const input = 'help\nmem\necho over virtio\ntouch 8 rand\nexit 3\n';
    const q = spawnSync(
      'qemu-system-riscv32',
      [
        ...['-machine', 'virt', '-smp', '1', '-m', '64M', '-display', 'none', '-monitor', 'none'],
        ...['-global', 'virtio-mmio.force-legacy=false'],
        ...['-chardev', 'stdio,id=c0,mux=on', '-serial', 'chardev:c0'],
        ...['-device', 'virtio-serial-device', '-device', 'virtconsole,chardev=c0'],
        ...['-bios', `${ASSETS}firmware/fw.elf`, '-kernel', `${ASSETS}${LABOS}`],
        ...['-append', 'console=virtio'],
      ],
      { encoding: 'latin1', timeout: 60_000, input },
    );
    expect(q.status).toBe(3);
    const e = runVirtImage(LABOS, { input, bootargs: 'console=virtio', devices: ['console'] });
    expect(e.vm.outcome).toEqual({ kind: 'shutdown', exitCode: 3 });
    const timing = (t: string) => t.replace(/\bticks=\d+/g, 'ticks=#');
    expect(timing(withoutDriver(q.stdout))).toBe(timing(withoutDriver(e.console)));
  });
});
