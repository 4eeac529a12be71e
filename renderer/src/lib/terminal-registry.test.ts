import './testing/jsdom-stubs.ts';
import { Terminal } from '@xterm/xterm';
import { expect, test } from 'vitest';
import { registerTerminal } from './terminal-registry.ts';

function write(term: Terminal, text: string): Promise<void> {
  return new Promise((resolve) => term.write(text, resolve));
}

test('the whole buffer, scrollback included, by session and VM', async () => {
  const term = new Terminal({ rows: 3, cols: 20, scrollback: 100 });
  term.open(document.body.appendChild(document.createElement('div')));
  const unregister = registerTerminal('s9', 2, term);
  await write(term, 'one\r\ntwo\r\nthree\r\nfour\r\nfive');
  expect(window.__hvlab!.terminalText('s9', 2)).toBe('one\ntwo\nthree\nfour\nfive');
  expect(window.__hvlab!.terminalText('s9', 0)).toBeNull();
  unregister();
  expect(window.__hvlab!.terminalText('s9', 2)).toBeNull();
  term.dispose();
});

test('a newer terminal for the same VM is not unregistered by the older one', () => {
  const old = new Terminal();
  const unregisterOld = registerTerminal('s9', 0, old);
  registerTerminal('s9', 0, new Terminal());
  unregisterOld();
  expect(window.__hvlab!.terminalText('s9', 0)).not.toBeNull();
});
