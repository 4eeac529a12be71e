import { expect, test } from 'vitest';
import { vmConfig } from './testing/lab.ts';
import { defaultForm, sessionConfig, type LaunchForm } from './launch-config.ts';

const form = (f: Partial<LaunchForm> = {}): LaunchForm => ({
  ...defaultForm(),
  image: 'labos.elf',
  profile: 'kvm',
  ...f,
});

test('one VM per count, devices in slot order, console= first in the bootargs', () => {
  const c = sessionConfig(
    form({
      ramMiB: 32,
      vcpus: 4,
      vms: 2,
      devices: { console: false, net: true, balloon: false, nic: true },
      console: 'dbcn',
      clock: 'deterministic',
      bootargs: '  timer=sstc ',
    }),
  );
  const vm = vmConfig({
    memBytes: 32 << 20,
    harts: 4,
    bootargs: 'console=dbcn timer=sstc',
    devices: ['net', 'nic'],
  });
  expect(c).toEqual({ vms: [vm, vm], profile: 'kvm', clock: 'deterministic' });
  expect(c.vms[0].devices).not.toBe(c.vms[1].devices);
});

test('console=virtio brings the virtio console device, in its slot', () => {
  const c = sessionConfig(
    form({ console: 'virtio', devices: { console: false, net: true, balloon: true, nic: false } }),
  );
  expect(c.vms[0].devices).toEqual(['console', 'net', 'balloon']);
  expect(c.vms[0].bootargs).toBe('console=virtio');
});

test.each([
  [{ image: '' }, 'pick an image'],
  [{ profile: '' }, 'pick a host profile'],
  [{ ramMiB: 0 }, 'RAM (MiB) must be a whole number from 1 to 1024'],
  [{ ramMiB: null }, 'RAM (MiB) must be a whole number from 1 to 1024'],
  [{ vcpus: 9 }, 'vCPUs must be a whole number from 1 to 8'],
  [{ vcpus: 1.5 }, 'vCPUs must be a whole number from 1 to 8'],
  [{ vms: 5 }, 'VMs must be a whole number from 1 to 4'],
  [
    { bootargs: 'timer=sbi console=dbcn' },
    'extra bootargs: choose the console with the Console field, not console=',
  ],
])('%o is refused: %s', (bad, message) => {
  expect(() => sessionConfig(form(bad as Partial<LaunchForm>))).toThrow(message);
});
