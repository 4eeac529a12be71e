import type { MmioDevice } from '../machine/bus.ts';

/**
 * QEMU's sifive_test "finisher" at 0x100000: a guest ends the run by writing
 * 0x5555 (pass), 0x3333 | code << 16 (fail with code) or 0x7777 (reset).
 */
export const FINISHER_SIZE = 0x1000;

export type FinisherOutcome =
  { kind: 'pass'; code: 0 } | { kind: 'fail'; code: number } | { kind: 'reset'; code: 0 };

export class TestFinisher implements MmioDevice {
  readonly name = 'finisher';
  private readonly onFinish: (outcome: FinisherOutcome) => void;

  constructor(onFinish: (outcome: FinisherOutcome) => void) {
    this.onFinish = onFinish;
  }

  read(): number {
    return 0;
  }

  write(off: number, size: number, value: number): void {
    if (off !== 0 || size !== 4) return;
    switch (value & 0xffff) {
      case 0x5555:
        return this.onFinish({ kind: 'pass', code: 0 });
      case 0x3333:
        return this.onFinish({ kind: 'fail', code: value >>> 16 });
      case 0x7777:
        return this.onFinish({ kind: 'reset', code: 0 });
    }
  }
}
