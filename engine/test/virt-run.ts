import { readFileSync } from 'node:fs';
import { parseProfile, type HostProfile } from '../src/hv/profile.ts';
import { VirtMachine } from '../src/machine/virt.ts';
import type { DeviceKind } from '../src/machine/virt-devices.ts';
import { ASSETS } from './tools.ts';

export function profile(name: string): HostProfile {
  return parseProfile(JSON.parse(readFileSync(`${ASSETS}profiles/${name}.json`, 'utf8')), name);
}

export interface VirtRun {
  vm: VirtMachine;
  console: string;
}

/** Boot a guest image on the virt board in deterministic mode and run it to the end. */
export function runVirtImage(
  image: string,
  opts: {
    harts?: number;
    profile?: string;
    bootargs?: string;
    input?: string;
    memBytes?: number;
    devices?: DeviceKind[];
  } = {},
): VirtRun {
  let out = '';
  const vm = new VirtMachine(
    {
      memBytes: opts.memBytes ?? 64 << 20,
      harts: opts.harts ?? 1,
      bootargs: opts.bootargs ?? '',
      clock: 'deterministic',
      devices: opts.devices,
    },
    profile(opts.profile ?? 'kvm'),
    (b) => (out += String.fromCharCode(b)),
  );
  vm.loadImage(readFileSync(`${ASSETS}${image}`));
  if (opts.input) vm.console.pushInput(new TextEncoder().encode(opts.input));
  for (let round = 0; vm.runRound().state === 'running'; round++) {
    if (round > 1_000_000) throw new Error(`${image} did not finish`);
  }
  return { vm, console: out };
}
