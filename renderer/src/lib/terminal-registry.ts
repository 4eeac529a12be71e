/**
 * The terminals on the page by session and VM, for `window.__hvlab.terminalText`, the hook
 * the end-to-end tests read a console with (xterm draws into the DOM in pieces, so the
 * page's text is no transcript).
 */
import type { Terminal } from '@xterm/xterm';

export interface HvlabTestHooks {
  /** The terminal's whole buffer (scrollback and screen), lines joined by '\n'; null if none. */
  terminalText(session: string, vm: number): string | null;
}

declare global {
  interface Window {
    __hvlab?: HvlabTestHooks;
  }
}

const terminals = new Map<string, Terminal>();

/** Every line of the active buffer, the unwritten rest of each line left out. */
export function bufferText(term: Terminal): string {
  const buffer = term.buffer.active;
  const lines: string[] = [];
  for (let i = 0; i < buffer.length; i++)
    lines.push(buffer.getLine(i)?.translateToString(true) ?? '');
  return lines.join('\n');
}

/** Register the terminal of (session, vm); returns the unregister. */
export function registerTerminal(session: string, vm: number, term: Terminal): () => void {
  window.__hvlab ??= {
    terminalText: (s, v) => {
      const t = terminals.get(`${s}:${v}`);
      return t ? bufferText(t) : null;
    },
  };
  const key = `${session}:${vm}`;
  terminals.set(key, term);
  return () => {
    if (terminals.get(key) === term) terminals.delete(key);
  };
}
