import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * System tools some suites need (QEMU, the RISC-V toolchain). A missing tool skips those
 * tests loudly; with HVLAB_REQUIRE_ALL=1 (as in CI) it fails them instead.
 */
export const ASSETS = fileURLToPath(new URL('../../native-free-assets/', import.meta.url));
export const REQUIRE_ALL = process.env.HVLAB_REQUIRE_ALL === '1';

export function hasTool(cmd: string, args: string[] = ['--version']): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

/** True when `cmd` can be used; otherwise warns (or, under HVLAB_REQUIRE_ALL, throws). */
export function needTool(cmd: string, why: string): boolean {
  if (hasTool(cmd)) return true;
  const msg = `${cmd} not installed: skipping ${why}`;
  if (REQUIRE_ALL) throw new Error(`HVLAB_REQUIRE_ALL=1 but ${msg}`);
  console.warn(`\n*** skipped: ${msg} ***\n`);
  return false;
}
