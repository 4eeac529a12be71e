/**
 * The page asks for no browser permission (camera, notifications, clipboard reads, USB,
 * ...): every request is refused and every check answers no. Copy and paste go through
 * the Edit menu's native roles, which need none.
 */
import type { Session } from 'electron';

type Permissions = Pick<
  Session,
  'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'setDevicePermissionHandler'
>;

export function denyPermissions(session: Permissions): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
}
