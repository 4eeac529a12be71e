import type { Hart } from '../cpu/hart.ts';

/** How a board tells time: per hart, in timebase ticks. */
export interface Clock {
  now(h: Hart): number;
  /** Instructions `h` may run before the time reaches `tick` (a hint for block length). */
  insnsUntil(h: Hart, tick: number): number;
}

/**
 * Deterministic virtual time (like QEMU's icount): a hart's time is its virtual cycles
 * (retired instructions x CPI plus stalls) divided by cycles per timebase tick, so the
 * same image and inputs give the same timer interrupts at the same instruction on any
 * host.
 */
export class VirtualClock implements Clock {
  readonly cpuHz: number;
  readonly timebaseHz: number;
  readonly cyclesPerTick: number;

  constructor(cpuHz: number, timebaseHz: number) {
    this.cpuHz = cpuHz;
    this.timebaseHz = timebaseHz;
    this.cyclesPerTick = cpuHz / timebaseHz;
  }

  now(h: Hart): number {
    return Math.floor(h.cycles / this.cyclesPerTick);
  }

  insnsUntil(h: Hart, tick: number): number {
    return Math.max(1, Math.ceil((tick * this.cyclesPerTick - h.cycles) / h.cpi));
  }

  /** Let a hart sleep (WFI) until `tick`: its cycles advance without instructions. */
  sleepUntil(h: Hart, tick: number): void {
    const target = tick * this.cyclesPerTick;
    if (h.cycles < target) h.stallCycles += target - h.cycles;
  }
}

/**
 * Real time (interactive consoles): the guest's time follows the host's monotonic clock,
 * the same for every hart. Instruction counts say nothing about when a tick comes, so
 * blocks are sized by an assumed rate and time is checked at every block boundary.
 */
export class RealtimeClock implements Clock {
  readonly timebaseHz: number;
  private t0: number;
  private readonly hostNow: () => number;

  constructor(timebaseHz: number, hostNow: () => number) {
    this.timebaseHz = timebaseHz;
    this.hostNow = hostNow;
    this.t0 = hostNow();
  }

  now(): number {
    return Math.floor(((this.hostNow() - this.t0) * this.timebaseHz) / 1000);
  }

  insnsUntil(_h: Hart, tick: number): number {
    // About 10 instructions a tick at 100 MIPS and 10 MHz; re-checked every block anyway.
    return Math.max(1, Math.min(4096, (tick - this.now()) * 10));
  }

  /** Continue from `tick` now: after a pause or a restore, guest time does not jump. */
  rebase(tick: number): void {
    this.t0 = this.hostNow() - (tick * 1000) / this.timebaseHz;
  }

  /** Host milliseconds until the time reaches `tick`. */
  msUntil(tick: number): number {
    return Math.max(0, ((tick - this.now()) * 1000) / this.timebaseHz);
  }
}
