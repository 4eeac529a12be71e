/** Builds small ELF32 RISC-V executables for tests of the loader and the runner. */
export function elf(
  segments: { paddr: number; data: number[]; memSize?: number }[],
  patch: (b: Uint8Array, dv: DataView) => void = () => {},
): Uint8Array {
  const phoff = 52;
  const dataStart = phoff + 32 * segments.length;
  const total = dataStart + segments.reduce((s, seg) => s + seg.data.length, 0);
  const b = new Uint8Array(total);
  const dv = new DataView(b.buffer);
  b.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
  dv.setUint16(16, 2, true); // ET_EXEC
  dv.setUint16(18, 243, true); // EM_RISCV
  dv.setUint32(20, 1, true);
  dv.setUint32(24, segments[0]?.paddr ?? 0, true);
  dv.setUint32(28, phoff, true);
  dv.setUint16(40, 52, true);
  dv.setUint16(42, 32, true);
  dv.setUint16(44, segments.length, true);
  let off = dataStart;
  segments.forEach((seg, i) => {
    const p = phoff + 32 * i;
    dv.setUint32(p, 1, true); // PT_LOAD
    dv.setUint32(p + 4, off, true);
    dv.setUint32(p + 8, seg.paddr, true);
    dv.setUint32(p + 12, seg.paddr, true);
    dv.setUint32(p + 16, seg.data.length, true);
    dv.setUint32(p + 20, seg.memSize ?? seg.data.length, true);
    b.set(seg.data, off);
    off += seg.data.length;
  });
  patch(b, dv);
  return b;
}

/** Little-endian bytes of 32-bit instruction words. */
export function code(...words: number[]): number[] {
  return words.flatMap((w) => [w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24]);
}
