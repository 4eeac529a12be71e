import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RunFilter, RunSummary } from '../../../main/src/api/runs.ts';
import type { Handlers } from '../lib/testing/fake-client.ts';
import { captureDownloads } from '../lib/testing/downloads.ts';
import { runSummary } from '../lib/testing/runs.ts';
import { testLab } from '../lib/testing/lab.ts';
import History from './History.svelte';

// Started in id order (run 3 newest); exits and images chosen so each sort differs.
const RUNS: RunSummary[] = [
  runSummary({ id: 3, image: 'labos.elf', exitsTotal: 500, outcome: 'failed', reason: 'boom' }),
  runSummary({ id: 2, image: 'bare.elf', exitsTotal: 9000 }),
  runSummary({ id: 1, image: 'labos.elf', exitsTotal: 700 }),
];

/** What the store would answer: the runs matching the filter, newest first. */
function listRuns(runs: RunSummary[]) {
  return (f: RunFilter) =>
    runs.filter(
      (r) =>
        (f.image === undefined || r.image === f.image) &&
        (f.outcome === undefined || r.outcome === f.outcome),
    );
}

async function show(handlers: Handlers) {
  const lab = await testLab([], handlers);
  render(History, { context: lab.context });
  return lab.client;
}

const rowIds = () =>
  screen.getAllByTestId('run-row').map((r) => Number(r.getAttribute('data-run-id')));

async function shown(ids: number[]) {
  await waitFor(() => expect(rowIds()).toEqual(ids));
}

async function select(...ids: number[]) {
  for (const id of ids) {
    const row = screen.getAllByTestId('run-row').find((r) => r.dataset.runId === String(id))!;
    await fireEvent.click(within(row).getByTestId('run-select'));
  }
}

beforeEach(() => {
  location.hash = '#/history';
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('History', () => {
  it('lists the runs newest first, with links to their pages', async () => {
    const client = await show({ listRuns: listRuns(RUNS) });
    await shown([3, 2, 1]);
    expect(client.callsOf('listRuns')).toEqual([{}]);
    const first = screen.getAllByTestId('run-row')[0];
    expect(within(first).getByTestId('run-open').getAttribute('href')).toBe('#/run/3');
    expect(within(first).getByText('failed').getAttribute('title')).toBe('boom');
    expect(screen.getByTestId('sort-started').closest('th')!.getAttribute('aria-sort')).toBe(
      'descending',
    );
  });

  it('says so when there are no runs', async () => {
    await show({ listRuns: () => [] });
    expect(await screen.findByText(/No runs yet/)).toBeTruthy();
    expect(screen.queryAllByTestId('run-row')).toHaveLength(0);
  });

  it('filters by image and outcome through listRuns, offering what the runs hold', async () => {
    const client = await show({ listRuns: listRuns(RUNS) });
    await shown([3, 2, 1]);
    const image = screen.getByTestId('history-filter-image') as HTMLSelectElement;
    expect([...image.options].map((o) => o.value)).toEqual(['', 'bare.elf', 'labos.elf']);

    await fireEvent.change(image, { target: { value: 'labos.elf' } });
    await shown([3, 1]);
    const outcome = screen.getByTestId('history-filter-outcome') as HTMLSelectElement;
    await fireEvent.change(outcome, { target: { value: 'failed' } });
    await shown([3]);
    expect(client.callsOf('listRuns')).toEqual([
      {},
      { image: 'labos.elf' },
      { image: 'labos.elf', outcome: 'failed' },
    ]);
    // The narrowed list still offers every image seen.
    expect([...image.options].map((o) => o.value)).toEqual(['', 'bare.elf', 'labos.elf']);
  });

  it('sorts by a header, and the other way on a second click', async () => {
    await show({ listRuns: listRuns(RUNS) });
    await shown([3, 2, 1]);
    const exits = screen.getByTestId('sort-exits');
    await fireEvent.click(exits);
    expect(rowIds()).toEqual([3, 1, 2]);
    expect(exits.closest('th')!.getAttribute('aria-sort')).toBe('ascending');
    expect(screen.getByTestId('sort-started').closest('th')!.hasAttribute('aria-sort')).toBe(false);
    await fireEvent.click(exits);
    expect(rowIds()).toEqual([2, 1, 3]);
    expect(exits.closest('th')!.getAttribute('aria-sort')).toBe('descending');
    await fireEvent.click(screen.getByTestId('sort-image'));
    expect(rowIds()).toEqual([2, 3, 1]);
  });

  it('compares exactly two selected runs, the older as A', async () => {
    await show({ listRuns: listRuns(RUNS) });
    await shown([3, 2, 1]);
    const compare = screen.getByTestId('history-compare') as HTMLButtonElement;
    expect(compare.disabled).toBe(true);
    await select(3);
    expect(compare.disabled).toBe(true);
    await select(1, 2);
    expect(compare.disabled).toBe(true);
    await select(2);
    expect(compare.disabled).toBe(false);
    await fireEvent.click(compare);
    expect(location.hash).toBe('#/compare/1/3');
    // Whatever the table's order.
    location.hash = '#/history';
    await fireEvent.click(screen.getByTestId('sort-started'));
    expect(rowIds()).toEqual([1, 2, 3]);
    await fireEvent.click(compare);
    expect(location.hash).toBe('#/compare/1/3');
  });

  it('exports the selected runs, or all shown, and downloads the document', async () => {
    const { downloads, revoked } = captureDownloads();
    const client = await show({
      listRuns: listRuns(RUNS),
      exportRuns: ({ ids, format }) => `${format}:${ids.join(',')}`,
    });
    await shown([3, 2, 1]);

    await fireEvent.click(screen.getByTestId('history-export-json'));
    await waitFor(() => expect(downloads).toHaveLength(1));
    await select(1, 3);
    await fireEvent.click(screen.getByTestId('history-export-csv'));
    await waitFor(() => expect(downloads).toHaveLength(2));

    expect(client.callsOf('exportRuns')).toEqual([
      { ids: [3, 2, 1], format: 'json' },
      { ids: [3, 1], format: 'csv' },
    ]);
    expect(downloads.map((d) => [d.fileName, d.type])).toEqual([
      ['hvlab-runs.json', 'application/json'],
      ['hvlab-runs.csv', 'text/csv'],
    ]);
    expect(await downloads[1].text()).toBe('csv:3,1');
    // The object URL is freed once the click has taken the blob.
    await new Promise((r) => setTimeout(r));
    expect(revoked).toEqual(downloads.map((d) => d.url));
  });

  it('reloads when a session ends, and on Refresh', async () => {
    const runs = RUNS.slice(1);
    const client = await show({ listRuns: () => runs });
    await shown([2, 1]);
    runs.unshift(runSummary({ id: 4 }));
    client.push({
      event: 'ended',
      data: { session: 's1', outcome: 'completed', reasons: ['guest shut down'] },
    });
    await shown([4, 2, 1]);
    runs.shift();
    await fireEvent.click(screen.getByTestId('history-refresh'));
    await shown([2, 1]);
    expect(client.callsOf('listRuns')).toHaveLength(3);
  });

  it('shows the host refusing', async () => {
    await show({
      listRuns: () => {
        throw new Error('the lab host went away');
      },
    });
    expect((await screen.findByRole('alert')).textContent).toContain('the lab host went away');
  });
});
