import { expect, test } from 'vitest';
import { balloonStatRows } from './balloon-stats.ts';

test('memory amounts as bytes, counts as numbers, in the order given', () => {
  expect(balloonStatRows({ memtot: 64 << 20, oom_kills: 1, avail: 1536, future_stat: 5 })).toEqual([
    { name: 'memtot', label: 'total memory', text: '64 MiB' },
    { name: 'oom_kills', label: 'OOM kills', text: '1' },
    { name: 'avail', label: 'available memory', text: '1.5 KiB' },
    { name: 'future_stat', label: 'future_stat', text: '5' },
  ]);
});
