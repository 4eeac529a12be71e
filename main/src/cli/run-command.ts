import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { parseCount, parseMemSize, UsageError } from './options.ts';
import { RESTORE_USAGE, RUN_USAGE } from './usage.ts';
import { restoreVirt, runVirt } from './run-virt.ts';
import { loadProfile } from './profiles.ts';
import { resolveDataDir } from '../store/data-dir.ts';
import { RunStore } from '../store/run-store.ts';

/** Process exit statuses for runs that did not end through the guest itself. */
export const EXIT_LIMIT = 124;
export const EXIT_IDLE = 125;

/** The labos shell prompt: when a run reaches it, the guest has booted. */
const LABOS_PROMPT = 'labos> ';

/** `hvlab run`: boot an image headless; resolves to the process exit status. */
export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      machine: { type: 'string', default: 'virt' },
      mem: { type: 'string', default: '64M' },
      smp: { type: 'string', default: '1' },
      profile: { type: 'string', default: 'kvm' },
      clock: { type: 'string', default: 'deterministic' },
      bootargs: { type: 'string', default: '' },
      input: { type: 'string' },
      kernel: { type: 'string' },
      timeout: { type: 'string' },
      'max-insns': { type: 'string' },
      json: { type: 'boolean', default: false },
      ready: { type: 'string', default: LABOS_PROMPT },
      'no-record': { type: 'boolean', default: false },
      'data-dir': { type: 'string' },
      'save-at': { type: 'string' },
      device: { type: 'string', multiple: true, default: [] },
      vms: { type: 'string', default: '1' },
      'balloon-target': { type: 'string' },
      save: { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw new UsageError(RUN_USAGE);
  if ((values['save-at'] === undefined) !== (values.save === undefined))
    throw new UsageError('--save-at N and --save FILE go together');
  const path = positionals[0];
  const common = {
    imageName: basename(path),
    memBytes: parseMemSize(values.mem),
    maxInsns: values['max-insns'] ? parseCount('max-insns', values['max-insns']) : Infinity,
    timeoutMs: values.timeout ? parseSeconds(values.timeout) * 1000 : Infinity,
    json: values.json,
  };
  const image = readImage(path);
  if (values.machine === 'bare') {
    // The bare machine runs in this thread: its engine is loaded only for it.
    const { runBare } = await import('./run-bare.ts');
    return runBare(
      image,
      values.kernel === undefined ? undefined : readImage(values.kernel),
      common,
    );
  }
  if (values.kernel !== undefined)
    throw new UsageError('--kernel goes with --machine bare (firmware + kernel)');
  if (values.machine !== 'virt') {
    throw new UsageError(`--machine ${values.machine}: unknown machine (available: virt, bare)`);
  }
  if (values.clock !== 'deterministic' && values.clock !== 'realtime') {
    throw new UsageError(`--clock ${values.clock}: expected deterministic or realtime`);
  }
  const store = values['no-record'] ? null : openStore(values['data-dir']);
  try {
    return await runVirt(image, {
      ...common,
      harts: parseCount('smp', values.smp),
      profile: loadProfile(values.profile),
      clock: values.clock,
      bootargs: values.bootargs,
      input: values.input,
      readyMarker: values.ready,
      devices: values.device,
      vms: parseVms(values.vms),
      balloonMiB:
        values['balloon-target'] === undefined
          ? undefined
          : parseCount('balloon-target', values['balloon-target']),
      store,
      save:
        values.save === undefined
          ? undefined
          : { at: parseCount('save-at', values['save-at'] ?? ''), file: values.save },
    });
  } finally {
    store?.close();
  }
}

/** `hvlab restore`: continue a session saved with `hvlab run --save`. */
export async function restoreCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      input: { type: 'string' },
      timeout: { type: 'string' },
      'max-insns': { type: 'string' },
      json: { type: 'boolean', default: false },
      'no-record': { type: 'boolean', default: false },
      'data-dir': { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw new UsageError(RESTORE_USAGE);
  const snapshot = readImage(positionals[0]);
  const store = values['no-record'] ? null : openStore(values['data-dir']);
  try {
    return await restoreVirt(snapshot, {
      maxInsns: values['max-insns'] ? parseCount('max-insns', values['max-insns']) : Infinity,
      timeoutMs: values.timeout ? parseSeconds(values.timeout) * 1000 : Infinity,
      json: values.json,
      input: values.input,
      store,
    });
  } finally {
    store?.close();
  }
}

/** The run store, or a one-line error that says how to run without it. */
function openStore(dataDir: string | undefined): RunStore {
  const dir = resolveDataDir(dataDir);
  try {
    return RunStore.open(dir);
  } catch (e) {
    throw new UsageError(
      `cannot record the run in ${dir}: ${(e as Error).message} (--no-record runs without)`,
    );
  }
}

function readImage(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

function parseVms(text: string): number {
  const n = parseCount('vms', text);
  if (n > 8) throw new UsageError(`--vms ${text}: at most 8 VMs in a session`);
  return n;
}

function parseSeconds(text: string): number {
  const s = Number(text);
  if (!Number.isFinite(s) || s <= 0)
    throw new UsageError(`--timeout ${text}: expected seconds > 0`);
  return s;
}
