/**
 * The preload (built to dist-electron/preload.cjs; sandboxed, so CommonJS and `electron`
 * its only import at run time). It gives the page `window.hvlab`: one function per LabApi
 * method and `subscribe`, and nothing else: no ipcRenderer, no IPC event objects, no
 * return value that leads back to either.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import {
  LAB_METHODS,
  type LabEventMessage,
  type LabMethod,
  type PreloadApi,
} from '../api/lab-api.ts';
import { CALL_CHANNEL, EVENT_CHANNEL, type CallReply } from './channels.ts';

async function call(method: LabMethod, params: unknown): Promise<unknown> {
  const reply = (await ipcRenderer.invoke(CALL_CHANNEL, method, params)) as CallReply;
  if ('error' in reply) throw new Error(reply.error);
  return reply.result;
}

// The methods come from the runtime list, so their types are asserted once, here.
const methods = Object.fromEntries(
  LAB_METHODS.map((method) => [method, (params: unknown) => call(method, params)]),
) as Omit<PreloadApi, 'subscribe'>;

const api: PreloadApi = {
  ...methods,
  subscribe(listener: (message: LabEventMessage) => void): () => void {
    const forward = (_event: IpcRendererEvent, message: LabEventMessage): void => listener(message);
    ipcRenderer.on(EVENT_CHANNEL, forward);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, forward);
    };
  },
};

contextBridge.exposeInMainWorld('hvlab', api);
