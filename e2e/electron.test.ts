/**
 * The desktop app end to end: the same path as web mode (lib/lab-path.ts) through
 * Electron, when HVLAB_ELECTRON_PATH names a binary. None can be downloaded offline, so
 * without one this is skipped even under HVLAB_REQUIRE_ALL.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { describe, it } from 'vitest';
import { labPath, type AppDriver } from './lib/lab-path.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const MAIN = join(ROOT, 'dist-electron', 'main.js');

/** The app in Electron on its own data folder; a restart quits it and starts it again. */
function electronApp(executablePath: string): AppDriver {
  const dataDir = mkdtempSync(join(tmpdir(), 'hvlab-e2e-electron-'));
  let app: ElectronApplication | undefined;
  const start = async (): Promise<Page> => {
    if (!existsSync(MAIN)) throw new Error(`e2e: ${MAIN} is missing: run \`npm run build\` first`);
    // ELECTRON_RUN_AS_NODE, if set, would make Electron a plain Node.
    const env: Record<string, string> = { HVLAB_DATA_DIR: dataDir };
    for (const [k, v] of Object.entries(process.env))
      if (v !== undefined && k !== 'ELECTRON_RUN_AS_NODE' && k !== 'HVLAB_DATA_DIR') env[k] = v;
    app = await _electron.launch({ executablePath, args: [ROOT], env });
    const page = await app.firstWindow();
    await page.getByTestId('nav-launch').waitFor();
    return page;
  };
  return {
    open: start,
    restart: async () => {
      await app!.close();
      return start();
    },
    close: async () => {
      await app?.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const electronPath = process.env.HVLAB_ELECTRON_PATH;

if (!electronPath) {
  it.skip('skipped: set HVLAB_ELECTRON_PATH to an Electron binary', () => {});
} else {
  describe('Electron: the lab path in the desktop app', () => {
    labPath(electronApp(electronPath));
  });
}
