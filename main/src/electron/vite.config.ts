import { fileURLToPath } from 'node:url';
import { defineConfig, type EnvironmentOptions } from 'vite';

/**
 * The Electron side, bundled into dist-electron/ as three self-contained files, one Vite
 * environment each:
 *   main.js           the main process, ESM: the package is "type": "module", the host
 *                     code uses import.meta.url, and Electron loads an ESM main.
 *   engine-worker.js  the engine's worker thread (engine/src/worker/worker.ts), ESM like
 *                     main.js, so the packaged app runs no TypeScript.
 *   preload.cjs       the preload, CommonJS: a sandboxed preload cannot be an ES module.
 * Node built-ins and the packages the app ships in node_modules stay external.
 */
const root = fileURLToPath(new URL('../../../', import.meta.url));
const outDir = 'dist-electron';
const EXTERNAL = [/^node:/, /^electron$/, /^better-sqlite3$/, /^ws$/];

function bundle(entry: string, name: string, format: 'es' | 'cjs'): EnvironmentOptions {
  return {
    consumer: 'server',
    build: {
      outDir,
      // The builds run one after another into one folder; the first one clears it.
      emptyOutDir: name === 'main',
      target: 'node22',
      minify: false,
      copyPublicDir: false,
      rolldownOptions: {
        input: { [name]: entry },
        external: EXTERNAL,
        output: {
          format,
          entryFileNames: format === 'cjs' ? '[name].cjs' : '[name].js',
          codeSplitting: false,
        },
      },
    },
  };
}

export default defineConfig({
  root,
  publicDir: false,
  environments: {
    main: bundle('main/src/electron/main.ts', 'main', 'es'),
    worker: bundle('engine/src/worker/worker.ts', 'engine-worker', 'es'),
    preload: bundle('main/src/electron/preload.ts', 'preload', 'cjs'),
  },
  builder: {
    async buildApp(builder) {
      for (const name of ['main', 'worker', 'preload'])
        await builder.build(builder.environments[name]);
    },
  },
});
