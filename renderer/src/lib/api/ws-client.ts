/**
 * Web mode's LabClient: JSON requests over the WebSocket at /api (main/src/serve), the
 * token taken from the page's own URL. Answers are matched to requests by id.
 */
import type { LabEventMessage, LabResponse } from '../../../../main/src/api/lab-api.ts';
import type { LabClient } from './client.ts';

export async function connectWebSocket(url: string): Promise<LabClient> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener(
      'close',
      (e) =>
        reject(
          new Error(`cannot reach the lab host (${e.code}${e.reason ? `: ${e.reason}` : ''})`),
        ),
      { once: true },
    );
  });
  let nextId = 1;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  const listeners = new Set<(e: LabEventMessage) => void>();
  const closers = new Set<(reason: string) => void>();
  ws.addEventListener('message', (m) => {
    const msg = JSON.parse(String(m.data)) as LabResponse | LabEventMessage;
    if ('event' in msg) {
      for (const l of listeners) l(msg);
      return;
    }
    const p = msg.id === null ? undefined : pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id as number);
    if ('error' in msg) p.reject(new Error(msg.error));
    else p.resolve(msg.result);
  });
  ws.addEventListener('close', () => {
    for (const p of pending.values()) p.reject(new Error('the lab host went away'));
    pending.clear();
    for (const c of closers) c('the lab host went away; reload the page when it is back');
  });
  return {
    call: (method, params) =>
      new Promise((resolve, reject) => {
        if (ws.readyState !== WebSocket.OPEN) {
          reject(new Error('the lab host went away'));
          return;
        }
        const id = nextId++;
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        ws.send(JSON.stringify({ id, method, params }));
      }),
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onClose: (listener) => {
      closers.add(listener);
      return () => closers.delete(listener);
    },
  };
}

/** The socket URL for this page: same host, /api, the page's token. */
export function apiUrl(location: Location): string {
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/api?token=${encodeURIComponent(token)}`;
}
