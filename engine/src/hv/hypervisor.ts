/**
 * The hypervisor: M-mode belongs to it, so every trap the guest does not take itself
 * lands here as a VM exit. It answers SBI calls, emulates trapped CSRs and misaligned
 * accesses, reflects everything else into the guest's S-mode, keeps the SBI timer and
 * HSM state of each vCPU, and accounts for every exit (count, reason, cost).
 */
import type { Hart, MachineModeHandler } from '../cpu/hart.ts';
import * as C from '../cpu/csr-numbers.ts';
import { decode } from '../cpu/decode.ts';
import { ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE } from '../cpu/sv32.ts';
import type { VmConsole } from '../machine/console.ts';
import type { GuestRam } from '../memory/guest-ram.ts';
import { Exit, EXIT_REASONS, ExitStats } from './exits.ts';
import type { HostProfile } from './profile.ts';
import { snapFloat64s, snapInt32s, snapObject, type SnapObject } from '../snapshot/persist.ts';
import {
  SBI_ERR_ALREADY_AVAILABLE,
  SBI_SUCCESS,
  sbiCall,
  sbiCallName,
  type SbiServices,
} from './sbi.ts';

/** HSM states (SBI spec §9). */
export const HART_STARTED = 0;
export const HART_STOPPED = 1;

/** Exceptions the guest kernel handles itself, without an exit (as KVM delegates them). */
const GUEST_EXCEPTIONS =
  (1 << C.CAUSE_FETCH_MISALIGNED) |
  (1 << C.CAUSE_FETCH_ACCESS) |
  (1 << C.CAUSE_BREAKPOINT) |
  (1 << C.CAUSE_LOAD_ACCESS) |
  (1 << C.CAUSE_STORE_ACCESS) |
  (1 << C.CAUSE_ECALL_U) |
  (1 << C.CAUSE_FETCH_PAGE) |
  (1 << C.CAUSE_LOAD_PAGE) |
  (1 << C.CAUSE_STORE_PAGE);

const CSR_TIME = 0xc01;
const CSR_TIMEH = 0xc81;

/** What the hypervisor needs from the board it runs. */
export interface HvBoard {
  readonly harts: readonly Hart[];
  readonly ram: GuestRam;
  readonly console: VmConsole;
  /** The `time` CSR value as vCPU h sees it. */
  now(h: Hart): number;
  /** The guest asked to power off or reboot. */
  stop(kind: 'shutdown' | 'reboot', exitCode: number): void;
}

export class Hypervisor implements MachineModeHandler, SbiServices {
  readonly stats: ExitStats;
  readonly harts: readonly Hart[];
  private readonly board: HvBoard;
  private readonly profile: HostProfile;
  private readonly trapTime: boolean;
  private readonly hsm: Int32Array;
  /** The SBI timer of each vCPU (timebase ticks; Infinity when not armed). */
  private readonly timerCmp: Float64Array;

  constructor(board: HvBoard, profile: HostProfile, traceCapacity = 0) {
    this.board = board;
    this.harts = board.harts;
    this.profile = profile;
    this.trapTime = profile.trapCsrs.includes('time');
    this.hsm = new Int32Array(board.harts.length).fill(HART_STOPPED);
    this.timerCmp = new Float64Array(board.harts.length).fill(Infinity);
    const costs = new Float64Array(EXIT_REASONS.map((r) => profile.exitCycles[r]));
    this.stats = new ExitStats(board.harts.length, costs, traceCapacity, (h) => board.now(h));
    for (const h of board.harts) {
      h.mHandler = this;
      h.cpi = profile.cpi;
      h.medeleg = GUEST_EXCEPTIONS;
      h.mideleg = C.S_INTERRUPTS;
      // cycle and instret are always readable; time only when passed through.
      h.mcounteren = this.trapTime ? 0b101 : 0b111;
      h.menvcfgh = profile.sstc ? C.MENVCFGH_STCE : 0;
      h.mie = C.S_INTERRUPTS;
      h.halted = true;
    }
    // A page that loses its frame (balloon inflation, restore) must leave every TLB.
    board.ram.onUnmap = () => {
      for (const h of board.harts) h.flushTlb();
    };
  }

  /** Start vCPU h in S-mode at `entry` with a0 = hart id, a1 = `arg` (firmware's handoff). */
  boot(h: Hart, entry: number, arg: number): void {
    h.priv = C.PRIV_S;
    h.pc = entry | 0;
    h.x[10] = h.id;
    h.x[11] = arg;
    h.satp = 0;
    h.mstatus &= ~C.MSTATUS_SIE;
    h.flushTlb();
    h.halted = false;
    h.wfi = false;
    this.hsm[h.id] = HART_STARTED;
  }

  /** HSM states, SBI timers and the exit counters (the harts are saved by the board). */
  save(): SnapObject {
    return {
      hsm: Int32Array.from(this.hsm),
      timerCmp: Float64Array.from(this.timerCmp),
      stats: this.stats.save(),
    };
  }

  restore(s: SnapObject): void {
    this.hsm.set(snapInt32s(s, 'hsm', this.hsm.length));
    this.timerCmp.set(snapFloat64s(s, 'timerCmp', this.timerCmp.length));
    this.stats.restore(snapObject(s, 'stats'));
  }

  // --- exits -----------------------------------------------------------------------

  mTrap(h: Hart, cause: number, tval: number, pc: number): number {
    switch (cause) {
      case C.CAUSE_ECALL_S: {
        const [ext, fn] = sbiCallName(h.x[17], h.x[16]);
        this.stats.sbi(h, pc, ext, fn);
        sbiCall(this, h);
        return (pc + 4) | 0;
      }
      case C.CAUSE_ILLEGAL:
        if (this.isTrappedCsrRead(h, tval)) {
          this.stats.record(h, Exit.csr, pc, 'time');
          const now = this.board.now(h);
          const rd = (tval >>> 7) & 31;
          if (rd !== 0) h.x[rd] = (tval >>> 20 === CSR_TIME ? now % 2 ** 32 : now / 2 ** 32) | 0;
          return (pc + 4) | 0;
        }
        this.stats.record(h, Exit.illegal, pc);
        return h.trapToS(cause, tval, pc);
      case C.CAUSE_LOAD_MISALIGNED:
      case C.CAUSE_STORE_MISALIGNED:
        this.stats.record(h, Exit.misaligned, pc);
        return this.emulateMisaligned(h, cause, tval, pc);
      default:
        // Nothing else is left undelegated; should a guest find a way, it gets the trap.
        return h.trapToS(cause, tval, pc);
    }
  }

  /** An MMIO access by vCPU h: one exit, charged the device's cost (or the reason's). */
  mmioExit(h: Hart, device: string, write: boolean): void {
    const cost =
      this.profile.deviceExitCycles[device] ??
      this.profile.exitCycles[write ? 'mmio_write' : 'mmio_read'];
    this.stats.mmioAccess(h, h.pc, device, write, cost);
  }

  wfi(h: Hart): void {
    this.stats.record(h, Exit.wfi, h.pc);
  }

  /**
   * A gstage fault (DESIGN §4): vCPU h touched guest-physical `gpa`, RAM whose page has no
   * frame (the balloon gave it back, or it was never backed). One `gstage_fault` exit,
   * charged its cost; the page gets a zeroed frame from the pool and the hart retries
   * the access, so the guest sees only a slower access to a page of zeros. When the pool
   * is empty the exit is still counted (and RAM's mapFailures) and the guest gets the
   * access fault, which its kernel handles as it would any bad physical address.
   */
  gstageFault(h: Hart, gpa: number): boolean {
    const ram = this.board.ram;
    const gfn = ram.gfnOf(gpa);
    if (gfn < 0) return false;
    this.stats.record(h, Exit.gstage_fault, h.pc, `gpa 0x${(gpa >>> 0).toString(16)}`);
    return ram.mapZeroed(gfn);
  }

  /** rdtime/rdtimeh (csrrs/csrrc rd, time[h], x0) while the profile traps time. */
  private isTrappedCsrRead(h: Hart, ins: number): boolean {
    if (!this.trapTime || (ins & 0x7f) !== 0x73) return false;
    const csr = ins >>> 20;
    const f3 = (ins >>> 12) & 7;
    if (csr !== CSR_TIME && csr !== CSR_TIMEH) return false;
    if ((f3 !== 2 && f3 !== 3) || ((ins >>> 15) & 31) !== 0) return false; // a write: illegal
    // U-mode reads are the guest kernel's to allow, through scounteren.TM.
    return h.priv !== C.PRIV_U || (h.scounteren & 2) !== 0;
  }

  /**
   * A misaligned load or store, done byte by byte through the guest's own translation
   * (as OpenSBI does for a kernel). A fault on any byte is the guest's to handle.
   */
  private emulateMisaligned(h: Hart, cause: number, va: number, pc: number): number {
    const ram = this.board.ram;
    // RAM without a frame is backed as the hart's own access would back it.
    const hostOf = (pa: number): number => {
      const off = ram.hostOffset(pa);
      if (off >= 0 || !ram.contains(pa, 1) || !this.gstageFault(h, pa)) return off;
      return ram.hostOffset(pa);
    };
    const fetch = (at: number): number => {
      const pa = h.tryTranslate(at, ACCESS_FETCH);
      const off = pa < 0 ? -1 : hostOf(pa);
      return off < 0 ? -1 : ram.pool.u16[off >> 1];
    };
    const lo = fetch(pc);
    const hi = lo >= 0 && (lo & 3) === 3 ? fetch((pc + 2) | 0) : 0;
    if (lo < 0 || hi < 0) return h.trapToS(C.CAUSE_FETCH_PAGE, pc, pc);
    const d = decode(lo | (hi << 16));
    const size = d.op === 'LW' || d.op === 'SW' ? 4 : 2;
    const store = cause === C.CAUSE_STORE_MISALIGNED;
    const offs: number[] = [];
    for (let i = 0; i < size; i++) {
      const pa = h.tryTranslate((va + i) | 0, store ? ACCESS_STORE : ACCESS_LOAD);
      const off = pa < 0 ? -1 : hostOf(pa);
      if (off < 0) {
        const fault = pa < 0 ? h.faultCause : store ? C.CAUSE_STORE_ACCESS : C.CAUSE_LOAD_ACCESS;
        return h.trapToS(fault, (va + i) | 0, pc);
      }
      offs.push(off);
    }
    const u8 = ram.pool.u8;
    if (store) {
      const v = h.x[d.rs2];
      offs.forEach((off, i) => {
        const frame = off >>> 12;
        if (ram.codeFrames[frame]) ram.onCodeWrite(frame);
        u8[off] = v >>> (8 * i);
      });
    } else {
      let v = 0;
      offs.forEach((off, i) => (v |= u8[off] << (8 * i)));
      if (d.op === 'LH') v = (v << 16) >> 16;
      if (d.rd !== 0) h.x[d.rd] = v;
    }
    return (pc + d.len) | 0;
  }

  // --- timers and interrupts ----------------------------------------------------------

  /** The board's timer hook for vCPU h: fire its SBI timer when due. */
  timerEvent(h: Hart): number {
    const cmp = this.timerCmp[h.id];
    if (cmp === Infinity) return Infinity;
    if (this.board.now(h) < cmp) return cmp;
    this.timerCmp[h.id] = Infinity;
    this.inject(h, C.MIP_STIP);
    return Infinity;
  }

  /** Deliver an interrupt line to vCPU h through an exit (not posted). */
  inject(h: Hart, bit: number): void {
    if (h.mipHw & bit) return;
    this.stats.record(h, Exit.irq_inject, h.pc);
    h.setPending(bit, true);
  }

  setTimer(h: Hart, tick: number): void {
    // The all-ones value (2^64-1) means "never".
    this.timerCmp[h.id] = tick >= 2 ** 64 - 1 ? Infinity : tick;
    h.setPending(C.MIP_STIP, false);
  }

  sendIpi(target: Hart): void {
    this.stats.record(target, Exit.irq_inject, target.pc);
    target.raiseSsip();
  }

  // --- HSM ------------------------------------------------------------------------------

  hartStart(target: Hart, addr: number, opaque: number): number {
    if (this.hsm[target.id] !== HART_STOPPED) return SBI_ERR_ALREADY_AVAILABLE;
    this.boot(target, addr, opaque);
    return SBI_SUCCESS;
  }

  hartStop(h: Hart): void {
    this.hsm[h.id] = HART_STOPPED;
    h.halted = true;
    h.endBlock = true;
  }

  hartStatus(target: Hart): number {
    return this.hsm[target.id];
  }

  // --- console and reset ----------------------------------------------------------------

  ramContains(pa: number, len: number): boolean {
    return this.board.ram.contains(pa, len);
  }

  /**
   * As many bytes as the console takes now (all, unless its consumer is behind). DBCN
   * buffers are reached from the host side, as KVM's SBI code reads guest memory: pages
   * the balloon gave back get zeroed frames without a gstage_fault exit (RAM counts them
   * in zeroFilled); with the pool empty nothing moves and the call reports 0 bytes.
   */
  consoleWrite(pa: number, len: number): number {
    this.board.ram.populateRange(pa, len);
    const bytes = this.board.ram.read(pa, len);
    if (bytes === null) return 0;
    const con = this.board.console;
    let n = 0;
    while (n < len && con.canWrite()) con.write(bytes[n++]);
    return n;
  }

  consoleRead(pa: number, len: number): number {
    const con = this.board.console;
    const n = Math.min(len, con.available());
    const bytes = new Uint8Array(n);
    if (n > 0 && !this.board.ram.populateRange(pa, n)) return 0;
    for (let i = 0; i < n; i++) bytes[i] = con.read();
    this.board.ram.write(pa, bytes);
    return n;
  }

  consolePutByte(byte: number): void {
    this.board.console.write(byte);
  }

  consoleGetByte(): number {
    return this.board.console.read();
  }

  exitCount(h: Hart, vcpuOnly: boolean): number {
    return this.stats.count(vcpuOnly ? h.id : -1);
  }

  systemReset(kind: 'shutdown' | 'reboot', exitCode: number): void {
    for (const h of this.harts) {
      h.halted = true;
      h.endBlock = true;
    }
    this.board.stop(kind, exitCode);
  }
}
