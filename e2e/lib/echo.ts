/**
 * Whether a key typed into a busy console is echoed before some later output: watched
 * inside the page from the keydown on, since during a console flood a line lives in
 * xterm's scrollback for only a few hundred milliseconds and polling from the test
 * process could miss it. Works in any front end (it reads the renderer's test hook).
 */
import type { Page } from 'playwright-core';
import type { HvlabHook } from './terminal.ts';

/** Keys no labos output contains while a flood runs (it prints 0-9, a-z, A-Z, '!'). */
const PROBE_KEYS = '~#$%^*+{}|;<>?`\'"\\@_=,.';

type KeyListener = (e: { key: string }) => void;

interface ProbeGlobals extends HvlabHook {
  __e2eEcho?: Promise<boolean>;
  addEventListener(type: 'keydown', f: KeyListener, capture: boolean): void;
  removeEventListener(type: 'keydown', f: KeyListener, capture: boolean): void;
}

/** A probe key not in the terminal's text now, or null when all of them are. */
export function freshKey(text: string): string | null {
  return [...PROBE_KEYS].find((k) => !text.includes(k)) ?? null;
}

/**
 * Type `key` into the focused console; resolves, once its echo is in the terminal's
 * buffer, with whether `marker` had not appeared by then. `key` must not be in the
 * buffer yet (freshKey picks one).
 */
export async function echoedBefore(
  page: Page,
  sessionId: string,
  key: string,
  marker: string,
  { vm = 0, timeoutMs = 30_000 } = {},
): Promise<boolean> {
  await page.evaluate(
    ({ sessionId, vm, key, marker, timeoutMs }) => {
      const g = globalThis as unknown as ProbeGlobals;
      const read = (): string => g.__hvlab?.terminalText(sessionId, vm) ?? '';
      if (read().includes(key)) throw new Error(`probe key '${key}' is already in the terminal`);
      g.__e2eEcho = new Promise<boolean>((resolve, reject) => {
        const onKey: KeyListener = (e) => {
          if (e.key !== key) return;
          g.removeEventListener('keydown', onKey, true);
          const deadline = performance.now() + timeoutMs;
          const poll = (): void => {
            const text = read();
            if (text.includes(key)) resolve(!text.includes(marker));
            else if (performance.now() > deadline)
              reject(new Error(`no echo of '${key}' within ${timeoutMs} ms`));
            else setTimeout(poll, 0);
          };
          poll();
        };
        g.addEventListener('keydown', onKey, true);
      });
    },
    { sessionId, vm, key, marker, timeoutMs },
  );
  await page.keyboard.type(key);
  return page.evaluate(() => (globalThis as unknown as ProbeGlobals).__e2eEcho!);
}
