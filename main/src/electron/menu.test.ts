import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import { aboutDetail, menuTemplate } from './menu.ts';

/** Every role in a template, depth first. */
function roles(items: MenuItemConstructorOptions[]): string[] {
  return items.flatMap((i) => [
    ...(i.role ? [i.role] : []),
    ...(Array.isArray(i.submenu) ? roles(i.submenu) : []),
  ]);
}

function submenu(items: MenuItemConstructorOptions[], label: string) {
  return items.find((i) => i.label === label)!.submenu as MenuItemConstructorOptions[];
}

describe('menuTemplate', () => {
  const dev = menuTemplate({ packaged: false, platform: 'linux', about: () => {} });

  it('has File, Edit, View, Window and Help, and Quit under File', () => {
    expect(dev.map((i) => i.label ?? i.role)).toEqual([
      'File',
      'Edit',
      'View',
      'windowMenu',
      'help',
    ]);
    expect(roles(submenu(dev, 'File'))).toEqual(['quit']);
  });

  it('has the edit roles the consoles copy and paste with', () => {
    expect(roles(submenu(dev, 'Edit'))).toEqual(
      expect.arrayContaining(['undo', 'redo', 'cut', 'copy', 'paste', 'selectAll']),
    );
  });

  it('offers the developer tools in development only', () => {
    const packaged = menuTemplate({ packaged: true, platform: 'linux', about: () => {} });
    expect(roles(submenu(dev, 'View'))).toContain('toggleDevTools');
    expect(roles(packaged)).not.toContain('toggleDevTools');
    expect(roles(submenu(packaged, 'View'))).toEqual(
      expect.arrayContaining(['reload', 'resetZoom', 'zoomIn', 'zoomOut', 'togglefullscreen']),
    );
  });

  it('puts the app menu first on macOS', () => {
    const mac = menuTemplate({ packaged: true, platform: 'darwin', about: () => {} });
    expect(mac[0].role).toBe('appMenu');
  });

  it('shows the About box from Help', () => {
    const about = vi.fn();
    const help = menuTemplate({ packaged: true, platform: 'win32', about }).at(-1)!;
    const item = (help.submenu as MenuItemConstructorOptions[]).find(
      (i) => i.label === 'About hvlab',
    )!;
    (item.click as () => void)();
    expect(about).toHaveBeenCalledOnce();
  });
});

describe('aboutDetail', () => {
  it('names the app version and the runtime versions', () => {
    expect(
      aboutDetail('0.1.0', { electron: '45.4.1', chrome: '140.0', node: '22.1', v8: '14.0' }),
    ).toBe('hvlab 0.1.0\nElectron 45.4.1\nChromium 140.0\nNode 22.1\nV8 14.0');
  });
});
