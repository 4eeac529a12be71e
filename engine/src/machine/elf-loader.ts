import type { GuestRam } from '../memory/guest-ram.ts';

/**
 * ELF32 little-endian RISC-V executables. Anything else is refused with an ImageError
 * whose message is one line naming the problem, for the CLI and the UI to show as is.
 */
export class ImageError extends Error {
  override readonly name = 'ImageError';
}

export interface LoadSegment {
  paddr: number;
  fileOffset: number;
  fileSize: number;
  memSize: number;
}

export interface ElfImage {
  entry: number;
  segments: LoadSegment[];
}

const EM_RISCV = 243;
const PT_LOAD = 1;
const hex = (v: number): string => '0x' + (v >>> 0).toString(16).padStart(8, '0');

export function parseElf(bytes: Uint8Array): ElfImage {
  if (
    bytes.length < 4 ||
    bytes[0] !== 0x7f ||
    bytes[1] !== 0x45 ||
    bytes[2] !== 0x4c ||
    bytes[3] !== 0x46
  ) {
    throw new ImageError('not an ELF file (bad magic)');
  }
  if (bytes.length < 52) throw new ImageError(`truncated ELF header (${bytes.length} bytes)`);
  if (bytes[4] !== 1) {
    throw new ImageError(
      bytes[4] === 2 ? 'ELF64 image: hvlab runs RV32 (ELF32) images' : 'bad ELF class',
    );
  }
  if (bytes[5] !== 1) throw new ImageError('big-endian ELF: RISC-V images are little-endian');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const machine = dv.getUint16(18, true);
  if (machine !== EM_RISCV) throw new ImageError(`ELF for machine ${machine}, not RISC-V (243)`);
  const type = dv.getUint16(16, true);
  if (type !== 2) throw new ImageError(`ELF type ${type} is not an executable (ET_EXEC)`);
  const entry = dv.getUint32(24, true);
  const phoff = dv.getUint32(28, true);
  const phentsize = dv.getUint16(42, true);
  const phnum = dv.getUint16(44, true);
  if (phentsize < 32 || phoff + phnum * phentsize > bytes.length) {
    throw new ImageError('truncated ELF: program headers run past the end of the file');
  }
  const segments: LoadSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    if (dv.getUint32(p, true) !== PT_LOAD) continue;
    const seg = {
      fileOffset: dv.getUint32(p + 4, true),
      paddr: dv.getUint32(p + 12, true),
      fileSize: dv.getUint32(p + 16, true),
      memSize: dv.getUint32(p + 20, true),
    };
    if (seg.fileOffset + seg.fileSize > bytes.length) {
      throw new ImageError(
        `truncated ELF: segment ${i} needs bytes up to ${seg.fileOffset + seg.fileSize}, file has ${bytes.length}`,
      );
    }
    if (seg.memSize < seg.fileSize)
      throw new ImageError(`segment ${i}: memory size is smaller than file size`);
    if (seg.memSize > 0) segments.push(seg);
  }
  if (segments.length === 0) throw new ImageError('ELF has no loadable segments');
  return { entry, segments };
}

/** Check the image fits the VM's RAM and copy it in; returns the entry point. */
export function loadElf(bytes: Uint8Array, ram: GuestRam): number {
  const image = parseElf(bytes);
  const total = image.segments.reduce((sum, s) => sum + s.memSize, 0);
  if (total > ram.size) {
    throw new ImageError(`image needs ${total} bytes, larger than RAM (${ram.size} bytes)`);
  }
  for (const s of image.segments) {
    if (!ram.contains(s.paddr, s.memSize)) {
      throw new ImageError(
        `segment at ${hex(s.paddr)}-${hex(s.paddr + s.memSize - 1)} lies outside RAM ${hex(ram.base)}-${hex(ram.base + ram.size - 1)}`,
      );
    }
  }
  for (const s of image.segments) {
    ram.write(s.paddr, bytes.subarray(s.fileOffset, s.fileOffset + s.fileSize));
    ram.write(s.paddr + s.fileSize, new Uint8Array(s.memSize - s.fileSize));
  }
  return image.entry;
}
