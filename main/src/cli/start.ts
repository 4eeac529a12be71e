#!/usr/bin/env node
/**
 * `npm start`: the desktop app where this machine has an Electron binary; where it has
 * none (an offline install cannot download one) web mode in this process instead, said
 * in one line. Whatever the chosen mode needs and is not built yet is built first.
 * Arguments go to the app, or to `hvlab serve` in web mode (e.g. --port 0, --data-dir).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findElectron } from '../electron/electron-binary.ts';
import { StoreError } from '../store/errors.ts';
import { UsageError } from './options.ts';
import { serveCommand } from './serve-command.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const RENDERER = ['renderer/dist/index.html'];
const APP = [
  ...RENDERER,
  'dist-electron/main.js',
  'dist-electron/preload.cjs',
  'dist-electron/engine-worker.js',
];

/** Run `npm run build` unless every one of `outputs` exists. */
function buildUnlessBuilt(outputs: string[]): void {
  if (outputs.every((f) => existsSync(join(ROOT, f)))) return;
  process.stderr.write('hvlab: building first (npm run build)\n');
  // Under `npm start` npm names itself; otherwise find npm on the PATH.
  const npm = process.env.npm_execpath;
  const r = npm
    ? spawnSync(process.execPath, [npm, 'run', 'build'], { cwd: ROOT, stdio: 'inherit' })
    : spawnSync('npm', ['run', 'build'], {
        cwd: ROOT,
        stdio: 'inherit',
        shell: process.platform === 'win32',
      });
  if (r.status !== 0) throw new UsageError('the build failed (npm run build)');
}

/** The app in Electron until it exits; its status is ours. */
function runElectron(exe: string, args: string[]): Promise<number> {
  const env = { ...process.env };
  // Set in the environment, it would make Electron a plain Node.
  delete env.ELECTRON_RUN_AS_NODE;
  const child = spawn(exe, [ROOT, ...args], { stdio: 'inherit', env });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  return new Promise((resolve, reject) => {
    child.once('error', (e) => reject(new UsageError(`cannot run ${exe}: ${e.message}`)));
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

async function main(args: string[]): Promise<number> {
  const electron = findElectron(ROOT);
  if ('path' in electron) {
    buildUnlessBuilt(APP);
    return runElectron(electron.path, args);
  }
  process.stderr.write(
    `hvlab: no Electron binary here (${electron.missing}); starting web mode instead\n`,
  );
  buildUnlessBuilt(RENDERER);
  // A person at a terminal gets a browser; a script reads the URL instead.
  return serveCommand(process.stdout.isTTY ? ['--open', ...args] : args);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  if (
    e instanceof UsageError ||
    e instanceof StoreError ||
    (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
  ) {
    process.stderr.write(`hvlab: ${(e as Error).message}\n`);
    process.exitCode = 2;
  } else throw e;
}
