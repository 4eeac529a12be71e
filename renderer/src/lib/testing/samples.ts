/** Stats samples for tests: a VM's live figures with everything zero unless given. */
import type { VmLiveStats } from '../../../../main/src/api/lab-api.ts';
import type { ExitReport } from '../../../../engine/src/hv/exits.ts';
import type { StatsSample } from '../sessions.svelte.ts';
import { exitReport } from './runs.ts';

export interface VmFigures {
  byReason?: Partial<ExitReport['byReason']>;
  mmio?: ExitReport['mmio'];
  devices?: VmLiveStats['devices'];
  virtualSeconds?: number;
  memory?: VmLiveStats['memory'];
  balloonStats?: VmLiveStats['balloonStats'];
}

export function vmStats(f: VmFigures = {}): VmLiveStats {
  return {
    instret: 0,
    virtualSeconds: f.virtualSeconds ?? 0,
    exits: { ...exitReport(f.byReason ?? {}), mmio: f.mmio ?? {} },
    consoleBytes: 0,
    consoleBlocked: false,
    ready: null,
    devices: f.devices ?? {},
    memory: f.memory ?? { pages: 16384, framesMapped: 16384 },
    balloonStats: f.balloonStats ?? {},
  };
}

export function sample(hostMs: number, ...vms: VmFigures[]): StatsSample {
  return { hostMs, vms: vms.map(vmStats) };
}
