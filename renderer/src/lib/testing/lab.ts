/** A lab (client, sessions, router) for component tests, with sessions the host "runs". */
import type { SessionConfig, SessionInfo, VmConfig } from '../../../../main/src/api/lab-api.ts';
import { labContext } from '../context.ts';
import { Router } from '../router.svelte.ts';
import { Sessions } from '../sessions.svelte.ts';
import { FakeClient, type Handlers } from './fake-client.ts';

/** A VM as the launcher sends it: labos, 64 MiB, one hart, the uart, no devices. */
export function vmConfig(over: Partial<VmConfig> = {}): VmConfig {
  return {
    image: 'labos.elf',
    memBytes: 64 << 20,
    harts: 1,
    bootargs: 'console=uart',
    devices: [],
    ...over,
  };
}

export function sessionInfo(id: string, config: Partial<SessionConfig> = {}): SessionInfo {
  return {
    id,
    config: { vms: [vmConfig()], profile: 'kvm', clock: 'realtime', ...config },
    state: 'running',
    runs: [1],
  };
}

/** The session calls the host acknowledges with null: controls, console input and credit. */
const ACKNOWLEDGED = ['start', 'pause', 'resume', 'stop', 'input', 'credit', 'balloonTarget'];

/**
 * A lab whose host already runs `running` (listSessions), so Sessions knows them, and
 * acknowledges the session calls; `handlers` answer the rest, or replace those.
 */
export async function testLab(running: SessionInfo[] = [], handlers: Handlers = {}) {
  const client = new FakeClient({
    ...(Object.fromEntries(ACKNOWLEDGED.map((m) => [m, () => null])) as Handlers),
    listSessions: () => running,
    ...handlers,
  });
  const sessions = new Sessions(client);
  await sessions.refresh();
  const router = new Router();
  return { client, sessions, router, context: labContext({ client, sessions, router }) };
}

/** A console event as the host sends it (base64 bytes). */
export function consoleEvent(session: string, vm: number, text: string) {
  const bytes = new TextEncoder().encode(text);
  return {
    event: 'console' as const,
    data: { session, vm, data: btoa(String.fromCharCode(...bytes)) },
  };
}
