/**
 * The store's SQL, prepared once per connection (preparing is the costly part of a
 * statement; appendConsole runs every ~16 ms while a guest prints).
 */
import type Database from 'better-sqlite3';
import type { RunRow } from './rows.ts';

type Params = Record<string, string | number | null>;

export type Statements = ReturnType<typeof prepareStatements>;

export function prepareStatements(db: Database.Database) {
  const END_COLUMNS = `outcome = @outcome, reason = @reason, ended_at = @ended_at,
    exit_code = @exit_code, instret = @instret, virtual_seconds = @virtual_seconds,
    host_ms = @host_ms, exits_total = @exits_total, exit_cycles = @exit_cycles,
    exits_json = @exits_json, results_json = @results_json`;
  return {
    begin: db.prepare<Params>(
      `INSERT INTO runs (uuid, image_name, image_sha256, machine, smp, mem_bytes, bootargs,
         devices, vms, profile, clock, started_at, owner_pid, outcome)
       VALUES (@uuid, @image_name, @image_sha256, @machine, @smp, @mem_bytes, @bootargs,
         @devices, @vms, @profile, @clock, @started_at, @owner_pid, 'running')`,
    ),
    // Imported runs: everything at once, owned by no process.
    insertWhole: db.prepare<Params>(
      `INSERT INTO runs (uuid, image_name, image_sha256, machine, smp, mem_bytes, bootargs,
         devices, vms, profile, clock, started_at, outcome, reason, ended_at, exit_code,
         instret, virtual_seconds, host_ms, exits_total, exit_cycles, exits_json, results_json,
         transcript_bytes, transcript_stored, transcript_truncated)
       VALUES (@uuid, @image_name, @image_sha256, @machine, @smp, @mem_bytes, @bootargs,
         @devices, @vms, @profile, @clock, @started_at, @outcome, @reason, @ended_at,
         @exit_code, @instret, @virtual_seconds, @host_ms, @exits_total, @exit_cycles,
         @exits_json, @results_json, @transcript_bytes, @transcript_stored,
         @transcript_truncated)`,
    ),
    tail: db.prepare<
      [number],
      Pick<RunRow, 'outcome' | 'transcript_stored' | 'transcript_truncated'> & { next_seq: number }
    >(
      `SELECT outcome, transcript_stored, transcript_truncated,
         (SELECT coalesce(max(seq) + 1, 0) FROM console_chunks WHERE run_id = runs.id) AS next_seq
       FROM runs WHERE id = ?`,
    ),
    appendCount: db.prepare<[number, number, number, number, number]>(
      `UPDATE runs SET transcript_bytes = transcript_bytes + ?, transcript_stored = ?,
         transcript_truncated = ?, last_output_at = ?
       WHERE id = ? AND outcome = 'running'`,
    ),
    insertChunk: db.prepare<[number, number, Buffer]>(
      'INSERT INTO console_chunks (run_id, seq, bytes) VALUES (?, ?, ?)',
    ),
    finish: db.prepare<Params>(
      `UPDATE runs SET ${END_COLUMNS} WHERE id = @id AND outcome = 'running'`,
    ),
    insertExit: db.prepare<[number, number | null, string, string, number, number | null]>(
      'INSERT INTO run_exits (run_id, vcpu, kind, key, count, cycles) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    insertMetric: db.prepare<[number, string, string, number]>(
      'INSERT INTO device_metrics (run_id, device, metric, value) VALUES (?, ?, ?, ?)',
    ),
    run: db.prepare<[number], RunRow>('SELECT * FROM runs WHERE id = ?'),
    outcome: db.prepare<[number], Pick<RunRow, 'outcome'>>('SELECT outcome FROM runs WHERE id = ?'),
    allIds: db.prepare<[], { id: number }>('SELECT id FROM runs ORDER BY id'),
    uuidExists: db.prepare<[string], { id: number }>('SELECT id FROM runs WHERE uuid = ?'),
    chunks: db.prepare<[number], { bytes: Buffer }>(
      'SELECT bytes FROM console_chunks WHERE run_id = ? ORDER BY seq',
    ),
    metrics: db.prepare<[number], { device: string; metric: string; value: number }>(
      'SELECT device, metric, value FROM device_metrics WHERE run_id = ? ORDER BY rowid',
    ),
    reasonTotals: db.prepare<[number], { key: string; count: number }>(
      `SELECT key, count FROM run_exits WHERE run_id = ? AND vcpu IS NULL AND kind = 'reason'
       ORDER BY rowid`,
    ),
    running: db.prepare<[], Pick<RunRow, 'id' | 'owner_pid' | 'started_at' | 'last_output_at'>>(
      `SELECT id, owner_pid, started_at, last_output_at FROM runs WHERE outcome = 'running'`,
    ),
    interrupt: db.prepare<[string, number, number, number]>(
      `UPDATE runs SET outcome = 'interrupted', reason = ?, ended_at = ?, host_ms = ?
       WHERE id = ? AND outcome = 'running'`,
    ),
    delete: db.prepare<[number]>('DELETE FROM runs WHERE id = ?'),
  };
}
