/** Parsing of the CLI's option values, each failure a one-line message. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A run that could not complete (its worker died or hung): one line, status 1. */
export class RunFailure extends Error {
  override readonly name = 'RunFailure';
}

const UNITS: Record<string, number> = { '': 1, K: 1 << 10, M: 1 << 20, G: 1 << 30 };

/** "64M", "512K", "1G" or a byte count; a positive multiple of 4 KiB up to 1 GiB. */
export function parseMemSize(text: string): number {
  const m = /^(\d+)([KMG]?)(?:i?B)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`--mem ${text}: expected a size such as 64M`);
  const bytes = Number(m[1]) * UNITS[m[2].toUpperCase()];
  if (bytes < 4096 || bytes % 4096 !== 0 || bytes > 1 << 30) {
    throw new UsageError(`--mem ${text}: must be a multiple of 4K between 4K and 1G`);
  }
  return bytes;
}

export function parseCount(name: string, text: string): number {
  if (!/^\d+$/.test(text.replace(/_/g, ''))) {
    throw new UsageError(`--${name} ${text}: expected a whole number`);
  }
  const n = Number(text.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`--${name} ${text}: out of range`);
  return n;
}
