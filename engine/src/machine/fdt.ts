/**
 * A flattened device tree (DTB) writer, Devicetree Specification v0.4 §5: the header,
 * an empty memory reservation block, the structure block and the strings block, all
 * big-endian. The tree is built in memory with FdtNode and serialised once by toDtb.
 */

/**
 * A property value: number is one u32 cell, number[] a list of cells, string a
 * NUL-terminated string, string[] a stringlist, Uint8Array raw bytes, null an empty
 * (boolean) property such as `interrupt-controller`.
 */
export type FdtValue = string | string[] | number | number[] | Uint8Array | null;

export interface FdtProp {
  readonly name: string;
  readonly value: FdtValue;
}

export class FdtNode {
  /** Node name with unit address ("serial@10000000"); "" for the root. */
  readonly name: string;
  private readonly propList: FdtProp[] = [];
  private readonly childList: FdtNode[] = [];

  constructor(name: string) {
    this.name = name;
  }

  get props(): readonly FdtProp[] {
    return this.propList;
  }

  get children(): readonly FdtNode[] {
    return this.childList;
  }

  /** Add a property; a name given twice is a bug in the caller's tree, so it throws. */
  prop(name: string, value: FdtValue): this {
    if (!name || name.includes('\0')) throw new Error(`bad property name ${JSON.stringify(name)}`);
    if (this.propList.some((p) => p.name === name)) {
      throw new Error(`${this.label()}: property ${name} set twice`);
    }
    this.propList.push({ name, value });
    return this;
  }

  /** Add a child node and return it. */
  child(name: string): FdtNode {
    if (!name || name.includes('\0') || name.includes('/')) {
      throw new Error(`bad node name ${JSON.stringify(name)}`);
    }
    if (this.childList.some((c) => c.name === name)) {
      throw new Error(`${this.label()}: node ${name} added twice`);
    }
    const node = new FdtNode(name);
    this.childList.push(node);
    return node;
  }

  private label(): string {
    return this.name || '/';
  }
}

/** Hands out phandles 1, 2, 3, ... (0 and 0xffffffff are reserved by the spec). */
export class Phandles {
  private last = 0;

  next(): number {
    return ++this.last;
  }
}

/** The two cells (high, low) of a 64-bit address or size, as `reg` with #*-cells = 2 wants. */
export function u64Cells(value: number): [number, number] {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`bad u64 ${value}`);
  return [Math.floor(value / 2 ** 32), value % 2 ** 32];
}

export const FDT_MAGIC = 0xd00dfeed;
export const FDT_VERSION = 17;
export const FDT_LAST_COMP_VERSION = 16;
export const FDT_BEGIN_NODE = 1;
export const FDT_END_NODE = 2;
export const FDT_PROP = 3;
export const FDT_END = 9;
/** Header v17: ten u32 fields. */
export const FDT_HEADER_SIZE = 40;

export interface DtbOptions {
  /** boot_cpuid_phys: the hart that boots (the `reg` of its cpu node). */
  bootCpuId: number;
}

export function toDtb(root: FdtNode, opts: DtbOptions): Uint8Array {
  if (root.name !== '') throw new Error(`the root node has no name, got ${root.name}`);
  const struct = new ByteWriter();
  const strings = new StringTable();
  writeNode(root, struct, strings);
  struct.u32(FDT_END);
  const stringBytes = strings.bytes;

  // Header, then the reservation block (8-aligned: 40 is), structure, strings.
  const offRsvmap = FDT_HEADER_SIZE;
  const rsvmapSize = 16; // only the terminating {address 0, size 0} entry
  const offStruct = offRsvmap + rsvmapSize;
  const offStrings = offStruct + struct.length;
  const total = offStrings + stringBytes.length;

  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  const header = [
    FDT_MAGIC,
    total,
    offStruct,
    offStrings,
    offRsvmap,
    FDT_VERSION,
    FDT_LAST_COMP_VERSION,
    checkU32(opts.bootCpuId, 'bootCpuId'),
    stringBytes.length,
    struct.length,
  ];
  header.forEach((v, i) => dv.setUint32(i * 4, v));
  out.set(struct.bytes(), offStruct);
  out.set(stringBytes, offStrings);
  return out;
}

function writeNode(node: FdtNode, out: ByteWriter, strings: StringTable): void {
  out.u32(FDT_BEGIN_NODE);
  out.raw(utf8(node.name + '\0'));
  out.align4();
  for (const p of node.props) {
    const data = encodeValue(p);
    out.u32(FDT_PROP);
    out.u32(data.length);
    out.u32(strings.offset(p.name));
    out.raw(data);
    out.align4();
  }
  for (const c of node.children) writeNode(c, out, strings);
  out.u32(FDT_END_NODE);
}

function encodeValue({ name, value }: FdtProp): Uint8Array {
  if (value === null) return new Uint8Array(0);
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return utf8(checkString(value, name) + '\0');
  if (typeof value === 'number') value = [value];
  if (value.length === 0) return new Uint8Array(0);
  if (typeof value[0] === 'string') {
    return utf8((value as string[]).map((s) => checkString(s, name) + '\0').join(''));
  }
  const cells = value as number[];
  const data = new Uint8Array(cells.length * 4);
  const dv = new DataView(data.buffer);
  cells.forEach((c, i) => dv.setUint32(i * 4, checkU32(c, name)));
  return data;
}

function checkU32(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new RangeError(`${what}: ${v} is not a u32 cell`);
  }
  return v;
}

function checkString(s: string, what: string): string {
  if (s.includes('\0')) throw new Error(`${what}: string contains NUL`);
  return s;
}

const encoder = new TextEncoder();

function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Property names, each stored once however many nodes use it. */
class StringTable {
  private readonly offsets = new Map<string, number>();
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  offset(name: string): number {
    let off = this.offsets.get(name);
    if (off === undefined) {
      off = this.size;
      const b = utf8(name + '\0');
      this.chunks.push(b);
      this.size += b.length;
      this.offsets.set(name, off);
    }
    return off;
  }

  get bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

/** A growable big-endian byte buffer for the structure block. */
class ByteWriter {
  private buf = new Uint8Array(1024);
  length = 0;

  u32(v: number): void {
    this.reserve(4);
    new DataView(this.buf.buffer).setUint32(this.length, v);
    this.length += 4;
  }

  raw(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** Zero-pad to the next 4-byte boundary, as every token must start aligned. */
  align4(): void {
    const pad = -this.length & 3;
    this.reserve(pad);
    this.length += pad; // the buffer is zero-filled and never reused
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    bigger.set(this.buf.subarray(0, this.length));
    this.buf = bigger;
  }
}
