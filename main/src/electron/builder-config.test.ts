import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** electron-builder.yml as electron-builder reads and checks it (against its schema). */
const require = createRequire(import.meta.url);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('electron-builder.yml', () => {
  it('is valid for electron-builder and flips the security fuses', async () => {
    const {
      getConfig,
      validateConfiguration,
    } = require('app-builder-lib/out/util/config/config.js');
    const { DebugLogger } = require('builder-util');
    const config = await getConfig(ROOT, `${ROOT}electron-builder.yml`, null);
    await validateConfiguration(config, new DebugLogger(false));
    expect(config.appId).toBe('org.hvlab.app');
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
    const files = (config.files as { filter: string[] }[]).flatMap((f) => f.filter);
    expect(files).toEqual(
      expect.arrayContaining(['package.json', 'dist-electron/**', 'renderer/dist/**']),
    );
  });
});
