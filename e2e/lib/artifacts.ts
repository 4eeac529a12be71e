/** Screenshots of the views, for people to look at (e2e/artifacts is not committed). */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Locator, Page } from 'playwright-core';

export const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));

function artifact(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return `${ARTIFACTS}${name}.png`;
}

/**
 * The page as e2e/artifacts/NAME.png: the window, or with `fullPage` all of it (slow on a
 * page holding a long transcript: Chromium lays it out again at full height).
 */
export async function screenshot(page: Page, name: string, fullPage = false): Promise<void> {
  await page.screenshot({ path: artifact(name), fullPage });
}

/** One element (a panel) as e2e/artifacts/NAME.png. */
export async function screenshotOf(element: Locator, name: string): Promise<void> {
  await element.screenshot({ path: artifact(name) });
}
