import '../lib/testing/jsdom-stubs.ts';
import { render, screen } from '@testing-library/svelte';
import { beforeEach, expect, test, vi } from 'vitest';
import { FakeUPlot } from '../lib/testing/fake-uplot.ts';
import { sample } from '../lib/testing/samples.ts';
import ExitPanels from './ExitPanels.svelte';

vi.mock('uplot', async () => ({
  default: (await import('../lib/testing/fake-uplot.ts')).FakeUPlot,
}));

beforeEach(() => {
  FakeUPlot.live = [];
});

const samples = [
  sample(0, { byReason: { sbi: 0, mmio_write: 0 }, virtualSeconds: 0 }),
  sample(500, {
    byReason: { sbi: 10, mmio_write: 20 },
    mmio: { uart0: { read: 0, write: 20 } },
    virtualSeconds: 0.25,
  }),
  sample(1000, {
    byReason: { sbi: 30, mmio_write: 50 },
    mmio: { uart0: { read: 0, write: 40 }, 'virtio-net0': { read: 0, write: 10 } },
    virtualSeconds: 0.5,
  }),
];

test('figures: exits so far and the last interval’s rate', () => {
  render(ExitPanels, { props: { samples, vm: 0, visible: true } });
  expect(screen.getByTestId('exits-total').dataset.value).toBe('80');
  // 50 more exits in half a second.
  expect(screen.getByTestId('exits-rate').dataset.value).toBe('100');
  expect(screen.getByTestId('exits-rate').textContent!.trim()).toBe('100');
});

test('no rate before the second sample', () => {
  render(ExitPanels, { props: { samples: samples.slice(0, 1), vm: 0, visible: true } });
  expect(screen.getByTestId('exits-rate').dataset.value).toBeUndefined();
  expect(screen.getByTestId('exits-total').dataset.value).toBe('0');
});

test('charts get rates by reason (stacked), by device, and the two clocks', () => {
  render(ExitPanels, { props: { samples, vm: 0, visible: true } });
  const exits = FakeUPlot.of('chart-exits');
  expect(exits.labels).toEqual(['sbi', 'mmio_write']);
  // Stacked: mmio_write is drawn on top of sbi; the legend still reads its own rate.
  expect(exits.data).toEqual([
    [0.5, 1],
    [20, 40],
    [60, 100],
  ]);
  expect(exits.opts.bands).toEqual([{ series: [2, 1] }]);
  const legend = exits.opts.series[2].value as (
    u: unknown,
    v: number,
    si: number,
    i: number,
  ) => string;
  expect(legend(null, 100, 2, 1)).toBe('60');

  const devices = FakeUPlot.of('chart-devices');
  expect(devices.labels).toEqual(['uart0', 'virtio-net0']);
  expect(devices.data).toEqual([
    [0.5, 1],
    [40, 40],
    [0, 20],
  ]);
  expect(FakeUPlot.of('chart-time').data).toEqual([
    [0, 0.5, 1],
    [0, 0.25, 0.5],
    [0, 0.5, 1],
  ]);
});

test('a new sample redraws each chart once; hidden, they wait', async () => {
  const next = sample(1500, {
    byReason: { sbi: 40, mmio_write: 50 },
    mmio: { uart0: { read: 0, write: 40 }, 'virtio-net0': { read: 0, write: 10 } },
    virtualSeconds: 0.75,
  });
  const { rerender } = render(ExitPanels, { props: { samples, vm: 0, visible: true } });
  const time = FakeUPlot.of('chart-time');
  const before = time.draws;
  await rerender({ samples: [...samples, next] });
  expect(time.draws).toBe(before + 1);
  expect(time.data[1]).toEqual([0, 0.25, 0.5, 0.75]);

  await rerender({ visible: false });
  await rerender({ samples: [...samples, next, sample(2000, { virtualSeconds: 1 })] });
  expect(time.draws).toBe(before + 1);
  await rerender({ visible: true });
  expect(time.draws).toBe(before + 2);
  expect(time.data[1]).toEqual([0, 0.25, 0.5, 0.75, 1]);
});

test('another VM: its own figures', () => {
  const two = [
    sample(0, { byReason: { sbi: 0 } }, { byReason: { wfi: 0 } }),
    sample(1000, { byReason: { sbi: 5 } }, { byReason: { wfi: 7 } }),
  ];
  render(ExitPanels, { props: { samples: two, vm: 1, visible: true } });
  expect(screen.getByTestId('exits-total').dataset.value).toBe('7');
  expect(FakeUPlot.of('chart-exits').labels).toEqual(['wfi']);
});
