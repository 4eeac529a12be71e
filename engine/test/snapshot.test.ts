import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VirtMachine } from '../src/machine/virt.ts';
import type { DeviceKind } from '../src/machine/virt-devices.ts';
import { decodeSnapshot, encodeSnapshot } from '../src/snapshot/format.ts';
import { isSnapObject, SnapshotError } from '../src/snapshot/persist.ts';
import { ASSETS } from './tools.ts';
import { profile } from './virt-run.ts';

/**
 * Snapshots: a VM saved between rounds, written to bytes and restored into a VM built
 * afresh continues exactly as the original would (deterministic clock).
 */
interface Probe {
  vm: VirtMachine;
  out: number[];
}

function boot(image: string, harts: number, input = '', devices: DeviceKind[] = []): Probe {
  const out: number[] = [];
  const vm = new VirtMachine(
    { memBytes: 16 << 20, harts, bootargs: '', clock: 'deterministic', devices },
    profile('kvm'),
    (b) => out.push(b),
  );
  vm.loadImage(readFileSync(`${ASSETS}${image}`));
  vm.console.pushInput(new TextEncoder().encode(input));
  return { vm, out };
}

function rounds(p: Probe, n: number): void {
  for (let i = 0; i < n && p.vm.runRound().state === 'running'; i++);
}

function restored(bytes: Uint8Array): Probe {
  const tree = decodeSnapshot(bytes);
  if (!isSnapObject(tree)) throw new Error('not an object');
  const out: number[] = [];
  const vm = new VirtMachine(VirtMachine.configOf(tree), profile('kvm'), (b) => out.push(b));
  vm.restore(tree);
  return { vm, out };
}

/** What must match between a straight run and a restored one. */
function observe(p: Probe, before: number[] = []) {
  return {
    console: Buffer.from([...before, ...p.out]).toString('latin1'),
    outcome: p.vm.outcome,
    exits: p.vm.hv.stats.report(),
    harts: p.vm.harts.map((h) => ({ pc: h.pc, instret: h.instret, cycles: h.cycles })),
  };
}

describe('snapshot and restore', () => {
  for (const [image, harts] of [
    ['guests/hello.elf', 2],
    ['guests/timer.elf', 1],
  ] as const) {
    it(`${image} (${harts} harts) restored at several points runs on exactly as a straight run`, () => {
      const straight = boot(image, harts);
      rounds(straight, 100_000);
      expect(straight.vm.outcome).not.toBeNull();
      const expected = observe(straight);
      for (const at of [1, 2, 3, 5, 8]) {
        const first = boot(image, harts);
        rounds(first, at);
        const bytes = encodeSnapshot(first.vm.save());
        const second = restored(bytes);
        rounds(second, 100_000);
        expect(observe(second, first.out), `split after round ${at}`).toEqual(expected);
      }
    });
  }

  it('saves the devices with the VM: a restored VM has the same devices in the same state', () => {
    const p = boot('guests/hello.elf', 1, '', ['console']);
    rounds(p, 2);
    const tree = p.vm.save();
    const q = restored(encodeSnapshot(tree));
    expect(q.vm.devices.kinds).toEqual(['console']);
    expect(q.vm.devices.metrics()).toEqual(p.vm.devices.metrics());
    expect(q.vm.save()).toEqual(tree);
  });

  it('keeps typed input the guest has not read yet', () => {
    const p = boot('guests/hello.elf', 1, 'abc');
    const q = restored(encodeSnapshot(p.vm.save()));
    expect(q.vm.console.available()).toBe(3);
    expect([q.vm.console.read(), q.vm.console.read()]).toEqual([0x61, 0x62]);
  });

  it('saves only the RAM pages that hold data', () => {
    const p = boot('guests/hello.elf', 1);
    const bytes = encodeSnapshot(p.vm.save());
    expect(bytes.length).toBeLessThan(256 * 1024); // of 16 MiB
  });

  it('refuses a corrupt, truncated, foreign or future file with one clear line', () => {
    const good = encodeSnapshot(boot('guests/hello.elf', 1).vm.save());
    const flipped = good.slice();
    flipped[flipped.length >> 1] ^= 1;
    const future = good.slice();
    future[8] = 99;
    const cases: [Uint8Array, RegExp][] = [
      [flipped, /corrupt or truncated/],
      [good.subarray(0, good.length - 100), /corrupt or truncated/],
      [new TextEncoder().encode('\x7fELF not a snapshot at all'), /not an hvlab snapshot/],
      [future, /format version 99/],
    ];
    for (const [bytes, message] of cases) {
      expect(() => decodeSnapshot(bytes)).toThrow(SnapshotError);
      expect(() => decodeSnapshot(bytes)).toThrow(message);
    }
  });

  it('refuses to restore into a VM of another shape', () => {
    const tree = boot('guests/hello.elf', 2).vm.save();
    const vm = new VirtMachine(
      { memBytes: 16 << 20, harts: 1, bootargs: '', clock: 'deterministic' },
      profile('kvm'),
      () => {},
    );
    expect(() => vm.restore(tree)).toThrow(/snapshot has 2 harts, this VM 1/);
  });

  it('round-trips every value type through the file format', () => {
    const tree = {
      n: 1.5,
      inf: Infinity,
      s: 'x',
      b: true,
      z: null,
      u8: Uint8Array.of(1, 2, 3),
      i32: Int32Array.of(-1, 7),
      f64: Float64Array.of(Infinity, 0.25),
      list: [Uint8Array.of(9), { deep: Int32Array.of(5) }],
    };
    expect(decodeSnapshot(encodeSnapshot(tree))).toEqual(tree);
  });
});
