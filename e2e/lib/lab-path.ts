/**
 * The lab path through the app, as test cases any front end can run: boot labos from
 * the launcher, type into its console, flood it while typing, watch the exits, move the
 * balloon, stop; after a restart find the run in History, open it, compare it with a
 * second run, export both. The web and Electron suites each give an AppDriver and call
 * labPath() inside their describe(); the steps run in order on one page.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { screenshot, screenshotOf } from './artifacts.ts';
import {
  applyBalloonTarget,
  download,
  fillLauncher,
  FLOOD_BYTES,
  FLOOD_COMMAND,
  FLOOD_LINE,
  FLOOD_RESULT,
  inSession,
  LABOS,
  numberAttr,
  openHistory,
  startLaunch,
  stopSession,
  type Launch,
} from './flow.ts';
import { echoedBefore, freshKey } from './echo.ts';
import { heapProbe, sampleHeap } from './heap.ts';
import {
  focusConsole,
  runCommand,
  terminalText,
  waitForPrompt,
  waitForTerminal,
} from './terminal.ts';

export interface AppDriver {
  /** Start the app on a fresh data folder; its page, showing the launcher. */
  open(): Promise<Page>;
  /** Quit the app (or its server) and start it again on the same data folder; the page. */
  restart(page: Page): Promise<Page>;
  close(): Promise<void>;
}

/** A short second run to compare with: the same image, a UART console, no devices. */
const SHORT: Launch = { image: 'labos.elf', ramMiB: 64, console: 'uart', devices: [] };

/**
 * How much more live JS heap (after a collection) the page may hold during the 10 MiB
 * flood than before it. The terminal's 5000-line scrollback fills from empty (xterm keeps
 * 12 bytes a cell: some 5-8 MiB at this width) and console events pass through; a page
 * that kept the flood's bytes would hold 10 MiB more than that.
 */
const HEAP_GROWTH_BOUND = 16 << 20;

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
const byNumber = (a: number, b: number): number => a - b;

export function labPath(driver: AppDriver): void {
  let page: Page;
  let session = '';
  let firstRun = 0;

  beforeAll(async () => {
    page = await driver.open();
  });
  afterAll(() => driver.close());

  it('boots labos from the launcher and answers `info` typed into its console', async () => {
    await fillLauncher(page, LABOS);
    await screenshot(page, 'launcher');
    session = await startLaunch(page);
    await waitForPrompt(page, session);
    await focusConsole(page);
    const text = await runCommand(page, session, 'info');
    const answer = text.slice(text.lastIndexOf('labos> info'));
    expect(answer).toMatch(/^harts: 1 online/m);
    expect(answer).toMatch(/^memory: base 0x80000000, 64 MiB$/m);
    expect(answer).toMatch(/^sbi: extensions .*DBCN/m);
    expect(answer).toMatch(/^virtio: .*balloon \(id 5\), driven/m);
    expect(answer).toMatch(/^virtio: .*net \(id 1\), driven/m);
  });

  it('echoes a key typed during a 10 MiB console flood before the flood ends, heap bounded', async () => {
    const heap = await heapProbe(page);
    const baseline = await heap.usedBytes(true);
    const exitsBefore = await numberAttr(inSession(page, 'exits-total'));
    await focusConsole(page);
    await page.keyboard.type(FLOOD_COMMAND);
    await page.keyboard.press('Enter');
    const sampler = sampleHeap(heap, 250, true);
    let samples: number[];
    try {
      const flooding = await waitForTerminal(page, session, 'flood output', (t) =>
        t.includes(FLOOD_LINE),
      );
      // The latency is not asserted (nor logged: watching the buffer slows the page);
      // `npm run bench -- console` measures it.
      const key = freshKey(flooding)!;
      expect(
        await echoedBefore(page, session, key, FLOOD_RESULT),
        'the key was echoed only after the flood had ended',
      ).toBe(true);
      await expect.poll(() => numberAttr(inSession(page, 'exits-rate'))).toBeGreaterThan(0);
      await waitForTerminal(page, session, FLOOD_RESULT, (t) => t.includes(FLOOD_RESULT), {
        timeoutMs: 150_000,
      });
    } finally {
      samples = await sampler.stop();
      await heap.close();
    }
    const peak = Math.max(...samples);
    console.log(
      `heap: baseline ${mib(baseline)} MiB, peak ${mib(peak)} MiB (live, ${samples.length} samples)`,
    );
    expect(peak - baseline).toBeLessThan(HEAP_GROWTH_BOUND);
    const result = (await terminalText(page, session)).match(/result: flood bytes=(\d+)/);
    expect(Number(result?.[1])).toBe(FLOOD_BYTES);
    // The typed key is still on the shell's line: Enter runs it (an unknown command).
    await runCommand(page, session, '');
    expect(await numberAttr(inSession(page, 'exits-total'))).toBeGreaterThan(exitsBefore);
  });

  it('counts the exits of a command and draws the live charts', async () => {
    const total = inSession(page, 'exits-total');
    const before = await numberAttr(total);
    // An idle labos arms no timer: exits come from work, here a command's console output.
    await focusConsole(page);
    await runCommand(page, session, 'time');
    await expect.poll(() => numberAttr(total), { timeout: 10_000 }).toBeGreaterThan(before);
    for (const chart of ['chart-exits', 'chart-devices', 'chart-time'])
      await inSession(page, chart).locator('canvas').first().waitFor();
    // The whole view: the charts and panels run below the window.
    await screenshot(page, 'session', true);
  });

  it('inflates the balloon to the target set in its panel', async () => {
    const panel = inSession(page, 'balloon-panel');
    await panel.waitFor();
    await applyBalloonTarget(page, 16);
    await expect
      .poll(() => numberAttr(inSession(page, 'balloon-actual'), 'data-mib'), { timeout: 30_000 })
      .toBe(16);
    // The guest agrees: its driver holds 4096 pages.
    await focusConsole(page);
    const text = await runCommand(page, session, 'balloon');
    // Joined: the terminal wraps long lines.
    const answer = text.slice(text.lastIndexOf('labos> balloon')).replaceAll('\n', '');
    expect(answer).toMatch(/actual 4096 pages \(16 MiB\)/);
    await screenshotOf(panel, 'balloon-panel');
  });

  it('stops the session; after a restart History lists the run and opens its transcript', async () => {
    await stopSession(page);
    expect(await inSession(page, 'session-ended').textContent()).toMatch(/stopped/);
    page = await driver.restart(page);
    const rows = await openHistory(page);
    await expect.poll(() => rows.count()).toBe(1);
    const row = rows.filter({ hasText: 'labos.elf' });
    expect(await row.textContent()).toContain('completed');
    firstRun = Number(await row.getAttribute('data-run-id'));
    await row.getByTestId('run-open').click();
    await page.getByTestId('view-run').waitFor();
    const transcript = page.getByTestId('run-transcript');
    await transcript.getByText('harts: 1 online', { exact: false }).first().waitFor();
    expect(await transcript.textContent()).toMatch(/sbi: extensions .*DBCN/);
    expect(await page.getByTestId('run-outcome').textContent()).toMatch(/completed/);
    expect(await page.getByTestId('run-config').textContent()).toMatch(/balloon/);
    expect(await page.getByTestId('run-exits').textContent()).toMatch(/mmio_write/);
    await screenshot(page, 'run');
  });

  it('runs a second, short session and compares the two from History', async () => {
    await fillLauncher(page, SHORT);
    session = await startLaunch(page);
    await waitForPrompt(page, session);
    await focusConsole(page);
    await page.keyboard.type('exit 3\n');
    await inSession(page, 'session-ended').waitFor();
    expect(await inSession(page, 'session-ended').textContent()).toMatch(/status 3/);

    const rows = await openHistory(page);
    await expect.poll(() => rows.count()).toBe(2);
    await screenshot(page, 'history');
    const compare = page.getByTestId('history-compare');
    expect(await compare.isEnabled()).toBe(false);
    for (const row of await rows.all()) await row.getByTestId('run-select').check();
    await compare.click();
    await page.getByTestId('view-compare').waitFor();
    const exits = page.getByTestId('compare-exits');
    // Only the first run had a virtio console and a balloon: its MMIO writes differ.
    expect(await exits.textContent()).toMatch(/mmio_write/);
    await page.getByTestId('compare-figures').waitFor();
    await screenshot(page, 'compare');
  });

  it('exports the two runs as JSON and CSV downloads', async () => {
    const rows = await openHistory(page);
    await expect.poll(() => rows.count()).toBe(2);
    const ids = await rows.evaluateAll((els) =>
      els.map((e) => Number(e.getAttribute('data-run-id'))),
    );
    expect(ids).toContain(firstRun);

    const json = await download(page, page.getByTestId('history-export-json'));
    expect(json.name).toBe('hvlab-runs.json');
    const doc = JSON.parse(json.text) as {
      format: string;
      runs: { id: number; image: { name: string }; end: { exitCode: number | null } | null }[];
    };
    expect(doc.format).toBe('hvlab-runs');
    expect(doc.runs.map((r) => r.id).sort(byNumber)).toEqual([...ids].sort(byNumber));
    expect(doc.runs.every((r) => r.image.name === 'labos.elf')).toBe(true);
    expect(doc.runs.map((r) => r.end?.exitCode)).toContain(3);

    const csv = await download(page, page.getByTestId('history-export-csv'));
    expect(csv.name).toBe('hvlab-runs.csv');
    const lines = csv.text.trimEnd().split('\r\n');
    expect(lines[0]).toMatch(/^id,uuid,image,/);
    expect(
      lines
        .slice(1)
        .map((l) => Number(l.split(',')[0]))
        .sort(byNumber),
    ).toEqual([...ids].sort(byNumber));
  });
}
