/** What every view reaches through Svelte context: the host client, sessions, the router. */
import { getContext } from 'svelte';
import type { LabClient } from './api/client.ts';
import type { Router } from './router.svelte.ts';
import type { Sessions } from './sessions.svelte.ts';

export interface Lab {
  client: LabClient;
  sessions: Sessions;
  router: Router;
}

const KEY = Symbol('hvlab');

/** The context map to mount the app (or a component under test) with. */
export function labContext(lab: Lab): Map<symbol, Lab> {
  return new Map([[KEY, lab]]);
}

export function useLab(): Lab {
  const lab = getContext<Lab | undefined>(KEY);
  if (!lab) throw new Error('useLab() outside the app (no provideLab above)');
  return lab;
}
