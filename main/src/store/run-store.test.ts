import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunRecord } from '../api/runs.ts';
import { DB_FILE, RunStore } from './run-store.ts';
import { sampleChunks, sampleEnd, sampleStart, sampleText } from './test-fixtures/samples.ts';
import { tempDirs } from './test-fixtures/temp.ts';

const newDir = tempDirs('store');
const open: RunStore[] = [];
function openStore(dir: string, cap?: number): RunStore {
  const s = RunStore.open(dir, { transcriptCapBytes: cap });
  open.push(s);
  return s;
}
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

/** Write sample run n completely; returns its id. */
function writeRun(store: RunStore, n: number, start = sampleStart(n), end = sampleEnd(n)): number {
  const id = store.begin(start);
  for (const c of sampleChunks(n)) store.appendConsole(id, c);
  store.finish(id, end);
  return id;
}

/** What get() must return for sample run n written by writeRun. */
function expected(n: number, id: number): RunRecord {
  const { outcome, ...end } = sampleEnd(n);
  const text = sampleText(n);
  return {
    id,
    uuid: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown as string,
    ...sampleStart(n),
    outcome,
    end,
    transcript: { text, totalBytes: new TextEncoder().encode(text).length, truncated: false },
  };
}

/** A pid that certainly belonged to a process that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

describe('RunStore round trip', () => {
  it('gives back exactly what was written: start, transcript, end, exit report', () => {
    const store = openStore(newDir());
    const id = writeRun(store, 3);
    const rec = store.get(id)!;
    expect(rec).toEqual(expected(3, id));
    // The chunks split 'é', '✓' and '😀' between appends; decoding happens on the whole.
    expect(rec.transcript.text).toContain('héllo wörld ✓ 😀\r\n');
    expect(rec.end!.exits.sbi).toEqual({ DBCN: { write: 8, read: 1 }, TIME: { set_timer: 3 } });
    expect(store.get(id + 1)).toBeNull();
  });

  it('shows a running run, then its end, in the list', () => {
    const store = openStore(newDir());
    const id = store.begin(sampleStart(1));
    expect(store.get(id)).toMatchObject({ outcome: 'running', end: null });
    expect(store.list()).toEqual([
      {
        id,
        uuid: store.get(id)!.uuid,
        image: 'labos.elf',
        profile: 'kvm',
        clock: 'deterministic',
        smp: 2,
        startedAt: sampleStart(1).startedAt,
        endedAt: null,
        outcome: 'running',
        reason: null,
        exitCode: null,
        exitsTotal: null,
        hostMs: null,
      },
    ]);
    store.finish(id, sampleEnd(1));
    expect(store.list()[0]).toMatchObject({
      outcome: 'completed',
      reason: 'guest shut down (status 0)',
      endedAt: sampleEnd(1).endedAt,
      exitCode: 0,
      exitsTotal: sampleEnd(1).exits.total,
      hostMs: 813.5,
    });
  });

  it('keeps exit statistics and device metrics in queryable tables', () => {
    const dir = newDir();
    const store = openStore(dir);
    const id = writeRun(store, 2);
    const db = new Database(join(dir, DB_FILE), { readonly: true });
    try {
      const count = (vcpu: number | null, kind: string, key: string): unknown =>
        db
          .prepare(
            'SELECT count, cycles FROM run_exits WHERE run_id = ? AND vcpu IS ? AND kind = ? AND key = ?',
          )
          .get(id, vcpu, kind, key);
      const x = sampleEnd(2).exits;
      expect(count(null, 'reason', 'mmio_read')).toEqual({
        count: x.byReason.mmio_read,
        cycles: x.cyclesByReason.mmio_read,
      });
      expect(count(1, 'reason', 'wfi')).toEqual({ count: x.byVcpu[1].wfi, cycles: null });
      expect(count(null, 'sbi', 'DBCN.write')).toEqual({ count: 7, cycles: null });
      expect(count(null, 'mmio', 'uart0.read')).toEqual({ count: 14, cycles: null });
      expect(
        db
          .prepare(
            'SELECT device, metric, value FROM device_metrics WHERE run_id = ? ORDER BY rowid',
          )
          .all(id),
      ).toEqual([
        { device: 'virtio-net0', metric: 'kicks', value: 14 },
        { device: 'virtio-net0', metric: 'packets', value: 300 },
        { device: 'balloon0', metric: 'pages', value: 4.5 },
      ]);
    } finally {
      db.close();
    }
  });

  it('lists newest first and filters by image, outcome, profile, start and limit', () => {
    const store = openStore(newDir());
    // n = 0..5: images alternate hello/labos, n = 2 and 5 fail, n = 4 and 5 use kvm-trap-time.
    const ids = [0, 1, 2, 3, 4, 5].map((n) =>
      writeRun(store, n, sampleStart(n, { profile: n >= 4 ? 'kvm-trap-time' : 'kvm' })),
    );
    const listed = (f: Parameters<RunStore['list']>[0]): number[] => store.list(f).map((r) => r.id);
    expect(listed({})).toEqual([...ids].reverse());
    expect(listed({ image: 'hello.elf' })).toEqual([ids[4], ids[2], ids[0]]);
    expect(listed({ outcome: 'failed' })).toEqual([ids[5], ids[2]]);
    expect(listed({ profile: 'kvm-trap-time' })).toEqual([ids[5], ids[4]]);
    expect(listed({ since: sampleStart(3).startedAt })).toEqual([ids[5], ids[4], ids[3]]);
    expect(listed({ image: 'labos.elf', outcome: 'completed', limit: 1 })).toEqual([ids[3]]);
    expect(() => store.list({ limit: 0 })).toThrow('list: limit must be an integer >= 1 (got 0)');
  });

  it('deletes a run with everything it holds', () => {
    const dir = newDir();
    const store = openStore(dir);
    const a = writeRun(store, 1);
    const b = writeRun(store, 2);
    expect(store.delete(a)).toBe(true);
    expect(store.delete(a)).toBe(false);
    expect(store.get(a)).toBeNull();
    expect(store.get(b)).toEqual(expected(2, b));
    const db = new Database(join(dir, DB_FILE), { readonly: true });
    const left = (table: string): unknown =>
      db.prepare(`SELECT count(*) AS n FROM ${table} WHERE run_id = ?`).get(a);
    for (const t of ['console_chunks', 'run_exits', 'device_metrics'])
      expect(left(t)).toEqual({ n: 0 });
    db.close();
  });

  it('refuses writes to runs that ended or do not exist, and bad figures, in one line', () => {
    const store = openStore(newDir());
    const id = writeRun(store, 1);
    const bytes = new TextEncoder().encode('late');
    expect(() => store.appendConsole(id, bytes)).toThrow(
      `cannot append to run ${id}: it has already ended (completed)`,
    );
    expect(() => store.finish(id, sampleEnd(1))).toThrow(
      `cannot finish run ${id}: it has already ended (completed)`,
    );
    expect(() => store.appendConsole(999, bytes)).toThrow('no run 999');
    const other = store.begin(sampleStart(2));
    expect(() => store.finish(other, sampleEnd(2, { instret: NaN }))).toThrow(
      `run ${other} end.instret must be a finite number (got NaN)`,
    );
    expect(store.get(other)!.outcome).toBe('running'); // nothing half-written
    expect(() => store.begin(sampleStart(2, { clock: 'fast' as 'realtime' }))).toThrow(
      'run start.clock must be one of deterministic, realtime (got "fast")',
    );
  });
});

describe('transcript cap', () => {
  it('counts bytes beyond the cap without storing them, cutting between characters', () => {
    const store = openStore(newDir(), 8);
    const id = store.begin(sampleStart(0));
    const enc = new TextEncoder();
    store.appendConsole(id, enc.encode('hello ')); // 6 bytes
    store.appendConsole(id, enc.encode('wörld')); // 6 bytes: 'wö' would be 9 > 8, so only 'w'
    store.appendConsole(id, enc.encode('!')); // fits in the cap, but the transcript is cut
    expect(store.get(id)!.transcript).toEqual({ text: 'hello w', totalBytes: 13, truncated: true });
    store.finish(id, sampleEnd(0));
    expect(store.get(id)!.transcript).toEqual({ text: 'hello w', totalBytes: 13, truncated: true });
  });

  it('stores exactly up to the cap when it falls on a character boundary', () => {
    const store = openStore(newDir(), 10);
    const id = store.begin(sampleStart(0));
    store.appendConsole(id, new TextEncoder().encode('0123456789abc'));
    expect(store.get(id)!.transcript).toEqual({
      text: '0123456789',
      totalBytes: 13,
      truncated: true,
    });
  });

  it('continues a run begun by another store on the same file', () => {
    const dir = newDir();
    const a = openStore(dir, 6);
    const id = a.begin(sampleStart(0));
    a.appendConsole(id, new TextEncoder().encode('abc'));
    const b = openStore(dir, 6);
    b.appendConsole(id, new TextEncoder().encode('defgh'));
    expect(b.get(id)!.transcript).toEqual({ text: 'abcdef', totalBytes: 8, truncated: true });
  });
});

describe('runs left running', () => {
  it('marks a dead owner’s run interrupted at its last console output', () => {
    const dir = newDir();
    const store = openStore(dir);
    const quiet = store.begin(sampleStart(1));
    const chatty = store.begin(sampleStart(2));
    store.appendConsole(chatty, new TextEncoder().encode('booting\n'));
    store.close();
    open.length = 0;
    const pid = deadPid();
    const db = new Database(join(dir, DB_FILE));
    db.prepare('UPDATE runs SET owner_pid = ?').run(pid);
    db.prepare('UPDATE runs SET last_output_at = ? WHERE id = ?').run(
      sampleStart(2).startedAt + 4321,
      chatty,
    );
    db.close();

    const reopened = openStore(dir);
    const reason = `hvlab stopped before the run ended (process ${pid})`;
    expect(reopened.get(quiet)).toMatchObject({
      outcome: 'interrupted',
      end: { reason, endedAt: sampleStart(1).startedAt, exitCode: null },
    });
    expect(reopened.get(chatty)).toMatchObject({
      outcome: 'interrupted',
      end: { reason, endedAt: sampleStart(2).startedAt + 4321 },
      transcript: { text: 'booting\n', totalBytes: 8, truncated: false },
    });
    expect(reopened.list({ outcome: 'interrupted' }).map((r) => r.hostMs)).toEqual([4321, 0]);
  });

  it('leaves alone a run whose owner is alive (another store on the file)', () => {
    const dir = newDir();
    const writer = openStore(dir);
    const id = writer.begin(sampleStart(1));
    const reader = openStore(dir);
    expect(reader.get(id)!.outcome).toBe('running');
    writer.appendConsole(id, new TextEncoder().encode('still here'));
    writer.finish(id, sampleEnd(1));
    expect(reader.get(id)).toMatchObject({
      outcome: 'completed',
      transcript: { text: 'still here' },
    });
  });
});

describe('compare', () => {
  it('gives per-reason exit deltas and figure deltas, b - a', () => {
    const store = openStore(newDir());
    const a = writeRun(store, 0);
    const b = writeRun(store, 2);
    const c = store.compare(a, b);
    const xa = sampleEnd(0).exits.byReason;
    const xb = sampleEnd(2).exits.byReason;
    expect(c.a.id).toBe(a);
    expect(c.b.id).toBe(b);
    expect(c.exits.find((e) => e.reason === 'sbi')).toEqual({
      reason: 'sbi',
      a: 3,
      b: 7,
      delta: 4,
    });
    expect(c.exits).toEqual(
      Object.keys(xa).map((r) => ({
        reason: r,
        a: xa[r as keyof typeof xa],
        b: xb[r as keyof typeof xb],
        delta: xb[r as keyof typeof xb] - xa[r as keyof typeof xa],
      })),
    );
    expect(c.figures).toEqual([
      { name: 'instret', a: 1_000_007, b: 3_000_007, delta: 2_000_000 },
      { name: 'virtual seconds', a: 0.25, b: 0.75, delta: 0.5 },
      { name: 'host ms', a: 812.5, b: 814.5, delta: 2 },
      { name: 'exits', a: xTotal(0), b: xTotal(2), delta: xTotal(2) - xTotal(0) },
      { name: 'exit cycles', a: xCycles(0), b: xCycles(2), delta: xCycles(2) - xCycles(0) },
    ]);
  });

  it('shows unknown figures of a running run as null', () => {
    const store = openStore(newDir());
    const a = writeRun(store, 0);
    const b = store.begin(sampleStart(1));
    const c = store.compare(a, b);
    expect(c.figures[0]).toEqual({ name: 'instret', a: 1_000_007, b: null, delta: null });
    expect(c.exits[0]).toEqual({ reason: 'sbi', a: 3, b: 0, delta: -3 });
  });

  it('names a missing run in one line', () => {
    const store = openStore(newDir());
    const a = writeRun(store, 0);
    expect(() => store.compare(a, 42)).toThrow(/^compare: no run 42$/);
    expect(() => store.compare(41, 42)).toThrow(/^compare: no run 41 or 42$/);
  });
});

const xTotal = (n: number): number => sampleEnd(n).exits.total;
const xCycles = (n: number): number => sampleEnd(n).exits.cycles;
