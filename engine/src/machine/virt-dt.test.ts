import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildVirtDtb, type VirtDtConfig } from './virt-dt.ts';
import { needTool } from '../../test/tools.ts';

const CFG: VirtDtConfig = {
  harts: 2,
  ramBase: 0x8000_0000,
  ramSize: 128 << 20,
  isa: 'rv32imac_zicsr_zifencei_zihintpause_sstc',
  isaExtensions: ['i', 'm', 'a', 'c', 'zicsr', 'zifencei', 'zihintpause', 'sstc'],
  timebaseHz: 10_000_000,
  bootargs: 'console=uart',
  virtioSlots: 8,
};

const dir = mkdtempSync(join(tmpdir(), 'hvlab-virt-dt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** dtc's text form of a blob file; `strict` fails on any dtc warning. */
function dtc(file: string, strict: boolean): string {
  const r = spawnSync('dtc', ['-I', 'dtb', '-O', 'dts', file], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  if (strict) expect(r.stderr).toBe('');
  return r.stdout;
}

function dts(dtb: Uint8Array, name: string): string {
  const file = join(dir, name);
  writeFileSync(file, dtb);
  return dtc(file, true);
}

/** The body of node `path` in dtc output ("/soc/serial@10000000"), up to its closing brace. */
function node(text: string, path: string): string {
  let at = 0;
  let depth = 0;
  for (const name of path.split('/').slice(1)) {
    depth++;
    const open = '\n' + '\t'.repeat(depth) + name + ' {\n';
    const i = text.indexOf(open, at);
    if (i < 0) throw new Error(`no node ${path}`);
    at = i + open.length;
  }
  return text.slice(at, text.indexOf('\n' + '\t'.repeat(depth) + '};', at));
}

/** Node path -> property -> dtc's rendering of the value ("" for an empty property). */
type Tree = Map<string, Map<string, string>>;

function parseDts(text: string): Tree {
  const tree: Tree = new Map();
  const stack: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '/ {') stack.push('');
    else if (line.endsWith(' {')) stack.push(`${stack.at(-1)}/${line.slice(0, -2)}`);
    else if (line === '};') stack.pop();
    else if (line.endsWith(';') && stack.length) {
      const path = stack.at(-1) || '/';
      if (!tree.has(path)) tree.set(path, new Map());
      const eq = line.indexOf(' = ');
      if (eq < 0) tree.get(path)!.set(line.slice(0, -1), '');
      else tree.get(path)!.set(line.slice(0, eq), line.slice(eq + 3, -1));
      continue;
    }
    const path = stack.at(-1) || '/';
    if (stack.length && !tree.has(path)) tree.set(path, new Map());
  }
  return tree;
}

const cells = (v: string): number[] => v.slice(1, -1).split(' ').map(Number);

/** Replace phandle numbers by the path of the node they name, so two trees compare. */
function resolvePhandles(tree: Tree): Tree {
  const byPhandle = new Map<number, string>();
  for (const [path, props] of tree) {
    const p = props.get('phandle');
    if (p) byPhandle.set(cells(p)[0], path);
  }
  const out: Tree = new Map();
  for (const [path, props] of tree) {
    const np = new Map<string, string>();
    for (const [name, v] of props) {
      if (name === 'phandle') continue;
      if (['interrupt-parent', 'regmap', 'cpu'].includes(name)) {
        np.set(name, `&${byPhandle.get(cells(v)[0])}`);
      } else if (name === 'interrupts-extended') {
        const c = cells(v);
        np.set(name, c.map((x, i) => (i % 2 ? x : `&${byPhandle.get(x)}`)).join(' '));
      } else np.set(name, v);
    }
    out.set(path, np);
  }
  return out;
}

describe('virt device tree', () => {
  it('rejects configurations the board cannot have', () => {
    expect(() => buildVirtDtb({ ...CFG, harts: 0 })).toThrow(RangeError);
    expect(() => buildVirtDtb({ ...CFG, harts: 9 })).toThrow(RangeError);
    expect(() => buildVirtDtb({ ...CFG, virtioSlots: 9 })).toThrow(RangeError);
    expect(() => buildVirtDtb({ ...CFG, ramSize: 0 })).toThrow(RangeError);
    expect(() => buildVirtDtb({ ...CFG, isa: 'rv64imac' })).toThrow(/RV32/);
  });

  const haveDtc = needTool('dtc', 'decoding the virt device tree with dtc');

  describe.runIf(haveDtc)('as dtc reads it', () => {
    let text = '';
    beforeAll(() => {
      text = dts(buildVirtDtb(CFG), 'virt.dtb');
    });

    it('has the root, chosen and memory nodes', () => {
      expect(node(text, '')).toContain('\t#address-cells = <0x02>;\n\t#size-cells = <0x02>;');
      expect(text).toContain('\tcompatible = "riscv-virtio";\n\tmodel = "riscv-virtio,qemu";');
      const chosen = node(text, '/chosen');
      expect(chosen).toContain('bootargs = "console=uart";');
      expect(chosen).toContain('stdout-path = "/soc/serial@10000000";');
      const memory = node(text, '/memory@80000000');
      expect(memory).toContain('device_type = "memory";');
      expect(memory).toContain('reg = <0x00 0x80000000 0x00 0x8000000>;');
    });

    it('describes each hart and its interrupt controller', () => {
      const cpus = node(text, '/cpus');
      expect(cpus).toContain('timebase-frequency = <0x989680>;');
      expect(cpus).toContain('#address-cells = <0x01>;');
      expect(cpus).toContain('#size-cells = <0x00>;');
      expect(text).not.toContain('cpu@2');
      for (const h of [0, 1]) {
        const cpu = node(text, `/cpus/cpu@${h}`);
        expect(cpu).toContain('device_type = "cpu";');
        expect(cpu).toContain(`reg = <0x0${h}>;`);
        expect(cpu).toContain('status = "okay";');
        expect(cpu).toContain('compatible = "riscv";');
        expect(cpu).toContain(`riscv,isa = "${CFG.isa}";`);
        expect(cpu).toContain('riscv,isa-base = "rv32i";');
        expect(cpu).toContain(`riscv,isa-extensions = "${CFG.isaExtensions.join('\\0')}";`);
        expect(cpu).toContain('mmu-type = "riscv,sv32";');
        const intc = node(text, `/cpus/cpu@${h}/interrupt-controller`);
        expect(intc).toContain('compatible = "riscv,cpu-intc";');
        expect(intc).toContain('#interrupt-cells = <0x01>;');
        expect(intc).toContain('interrupt-controller;');
        expect(intc).toMatch(/phandle = <0x[0-9a-f]+>;/);
      }
      expect(node(text, '/cpus/cpu-map/cluster0/core1')).toMatch(/cpu = <0x[0-9a-f]+>;/);
    });

    it('routes M and S external interrupts of every hart through the PLIC', () => {
      const tree = resolvePhandles(parseDts(text));
      const plic = tree.get('/soc/plic@c000000')!;
      expect(plic.get('compatible')).toBe('"sifive,plic-1.0.0\\0riscv,plic0"');
      expect(plic.get('reg')).toBe('<0x00 0xc000000 0x00 0x600000>');
      expect(plic.get('interrupt-controller')).toBe('');
      expect(plic.get('#interrupt-cells')).toBe('<0x01>');
      expect(plic.get('#address-cells')).toBe('<0x00>');
      expect(plic.get('riscv,ndev')).toBe('<0x5f>');
      const h0 = '&/cpus/cpu@0/interrupt-controller';
      const h1 = '&/cpus/cpu@1/interrupt-controller';
      // contexts 0..3: hart 0 M (11), hart 0 S (9), hart 1 M, hart 1 S
      expect(plic.get('interrupts-extended')).toBe(`${h0} 11 ${h0} 9 ${h1} 11 ${h1} 9`);
    });

    it('has the UART, every virtio slot and the test device on the PLIC', () => {
      const tree = resolvePhandles(parseDts(text));
      const serial = tree.get('/soc/serial@10000000')!;
      expect(serial.get('compatible')).toBe('"ns16550a"');
      expect(serial.get('reg')).toBe('<0x00 0x10000000 0x00 0x100>');
      expect(serial.get('interrupts')).toBe('<0x0a>');
      expect(serial.get('interrupt-parent')).toBe('&/soc/plic@c000000');
      expect(node(text, '/soc/serial@10000000')).toContain('clock-frequency = "\\08@";'); // 3686400
      for (let i = 0; i < 8; i++) {
        const base = (0x1000_1000 + i * 0x1000).toString(16);
        const v = tree.get(`/soc/virtio_mmio@${base}`)!;
        expect(v.get('compatible')).toBe('"virtio,mmio"');
        expect(v.get('reg')).toBe(`<0x00 0x${base} 0x00 0x1000>`);
        expect(v.get('interrupts')).toBe(`<0x0${i + 1}>`);
        expect(v.get('interrupt-parent')).toBe('&/soc/plic@c000000');
      }
      expect([...tree.keys()].filter((p) => p.includes('virtio_mmio'))).toHaveLength(8);
      const test = tree.get('/soc/test@100000')!;
      expect(test.get('compatible')).toBe('"sifive,test1\\0sifive,test0\\0syscon"');
      expect(test.get('reg')).toBe('<0x00 0x100000 0x00 0x1000>');
      expect(tree.get('/soc')).toEqual(
        new Map([
          ['#address-cells', '<0x02>'],
          ['#size-cells', '<0x02>'],
          ['compatible', '"simple-bus"'],
          ['ranges', ''],
        ]),
      );
      expect(tree.get('/poweroff')).toEqual(
        new Map([
          ['value', '<0x5555>'],
          ['offset', '<0x00>'],
          ['regmap', '&/soc/test@100000'],
          ['compatible', '"syscon-poweroff"'],
        ]),
      );
      expect(tree.get('/reboot')!.get('value')).toBe('<0x7777>');
      expect(tree.get('/reboot')!.get('regmap')).toBe('&/soc/test@100000');
      expect(tree.get('/reboot')!.get('compatible')).toBe('"syscon-reboot"');
      expect([...tree.keys()].some((p) => p.includes('clint'))).toBe(false);
    });

    it('scales with harts and slots', () => {
      const tree = resolvePhandles(
        parseDts(dts(buildVirtDtb({ ...CFG, harts: 8, virtioSlots: 0 }), 'virt8.dtb')),
      );
      expect(tree.has('/cpus/cpu@7')).toBe(true);
      expect(tree.has('/cpus/cpu-map/cluster0/core7')).toBe(true);
      const ext = tree.get('/soc/plic@c000000')!.get('interrupts-extended')!.split(' ');
      expect(ext).toHaveLength(8 * 4);
      expect(ext.slice(-4)).toEqual([
        '&/cpus/cpu@7/interrupt-controller',
        '11',
        '&/cpus/cpu@7/interrupt-controller',
        '9',
      ]);
      expect([...tree.keys()].some((p) => p.includes('virtio_mmio'))).toBe(false);
    });
  });

  const haveQemu = needTool('qemu-system-riscv32', "comparing with QEMU's virt device tree");

  it.runIf(haveDtc && haveQemu)("matches QEMU's own riscv32 virt tree", () => {
    const qemuFile = join(dir, 'qemu.dtb');
    const q = spawnSync(
      'qemu-system-riscv32',
      ['-machine', `virt,dumpdtb=${qemuFile}`, '-smp', '2', '-m', '128M', '-bios', 'none'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 },
    );
    expect(q.status).toBe(0);
    // QEMU's own tree draws dtc warnings (its cpu-intc nodes lack #address-cells).
    const theirs = resolvePhandles(parseDts(dtc(qemuFile, false)));
    const ours = resolvePhandles(parseDts(dts(buildVirtDtb(CFG), 'ours.dtb')));

    // Devices QEMU's board has and hvlab's does not.
    const absent = [
      '/pmu',
      '/fw-cfg@10100000',
      '/flash@20000000',
      '/platform-bus@4000000',
      '/soc/rtc@101000',
      '/soc/pci@30000000',
      '/soc/clint@2000000', // M-mode is the hypervisor's: guests use SBI for timers and IPIs
    ];
    expect([...ours.keys()].filter((p) => !theirs.has(p))).toEqual([]);
    const missing = [...theirs.keys()].filter((p) => !ours.has(p));
    expect(missing.filter((p) => !absent.includes(p))).toEqual([]);

    // Properties that legitimately differ: the ISA is hvlab's, bootargs come from the run
    // (QEMU only adds them with -append), QEMU seeds an RNG, and QEMU 7.2 said ndev 0x60,
    // one more than its 95 sources (later QEMUs say 0x5f).
    const mayDiffer = new Set(['riscv,isa', 'riscv,isa-base', 'riscv,isa-extensions']);
    const oursOnly = new Set([...mayDiffer, 'bootargs']);
    const theirsOnly = new Set(['rng-seed', 'riscv,cbom-block-size', 'riscv,cboz-block-size']);
    for (const [path, props] of ours) {
      const other = theirs.get(path)!;
      for (const [name, v] of props) {
        if (!other.has(name)) {
          const intcCells = name === '#address-cells' && path.endsWith('/interrupt-controller');
          expect(oursOnly.has(name) || intcCells, `${path} ${name} is not in QEMU's`).toBe(true);
        } else if (
          !mayDiffer.has(name) &&
          !(name === 'riscv,ndev' && other.get(name) === '<0x60>')
        ) {
          expect(v, `${path} ${name}`).toBe(other.get(name));
        }
      }
      for (const name of other.keys()) {
        if (!props.has(name)) expect(theirsOnly.has(name), `${path} lacks ${name}`).toBe(true);
      }
    }
  });
});
