import { expect, test } from 'vitest';
import { stack } from './stack.ts';

test('each series sits on the sum of the ones before it', () => {
  expect(
    stack([
      [1, 2, 3],
      [10, 0, 5],
      [100, 100, 0],
    ]),
  ).toEqual([
    [1, 2, 3],
    [11, 2, 8],
    [111, 102, 8],
  ]);
  expect(stack([])).toEqual([]);
});
