import { describe, expect, it } from 'vitest';
import {
  deltaClass,
  formatBytes,
  formatDuration,
  formatNumber,
  MISSING,
  shortSha,
} from './format.ts';

// jsdom's navigator.language is en-US: the separators below are its.
describe('formatting', () => {
  it('shows bytes in binary units, one decimal at most', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(64 << 20)).toBe('64 MiB');
    expect(formatBytes(117_760)).toBe('115 KiB');
    expect(formatBytes(1.25 * 2 ** 30)).toBe('1.3 GiB');
  });

  it('groups figures, with decimals only for small ones', () => {
    expect(formatNumber(1234567.8)).toBe('1,234,568');
    expect(formatNumber(0.0321)).toBe('0.03');
    expect(formatNumber(99.999)).toBe('100');
    expect(formatNumber(7)).toBe('7');
    expect(formatNumber(null)).toBe(MISSING);
  });

  it('keeps as many decimals as asked for', () => {
    expect(formatNumber(0.123456, { decimals: 3 })).toBe('0.123');
    expect(formatNumber(1234567, { decimals: 3 })).toBe('1,234,567');
    expect(formatNumber(2.5, { decimals: 0 })).toBe('3');
  });

  it('signs differences, except zero', () => {
    expect(formatNumber(1500, { signed: true })).toBe('+1,500');
    expect(formatNumber(-3, { signed: true })).toBe('-3');
    expect(formatNumber(0, { signed: true })).toBe('0');
    expect(formatNumber(null, { signed: true })).toBe(MISSING);
    expect([5, -5, 0, null].map(deltaClass)).toEqual(['up', 'down', 'same', 'same']);
  });

  it('reads durations at the scale they are', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_340)).toBe('12.3 s');
    expect(formatDuration(245_000)).toBe('4 min 05 s');
    expect(formatDuration(3_720_000)).toBe('1 h 02 min');
    expect(formatDuration(null)).toBe(MISSING);
  });

  it('shows digests by their first 12 digits', () => {
    expect(shortSha('0123456789abcdef'.repeat(4))).toBe('0123456789ab');
  });
});
