import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { BareMachine } from '../src/machine/bare.ts';
import { VirtMachine } from '../src/machine/virt.ts';
import { code, elf } from './elf-builder.ts';
import { ASSETS, needTool } from './tools.ts';
import { profile, runVirtImage } from './virt-run.ts';

/**
 * The hypervisor on real guest images: SBI as the hypercall interface, exits counted
 * and costed, deterministic virtual time, profiles that trap CSRs, and the same console
 * output as QEMU running the image on hvlab's firmware.
 */
const HELLO = 'guests/hello.elf';
/** Lines that describe the platform itself, which differ between hvlab and QEMU+firmware. */
const PLATFORM_LINES = [/^sbi: spec /, /^sbi: extensions /];
const withoutPlatform = (text: string): string =>
  text
    .split('\n')
    .filter((l) => !PLATFORM_LINES.some((re) => re.test(l)))
    .join('\n');

describe('hello on the virt board', () => {
  it('greets from both harts and shuts down with status 0', () => {
    const { vm, console } = runVirtImage(HELLO, { harts: 2 });
    expect(console).toContain('hello: hart 0 says hello\n');
    expect(console).toContain('hart 1: hello\n');
    expect(console).toContain('sbi: unknown extension -> NOT_SUPPORTED\n');
    expect(console).toContain('sbi: dbcn outside RAM -> INVALID_PARAM\n');
    expect(console.endsWith('bye\n')).toBe(true);
    expect(vm.outcome).toEqual({ kind: 'shutdown', exitCode: 0 });
    const r = vm.hv.stats.report();
    expect(r.sbi.HSM.hart_start).toBe(1);
    expect(r.sbi.HSM.hart_stop).toBe(1);
    expect(r.sbi.DBCN.write).toBeGreaterThanOrEqual(console.split('\n').length - 2);
    expect(r.sbi.SRST.system_reset).toBe(1);
    expect(r.sbi['0xa1b2c3d']).toEqual({ '0': 1 });
    expect(r.byVcpu[1].sbi).toBeGreaterThan(0); // hart 1 made its own calls
    expect(r.byReason.sbi).toBe(
      Object.values(r.sbi).reduce((s, f) => s + Object.values(f).reduce((a, b) => a + b, 0), 0),
    );
  });

  it('with one hart, reports that hart 1 is missing and goes on', () => {
    const { vm, console } = runVirtImage(HELLO, { harts: 1 });
    expect(console).toContain('hsm: no hart 1 (INVALID_PARAM)\n');
    expect(vm.outcome).toEqual({ kind: 'shutdown', exitCode: 0 });
  });

  it('is deterministic: same bytes, exits and virtual time on every run', () => {
    const a = runVirtImage(HELLO, { harts: 2 });
    const b = runVirtImage(HELLO, { harts: 2 });
    expect(b.console).toBe(a.console);
    expect(b.vm.hv.stats.report()).toEqual(a.vm.hv.stats.report());
    expect(b.vm.harts.map((h) => [h.instret, h.cycles, b.vm.clock.now(h)])).toEqual(
      a.vm.harts.map((h) => [h.instret, h.cycles, a.vm.clock.now(h)]),
    );
  });

  it('traps time reads as csr exits only under a profile that traps time', () => {
    const passed = runVirtImage(HELLO, { profile: 'kvm' });
    const trapped = runVirtImage(HELLO, { profile: 'kvm-trap-time' });
    expect(trapped.console).toBe(passed.console);
    expect(passed.vm.hv.stats.report().byReason.csr).toBe(0);
    const csr = trapped.vm.hv.stats.report().byReason.csr;
    expect(csr).toBeGreaterThanOrEqual(2); // hello reads time at least twice
    // Each trapped read costs the profile's csr exit cycles in virtual time.
    expect(trapped.vm.hv.stats.report().cyclesByReason.csr).toBe(csr * 2000);
  });

  it('charges exit costs to virtual time', () => {
    const { vm } = runVirtImage(HELLO);
    const h = vm.harts[0];
    const r = vm.hv.stats.report();
    expect(r.cycles).toBeGreaterThan(0);
    expect(h.cycles).toBeGreaterThanOrEqual(h.instret + r.cycles);
  });

  it('places a DTB at the top of RAM and passes it in a1', () => {
    const { vm } = runVirtImage(HELLO);
    expect(vm.dtbAddr % 0x200000).toBe(0);
    expect([...vm.ram.read(vm.dtbAddr, 4)!]).toEqual([0xd0, 0x0d, 0xfe, 0xed]);
    const slot = vm.bus.find(0x10001000)!.device;
    expect([slot.read(0, 4), slot.read(4, 4), slot.read(8, 4)]).toEqual([0x74726976, 2, 0]);
  });
});

describe('hvlab firmware runs the same guest on the bare machine', () => {
  it('boots hello from firmware in M-mode with the same output, platform lines aside', () => {
    let out = '';
    const m = new BareMachine({
      memBytes: 128 << 20,
      onConsole: (b) => (out += String.fromCharCode(b)),
    });
    m.loadImage(readFileSync(`${ASSETS}firmware/fw.elf`), readFileSync(`${ASSETS}${HELLO}`));
    expect(m.run(100_000_000)).toMatchObject({ reason: 'pass', exitCode: 0 });
    expect(withoutPlatform(out)).toBe(withoutPlatform(runVirtImage(HELLO).console));
    expect(out).toContain('implementation 0x48564657'); // the firmware answered, not the hypervisor
  });
});

/** The guests that run to their end unattended (labos waits at its shell: labos.test.ts). */
const GUESTS = readdirSync(`${ASSETS}guests`)
  .filter((f) => f.endsWith('.elf') && f !== 'labos.elf')
  .sort();

describe('every guest on QEMU with hvlab firmware (differential)', () => {
  const haveQemu = needTool('qemu-system-riscv32', 'the firmware differential test');
  for (const [guest, smp] of GUESTS.flatMap(
    (g) =>
      [
        [g, 1],
        [g, 2],
      ] as const,
  )) {
    it.runIf(haveQemu)(
      `${guest} prints what the engine prints with --smp ${smp}, platform lines aside`,
      () => {
        const q = spawnSync(
          'qemu-system-riscv32',
          [
            '-machine',
            'virt',
            '-smp',
            String(smp),
            '-m',
            '64M',
            '-nographic',
            '-bios',
            `${ASSETS}firmware/fw.elf`,
            '-kernel',
            `${ASSETS}guests/${guest}`,
          ],
          { encoding: 'latin1', timeout: 30_000 },
        );
        expect(q.status).toBe(0);
        const { vm, console: engine } = runVirtImage(`guests/${guest}`, { harts: smp });
        expect(vm.outcome).toEqual({ kind: 'shutdown', exitCode: 0 });
        if (guest !== 'hello.elf') {
          expect(q.stdout).toBe(engine);
          return;
        }
        expect(withoutPlatform(q.stdout)).toBe(withoutPlatform(engine));
        // The platform lines are there on both, and only they differ.
        for (const re of PLATFORM_LINES) {
          expect(q.stdout.split('\n').some((l) => re.test(l))).toBe(true);
          expect(engine.split('\n').some((l) => re.test(l))).toBe(true);
        }
      },
    );
  }
});

describe('a hostile guest', () => {
  it('a trap vector that itself faults keeps trapping, yet every round returns and time moves', () => {
    // csrw stvec, zero; then an illegal instruction: the trap goes to address 0, which
    // is no memory, so fetching the handler faults, which traps to 0 again, forever.
    const image = elf([{ paddr: 0x80400000, data: code(0x10501073, 0x00000000) }]);
    const vm = new VirtMachine(
      { memBytes: 16 << 20, harts: 1, bootargs: '', clock: 'deterministic' },
      profile('kvm'),
      () => {},
    );
    vm.loadImage(image);
    const h = vm.harts[0];
    for (let round = 0; round < 3; round++) expect(vm.runRound().state).toBe('running');
    expect(h.scause).toBe(1); // instruction access fault
    expect(h.instret).toBe(1); // only the csrw retired
    expect(vm.clock.now(h)).toBeGreaterThan(0);
    expect(vm.hv.stats.report().byReason.illegal).toBe(1);
  });
});

describe('WFI and the SBI timer', () => {
  it('deterministic: WFI skips virtual time to the timer, with one wfi and one irq_inject exit', () => {
    const { vm, console } = runVirtImage('guests/timer.elf');
    expect(console).toBe('timer: sleeping 100 ms in wfi\ntimer: woke after 100 ms\n');
    expect(vm.outcome).toEqual({ kind: 'shutdown', exitCode: 0 });
    const r = vm.hv.stats.report();
    expect(r.byReason).toMatchObject({ wfi: 1, irq_inject: 1 });
    expect(r.sbi.TIME.set_timer).toBe(2);
    expect(vm.clock.now(vm.harts[0])).toBeGreaterThanOrEqual(1_000_000); // 100 ms at 10 MHz
    expect(vm.harts[0].instret).toBeLessThan(2_000); // it slept; it did not spin
  });

  it('realtime: the guest sleeps on the host clock without spinning a core', async () => {
    const vm = new VirtMachine(
      { memBytes: 16 << 20, harts: 1, bootargs: '', clock: 'realtime' },
      profile('kvm'),
      () => {},
    );
    vm.loadImage(readFileSync(`${ASSETS}guests/timer.elf`));
    const wall = performance.now();
    let rounds = 0;
    let sleeps = 0;
    for (; ; rounds++) {
      const r = vm.runRound();
      if (r.state === 'stopped') break;
      if (r.state === 'idle') {
        sleeps++;
        await sleep(r.wakeInMs);
      }
    }
    expect(vm.outcome).toEqual({ kind: 'shutdown', exitCode: 0 });
    expect(performance.now() - wall).toBeGreaterThanOrEqual(100);
    // It slept for the host to wake it: a spinning WFI would take thousands of rounds
    // and retire instructions all along (CPU time is no measure: other suites share it).
    expect(sleeps).toBeGreaterThan(0);
    expect(rounds).toBeLessThan(50);
    expect(vm.harts[0].instret).toBeLessThan(2_000);
  });
});
