/**
 * A LabClient for component tests: answers calls from per-method handlers, records every
 * call, and lets the test push host events. A call the test gave no handler for rejects,
 * naming the method: an answer made up by default would hide the mistake.
 */
import type {
  LabEventMessage,
  LabMethod,
  LabParams,
  LabResult,
} from '../../../../main/src/api/lab-api.ts';
import type { LabClient } from '../api/client.ts';

export type Handlers = {
  [M in LabMethod]?: (params: LabParams<M>) => LabResult<M> | Promise<LabResult<M>>;
};

export class FakeClient implements LabClient {
  readonly calls: { method: LabMethod; params: unknown }[] = [];
  /** Changeable during a test, e.g. to make the host refuse from now on. */
  readonly handlers: Handlers;
  private readonly listeners = new Set<(e: LabEventMessage) => void>();

  constructor(handlers: Handlers = {}) {
    this.handlers = handlers;
  }

  async call<M extends LabMethod>(method: M, params: LabParams<M>): Promise<LabResult<M>> {
    this.calls.push({ method, params });
    const handler = this.handlers[method] as
      ((p: LabParams<M>) => LabResult<M> | Promise<LabResult<M>>) | undefined;
    if (!handler) throw new Error(`fake client: no handler for ${method}`);
    return handler(params);
  }

  subscribe(listener: (e: LabEventMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onClose(): () => void {
    return () => {};
  }

  /** The params of every call of `method`, in order. */
  callsOf<M extends LabMethod>(method: M): LabParams<M>[] {
    return this.calls.filter((c) => c.method === method).map((c) => c.params as LabParams<M>);
  }

  /** Deliver a host event to the subscribers, as the host would. */
  push(e: LabEventMessage): void {
    for (const l of this.listeners) l(e);
  }
}
