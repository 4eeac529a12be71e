/**
 * The engine worker thread's entry: one session per worker, driven by messages from the
 * host (protocol.ts). The only engine file that knows it runs in worker_threads.
 */
import { parentPort } from 'node:worker_threads';
import { parseHostMessage, type WorkerMessage } from './protocol.ts';
import { Session, type SessionHost } from './session.ts';

const port = parentPort;
if (port === null) throw new Error('engine/src/worker/worker.ts must run in a worker thread');

const host: SessionHost = {
  post: (msg: WorkerMessage, transfer?: ArrayBuffer[]) => port.postMessage(msg, transfer ?? []),
  now: () => performance.now(),
};
let session: Session | null = null;

port.on('message', (data: unknown) => {
  let msg;
  try {
    msg = parseHostMessage(data);
  } catch (e) {
    host.post({ type: 'error', message: (e as Error).message, fatal: false });
    return;
  }
  if (session !== null) {
    session.handle(msg);
    return;
  }
  try {
    if (msg.type === 'create') session = Session.create(msg.spec, host);
    else if (msg.type === 'restore')
      session = Session.restore(msg.snapshot, host, {
        window: msg.consoleWindow,
        maxInsns: msg.maxInsns,
      });
    else host.post({ type: 'error', message: `${msg.type}: no session yet`, fatal: false });
  } catch (e) {
    // A bad image, profile or snapshot: the session never existed.
    host.post({ type: 'error', message: (e as Error).message, fatal: true });
  }
});
