/**
 * What one page owes the host: console bytes sent to it and not yet credited back, per
 * session and VM. A page credits output once it has drawn it (flow control); a page that
 * goes away (closed, reloaded) never will, and the bytes it held would keep its
 * sessions' windows shut, their guests waiting for a reader that is gone. So its
 * connection settles the debt for it when it closes.
 */
import type { LabEventMessage, LabParams, LabRequest } from './lab-api.ts';

type Credit = LabParams<'credit'>;

export class CreditLedger {
  private readonly owed = new Map<string, Credit>();

  /** An event on its way to the page: its console bytes are now owed. */
  sent(msg: LabEventMessage): void {
    if (msg.event === 'console')
      this.add(msg.data.session, msg.data.vm, base64Bytes(msg.data.data));
  }

  /** A request from the page: a credit pays back what it names. */
  received(req: LabRequest): void {
    if (req.method !== 'credit') return;
    const { session, vm, bytes } = req.params as Credit;
    this.add(session, vm, -bytes);
  }

  /** Everything still owed, as the credits that pay it; the ledger is then empty. */
  settle(): Credit[] {
    const due = [...this.owed.values()].filter((c) => c.bytes > 0);
    this.owed.clear();
    return due;
  }

  private add(session: string, vm: number, bytes: number): void {
    const key = `${session}/${vm}`;
    const entry = this.owed.get(key) ?? { session, vm, bytes: 0 };
    entry.bytes += bytes;
    this.owed.set(key, entry);
  }
}

/** Bytes a base64 text decodes to. */
function base64Bytes(text: string): number {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return (text.length / 4) * 3 - padding;
}
