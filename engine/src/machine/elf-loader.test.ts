import { describe, expect, it } from 'vitest';
import { FramePool } from '../memory/frame-pool.ts';
import { GuestRam } from '../memory/guest-ram.ts';
import { ImageError, loadElf } from './elf-loader.ts';
import { elf } from '../../test/elf-builder.ts';

function ram(bytes = 1 << 20): GuestRam {
  const r = new GuestRam(new FramePool(bytes / 4096), 0x80000000, bytes);
  r.populate();
  return r;
}

function message(bytes: Uint8Array, r = ram()): string {
  try {
    loadElf(bytes, r);
  } catch (e) {
    expect(e).toBeInstanceOf(ImageError);
    return (e as Error).message;
  }
  throw new Error('loadElf accepted a bad image');
}

describe('ELF loader', () => {
  it('loads segments and zero-fills the rest of memsz', () => {
    const r = ram();
    r.write(0x80000010, new Uint8Array([9, 9, 9, 9]));
    const entry = loadElf(elf([{ paddr: 0x80000000, data: [1, 2, 3, 4], memSize: 32 }]), r);
    expect(entry).toBe(0x80000000);
    expect([...r.read(0x80000000, 6)!]).toEqual([1, 2, 3, 4, 0, 0]);
    expect([...r.read(0x80000010, 4)!]).toEqual([0, 0, 0, 0]);
  });

  it.each([
    ['not ELF', new Uint8Array([0x23, 0x21, 0x2f, 0x62, 0x69, 0x6e]), /not an ELF file/],
    ['empty file', new Uint8Array(0), /not an ELF file/],
    [
      'ELF64',
      elf([{ paddr: 0x80000000, data: [1] }], (b) => (b[4] = 2)),
      /ELF64 image: hvlab runs RV32/,
    ],
    ['big-endian', elf([{ paddr: 0x80000000, data: [1] }], (b) => (b[5] = 2)), /big-endian/],
    [
      'x86',
      elf([{ paddr: 0x80000000, data: [1] }], (_b, dv) => dv.setUint16(18, 3, true)),
      /machine 3, not RISC-V/,
    ],
    [
      'shared object',
      elf([{ paddr: 0x80000000, data: [1] }], (_b, dv) => dv.setUint16(16, 3, true)),
      /not an executable/,
    ],
    [
      'truncated header',
      elf([{ paddr: 0x80000000, data: [1] }]).subarray(0, 40),
      /truncated ELF header/,
    ],
    [
      'truncated program headers',
      elf([{ paddr: 0x80000000, data: [1] }]).subarray(0, 60),
      /program headers run past/,
    ],
    [
      'truncated segment',
      elf([{ paddr: 0x80000000, data: [1, 2, 3, 4] }]).subarray(0, 86),
      /truncated ELF: segment 0/,
    ],
    ['no segments', elf([]), /no loadable segments/],
    [
      'segment below RAM',
      elf([{ paddr: 0x10000000, data: [1] }]),
      /segment at 0x10000000-0x10000000 lies outside RAM 0x80000000-0x800fffff/,
    ],
    ['segment past RAM end', elf([{ paddr: 0x800ffffe, data: [1, 2, 3, 4] }]), /lies outside RAM/],
    [
      'larger than RAM',
      elf([{ paddr: 0x80000000, data: [1], memSize: 2 << 20 }]),
      /larger than RAM \(1048576 bytes\)/,
    ],
  ])('rejects %s with one clear line', (_name, bytes, expected) => {
    const msg = message(bytes);
    expect(msg).toMatch(expected);
    expect(msg).not.toContain('\n');
  });
});
