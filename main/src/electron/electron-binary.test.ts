import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findElectron } from './electron-binary.ts';

/** Project folders with the electron package in each state an install can leave it. */
const tmp = mkdtempSync(join(tmpdir(), 'hvlab-electron-bin-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function project(name: string, files: Record<string, string>): string {
  const root = join(tmp, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const PKG = 'node_modules/electron/package.json';

describe('findElectron', () => {
  it('finds the binary path.txt names in dist/', () => {
    const root = project('installed', {
      [PKG]: '{}',
      'node_modules/electron/path.txt': 'electron',
      'node_modules/electron/dist/electron': '',
    });
    expect(findElectron(root, {})).toEqual({
      path: join(root, 'node_modules/electron/dist/electron'),
    });
  });

  it('says so when the binary was never downloaded, without trying to download it', () => {
    const root = project('offline', { [PKG]: '{}' });
    expect(findElectron(root, {})).toEqual({
      missing: 'node_modules/electron has no binary (it was never downloaded)',
    });
  });

  it('says so when path.txt names a binary that is gone', () => {
    const root = project('gone', { [PKG]: '{}', 'node_modules/electron/path.txt': 'electron' });
    expect(findElectron(root, {})).toEqual({
      missing: `${join(root, 'node_modules/electron/dist/electron')} does not exist`,
    });
  });

  it('says so when the package is not installed', () => {
    expect(findElectron(join(tmp, 'empty'), {})).toEqual({
      missing: 'the electron package is not installed',
    });
  });

  it('takes HVLAB_ELECTRON_PATH first, and says when it names nothing', () => {
    const root = project('named', { 'bin/electron': '' });
    const exe = join(root, 'bin/electron');
    expect(findElectron(join(tmp, 'empty'), { HVLAB_ELECTRON_PATH: exe })).toEqual({ path: exe });
    expect(findElectron(root, { HVLAB_ELECTRON_PATH: join(root, 'nope') })).toEqual({
      missing: `HVLAB_ELECTRON_PATH names ${join(root, 'nope')}, which does not exist`,
    });
  });

  it('honours ELECTRON_OVERRIDE_DIST_PATH as the electron package does', () => {
    const root = project('override', { [PKG]: '{}', 'elsewhere/electron': '' });
    expect(findElectron(root, { ELECTRON_OVERRIDE_DIST_PATH: join(root, 'elsewhere') })).toEqual({
      path: join(root, 'elsewhere/electron'),
    });
  });
});
