import { parseMac } from '../src/net/switch.ts';

/** A test Ethernet frame: dst, src, type 0x88b5, then `n` payload bytes derived from `tag`. */
export function frame(dst: string, src: string, n = 50, tag = 0): Uint8Array {
  const f = new Uint8Array(14 + n);
  f.set(parseMac(dst), 0);
  f.set(parseMac(src), 6);
  f[12] = 0x88;
  f[13] = 0xb5;
  for (let i = 0; i < n; i++) f[14 + i] = (tag * 7 + i) & 0xff;
  return f;
}
