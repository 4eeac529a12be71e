import { describe, expect, it } from 'vitest';
import { dataDirFromEnv, resolveDataDir } from './data-dir.ts';

describe('the default data folder', () => {
  it('takes --data-dir first, then HVLAB_DATA_DIR', () => {
    const env = { HVLAB_DATA_DIR: '/srv/lab', XDG_DATA_HOME: '/x' };
    expect(resolveDataDir('/tmp/mine', env, 'linux', '/home/ada')).toBe('/tmp/mine');
    expect(resolveDataDir(undefined, env, 'linux', '/home/ada')).toBe('/srv/lab');
    expect(resolveDataDir('', env, 'darwin', '/Users/ada')).toBe('/srv/lab');
    expect(dataDirFromEnv({ HVLAB_DATA_DIR: '/srv/lab' })).toBe('/srv/lab');
  });

  it("uses the platform's data folder otherwise", () => {
    expect(resolveDataDir(undefined, {}, 'linux', '/home/ada')).toBe(
      '/home/ada/.local/share/hvlab',
    );
    expect(resolveDataDir(undefined, { XDG_DATA_HOME: '/data' }, 'linux', '/home/ada')).toBe(
      '/data/hvlab',
    );
    // The XDG spec: a relative XDG_DATA_HOME is ignored.
    expect(resolveDataDir(undefined, { XDG_DATA_HOME: 'rel' }, 'freebsd', '/home/ada')).toBe(
      '/home/ada/.local/share/hvlab',
    );
    expect(resolveDataDir(undefined, {}, 'darwin', '/Users/ada')).toBe(
      '/Users/ada/Library/Application Support/hvlab',
    );
    expect(
      resolveDataDir(
        undefined,
        { APPDATA: 'C:\\Users\\ada\\AppData\\Roaming' },
        'win32',
        'C:\\Users\\ada',
      ),
    ).toBe('C:\\Users\\ada\\AppData\\Roaming\\hvlab');
    expect(resolveDataDir(undefined, {}, 'win32', 'C:\\Users\\ada')).toBe(
      'C:\\Users\\ada\\AppData\\Roaming\\hvlab',
    );
  });
});
