/**
 * What a snapshot is made of. Every stateful part of a VM (hart, RAM map, device, clock,
 * exit counters) saves itself as a plain tree of these values and restores itself from
 * one, so the snapshot file format (snapshot/format.ts) never needs to know any part.
 */
export type SnapValue =
  | number
  | string
  | boolean
  | null
  | Uint8Array
  | Int32Array
  | Float64Array
  | SnapValue[]
  | { [key: string]: SnapValue };

export type SnapObject = { [key: string]: SnapValue };

/** A part of the machine that can be saved and restored in place. */
export interface Persistent<S extends SnapValue = SnapObject> {
  save(): S;
  /** Restore from what save() returned (possibly of another process); throws SnapshotError. */
  restore(state: S): void;
}

/** A snapshot that cannot be restored: one line naming what is wrong. */
export class SnapshotError extends Error {
  override name = 'SnapshotError';
}

/* Typed reads of a restored tree: a missing or mistyped field is a SnapshotError. */

function field(s: SnapObject, key: string, what: string): SnapValue {
  if (!(key in s)) throw new SnapshotError(`snapshot lacks ${what} '${key}'`);
  return s[key];
}

export function snapNumber(s: SnapObject, key: string): number {
  const v = field(s, key, 'number');
  if (typeof v !== 'number') throw new SnapshotError(`snapshot field '${key}' is not a number`);
  return v;
}

export function snapBool(s: SnapObject, key: string): boolean {
  const v = field(s, key, 'flag');
  if (typeof v !== 'boolean') throw new SnapshotError(`snapshot field '${key}' is not a flag`);
  return v;
}

export function snapString(s: SnapObject, key: string): string {
  const v = field(s, key, 'string');
  if (typeof v !== 'string') throw new SnapshotError(`snapshot field '${key}' is not a string`);
  return v;
}

export function snapObject(s: SnapObject, key: string): SnapObject {
  const v = field(s, key, 'object');
  if (!isSnapObject(v)) throw new SnapshotError(`snapshot field '${key}' is not an object`);
  return v;
}

export function snapArray(s: SnapObject, key: string): SnapValue[] {
  const v = field(s, key, 'list');
  if (!Array.isArray(v)) throw new SnapshotError(`snapshot field '${key}' is not a list`);
  return v;
}

/** A typed array field of the expected kind and, when given, length. */
export function snapBytes(s: SnapObject, key: string, length?: number): Uint8Array {
  return checkLength(key, typed(s, key, Uint8Array), length);
}

export function snapInt32s(s: SnapObject, key: string, length?: number): Int32Array {
  return checkLength(key, typed(s, key, Int32Array), length);
}

export function snapFloat64s(s: SnapObject, key: string, length?: number): Float64Array {
  return checkLength(key, typed(s, key, Float64Array), length);
}

export function isSnapObject(v: SnapValue): v is SnapObject {
  return (
    v !== null &&
    typeof v === 'object' &&
    !Array.isArray(v) &&
    !(v instanceof Uint8Array) &&
    !(v instanceof Int32Array) &&
    !(v instanceof Float64Array)
  );
}

function typed<T>(s: SnapObject, key: string, type: new (n: number) => T): T {
  const v = field(s, key, 'array');
  if (!(v instanceof type)) throw new SnapshotError(`snapshot field '${key}' has the wrong type`);
  return v;
}

function checkLength<T extends { length: number }>(key: string, a: T, length?: number): T {
  if (length !== undefined && a.length !== length)
    throw new SnapshotError(`snapshot field '${key}' has ${a.length} entries, expected ${length}`);
  return a;
}

/** A copy of any typed array's bytes, for state kept in Uint16/Uint32 arrays. */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice();
}

/** Fill `target` from a field saved with bytesOf; its size must match exactly. */
export function restoreBytes(target: ArrayBufferView, s: SnapObject, key: string): void {
  const bytes = snapBytes(s, key, target.byteLength);
  new Uint8Array(target.buffer, target.byteOffset, target.byteLength).set(bytes);
}
