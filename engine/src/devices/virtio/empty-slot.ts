import type { MmioDevice } from '../../machine/bus.ts';

/**
 * A virtio-mmio slot with no device behind it, as QEMU's virt board shows one: the
 * magic value and version 2, then DeviceID 0, which tells a driver to skip the slot.
 */
const MAGIC = 0x74726976; // "virt"
const VENDOR_ID = 0x554d4551; // "QEMU", as QEMU reports for its slots

export class EmptyVirtioSlot implements MmioDevice {
  readonly name: string;

  constructor(name: string) {
    this.name = name;
  }

  read(off: number, size: number): number {
    if (size !== 4) return 0;
    switch (off) {
      case 0x000:
        return MAGIC;
      case 0x004:
        return 2;
      case 0x00c:
        return VENDOR_ID;
      default:
        return 0; // DeviceID 0: no device
    }
  }

  write(): void {}
}
