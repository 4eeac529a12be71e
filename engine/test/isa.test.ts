import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BareMachine } from '../src/machine/bare.ts';
import { qemuAvailable, runQemuBare } from '../bench/qemu.ts';
import { ASSETS, needTool } from './tools.ts';

/**
 * The ISA conformance suite (native-free-assets/tests/isa): every self-checking test must
 * pass on the engine and on qemu-system-riscv32, and both must print the same line.
 */
const DIR = `${ASSETS}tests/isa/`;
const tests = readdirSync(DIR)
  .filter((f) => f.endsWith('.elf'))
  .sort();

function runEngine(file: string): { reason: string; exitCode: number; console: string } {
  let out = '';
  const m = new BareMachine({
    memBytes: 64 << 20,
    onConsole: (b) => (out += String.fromCharCode(b)),
  });
  m.loadImage(readFileSync(DIR + file));
  const r = m.run(200_000_000);
  return { reason: r.reason, exitCode: r.exitCode, console: out };
}

describe('ISA suite on the engine', () => {
  it('has the twelve areas', () => {
    expect(tests.map((t) => t.replace('.elf', ''))).toEqual(
      expect.arrayContaining([
        'alu',
        'shifts',
        'branch',
        'loadstore',
        'muldiv',
        'atomic',
        'compressed',
        'csr',
        'traps',
        'interrupts',
        'sv32',
        'fencei',
      ]),
    );
  });
  for (const t of tests) {
    it(`${t} passes`, () => {
      const r = runEngine(t);
      expect({ reason: r.reason, exitCode: r.exitCode }).toEqual({ reason: 'pass', exitCode: 0 });
      expect(r.console).toMatch(/pass/);
    });
  }
});

describe('ISA suite on QEMU (differential)', () => {
  const haveQemu = needTool('qemu-system-riscv32', 'the ISA suite on QEMU');
  for (const t of tests) {
    it.runIf(haveQemu && qemuAvailable())(`${t} passes on QEMU with the same output`, () => {
      const q = runQemuBare(DIR + t, 20_000, true);
      expect(q.status).toBe(0);
      expect(q.stdout).toBe(runEngine(t).console);
    });
  }
});
