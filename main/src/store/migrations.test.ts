import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { APPLICATION_ID, SCHEMA_VERSION } from './migrations.ts';
import { DB_FILE, RunStore } from './run-store.ts';
import { sampleEnd, sampleStart } from './test-fixtures/samples.ts';
import { tempDirs } from './test-fixtures/temp.ts';

const newDir = tempDirs('migrations');

function pragmas(file: string): Record<string, unknown> {
  const db = new Database(file, { readonly: true });
  try {
    const p = (name: string): unknown => db.pragma(name, { simple: true });
    return {
      user_version: p('user_version'),
      application_id: p('application_id'),
      journal_mode: p('journal_mode'),
      tables: db
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .all()
        .map((r) => (r as { name: string }).name),
    };
  } finally {
    db.close();
  }
}

describe('opening and migrating the store file', () => {
  it('creates the folder and a file at the latest schema version', () => {
    const dir = join(newDir(), 'nested', 'data');
    RunStore.open(dir).close();
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(1);
    expect(pragmas(join(dir, DB_FILE))).toEqual({
      user_version: SCHEMA_VERSION,
      application_id: APPLICATION_ID,
      journal_mode: 'wal',
      tables: ['console_chunks', 'device_metrics', 'run_exits', 'runs', 'sqlite_sequence'],
    });
  });

  it('reopens an existing file with its runs and without migrating again', () => {
    const dir = newDir();
    const a = RunStore.open(dir);
    const id = a.begin(sampleStart(1));
    a.finish(id, sampleEnd(1));
    a.close();
    const b = RunStore.open(dir);
    expect(b.get(id)!.end!.exits).toEqual(sampleEnd(1).exits);
    b.close();
    expect(pragmas(join(dir, DB_FILE)).user_version).toBe(SCHEMA_VERSION);
  });

  it('refuses a file from a newer hvlab, naming both versions', () => {
    const dir = newDir();
    RunStore.open(dir).close();
    const file = join(dir, DB_FILE);
    const db = new Database(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 4}`);
    db.close();
    expect(() => RunStore.open(dir)).toThrow(
      new RegExp(
        `^${file} has schema version ${SCHEMA_VERSION + 4}, newer than this hvlab knows ` +
          `\\(${SCHEMA_VERSION}\\): use a newer hvlab$`,
      ),
    );
  });

  it('refuses a file that is not SQLite, naming it', () => {
    const dir = newDir();
    mkdirSync(dir);
    const file = join(dir, DB_FILE);
    writeFileSync(file, 'these are my lab notes, not a database\n'.repeat(200));
    expect(() => RunStore.open(dir)).toThrow(
      expect.objectContaining({
        name: 'StoreError',
        message: `${file} is not an hvlab database (not an SQLite file)`,
      }),
    );
  });

  it("refuses another application's SQLite database instead of adding tables to it", () => {
    const dir = newDir();
    mkdirSync(dir);
    const file = join(dir, DB_FILE);
    const db = new Database(file);
    db.exec('CREATE TABLE notes (text TEXT)');
    db.close();
    expect(() => RunStore.open(dir)).toThrow(
      `${file} is an SQLite database that is not hvlab's (it has no version)`,
    );
    const other = new Database(file);
    other.pragma('application_id = 1234');
    other.close();
    expect(() => RunStore.open(dir)).toThrow(
      `${file} is another application's SQLite database, not hvlab's`,
    );
    expect(pragmas(file).tables).toEqual(['notes']);
  });

  it('names a data folder it cannot create', () => {
    const dir = newDir();
    mkdirSync(dir);
    writeFileSync(join(dir, 'file'), '');
    expect(() => RunStore.open(join(dir, 'file', 'sub'))).toThrow(
      new RegExp(`^cannot create the data folder ${join(dir, 'file', 'sub')}: ENOTDIR`),
    );
  });
});
