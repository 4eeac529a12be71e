/** The page's JavaScript heap, through the Chrome DevTools Protocol. */
import type { CDPSession, Page } from 'playwright-core';

export interface HeapProbe {
  /**
   * Bytes of JS heap in use. With `collect`, garbage is collected first, so the figure
   * is what the page holds on to rather than when V8 last happened to collect.
   */
  usedBytes(collect?: boolean): Promise<number>;
  close(): Promise<void>;
}

export async function heapProbe(page: Page): Promise<HeapProbe> {
  const cdp: CDPSession = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  return {
    usedBytes: async (collect = false) => {
      if (collect) await cdp.send('HeapProfiler.collectGarbage');
      const { metrics } = await cdp.send('Performance.getMetrics');
      const used = metrics.find((m) => m.name === 'JSHeapUsedSize');
      if (!used) throw new Error('CDP Performance.getMetrics gave no JSHeapUsedSize');
      return used.value;
    },
    close: () => cdp.detach(),
  };
}

/** Sample the heap every `everyMs` until stopped (`collect`: as usedBytes); the samples. */
export function sampleHeap(
  probe: HeapProbe,
  everyMs: number,
  collect: boolean,
): { stop(): Promise<number[]> } {
  const samples: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      samples.push(await probe.usedBytes(collect));
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return samples;
    },
  };
}
