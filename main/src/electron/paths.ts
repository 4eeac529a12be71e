/**
 * Where the app finds its parts. The built files sit in the app folder (the repository
 * in development, app.asar when packaged); the guest images and profiles are resources
 * beside app.asar when packaged, since the engine reads them as plain files.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface AppPaths {
  renderer: string;
  preload: string;
  worker: URL;
  images: string;
  profiles: string;
}

export function appPaths(appPath: string, resourcesPath: string, packaged: boolean): AppPaths {
  const assets = join(packaged ? resourcesPath : appPath, 'native-free-assets');
  return {
    renderer: join(appPath, 'renderer', 'dist'),
    preload: join(appPath, 'dist-electron', 'preload.cjs'),
    worker: pathToFileURL(join(appPath, 'dist-electron', 'engine-worker.js')),
    images: join(assets, 'guests'),
    profiles: join(assets, 'profiles'),
  };
}
