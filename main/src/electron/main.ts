/**
 * The Electron app's main process: one instance, the lab host and run store behind the
 * window, app:// for the page, IPC for the LabApi. The run store is the one the CLI uses
 * (resolveDataDir), so `hvlab runs list` shows the app's runs too.
 */
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  nativeTheme,
  protocol,
  session,
} from 'electron';
import { LabHost } from '../host/lab-host.ts';
import { resolveDataDir } from '../store/data-dir.ts';
import { RunStore } from '../store/run-store.ts';
import { connectIpc, type IpcConnection } from './ipc.ts';
import { aboutDetail, menuTemplate } from './menu.ts';
import { appPaths } from './paths.ts';
import { denyPermissions } from './permissions.ts';
import { APP_URL, registerAppScheme, serveApp } from './protocol.ts';
import { hardenContents, windowOptions } from './window.ts';

interface Lab {
  host: LabHost;
  store: RunStore;
  ipc: IpcConnection;
}

let lab: Lab | null = null;

// Schemes can be declared only before ready, so before anything is awaited.
registerAppScheme(protocol);

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    const [win] = BrowserWindow.getAllWindows();
    if (win === undefined) return;
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  app.on('web-contents-created', (_event, contents) => {
    // Every web contents, the window's and any other, stays on the app.
    hardenContents(contents);
    // A page reloaded or closed will never draw what it was sent: credit it back.
    const id = contents.id;
    contents.on('did-navigate', () => lab?.ipc.pageGone(id));
    contents.once('destroyed', () => lab?.ipc.pageGone(id));
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('will-quit', (event) => {
    if (lab === null) return;
    // Let every session end and be recorded before the store closes, then quit for real.
    event.preventDefault();
    const { host, store, ipc } = lab;
    lab = null;
    ipc.disconnect();
    void host.close().finally(() => {
      store.close();
      app.quit();
    });
  });
  app.whenReady().then(start).catch(fail);
}

function start(): void {
  const paths = appPaths(app.getAppPath(), process.resourcesPath, app.isPackaged);
  const dataDir = resolveDataDir();
  const store = RunStore.open(dataDir);
  const host = new LabHost({
    store,
    imagesDir: paths.images,
    profilesDir: paths.profiles,
    workerUrl: paths.worker,
  });
  const ipc = connectIpc(ipcMain, host, () =>
    BrowserWindow.getAllWindows().map((w) => w.webContents),
  );
  lab = { host, store, ipc };
  denyPermissions(session.defaultSession);
  serveApp(protocol, paths.renderer);
  Menu.setApplicationMenu(
    Menu.buildFromTemplate(
      menuTemplate({ packaged: app.isPackaged, platform: process.platform, about: showAbout }),
    ),
  );
  const open = (): void => {
    const win = new BrowserWindow(windowOptions(paths.preload, nativeTheme.shouldUseDarkColors));
    win.once('ready-to-show', () => win.show());
    void win.loadURL(APP_URL);
  };
  open();
  // macOS keeps the app when its last window closes; the Dock icon opens a new one.
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) open();
  });
}

function showAbout(): void {
  void dialog.showMessageBox({
    type: 'info',
    title: 'About hvlab',
    message: 'hvlab: a lab for learning how hypervisors work',
    detail: aboutDetail(app.getVersion(), process.versions),
  });
}

/** The lab could not start (e.g. the run store cannot be opened): say why in one line. */
function fail(e: unknown): void {
  const message = (e instanceof Error ? e.message : String(e)).split('\n')[0];
  dialog.showErrorBox('hvlab cannot start', message);
  app.exit(1);
}
