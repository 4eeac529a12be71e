import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LabHost } from '../host/lab-host.ts';
import { startServer } from '../serve/server.ts';
import { resolveDataDir } from '../store/data-dir.ts';
import { RunStore } from '../store/run-store.ts';
import { parseCount, UsageError } from './options.ts';
import { PROFILE_DIR } from './profiles.ts';
import { SERVE_USAGE } from './usage.ts';

export const IMAGES_DIR = fileURLToPath(
  new URL('../../../native-free-assets/guests/', import.meta.url),
);
export const RENDERER_DIR = fileURLToPath(new URL('../../../renderer/dist/', import.meta.url));

/** `hvlab serve`: web mode until Ctrl-C. */
export async function serveCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: 'string', default: '8470' },
      host: { type: 'string', default: '127.0.0.1' },
      'data-dir': { type: 'string' },
      open: { type: 'boolean', default: false },
    },
  });
  if (positionals.length) throw new UsageError(SERVE_USAGE);
  const port = values.port === '0' ? 0 : parseCount('port', values.port);
  const dataDir = resolveDataDir(values['data-dir']);
  const store = RunStore.open(dataDir);
  const host = new LabHost({
    store,
    imagesDir: IMAGES_DIR,
    profilesDir: PROFILE_DIR,
  });
  let server;
  try {
    server = await startServer({ host, rendererDir: RENDERER_DIR, port, address: values.host });
  } catch (e) {
    store.close();
    throw new UsageError(`cannot listen on ${values.host}:${port}: ${(e as Error).message}`);
  }
  if (values.host !== '127.0.0.1' && values.host !== 'localhost' && values.host !== '::1') {
    process.stderr.write(
      `hvlab: warning: listening on ${values.host}, reachable from other machines; anyone with the URL's token can drive the lab\n`,
    );
  }
  process.stdout.write(
    `hvlab: web mode at ${server.url}\nhvlab: runs in ${dataDir}; Ctrl-C stops\n`,
  );
  if (values.open) openBrowser(server.url);
  const running = server;
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await host.close();
  await running.close();
  store.close();
  return 0;
}

function openBrowser(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '', url]]
        : ['xdg-open', [url]];
  const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
  child.on('error', () =>
    process.stderr.write(`hvlab: could not open a browser (${cmd}); open the URL above\n`),
  );
  child.unref();
}
