/**
 * The must-show of DESIGN §7: nothing acknowledged is lost when hvlab is killed. A child
 * process writes runs and streams console chunks to one more; it is SIGKILLed mid-stream
 * (no exit handlers, no close, the WAL left as it was), then the store is opened again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DB_FILE, RunStore } from './run-store.ts';
import { loopChunk, sampleEnd, sampleStart, sampleText } from './test-fixtures/samples.ts';
import { tempDirs } from './test-fixtures/temp.ts';

const WRITER = fileURLToPath(new URL('./test-fixtures/writer.ts', import.meta.url));
const COMPLETED = 3;
/** Acknowledged chunks to wait for before the kill: enough that some are mid-stream. */
const ACKS_BEFORE_KILL = 40;

const newDir = tempDirs('durability');
let child: ChildProcess | undefined;
afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

interface Progress {
  done: number[];
  begun: number | null;
  /** Chunks acknowledged so far (acks come in order: ack N covers chunks 0..N). */
  acked: number;
}

interface Writer {
  proc: ChildProcess;
  /** Updated as the writer reports, until its stdout closes. */
  progress: Progress;
  /** Resolves once `ready(progress)` holds; rejects if the writer exits first. */
  ready: Promise<void>;
  /** Resolves when the writer's stdout has closed: every line it printed has been read. */
  drained: Promise<void>;
}

function startWriter(dir: string, ready: (p: Progress) => boolean): Writer {
  const progress: Progress = { done: [], begun: null, acked: 0 };
  const proc = spawn(process.execPath, [WRITER, dir, String(COMPLETED)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: proc.stdout! });
  const drained = new Promise<void>((resolve) => lines.on('close', resolve));
  const isReady = new Promise<void>((resolve, reject) => {
    lines.on('line', (line) => {
      const [what, n] = line.split(' ');
      if (what === 'done') progress.done.push(Number(n));
      else if (what === 'begun') progress.begun = Number(n);
      else if (what === 'ack' && Number(n) === progress.acked) progress.acked++;
      else reject(new Error(`unexpected line from the writer: ${line}`));
      if (ready(progress)) resolve();
    });
    proc.on('exit', (code, signal) =>
      reject(new Error(`writer exited (${code ?? signal}) early: ${stderr.trim()}`)),
    );
  });
  return { proc, progress, ready: isReady, drained };
}

function kill(proc: ChildProcess): Promise<NodeJS.Signals | null> {
  return new Promise((resolve) => {
    proc.once('exit', (_code, signal) => resolve(signal));
    proc.kill('SIGKILL');
  });
}

describe('a store whose writer is SIGKILLed mid-write', () => {
  it('keeps every completed run and every acknowledged chunk; the open run is interrupted', async () => {
    const dir = newDir();
    const writer = startWriter(dir, (p) => p.acked >= ACKS_BEFORE_KILL);
    await writer.ready;
    const { proc, progress } = writer;
    expect(progress.done).toHaveLength(COMPLETED);
    const open = progress.begun!;

    // While the writer lives, another store on the file leaves its run alone.
    const peer = RunStore.open(dir);
    expect(peer.get(open)!.outcome).toBe('running');
    peer.close();

    expect(await kill(proc)).toBe('SIGKILL');
    await writer.drained; // acks printed just before the kill count too
    const { acked } = progress;
    expect(acked).toBeGreaterThanOrEqual(ACKS_BEFORE_KILL);
    expect(existsSync(join(dir, `${DB_FILE}-wal`))).toBe(true); // nothing checkpointed it

    const store = RunStore.open(dir);
    try {
      progress.done.forEach((id, n) => {
        const { outcome, ...end } = sampleEnd(n);
        expect(store.get(id)).toEqual({
          id,
          uuid: expect.any(String),
          ...sampleStart(n),
          outcome,
          end,
          transcript: {
            text: sampleText(n),
            totalBytes: new TextEncoder().encode(sampleText(n)).length,
            truncated: false,
          },
        });
      });

      const rec = store.get(open)!;
      expect(rec.outcome).toBe('interrupted');
      expect(rec.end!.reason).toBe(`hvlab stopped before the run ended (process ${proc.pid})`);
      expect(rec.end!.endedAt).toBeGreaterThanOrEqual(sampleStart(99).startedAt);
      // Whole chunks only, in order, at least every acknowledged one (one more may have
      // committed before its ack was printed).
      const stored = rec.transcript.text.split('\n').length - 1;
      expect(stored).toBeGreaterThanOrEqual(acked);
      expect(rec.transcript.text).toBe(
        Array.from({ length: stored }, (_, i) => loopChunk(i)).join(''),
      );
      expect(rec.transcript.totalBytes).toBe(new TextEncoder().encode(rec.transcript.text).length);
      expect(store.list({ outcome: 'interrupted' }).map((r) => r.id)).toEqual([open]);
    } finally {
      store.close();
    }
    const db = new Database(join(dir, DB_FILE), { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.pragma('foreign_key_check')).toEqual([]);
    db.close();
  });
});
