import { snapBytes, type SnapObject } from '../snapshot/persist.ts';

/**
 * A VM's console: the byte stream its user sees and types into. Every console device
 * of the VM (the 16550, SBI DBCN, later virtio-console) writes to and reads from this
 * one stream, so a transcript is the same whichever path the guest takes.
 */
export class VmConsole {
  private readonly onOutput: (byte: number) => void;
  private input = new Uint8Array(256);
  private head = 0;
  private count = 0;
  /** Called when input arrives, so devices can raise their receive interrupts. */
  onInput: () => void = () => {};
  /**
   * Whether the consumer can take more output now. Devices show "busy" while it is false
   * (the UART's LSR, DBCN's short writes), which is how backpressure reaches the guest.
   */
  canWrite: () => boolean = () => true;

  constructor(onOutput: (byte: number) => void) {
    this.onOutput = onOutput;
  }

  write(byte: number): void {
    this.onOutput(byte & 0xff);
  }

  /** Queue bytes the user typed (or a test scripted). */
  pushInput(bytes: Uint8Array): void {
    this.append(bytes);
    if (bytes.length > 0) this.onInput();
  }

  available(): number {
    return this.count;
  }

  /** Input typed but not yet read by the guest. */
  save(): SnapObject {
    const pending = new Uint8Array(this.count);
    for (let i = 0; i < this.count; i++)
      pending[i] = this.input[(this.head + i) % this.input.length];
    return { input: pending };
  }

  /** Devices are restored with their interrupt lines, so nobody is told of this input. */
  restore(s: SnapObject): void {
    this.head = 0;
    this.count = 0;
    this.append(snapBytes(s, 'input'));
  }

  private append(bytes: Uint8Array): void {
    if (this.count + bytes.length > this.input.length) {
      const grown = new Uint8Array(Math.max(this.input.length * 2, this.count + bytes.length));
      for (let i = 0; i < this.count; i++)
        grown[i] = this.input[(this.head + i) % this.input.length];
      this.input = grown;
      this.head = 0;
    }
    for (const b of bytes) this.input[(this.head + this.count++) % this.input.length] = b;
  }

  /** The next input byte, or -1 when there is none. */
  read(): number {
    if (this.count === 0) return -1;
    const b = this.input[this.head];
    this.head = (this.head + 1) % this.input.length;
    this.count--;
    return b;
  }
}
