/**
 * Host profiles: the cost model a VM runs under (DESIGN §3). A profile is JSON (the lab
 * ships some in native-free-assets/profiles): the virtual CPU's frequency and cycles per
 * instruction, the guest timebase, the cycles each exit reason costs (each default cites
 * its source in reference figures), which CSRs trap, and whether the guest gets Sstc.
 */
import { EXIT_REASONS, type ExitReason } from './exits.ts';

/** CSRs a profile may trap instead of passing through to the guest. */
export const TRAPPABLE_CSRS = ['time'] as const;
export type TrappableCsr = (typeof TRAPPABLE_CSRS)[number];

export interface HostProfile {
  name: string;
  description: string;
  cpuHz: number;
  timebaseHz: number;
  cpi: number;
  exitCycles: Record<ExitReason, number>;
  /** Per-device overrides of the MMIO exit cost (an in-kernel device is cheaper). */
  deviceExitCycles: Record<string, number>;
  trapCsrs: TrappableCsr[];
  sstc: boolean;
  /** Where each figure comes from. */
  sources: Record<string, string>;
}

export class ProfileError extends Error {
  override readonly name = 'ProfileError';
}

/** Validate a parsed JSON profile; every problem is one line naming the field. */
export function parseProfile(json: unknown, origin: string): HostProfile {
  const fail = (msg: string): never => {
    throw new ProfileError(`profile ${origin}: ${msg}`);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('not a JSON object');
  const o = json as Record<string, unknown>;
  const str = (k: string): string =>
    typeof o[k] === 'string' ? (o[k] as string) : fail(`${k} must be a string`);
  const pos = (k: string, v: unknown = o[k]): number =>
    typeof v === 'number' && Number.isFinite(v) && v > 0
      ? v
      : fail(`${k} must be a positive number`);
  const exits = o.exitCycles;
  if (typeof exits !== 'object' || exits === null) fail('exitCycles must be an object');
  const exitCycles = {} as Record<ExitReason, number>;
  for (const r of EXIT_REASONS) {
    const v = (exits as Record<string, unknown>)[r];
    if (typeof v !== 'number' || !(v >= 0)) fail(`exitCycles.${r} must be a number >= 0`);
    exitCycles[r] = v as number;
  }
  for (const k of Object.keys(exits as object)) {
    if (!(EXIT_REASONS as readonly string[]).includes(k))
      fail(`exitCycles.${k}: unknown exit reason`);
  }
  const trap = o.trapCsrs ?? [];
  if (
    !Array.isArray(trap) ||
    trap.some((c) => !(TRAPPABLE_CSRS as readonly string[]).includes(c))
  ) {
    fail(`trapCsrs must list CSRs from: ${TRAPPABLE_CSRS.join(', ')}`);
  }
  const dev = o.deviceExitCycles ?? {};
  if (typeof dev !== 'object' || dev === null) fail('deviceExitCycles must be an object');
  for (const [k, v] of Object.entries(dev as object))
    if (typeof v !== 'number' || v < 0) fail(`deviceExitCycles.${k} must be a number >= 0`);
  const sources = o.sources ?? {};
  if (typeof sources !== 'object' || sources === null) fail('sources must be an object');
  if (o.sstc !== undefined && typeof o.sstc !== 'boolean') fail('sstc must be true or false');
  return {
    name: str('name'),
    description: str('description'),
    cpuHz: pos('cpuHz'),
    timebaseHz: pos('timebaseHz'),
    cpi: pos('cpi'),
    exitCycles,
    deviceExitCycles: dev as Record<string, number>,
    trapCsrs: trap as TrappableCsr[],
    sstc: (o.sstc as boolean | undefined) ?? true,
    sources: sources as Record<string, string>,
  };
}
