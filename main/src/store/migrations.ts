/**
 * The store's schema, grown by migrations keyed on PRAGMA user_version: migration i takes
 * the file from version i to i + 1. Append new migrations; never edit a released one.
 */
import type Database from 'better-sqlite3';
import { StoreError } from './errors.ts';

/** Marks a file as hvlab's ('HVLB', as the SBI implementation ID), so we never adopt another app's database. */
export const APPLICATION_ID = 0x48564c42;

type Migration = (db: Database.Database) => void;

export const MIGRATIONS: readonly Migration[] = [
  // 1: runs, their console transcripts, exit statistics and device metrics.
  (db) => {
    db.exec(`
      CREATE TABLE runs (
        id                   INTEGER PRIMARY KEY AUTOINCREMENT,
        uuid                 TEXT NOT NULL UNIQUE,
        image_name           TEXT NOT NULL,
        image_sha256         TEXT NOT NULL,
        machine              TEXT NOT NULL,
        smp                  INTEGER NOT NULL,
        mem_bytes            INTEGER NOT NULL,
        bootargs             TEXT NOT NULL,
        devices              TEXT NOT NULL,  -- JSON array, slot order
        vms                  INTEGER NOT NULL,
        profile              TEXT NOT NULL,
        clock                TEXT NOT NULL CHECK (clock IN ('deterministic', 'realtime')),
        started_at           INTEGER NOT NULL,  -- ms since the epoch
        owner_pid            INTEGER,           -- the process writing it; NULL once imported
        outcome              TEXT NOT NULL
                             CHECK (outcome IN ('running', 'completed', 'failed', 'interrupted')),
        reason               TEXT,
        ended_at             INTEGER,
        exit_code            INTEGER,
        instret              INTEGER,
        virtual_seconds      REAL,
        host_ms              REAL,
        exits_total          INTEGER,
        exit_cycles          REAL,
        exits_json           TEXT,  -- the ExitReport exactly as given (run_exits is for queries)
        results_json         TEXT,
        transcript_bytes     INTEGER NOT NULL DEFAULT 0,  -- all the guest wrote
        transcript_stored    INTEGER NOT NULL DEFAULT 0,  -- what console_chunks holds
        transcript_truncated INTEGER NOT NULL DEFAULT 0,
        last_output_at       INTEGER  -- last console append: the last sign of life
      );
      CREATE INDEX runs_by_start ON runs (started_at DESC, id DESC);

      CREATE TABLE console_chunks (
        run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        seq    INTEGER NOT NULL,
        bytes  BLOB NOT NULL,
        PRIMARY KEY (run_id, seq)
      ) WITHOUT ROWID;

      -- vcpu NULL = all vCPUs. kind 'reason': key is the exit reason, cycles its cost (totals
      -- only); 'sbi': 'EXT.function'; 'mmio': 'device.read' | 'device.write'.
      CREATE TABLE run_exits (
        run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        vcpu   INTEGER,
        kind   TEXT NOT NULL CHECK (kind IN ('reason', 'sbi', 'mmio')),
        key    TEXT NOT NULL,
        count  INTEGER NOT NULL,
        cycles REAL
      );
      CREATE INDEX run_exits_by_run ON run_exits (run_id, kind, key);

      CREATE TABLE device_metrics (
        run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        device TEXT NOT NULL,
        metric TEXT NOT NULL,
        value  REAL NOT NULL,
        UNIQUE (run_id, device, metric)
      );
    `);
    db.pragma(`application_id = ${APPLICATION_ID}`);
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Bring the file at `path` up to SCHEMA_VERSION. Each step runs in its own IMMEDIATE
 * transaction and re-reads the version inside it, so two processes opening a new file at
 * once migrate it once.
 */
export function migrate(db: Database.Database, path: string): void {
  const version = (): number => db.pragma('user_version', { simple: true }) as number;
  const appId = db.pragma('application_id', { simple: true }) as number;
  if (appId !== 0 && appId !== APPLICATION_ID)
    throw new StoreError(`${path} is another application's SQLite database, not hvlab's`);
  const found = version();
  if (found > SCHEMA_VERSION)
    throw new StoreError(
      `${path} has schema version ${found}, newer than this hvlab knows (${SCHEMA_VERSION}): use a newer hvlab`,
    );
  if (found === 0) {
    const tables = db.prepare('SELECT count(*) AS n FROM sqlite_schema').get() as { n: number };
    if (tables.n > 0)
      throw new StoreError(`${path} is an SQLite database that is not hvlab's (it has no version)`);
  }
  for (let v = found; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      if (version() !== v) return; // another process got here first
      MIGRATIONS[v](db);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}
