/** Numbers, sizes, times and durations as the views show them, in the page's language. */

/** What a view shows for a figure that is not there (no sample yet, a run still going). */
export const MISSING = '—';

// The page's language (the browser's, or Electron's from the system).
const LOCALE = navigator.language;

const UNITS = ['B', 'KiB', 'MiB', 'GiB'];

/** 1536 -> '1.5 KiB'; one decimal at most, none below 1 KiB. */
export function formatBytes(n: number): string {
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : Number(v.toFixed(1))} ${UNITS[u]}`;
}

export interface NumberStyle {
  /** The most fraction digits below 100 (2 unless given); from 100 up a figure is whole. */
  decimals?: number;
  /** A difference: '+12', '-3', '0'. */
  signed?: boolean;
}

// One formatter per style in use: the charts format every tick and legend value.
const formats = new Map<string, Intl.NumberFormat>();

/** A figure with grouped digits ('1,234,567', '0.03'); MISSING for null. */
export function formatNumber(
  n: number | null,
  { decimals = 2, signed = false }: NumberStyle = {},
): string {
  if (n === null) return MISSING;
  const digits = Math.abs(n) >= 100 ? 0 : decimals;
  const key = `${digits}${signed ? '+' : ''}`;
  let format = formats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(LOCALE, {
      maximumFractionDigits: digits,
      signDisplay: signed ? 'exceptZero' : 'auto',
    });
    formats.set(key, format);
  }
  return format.format(n);
}

/** Which way a difference went, for colouring it. */
export function deltaClass(n: number | null): 'up' | 'down' | 'same' {
  return n === null || n === 0 ? 'same' : n > 0 ? 'up' : 'down';
}

const dateTime = new Intl.DateTimeFormat(LOCALE, { dateStyle: 'medium', timeStyle: 'medium' });

/** A wall-clock time (ms since the epoch) as a local date and time. */
export function formatDateTime(ms: number): string {
  return dateTime.format(ms);
}

/** Milliseconds as a person reads them: '850 ms', '12.3 s', '4 min 05 s', '1 h 02 min'. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return MISSING;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  const two = (n: number): string => String(n).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)} min ${two(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${two(Math.floor(s / 60) % 60)} min`;
}

/** The first 12 hex digits of a digest: enough to tell images apart at a glance. */
export function shortSha(sha256: string): string {
  return sha256.slice(0, 12);
}
