import { describe, expect, it } from 'vitest';
import { denyPermissions } from './permissions.ts';

describe('denyPermissions', () => {
  it('refuses every request and answers no to every check', () => {
    const handlers: Record<string, (...a: unknown[]) => unknown> = {};
    const session = {
      setPermissionRequestHandler: (h: (...a: unknown[]) => unknown) => (handlers.request = h),
      setPermissionCheckHandler: (h: (...a: unknown[]) => unknown) => (handlers.check = h),
      setDevicePermissionHandler: (h: (...a: unknown[]) => unknown) => (handlers.device = h),
    };
    denyPermissions(session as unknown as Parameters<typeof denyPermissions>[0]);
    for (const permission of ['media', 'notifications', 'clipboard-read', 'geolocation']) {
      const answers: boolean[] = [];
      handlers.request({}, permission, (granted: boolean) => answers.push(granted), {});
      expect(answers, permission).toEqual([false]);
      expect(handlers.check({}, permission, 'app://hvlab', {}), permission).toBe(false);
    }
    expect(handlers.device({ deviceType: 'usb', origin: 'app://hvlab' })).toBe(false);
  });
});
