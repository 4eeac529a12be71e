/**
 * Web mode's console stream, watched on the page's API socket without touching the page:
 * the output each VM sends (console events) and the credits the page returns once xterm
 * has parsed it into the terminal's buffer (LabApi `credit`). A byte is in the buffer
 * when the credits reach past it, which times output reaching the terminal without
 * polling the page (reading a 5000-line buffer costs the page ~20 ms a time).
 */
import type { Page, WebSocket } from 'playwright-core';

interface Chunk {
  /** Stream offset just past the chunk. */
  end: number;
  text: string;
}

/** Where and when a needle reached the terminal's buffer. */
export interface Parsed {
  /** performance.now() when the page credited the chunk holding it. */
  at: number;
  /** Stream offset just past the needle. */
  offset: number;
}

interface Waiter {
  needle: string;
  resolve(p: Parsed): void;
}

interface Stream {
  received: number;
  credited: number;
  pending: Chunk[];
  /** The end of the text credited last, so a needle split between chunks is found. */
  tail: string;
  waiters: Waiter[];
}

/** Longest needle looked for across a chunk boundary. */
const OVERLAP = 64;

export class ConsoleStream {
  private readonly streams = new Map<string, Stream>();

  /** Watch the sockets the page opens from now on (so: before it loads the app). */
  constructor(page: Page) {
    page.on('websocket', (ws) => this.watch(ws));
  }

  /** Bytes of a VM's output parsed into its terminal so far. */
  credited(session: string, vm = 0): number {
    return this.stream(session, vm).credited;
  }

  /** Resolves when `needle`, sent from now on, has been parsed into the terminal's buffer. */
  parsed(session: string, needle: string, vm = 0): Promise<Parsed> {
    if (needle.length > OVERLAP) throw new Error(`needle longer than ${OVERLAP} characters`);
    return new Promise((resolve) => this.stream(session, vm).waiters.push({ needle, resolve }));
  }

  private stream(session: string, vm: number): Stream {
    const key = `${session}:${vm}`;
    let s = this.streams.get(key);
    if (!s) {
      s = { received: 0, credited: 0, pending: [], tail: '', waiters: [] };
      this.streams.set(key, s);
    }
    return s;
  }

  private watch(ws: WebSocket): void {
    ws.on('framereceived', ({ payload }) => {
      const msg = JSON.parse(String(payload)) as {
        event?: string;
        data?: { session: string; vm: number; data: string };
      };
      if (msg.event !== 'console' || !msg.data) return;
      const s = this.stream(msg.data.session, msg.data.vm);
      const text = Buffer.from(msg.data.data, 'base64').toString('latin1');
      s.received += text.length;
      s.pending.push({ end: s.received, text });
    });
    ws.on('framesent', ({ payload }) => {
      const msg = JSON.parse(String(payload)) as {
        method?: string;
        params?: { session: string; vm: number; bytes: number };
      };
      if (msg.method !== 'credit' || !msg.params) return;
      const now = performance.now();
      const s = this.stream(msg.params.session, msg.params.vm);
      s.credited += msg.params.bytes;
      while (s.pending.length && s.pending[0].end <= s.credited) {
        const chunk = s.pending.shift()!;
        const text = s.tail + chunk.text;
        s.waiters = s.waiters.filter((w) => {
          const i = text.lastIndexOf(w.needle);
          // Found only in the tail: it was parsed before anyone waited for it.
          if (i < 0 || i + w.needle.length <= s.tail.length) return true;
          w.resolve({ at: now, offset: chunk.end - (text.length - i - w.needle.length) });
          return false;
        });
        s.tail = text.slice(-OVERLAP);
      }
    });
  }
}
