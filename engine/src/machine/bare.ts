import { CodeCache } from '../cpu/code-cache.ts';
import { Hart, type HartPlatform } from '../cpu/hart.ts';
import { Clint, CLINT_SIZE } from '../devices/clint.ts';
import { TestFinisher, FINISHER_SIZE, type FinisherOutcome } from '../devices/test-finisher.ts';
import { Uart16550, UART_SIZE } from '../devices/uart16550.ts';
import { FramePool, PAGE_SIZE } from '../memory/frame-pool.ts';
import { GuestRam } from '../memory/guest-ram.ts';
import { Bus } from './bus.ts';
import { VmConsole } from './console.ts';
import { VirtualClock } from './clock.ts';
import { loadElf } from './elf-loader.ts';

/**
 * The `bare` machine: one hart in M-mode at 0x8000_0000 with RAM, a CLINT, UART0 and the
 * test finisher at QEMU virt's addresses, and no hypervisor. It runs ISA conformance
 * tests and firmware, exactly as `qemu-system-riscv32 -machine virt -bios none` does.
 */
export const RAM_BASE = 0x80000000;
export const FINISHER_BASE = 0x00100000;
export const CLINT_BASE = 0x02000000;
export const UART0_BASE = 0x10000000;
/** 100 MHz at one instruction per cycle over QEMU's 10 MHz timebase: 10 insns a tick. */
const CPU_HZ = 100_000_000;
const TIMEBASE_HZ = 10_000_000;
/** Instructions per hart.run() call: how often the machine looks at its own state. */
const SLICE = 1 << 20;

export interface BareConfig {
  memBytes: number;
  /** Called with each byte the guest writes to UART0. */
  onConsole?: (byte: number) => void;
}

export type StopReason = 'pass' | 'fail' | 'reset' | 'max-insns' | 'idle';

export interface BareResult {
  reason: StopReason;
  /** The finisher's status: 0 on pass, the code on fail. */
  exitCode: number;
  instret: number;
  cycles: number;
}

export class BareMachine implements HartPlatform {
  readonly ram: GuestRam;
  readonly hart: Hart;
  readonly bus = new Bus();
  readonly clock = new VirtualClock(CPU_HZ, TIMEBASE_HZ);
  readonly clint: Clint;
  readonly uart: Uart16550;
  busFault = false;
  private outcome: FinisherOutcome | null = null;

  constructor(config: BareConfig) {
    const pool = new FramePool(Math.ceil(config.memBytes / PAGE_SIZE));
    this.ram = new GuestRam(pool, RAM_BASE, config.memBytes);
    this.ram.populate();
    this.hart = new Hart(0, this.ram, new CodeCache(this.ram), this);
    this.clint = new Clint([this.hart], () => this.clock.now(this.hart));
    this.uart = new Uart16550('uart0', new VmConsole(config.onConsole ?? (() => {})));
    const finisher = new TestFinisher((o) => {
      this.outcome = o;
      this.hart.halted = true;
    });
    this.bus.map(FINISHER_BASE, FINISHER_SIZE, finisher);
    this.bus.map(CLINT_BASE, CLINT_SIZE, this.clint);
    this.bus.map(UART0_BASE, UART_SIZE, this.uart);
  }

  /**
   * Load an ELF image; the hart starts at the base of RAM as after QEMU's reset ROM. A
   * second image (a kernel for the firmware, as QEMU's -kernel) loads at its own addresses.
   */
  loadImage(image: Uint8Array, kernel?: Uint8Array): void {
    loadElf(image, this.ram);
    if (kernel) loadElf(kernel, this.ram);
    this.hart.pc = RAM_BASE | 0;
    this.hart.x[10] = this.hart.id; // a0 = hart id, as QEMU's reset vector sets it
  }

  run(maxInsns: number): BareResult {
    const h = this.hart;
    let reason: StopReason = 'max-insns';
    while (this.outcome === null && h.instret < maxInsns) {
      h.run(Math.min(SLICE, maxInsns - h.instret));
      if (this.outcome !== null || !h.wfi) continue;
      // Asleep in WFI: skip virtual time to the next timer event, if one is armed.
      const tick = h.nextTimerTick();
      if (tick === Infinity) {
        reason = 'idle';
        break;
      }
      this.clock.sleepUntil(h, tick);
    }
    const o = this.outcome as FinisherOutcome | null;
    if (o !== null) reason = o.kind;
    return { reason, exitCode: o?.code ?? 0, instret: h.instret, cycles: h.cycles };
  }

  // HartPlatform: devices, time.
  load(pa: number, size: number): number {
    const r = this.bus.find(pa);
    if (r === null) {
      this.busFault = true;
      return 0;
    }
    return r.device.read(pa - r.base, size);
  }

  store(pa: number, size: number, value: number): void {
    const r = this.bus.find(pa);
    if (r === null) this.busFault = true;
    else r.device.write(pa - r.base, size, value);
  }

  now(h: Hart): number {
    return this.clock.now(h);
  }

  insnsUntil(h: Hart, tick: number): number {
    return this.clock.insnsUntil(h, tick);
  }

  timerEvent(h: Hart): number {
    return this.clint.timerEvent(h);
  }
}
