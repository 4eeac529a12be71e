import { afterEach, describe, expect, it } from 'vitest';
import type { RunRecord } from '../api/runs.ts';
import { RunStore } from './run-store.ts';
import { sampleChunks, sampleEnd, sampleStart } from './test-fixtures/samples.ts';
import { tempDirs } from './test-fixtures/temp.ts';

const newDir = tempDirs('exchange');
const open: RunStore[] = [];
function openStore(cap?: number): RunStore {
  const s = RunStore.open(newDir(), { transcriptCapBytes: cap });
  open.push(s);
  return s;
}
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

/** A store holding a completed, a failed, a truncated and an interrupted-free running run. */
function populated(): { store: RunStore; ids: number[] } {
  const store = openStore(40);
  const ids = [0, 1, 2].map((n) => {
    const id = store.begin(sampleStart(n));
    for (const c of sampleChunks(n)) store.appendConsole(id, c); // run 2 passes the 40-byte cap
    store.finish(id, sampleEnd(n));
    return id;
  });
  return { store, ids };
}

type Doc = { format: string; version: number; runs: RunRecord[] };
const withoutIds = (text: string): unknown => {
  const doc = JSON.parse(text) as Doc;
  return { ...doc, runs: doc.runs.map(({ id: _id, ...rest }) => rest) };
};

describe('JSON export and import', () => {
  it('round-trips through a fresh store: equal documents apart from ids', () => {
    const { store, ids } = populated();
    const first = store.exportJson();
    const doc = JSON.parse(first) as Doc;
    expect(doc.format).toBe('hvlab-runs');
    expect(doc.version).toBe(1);
    expect(doc.runs.map((r) => r.id)).toEqual(ids);
    expect(doc.runs[2].transcript.truncated).toBe(true);
    expect(doc.runs[1].end!.results).toEqual(sampleEnd(1).results);

    const other = openStore(40);
    other.begin(sampleStart(7)); // so that imported ids differ from the exported ones
    expect(other.importJson(first)).toEqual({ imported: 3, skipped: 0 });
    expect(other.list().map((r) => r.id)).toEqual([1, 4, 3, 2]); // newest start first: run 1 is sample 7;
    const again = other.exportJson([2, 3, 4]);
    expect(withoutIds(again)).toEqual(withoutIds(first));
    expect(other.get(3)).toEqual({ ...store.get(ids[1]), id: 3 });
  });

  it('skips runs whose uuid is already in the store', () => {
    const { store, ids } = populated();
    const text = store.exportJson([ids[0], ids[2]]);
    const other = openStore();
    expect(other.importJson(text)).toEqual({ imported: 2, skipped: 0 });
    expect(other.importJson(text)).toEqual({ imported: 0, skipped: 2 });
    expect(other.importJson(store.exportJson())).toEqual({ imported: 1, skipped: 2 });
    expect(other.list()).toHaveLength(3);
    expect(store.importJson(text)).toEqual({ imported: 0, skipped: 2 });
  });

  it('records a run exported while running as interrupted', () => {
    const store = openStore();
    const id = store.begin(sampleStart(4));
    store.appendConsole(id, new TextEncoder().encode('half'));
    const other = openStore();
    other.importJson(store.exportJson());
    expect(other.get(1)).toMatchObject({
      outcome: 'interrupted',
      end: { reason: 'the run was exported before it ended', endedAt: sampleStart(4).startedAt },
      transcript: { text: 'half', totalBytes: 4 },
    });
  });

  it('names the missing run when exporting', () => {
    const { store, ids } = populated();
    expect(() => store.exportJson([ids[0], 77, 78])).toThrow(/^export: no run 77, 78$/);
  });

  it('refuses malformed and foreign documents in one line, importing nothing', () => {
    const { store } = populated();
    const good = JSON.parse(store.exportJson()) as Doc;
    const other = openStore();
    const refuse = (doc: unknown): string => {
      const text = typeof doc === 'string' ? doc : JSON.stringify(doc);
      try {
        other.importJson(text);
      } catch (e) {
        expect((e as Error).name).toBe('StoreError');
        return (e as Error).message;
      }
      throw new Error('imported');
    };
    expect(refuse('{"format": "hvlab-runs",')).toMatch(/^import: not JSON \(.+\)$/);
    expect(refuse([1, 2])).toBe('import: not an hvlab runs document (expected a JSON object)');
    expect(refuse({ format: 'qemu-trace', version: 1, runs: [] })).toBe(
      'import: not an hvlab runs document (format is "qemu-trace", expected "hvlab-runs")',
    );
    expect(refuse({ ...good, version: 2 })).toBe(
      'import: hvlab-runs version 2 is newer than this hvlab reads (1): use a newer hvlab',
    );
    expect(refuse({ ...good, version: '1' })).toBe(
      'import: unsupported hvlab-runs version "1" (this hvlab reads 1)',
    );
    expect(refuse({ ...good, runs: {} })).toBe('import: runs must be an array');
    const broken = structuredClone(good);
    (broken.runs[1].config as unknown as Record<string, unknown>).smp = 'two';
    expect(refuse(broken)).toBe('import: runs[1].config.smp must be an integer >= 1 (got "two")');
    const noExits = structuredClone(good);
    delete (noExits.runs[2].end as Partial<NonNullable<RunRecord['end']>>).exits;
    expect(refuse(noExits)).toBe('import: runs[2].end.exits must be an object (got nothing)');
    const badCount = structuredClone(good);
    (badCount.runs[0].end!.exits.mmio.uart0 as Record<string, unknown>).read = null;
    expect(refuse(badCount)).toBe(
      'import: runs[0].end.exits.mmio.uart0.read must be a finite number (got null)',
    );
    const runningWithEnd = structuredClone(good);
    runningWithEnd.runs[0].outcome = 'running';
    expect(refuse(runningWithEnd)).toBe(
      'import: runs[0].end must be null while the run is running (got an object)',
    );
    expect(other.list()).toEqual([]); // all or nothing
  });
});
