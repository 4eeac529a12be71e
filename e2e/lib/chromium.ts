/**
 * Debian's Chromium for the end-to-end suite: found on the system (HVLAB_CHROMIUM_PATH,
 * else the usual paths), launched headless through playwright-core. Without it the
 * suite is skipped loudly, or fails under HVLAB_REQUIRE_ALL=1 (CI installs it).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { REQUIRE_ALL } from '../../engine/test/tools.ts';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** The Chromium binary to use, or null when there is none. */
export function findChromium(): string | null {
  const given = process.env.HVLAB_CHROMIUM_PATH;
  if (given) {
    if (!existsSync(given)) throw new Error(`HVLAB_CHROMIUM_PATH=${given}: no such file`);
    return given;
  }
  return CANDIDATES.find((p) => existsSync(p)) ?? null;
}

/**
 * The binary, or null after a loud skip notice; throws when HVLAB_REQUIRE_ALL=1 asks for
 * every suite to run.
 */
export function chromiumOrSkip(): string | null {
  const path = findChromium();
  if (path !== null) return path;
  if (REQUIRE_ALL) throw new Error('HVLAB_REQUIRE_ALL=1 but chromium is not installed');
  console.warn('\n*** skipped: chromium not installed ***\n');
  return null;
}

export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}
