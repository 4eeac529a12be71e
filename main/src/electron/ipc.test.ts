import { describe, expect, it, vi } from 'vitest';
import type { LabEventMessage } from '../api/lab-api.ts';
import { CALL_CHANNEL, EVENT_CHANNEL } from './channels.ts';
import { answerCall, connectIpc, type Backend, type CallEvent } from './ipc.ts';

/** A host that answers listImages and records what reached it. */
function fakeHost() {
  const calls: [string, unknown][] = [];
  const listeners = new Set<(e: LabEventMessage) => void>();
  const host = {
    call: async (method: string, params: unknown) => {
      calls.push([method, params]);
      if (method === 'getRun') throw new Error('run 9 is not in the store\n    at somewhere');
      return [{ name: 'labos.elf', description: '', bytes: 1 }];
    },
    subscribe: (l: (e: LabEventMessage) => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  const emit = (e: LabEventMessage) => listeners.forEach((l) => l(e));
  return { host: host as unknown as Backend, calls, listeners, emit };
}

function contents(id: number) {
  return { id, isDestroyed: () => false, send: vi.fn() };
}

const window1 = contents(1);
const ours = () => [window1];

/** An invoke event from web contents `id`, its frame at `url` (a subframe when `parent`). */
function from(id: number, url: string, parent = false): CallEvent {
  return {
    sender: { id },
    senderFrame: { url, parent: parent ? {} : null },
  } as unknown as CallEvent;
}

const page = from(1, 'app://hvlab/index.html');

describe('answerCall', () => {
  it('passes a valid call from our page to the host and returns its result', async () => {
    const { host, calls } = fakeHost();
    const reply = await answerCall(host, ours, page, 'listImages', {});
    expect(reply).toEqual({ result: [{ name: 'labos.elf', description: '', bytes: 1 }] });
    expect(calls).toEqual([['listImages', {}]]);
  });

  it('refuses a sender that is not one of our windows', async () => {
    const { host, calls } = fakeHost();
    const reply = await answerCall(host, ours, from(2, 'app://hvlab/index.html'), 'listImages', {});
    expect(reply).toEqual({ error: 'refused: not an hvlab window' });
    expect(calls).toEqual([]);
  });

  it('refuses a frame that is not the app page: another origin, a subframe, or gone', async () => {
    const { host, calls } = fakeHost();
    for (const event of [
      from(1, 'https://example.com/'),
      from(1, 'app://hvlab/index.html', true),
      { sender: { id: 1 }, senderFrame: null } as unknown as CallEvent,
      {
        sender: { id: 1 },
        senderFrame: {
          get url(): string {
            throw new Error('Render frame was disposed before WebFrameMain could be accessed');
          },
          parent: null,
        },
      } as unknown as CallEvent,
    ]) {
      expect(await answerCall(host, ours, event, 'listImages', {})).toEqual({
        error: 'refused: not the hvlab page',
      });
    }
    expect(calls).toEqual([]);
  });

  it('answers a malformed request with one line and never calls the host', async () => {
    const { host, calls } = fakeHost();
    const cases: [unknown, unknown, string][] = [
      ['reboot', {}, "unknown method 'reboot'"],
      [42, {}, 'request.method must be a string'],
      ['getRun', { id: -1 }, 'params.id must be a whole number >= 0'],
      ['start', { session: 's', extra: 1 }, 'params.extra is not a known field'],
      ['listImages', 'all', 'params must be an object'],
    ];
    for (const [method, params, error] of cases)
      expect(await answerCall(host, ours, page, method, params)).toEqual({ error });
    expect(calls).toEqual([]);
  });

  it("turns the host's failure into its first line", async () => {
    const { host } = fakeHost();
    expect(await answerCall(host, ours, page, 'getRun', { id: 9 })).toEqual({
      error: 'run 9 is not in the store',
    });
  });
});

/** ipcMain's handle/removeHandler, keeping the handlers where a test can call them. */
function fakeIpcMain() {
  const handlers = new Map<string, (...a: unknown[]) => unknown>();
  const ipcMain = {
    handle: (channel: string, h: (...a: unknown[]) => unknown) => handlers.set(channel, h),
    removeHandler: (channel: string) => handlers.delete(channel),
  } as unknown as Parameters<typeof connectIpc>[0];
  return { handlers, ipcMain };
}

describe('connectIpc', () => {
  it('handles the call channel and forwards events only to our live windows', async () => {
    const { host, emit, listeners } = fakeHost();
    const { handlers, ipcMain } = fakeIpcMain();
    const closed = { id: 3, isDestroyed: () => true, send: vi.fn() };
    const live = contents(1);
    const ipc = connectIpc(ipcMain, host, () => [live, closed]);
    expect([...handlers.keys()]).toEqual([CALL_CHANNEL]);
    expect(await handlers.get(CALL_CHANNEL)!(page, 'listSessions', {})).toHaveProperty('result');

    const msg: LabEventMessage = { event: 'state', data: { session: 's', state: 'running' } };
    emit(msg);
    expect(live.send).toHaveBeenCalledWith(EVENT_CHANNEL, msg);
    expect(closed.send).not.toHaveBeenCalled();

    ipc.disconnect();
    expect(handlers.size).toBe(0);
    expect(listeners.size).toBe(0);
  });

  it('credits back what a page was sent and did not credit, once that page is gone', async () => {
    const { host, emit, calls } = fakeHost();
    const { handlers, ipcMain } = fakeIpcMain();
    const ipc = connectIpc(ipcMain, host, () => [contents(1)]);
    const bytes = (n: number) => Buffer.alloc(n).toString('base64');
    emit({ event: 'console', data: { session: 's', vm: 0, data: bytes(1000) } });
    emit({ event: 'console', data: { session: 's', vm: 1, data: bytes(10) } });
    emit({ event: 'console', data: { session: 's', vm: 0, data: bytes(24) } });
    await handlers.get(CALL_CHANNEL)!(page, 'credit', { session: 's', vm: 0, bytes: 1000 });
    calls.length = 0;
    ipc.pageGone(1);
    await Promise.resolve();
    expect(calls).toEqual([
      ['credit', { session: 's', vm: 0, bytes: 24 }],
      ['credit', { session: 's', vm: 1, bytes: 10 }],
    ]);
    calls.length = 0;
    ipc.pageGone(1); // settled: nothing owed twice
    expect(calls).toEqual([]);
    ipc.disconnect();
  });
});
