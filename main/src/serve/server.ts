/**
 * Web mode: the built renderer over HTTP and the LabApi over a WebSocket at /api, for a
 * browser on this machine (or a classroom's, with --host). Every start makes a random
 * token that the URL carries; the socket refuses a missing or wrong token and a page from
 * another origin, and answers a malformed message with an error while staying open.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { ApiError, parseRequest, type LabResponse } from '../api/lab-api.ts';
import { CreditLedger } from '../api/credit-ledger.ts';
import { contentType, RENDERER_CSP } from '../api/renderer-assets.ts';
import type { LabHost } from '../host/lab-host.ts';

export interface ServeOptions {
  host: LabHost;
  /** The built renderer (index.html and its assets). */
  rendererDir: string;
  port?: number;
  /** Address to bind; 127.0.0.1 unless the user asks otherwise. */
  address?: string;
  /** Fixed token (tests); random per start otherwise. */
  token?: string;
}

export interface RunningServer {
  /** The URL to open, token included. */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

/** Longest request a client may send (a console paste is the biggest legitimate one). */
const MAX_MESSAGE = 1 << 20;

export async function startServer(o: ServeOptions): Promise<RunningServer> {
  const token = o.token ?? randomBytes(24).toString('base64url');
  const address = o.address ?? '127.0.0.1';
  const http: Server = createServer((req, res) => {
    void serveFile(o.rendererDir, req.url ?? '/').then(({ status, type, body }) => {
      res.writeHead(status, {
        'content-type': type,
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-store',
        'content-security-policy': RENDERER_CSP,
      });
      res.end(body);
    });
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(o.port ?? 0, address, resolve);
  });
  const port = (http.address() as AddressInfo).port;
  const hostPart = address.includes(':') ? `[${address}]` : address;
  const origins = new Set([`http://${hostPart}:${port}`, `http://localhost:${port}`]);

  http.on('upgrade', (req, socket, head) => {
    const refusal = refuse(req, token, origins);
    if (refusal !== null) {
      socket.end(
        `HTTP/1.1 ${refusal.status}\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${refusal.message}\n`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => connect(ws, o.host));
  });

  return {
    url: `http://${hostPart}:${port}/?token=${token}`,
    port,
    token,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** Why a WebSocket upgrade is refused, or null to accept it. */
function refuse(
  req: IncomingMessage,
  token: string,
  origins: Set<string>,
): { status: string; message: string } | null {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname !== '/api') return { status: '404 Not Found', message: 'no such endpoint' };
  const given = url.searchParams.get('token');
  if (given === null) return { status: '401 Unauthorized', message: 'missing token' };
  if (!sameSecret(given, token)) return { status: '401 Unauthorized', message: 'wrong token' };
  // Browsers always send Origin: a page elsewhere must not drive the lab. Tools that send
  // none hold the token already.
  const origin = req.headers.origin;
  if (origin !== undefined && !origins.has(origin))
    return { status: '403 Forbidden', message: `origin ${origin} is not allowed` };
  return null;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function connect(ws: WebSocket, host: LabHost): void {
  const send = (msg: unknown): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
  };
  const ledger = new CreditLedger();
  const unsubscribe = host.subscribe((msg) => {
    ledger.sent(msg);
    send(msg);
  });
  ws.on('close', () => {
    unsubscribe();
    // The page is gone: the output it was sent and never drew is credited for it.
    for (const credit of ledger.settle()) void host.call('credit', credit).catch(() => {});
  });
  ws.on('message', (raw, isBinary) => {
    void answer(host, isBinary ? null : raw.toString(), ledger).then(send);
  });
}

async function answer(
  host: LabHost,
  text: string | null,
  ledger: CreditLedger,
): Promise<LabResponse> {
  let id: number | null = null;
  try {
    if (text === null) throw new ApiError('malformed message: expected JSON text');
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      throw new ApiError('malformed message: not JSON');
    }
    const maybeId = (data as { id?: unknown } | null)?.id;
    if (typeof maybeId === 'number') id = maybeId;
    const req = parseRequest(data);
    ledger.received(req);
    return { id: req.id, result: await host.call(req.method, req.params) };
  } catch (e) {
    // Expected failures are one line for the client; anything else is a host bug, still
    // answered, so one bad request never takes the connection down.
    const message = e instanceof Error ? e.message : String(e);
    return { id, error: message.split('\n')[0] };
  }
}

async function serveFile(
  root: string,
  rawUrl: string,
): Promise<{ status: number; type: string; body: Buffer | string }> {
  const path = decodeURIComponent(new URL(rawUrl, 'http://x').pathname);
  const rel = normalize(path === '/' ? '/index.html' : path);
  const file = join(root, rel);
  if (!file.startsWith(root.endsWith(sep) ? root : root + sep))
    return { status: 403, type: 'text/plain', body: 'forbidden\n' };
  try {
    const body = await readFile(file);
    return { status: 200, type: contentType(extname(file)), body };
  } catch {
    if (rel === `${sep}index.html`)
      return {
        status: 503,
        type: 'text/plain; charset=utf-8',
        body: 'hvlab: the renderer is not built yet (npm run build); the LabApi is at /api\n',
      };
    return { status: 404, type: 'text/plain', body: 'not found\n' };
  }
}
