/**
 * hvlab's `virt` board (reference: QEMU's riscv32 virt machine): RAM at 0x8000_0000, the
 * test finisher, a PLIC, UART0 and eight virtio-mmio slots, with the hypervisor playing
 * M-mode. The engine boots a guest as firmware would: ELF loaded, a DTB describing
 * exactly this VM placed near the top of RAM, hart 0 entering S-mode at the ELF entry
 * with a0 = hart id and a1 = the DTB, the other harts stopped until HSM starts them.
 *
 * Harts are scheduled in rounds. In deterministic mode each round advances every hart's
 * virtual clock by QUANTUM cycles, so harts interleave the same way on any host; a hart
 * asleep in WFI, or stopped, has its clock moved on without running, and when every hart
 * sleeps, time skips to the next timer. In realtime mode time is the host's and the
 * caller sleeps when the guest is idle.
 */
import { CodeCache } from '../cpu/code-cache.ts';
import { Hart, type HartPlatform } from '../cpu/hart.ts';
import { MIP_SEIP } from '../cpu/csr-numbers.ts';
import { Plic } from '../devices/plic.ts';
import { TestFinisher } from '../devices/test-finisher.ts';
import { Uart16550 } from '../devices/uart16550.ts';
import { EmptyVirtioSlot } from '../devices/virtio/empty-slot.ts';
import { Hypervisor } from '../hv/hypervisor.ts';
import type { HostProfile } from '../hv/profile.ts';
import { FramePool, PAGE_SIZE } from '../memory/frame-pool.ts';
import { GuestRam } from '../memory/guest-ram.ts';
import { Bus } from './bus.ts';
import { RealtimeClock, VirtualClock, type Clock } from './clock.ts';
import { VmConsole } from './console.ts';
import { ImageError, loadElf } from './elf-loader.ts';
import { buildVirtDtb, VIRT_MAP } from './virt-dt.ts';
import { parseDeviceKind, VirtDevices, type DeviceKind } from './virt-devices.ts';
import { VirtualSwitch } from '../net/switch.ts';
import {
  snapArray,
  snapBool,
  snapNumber,
  snapObject,
  snapString,
  isSnapObject,
  SnapshotError,
  type SnapObject,
} from '../snapshot/persist.ts';

export const RAM_BASE = 0x80000000;
export const MAX_HARTS = 8;
/** Virtual cycles each hart runs per scheduling round in deterministic mode. */
const QUANTUM = 100_000;
/** Instructions each hart runs per round in realtime mode. */
const REALTIME_QUANTUM = 200_000;
const ISA = 'rv32imac_zicsr_zifencei_zihintpause';
const ISA_EXTENSIONS = ['i', 'm', 'a', 'c', 'zicsr', 'zifencei', 'zihintpause'];

export type ClockMode = 'deterministic' | 'realtime';

export interface VirtConfig {
  memBytes: number;
  harts: number;
  bootargs: string;
  clock: ClockMode;
  /** Optional devices in slot order (`--device`). */
  devices?: readonly DeviceKind[];
  /**
   * The session's switch and this VM's number in the session. Without one, the VM has a
   * switch of its own: alone on it, it gets its frames back (loopback).
   */
  network?: { switch: VirtualSwitch; vmIndex: number };
  /** How many recent exits to keep for tracing (0: none). */
  traceExits?: number;
  /** Host monotonic milliseconds (realtime mode); performance.now by default. */
  hostNow?: () => number;
}

export type Outcome = { kind: 'shutdown'; exitCode: number } | { kind: 'reboot' };

export interface RoundResult {
  /** running: call again; stopped: the guest powered off; idle: every hart sleeps. */
  state: 'running' | 'stopped' | 'idle';
  /** When idle in realtime mode: host ms until a timer wakes a hart (Infinity: only input can). */
  wakeInMs: number;
}

export class VirtMachine implements HartPlatform {
  readonly config: VirtConfig;
  readonly profile: HostProfile;
  readonly ram: GuestRam;
  readonly harts: Hart[] = [];
  readonly bus = new Bus();
  readonly console: VmConsole;
  readonly clock: Clock;
  /** The host clock in realtime mode, null in deterministic mode. */
  private readonly realtime: RealtimeClock | null;
  readonly hv: Hypervisor;
  readonly plic: Plic;
  readonly uart: Uart16550;
  readonly devices: VirtDevices;
  /** The VM's own switch when the session gave it none (saved with the VM). */
  private readonly ownSwitch: VirtualSwitch | null;
  /** Where the DTB was placed, once an image is loaded. */
  dtbAddr = 0;
  outcome: Outcome | null = null;
  busFault = false;
  /** The hart the scheduler is running: the one an MMIO exit belongs to. */
  private current: Hart;
  private readonly cyclesPerTick: number;
  /** Deterministic mode: the virtual cycle every hart has reached. */
  private roundEnd = 0;
  /** Realtime mode: the tick at which time was paused, or -1. */
  private frozenAt = -1;

  constructor(config: VirtConfig, profile: HostProfile, onConsole: (byte: number) => void) {
    if (!Number.isInteger(config.harts) || config.harts < 1 || config.harts > MAX_HARTS) {
      throw new ImageError(`--smp ${config.harts}: the virt board has 1 to ${MAX_HARTS} harts`);
    }
    this.config = config;
    this.profile = profile;
    const pool = new FramePool(Math.ceil(config.memBytes / PAGE_SIZE));
    this.ram = new GuestRam(pool, RAM_BASE, config.memBytes);
    this.ram.populate();
    const code = new CodeCache(this.ram);
    for (let i = 0; i < config.harts; i++) this.harts.push(new Hart(i, this.ram, code, this));
    this.current = this.harts[0];
    this.cyclesPerTick = profile.cpuHz / profile.timebaseHz;
    this.realtime =
      config.clock === 'realtime'
        ? new RealtimeClock(profile.timebaseHz, config.hostNow ?? (() => performance.now()))
        : null;
    this.clock = this.realtime ?? new VirtualClock(profile.cpuHz, profile.timebaseHz);
    this.console = new VmConsole(onConsole);
    this.hv = new Hypervisor(
      {
        harts: this.harts,
        ram: this.ram,
        console: this.console,
        now: (h) => this.clock.now(h),
        stop: (kind, exitCode) => {
          this.outcome = kind === 'shutdown' ? { kind, exitCode } : { kind };
        },
      },
      profile,
      config.traceExits ?? 0,
    );
    // PLIC context 2h is hart h's M-mode (the hypervisor's, unused), 2h+1 its S-mode.
    this.plic = new Plic(2 * config.harts, (context, level) => {
      if ((context & 1) === 0) return;
      const h = this.harts[context >>> 1];
      if (level) this.hv.inject(h, MIP_SEIP);
      else h.setPending(MIP_SEIP, false);
    });
    this.uart = new Uart16550('uart0', this.console, (level) =>
      this.plic.setLevel(VIRT_MAP.uart.irq, level),
    );
    const network = config.network?.switch ?? new VirtualSwitch();
    this.ownSwitch = config.network ? null : network;
    this.devices = new VirtDevices(config.devices ?? [], {
      ram: this.ram,
      bus: this.bus,
      console: this.console,
      irq: (source, level) => this.plic.setLevel(source, level),
      network,
      vmIndex: config.network?.vmIndex ?? 0,
    });
    // Input goes to a virtio console first: bytes it takes are no longer the UART's.
    const vcon = this.devices.virtioConsole;
    this.console.onInput = () => {
      vcon?.inputArrived();
      this.uart.inputArrived();
    };
    const finisher = new TestFinisher((o) => {
      // The finisher is the syscon poweroff/reboot device of the DTB.
      if (o.kind === 'reset') this.hv.systemReset('reboot', 0);
      else this.hv.systemReset('shutdown', o.code);
    });
    const map = VIRT_MAP;
    this.bus.map(map.test.base, map.test.size, finisher);
    this.bus.map(map.plic.base, map.plic.size, this.plic);
    this.bus.map(map.uart.base, map.uart.size, this.uart);
    for (let i = this.devices.virtioSlotsUsed; i < map.virtio.maxSlots; i++) {
      const base = map.virtio.base + i * map.virtio.stride;
      this.bus.map(base, map.virtio.size, new EmptyVirtioSlot(`virtio${i}`));
    }
  }

  /** Load an ELF image, place the DTB and start hart 0 at the entry, as firmware would. */
  loadImage(image: Uint8Array): void {
    const entry = loadElf(image, this.ram);
    const isa = this.profile.sstc ? `${ISA}_sstc` : ISA;
    const dtb = buildVirtDtb({
      harts: this.config.harts,
      ramBase: RAM_BASE,
      ramSize: this.config.memBytes,
      isa,
      isaExtensions: this.profile.sstc ? [...ISA_EXTENSIONS, 'sstc'] : ISA_EXTENSIONS,
      timebaseHz: this.profile.timebaseHz,
      bootargs: this.config.bootargs,
      virtioSlots: VIRT_MAP.virtio.maxSlots,
      nic: this.devices.kinds.includes('nic'),
    });
    // Where QEMU puts it: the top of RAM (below 3 GiB), aligned down to 2 MiB.
    const top = Math.min(RAM_BASE + this.config.memBytes, 0xc0000000);
    this.dtbAddr = Math.floor((top - dtb.length) / 0x200000) * 0x200000;
    if (this.dtbAddr < RAM_BASE)
      this.dtbAddr = RAM_BASE + this.config.memBytes - align8(dtb.length);
    if (!this.ram.write(this.dtbAddr, dtb))
      throw new ImageError('RAM too small for the device tree');
    this.hv.boot(this.harts[0], entry, this.dtbAddr);
  }

  /**
   * The whole VM between rounds: harts, RAM, devices, hypervisor state, time. The config
   * is saved too, but the caller builds the VirtMachine to restore into (see configOf).
   */
  save(): SnapObject {
    const { memBytes, harts, bootargs, clock } = this.config;
    return {
      config: { memBytes, harts, bootargs, clock, devices: [...this.devices.kinds] },
      roundEnd: this.roundEnd,
      dtbAddr: this.dtbAddr,
      outcome: this.outcome === null ? null : JSON.stringify(this.outcome),
      busFault: this.busFault,
      time: this.realtime === null ? 0 : this.realtime.now(),
      harts: this.harts.map((h) => h.save()),
      ram: this.ram.save(),
      hv: this.hv.save(),
      plic: this.plic.save(),
      uart: this.uart.save(),
      console: this.console.save(),
      devices: this.devices.save(),
      network: this.ownSwitch?.save() ?? null,
    };
  }

  /** The config a saved VM was built with, to construct the VirtMachine to restore into. */
  static configOf(
    s: SnapObject,
  ): Pick<VirtConfig, 'memBytes' | 'harts' | 'bootargs' | 'clock' | 'devices'> {
    const c = snapObject(s, 'config');
    const clock = snapString(c, 'clock');
    if (clock !== 'deterministic' && clock !== 'realtime')
      throw new SnapshotError(`snapshot clock mode '${clock}' is unknown`);
    return {
      memBytes: snapNumber(c, 'memBytes'),
      harts: snapNumber(c, 'harts'),
      bootargs: snapString(c, 'bootargs'),
      clock,
      devices: snapArray(c, 'devices').map((d) => parseDeviceKind(String(d))),
    };
  }

  /** Restore into a VirtMachine freshly built with configOf(s) (no image loaded). */
  restore(s: SnapObject): void {
    const harts = snapArray(s, 'harts');
    if (harts.length !== this.harts.length)
      throw new SnapshotError(`snapshot has ${harts.length} harts, this VM ${this.harts.length}`);
    this.ram.restore(snapObject(s, 'ram'));
    harts.forEach((hs, i) => {
      if (!isSnapObject(hs)) throw new SnapshotError(`snapshot hart ${i} is malformed`);
      this.harts[i].restore(hs);
    });
    this.hv.restore(snapObject(s, 'hv'));
    this.plic.restore(snapObject(s, 'plic'));
    this.uart.restore(snapObject(s, 'uart'));
    this.console.restore(snapObject(s, 'console'));
    this.devices.restore(s);
    if (this.ownSwitch && isSnapObject(s.network)) this.ownSwitch.restore(s.network);
    this.roundEnd = snapNumber(s, 'roundEnd');
    this.dtbAddr = snapNumber(s, 'dtbAddr');
    this.busFault = snapBool(s, 'busFault');
    const outcome = s.outcome;
    this.outcome = typeof outcome === 'string' ? (JSON.parse(outcome) as Outcome) : null;
    this.realtime?.rebase(snapNumber(s, 'time'));
  }

  /** Realtime mode: guest time stands still from pauseTime() to resumeTime(), as QEMU's
   * virtual clock does while a VM is stopped. Deterministic time only moves when run. */
  pauseTime(): void {
    if (this.realtime) this.frozenAt = this.realtime.now();
  }

  resumeTime(): void {
    if (this.realtime && this.frozenAt >= 0) this.realtime.rebase(this.frozenAt);
    this.frozenAt = -1;
  }

  /** Run one scheduling round (see the class comment). */
  runRound(): RoundResult {
    if (this.outcome !== null) return { state: 'stopped', wakeInMs: 0 };
    this.devices.poll();
    return this.realtime === null ? this.deterministicRound() : this.realtimeRound(this.realtime);
  }

  private deterministicRound(): RoundResult {
    if (this.harts.every((h) => this.sleeping(h))) {
      // Everyone sleeps: skip virtual time to the earliest timer, if any is armed.
      // (Asking for the next timer also fires any that is due, which may wake a hart.)
      const next = Math.min(...this.harts.map((h) => (h.halted ? Infinity : h.nextTimerTick())));
      if (next !== Infinity)
        this.roundEnd = Math.max(this.roundEnd, next * this.cyclesPerTick - QUANTUM);
      else if (this.harts.every((h) => this.sleeping(h)))
        return { state: 'idle', wakeInMs: Infinity };
    }
    const end = this.roundEnd + QUANTUM;
    for (const h of this.harts) {
      this.current = h;
      while (h.cycles < end && this.outcome === null) {
        if (h.halted) break;
        h.run(Math.max(1, Math.ceil((end - h.cycles) / h.cpi)));
        if (!h.wfi) continue;
        // Asleep: until its next timer, or the end of the round, whichever is first.
        const wake = Math.min(end, h.nextTimerTick() * this.cyclesPerTick);
        if (wake > h.cycles) h.stallCycles += wake - h.cycles;
        if (wake >= end) break;
      }
      if (h.cycles < end) h.stallCycles += end - h.cycles; // stopped or asleep: time passes
    }
    this.roundEnd = end;
    return { state: this.outcome ? 'stopped' : 'running', wakeInMs: 0 };
  }

  private realtimeRound(clock: RealtimeClock): RoundResult {
    let ran = false;
    for (const h of this.harts) {
      this.current = h;
      if (h.halted) continue;
      h.run(REALTIME_QUANTUM);
      if (!h.wfi) ran = true;
      if (this.outcome) return { state: 'stopped', wakeInMs: 0 };
    }
    if (ran) return { state: 'running', wakeInMs: 0 };
    const next = Math.min(...this.harts.map((h) => (h.halted ? Infinity : h.nextTimerTick())));
    return { state: 'idle', wakeInMs: next === Infinity ? Infinity : clock.msUntil(next) };
  }

  /** A hart in WFI with nothing pending, or stopped: it will not run until something happens. */
  private sleeping(h: Hart): boolean {
    return h.halted || (h.wfi && (h.mip & h.mie) === 0);
  }

  // HartPlatform
  load(pa: number, size: number): number {
    const r = this.bus.find(pa);
    if (r === null) {
      this.busFault = true;
      return 0;
    }
    this.hv.mmioExit(this.current, r.device.name, false);
    return r.device.read(pa - r.base, size);
  }

  store(pa: number, size: number, value: number): void {
    const r = this.bus.find(pa);
    if (r === null) {
      this.busFault = true;
      return;
    }
    this.hv.mmioExit(this.current, r.device.name, true);
    r.device.write(pa - r.base, size, value);
  }

  now(h: Hart): number {
    return this.clock.now(h);
  }

  insnsUntil(h: Hart, tick: number): number {
    return this.clock.insnsUntil(h, tick);
  }

  timerEvent(h: Hart): number {
    return this.hv.timerEvent(h);
  }
}

function align8(n: number): number {
  return (n + 7) & ~7;
}
