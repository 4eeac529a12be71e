import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import type { RunComparison } from '../../../main/src/api/runs.ts';
import type { Handlers } from '../lib/testing/fake-client.ts';
import { runSummary } from '../lib/testing/runs.ts';
import { testLab } from '../lib/testing/lab.ts';
import Compare from './Compare.svelte';

const CMP: RunComparison = {
  a: runSummary({ id: 2, profile: 'trap' }),
  b: runSummary({ id: 5, profile: 'paravirt' }),
  exits: [
    { reason: 'sbi', a: 12000, b: 1500, delta: -10500 },
    { reason: 'mmio_write', a: 40, b: 1040, delta: 1000 },
    { reason: 'wfi', a: 3, b: 3, delta: 0 },
  ],
  figures: [
    { name: 'instret', a: 1000, b: 1200, delta: 200 },
    { name: 'host ms', a: 5, b: null, delta: null },
  ],
};

async function show(handlers: Handlers) {
  const lab = await testLab([], handlers);
  render(Compare, { props: { a: 2, b: 5 }, context: lab.context });
  return lab.client;
}

function cells(tr: Element): string[] {
  return [...tr.children].map((c) => c.textContent!.trim());
}

beforeEach(() => {
  location.hash = '#/compare/2/5';
});

describe('Compare', () => {
  it('shows exits by reason with signed, coloured deltas', async () => {
    const client = await show({ compareRuns: () => CMP });
    const exits = await screen.findByTestId('compare-exits');
    expect(client.callsOf('compareRuns')).toEqual([{ a: 2, b: 5 }]);
    const rows = [...exits.querySelectorAll('tbody tr')];
    expect(rows.map(cells)).toEqual([
      ['sbi', '12,000', '1,500', '-10,500'],
      ['mmio_write', '40', '1,040', '+1,000'],
      ['wfi', '3', '3', '0'],
    ]);
    expect(rows.map((r) => r.lastElementChild!.classList.value)).toEqual([
      expect.stringContaining('down'),
      expect.stringContaining('up'),
      expect.stringContaining('same'),
    ]);
    const figures = screen.getByTestId('compare-figures');
    expect([...figures.querySelectorAll('tbody tr')].map(cells)).toEqual([
      ['instret', '1,000', '1,200', '+200'],
      ['host ms', '5', '—', '—'],
    ]);
  });

  it('shows both runs side by side, linked, and swaps them', async () => {
    await show({ compareRuns: () => CMP });
    const a = await screen.findByRole('link', { name: 'run 2' });
    expect(a.getAttribute('href')).toBe('#/run/2');
    expect(screen.getByRole('link', { name: 'run 5' }).getAttribute('href')).toBe('#/run/5');
    const profile = screen.getByRole('rowheader', { name: 'Profile' }).closest('tr')!;
    expect(cells(profile)).toEqual(['Profile', 'trap', 'paravirt']);
    await fireEvent.click(screen.getByRole('button', { name: 'Swap A and B' }));
    expect(location.hash).toBe('#/compare/5/2');
  });

  it('shows the host refusing a comparison', async () => {
    await show({
      compareRuns: () => {
        throw new Error('compare: no run 5');
      },
    });
    expect((await screen.findByRole('alert')).textContent).toContain('no run 5');
    expect(within(screen.getByTestId('view-compare')).queryByTestId('compare-exits')).toBeNull();
  });
});
