/**
 * The guest's balloon statistics (virtio names, engine/src/devices/virtio/balloon) as rows
 * to show: memory amounts are bytes in the virtio spec, the others are counts.
 */
import { formatBytes, formatNumber } from './format.ts';

const LABELS: Record<string, [label: string, bytes: boolean]> = {
  swap_in: ['swapped in', true],
  swap_out: ['swapped out', true],
  majflt: ['major faults', false],
  minflt: ['minor faults', false],
  memfree: ['free memory', true],
  memtot: ['total memory', true],
  avail: ['available memory', true],
  caches: ['caches', true],
  htlb_pgalloc: ['huge page allocations', false],
  htlb_pgfail: ['huge page failures', false],
  oom_kills: ['OOM kills', false],
  alloc_stalls: ['allocation stalls', false],
  async_scans: ['background scans', false],
  direct_scans: ['direct scans', false],
  async_reclaims: ['background reclaims', false],
  direct_reclaims: ['direct reclaims', false],
};

export interface StatRow {
  name: string;
  label: string;
  text: string;
}

/** In the order the device reports them; a name this list does not know is shown as is. */
export function balloonStatRows(stats: Record<string, number>): StatRow[] {
  return Object.entries(stats).map(([name, value]) => {
    const [label, bytes] = LABELS[name] ?? [name, false];
    return { name, label, text: bytes ? formatBytes(value) : formatNumber(value) };
  });
}
