/**
 * The renderer's one way to the lab host: a LabApi call, and a subscription to its
 * events. In the Electron app it goes through the preload (window.hvlab); in web mode
 * over the WebSocket at /api. Views never know which.
 */
import type {
  LabEventMessage,
  LabMethod,
  LabParams,
  LabResult,
  PreloadApi,
} from '../../../../main/src/api/lab-api.ts';

export interface LabClient {
  call<M extends LabMethod>(method: M, params: LabParams<M>): Promise<LabResult<M>>;
  /** Every event the host pushes; returns the unsubscribe. */
  subscribe(listener: (e: LabEventMessage) => void): () => void;
  /** Web mode: the connection dropped (server stopped); the page must be reloaded. */
  onClose(listener: (reason: string) => void): () => void;
}

declare global {
  interface Window {
    hvlab?: PreloadApi;
  }
}

/** The preload's API as a LabClient. */
export function preloadClient(api: PreloadApi): LabClient {
  return {
    call: (method, params) =>
      (api[method] as (p: typeof params) => Promise<LabResult<typeof method>>)(params),
    subscribe: (listener) => api.subscribe(listener),
    onClose: () => () => {},
  };
}
