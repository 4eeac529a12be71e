/**
 * The app window: its options (the renderer gets no Node, a sandbox and an isolated
 * preload world) and the hardening every web contents gets (it stays on app:// and opens
 * no windows or webviews).
 */
import type { BrowserWindowConstructorOptions, WebContents } from 'electron';
import { isAppUrl } from './protocol.ts';

/** The themes' --bg (renderer/src/app.css), so no white flash before the page paints. */
const BACKGROUND = { light: '#f7f7f5', dark: '#15181b' };

export function windowOptions(preload: string, dark: boolean): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 800,
    minWidth: 960,
    minHeight: 600,
    title: 'hvlab',
    backgroundColor: dark ? BACKGROUND.dark : BACKGROUND.light,
    // Shown once painted (ready-to-show).
    show: false,
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  };
}

type Hardenable = Pick<WebContents, 'on' | 'setWindowOpenHandler'>;

/** Keep a web contents on the app: no navigation elsewhere, no new windows, no webviews. */
export function hardenContents(contents: Hardenable): void {
  contents.on('will-navigate', (event) => {
    if (!isAppUrl(event.url)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    if (!isAppUrl(event.url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}
