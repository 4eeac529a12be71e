import { describe, expect, it } from 'vitest';
import { ACCESS_LOAD } from '../src/cpu/sv32.ts';
import { CAUSE_ILLEGAL, CAUSE_LOAD_PAGE, PRIV_S } from '../src/cpu/csr-numbers.ts';
import { VirtMachine } from '../src/machine/virt.ts';
import { PAGE_SIZE } from '../src/memory/frame-pool.ts';
import { NO_FRAME } from '../src/memory/guest-ram.ts';
import { code, elf } from './elf-builder.ts';
import { profile } from './virt-run.ts';

/**
 * Memory ballooning on a real hart under the hypervisor (DESIGN §4): a guest-physical
 * page whose frame went back to the pool reads as zeros, keeps what is written to it, and
 * costs exactly one gstage_fault exit the first time it is touched, whether by a load, a
 * store, an instruction fetch or a page-table walk. Host-side accesses (SBI DBCN) back
 * such pages without an exit.
 */

const ENTRY = 0x8040_0000;
const HANDLER = 0x8040_0200;
const RESULTS = 0x8041_0000;
/** Pages the test takes away from the VM before it runs. */
const PAGE_A = 0x8080_0000; // loaded, then stored, then loaded
const PAGE_B = 0x8080_1000; // stored to first (a byte)
const PAGE_C = 0x8080_2000; // code written, then called
const PAGE_D = 0x8080_3000; // jumped to without a write: zeros are an illegal instruction
const PAGE_E = 0x8080_4000; // console input lands here through SBI DBCN
const MEM = 16 << 20;

/* A few RV32I encoders: enough for the test guest. */
const R = { ra: 1, t0: 5, t1: 6, t2: 7, s0: 8, s1: 9, a0: 10, a1: 11, a2: 12, a6: 16, a7: 17 };
const S2 = 18;
const S3 = 19;
const S4 = 20;
const S5 = 21;
const T3 = 28;
const T4 = 29;
const T5 = 30;
const iType = (op: number, f3: number, rd: number, rs1: number, imm: number) =>
  (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
const sType = (f3: number, rs1: number, rs2: number, imm: number) =>
  ((((imm >> 5) & 0x7f) << 25) |
    (rs2 << 20) |
    (rs1 << 15) |
    (f3 << 12) |
    ((imm & 31) << 7) |
    0x23) >>>
  0;
const addi = (rd: number, rs1: number, imm: number) => iType(0x13, 0, rd, rs1, imm);
const lw = (rd: number, rs1: number, imm: number) => iType(0x03, 2, rd, rs1, imm);
const lbu = (rd: number, rs1: number, imm: number) => iType(0x03, 4, rd, rs1, imm);
const sw = (rs2: number, rs1: number, imm: number) => sType(2, rs1, rs2, imm);
const sb = (rs2: number, rs1: number, imm: number) => sType(0, rs1, rs2, imm);
const jalr = (rd: number, rs1: number, imm: number) => iType(0x67, 0, rd, rs1, imm);
const csrrw = (rd: number, csr: number, rs1: number) => iType(0x73, 1, rd, rs1, csr);
const csrrs = (rd: number, csr: number, rs1: number) => iType(0x73, 2, rd, rs1, csr);
const ECALL = 0x73;
function li(rd: number, v: number): number[] {
  const lo = (v << 20) >> 20;
  const hi = ((v - lo) >>> 12) & 0xfffff;
  return [((hi << 12) | (rd << 7) | 0x37) >>> 0, addi(rd, rd, lo)];
}
const STVEC = 0x105;
const SCAUSE = 0x142;
const SRST = [...li(R.a7, 0x53525354), ...li(R.a6, 0), ...li(R.a0, 0), ...li(R.a1, 0), ECALL];

/**
 * The guest, in S-mode without paging. It records what it saw at RESULTS:
 * [0] a load from A, [1] A after a store, [2] B after a byte store, [3] 1 once the code it
 * wrote to C returned, [4] DBCN read's byte count, [5] the byte it read into E,
 * [6] scause after jumping into D. Then it powers off.
 */
function guest(): Uint8Array {
  const main = [
    ...li(R.t0, HANDLER),
    csrrw(0, STVEC, R.t0),
    ...li(R.s0, PAGE_A),
    ...li(R.s1, PAGE_B),
    ...li(S2, PAGE_C),
    ...li(S3, PAGE_D),
    ...li(S4, RESULTS),
    ...li(S5, PAGE_E),
    lw(R.t1, R.s0, 0), // A: a load finds zeros
    sw(R.t1, S4, 0),
    ...li(R.t2, 0x12345678),
    sw(R.t2, R.s0, 4), // A: the store sticks
    lw(T3, R.s0, 4),
    sw(T3, S4, 4),
    lw(T3, R.s0, 8), // A again: no second fault
    sb(R.t2, R.s1, 0), // B: a byte store first
    lbu(T4, R.s1, 0),
    sw(T4, S4, 8),
    ...li(T5, 0x00008067), // ret
    sw(T5, S2, 0), // C: code written to a page that had no frame ...
    jalr(R.ra, S2, 0), // ... and run
    ...li(R.t1, 1),
    sw(R.t1, S4, 12),
    ...li(R.a7, 0x4442434e), // DBCN read of one byte into E (host side: no exit)
    ...li(R.a6, 1),
    ...li(R.a0, 1),
    addi(R.a1, S5, 0),
    ...li(R.a2, 0),
    ECALL,
    sw(R.a1, S4, 16),
    lbu(R.t1, S5, 0),
    sw(R.t1, S4, 20),
    jalr(0, S3, 0), // D: run zeros
  ];
  const handler = [csrrs(R.t0, SCAUSE, 0), sw(R.t0, S4, 24), ...SRST];
  return elf([
    { paddr: ENTRY, data: code(...main) },
    { paddr: HANDLER, data: code(...handler) },
  ]);
}

function machine(traceExits = 0): VirtMachine {
  return new VirtMachine(
    { memBytes: MEM, harts: 1, bootargs: '', clock: 'deterministic', traceExits },
    profile('kvm'),
    () => {},
  );
}

const word = (vm: VirtMachine, pa: number) => {
  const b = vm.ram.read(pa, 4)!;
  return new DataView(b.buffer).getUint32(0, true);
};

describe('ballooned pages on a real hart', () => {
  it('read as zeros, keep writes, and cost one gstage_fault exit per page', () => {
    const vm = machine(64);
    vm.loadImage(guest());
    const pages = [PAGE_A, PAGE_B, PAGE_C, PAGE_D, PAGE_E];
    const gfns = pages.map((pa) => vm.ram.gfnOf(pa));
    // Something stale in them, which the guest must never see.
    for (const pa of pages) vm.ram.write(pa, new Uint8Array(PAGE_SIZE).fill(0xee));
    expect(vm.ram.unmapAll(gfns)).toBe(5);
    expect(vm.ram.pool.free).toBe(5);
    for (const g of gfns) expect(vm.ram.p2m[g]).toBe(NO_FRAME);
    vm.console.pushInput(new TextEncoder().encode('x'));
    for (let round = 0; vm.runRound().state === 'running'; round++) {
      if (round > 1000) throw new Error('the guest did not finish');
    }
    expect(vm.outcome).toEqual({ kind: 'shutdown', exitCode: 0 });
    const results = Array.from({ length: 7 }, (_, i) => word(vm, RESULTS + 4 * i));
    expect(results).toEqual([0, 0x12345678, 0x78, 1, 1, 'x'.charCodeAt(0), CAUSE_ILLEGAL]);
    expect(word(vm, PAGE_A + 4)).toBe(0x12345678);
    expect(vm.ram.read(PAGE_D, PAGE_SIZE)).toEqual(new Uint8Array(PAGE_SIZE));
    const r = vm.hv.stats.report();
    // A, B, C and D: one exit each. E was backed by the hypervisor's DBCN code: no exit.
    expect(r.byReason.gstage_fault).toBe(4);
    expect(r.cyclesByReason.gstage_fault).toBe(4 * 2000);
    const faults = vm.hv.stats.recent().filter((e) => e.reason === 'gstage_fault');
    expect(faults.map((e) => e.detail)).toEqual(
      [PAGE_A, PAGE_B, PAGE_C, PAGE_D].map((pa) => `gpa 0x${pa.toString(16)}`),
    );
    expect(vm.ram.zeroFilled).toBe(5);
    expect(vm.ram.pool.free).toBe(0);
    for (const g of gfns) expect(vm.ram.p2m[g]).not.toBe(NO_FRAME);
  });

  it('a page-table page without a frame is backed on the walk (then walks as zeros)', () => {
    const vm = machine();
    vm.loadImage(guest());
    const root = 0x8090_0000;
    expect(vm.ram.unmap(vm.ram.gfnOf(root))).toBe(true);
    const h = vm.harts[0];
    h.priv = PRIV_S;
    h.satp = 0x8000_0000 | (root >>> 12) | 0;
    // The root page comes back zeroed: an invalid PTE, so a page fault, not an access fault.
    expect(h.tryTranslate(0x1000, ACCESS_LOAD)).toBe(-1);
    expect(h.faultCause).toBe(CAUSE_LOAD_PAGE);
    expect(vm.hv.stats.report().byReason.gstage_fault).toBe(1);
    expect(vm.ram.p2m[vm.ram.gfnOf(root)]).not.toBe(NO_FRAME);
  });

  it('unmapping flushes the TLBs: a page mapped before is faulted in again, zeroed', () => {
    const vm = machine();
    vm.loadImage(guest());
    // Let the guest run its loads and stores once (A becomes backed and cached in the TLB).
    for (let round = 0; vm.runRound().state === 'running'; round++) {
      if (round > 1000) throw new Error('the guest did not finish');
    }
    expect(word(vm, PAGE_A + 4)).toBe(0x12345678);
    const h = vm.harts[0];
    const before = vm.hv.stats.report().byReason.gstage_fault;
    expect(vm.ram.unmap(vm.ram.gfnOf(PAGE_A))).toBe(true);
    expect(vm.ram.hostOffset(PAGE_A)).toBe(-1);
    for (const region of [0, 2048, 4096]) {
      // No TLB entry may still point at the released frame.
      const e = h.tlb.e;
      for (let i = region; i < region + 2048; i += 2) {
        if (e[i] !== -1 && (e[i] & ~0xfff) >>> 0 === PAGE_A) throw new Error('stale TLB entry');
      }
    }
    // Run the hart again on A: lw a0, 4(s0); j .
    const at = RESULTS + 0x100;
    vm.ram.write(at, new Uint8Array(code(lw(R.a0, R.s0, 4), 0x6f)));
    vm.hv.boot(h, at, 0);
    h.x[R.s0] = PAGE_A;
    h.x[R.a0] = -1;
    h.run(4);
    expect(h.x[R.a0]).toBe(0);
    expect(vm.hv.stats.report().byReason.gstage_fault).toBe(before + 1);
  });
});
