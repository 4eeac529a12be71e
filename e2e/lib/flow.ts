/**
 * The user's actions in the app, driving a Page by test ids (e2e/TESTIDS.md): launch a VM,
 * find the session, flood the console, move the balloon, stop, browse the history,
 * download an export. Shared by the web and Electron suites and the console benchmark;
 * the checks live with the tests.
 */
import type { Locator, Page } from 'playwright-core';

export type Device = 'console' | 'net' | 'balloon' | 'nic';
const DEVICES: Device[] = ['console', 'net', 'balloon', 'nic'];

export interface Launch {
  image: string;
  ramMiB: number;
  console: 'uart' | 'dbcn' | 'virtio';
  devices: Device[];
  bootargs?: string;
}

/** The labos VM of the lab path: virtio console, net and balloon, 64 MiB. */
export const LABOS: Launch = {
  image: 'labos.elf',
  ramMiB: 64,
  console: 'virtio',
  devices: ['console', 'net', 'balloon'],
};

/** The console flood of the path: 10 MiB in 4 KiB writes, as a background job. */
export const FLOOD_BYTES = 10 << 20;
export const FLOOD_COMMAND = `flood ${FLOOD_BYTES} 4096 &`;
export const FLOOD_RESULT = 'result: flood';
/** A line of the flood's output (and of nothing else labos prints). */
export const FLOOD_LINE = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!';

/** Fill the launcher's form without starting (a screenshot can show it filled). */
export async function fillLauncher(page: Page, o: Launch): Promise<void> {
  await page.getByTestId('nav-launch').click();
  await page.getByTestId('view-launch').waitFor();
  await page.getByTestId('launch-image').selectOption(o.image);
  await page.getByTestId('launch-ram').fill(String(o.ramMiB));
  // The console first: console=virtio makes the launcher add (and lock) its device.
  await page.getByTestId('launch-console').selectOption(o.console);
  for (const d of DEVICES) {
    const box = page.getByTestId(`launch-device-${d}`);
    const want = o.devices.includes(d);
    if (await box.isEnabled()) await box.setChecked(want);
    else if ((await box.isChecked()) !== want)
      throw new Error(`launch-device-${d} is locked ${want ? 'off' : 'on'} by the launcher`);
  }
  await page.getByTestId('launch-bootargs').fill(o.bootargs ?? '');
}

/** Start the filled launcher; returns the new session's id once its view shows. */
export async function startLaunch(page: Page): Promise<string> {
  const before = await page
    .getByTestId('session')
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-session-id')));
  await page.getByTestId('launch-start').click();
  const session = visibleSession(page);
  await session.waitFor();
  const id = await session.getAttribute('data-session-id');
  if (!id || before.includes(id)) throw new Error(`launch-start did not open a new session view`);
  return id;
}

export async function launch(page: Page, o: Launch): Promise<string> {
  await fillLauncher(page, o);
  return startLaunch(page);
}

/** The session view on screen (every live session stays mounted, hidden). */
export function visibleSession(page: Page): Locator {
  return page.locator('[data-testid="session"]:visible');
}

export function inSession(page: Page, testId: string): Locator {
  return visibleSession(page).getByTestId(testId);
}

/** A figure's `data-value` (or another data attribute) as a number. */
export async function numberAttr(loc: Locator, attr = 'data-value'): Promise<number> {
  const v = await loc.getAttribute(attr);
  if (v === null || v === '' || !Number.isFinite(Number(v)))
    throw new Error(`${attr}=${JSON.stringify(v)} is not a number`);
  return Number(v);
}

/** Set the balloon's target slider and apply it. */
export async function applyBalloonTarget(page: Page, mib: number): Promise<void> {
  // A range input cannot be typed into: set it as a drag would, with its input event.
  await inSession(page, 'balloon-target').evaluate((el, v) => {
    const input = el as unknown as { value: string; dispatchEvent(e: Event): boolean };
    input.value = String(v);
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.dispatchEvent(new Event('change', { bubbles: true }));
  }, mib);
  await inSession(page, 'balloon-apply').click();
}

/** Stop the session on screen and wait until it has ended. */
export async function stopSession(page: Page): Promise<void> {
  await inSession(page, 'session-stop').click();
  await inSession(page, 'session-ended').waitFor();
}

export async function openHistory(page: Page): Promise<Locator> {
  await page.getByTestId('nav-history').click();
  await page.getByTestId('view-history').waitFor();
  return page.getByTestId('run-row');
}

/** Click a button that downloads a file; its suggested name and text. */
export async function download(
  page: Page,
  button: Locator,
): Promise<{ name: string; text: string }> {
  const [d] = await Promise.all([page.waitForEvent('download'), button.click()]);
  const stream = await d.createReadStream();
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return { name: d.suggestedFilename(), text: Buffer.concat(chunks).toString('utf8') };
}
