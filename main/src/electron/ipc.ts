/**
 * The main process's side of the preload: LabApi calls in on one channel, host events
 * out on another. A call is answered only for the app's own page in one of our windows
 * (the sender's web contents and its main frame on app://hvlab/), and only after
 * parseRequest has checked it, as web mode checks a socket message.
 */
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron';
import { CreditLedger } from '../api/credit-ledger.ts';
import { parseRequest } from '../api/lab-api.ts';
import type { LabHost } from '../host/lab-host.ts';
import { CALL_CHANNEL, EVENT_CHANNEL, type CallReply } from './channels.ts';
import { isAppUrl } from './protocol.ts';

export type Backend = Pick<LabHost, 'call' | 'subscribe'>;
/** The web contents of our windows: the only ones answered and told events. */
export type OurContents = () => Pick<WebContents, 'id' | 'isDestroyed' | 'send'>[];
export type CallEvent = Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>;

export interface IpcConnection {
  /**
   * The page in web contents `id` is gone (reloaded, navigated, destroyed): the console
   * output it was sent and never credited is credited for it (see CreditLedger).
   */
  pageGone(id: number): void;
  disconnect(): void;
}

/** Serve LabApi calls and forward host events. */
export function connectIpc(
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>,
  host: Backend,
  ours: OurContents,
): IpcConnection {
  const ledgers = new Map<number, CreditLedger>();
  const ledger = (id: number): CreditLedger => {
    let l = ledgers.get(id);
    if (l === undefined) ledgers.set(id, (l = new CreditLedger()));
    return l;
  };
  ipcMain.handle(CALL_CHANNEL, (event, method: unknown, params: unknown) =>
    answerCall(host, ours, event, method, params, ledger(event.sender.id)),
  );
  const unsubscribe = host.subscribe((msg) => {
    for (const contents of ours()) {
      if (contents.isDestroyed()) continue;
      ledger(contents.id).sent(msg);
      contents.send(EVENT_CHANNEL, msg);
    }
  });
  return {
    pageGone: (id) => {
      const debts = ledgers.get(id)?.settle() ?? [];
      for (const credit of debts) void host.call('credit', credit).catch(() => {});
    },
    disconnect: () => {
      ipcMain.removeHandler(CALL_CHANNEL);
      unsubscribe();
    },
  };
}

/** One call: the host's result, or one line saying what was wrong. */
export async function answerCall(
  host: Backend,
  ours: OurContents,
  event: CallEvent,
  method: unknown,
  params: unknown,
  ledger?: CreditLedger,
): Promise<CallReply> {
  const refused = refuseSender(event, ours);
  if (refused !== null) return { error: refused };
  try {
    const request = parseRequest({ id: 0, method, params });
    ledger?.received(request);
    return { result: await host.call(request.method, request.params) };
  } catch (e) {
    // Expected failures are ApiErrors; anything else is still answered, as one line.
    return { error: (e instanceof Error ? e.message : String(e)).split('\n')[0] };
  }
}

function refuseSender(event: CallEvent, ours: OurContents): string | null {
  if (!ours().some((c) => c.id === event.sender.id)) return 'refused: not an hvlab window';
  const frame = event.senderFrame;
  // A frame gone (navigated away or closed) since it sent is no longer the app's page.
  let page: boolean;
  try {
    page = frame !== null && frame.parent === null && isAppUrl(frame.url);
  } catch {
    page = false;
  }
  return page ? null : 'refused: not the hvlab page';
}
