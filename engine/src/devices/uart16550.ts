import type { MmioDevice } from '../machine/bus.ts';
import type { VmConsole } from '../machine/console.ts';
import { snapBool, snapNumber, type SnapObject } from '../snapshot/persist.ts';

/**
 * An NS16550A UART (reference/virt.md): byte registers, DLAB divisor latch, FIFO control,
 * RX-data and THR-empty interrupts. Transmission is instantaneous, so LSR reads 0x60
 * (THR and transmitter empty) plus DR when input is waiting; a driver that polls LSR
 * then writes THR costs two exits per byte, the trap-and-emulate baseline. While the
 * console's consumer is behind, THR reads busy (backpressure).
 */
export const UART_SIZE = 0x100;

const IER_RDI = 1;
const IER_THRI = 2;
const LCR_DLAB = 0x80;
const LSR_DR = 0x01;
const LSR_THRE = 0x20;
const LSR_TEMT = 0x40;
const IIR_NONE = 0x01;
const IIR_THRI = 0x02;
const IIR_RDI = 0x04;

export class Uart16550 implements MmioDevice {
  readonly name: string;
  private readonly console: VmConsole;
  private readonly irq: (level: boolean) => void;
  private ier = 0;
  private lcr = 0;
  private mcr = 0;
  private scr = 0;
  private dll = 0;
  private dlm = 0;
  private fifoEnabled = false;
  /** THR-empty interrupt armed (cleared by reading IIR or writing THR). */
  private thrPending = false;

  /** The receive side reads the console's input queue directly: it is the RX FIFO. */
  constructor(name: string, console: VmConsole, irq: (level: boolean) => void = () => {}) {
    this.name = name;
    this.console = console;
    this.irq = irq;
  }

  /** Input arrived on the console: raise the RX interrupt if it is enabled. */
  inputArrived(): void {
    this.update();
  }

  read(off: number): number {
    const dlab = this.lcr & LCR_DLAB;
    switch (off) {
      case 0:
        if (dlab) return this.dll;
        return this.popRx();
      case 1:
        return dlab ? this.dlm : this.ier;
      case 2: {
        const iir = this.iir();
        if (iir === IIR_THRI) {
          this.thrPending = false;
          this.update();
        }
        return iir | (this.fifoEnabled ? 0xc0 : 0);
      }
      case 3:
        return this.lcr;
      case 4:
        return this.mcr;
      case 5:
        return (
          (this.console.canWrite() ? LSR_THRE | LSR_TEMT : 0) |
          (this.console.available() > 0 ? LSR_DR : 0)
        );
      case 6:
        return 0xb0; // CTS, DSR, DCD: a modem that is always there
      case 7:
        return this.scr;
      default:
        return 0;
    }
  }

  write(off: number, _size: number, value: number): void {
    const v = value & 0xff;
    const dlab = this.lcr & LCR_DLAB;
    switch (off) {
      case 0:
        if (dlab) this.dll = v;
        else {
          // Written while the consumer is behind (LSR said busy): lost, as on hardware.
          if (this.console.canWrite()) this.console.write(v);
          this.thrPending = true; // sent at once: THR is empty again
          this.update();
        }
        return;
      case 1:
        if (dlab) this.dlm = v;
        else {
          const enablingThri = !(this.ier & IER_THRI) && v & IER_THRI;
          this.ier = v & 0x0f;
          if (enablingThri) this.thrPending = true;
          this.update();
        }
        return;
      case 2:
        this.fifoEnabled = (v & 1) !== 0;
        if (v & 2) {
          while (this.console.read() >= 0); // clear the RX FIFO: drop pending input
          this.update();
        }
        return;
      case 3:
        this.lcr = v;
        return;
      case 4:
        this.mcr = v & 0x1f;
        return;
      case 7:
        this.scr = v;
        return;
    }
  }

  save(): SnapObject {
    const { ier, lcr, mcr, scr, dll, dlm, fifoEnabled, thrPending } = this;
    return { ier, lcr, mcr, scr, dll, dlm, fifoEnabled, thrPending };
  }

  restore(s: SnapObject): void {
    for (const r of ['ier', 'lcr', 'mcr', 'scr', 'dll', 'dlm'] as const) this[r] = snapNumber(s, r);
    this.fifoEnabled = snapBool(s, 'fifoEnabled');
    this.thrPending = snapBool(s, 'thrPending');
  }

  private popRx(): number {
    const b = this.console.read();
    this.update();
    return b < 0 ? 0 : b;
  }

  private iir(): number {
    if (this.ier & IER_RDI && this.console.available() > 0) return IIR_RDI;
    if (this.ier & IER_THRI && this.thrPending) return IIR_THRI;
    return IIR_NONE;
  }

  private update(): void {
    this.irq(this.iir() !== IIR_NONE);
  }
}
