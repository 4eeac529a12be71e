import '../lib/testing/jsdom-stubs.ts';
import { fireEvent, render, screen } from '@testing-library/svelte';
import { expect, test } from 'vitest';
import { testLab } from '../lib/testing/lab.ts';
import { vmStats } from '../lib/testing/samples.ts';
import BalloonPanel from './BalloonPanel.svelte';

const stats = vmStats({
  devices: { 'virtio-balloon0': { actual: 2560, target: 2560, kicks: 4 } },
  memory: { pages: 16384, framesMapped: 13824 },
  balloonStats: { memfree: 3 << 20, majflt: 2 },
});

async function setup(s = stats, ended = false) {
  const lab = await testLab();
  render(BalloonPanel, {
    props: { session: 's1', vm: 1, ramMiB: 64, stats: s, ended },
    context: lab.context,
  });
  return lab;
}

test('actual size, the host frames behind the guest, and the guest statistics', async () => {
  await setup();
  expect(screen.getByTestId('balloon-actual').dataset.mib).toBe('10');
  expect(screen.getByTestId('balloon-actual').textContent).toBe('10 MiB');
  const host = screen.getByTestId('balloon-host');
  const said = host.textContent!.replace(/\s+/g, ' ');
  expect(host.dataset.value).toBe('13824');
  expect(said).toContain('13824 of 16384 guest pages');
  expect(said).toContain('(54 MiB of 64 MiB)');
  const guest = [...screen.getByTestId('balloon-stats').querySelectorAll('div')].map((d) => [
    d.querySelector('dt')!.textContent,
    d.querySelector('dd')!.textContent,
  ]);
  expect(guest).toEqual([
    ['free memory', '3 MiB'],
    ['major faults', '2'],
  ]);
});

test('the slider starts at the host’s target; apply sends the MiB chosen for this VM', async () => {
  const { client } = await setup();
  const slider = screen.getByLabelText('Target') as HTMLInputElement;
  expect(slider.max).toBe('64');
  expect(slider.value).toBe('10');
  await fireEvent.input(slider, { target: { value: '40' } });
  expect(screen.getByTestId('balloon-target-value').textContent).toBe('40 MiB');
  await fireEvent.click(screen.getByTestId('balloon-apply'));
  expect(client.callsOf('balloonTarget')).toEqual([{ session: 's1', vm: 1, mib: 40 }]);
  expect(await screen.findByText('target set to 40 MiB')).toBeTruthy();
});

test('a refused target shows one line', async () => {
  const { client } = await setup();
  client.handlers.balloonTarget = () => {
    throw new Error('the VM has no balloon');
  };
  await fireEvent.click(screen.getByTestId('balloon-apply'));
  expect((await screen.findByRole('alert')).textContent).toBe('balloon: the VM has no balloon');
});

test('before the first figures: no actual size, no host figure', async () => {
  const lab = await testLab();
  render(BalloonPanel, {
    props: { session: 's1', vm: 0, ramMiB: 64, stats: undefined, ended: false },
    context: lab.context,
  });
  expect(screen.getByTestId('balloon-actual').dataset.mib).toBeUndefined();
  expect(screen.queryByTestId('balloon-host')).toBeNull();
  expect(screen.getByTestId('balloon-target-value').textContent).toBe('0 MiB');
});

test('an ended session takes no target', async () => {
  await setup(stats, true);
  expect((screen.getByTestId('balloon-apply') as HTMLButtonElement).disabled).toBe(true);
});
