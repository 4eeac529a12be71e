import { describe, expect, it } from 'vitest';
import { nextOrder, NEWEST_FIRST, olderFirst, sortRuns } from './sort.ts';
import { runSummary } from '../testing/runs.ts';

describe('run table order', () => {
  const rows = [
    runSummary({ id: 1, image: 'b.elf', exitsTotal: 30 }),
    runSummary({ id: 2, image: 'a.elf', exitsTotal: null, outcome: 'running' }),
    runSummary({ id: 3, image: 'c.elf', exitsTotal: 10 }),
  ];
  const ids = (order: Parameters<typeof sortRuns>[1]) => sortRuns(rows, order).map((r) => r.id);

  it('sorts by text and by number, either way', () => {
    expect(ids({ column: 'image', dir: 'asc' })).toEqual([2, 1, 3]);
    expect(ids({ column: 'image', dir: 'desc' })).toEqual([3, 1, 2]);
    expect(ids(NEWEST_FIRST)).toEqual([3, 2, 1]);
  });

  it('puts a missing figure last in both directions', () => {
    expect(ids({ column: 'exits', dir: 'asc' })).toEqual([3, 1, 2]);
    expect(ids({ column: 'exits', dir: 'desc' })).toEqual([1, 3, 2]);
  });

  it('flips the same column and starts another ascending', () => {
    expect(nextOrder(NEWEST_FIRST, 'started')).toEqual({ column: 'started', dir: 'asc' });
    expect(nextOrder({ column: 'started', dir: 'asc' }, 'started')).toEqual(NEWEST_FIRST);
    expect(nextOrder(NEWEST_FIRST, 'hostMs')).toEqual({ column: 'hostMs', dir: 'asc' });
  });

  it('compares the run that started first as A', () => {
    const late = runSummary({ id: 1, startedAt: 2000 });
    const early = runSummary({ id: 9, startedAt: 1000 });
    expect(olderFirst(late, early)).toEqual({ a: 9, b: 1 });
    expect(olderFirst(early, late)).toEqual({ a: 9, b: 1 });
    const tie = runSummary({ id: 4, startedAt: 2000 });
    expect(olderFirst(late, tie)).toEqual({ a: 1, b: 4 });
  });
});
