/**
 * RunStore: the lab's record of runs in one SQLite file (<dataDir>/hvlab.sqlite), shared
 * by the app and the CLI (DESIGN §7).
 *
 * Durability: every write is its own committed transaction in WAL mode with
 * synchronous=FULL, so what a call has returned survives the process being killed (and
 * a power cut). A run is written in three steps, begin -> appendConsole* -> finish; a run
 * whose writer died before finish is marked 'interrupted' by the next open.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { EXIT_REASONS } from '../../../engine/src/hv/exits.ts';
import type {
  RunComparison,
  RunEnd,
  RunFilter,
  RunRecord,
  RunStart,
  RunSummary,
} from '../api/runs.ts';
import { runsToCsv, type CsvRun } from './csv.ts';
import { StoreError } from './errors.ts';
import { formatRunsDocument, parseRunsDocument } from './exchange.ts';
import { migrate } from './migrations.ts';
import {
  NO_END,
  endFromRow,
  endParams,
  exitRows,
  startFromRow,
  startParams,
  SUMMARY_COLUMNS,
  summaryFromRow,
  type RunRow,
  type SummaryRow,
} from './rows.ts';
import { prepareStatements, type Statements } from './statements.ts';
import { checkRunEnd, checkRunStart } from './validate.ts';

export const DB_FILE = 'hvlab.sqlite';

export interface RunStoreOptions {
  /** Transcript bytes kept per run; beyond it bytes are counted, not stored. Default 1 MiB. */
  transcriptCapBytes?: number;
  /** How long a write waits for another process holding the file. Default 5 s. */
  busyTimeoutMs?: number;
}

/** Where a running run's transcript stands, cached so appendConsole needs no reads. */
interface Tail {
  seq: number;
  stored: number;
  truncated: boolean;
}

export class RunStore {
  /** The data folder, and the database file in it. */
  readonly dataDir: string;
  readonly path: string;
  private readonly db: Database.Database;
  private readonly cap: number;
  private readonly tails = new Map<number, Tail>();
  private readonly decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
  private readonly stmt: Statements;
  private readonly appendTx: Database.Transaction<
    (id: number, n: number, chunk: Buffer | null, next: Tail, now: number) => void
  >;

  /** Open or create the store in `dataDir` (created if missing). Throws StoreError. */
  static open(dataDir: string, options: RunStoreOptions = {}): RunStore {
    try {
      mkdirSync(dataDir, { recursive: true });
    } catch (e) {
      throw new StoreError(`cannot create the data folder ${dataDir}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    const path = join(dataDir, DB_FILE);
    let db: Database.Database | undefined;
    try {
      db = new Database(path);
      // First, so that every statement below waits for a busy file instead of failing.
      db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      migrate(db, path);
      return new RunStore(db, dataDir, options);
    } catch (e) {
      db?.close();
      if (e instanceof StoreError) throw e;
      const code = (e as { code?: string }).code;
      if (code === 'SQLITE_NOTADB')
        throw new StoreError(`${path} is not an hvlab database (not an SQLite file)`, { cause: e });
      throw new StoreError(`cannot open ${path}: ${(e as Error).message}`, { cause: e });
    }
  }

  private constructor(db: Database.Database, dataDir: string, options: RunStoreOptions) {
    this.db = db;
    this.dataDir = dataDir;
    this.path = join(dataDir, DB_FILE);
    const cap = options.transcriptCapBytes ?? 1 << 20;
    if (!Number.isSafeInteger(cap) || cap < 0)
      throw new StoreError(`transcriptCapBytes must be an integer >= 0 (got ${cap})`);
    this.cap = cap;
    this.stmt = prepareStatements(db);
    // Made once: appendConsole is the hot write. `next` is the tail after this chunk.
    this.appendTx = db.transaction((id, n, chunk, next, now) => {
      const t = next.truncated ? 1 : 0;
      if (this.stmt.appendCount.run(n, next.stored, t, now, id).changes === 0)
        throw this.notRunning(id, 'append to');
      if (chunk) this.stmt.insertChunk.run(id, next.seq - 1, chunk);
    });
    this.recoverInterrupted();
  }

  close(): void {
    this.db.close();
  }

  /** Record that a run has started; returns its id. Committed before it returns. */
  begin(start: RunStart): number {
    const s = checkRunStart(start, 'run start');
    const result = this.stmt.begin.run({
      uuid: randomUUID(),
      ...startParams(s),
      owner_pid: process.pid,
    });
    const id = Number(result.lastInsertRowid);
    this.tails.set(id, { seq: 0, stored: 0, truncated: false });
    return id;
  }

  /**
   * Append console output to a running run's transcript; committed before it returns.
   * Beyond the cap bytes are only counted; the cut falls on a UTF-8 character boundary.
   */
  appendConsole(id: number, bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    const tail = this.tails.get(id) ?? this.loadTail(id);
    // max(0, ..): the file may hold more than this store's cap if another store wrote it.
    let keep = tail.truncated ? 0 : Math.max(0, Math.min(bytes.length, this.cap - tail.stored));
    if (keep < bytes.length) keep = charStart(bytes, keep);
    const chunk = keep > 0 ? Buffer.from(bytes.buffer, bytes.byteOffset, keep) : null;
    const next: Tail = {
      seq: chunk ? tail.seq + 1 : tail.seq,
      stored: tail.stored + keep,
      truncated: tail.truncated || keep < bytes.length,
    };
    try {
      this.appendTx.immediate(id, bytes.length, chunk, next, Date.now());
    } catch (e) {
      this.tails.delete(id); // re-read next time rather than trust a cache a failure left behind
      throw e;
    }
    this.tails.set(id, next);
  }

  /** Record how a running run ended, with its statistics, in one transaction. */
  finish(id: number, end: RunEnd): void {
    const e = checkRunEnd(end, `run ${id} end`);
    this.db
      .transaction(() => {
        const changed = this.stmt.finish.run({ id, ...endParams(e.outcome, e) }).changes;
        if (changed === 0) throw this.notRunning(id, 'finish');
        this.insertStatistics(id, e);
      })
      .immediate();
    this.tails.delete(id);
  }

  /** Runs, newest first. */
  list(filter: RunFilter = {}): RunSummary[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    const add = (sql: string, v: string | number | undefined): void => {
      if (v === undefined) return;
      where.push(sql);
      params.push(v);
    };
    add('image_name = ?', filter.image);
    add('outcome = ?', filter.outcome);
    add('profile = ?', filter.profile);
    add('started_at >= ?', filter.since);
    let sql = `SELECT ${SUMMARY_COLUMNS} FROM runs${where.length ? ` WHERE ${where.join(' AND ')}` : ''}
      ORDER BY started_at DESC, id DESC`;
    if (filter.limit !== undefined) {
      if (!Number.isSafeInteger(filter.limit) || filter.limit < 1)
        throw new StoreError(`list: limit must be an integer >= 1 (got ${filter.limit})`);
      sql += ' LIMIT ?';
      params.push(filter.limit);
    }
    return this.db
      .prepare<unknown[], SummaryRow>(sql)
      .all(...params)
      .map(summaryFromRow);
  }

  /** A whole run, or null when there is none with that id. */
  get(id: number): RunRecord | null {
    const r = this.stmt.run.get(id);
    if (!r) return null;
    const text = this.decoder.decode(Buffer.concat(this.stmt.chunks.all(id).map((c) => c.bytes)));
    return {
      id: r.id,
      uuid: r.uuid,
      ...startFromRow(r),
      outcome: r.outcome,
      end: r.outcome === 'running' ? null : endFromRow(r, this.deviceMetrics(id)),
      transcript: { text, totalBytes: r.transcript_bytes, truncated: r.transcript_truncated !== 0 },
    };
  }

  /** Two runs side by side: exits by reason and the headline figures, with b - a. */
  compare(a: number, b: number): RunComparison {
    const ra = this.stmt.run.get(a);
    const rb = this.stmt.run.get(b);
    const missing = [ra ? null : a, rb ? null : b].filter((x) => x !== null);
    if (!ra || !rb) throw new StoreError(`compare: no run ${[...new Set(missing)].join(' or ')}`);
    const ea = this.reasonTotals(a);
    const eb = this.reasonTotals(b);
    const reasons: string[] = [...EXIT_REASONS];
    for (const k of [...ea.keys(), ...eb.keys()]) if (!reasons.includes(k)) reasons.push(k);
    const figure = (name: string, pick: (r: RunRow) => number | null) => {
      const [x, y] = [pick(ra), pick(rb)];
      return { name, a: x, b: y, delta: x === null || y === null ? null : y - x };
    };
    return {
      a: summaryFromRow(ra),
      b: summaryFromRow(rb),
      exits: reasons.map((reason) => {
        const [x, y] = [ea.get(reason) ?? 0, eb.get(reason) ?? 0];
        return { reason, a: x, b: y, delta: y - x };
      }),
      figures: [
        figure('instret', (r) => r.instret),
        figure('virtual seconds', (r) => r.virtual_seconds),
        figure('host ms', (r) => r.host_ms),
        figure('exits', (r) => r.exits_total),
        figure('exit cycles', (r) => r.exit_cycles),
      ],
    };
  }

  /** Delete a run and all it holds; false when there was none. */
  delete(id: number): boolean {
    this.tails.delete(id);
    return this.stmt.delete.run(id).changes > 0;
  }

  /** The given runs (all, oldest first, by default) as an hvlab-runs JSON document. */
  exportJson(ids?: number[]): string {
    return formatRunsDocument(this.existingIds('export', ids).map((id) => this.get(id)!));
  }

  /**
   * Add the runs of an exported document, all or none. Runs whose uuid is already here
   * are skipped; the rest get new ids. A run exported while still running is recorded as
   * interrupted: no process here will finish it.
   */
  importJson(text: string): { imported: number; skipped: number } {
    const runs = parseRunsDocument(text);
    const encoder = new TextEncoder();
    return this.db
      .transaction(() => {
        let imported = 0;
        for (const r of runs) {
          if (this.stmt.uuidExists.get(r.uuid)) continue;
          const bytes = encoder.encode(r.transcript.text);
          const id = Number(
            this.stmt.insertWhole.run({
              uuid: r.uuid,
              ...startParams(r),
              // checkRunRecord pairs outcome 'running' with end null and no other.
              ...(r.end ? endParams(r.outcome as RunEnd['outcome'], r.end) : NO_END),
              transcript_bytes: r.transcript.totalBytes,
              transcript_stored: bytes.length,
              transcript_truncated: r.transcript.truncated ? 1 : 0,
            }).lastInsertRowid,
          );
          if (bytes.length > 0) this.stmt.insertChunk.run(id, 0, Buffer.from(bytes));
          if (r.end) this.insertStatistics(id, r.end);
          imported++;
        }
        this.interruptOrphans();
        return { imported, skipped: runs.length - imported };
      })
      .immediate();
  }

  /** The given runs (all, oldest first, by default) as CSV, one row per run. */
  exportCsv(ids?: number[]): string {
    const runs: CsvRun[] = this.existingIds('export', ids).map((id) => {
      const r = this.stmt.run.get(id)!;
      return {
        id: r.id,
        uuid: r.uuid,
        ...startFromRow(r),
        endedAt: r.ended_at,
        hostMs: r.host_ms,
        virtualSeconds: r.virtual_seconds,
        instret: r.instret,
        outcome: r.outcome,
        reason: r.reason,
        exitCode: r.exit_code,
        exitsTotal: r.exits_total,
        exitsByReason: this.reasonTotals(id),
      };
    });
    return runsToCsv(runs);
  }

  /**
   * Runs left 'running' by a process that no longer exists become 'interrupted', ending
   * at their last console output. Runs of a live process (another hvlab on this file,
   * or this one) are left alone.
   */
  private recoverInterrupted(): void {
    if (this.stmt.running.all().some((r) => r.owner_pid === null || !processAlive(r.owner_pid)))
      this.db.transaction(() => this.interruptOrphans()).immediate();
  }

  private interruptOrphans(): void {
    for (const r of this.stmt.running.all()) {
      if (r.owner_pid !== null && processAlive(r.owner_pid)) continue;
      const endedAt = r.last_output_at ?? r.started_at;
      const reason =
        r.owner_pid === null
          ? 'the run was exported before it ended'
          : `hvlab stopped before the run ended (process ${r.owner_pid})`;
      this.stmt.interrupt.run(reason, endedAt, endedAt - r.started_at, r.id);
    }
  }

  private insertStatistics(id: number, e: Omit<RunEnd, 'outcome'>): void {
    for (const x of exitRows(e.exits))
      this.stmt.insertExit.run(id, x.vcpu, x.kind, x.key, x.count, x.cycles);
    for (const [device, metrics] of Object.entries(e.deviceMetrics))
      for (const [metric, value] of Object.entries(metrics))
        this.stmt.insertMetric.run(id, device, metric, value);
  }

  private deviceMetrics(id: number): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const m of this.stmt.metrics.all(id)) (out[m.device] ??= {})[m.metric] = m.value;
    return out;
  }

  private reasonTotals(id: number): Map<string, number> {
    return new Map(this.stmt.reasonTotals.all(id).map((r) => [r.key, r.count]));
  }

  private loadTail(id: number): Tail {
    const t = this.stmt.tail.get(id);
    if (!t || t.outcome !== 'running') throw this.notRunning(id, 'append to');
    return {
      seq: t.next_seq,
      stored: t.transcript_stored,
      truncated: t.transcript_truncated !== 0,
    };
  }

  private notRunning(id: number, what: string): StoreError {
    const r = this.stmt.outcome.get(id);
    return new StoreError(
      r ? `cannot ${what} run ${id}: it has already ended (${r.outcome})` : `no run ${id}`,
    );
  }

  private existingIds(what: string, ids: number[] | undefined): number[] {
    if (ids === undefined) return this.stmt.allIds.all().map((r) => r.id);
    const missing = ids.filter((id) => !this.stmt.outcome.get(id));
    if (missing.length > 0) throw new StoreError(`${what}: no run ${missing.join(', ')}`);
    return ids;
  }
}

/** Is process `pid` alive? EPERM means it exists but is another user's. */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Where to cut `bytes` at or before `n` so no UTF-8 character is split. */
function charStart(bytes: Uint8Array, n: number): number {
  let i = n;
  // Back over continuation bytes (10xxxxxx) to the start of the character at n.
  while (i > 0 && n - i < 3 && (bytes[i] & 0xc0) === 0x80) i--;
  return (bytes[i] & 0xc0) === 0x80 ? n : i;
}
