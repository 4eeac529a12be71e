/**
 * A session's terminal as the page shows it: read through the renderer's test hook
 * (`window.__hvlab.terminalText`, e2e/TESTIDS.md), waited on, and typed into with the
 * real keyboard.
 */
import type { Page } from 'playwright-core';
import { visibleSession } from './flow.ts';

/** What the renderer exposes on `window` for tests (null: no such terminal yet). */
export interface HvlabHook {
  __hvlab?: { terminalText(sessionId: string, vm: number): string | null };
}

export const PROMPT = 'labos>';

function readTerminal(page: Page, sessionId: string, vm: number): Promise<string | null> {
  return page.evaluate(
    ([id, n]) => (globalThis as unknown as HvlabHook).__hvlab?.terminalText(id, n) ?? null,
    [sessionId, vm] as const,
  );
}

export async function terminalText(page: Page, sessionId: string, vm = 0): Promise<string> {
  const text = await readTerminal(page, sessionId, vm);
  if (text === null) throw new Error(`no terminal for session ${sessionId}, vm ${vm}`);
  return text;
}

/**
 * Poll the terminal until `test` holds of its text; returns that text. On timeout the
 * error shows the terminal's last lines, which is what one needs to see.
 */
export async function waitForTerminal(
  page: Page,
  sessionId: string,
  what: string,
  test: (text: string) => boolean,
  { vm = 0, timeoutMs = 60_000 } = {},
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // The terminal registers itself once its view has mounted.
    const text = await readTerminal(page, sessionId, vm);
    if (text !== null && test(text)) return text;
    if (Date.now() > deadline) {
      const tail = (text ?? '(no terminal)').trimEnd().split('\n').slice(-8).join('\n');
      throw new Error(
        `terminal of ${sessionId}/vm${vm}: no ${what} after ${timeoutMs} ms; last lines:\n${tail}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Prompts shown so far (a prompt is the shell waiting for a line). */
export function promptCount(text: string): number {
  return text.split('\n').filter((l) => l.startsWith(PROMPT)).length;
}

/** Wait until the shell shows its prompt as the last thing on the screen. */
export function waitForPrompt(page: Page, sessionId: string, vm = 0): Promise<string> {
  const atPrompt = (t: string): boolean => t.trimEnd().endsWith(PROMPT);
  return waitForTerminal(page, sessionId, `'${PROMPT} ' prompt`, atPrompt, { vm });
}

/** Give the VM's console the keyboard focus (xterm takes keys through its hidden textarea). */
export async function focusConsole(page: Page, vm = 0): Promise<void> {
  await visibleSession(page).getByTestId(`console-${vm}`).click();
}

/** Type a shell command and Enter into the focused console; wait for the next prompt. */
export async function runCommand(
  page: Page,
  sessionId: string,
  line: string,
  { vm = 0, timeoutMs = 60_000 } = {},
): Promise<string> {
  const before = promptCount(await terminalText(page, sessionId, vm));
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
  return waitForTerminal(
    page,
    sessionId,
    `prompt after '${line}'`,
    (t) => promptCount(t) > before && t.trimEnd().endsWith(PROMPT),
    { vm, timeoutMs },
  );
}
