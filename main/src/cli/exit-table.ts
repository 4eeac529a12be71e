import { EXIT_REASONS } from '../../../engine/src/hv/exits.ts';
import type { VirtRunReport } from './run-virt.ts';
import { thousands } from './thousands.ts';

/** The end-of-run summary: outcome, times, and exits by reason with their breakdowns. */
export function formatExitTable(r: VirtRunReport): string {
  const lines = [
    '',
    `hvlab: ${r.outcome}${r.outcome === 'shutdown' ? ` (exit ${r.exitCode})` : ''} · ${r.image} · profile ${r.profile} · ${r.clock} · ${r.smp} hart(s)`,
    `  host time ${(r.hostMs / 1000).toFixed(3)} s · virtual time ${r.virtual.seconds.toFixed(6)} s (${thousands(r.virtual.ticks)} ticks)`,
    `  instructions ${thousands(r.instret)} · guest cycles ${thousands(r.virtual.guestCycles)} · exit cycles ${thousands(r.virtual.exitCycles)}`,
    `  ${'exit reason'.padEnd(14)}${'count'.padStart(12)}${'cycles'.padStart(16)}`,
  ];
  for (const reason of EXIT_REASONS) {
    const count = r.exits.byReason[reason];
    if (count === 0) continue;
    lines.push(
      `  ${reason.padEnd(14)}${thousands(count).padStart(12)}${thousands(r.exits.cyclesByReason[reason]).padStart(16)}`,
    );
    if (reason === 'sbi') {
      for (const [ext, fns] of Object.entries(r.exits.sbi)) {
        for (const [fn, c] of Object.entries(fns))
          lines.push(`    ${`${ext}.${fn}`.padEnd(30)}${thousands(c).padStart(8)}`);
      }
    }
    if (reason === 'mmio_read' || reason === 'mmio_write') {
      const key = reason === 'mmio_read' ? 'read' : 'write';
      for (const [dev, c] of Object.entries(r.exits.mmio))
        if (c[key]) lines.push(`    ${dev.padEnd(30)}${thousands(c[key]).padStart(8)}`);
    }
  }
  lines.push(
    `  ${'total'.padEnd(14)}${thousands(r.exits.total).padStart(12)}${thousands(r.exits.cycles).padStart(16)}`,
    '',
  );
  return lines.join('\n');
}
