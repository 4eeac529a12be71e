import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RENDERER_CSP as CSP } from '../api/renderer-assets.ts';
import { appResponse, isAppUrl, registerAppScheme, serveApp } from './protocol.ts';

/** A built renderer, with secrets beside it that app:// must never serve. */
const tmp = mkdtempSync(join(tmpdir(), 'hvlab-protocol-'));
const dist = join(tmp, 'dist');
mkdirSync(join(dist, 'assets'), { recursive: true });
writeFileSync(join(dist, 'index.html'), '<!doctype html><title>hvlab</title>');
writeFileSync(join(dist, 'assets', 'index-1.js'), 'console.log(1)');
writeFileSync(join(dist, 'assets', 'index-1.css'), 'body{}');
writeFileSync(join(tmp, 'secret.txt'), 'SECRET');
mkdirSync(join(tmp, 'dist-private'));
writeFileSync(join(tmp, 'dist-private', 'key.txt'), 'SECRET');

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('appResponse', () => {
  it('serves index.html for / with the CSP header and its type', async () => {
    for (const url of ['app://hvlab/', 'app://hvlab/index.html']) {
      const r = await appResponse(dist, url);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(r.headers.get('content-security-policy')).toBe(CSP);
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await r.text()).toContain('<title>hvlab</title>');
    }
  });

  it('serves assets with their content types', async () => {
    const js = await appResponse(dist, 'app://hvlab/assets/index-1.js');
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await js.text()).toBe('console.log(1)');
    const css = await appResponse(dist, 'app://hvlab/assets/index-1.css');
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('refuses every way out of the renderer folder', async () => {
    for (const url of [
      'app://hvlab/..%2fsecret.txt',
      'app://hvlab/assets/..%2f..%2fsecret.txt',
      'app://hvlab/..%2fdist-private%2fkey.txt',
      'app://hvlab/%2e%2e%2fsecret.txt',
      `app://hvlab/${encodeURIComponent(join(tmp, 'secret.txt'))}`,
      'app://hvlab/index.html%00.js',
    ]) {
      const r = await appResponse(dist, url);
      expect([403, 404], url).toContain(r.status);
      expect(await r.text(), url).not.toContain('SECRET');
      expect(r.headers.get('content-security-policy'), url).toBe(CSP);
    }
    // Encoded separators are decoded after the URL is parsed: the check must catch them.
    expect((await appResponse(dist, 'app://hvlab/..%2fsecret.txt')).status).toBe(403);
    // Plain dot segments never get that far: the URL parser removes them.
    expect((await appResponse(dist, 'app://hvlab/../secret.txt')).status).toBe(404);
  });

  it('answers 404 for a missing file, a folder and another host', async () => {
    expect((await appResponse(dist, 'app://hvlab/nope.js')).status).toBe(404);
    expect((await appResponse(dist, 'app://hvlab/assets/')).status).toBe(404);
    expect((await appResponse(dist, 'app://other/index.html')).status).toBe(404);
  });

  it('answers 400 for a malformed escape', async () => {
    expect((await appResponse(dist, 'app://hvlab/%E0%A4%A')).status).toBe(400);
  });
});

describe('the CSP', () => {
  it('allows script from the app only, and nothing to be framed, posted or based elsewhere', () => {
    const rules = new Map(CSP.split('; ').map((r) => [r.split(' ')[0], r.split(' ').slice(1)]));
    expect(rules.get('default-src')).toEqual(["'self'"]);
    expect(rules.get('script-src')).toEqual(["'self'"]);
    expect(rules.get('object-src')).toEqual(["'none'"]);
    expect(rules.get('frame-ancestors')).toEqual(["'none'"]);
    expect(rules.get('base-uri')).toEqual(["'none'"]);
    expect(CSP).not.toContain('unsafe-eval');
  });

  it('is the one renderer/index.html declares (pages opened without the header keep it)', () => {
    const html = readFileSync(new URL('../../../renderer/index.html', import.meta.url), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html);
    expect(meta?.[1]).toBe(CSP);
  });
});

describe('the app scheme', () => {
  it('is registered standard and secure, and its handler serves the renderer', async () => {
    const schemes: unknown[] = [];
    registerAppScheme({ registerSchemesAsPrivileged: (s) => schemes.push(...s) });
    expect(schemes).toEqual([
      { scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true }) },
    ]);
    let handler: ((r: Request) => Promise<Response> | Response) | null = null;
    serveApp(
      {
        handle: (scheme, h) => {
          expect(scheme).toBe('app');
          handler = h;
        },
      },
      dist,
    );
    const r = await handler!(new Request('app://hvlab/index.html'));
    expect(r.status).toBe(200);
  });

  it('recognises the app origin only', () => {
    expect(isAppUrl('app://hvlab/index.html#/run/1')).toBe(true);
    expect(isAppUrl('app://hvlab.evil/index.html')).toBe(false);
    expect(isAppUrl('https://hvlab/')).toBe(false);
    expect(isAppUrl('')).toBe(false);
  });
});
