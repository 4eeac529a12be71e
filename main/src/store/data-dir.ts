/**
 * Where the run store lives when the caller does not say. `--data-dir` (passed in by the
 * caller) wins, then $HVLAB_DATA_DIR, then the user's data folder:
 *   Linux and other Unixes  $XDG_DATA_HOME/hvlab, else ~/.local/share/hvlab
 *   macOS                   ~/Library/Application Support/hvlab
 *   Windows                 %APPDATA%\hvlab, else ~\AppData\Roaming\hvlab
 * On Linux this is the XDG *data* folder rather than Electron's userData (~/.config/hvlab):
 * runs are data, not settings, and the CLI must find the same folder without Electron. On
 * macOS and Windows it is the folder Electron's app.getPath('userData') gives an app named
 * hvlab. The Electron side should call this too rather than app.getPath('userData').
 */
import { homedir } from 'node:os';
import path from 'node:path';

const APP = 'hvlab';

/** The folder for the store: flag, then environment, then the platform's default. */
export function resolveDataDir(
  flag?: string,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  const p = platform === 'win32' ? path.win32 : path.posix;
  if (flag) return p.resolve(flag);
  if (env.HVLAB_DATA_DIR) return p.resolve(env.HVLAB_DATA_DIR);
  switch (platform) {
    case 'win32':
      return p.join(env.APPDATA || p.join(home, 'AppData', 'Roaming'), APP);
    case 'darwin':
      return p.join(home, 'Library', 'Application Support', APP);
    default: {
      // The XDG spec says to ignore a relative XDG_DATA_HOME.
      const xdg = env.XDG_DATA_HOME;
      return p.join(xdg && p.isAbsolute(xdg) ? xdg : p.join(home, '.local', 'share'), APP);
    }
  }
}

/** The default folder when no --data-dir is given. */
export function dataDirFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return resolveDataDir(undefined, env);
}
