import '../lib/testing/jsdom-stubs.ts';
import { render, screen } from '@testing-library/svelte';
import { expect, test } from 'vitest';
import { sample } from '../lib/testing/samples.ts';
import NetworkPanel from './NetworkPanel.svelte';

const net = (tx: number, rx: number) => ({
  'virtio-net0': { txPackets: tx, rxPackets: rx, txDropped: 0, rxDropped: 1 },
  'virtio-balloon0': { actual: 0 },
});

test('frames per second and exits per frame sent, over the last interval', () => {
  const samples = [
    sample(0, { byReason: { mmio_write: 10 }, devices: net(0, 0) }),
    sample(500, { byReason: { mmio_write: 20 }, devices: net(100, 40) }),
    sample(1000, { byReason: { mmio_write: 26 }, devices: net(300, 90) }),
  ];
  render(NetworkPanel, { props: { samples, vm: 0 } });
  expect(screen.getByTestId('net-pps').dataset.value).toBe('400');
  expect(screen.getByTestId('net-exits-per-packet').dataset.value).toBe('0.03');
  expect(screen.getByTestId('net-exits-per-packet').textContent!.trim()).toBe('0.03');
  const rows = screen.getAllByRole('row').map((r) => r.textContent);
  expect(rows).toEqual(['devicesentreceiveddropped', 'virtio-net0300901']);
});

test('nothing sent: no exits-per-frame figure', () => {
  const samples = [sample(0, { devices: net(5, 0) }), sample(1000, { devices: net(5, 3) })];
  render(NetworkPanel, { props: { samples, vm: 0 } });
  expect(screen.getByTestId('net-pps').dataset.value).toBe('0');
  expect(screen.getByTestId('net-exits-per-packet').dataset.value).toBeUndefined();
  expect(screen.getByTestId('net-exits-per-packet').textContent!.trim()).toBe('—');
});
