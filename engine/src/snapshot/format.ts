/**
 * The snapshot file: a tree of SnapValues (persist.ts) as bytes.
 *
 *   "HVLABSNP"  magic (8 bytes)
 *   u32         format version
 *   u32         length of the JSON header
 *   JSON        the tree, each typed array replaced by {"$a": kind, "o": offset, "n": length}
 *               and each non-finite number by {"$n": "Infinity" | "-Infinity" | "NaN"}
 *   blobs       the typed arrays' bytes, each 8-byte aligned, offsets relative to here
 *   u32         CRC-32 of everything before it
 *
 * All integers little-endian. A file that is not a snapshot, of another format version,
 * truncated or corrupt gets a SnapshotError saying which.
 */
import { crc32 } from './crc32.ts';
import { SnapshotError, type SnapValue } from './persist.ts';

const MAGIC = 'HVLABSNP';
export const SNAPSHOT_VERSION = 1;

type ArrayKind = 'u8' | 'i32' | 'f64';
type TypedSnap = Uint8Array | Int32Array | Float64Array;

export function encodeSnapshot(tree: SnapValue): Uint8Array {
  const blobs: TypedSnap[] = [];
  let offset = 0;
  const json = JSON.stringify(tree, function (this: unknown, key: string, value: unknown) {
    // JSON.stringify has already turned typed arrays into objects by now; look at the
    // original value on the holder instead.
    const orig = (this as Record<string, unknown>)[key];
    if (orig instanceof Uint8Array || orig instanceof Int32Array || orig instanceof Float64Array) {
      const ref = { $a: kindOf(orig), o: offset, n: orig.length };
      blobs.push(orig);
      offset += align8(orig.byteLength);
      return ref;
    }
    if (typeof value === 'number' && !Number.isFinite(value)) return { $n: String(value) };
    return value;
  });
  const header = new TextEncoder().encode(json);
  const start = align8(16 + header.length);
  const out = new Uint8Array(start + offset + 4);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MAGIC), 0);
  view.setUint32(8, SNAPSHOT_VERSION, true);
  view.setUint32(12, header.length, true);
  out.set(header, 16);
  let at = start;
  for (const b of blobs) {
    out.set(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), at);
    at += align8(b.byteLength);
  }
  view.setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
  return out;
}

export function decodeSnapshot(bytes: Uint8Array): SnapValue {
  if (bytes.length < 20 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC)
    throw new SnapshotError('not an hvlab snapshot (bad magic)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== SNAPSHOT_VERSION)
    throw new SnapshotError(
      `snapshot format version ${version}; this hvlab reads version ${SNAPSHOT_VERSION}`,
    );
  if (view.getUint32(bytes.length - 4, true) !== crc32(bytes.subarray(0, bytes.length - 4)))
    throw new SnapshotError('snapshot is corrupt or truncated (checksum mismatch)');
  const headerLen = view.getUint32(12, true);
  if (16 + headerLen > bytes.length - 4) throw new SnapshotError('snapshot header is truncated');
  const start = align8(16 + headerLen);
  const blobEnd = bytes.length - 4;
  let tree: unknown;
  try {
    tree = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + headerLen)));
  } catch {
    throw new SnapshotError('snapshot header is not valid JSON');
  }
  return revive(tree, bytes, start, blobEnd);
}

function revive(v: unknown, bytes: Uint8Array, start: number, end: number): SnapValue {
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || v === null)
      return v;
    throw new SnapshotError('snapshot header holds an unexpected value');
  }
  if (Array.isArray(v)) return v.map((x) => revive(x, bytes, start, end));
  const o = v as Record<string, unknown>;
  if (typeof o.$n === 'string') return Number(o.$n);
  if (typeof o.$a === 'string') {
    const kind = o.$a as ArrayKind;
    const size = kind === 'u8' ? 1 : kind === 'i32' ? 4 : kind === 'f64' ? 8 : 0;
    const off = o.o;
    const n = o.n;
    if (size === 0 || !isCount(off) || !isCount(n) || start + off + n * size > end)
      throw new SnapshotError('snapshot blob reference is out of range');
    // Copy out: typed views need aligned offsets, and the state must not alias the file.
    const raw = bytes.slice(start + off, start + off + n * size);
    if (kind === 'u8') return raw;
    return kind === 'i32' ? new Int32Array(raw.buffer) : new Float64Array(raw.buffer);
  }
  const out: Record<string, SnapValue> = {};
  for (const [k, x] of Object.entries(o)) out[k] = revive(x, bytes, start, end);
  return out;
}

function kindOf(a: TypedSnap): ArrayKind {
  return a instanceof Uint8Array ? 'u8' : a instanceof Int32Array ? 'i32' : 'f64';
}

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0;
}

function align8(n: number): number {
  return (n + 7) & ~7;
}
