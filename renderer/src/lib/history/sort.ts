/** Ordering the run table: by a column, either way, a missing figure always last. */
import type { RunSummary } from '../../../../main/src/api/runs.ts';

/** The sortable columns, as the `sort-<column>` buttons name them. */
export const SORT_COLUMNS = [
  'id',
  'image',
  'profile',
  'outcome',
  'started',
  'exits',
  'hostMs',
] as const;
export type SortColumn = (typeof SORT_COLUMNS)[number];

export interface SortOrder {
  column: SortColumn;
  dir: 'asc' | 'desc';
}

/** The store's own order, and the table's until the user picks another. */
export const NEWEST_FIRST: SortOrder = { column: 'started', dir: 'desc' };

const KEY: Record<SortColumn, (r: RunSummary) => string | number | null> = {
  id: (r) => r.id,
  image: (r) => r.image,
  profile: (r) => r.profile,
  outcome: (r) => r.outcome,
  started: (r) => r.startedAt,
  exits: (r) => r.exitsTotal,
  hostMs: (r) => r.hostMs,
};

/** The rows in `order` (a new array; ties keep their order, which is the store's). */
export function sortRuns(rows: readonly RunSummary[], order: SortOrder): RunSummary[] {
  const key = KEY[order.column];
  const sign = order.dir === 'asc' ? 1 : -1;
  return [...rows].sort((x, y) => {
    const [a, b] = [key(x), key(y)];
    if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
    const c = typeof a === 'string' ? a.localeCompare(b as string) : a - (b as number);
    return sign * c;
  });
}

/** The order after clicking a column's header: the same column flips, another starts ascending. */
export function nextOrder(current: SortOrder, column: SortColumn): SortOrder {
  if (current.column === column) return { column, dir: current.dir === 'asc' ? 'desc' : 'asc' };
  return { column, dir: 'asc' };
}

/** Two runs to compare, the one that started first as A (the baseline). */
export function olderFirst(x: RunSummary, y: RunSummary): { a: number; b: number } {
  const xFirst = x.startedAt !== y.startedAt ? x.startedAt < y.startedAt : x.id < y.id;
  return xFirst ? { a: x.id, b: y.id } : { a: y.id, b: x.id };
}
