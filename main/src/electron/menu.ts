/**
 * The application menu. The Edit roles matter beyond the menu: they carry the copy and
 * paste shortcuts the consoles (xterm.js) rely on. Developer tools only in development.
 */
import type { MenuItemConstructorOptions } from 'electron';

export interface MenuOptions {
  packaged: boolean;
  platform: NodeJS.Platform;
  /** Show the About box. */
  about(): void;
}

export function menuTemplate(o: MenuOptions): MenuItemConstructorOptions[] {
  const sep: MenuItemConstructorOptions = { type: 'separator' };
  return [
    // macOS puts Quit (and Hide, Services) in the menu named after the app.
    ...(o.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    { label: 'File', submenu: [{ role: 'quit' }] },
    {
      label: 'Edit',
      submenu: [
        { role: 'undo' },
        { role: 'redo' },
        sep,
        { role: 'cut' },
        { role: 'copy' },
        { role: 'paste' },
        { role: 'selectAll' },
      ],
    },
    {
      label: 'View',
      submenu: [
        { role: 'reload' },
        ...(o.packaged ? [] : [{ role: 'toggleDevTools' as const }]),
        sep,
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        sep,
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
    { role: 'help', submenu: [{ label: 'About hvlab', click: () => o.about() }] },
  ];
}

/** The About box's text: the app's version and what it runs on. */
export function aboutDetail(app: string, versions: Record<string, string | undefined>): string {
  return [
    `hvlab ${app}`,
    `Electron ${versions.electron ?? '?'}`,
    `Chromium ${versions.chrome ?? '?'}`,
    `Node ${versions.node ?? '?'}`,
    `V8 ${versions.v8 ?? '?'}`,
  ].join('\n');
}
