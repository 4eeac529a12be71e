import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { hardenContents, windowOptions } from './window.ts';

describe('windowOptions', () => {
  const o = windowOptions('/app/dist-electron/preload.cjs', false);
  const web = o.webPreferences!;

  it('gives the page no Node, a sandbox and an isolated preload world', () => {
    expect(web.preload).toBe('/app/dist-electron/preload.cjs');
    expect(web.contextIsolation).toBe(true);
    expect(web.sandbox).toBe(true);
    expect(web.nodeIntegration).toBe(false);
    expect(web.nodeIntegrationInWorker).toBe(false);
    expect(web.nodeIntegrationInSubFrames).toBe(false);
    expect(web.webSecurity).toBe(true);
    expect(web.allowRunningInsecureContent).toBe(false);
    expect(web.webviewTag).toBe(false);
  });

  it('opens at 1280x800 and paints the theme background before the page does', () => {
    expect([o.width, o.height]).toEqual([1280, 800]);
    expect(o.minWidth).toBeLessThanOrEqual(1280);
    expect(o.minHeight).toBeLessThanOrEqual(800);
    expect(o.backgroundColor).toBe('#f7f7f5');
    expect(windowOptions('p', true).backgroundColor).toBe('#15181b');
  });
});

/** A web contents' events, and what its window-open handler answers. */
function contents() {
  const emitter = new EventEmitter();
  let openHandler: ((details: { url: string }) => { action: string }) | null = null;
  const fake = {
    on: (name: string, listener: (...a: unknown[]) => void) => emitter.on(name, listener),
    setWindowOpenHandler: (h: typeof openHandler) => {
      openHandler = h;
    },
  };
  hardenContents(fake as unknown as Parameters<typeof hardenContents>[0]);
  /** Emit `name` as Electron does; true when the listener prevented it. */
  const prevented = (name: string, url?: string): boolean => {
    let stopped = false;
    emitter.emit(name, { url, preventDefault: () => (stopped = true) });
    return stopped;
  };
  return { prevented, open: (url: string) => openHandler!({ url }).action };
}

describe('hardenContents', () => {
  it('lets the page move within app://hvlab/ only', () => {
    const c = contents();
    expect(c.prevented('will-navigate', 'app://hvlab/index.html#/history')).toBe(false);
    for (const url of [
      'https://example.com/',
      'file:///etc/passwd',
      'app://other/index.html',
      'http://127.0.0.1:8470/',
      'not a url',
    ]) {
      expect(c.prevented('will-navigate', url), url).toBe(true);
      expect(c.prevented('will-redirect', url), url).toBe(true);
    }
  });

  it('opens no windows, not even of the app', () => {
    const c = contents();
    expect(c.open('https://example.com/')).toBe('deny');
    expect(c.open('app://hvlab/index.html')).toBe('deny');
  });

  it('attaches no webview', () => {
    expect(contents().prevented('will-attach-webview')).toBe(true);
  });
});
