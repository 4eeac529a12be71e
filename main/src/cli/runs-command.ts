import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { RunOutcome, RunSummary } from '../api/runs.ts';
import { resolveDataDir } from '../store/data-dir.ts';
import { RunStore } from '../store/run-store.ts';
import { parseCount, UsageError } from './options.ts';
import { thousands } from './thousands.ts';
import { RUNS_USAGE } from './usage.ts';

const OUTCOMES: readonly RunOutcome[] = ['running', 'completed', 'failed', 'interrupted'];

/** `hvlab runs ...`: the run history in the store. */
export function runsCommand(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      csv: { type: 'boolean', default: false },
      out: { type: 'string' },
      image: { type: 'string' },
      outcome: { type: 'string' },
      limit: { type: 'string' },
      'data-dir': { type: 'string' },
    },
  });
  const [sub, ...args] = positionals;
  const print = (text: string): void =>
    void process.stdout.write(text.endsWith('\n') ? text : text + '\n');
  const json = (v: unknown): void => print(JSON.stringify(v, null, 2));
  const id = (text: string | undefined): number => {
    if (text === undefined) throw new UsageError(RUNS_USAGE);
    return parseCount('run id', text);
  };
  const store = RunStore.open(resolveDataDir(values['data-dir']));
  try {
    switch (sub) {
      case 'list': {
        const outcome = values.outcome as RunOutcome | undefined;
        if (outcome !== undefined && !OUTCOMES.includes(outcome))
          throw new UsageError(`--outcome ${outcome}: expected one of ${OUTCOMES.join(', ')}`);
        const runs = store.list({
          image: values.image,
          outcome,
          limit: values.limit === undefined ? undefined : parseCount('limit', values.limit),
        });
        if (values.json) json(runs);
        else print(formatRunList(runs));
        return 0;
      }
      case 'show': {
        const run = store.get(id(args[0]));
        if (run === null) throw new UsageError(`run ${args[0]}: no such run`);
        if (values.json) json(run);
        else {
          const [summary] = store.list({}).filter((r) => r.id === run.id);
          print(formatRunList([summary]));
          print(`reason: ${run.end?.reason ?? '(still running)'}\n--- console ---`);
          print(
            run.transcript.text + (run.transcript.truncated ? '\n[transcript cut at the cap]' : ''),
          );
        }
        return 0;
      }
      case 'compare': {
        const c = store.compare(id(args[0]), id(args[1]));
        if (values.json) json(c);
        else {
          const rows = [
            ...c.figures.map((f) => [f.name, f.a, f.b, f.delta]),
            ...c.exits
              .filter((e) => e.a || e.b)
              .map((e) => [`exits ${e.reason}`, e.a, e.b, e.delta]),
          ];
          print(
            [
              `${''.padEnd(24)}${`run ${c.a.id}`.padStart(16)}${`run ${c.b.id}`.padStart(16)}${'b - a'.padStart(16)}`,
            ]
              .concat(
                rows.map(
                  ([name, a, b, d]) => `${String(name).padEnd(24)}${fmt(a)}${fmt(b)}${fmt(d)}`,
                ),
              )
              .join('\n'),
          );
        }
        return 0;
      }
      case 'export': {
        const ids = args.length ? args.map((a) => id(a)) : undefined;
        const text = values.csv ? store.exportCsv(ids) : store.exportJson(ids);
        if (values.out) writeFileSync(values.out, text);
        else print(text);
        return 0;
      }
      case 'import': {
        if (args[0] === undefined) throw new UsageError(RUNS_USAGE);
        let text: string;
        try {
          text = readFileSync(args[0], 'utf8');
        } catch {
          throw new UsageError(`${args[0]}: cannot read the file`);
        }
        const r = store.importJson(text);
        print(`imported ${r.imported} run(s), skipped ${r.skipped} already present`);
        return 0;
      }
      case 'delete': {
        if (!store.delete(id(args[0]))) throw new UsageError(`run ${args[0]}: no such run`);
        return 0;
      }
      default:
        throw new UsageError(RUNS_USAGE);
    }
  } finally {
    store.close();
  }
}

function fmt(v: unknown): string {
  const text =
    typeof v === 'number' ? (Number.isInteger(v) ? thousands(v) : v.toPrecision(6)) : '-';
  return text.padStart(16);
}

/** One line per run: what a student scans for first. */
export function formatRunList(runs: RunSummary[]): string {
  if (runs.length === 0) return 'no runs recorded yet';
  const head = `${'id'.padStart(5)}  ${'started'.padEnd(19)}  ${'image'.padEnd(16)} ${'profile'.padEnd(14)} ${'smp'.padStart(3)}  ${'outcome'.padEnd(11)} ${'exit'.padStart(4)} ${'exits'.padStart(10)} ${'host s'.padStart(8)}`;
  const lines = runs.map((r) =>
    [
      String(r.id).padStart(5),
      ' ',
      new Date(r.startedAt).toISOString().slice(0, 19).replace('T', ' '),
      ' ',
      r.image.padEnd(16).slice(0, 16),
      r.profile.padEnd(14).slice(0, 14),
      String(r.smp).padStart(3),
      ' ',
      r.outcome.padEnd(11),
      (r.exitCode === null ? '-' : String(r.exitCode)).padStart(4),
      (r.exitsTotal === null ? '-' : thousands(r.exitsTotal)).padStart(10),
      (r.hostMs === null ? '-' : (r.hostMs / 1000).toFixed(3)).padStart(8),
    ].join(' '),
  );
  return [head, ...lines].join('\n');
}
