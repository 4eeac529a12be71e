/**
 * `hvlab serve` as a child process for the end-to-end suite: started on a data folder,
 * stopped with SIGTERM (its clean shutdown), and started again on the same folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../main/src/cli/hvlab.ts', import.meta.url));
const RENDERER_INDEX = fileURLToPath(new URL('../../renderer/dist/index.html', import.meta.url));

export interface Serve {
  /** The page to open, token included. */
  url: string;
  /** http://127.0.0.1:PORT */
  origin: string;
  token: string;
  stop(): Promise<void>;
}

/** Throws when the renderer has not been built (serve would answer 503). */
export function requireBuiltRenderer(): void {
  if (!existsSync(RENDERER_INDEX))
    throw new Error(`e2e: ${RENDERER_INDEX} is missing: run \`npm run build\` first`);
}

export async function startServe(dataDir: string): Promise<Serve> {
  requireBuiltRenderer();
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // A test process that dies must not leave a server behind.
  const killOnExit = (): void => void child.kill();
  process.once('exit', killOnExit);
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      process.off('exit', killOnExit);
      resolve(code);
    }),
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const onData = (b: Buffer): void => {
      out += b.toString();
      const m = /hvlab: web mode at (\S+)/.exec(out);
      if (m) {
        child.stdout!.off('data', onData);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    void exited.then((code) =>
      reject(new Error(`hvlab serve exited (${code}) before listening: ${stderr.trim()}`)),
    );
  });
  const u = new URL(url);
  return {
    url,
    origin: u.origin,
    token: u.searchParams.get('token')!,
    stop: () => stopChild(child, exited),
  };
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const code = await exited;
  if (code !== 0) throw new Error(`hvlab serve stopped with status ${code}`);
}
