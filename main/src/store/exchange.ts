/**
 * The export format: a versioned JSON document of whole runs, for moving runs between
 * stores (a student's laptop and the lab machine) and for archiving. Parsing checks the
 * document completely before anything is imported.
 */
import type { RunRecord } from '../api/runs.ts';
import { StoreError } from './errors.ts';
import { checkRunRecord, isObject } from './validate.ts';

export const FORMAT = 'hvlab-runs';
export const FORMAT_VERSION = 1;

export interface RunsDocument {
  format: typeof FORMAT;
  version: typeof FORMAT_VERSION;
  runs: RunRecord[];
}

export function formatRunsDocument(runs: RunRecord[]): string {
  const doc: RunsDocument = { format: FORMAT, version: FORMAT_VERSION, runs };
  return JSON.stringify(doc, null, 2) + '\n';
}

/** The runs of an exported document, checked; throws a one-line StoreError prefixed 'import: '. */
export function parseRunsDocument(text: string): RunRecord[] {
  const bad = (msg: string): never => {
    throw new StoreError(`import: ${msg}`);
  };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    bad(`not JSON (${(e as Error).message.split('\n')[0]})`);
  }
  if (!isObject(doc)) return bad('not an hvlab runs document (expected a JSON object)');
  if (doc.format !== FORMAT)
    bad(
      `not an hvlab runs document (format is ${JSON.stringify(doc.format)}, expected "${FORMAT}")`,
    );
  if (doc.version !== FORMAT_VERSION)
    bad(
      typeof doc.version === 'number' && doc.version > FORMAT_VERSION
        ? `${FORMAT} version ${doc.version} is newer than this hvlab reads (${FORMAT_VERSION}): use a newer hvlab`
        : `unsupported ${FORMAT} version ${JSON.stringify(doc.version)} (this hvlab reads ${FORMAT_VERSION})`,
    );
  if (!Array.isArray(doc.runs)) return bad('runs must be an array');
  try {
    return doc.runs.map((r, i) => checkRunRecord(r, `runs[${i}]`));
  } catch (e) {
    if (e instanceof StoreError) bad(e.message);
    throw e;
  }
}
