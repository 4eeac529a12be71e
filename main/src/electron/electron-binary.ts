/**
 * Where the Electron binary is, found without running the electron package: its
 * index.js downloads a missing binary on first use, which hangs or fails offline. The
 * package records the executable's path inside its dist/ folder in path.txt once the
 * binary is there; HVLAB_ELECTRON_PATH names a binary explicitly, and
 * ELECTRON_OVERRIDE_DIST_PATH is honoured as the package does.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type ElectronBinary = { path: string } | { missing: string };

export function findElectron(root: string, env: NodeJS.ProcessEnv = process.env): ElectronBinary {
  const named = env.HVLAB_ELECTRON_PATH;
  if (named)
    return existsSync(named)
      ? { path: named }
      : { missing: `HVLAB_ELECTRON_PATH names ${named}, which does not exist` };
  const pkg = join(root, 'node_modules', 'electron');
  if (!existsSync(join(pkg, 'package.json')))
    return { missing: 'the electron package is not installed' };
  const pathFile = join(pkg, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null;
  const override = env.ELECTRON_OVERRIDE_DIST_PATH;
  if (!override && relative === null)
    return { missing: 'node_modules/electron has no binary (it was never downloaded)' };
  const exe = override ? join(override, relative ?? 'electron') : join(pkg, 'dist', relative!);
  return existsSync(exe) ? { path: exe } : { missing: `${exe} does not exist` };
}
