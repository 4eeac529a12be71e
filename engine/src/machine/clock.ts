import type { Hart } from '../cpu/hart.ts';

/**
 * Deterministic virtual time (like QEMU's icount): a hart's time is its virtual cycles
 * (retired instructions x CPI plus stalls) divided by cycles per timebase tick, so the
 * same image and inputs give the same timer interrupts at the same instruction on any
 * host.
 */
export class VirtualClock {
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
