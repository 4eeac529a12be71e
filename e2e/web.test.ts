/**
 * Web mode end to end: the built renderer in Debian's Chromium against a real
 * `hvlab serve`, through the whole lab path (lib/lab-path.ts), and the socket's
 * guards seen from a browser: no token, a wrong token, a page from another origin.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page, WebSocket as PageSocket } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumOrSkip, launchChromium } from './lib/chromium.ts';
import { labPath, type AppDriver } from './lib/lab-path.ts';
import { startServe, type Serve } from './lib/serve.ts';

const chromiumPath = chromiumOrSkip();
const VIEWPORT = { width: 1280, height: 800 };

/** The app as a browser tab on `hvlab serve`; a restart is the server's. */
function webApp(executablePath: string): AppDriver {
  const dataDir = mkdtempSync(join(tmpdir(), 'hvlab-e2e-'));
  let browser: Browser | undefined;
  let serve: Serve | undefined;
  const openLab = async (page: Page): Promise<Page> => {
    serve = await startServe(dataDir);
    await page.goto(serve.url);
    await page.getByTestId('nav-launch').waitFor();
    return page;
  };
  return {
    open: async () => {
      browser = await launchChromium(executablePath);
      return openLab(await browser.newPage({ viewport: VIEWPORT, acceptDownloads: true }));
    },
    restart: async (page) => {
      await serve!.stop();
      // The page notices that the server went away.
      await page.getByTestId('connection-lost').waitFor();
      return openLab(page);
    },
    close: async () => {
      await browser?.close();
      await serve?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Open a WebSocket from the page: whether it opened, and the browser's error if not. */
async function trySocket(page: Page, url: string): Promise<{ opened: boolean; error: string }> {
  let error = '';
  const watch = (ws: PageSocket): void => {
    if (ws.url() === url) ws.on('socketerror', (m) => (error = m));
  };
  page.on('websocket', watch);
  try {
    const opened = await page.evaluate(
      (u) =>
        new Promise<boolean>((resolve) => {
          const ws = new WebSocket(u);
          ws.onopen = () => {
            ws.close();
            resolve(true);
          };
          ws.onclose = () => resolve(false);
        }),
      url,
    );
    if (!opened) await expect.poll(() => error).not.toBe('');
    return { opened, error };
  } finally {
    page.off('websocket', watch);
  }
}

if (chromiumPath === null) {
  it.skip('skipped: chromium not installed', () => {});
} else {
  describe('web mode: the lab path in Chromium', () => {
    labPath(webApp(chromiumPath));
  });

  describe('web mode: the API socket from a browser', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hvlab-e2e-'));
    let serve: Serve;
    let browser: Browser;
    let page: Page;
    let api = '';

    beforeAll(async () => {
      serve = await startServe(dataDir);
      api = `${serve.origin.replace(/^http/, 'ws')}/api`;
      browser = await launchChromium(chromiumPath);
      page = await browser.newPage();
      await page.goto(serve.url);
      await page.getByTestId('nav-launch').waitFor();
    });
    afterAll(async () => {
      await browser?.close();
      await serve?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('opens with the page token', async () => {
      expect(await trySocket(page, `${api}?token=${serve.token}`)).toEqual({
        opened: true,
        error: '',
      });
    });

    it('is refused without the token or with a wrong one (401)', async () => {
      for (const url of [api, `${api}?token=${'x'.repeat(serve.token.length)}`]) {
        const r = await trySocket(page, url);
        expect(r.opened).toBe(false);
        // Chromium's wording for a 401 answer to the upgrade.
        expect(r.error).toMatch(/HTTP Authentication failed/);
      }
    });

    it('is refused to a page from another origin, even with the token (403)', async () => {
      const elsewhere = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<!doctype html><title>another site</title>');
      });
      await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
      try {
        const other = await browser.newPage();
        await other.goto(`http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}/`);
        const r = await trySocket(other, `${api}?token=${serve.token}`);
        expect(r.opened).toBe(false);
        expect(r.error).toMatch(/403/);
        await other.close();
      } finally {
        elsewhere.close();
      }
    });
  });
}
