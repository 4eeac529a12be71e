import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { appPaths } from './paths.ts';

describe('appPaths', () => {
  it('finds the built files in the app folder and the assets in the repository', () => {
    const p = appPaths('/repo', '/opt/electron/resources', false);
    expect(p.renderer).toBe(join('/repo', 'renderer', 'dist'));
    expect(p.preload).toBe(join('/repo', 'dist-electron', 'preload.cjs'));
    expect(p.worker.href).toBe(
      pathToFileURL(join('/repo', 'dist-electron', 'engine-worker.js')).href,
    );
    expect(p.images).toBe(join('/repo', 'native-free-assets', 'guests'));
    expect(p.profiles).toBe(join('/repo', 'native-free-assets', 'profiles'));
  });

  it('takes the assets from the resources beside app.asar when packaged', () => {
    const p = appPaths('/opt/hvlab/resources/app.asar', '/opt/hvlab/resources', true);
    expect(p.preload).toBe(join('/opt/hvlab/resources/app.asar', 'dist-electron', 'preload.cjs'));
    expect(p.images).toBe(join('/opt/hvlab/resources', 'native-free-assets', 'guests'));
    expect(p.profiles).toBe(join('/opt/hvlab/resources', 'native-free-assets', 'profiles'));
  });
});
