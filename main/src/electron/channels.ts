/**
 * The IPC channels between the preload and the main process, and the shape of a call's
 * reply. A reply carries the error as data rather than as a rejection: Electron would
 * wrap a rejected invoke's message ("Error invoking remote method ..."), and the page must
 * see the host's one-line message as it is.
 */
export const CALL_CHANNEL = 'hvlab:call';
export const EVENT_CHANNEL = 'hvlab:event';

export type CallReply = { result: unknown } | { error: string };
