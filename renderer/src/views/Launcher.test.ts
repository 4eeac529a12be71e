import '../lib/testing/jsdom-stubs.ts';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, expect, test } from 'vitest';
import type { SessionConfig } from '../../../main/src/api/lab-api.ts';
import { sessionInfo, testLab, vmConfig } from '../lib/testing/lab.ts';
import Launcher from './Launcher.svelte';

beforeEach(() => {
  location.hash = '';
});

async function setup(createSession = (c: SessionConfig) => sessionInfo('new-1', c)) {
  const lab = await testLab([], {
    listImages: () => [
      { name: 'hello.elf', description: 'prints hello', bytes: 2048 },
      { name: 'labos.elf', description: 'the lab kernel', bytes: 117_760 },
    ],
    listProfiles: () => ['kvm-trap-time', 'kvm'],
    createSession,
  });
  render(Launcher, { context: lab.context });
  await screen.findByRole('option', { name: 'labos.elf (115 KiB)' });
  return lab;
}

const field = (testid: string) => screen.getByTestId(testid) as HTMLInputElement;

test('defaults: labos, 64 MiB, one vCPU and VM, uart, kvm, realtime; fields are labelled', async () => {
  await setup();
  expect(screen.getByLabelText('Image')).toHaveProperty('value', 'labos.elf');
  expect(screen.getByText('the lab kernel')).toBeTruthy();
  expect(screen.getByLabelText('RAM (MiB)')).toHaveProperty('value', '64');
  expect(screen.getByLabelText('vCPUs')).toHaveProperty('value', '1');
  expect(screen.getByLabelText('VMs')).toHaveProperty('value', '1');
  expect(field('launch-console').value).toBe('uart');
  expect(screen.getByLabelText('Host profile')).toHaveProperty('value', 'kvm');
  expect(screen.getByLabelText('Clock')).toHaveProperty('value', 'realtime');
  expect(screen.getByLabelText('Extra bootargs')).toHaveProperty('value', '');
  expect(screen.getByLabelText('virtio-net')).toHaveProperty('checked', false);
});

test('Start creates the session the form describes, starts it and opens it', async () => {
  const { client } = await setup();
  await fireEvent.change(field('launch-image'), { target: { value: 'hello.elf' } });
  await fireEvent.input(field('launch-ram'), { target: { value: '128' } });
  await fireEvent.input(field('launch-vcpus'), { target: { value: '2' } });
  await fireEvent.input(field('launch-vms'), { target: { value: '2' } });
  await fireEvent.click(field('launch-device-net'));
  await fireEvent.click(field('launch-device-balloon'));
  await fireEvent.change(field('launch-profile'), { target: { value: 'kvm-trap-time' } });
  await fireEvent.change(field('launch-clock'), { target: { value: 'deterministic' } });
  await fireEvent.input(field('launch-bootargs'), { target: { value: 'timer=sstc' } });
  await fireEvent.click(field('launch-start'));
  await waitFor(() => expect(location.hash).toBe('#/session/new-1'));
  const vm = vmConfig({
    image: 'hello.elf',
    memBytes: 128 << 20,
    harts: 2,
    bootargs: 'console=uart timer=sstc',
    devices: ['net', 'balloon'],
  });
  expect(client.callsOf('createSession')).toEqual([
    { vms: [vm, vm], profile: 'kvm-trap-time', clock: 'deterministic' },
  ]);
  expect(client.callsOf('start')).toEqual([{ session: 'new-1' }]);
});

test('console=virtio checks the console device itself, says so, and sends it', async () => {
  const { client } = await setup();
  await fireEvent.change(field('launch-console'), { target: { value: 'virtio' } });
  expect(field('launch-device-console').checked).toBe(true);
  expect(field('launch-device-console').disabled).toBe(true);
  expect(screen.getByRole('status').textContent).toContain('virtio console device');
  await fireEvent.click(field('launch-start'));
  await waitFor(() => expect(client.callsOf('start')).toHaveLength(1));
  expect(client.callsOf('createSession')[0].vms[0]).toMatchObject({
    bootargs: 'console=virtio',
    devices: ['console'],
  });
});

test('a refusal from the host shows one line, and nothing is started', async () => {
  const { client } = await setup(() => {
    throw new Error("image 'labos.elf' is not in the library");
  });
  await fireEvent.click(field('launch-start'));
  const error = await screen.findByTestId('launch-error');
  expect(error.textContent).toBe("image 'labos.elf' is not in the library");
  expect(client.callsOf('start')).toEqual([]);
  expect(location.hash).toBe('');
});

test('a bad field is named without asking the host', async () => {
  const { client } = await setup();
  await fireEvent.input(field('launch-vcpus'), { target: { value: '12' } });
  await fireEvent.click(field('launch-start'));
  expect((await screen.findByTestId('launch-error')).textContent).toBe(
    'vCPUs must be a whole number from 1 to 8',
  );
  expect(client.callsOf('createSession')).toEqual([]);
});
