/**
 * The launcher's form as a session config: the checks the form can make itself (each a
 * one-line message naming the field) and the rules that tie fields together.
 */
import type { SessionConfig } from '../../../main/src/api/lab-api.ts';
import type { ClockMode } from '../../../main/src/api/runs.ts';

/** Optional devices in slot order, as the board takes them. */
export const DEVICE_KINDS = ['console', 'net', 'balloon', 'nic'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

/** labos's `console=`: the 16550 (trap-and-emulate), SBI debug console or virtio console. */
export const CONSOLE_TYPES = ['uart', 'dbcn', 'virtio'] as const;
export type ConsoleType = (typeof CONSOLE_TYPES)[number];

/** The form's number fields: their labels (which the messages name) and ranges. */
export const NUMBER_FIELDS = {
  ramMiB: { label: 'RAM (MiB)', min: 1, max: 1024 },
  vcpus: { label: 'vCPUs', min: 1, max: 8 },
  vms: { label: 'VMs', min: 1, max: 4 },
} as const;
export type NumberField = keyof typeof NUMBER_FIELDS;

export interface LaunchForm {
  image: string;
  ramMiB: number | null;
  vcpus: number | null;
  vms: number | null;
  devices: Record<DeviceKind, boolean>;
  console: ConsoleType;
  profile: string;
  clock: ClockMode;
  /** Extra bootargs after `console=`. */
  bootargs: string;
}

/**
 * The form as it opens: 64 MiB, one vCPU, one VM, no optional device, the uart, the
 * realtime clock; the image and the profile are picked once the host has listed them.
 */
export function defaultForm(): LaunchForm {
  return {
    image: '',
    ramMiB: 64,
    vcpus: 1,
    vms: 1,
    devices: { console: false, net: false, balloon: false, nic: false },
    console: 'uart',
    profile: '',
    clock: 'realtime',
    bootargs: '',
  };
}

/** The device a console type cannot do without: the virtio console needs its device. */
export function consoleDevice(type: ConsoleType): DeviceKind | null {
  return type === 'virtio' ? 'console' : null;
}

function whole(f: LaunchForm, field: NumberField): number {
  const value = f[field];
  const { label, min, max } = NUMBER_FIELDS[field];
  if (value === null || !Number.isInteger(value) || value < min || value > max)
    throw new Error(`${label} must be a whole number from ${min} to ${max}`);
  return value;
}

/** The config to create; throws an Error naming the first field that is wrong. */
export function sessionConfig(f: LaunchForm): SessionConfig {
  if (!f.image) throw new Error('pick an image');
  if (!f.profile) throw new Error('pick a host profile');
  const ramMiB = whole(f, 'ramMiB');
  const harts = whole(f, 'vcpus');
  const count = whole(f, 'vms');
  const extra = f.bootargs.trim();
  if (/(^|\s)console=/.test(extra))
    throw new Error('extra bootargs: choose the console with the Console field, not console=');
  const required = consoleDevice(f.console);
  const devices = DEVICE_KINDS.filter((k) => f.devices[k] || k === required);
  const bootargs = extra ? `console=${f.console} ${extra}` : `console=${f.console}`;
  return {
    vms: Array.from({ length: count }, () => ({
      image: f.image,
      memBytes: ramMiB * 1024 * 1024,
      harts,
      bootargs,
      devices: [...devices],
    })),
    profile: f.profile,
    clock: f.clock,
  };
}
