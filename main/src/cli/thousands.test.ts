import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { thousands } from './thousands.ts';

describe('thousands', () => {
  it('groups digits in threes with commas', () => {
    expect([0, 7, 999, 1000, 65536, 1234567, -1234, 12.6].map(thousands)).toEqual([
      '0',
      '7',
      '999',
      '1,000',
      '65,536',
      '1,234,567',
      '-1,234',
      '13',
    ]);
  });

  it("writes any safe integer as toLocaleString('en-US') does (property)", () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (v) => thousands(v) === v.toLocaleString('en-US')),
      { numRuns: 500 },
    );
  });
});
