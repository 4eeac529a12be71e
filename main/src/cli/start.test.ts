import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/** `npm start` (start.ts) with Electron missing, and with a stand-in Electron binary. */
const START = fileURLToPath(new URL('./start.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'hvlab-start-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function start(electron: string, ...args: string[]) {
  return spawn(process.execPath, [START, ...args], {
    env: { ...process.env, HVLAB_ELECTRON_PATH: electron, HVLAB_DATA_DIR: join(tmp, 'data') },
  });
}

/** The first line of `stream` matching `re`. */
function lineMatching(stream: NodeJS.ReadableStream, re: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: stream });
    lines.on('line', (line) => {
      const m = line.match(re);
      if (m) {
        resolve(m);
        lines.close();
      }
    });
    lines.on('close', () => reject(new Error(`no line matching ${re}`)));
  });
}

describe('npm start', () => {
  it('without an Electron binary says so in one line and serves web mode', async () => {
    const missing = join(tmp, 'no-such-electron');
    const child = start(missing, '--port', '0');
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      const [, url] = await lineMatching(child.stdout, /^hvlab: web mode at (\S+)$/);
      const notice = stderr.split('\n').filter((l) => l.includes('Electron'));
      expect(notice).toEqual([
        `hvlab: no Electron binary here (HVLAB_ELECTRON_PATH names ${missing}, which does not exist); starting web mode instead`,
      ]);
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await page.text()).toContain('<title>hvlab</title>');
    } finally {
      child.kill('SIGTERM');
    }
    // SIGTERM stops web mode cleanly.
    expect(await exited).toBe(0);
  });

  it.skipIf(process.platform === 'win32')(
    'with an Electron binary runs it on the project and exits with its status',
    async () => {
      const fake = join(tmp, 'electron');
      writeFileSync(fake, '#!/bin/sh\necho "electron $*"\nexit 3\n');
      chmodSync(fake, 0o755);
      const child = start(fake, '--some-flag');
      const [line] = await lineMatching(child.stdout, /^electron .*$/);
      expect(line).toBe(`electron ${ROOT} --some-flag`);
      expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(3);
    },
  );
});
