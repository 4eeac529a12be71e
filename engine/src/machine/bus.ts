/**
 * The physical address decoder for everything that is not RAM. Lookups are a short
 * linear scan: only slow-path accesses (MMIO exits) get here, never the TLB fast path.
 */
export interface MmioDevice {
  /** Short name used in exit statistics ("uart0", "clint", ...). */
  readonly name: string;
  read(offset: number, size: number): number;
  write(offset: number, size: number, value: number): void;
}

export interface BusRegion {
  readonly base: number;
  readonly size: number;
  readonly device: MmioDevice;
}

export class Bus {
  private readonly regions: BusRegion[] = [];

  map(base: number, size: number, device: MmioDevice): void {
    for (const r of this.regions) {
      if (base < r.base + r.size && r.base < base + size) {
        throw new Error(`${device.name} at 0x${base.toString(16)} overlaps ${r.device.name}`);
      }
    }
    this.regions.push({ base, size, device });
  }

  find(pa: number): BusRegion | null {
    for (const r of this.regions) if (pa >= r.base && pa < r.base + r.size) return r;
    return null;
  }

  get mapped(): readonly BusRegion[] {
    return this.regions;
  }
}
