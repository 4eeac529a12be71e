/**
 * `npm run bench -- console`: a guest flooding its console, as a user in Chromium gets it
 * through `hvlab serve`. labos floods 10 MiB (virtio console, 4 KiB writes) in the
 * background: once untouched, for the bytes per second reaching the terminal and the
 * page's JS heap; then again (as often as needed) with single keys typed through it, for
 * the echo latency, keydown to the echo parsed into the terminal's buffer. Both are timed
 * on the API socket (lib/console-stream.ts), so the page is not slowed by being watched.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { findChromium, launchChromium } from './lib/chromium.ts';
import { ConsoleStream, type Parsed } from './lib/console-stream.ts';
import {
  FLOOD_BYTES,
  FLOOD_COMMAND,
  FLOOD_LINE,
  FLOOD_RESULT,
  launch,
  LABOS,
  stopSession,
} from './lib/flow.ts';
import { heapProbe, sampleHeap } from './lib/heap.ts';
import { startServe } from './lib/serve.ts';
import { focusConsole, runCommand, waitForPrompt } from './lib/terminal.ts';

const KEYS = 20;
/** Floods to type the keys through, at most. */
const MAX_FLOODS = 5;
/** Pause between keys, so they spread over the flood. */
const KEY_GAP_MS = 100;
/** A key no flood output contains; its echo is the next one in the stream after typing. */
const KEY = '~';

const round = (v: number, digits = 1): number => Math.round(v * 10 ** digits) / 10 ** digits;
const mib = (bytes: number): number => round(bytes / 2 ** 20);
const quantile = (xs: number[], q: number): number =>
  [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil(q * xs.length) - 1)];

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`bench console: no ${what} within ${ms} ms`)), ms);
    // A bench that failed elsewhere must not wait for this to exit.
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Start a flood; resolves when its output reaches the terminal, with its end to come. */
async function startFlood(
  page: Page,
  stream: ConsoleStream,
  session: string,
): Promise<{ startedAt: number; end: Promise<Parsed> }> {
  const end = within(stream.parsed(session, FLOOD_RESULT), 300_000, 'end of the flood');
  const output = stream.parsed(session, FLOOD_LINE);
  await page.keyboard.type(FLOOD_COMMAND);
  const startedAt = performance.now();
  await page.keyboard.press('Enter');
  await within(output, 30_000, 'flood output');
  return { startedAt, end };
}

export async function consoleBench(): Promise<object> {
  const chromium = findChromium();
  if (chromium === null) return { skipped: 'chromium not installed' };
  const dataDir = mkdtempSync(join(tmpdir(), 'hvlab-bench-'));
  const serve = await startServe(dataDir);
  const browser = await launchChromium(chromium);
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const stream = new ConsoleStream(page);
    await page.goto(serve.url);
    const session = await launch(page, LABOS);
    await waitForPrompt(page, session);
    await focusConsole(page);
    const heap = await heapProbe(page);
    const baseline = await heap.usedBytes(true);

    // Untouched: throughput, and the heap as it comes (no collections forced).
    const sampler = sampleHeap(heap, 100, false);
    const credited0 = stream.credited(session);
    const first = await startFlood(page, stream, session);
    const firstEnd = await first.end;
    const seconds = (firstEnd.at - first.startedAt) / 1000;
    const bytes = firstEnd.offset - credited0;
    const heapSamples = await sampler.stop();
    const liveAfter = await heap.usedBytes(true);
    await heap.close();
    await runCommand(page, session, '');

    // Keys typed through floods, one at a time: echoes parsed before the flood's end count.
    const echoMs: number[] = [];
    let floods = 0;
    while (echoMs.length < KEYS && floods < MAX_FLOODS) {
      const flood = await startFlood(page, stream, session);
      floods++;
      let end: Parsed | null = null;
      void flood.end.then((p) => (end = p));
      // Read through a call: the flood's end arrives while this loop awaits.
      const ended = (): Parsed | null => end;
      while (ended() === null && echoMs.length < KEYS) {
        const echo = within(stream.parsed(session, KEY), 30_000, 'echo');
        const typedAt = performance.now();
        await page.keyboard.type(KEY);
        const { at, offset } = await echo;
        const e = ended();
        if (e !== null && e.offset < offset) break;
        echoMs.push(at - typedAt);
        await new Promise((r) => setTimeout(r, KEY_GAP_MS));
      }
      await flood.end;
      // The keys are on the shell's line: Enter runs them (an unknown command).
      await runCommand(page, session, '');
    }
    await stopSession(page);

    return {
      image: 'guests/labos.elf',
      what: `flood ${FLOOD_BYTES} bytes in 4 KiB writes over the virtio console, in Chromium through hvlab serve`,
      browser: `chromium ${browser.version()}`,
      throughput: {
        bytes,
        seconds: round(seconds, 2),
        megabytesPerSecond: round(bytes / seconds / 1e6, 2),
        note: 'Enter to the result line parsed into the terminal (credited back to the host)',
      },
      echo: {
        keys: echoMs.length,
        floods,
        medianMs: round(quantile(echoMs, 0.5)),
        p95Ms: round(quantile(echoMs, 0.95)),
        maxMs: round(Math.max(...echoMs)),
        note: 'a key typed during a flood to its echo parsed into the terminal',
      },
      heap: {
        baselineMiB: mib(baseline),
        peakMiB: mib(Math.max(...heapSamples)),
        liveAfterMiB: mib(liveAfter),
        note: 'JSHeapUsedSize: baseline and after collecting garbage; peak as sampled every 100 ms during the first flood',
      },
    };
  } finally {
    await browser.close();
    await serve.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
