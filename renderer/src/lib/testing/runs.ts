/** Runs as the host returns them, for component tests: plausible values, overridable. */
import { EXIT_REASONS, type ExitReason, type ExitReport } from '../../../../engine/src/hv/exits.ts';
import type { RunRecord, RunSummary } from '../../../../main/src/api/runs.ts';

/** Exit counters with the given counts by reason (the rest zero), cycles 10 per exit. */
export function exitReport(counts: Partial<Record<ExitReason, number>>): ExitReport {
  const byReason = Object.fromEntries(EXIT_REASONS.map((r) => [r, counts[r] ?? 0])) as Record<
    ExitReason,
    number
  >;
  const total = EXIT_REASONS.reduce((n, r) => n + byReason[r], 0);
  return {
    total,
    cycles: total * 10,
    byReason,
    cyclesByReason: Object.fromEntries(EXIT_REASONS.map((r) => [r, byReason[r] * 10])) as Record<
      ExitReason,
      number
    >,
    byVcpu: [byReason],
    sbi: {},
    mmio: {},
  };
}

export function runSummary(over: Partial<RunSummary> & { id: number }): RunSummary {
  return {
    uuid: `uuid-${over.id}`,
    image: 'labos.elf',
    profile: 'default',
    clock: 'deterministic',
    smp: 1,
    startedAt: Date.UTC(2025, 0, 1, 12, 0, over.id),
    endedAt: Date.UTC(2025, 0, 1, 12, 0, over.id) + 1500,
    outcome: 'completed',
    reason: 'guest shut down (status 0)',
    exitCode: 0,
    exitsTotal: 1000 * over.id,
    hostMs: 1500,
    ...over,
  };
}

export function runRecord(over: Partial<RunRecord> & { id: number }): RunRecord {
  const startedAt = Date.UTC(2025, 0, 1, 12, 0, 0);
  return {
    uuid: `uuid-${over.id}`,
    image: { name: 'labos.elf', sha256: 'ab'.repeat(32) },
    config: {
      machine: 'virt',
      smp: 1,
      memBytes: 64 * 2 ** 20,
      bootargs: 'console=hvc0',
      devices: ['console'],
      vms: 1,
    },
    profile: 'default',
    clock: 'deterministic',
    startedAt,
    outcome: 'completed',
    end: {
      reason: 'guest shut down (status 0)',
      endedAt: startedAt + 2500,
      exitCode: 0,
      instret: 1_234_567,
      virtualSeconds: 0.5,
      hostMs: 2500,
      exits: exitReport({ sbi: 1200, mmio_write: 34 }),
      deviceMetrics: {},
      results: {},
    },
    transcript: { text: 'labos booted\n$ ', totalBytes: 15, truncated: false },
    ...over,
  };
}
