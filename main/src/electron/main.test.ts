import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { CALL_CHANNEL } from './channels.ts';
import { APP_URL } from './protocol.ts';

/**
 * The main process's wiring, against a fake Electron and the real host and store: what
 * happens at load, at ready and at quit.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const data = mkdtempSync(join(tmpdir(), 'hvlab-electron-main-'));
afterAll(() => rmSync(data, { recursive: true, force: true }));

const fake = vi.hoisted(() => {
  type Listener = (...a: unknown[]) => unknown;
  const state = {
    lock: true,
    ready: null as null | (() => void),
    appListeners: new Map<string, Listener>(),
    handlers: new Map<string, Listener>(),
    windows: [] as { options: Record<string, unknown>; loaded: string[]; webContents: object }[],
  };
  class BrowserWindow {
    options: Record<string, unknown>;
    loaded: string[] = [];
    webContents = { id: 1, isDestroyed: () => false, send: () => {} };
    constructor(options: Record<string, unknown>) {
      this.options = options;
      state.windows.push(this);
    }
    once(): void {}
    async loadURL(url: string): Promise<void> {
      this.loaded.push(url);
    }
    static getAllWindows = () => state.windows;
  }
  const electron = {
    app: {
      requestSingleInstanceLock: () => state.lock,
      on: (name: string, l: Listener) => state.appListeners.set(name, l),
      whenReady: () => new Promise<void>((resolve) => (state.ready = resolve)),
      getAppPath: () => '',
      getVersion: () => '0.1.0',
      isPackaged: false,
      quit: () => {},
      exit: () => {},
    },
    BrowserWindow,
    dialog: {
      showMessageBox: async () => ({}),
      showErrorBox: (_title: string, _message: string) => {},
    },
    ipcMain: {
      handle: (channel: string, h: Listener) => state.handlers.set(channel, h),
      removeHandler: (channel: string) => state.handlers.delete(channel),
    },
    Menu: { buildFromTemplate: (t: unknown) => t, setApplicationMenu: () => {} },
    nativeTheme: { shouldUseDarkColors: false },
    protocol: { registerSchemesAsPrivileged: () => {}, handle: () => {} },
    session: {
      defaultSession: {
        setPermissionRequestHandler: () => {},
        setPermissionCheckHandler: () => {},
        setDevicePermissionHandler: () => {},
      },
    },
  };
  return { state, electron };
});
vi.mock('electron', () => fake.electron);

const { state, electron } = fake;

beforeEach(() => {
  vi.resetModules();
  vi.restoreAllMocks();
  state.lock = true;
  state.ready = null;
  state.appListeners.clear();
  state.handlers.clear();
  state.windows.length = 0;
  vi.stubEnv('HVLAB_DATA_DIR', data);
  vi.spyOn(electron.app, 'getAppPath').mockReturnValue(ROOT);
});

describe('the main process', () => {
  it('quits at once when another instance holds the lock', async () => {
    state.lock = false;
    const quit = vi.spyOn(electron.app, 'quit');
    const schemes = vi.spyOn(electron.protocol, 'registerSchemesAsPrivileged');
    await import('./main.ts');
    expect(quit).toHaveBeenCalled();
    expect(schemes).toHaveBeenCalled();
    expect(state.ready).toBeNull();
    expect(state.appListeners.size).toBe(0);
  });

  it('declares app:// before ready, then opens the store, the host, IPC and the window', async () => {
    const schemes = vi.spyOn(electron.protocol, 'registerSchemesAsPrivileged');
    const handle = vi.spyOn(electron.protocol, 'handle');
    const permissions = vi.spyOn(electron.session.defaultSession, 'setPermissionRequestHandler');
    const menu = vi.spyOn(electron.Menu, 'setApplicationMenu');
    await import('./main.ts');
    expect(schemes).toHaveBeenCalledOnce();
    expect(state.ready).not.toBeNull();
    expect(state.windows).toHaveLength(0);
    expect([...state.appListeners.keys()]).toEqual(
      expect.arrayContaining(['second-instance', 'web-contents-created', 'will-quit']),
    );

    state.ready!();
    await vi.waitFor(() => expect(state.windows).toHaveLength(1));
    expect(existsSync(join(data, 'hvlab.sqlite'))).toBe(true);
    expect(handle).toHaveBeenCalledWith('app', expect.any(Function));
    expect(permissions).toHaveBeenCalledOnce();
    expect(menu).toHaveBeenCalledOnce();
    const [win] = state.windows;
    expect(win.loaded).toEqual([APP_URL]);
    expect(win.options.webPreferences).toMatchObject({
      preload: join(ROOT, 'dist-electron', 'preload.cjs'),
      sandbox: true,
      contextIsolation: true,
    });

    // A call from the window's page reaches the real host, which lists the repo's images.
    const reply = (await state.handlers.get(CALL_CHANNEL)!(
      { sender: { id: 1 }, senderFrame: { url: APP_URL, parent: null } },
      'listImages',
      {},
    )) as { result: { name: string }[] };
    expect(reply.result.map((i) => i.name)).toContain('labos.elf');

    // Quitting waits for the host to close, then quits for real.
    const quit = vi.spyOn(electron.app, 'quit');
    const preventDefault = vi.fn();
    state.appListeners.get('will-quit')!({ preventDefault });
    expect(preventDefault).toHaveBeenCalledOnce();
    expect(state.handlers.has(CALL_CHANNEL)).toBe(false);
    await vi.waitFor(() => expect(quit).toHaveBeenCalledOnce());
    // The second will-quit (from that quit) goes through.
    const again = vi.fn();
    state.appListeners.get('will-quit')!({ preventDefault: again });
    expect(again).not.toHaveBeenCalled();
  });

  it('says in one line why it cannot start, and exits', async () => {
    // A file where the data folder should be: the store cannot open.
    const notADir = join(data, 'file');
    writeFileSync(notADir, '');
    vi.stubEnv('HVLAB_DATA_DIR', notADir);
    const showErrorBox = vi.spyOn(electron.dialog, 'showErrorBox');
    const exit = vi.spyOn(electron.app, 'exit');
    await import('./main.ts');
    state.ready!();
    await vi.waitFor(() => expect(exit).toHaveBeenCalledWith(1));
    expect(showErrorBox).toHaveBeenCalledOnce();
    const [title, message] = showErrorBox.mock.calls[0];
    expect(title).toBe('hvlab cannot start');
    expect(message).toContain(notADir);
    expect(message).not.toContain('\n');
    expect(state.windows).toHaveLength(0);
  });
});
