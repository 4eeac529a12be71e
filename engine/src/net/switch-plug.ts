import {
  formatMac,
  toMac,
  type MacAddress,
  type SwitchPort,
  type VirtualSwitch,
} from './switch.ts';

/**
 * A network device's end of the cable to the virtual switch: its MAC and, while plugged
 * in, its switch port. Every NIC model (virtio-net, the e1000) needs the same plumbing —
 * attach with a receive callback, detach, send when plugged, keep the port's MAC in step
 * after a snapshot restore — so it lives here once instead of in each device.
 */
export class SwitchPlug {
  private port: SwitchPort | null = null;
  private bytes: MacAddress;
  private readonly deliver: (frame: Uint8Array) => boolean;

  /** `deliver` receives frames from the switch; false means the device had no room. */
  constructor(mac: MacAddress | string, deliver: (frame: Uint8Array) => boolean) {
    this.bytes = toMac(mac);
    this.deliver = deliver;
  }

  /** The device's MAC bytes (its own copy: read it, change it only through setMac). */
  get macBytes(): MacAddress {
    return this.bytes;
  }

  get mac(): string {
    return formatMac(this.bytes);
  }

  /** Replace the MAC (a restore), telling the switch port if plugged in. */
  setMac(mac: MacAddress): void {
    this.bytes = mac.slice();
    if (this.port) this.port.mac = this.bytes.slice();
  }

  /** Plug into `sw` as port `name`, unplugging from any earlier switch first. */
  connect(sw: VirtualSwitch, name: string): SwitchPort {
    this.disconnect();
    const port = sw.attach(name, this.bytes, this.deliver);
    this.port = port;
    return port;
  }

  disconnect(): void {
    this.port?.detach();
    this.port = null;
  }

  /** Put a frame on the wire: false if unplugged or the switch dropped it. */
  send(frame: Uint8Array): boolean {
    return this.port !== null && this.port.send(frame);
  }
}
