/** Temporary data folders for a test file, removed after it. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** Returns a function giving a new empty folder name (created by the store) per call. */
export function tempDirs(prefix: string): () => string {
  const root = mkdtempSync(join(tmpdir(), `hvlab-${prefix}-`));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  return () => join(root, `d${n++}`);
}
