import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { LAB_METHODS, type LabEventMessage } from '../api/lab-api.ts';
import { CALL_CHANNEL, EVENT_CHANNEL } from './channels.ts';

/** Electron's renderer side, faked: what the preload exposes, and an ipcRenderer. */
const electron = vi.hoisted(() => {
  const exposed = new Map<string, unknown>();
  return {
    exposed,
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) },
    // Filled in below, once EventEmitter can be used.
    ipcRenderer: {} as Record<string, unknown>,
  };
});
vi.mock('electron', () => ({
  contextBridge: electron.contextBridge,
  ipcRenderer: electron.ipcRenderer,
}));

const ipc = new EventEmitter();
const invoke = vi.fn(async (_channel: string, method: string) =>
  method === 'getRun' ? { error: 'run 7 is not in the store' } : { result: [method] },
);
Object.assign(electron.ipcRenderer, {
  invoke,
  on: (channel: string, l: (...a: unknown[]) => void) => ipc.on(channel, l),
  removeListener: (channel: string, l: (...a: unknown[]) => void) => ipc.removeListener(channel, l),
});
await import('./preload.ts');

type Api = Record<string, (...a: unknown[]) => unknown>;
const api = electron.exposed.get('hvlab') as Api;

describe('the preload', () => {
  it('exposes window.hvlab only, with one function per LabApi method and subscribe', () => {
    expect([...electron.exposed.keys()]).toEqual(['hvlab']);
    expect(Object.keys(api).sort()).toEqual([...LAB_METHODS, 'subscribe'].sort());
    for (const value of Object.values(api)) expect(typeof value).toBe('function');
  });

  it('sends each method on the call channel and resolves with the result', async () => {
    for (const method of LAB_METHODS.filter((m) => m !== 'getRun')) {
      invoke.mockClear();
      const params = { probe: method };
      expect(await api[method](params)).toEqual([method]);
      expect(invoke).toHaveBeenCalledExactlyOnceWith(CALL_CHANNEL, method, params);
    }
  });

  it("rejects with the host's message as it is", async () => {
    await expect(api.getRun({ id: 7 })).rejects.toThrow(/^run 7 is not in the store$/);
  });

  it('gives a listener the event message only, until it unsubscribes', () => {
    const got: unknown[][] = [];
    const unsubscribe = api.subscribe((...args: unknown[]) => got.push(args)) as () => unknown;
    const msg: LabEventMessage = { event: 'state', data: { session: 's', state: 'paused' } };
    const ipcEvent = { sender: electron.ipcRenderer, senderId: 0, ports: [] };
    ipc.emit(EVENT_CHANNEL, ipcEvent, msg);
    expect(got).toEqual([[msg]]);

    // The unsubscribe hands nothing back (removeListener would return ipcRenderer).
    expect(unsubscribe()).toBeUndefined();
    ipc.emit(EVENT_CHANNEL, ipcEvent, msg);
    expect(got).toHaveLength(1);
    expect(ipc.listenerCount(EVENT_CHANNEL)).toBe(0);
  });
});
