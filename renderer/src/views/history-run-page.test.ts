import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RunRecord } from '../../../main/src/api/runs.ts';
import type { Handlers } from '../lib/testing/fake-client.ts';
import { captureDownloads } from '../lib/testing/downloads.ts';
import { exitReport, runRecord } from '../lib/testing/runs.ts';
import { testLab } from '../lib/testing/lab.ts';
import RunPage from './RunPage.svelte';

const base = runRecord({ id: 7 });
const RUN: RunRecord = {
  ...base,
  image: { name: 'labos.elf', sha256: 'feedface0123'.padEnd(64, '0') },
  config: { ...base.config, devices: ['console', 'net'], bootargs: 'quiet', smp: 2 },
  end: {
    ...base.end!,
    exitCode: 3,
    reason: 'guest shut down (status 3)',
    exits: {
      ...exitReport({ sbi: 1234, mmio_read: 5 }),
      byVcpu: [exitReport({ sbi: 1000 }).byReason, exitReport({ sbi: 234, mmio_read: 5 }).byReason],
      sbi: { TIME: { set_timer: 1200 }, DBCN: { write: 34 } },
      mmio: { uart0: { read: 5, write: 0 } },
    },
    deviceMetrics: { 'virtio-net0': { packets: 4321 } },
  },
  transcript: { text: 'Hello from labos\n$ ', totalBytes: 100_000, truncated: true },
};

async function show(handlers: Handlers, id = 7) {
  const lab = await testLab([], handlers);
  render(RunPage, { props: { id }, context: lab.context });
  return lab.client;
}

/** The cells of a table's row by its label, as shown. */
function row(table: HTMLElement, label: string): string[] {
  const tr = within(table).getByText(label).closest('tr')!;
  return [...tr.children].map((c) => c.textContent!.trim());
}

beforeEach(() => {
  location.hash = '#/run/7';
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('Run page', () => {
  it('shows the configuration, outcome, exits and transcript', async () => {
    const client = await show({ getRun: () => RUN });
    const config = await screen.findByTestId('run-config');
    expect(client.callsOf('getRun')).toEqual([{ id: 7 }]);
    for (const text of ['labos.elf', 'feedface0123', '64 MiB', 'console, net', 'quiet'])
      expect(config.textContent).toContain(text);
    expect(within(config).getByText('feedface0123').getAttribute('title')).toBe(
      `sha256 ${RUN.image.sha256}`,
    );
    const outcome = screen.getByTestId('run-outcome');
    expect(outcome.textContent).toContain('guest shut down (status 3)');
    expect(within(outcome).getByText('3')).toBeTruthy();

    const exits = screen.getByTestId('run-exits');
    // Reason, exits, cycles, then one column per vCPU.
    expect(row(exits, 'sbi')).toEqual(['sbi', '1,234', '12,340', '1,000', '234']);
    expect(row(exits, 'mmio_read')).toEqual(['mmio_read', '5', '50', '0', '5']);
    expect(screen.getByText('set_timer').closest('tr')!.textContent).toContain('1,200');
    expect(screen.getByText('uart0').closest('tr')!.textContent).toContain('5');
    expect(screen.getByText('packets').closest('tr')!.textContent).toContain('4,321');

    expect(screen.getByTestId('run-transcript').textContent).toBe('Hello from labos\n$ ');
    expect(screen.getByText(/Cut at the store's limit/).textContent).toMatch(
      /first 19 of 100,000 bytes/,
    );
  });

  it('says when there is no such run', async () => {
    await show({ getRun: () => null }, 99);
    expect((await screen.findByTestId('run-not-found')).textContent).toContain('no run 99');
  });

  it('asks before deleting, and goes back to the history after', async () => {
    const client = await show({ getRun: () => RUN, deleteRun: () => true });
    await fireEvent.click(await screen.findByTestId('run-delete'));
    expect(document.activeElement!.textContent).toBe('Cancel');
    await fireEvent.click(screen.getByText('Cancel'));
    expect(screen.queryByTestId('run-delete-confirm')).toBeNull();

    await fireEvent.click(screen.getByTestId('run-delete'));
    expect(client.callsOf('deleteRun')).toEqual([]);
    await fireEvent.click(screen.getByTestId('run-delete-confirm'));
    await waitFor(() => expect(location.hash).toBe('#/history'));
    expect(client.callsOf('deleteRun')).toEqual([{ id: 7 }]);
  });

  it('exports this run as JSON', async () => {
    const { downloads } = captureDownloads();
    const client = await show({ getRun: () => RUN, exportRuns: () => '{"runs":[]}' });
    await fireEvent.click(await screen.findByTestId('run-export-json'));
    await waitFor(() => expect(downloads).toHaveLength(1));
    expect(client.callsOf('exportRuns')).toEqual([{ ids: [7], format: 'json' }]);
    expect(downloads[0].fileName).toBe('hvlab-run-7.json');
    expect(await downloads[0].text()).toBe('{"runs":[]}');
  });
});
