/**
 * Deterministic runs for the store's tests, shared with the child process of the
 * durability test so both sides know exactly what a completed run must hold.
 */
import { EXIT_REASONS, type ExitReport } from '../../../../engine/src/hv/exits.ts';
import type { RunEnd, RunStart } from '../../api/runs.ts';

export function sampleStart(n: number, over: Partial<RunStart> = {}): RunStart {
  return {
    image: { name: n % 2 ? 'labos.elf' : 'hello.elf', sha256: `${n}`.padStart(64, 'a') },
    config: {
      machine: 'virt',
      smp: 2,
      memBytes: 64 << 20,
      bootargs: `console=ttyS0 run=${n}`,
      devices: ['net', 'balloon'],
      vms: 1,
    },
    profile: 'kvm',
    clock: 'deterministic',
    startedAt: 1_700_000_000_000 + n * 60_000,
    ...over,
  };
}

/** An exit report over two vCPUs whose counts depend on n (so runs differ). */
export function sampleExits(n: number): ExitReport {
  const byVcpu = [0, 1].map(
    (v) =>
      Object.fromEntries(EXIT_REASONS.map((r, i) => [r, (i + 1) * (n + 1) + v])) as Record<
        (typeof EXIT_REASONS)[number],
        number
      >,
  );
  const byReason = Object.fromEntries(
    EXIT_REASONS.map((r) => [r, byVcpu[0][r] + byVcpu[1][r]]),
  ) as ExitReport['byReason'];
  const cyclesByReason = Object.fromEntries(
    EXIT_REASONS.map((r, i) => [r, byReason[r] * (100 + i) + 0.5]),
  ) as ExitReport['cyclesByReason'];
  const sum = (m: Record<string, number>): number => Object.values(m).reduce((a, b) => a + b, 0);
  return {
    total: sum(byReason),
    cycles: sum(cyclesByReason),
    byReason,
    cyclesByReason,
    byVcpu,
    sbi: { DBCN: { write: 5 + n, read: 1 }, TIME: { set_timer: 3 } },
    mmio: { uart0: { read: 7 * n, write: 2 }, plic: { read: 1, write: 0 } },
  };
}

export function sampleEnd(n: number, over: Partial<RunEnd> = {}): RunEnd {
  return {
    outcome: n % 3 === 2 ? 'failed' : 'completed',
    reason: `guest shut down (status ${n % 3 === 2 ? 1 : 0})`,
    endedAt: sampleStart(n).startedAt + 1500 + n,
    exitCode: n % 3 === 2 ? 1 : 0,
    instret: 1_000_000 * (n + 1) + 7,
    virtualSeconds: 0.25 * (n + 1),
    hostMs: 812.5 + n,
    exits: sampleExits(n),
    deviceMetrics: { 'virtio-net0': { kicks: 12 + n, packets: 300 }, balloon0: { pages: 4.5 } },
    results: n % 2 ? { sweep: [1, 2, 4], fit: { slope: 0.5, label: 'n > t_h/t_e' } } : {},
    ...over,
  };
}

/** The console output of sample run n, in chunks that split multi-byte characters. */
export function sampleChunks(n: number): Uint8Array[] {
  const bytes = new TextEncoder().encode(`run ${n}: héllo wörld ✓ 😀\r\nlabos$ ${'é'.repeat(n)}\n`);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += 5) chunks.push(bytes.subarray(i, i + 5));
  return chunks;
}

export function sampleText(n: number): string {
  return new TextDecoder().decode(concat(sampleChunks(n)));
}

export function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Chunk `seq` of the endless run in the durability test. */
export function loopChunk(seq: number): string {
  return `chunk ${seq} ✓ ${'x'.repeat(seq % 50)}\n`;
}
