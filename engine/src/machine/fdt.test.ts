import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  FDT_BEGIN_NODE,
  FDT_END,
  FDT_END_NODE,
  FDT_HEADER_SIZE,
  FDT_MAGIC,
  FDT_PROP,
  FdtNode,
  Phandles,
  toDtb,
  u64Cells,
} from './fdt.ts';
import { needTool } from '../../test/tools.ts';

interface Decoded {
  name: string;
  props: [string, Uint8Array][];
  children: Decoded[];
}

/**
 * An independent reader of the blob, strict where the spec is: every token 4-aligned,
 * padding zero, blocks where the header says and nothing after FDT_END.
 */
function decode(dtb: Uint8Array): { root: Decoded; nameOffsets: Map<string, Set<number>> } {
  const dv = new DataView(dtb.buffer, dtb.byteOffset, dtb.byteLength);
  const offStruct = dv.getUint32(8);
  const offStrings = dv.getUint32(12);
  const sizeStrings = dv.getUint32(32);
  const sizeStruct = dv.getUint32(36);
  const end = offStruct + sizeStruct;
  const nameOffsets = new Map<string, Set<number>>();
  let at = offStruct;

  const cstring = (from: number, limit: number): string => {
    const nul = dtb.indexOf(0, from);
    expect(nul).toBeGreaterThanOrEqual(from);
    expect(nul).toBeLessThan(limit);
    return new TextDecoder().decode(dtb.subarray(from, nul));
  };
  const skipPadding = (): void => {
    while (at & 3) expect(dtb[at++]).toBe(0);
  };
  const token = (): number => {
    expect(at % 4).toBe(0);
    expect(at + 4).toBeLessThanOrEqual(end);
    const t = dv.getUint32(at);
    at += 4;
    return t;
  };
  const node = (): Decoded => {
    const name = cstring(at, end);
    at += name.length + 1;
    skipPadding();
    const n: Decoded = { name, props: [], children: [] };
    for (;;) {
      const t = token();
      if (t === FDT_END_NODE) return n;
      if (t === FDT_BEGIN_NODE) n.children.push(node());
      else if (t === FDT_PROP) {
        expect(n.children).toHaveLength(0); // properties come before subnodes
        const len = token();
        const nameoff = token();
        expect(nameoff).toBeLessThan(sizeStrings);
        const pname = cstring(offStrings + nameoff, offStrings + sizeStrings);
        if (!nameOffsets.has(pname)) nameOffsets.set(pname, new Set());
        nameOffsets.get(pname)!.add(nameoff);
        n.props.push([pname, dtb.slice(at, at + len)]);
        at += len;
        skipPadding();
      } else throw new Error(`unexpected token ${t} at ${at - 4}`);
    }
  };

  expect(token()).toBe(FDT_BEGIN_NODE);
  const root = node();
  expect(token()).toBe(FDT_END);
  expect(at).toBe(end);
  return { root, nameOffsets };
}

function sample(): FdtNode {
  const root = new FdtNode('');
  const ph = new Phandles();
  const intc = ph.next();
  root
    .prop('#address-cells', 2)
    .prop('#size-cells', 2)
    .prop('compatible', 'hvlab,sample')
    .prop('model', 'odd'); // 4 bytes with its NUL: needs no padding
  root
    .child('intc')
    .prop('compatible', ['vendor,a', 'vendor,b'])
    .prop('interrupt-controller', null)
    .prop('#interrupt-cells', 1)
    .prop('#address-cells', 0)
    .prop('phandle', intc);
  root
    .child('dev@10000000')
    .prop('compatible', 'vendor,dev')
    .prop('reg', [...u64Cells(0x1000_0000), ...u64Cells(0x100)])
    .prop('big', 0xffffffff)
    .prop('interrupt-parent', intc)
    .prop('raw', new Uint8Array([1, 2, 3]))
    .child('sub')
    .prop('x', []);
  return root;
}

describe('FDT writer', () => {
  const dtb = toDtb(sample(), { bootCpuId: 3 });
  const dv = new DataView(dtb.buffer, dtb.byteOffset, dtb.byteLength);

  it('writes a v17 big-endian header that describes the blob', () => {
    expect(dv.getUint32(0)).toBe(FDT_MAGIC);
    expect(dtb.slice(0, 4)).toEqual(new Uint8Array([0xd0, 0x0d, 0xfe, 0xed]));
    expect(dv.getUint32(4)).toBe(dtb.length); // totalsize
    expect(dv.getUint32(20)).toBe(17); // version
    expect(dv.getUint32(24)).toBe(16); // last_comp_version
    expect(dv.getUint32(28)).toBe(3); // boot_cpuid_phys
    const offStruct = dv.getUint32(8);
    const offStrings = dv.getUint32(12);
    const offRsvmap = dv.getUint32(16);
    expect(offRsvmap).toBeGreaterThanOrEqual(FDT_HEADER_SIZE);
    expect(offRsvmap % 8).toBe(0);
    expect(offStruct % 4).toBe(0);
    expect(offStruct).toBe(offRsvmap + 16);
    expect(offStrings).toBe(offStruct + dv.getUint32(36));
    expect(offStrings + dv.getUint32(32)).toBe(dtb.length);
  });

  it('ends the memory reservation block with the empty entry', () => {
    const off = dv.getUint32(16);
    expect(dv.getBigUint64(off)).toBe(0n);
    expect(dv.getBigUint64(off + 8)).toBe(0n);
  });

  it('encodes nodes, properties and values as written', () => {
    const { root } = decode(dtb);
    expect(root.name).toBe('');
    expect(root.children.map((c) => c.name)).toEqual(['intc', 'dev@10000000']);
    const props = Object.fromEntries(root.children[1].props.map(([n, v]) => [n, [...v]]));
    expect(props).toEqual({
      compatible: [...new TextEncoder().encode('vendor,dev\0')],
      reg: [0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0],
      big: [0xff, 0xff, 0xff, 0xff],
      'interrupt-parent': [0, 0, 0, 1],
      raw: [1, 2, 3],
    });
    const intc = Object.fromEntries(root.children[0].props.map(([n, v]) => [n, [...v]]));
    expect(intc.compatible).toEqual([...new TextEncoder().encode('vendor,a\0vendor,b\0')]);
    expect(intc['interrupt-controller']).toEqual([]);
    expect(root.children[1].children[0]).toEqual({
      name: 'sub',
      props: [['x', new Uint8Array(0)]],
      children: [],
    });
  });

  it('stores each property name once in the strings block', () => {
    const { nameOffsets } = decode(dtb);
    for (const offs of nameOffsets.values()) expect(offs.size).toBe(1);
    const names = [...nameOffsets.keys()];
    const expected = names.reduce((n, s) => n + s.length + 1, 0);
    expect(dv.getUint32(32)).toBe(expected); // nothing but the distinct names
    expect(names.filter((n) => n === 'compatible')).toHaveLength(1);
  });

  it('rejects values that are not u32 cells and malformed trees', () => {
    const bad = (v: number) => () => toDtb(new FdtNode('').prop('v', v), { bootCpuId: 0 });
    expect(bad(-1)).toThrow(RangeError);
    expect(bad(2 ** 32)).toThrow(RangeError);
    expect(bad(1.5)).toThrow(RangeError);
    expect(() => toDtb(new FdtNode(''), { bootCpuId: -1 })).toThrow(RangeError);
    expect(() => toDtb(new FdtNode('x'), { bootCpuId: 0 })).toThrow(/root/);
    expect(() => toDtb(new FdtNode('').prop('s', 'a\0b'), { bootCpuId: 0 })).toThrow(/NUL/);
    expect(() => new FdtNode('').prop('a', 1).prop('a', 2)).toThrow(/twice/);
    const n = new FdtNode('');
    n.child('c');
    expect(() => n.child('c')).toThrow(/twice/);
    expect(() => n.child('a/b')).toThrow(/bad node name/);
  });

  it('splits 64-bit values into two cells and hands out phandles from 1', () => {
    expect(u64Cells(0x1_2345_6789)).toEqual([1, 0x2345_6789]);
    expect(u64Cells(0x8000_0000)).toEqual([0, 0x8000_0000]);
    expect(() => u64Cells(-1)).toThrow(RangeError);
    const ph = new Phandles();
    expect([ph.next(), ph.next(), ph.next()]).toEqual([1, 2, 3]);
  });
});

describe('FDT writer against dtc', () => {
  const haveDtc = needTool('dtc', 'decoding generated device trees with dtc');
  const dir = mkdtempSync(join(tmpdir(), 'hvlab-fdt-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.runIf(haveDtc)('dtc reads the blob back as the tree that was built', () => {
    const file = join(dir, 'sample.dtb');
    writeFileSync(file, toDtb(sample(), { bootCpuId: 3 }));
    const r = spawnSync('dtc', ['-I', 'dtb', '-O', 'dts', file], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      [
        '/dts-v1/;',
        '',
        '/ {',
        '\t#address-cells = <0x02>;',
        '\t#size-cells = <0x02>;',
        '\tcompatible = "hvlab,sample";',
        '\tmodel = "odd";',
        '',
        '\tintc {',
        '\t\tcompatible = "vendor,a\\0vendor,b";',
        '\t\tinterrupt-controller;',
        '\t\t#interrupt-cells = <0x01>;',
        '\t\t#address-cells = <0x00>;',
        '\t\tphandle = <0x01>;',
        '\t};',
        '',
        '\tdev@10000000 {',
        '\t\tcompatible = "vendor,dev";',
        '\t\treg = <0x00 0x10000000 0x00 0x100>;',
        '\t\tbig = <0xffffffff>;',
        '\t\tinterrupt-parent = <0x01>;',
        '\t\traw = [01 02 03];',
        '',
        '\t\tsub {',
        '\t\t\tx;',
        '\t\t};',
        '\t};',
        '};',
        '',
      ].join('\n'),
    );
  });

  it.runIf(haveDtc)('dtc rewrites the blob to the same tree and boot cpu', () => {
    const ours = toDtb(sample(), { bootCpuId: 3 });
    const file = join(dir, 'boot.dtb');
    writeFileSync(file, ours);
    const r = spawnSync('dtc', ['-I', 'dtb', '-O', 'dtb', file]);
    expect(r.status).toBe(0);
    const theirs = new Uint8Array(r.stdout);
    expect(new DataView(theirs.buffer, theirs.byteOffset).getUint32(28)).toBe(3);
    expect(decode(theirs).root).toEqual(decode(ours).root);
  });
});
