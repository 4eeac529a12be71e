/**
 * The app:// protocol: the only origin the window loads. It serves the built renderer and
 * nothing else (no path leaves the renderer folder), with a strict Content-Security-Policy
 * on every response, so the page's script can only come from the app itself.
 */
import { readFile } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import type { Protocol } from 'electron';
import { contentType, RENDERER_CSP } from '../api/renderer-assets.ts';

export const APP_SCHEME = 'app';
export const APP_HOST = 'hvlab';
export const APP_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** Whether a URL is a page of the app (app://hvlab/...). */
export function isAppUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST;
  } catch {
    return false;
  }
}

/**
 * Declare app:// standard (relative URLs and an origin of its own, so 'self' means it) and
 * secure. Electron allows this only before the app is ready.
 */
export function registerAppScheme(protocol: Pick<Protocol, 'registerSchemesAsPrivileged'>): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

/** Answer app:// requests from `rendererDir` (after ready). */
export function serveApp(protocol: Pick<Protocol, 'handle'>, rendererDir: string): void {
  protocol.handle(APP_SCHEME, (request) => appResponse(rendererDir, request.url));
}

/** The response to one app:// URL: a file of `rendererDir`, or a refusal. */
export async function appResponse(rendererDir: string, url: string): Promise<Response> {
  const u = new URL(url);
  if (u.host !== APP_HOST) return refusal(404, 'not found');
  let path: string;
  try {
    path = decodeURIComponent(u.pathname);
  } catch {
    return refusal(400, 'malformed path');
  }
  const root = resolve(rendererDir);
  // Decoded, a path may hold '..', '\' or NUL again: resolve it and check where it lands.
  const file = resolve(root, '.' + (path === '/' ? '/index.html' : path));
  if (path.includes('\0') || !file.startsWith(root + sep)) return refusal(403, 'forbidden');
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    return refusal(404, 'not found');
  }
  return new Response(new Uint8Array(body), {
    status: 200,
    headers: headers(contentType(extname(file))),
  });
}

function refusal(status: number, text: string): Response {
  return new Response(`${text}\n`, { status, headers: headers('text/plain; charset=utf-8') });
}

function headers(type: string): Record<string, string> {
  return {
    'content-type': type,
    'content-security-policy': RENDERER_CSP,
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-store',
  };
}
