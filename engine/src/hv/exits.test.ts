import { describe, expect, it } from 'vitest';
import type { Hart } from '../cpu/hart.ts';
import { Exit, EXIT_REASONS, ExitStats } from './exits.ts';

const vcpu = (id: number) => ({ id, stallCycles: 0 }) as unknown as Hart;

describe('exit statistics', () => {
  it('counts per vCPU and reason, charges the cost to the vCPU, breaks SBI and MMIO down', () => {
    const costs = new Float64Array(EXIT_REASONS.map((_, i) => 100 * (i + 1)));
    const stats = new ExitStats(2, costs, 0, () => 0);
    const [a, b] = [vcpu(0), vcpu(1)];
    stats.sbi(a, 0, 'DBCN', 'write');
    stats.sbi(a, 0, 'DBCN', 'write');
    stats.sbi(b, 0, 'BASE', 'probe_extension');
    stats.mmioAccess(b, 0, 'uart0', true);
    stats.mmioAccess(b, 0, 'uart0', false);
    stats.record(a, Exit.wfi, 0);
    const r = stats.report();
    expect(r.total).toBe(6);
    expect(r.byReason).toMatchObject({ sbi: 3, mmio_read: 1, mmio_write: 1, wfi: 1, csr: 0 });
    expect(r.byVcpu[0]).toMatchObject({ sbi: 2, wfi: 1 });
    expect(r.sbi).toEqual({ BASE: { probe_extension: 1 }, DBCN: { write: 2 } });
    expect(r.mmio).toEqual({ uart0: { read: 1, write: 1 } });
    const cost = (reason: string) =>
      costs[EXIT_REASONS.indexOf(reason as (typeof EXIT_REASONS)[number])];
    expect(a.stallCycles).toBe(2 * cost('sbi') + cost('wfi'));
    expect(r.cycles).toBe(a.stallCycles + b.stallCycles);
  });

  it('keeps a bounded trace of the most recent exits', () => {
    let t = 0;
    const stats = new ExitStats(1, new Float64Array(EXIT_REASONS.length), 3, () => t++);
    for (let i = 0; i < 5; i++) stats.record(vcpu(0), Exit.csr, 0x80400000 + 4 * i, 'time');
    expect(stats.recent().map((e) => [e.pc.toString(16), e.time])).toEqual([
      ['80400008', 2],
      ['8040000c', 3],
      ['80400010', 4],
    ]);
  });
});
