import type { VmConsole } from '../../../machine/console.ts';
import { SnapshotError, snapBool, snapNumber, type SnapObject } from '../../../snapshot/persist.ts';
import type { FeatureWords, QueueSpec, VirtioContext, VirtioDeviceModel } from '../device.ts';

/**
 * virtio-console (device id 3, reference/virtio.md §5): the PV console. Port 0 only, no
 * MULTIPORT: queue 0 is the receiveq, queue 1 the transmitq. It offers SIZE (cols and
 * rows in config space; resize() changes them with a config interrupt) and EMERG_WRITE
 * (a byte written to emerg_wr goes straight out, usable before any queue exists).
 *
 * It shares the VM's console stream with the UART and SBI DBCN, so a transcript is the
 * same whichever path the guest uses. TX: every chain's readable bytes go to the console
 * and the chain comes back with used len 0. RX: buffers the driver posts stay in the ring
 * until input is there; the device fills them when input arrives (inputArrived(), which
 * the board calls from the console's onInput) or when the driver kicks the receiveq.
 *
 * Backpressure: before each TX chain the device asks canWrite() (by default the console's
 * own canWrite, which the host's credit window drives). When it answers false, or the host
 * called pauseTx(), TX stops: chains stay in the ring unconsumed and the driver is asked
 * not to kick. resumeTx() (call it when credit comes back, or once per scheduling slice
 * while `paused`) drains them if the console can take bytes again. Nothing is buffered
 * inside the device, so a snapshot needs no chain state.
 */
export const VIRTIO_CONSOLE_F_SIZE = 0;
export const VIRTIO_CONSOLE_F_MULTIPORT = 1;
export const VIRTIO_CONSOLE_F_EMERG_WRITE = 2;
export const CONSOLE_RX = 0;
export const CONSOLE_TX = 1;
/** Config space: cols le16 @0, rows le16 @2, max_nr_ports le32 @4, emerg_wr le32 @8. */
export const CONSOLE_CONFIG_SIZE = 12;
const EMERG_WR = 8;

export interface VirtioConsoleOptions {
  cols?: number;
  rows?: number;
  /** QueueNumMax of both queues (a power of two); default 128, as QEMU. */
  queueSize?: number;
  /** Polled before each TX chain: false pauses TX until resumeTx(). Default: console.canWrite. */
  canWrite?: () => boolean;
}

/** The console's counters: its metrics, and saved with its state. */
const COUNTERS = [
  'txBytes',
  'rxBytes',
  'txChains',
  'rxChains',
  'emergBytes',
  'emergDropped',
  'txPauses',
] as const;

export class VirtioConsole implements VirtioDeviceModel {
  readonly deviceId = 3;
  readonly kind = 'console';
  readonly queues: readonly QueueSpec[];
  readonly features: FeatureWords = {
    lo: (1 << VIRTIO_CONSOLE_F_SIZE) | (1 << VIRTIO_CONSOLE_F_EMERG_WRITE),
    hi: 0,
  };
  readonly configSize = CONSOLE_CONFIG_SIZE;
  private readonly console: VmConsole;
  private readonly canWrite: () => boolean;
  /** Set by the transport that drives this device. */
  private ctx: VirtioContext | null = null;
  /** Bounce buffer between guest memory and the console stream. */
  private readonly buf = new Uint8Array(4096);
  private cols: number;
  private rows: number;
  private txPaused = false;

  /* Metrics. */
  private txBytes = 0;
  private rxBytes = 0;
  private txChains = 0;
  private rxChains = 0;
  private emergBytes = 0;
  private emergDropped = 0;
  private txPauses = 0;

  constructor(console: VmConsole, options: VirtioConsoleOptions = {}) {
    this.console = console;
    this.cols = (options.cols ?? 80) & 0xffff;
    this.rows = (options.rows ?? 24) & 0xffff;
    this.canWrite = options.canWrite ?? (() => console.canWrite());
    const size = options.queueSize ?? 128;
    this.queues = [
      { name: 'receiveq', maxSize: size },
      { name: 'transmitq', maxSize: size },
    ];
  }

  attach(ctx: VirtioContext): void {
    this.ctx = ctx;
  }

  /** Console input arrived: fill posted receive buffers (wire to VmConsole.onInput). */
  inputArrived(): void {
    this.fillRx();
  }

  /** The terminal changed size: new cols/rows and a config interrupt. */
  resize(cols: number, rows: number): void {
    cols &= 0xffff;
    rows &= 0xffff;
    if (cols === this.cols && rows === this.rows) return;
    this.cols = cols;
    this.rows = rows;
    this.ctx?.configChanged();
  }

  /** The host cannot take output for now: leave TX chains in the ring. */
  pauseTx(): void {
    if (!this.txPaused) this.txPauses++;
    this.txPaused = true;
  }

  /** The host may take output again: if the console can, send what the driver queued. */
  resumeTx(): void {
    if (!this.canWrite()) return;
    this.txPaused = false;
    this.drainTx();
  }

  get paused(): boolean {
    return this.txPaused;
  }

  configRead(off: number, size: number): number {
    let v = 0;
    for (let k = 0; k < size; k++) v |= this.configByte(off + k) << (8 * k);
    return v >>> 0;
  }

  configWrite(off: number, size: number, value: number): void {
    // Only emerg_wr is writable; its low byte is output, at any time. As with the UART, a
    // byte written while the console's consumer is behind is lost.
    if (off <= EMERG_WR && EMERG_WR < off + size) {
      if (!this.canWrite()) {
        this.emergDropped++;
        return;
      }
      this.console.write((value >>> (8 * (EMERG_WR - off))) & 0xff);
      this.emergBytes++;
    }
  }

  activate(): void {
    this.drainTx();
    this.fillRx();
  }

  notify(index: number): void {
    if (index === CONSOLE_TX) this.drainTx();
    else if (index === CONSOLE_RX) this.fillRx();
  }

  reset(): void {
    // No runtime state: chains are never held. Size and backpressure belong to the host.
  }

  metrics(): Record<string, number> {
    return Object.fromEntries(COUNTERS.map((k) => [k, this[k]]));
  }

  save(): SnapObject {
    return { cols: this.cols, rows: this.rows, txPaused: this.txPaused, ...this.metrics() };
  }

  restore(s: SnapObject): void {
    const cols = snapNumber(s, 'cols');
    const rows = snapNumber(s, 'rows');
    if (cols !== (cols & 0xffff) || rows !== (rows & 0xffff)) {
      throw new SnapshotError(`virtio console: size ${cols}x${rows} out of range`);
    }
    this.cols = cols;
    this.rows = rows;
    this.txPaused = snapBool(s, 'txPaused');
    for (const k of COUNTERS) this[k] = snapNumber(s, k);
  }

  private configByte(i: number): number {
    switch (i) {
      case 0:
        return this.cols & 0xff;
      case 1:
        return this.cols >>> 8;
      case 2:
        return this.rows & 0xff;
      case 3:
        return this.rows >>> 8;
      case 4:
        return 1; // max_nr_ports (meaningful only with MULTIPORT)
      default:
        return 0; // the rest of max_nr_ports; emerg_wr reads 0
    }
  }

  /** Send queued TX chains to the console, at most one ring's worth per call. */
  private drainTx(): void {
    const ctx = this.ctx;
    const q = ctx?.queue(CONSOLE_TX) ?? null;
    if (ctx === null || q === null) return;
    const buf = this.buf;
    let done = 0;
    for (let n = 0; n < q.size; n++) {
      if (this.txPaused || q.pending() <= 0) break;
      if (!this.canWrite()) {
        this.pauseTx();
        break;
      }
      const c = q.pop();
      if (c === null) break;
      if (typeof c === 'string') return; // the transport already set DEVICE_NEEDS_RESET
      for (let at = 0; at < c.readableBytes;) {
        const k = c.read(buf, at);
        if (k <= 0) {
          ctx.needsReset(`transmitq: chain from head ${c.head} lost its memory`);
          return;
        }
        for (let i = 0; i < k; i++) this.console.write(buf[i]);
        at += k;
      }
      this.txBytes += c.readableBytes;
      this.txChains++;
      if (!q.push(c.head, 0)) return;
      done++;
    }
    if (done > 0) ctx.signalUsed(CONSOLE_TX);
    if (this.txPaused) q.disableNotification();
    else q.enableNotification();
  }

  /** Fill posted RX buffers with waiting input, at most one ring's worth per call. */
  private fillRx(): void {
    const ctx = this.ctx;
    const q = ctx?.queue(CONSOLE_RX) ?? null;
    if (ctx === null || q === null) return;
    const buf = this.buf;
    const input = this.console;
    let done = 0;
    for (let n = 0; n < q.size && input.available() > 0; n++) {
      const c = q.pop();
      if (c === null) break;
      if (typeof c === 'string') return;
      if (c.writableBytes === 0) {
        ctx.needsReset(`receiveq: chain from head ${c.head} has no device-writable buffer`);
        return;
      }
      let at = 0;
      while (at < c.writableBytes && input.available() > 0) {
        const k = Math.min(buf.length, c.writableBytes - at, input.available());
        for (let i = 0; i < k; i++) buf[i] = input.read();
        if (c.write(buf, at, k) !== k) {
          ctx.needsReset(`receiveq: chain from head ${c.head} lost its memory`);
          return;
        }
        at += k;
      }
      this.rxBytes += at;
      this.rxChains++;
      if (!q.push(c.head, at)) return;
      done++;
    }
    if (done > 0) ctx.signalUsed(CONSOLE_RX);
    q.enableNotification();
  }
}
