/**
 * The optional devices of a virt VM (`--device console|net|balloon|nic`): built in the
 * order given, virtio devices in the virtio-mmio slots from the lowest address up (QEMU
 * fills them from the top; guests probe every slot), the emulated NIC in its own window.
 * Each has a name that exit statistics and metrics use ('virtio-console0', 'nic0').
 */
import { VirtioConsole } from '../devices/virtio/console/device.ts';
import { VirtioBalloon } from '../devices/virtio/balloon/device.ts';
import { VirtioMmio } from '../devices/virtio/mmio.ts';
import { VirtioNet } from '../devices/virtio/net/device.ts';
import { E1000Nic } from '../devices/nic/device.ts';
import { defaultMac, type VirtualSwitch } from '../net/switch.ts';
import type { GuestRam } from '../memory/guest-ram.ts';
import {
  isSnapObject,
  snapArray,
  SnapshotError,
  type SnapObject,
  type SnapValue,
} from '../snapshot/persist.ts';
import type { Bus } from './bus.ts';
import type { VmConsole } from './console.ts';
import { ImageError } from './elf-loader.ts';
import { VIRT_MAP } from './virt-dt.ts';

export const DEVICE_KINDS = ['console', 'net', 'balloon', 'nic'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

/** A device of the VM as the board drives it. */
interface BoardDevice {
  readonly name: string;
  metrics(): Record<string, number>;
  save(): SnapObject;
  restore(s: SnapObject): void;
}

export interface DeviceWiring {
  ram: GuestRam;
  bus: Bus;
  console: VmConsole;
  /** Drive a PLIC source. */
  irq(source: number, level: boolean): void;
  /** The session's switch that network devices plug into. */
  network: VirtualSwitch;
  /** This VM's number in its session: MACs and switch port names are unique by it. */
  vmIndex: number;
}

export class VirtDevices {
  readonly kinds: readonly DeviceKind[];
  private readonly devices: BoardDevice[] = [];
  /** The virtio console, when there is one: console input goes to it first. */
  readonly virtioConsole: VirtioConsole | null = null;
  /** The balloon, when there is one: the host sets its target. */
  readonly balloon: VirtioBalloon | null = null;
  /** Slots used (the rest are empty slots, as on QEMU). */
  readonly virtioSlotsUsed: number;
  private readonly nics: E1000Nic[] = [];

  constructor(kinds: readonly DeviceKind[], w: DeviceWiring) {
    this.kinds = kinds;
    const v = VIRT_MAP.virtio;
    let slot = 0;
    const count = new Map<DeviceKind, number>();
    for (const kind of kinds) {
      const n = count.get(kind) ?? 0;
      count.set(kind, n + 1);
      // Each network device of the session gets its own MAC: 52:54:00:12:34:56 + k.
      const mac = defaultMac(w.vmIndex * 8 + this.devices.length);
      if (kind === 'nic') {
        if (n > 0) throw new ImageError('--device nic: one per VM');
        const nic = new E1000Nic('nic0', w.ram, (level) => w.irq(VIRT_MAP.nic.irq, level), {
          mac,
        });
        nic.connect(w.network, `vm${w.vmIndex}.nic0`);
        w.bus.map(VIRT_MAP.nic.base, VIRT_MAP.nic.size, nic);
        this.nics.push(nic);
        this.devices.push(nic);
        continue;
      }
      if (slot === v.maxSlots)
        throw new ImageError(`--device: at most ${v.maxSlots} virtio devices (slots)`);
      const irq = v.firstIrq + slot;
      const base = v.base + slot * v.stride;
      const name = `virtio-${kind}${n}`;
      let model;
      switch (kind) {
        case 'console':
          if (this.virtioConsole) throw new ImageError('--device console: one per VM');
          model = new VirtioConsole(w.console);
          this.virtioConsole = model;
          break;
        case 'net': {
          const net = new VirtioNet({ mac });
          net.connect(w.network, `vm${w.vmIndex}.${name}`);
          model = net;
          break;
        }
        case 'balloon':
          if (this.balloon) throw new ImageError('--device balloon: one per VM');
          model = new VirtioBalloon();
          this.balloon = model;
          break;
      }
      const transport = new VirtioMmio(name, w.ram, model, (level) => w.irq(irq, level));
      w.bus.map(base, v.size, transport);
      this.devices.push(transport);
      slot++;
    }
    this.virtioSlotsUsed = slot;
  }

  /** Once per scheduling round: let a console that waited for its reader go on. */
  poll(): void {
    if (this.virtioConsole?.paused) this.virtioConsole.resumeTx();
    // Coalesced NIC interrupts held back by ITR go out at least once a round.
    for (const nic of this.nics) nic.itrExpired();
  }

  metrics(): Record<string, Record<string, number>> {
    return Object.fromEntries(this.devices.map((d) => [d.name, d.metrics()]));
  }

  save(): SnapValue[] {
    return this.devices.map((d) => d.save());
  }

  restore(states: SnapObject): void {
    const list = snapArray(states, 'devices');
    if (list.length !== this.devices.length)
      throw new SnapshotError(
        `snapshot has ${list.length} devices, this VM ${this.devices.length}`,
      );
    list.forEach((s, i) => {
      if (!isSnapObject(s)) throw new SnapshotError(`snapshot device ${i} is malformed`);
      this.devices[i].restore(s);
    });
  }
}

/** Check a --device value. */
export function parseDeviceKind(text: string): DeviceKind {
  if ((DEVICE_KINDS as readonly string[]).includes(text)) return text as DeviceKind;
  throw new ImageError(`--device ${text}: unknown device (available: ${DEVICE_KINDS.join(', ')})`);
}
