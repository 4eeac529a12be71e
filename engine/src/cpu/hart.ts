import type { GuestRam } from '../memory/guest-ram.ts';
import { div, divu, mulh, mulhsu, mulhu, rem, remu } from './alu.ts';
import { CROSS_SLOT, type CodeCache } from './code-cache.ts';
import { decodeInto, Op, X_SINK } from './decode.ts';
import {
  ACCESS_FETCH,
  ACCESS_LOAD,
  ACCESS_STORE,
  FAULT_ACCESS,
  walkSv32,
  type Access,
} from './sv32.ts';
import { Tlb, TLB_FETCH, TLB_INTS, TLB_MASK, TLB_READ, TLB_WRITE } from './tlb.ts';
import * as C from './csr-numbers.ts';
import { csrRead, csrWrite } from './csr.ts';
import {
  snapBool,
  snapFloat64s,
  snapInt32s,
  snapNumber,
  type SnapObject,
} from '../snapshot/persist.ts';

/**
 * What a hart needs from the board it sits on: device access for physical addresses
 * outside RAM, and time. The board owns the clock so that every hart and device agree.
 */
export interface HartPlatform {
  /** Device load; set `busFault` and return 0 when nothing answers at `pa`. */
  load(pa: number, size: number): number;
  /** Device store; set `busFault` when nothing answers at `pa`. */
  store(pa: number, size: number, value: number): void;
  busFault: boolean;
  /** The `time` CSR as this hart sees it now, in timebase ticks. */
  now(h: Hart): number;
  /** Instructions `h` may retire before the time reaches `tick` (>= 1, Infinity if never). */
  insnsUntil(h: Hart, tick: number): number;
  /** Refresh the time-driven interrupt lines of `h`; the next tick one of them changes. */
  timerEvent(h: Hart): number;
}

/**
 * Who owns M-mode when the guest does not: the hypervisor. A trap that is not delegated
 * to S goes to `mTrap` instead of an M-mode handler; it returns the pc to resume at.
 */
export interface MachineModeHandler {
  mTrap(h: Hart, cause: number, tval: number, pc: number): number;
  /** The guest executed WFI: the vCPU leaves the guest to sleep (an exit, as KVM traps it). */
  wfi(h: Hart): void;
  /**
   * A gstage fault: `h` touched guest-physical `gpa`, which is inside RAM but whose page
   * has no frame (ballooned out, never backed). Back the page and return true, and the
   * access is retried as if nothing happened; return false and the guest gets the access
   * fault it would get without this hook (as it does on a machine without a hypervisor).
   * Only the hart's slow path (a TLB fill or a page-table walk) ever calls it: a page
   * without a frame is never in a TLB, so the interpreter's fast path needs no check.
   */
  gstageFault?(h: Hart, gpa: number): boolean;
}

/** Thrown (never allocated afresh) to unwind from a fault to the run loop. */
const TRAP = Object.freeze({ trap: true });

/** runBlock's reasons for stopping: its budget ran out, a fetch needs help, an op does. */
const NEED_NONE = 0;
const NEED_FETCH = 1;
const NEED_EXEC = 2;

/** Register file size in `state`, ahead of the TLB. */
const REGS = 64;

/** The numeric state a snapshot saves by name (registers and arrays are saved apart). */
const SAVED_FIELDS = [
  'pc',
  'priv',
  'mstatus',
  'medeleg',
  'mideleg',
  'mie',
  'mtvec',
  'mcounteren',
  'menvcfg',
  'menvcfgh',
  'mscratch',
  'mepc',
  'mcause',
  'mtval',
  'mipSw',
  'mipHw',
  'stvec',
  'scounteren',
  'senvcfg',
  'sscratch',
  'sepc',
  'scause',
  'stval',
  'satp',
  'stimecmp',
  'stallCycles',
  'cpi',
] as const;

/** Longest stretch between interrupt checks when no timer event is due sooner. */
const MAX_BLOCK = 4096;
/** Most instructions prepareFetch decodes in one go (see decodeRun). */
const DECODE_AHEAD = 64;

/**
 * One RV32IMAC hart: registers, CSRs, traps, the Sv32 MMU and the interpreter loop.
 *
 * The loop (run) keeps pc, the retired count and the current code page in locals and
 * only returns to `beginBlock` for interrupts and timers at block boundaries: every
 * MAX_BLOCK instructions, at the next timer event, or after anything that can change
 * interrupt state or translation (CSR writes, xRET, traps, device accesses).
 */
export class Hart {
  readonly id: number;
  readonly ram: GuestRam;
  readonly platform: HartPlatform;
  readonly code: CodeCache;
  /**
   * The registers and this hart's TLB in one array, so the interpreter loop keeps one
   * typed array live for both (fewer spills, fewer per-iteration checks).
   */
  private readonly state = new Int32Array(REGS + TLB_INTS);
  /**
   * x0..x31, then x[32], the sink that absorbs writes to x0. 64 entries so that every
   * `& 63` register index is in bounds.
   */
  readonly x = this.state.subarray(0, REGS);
  readonly tlb: Tlb;
  pc = 0;
  priv: number = C.PRIV_M;

  // Machine and supervisor CSR state (see csr.ts for the access rules).
  mstatus = 0;
  medeleg = 0;
  mideleg = 0;
  mie = 0;
  mtvec = 0;
  mcounteren = 0;
  menvcfg = 0;
  menvcfgh = 0;
  mscratch = 0;
  mepc = 0;
  mcause = 0;
  mtval = 0;
  /** Software-writable pending bits (SSIP, STIP, SEIP). */
  mipSw = 0;
  /** Pending bits driven by devices, timers and a hypervisor (MSIP, MTIP, MEIP, SEIP, STIP). */
  mipHw = 0;
  stvec = 0;
  scounteren = 0;
  senvcfg = 0;
  sscratch = 0;
  sepc = 0;
  scause = 0;
  stval = 0;
  satp = 0;
  /** Sstc compare value as a double (exact below 2^53; all-ones means never). */
  stimecmp = 2 ** 64 - 1;
  readonly pmpcfg = new Int32Array(4);
  readonly pmpaddr = new Int32Array(16);

  /** Retired instructions before the current run() call. */
  private instretBase = 0;
  /** Retired in the current run() call, as of the last slow-path call. */
  private n = 0;
  /** Cycles not spent retiring instructions (WFI sleep, exit costs), and mcycle writes. */
  stallCycles = 0;
  /** Virtual cycles per retired instruction. */
  cpi = 1;

  /** LR/SC reservation: the virtual address and the value loaded, or -1. */
  private resAddr = -1;
  private resValue = 0;

  /** Set by a hypervisor that plays M-mode; null on a bare machine. */
  mHandler: MachineModeHandler | null = null;
  /** Sstc's STIP (time >= stimecmp while menvcfg.STCE), apart from injected STIP. */
  private mipSstc = 0;

  /** In WFI: not running until an enabled-or-not interrupt is pending. */
  wfi = false;
  /** Powered off (bare: never; SBI HSM later). */
  halted = false;
  /** Leave the current block before the next instruction. */
  endBlock = false;

  private trapCause = 0;
  private trapTval = 0;
  /** Why runBlock stopped, and the code-cache slot of the instruction it stopped at. */
  private need = NEED_NONE;
  private needBase = 0;
  /** pc of a page-straddling instruction decoded into the scratch slot, or 1. */
  private crossPc = 1;

  constructor(id: number, ram: GuestRam, code: CodeCache, platform: HartPlatform) {
    this.id = id;
    this.ram = ram;
    this.code = code;
    this.platform = platform;
    this.tlb = new Tlb(ram.pool.frames, this.state.subarray(REGS));
    code.attach(this);
  }

  get instret(): number {
    return this.instretBase + this.n;
  }

  set instret(v: number) {
    this.instretBase = v - this.n;
  }

  get cycles(): number {
    return this.instret * this.cpi + this.stallCycles;
  }

  /** mip as software reads it. */
  get mip(): number {
    return this.mipSw | this.mipHw | this.mipSstc;
  }

  /** Drive a device interrupt line (MSIP, MTIP, MEIP or the external SEIP). */
  setPending(bit: number, on: boolean): void {
    const before = this.mipHw;
    this.mipHw = on ? before | bit : before & ~bit;
    if (this.mipHw !== before) this.endBlock = true;
  }

  /** Make a supervisor software interrupt pending, as a hypervisor's IPI does. */
  raiseSsip(): void {
    this.mipSw |= C.MIP_SSIP;
    this.endBlock = true;
  }

  /**
   * Translate for a hypervisor emulating a guest access: the physical address, or -1
   * with `faultCause` set to the page or access fault the guest must be given.
   */
  tryTranslate(va: number, access: Access): number {
    try {
      return this.translate(va, access);
    } catch (e) {
      if (e !== TRAP) throw e;
      return -1;
    }
  }

  get faultCause(): number {
    return this.trapCause;
  }

  /** Raise a synchronous exception: unwinds to the run loop, which enters the trap. */
  raise(cause: number, tval: number): never {
    this.trapCause = cause;
    this.trapTval = tval;
    throw TRAP;
  }

  /** Forget cached translations (satp writes, SFENCE.VMA). */
  flushTlb(): void {
    this.tlb.flushAll();
    this.endBlock = true;
  }

  /** Architectural and run state, for a snapshot taken between run() calls. */
  save(): SnapObject {
    return {
      x: Int32Array.from(this.x.subarray(0, 32)),
      fields: Float64Array.from(SAVED_FIELDS, (f) => this[f]),
      pmpcfg: Int32Array.from(this.pmpcfg),
      pmpaddr: Int32Array.from(this.pmpaddr),
      instret: this.instret,
      reservation: Float64Array.of(this.resAddr, this.resValue),
      mipSstc: this.mipSstc,
      wfi: this.wfi,
      halted: this.halted,
    };
  }

  /** Restore what save() gave; caches (TLB, decoded code) start empty. */
  restore(s: SnapObject): void {
    this.x.fill(0);
    this.x.set(snapInt32s(s, 'x', 32));
    const fields = snapFloat64s(s, 'fields', SAVED_FIELDS.length);
    SAVED_FIELDS.forEach((f, i) => (this[f] = fields[i]));
    this.pmpcfg.set(snapInt32s(s, 'pmpcfg', this.pmpcfg.length));
    this.pmpaddr.set(snapInt32s(s, 'pmpaddr', this.pmpaddr.length));
    this.n = 0;
    this.instretBase = snapNumber(s, 'instret');
    const reservation = snapFloat64s(s, 'reservation', 2);
    this.resAddr = reservation[0];
    this.resValue = reservation[1];
    this.mipSstc = snapNumber(s, 'mipSstc');
    this.wfi = snapBool(s, 'wfi');
    this.halted = snapBool(s, 'halted');
    this.crossPc = 1;
    this.need = NEED_NONE;
    this.flushTlb();
  }

  /**
   * Run up to `budget` instructions. Returns the number retired; stops early when the
   * hart enters WFI with nothing pending, or halts.
   *
   * Blocks run in `runBlock`, a loop that calls nothing: every instruction it cannot
   * finish alone (a TLB miss, a device, a CSR, a trap) ends the loop, and prepareFetch
   * or execSlow finishes it here. Keeping calls out of the loop lets V8 keep more of the
   * loop's state in registers and skip re-checks it would need after any call.
   */
  run(budget: number): number {
    let n = 0;
    // Traps taken: they spend budget too, so a trap vector that itself faults (a trap
    // loop that never retires anything) cannot keep run() from returning.
    let traps = 0;
    this.n = 0;
    while (n + traps < budget) {
      this.n = n;
      const len = this.beginBlock(budget - n - traps);
      if (len === 0) break;
      const limit = n + len;
      while (n < limit && n + traps < budget) {
        n += this.runBlock(limit - n);
        if (this.need === NEED_NONE) break;
        this.n = n;
        try {
          if (this.need === NEED_FETCH) this.prepareFetch();
          else {
            const i = this.needBase + (this.pc & 0xffe);
            if (this.execSlow(this.code.code[i], this.code.code[i + 1])) n++;
          }
        } catch (e) {
          if (e !== TRAP) throw e;
          this.pc = this.enterTrap(this.trapCause, this.trapTval, this.pc);
          traps++;
        }
        if (this.endBlock) break;
      }
    }
    this.instretBase += n;
    this.n = 0;
    // Nothing retired, only traps: let time pass (a cycle each) so the board's clock moves.
    if (n === 0) this.stallCycles += traps;
    return n;
  }

  /**
   * The interpreter's fast path: at most `max` instructions from this.pc, using only the
   * decode cache and TLB hits. Returns how many retired and leaves in `need` why it
   * stopped (NEED_NONE: `max` reached). Case labels are literals so V8 emits a jump
   * table; each names its op, and a unit test checks them against the Op table.
   */
  private runBlock(max: number): number {
    // Imported constants copied to locals: V8 re-checks an imported binding for the
    // temporal dead zone at every use, which costs the loop several percent.
    const mask = TLB_MASK;
    const readTlb = REGS + TLB_READ;
    const writeTlb = REGS + TLB_WRITE;
    const fetchTlb = REGS + TLB_FETCH;
    const needFetch = NEED_FETCH;
    const needExec = NEED_EXEC;
    // One array: registers at 0..63 (x), the TLB from REGS on (tlb).
    const x = this.state;
    const tlb = x;
    const code = this.code.code;
    const pool = this.ram.pool;
    const u8 = pool.u8;
    const u16 = pool.u16;
    const i32 = pool.i32;
    const dctx = this.dataCtx();
    const fctx = this.priv << 2;
    let pc = this.pc;
    let n = 0;
    let need = 0; // NEED_NONE
    let curBase = 0; // CROSS_SLOT until the first page lookup
    let curPage = 1; // never a page address: the first instruction looks its page up
    if (this.crossPc === pc) {
      // The instruction at pc spans two pages: run just it, from the scratch slot.
      curPage = pc & 0xfffff000;
      max = 1;
    }
    this.crossPc = 1;
    block: while (n < max) {
      if ((pc & 0xfffff000) !== curPage) {
        const t = fetchTlb + ((pc >>> 12) & mask) * 2;
        if (tlb[t] !== ((pc & 0xfffff000) | fctx)) {
          need = needFetch;
          break;
        }
        curBase = tlb[t + 1];
        curPage = pc & 0xfffff000;
      }
      const i = (curBase + (pc & 0xffe)) | 0;
      const w = code[i];
      const imm = code[(i + 1) | 0];
      switch (w & 0xff) {
        case 0: // UNDECODED
          need = needFetch;
          break block;
        case 1: // LUI
          x[(w >>> 8) & 63] = imm;
          pc = (pc + (w >>> 28)) | 0;
          break;
        case 2: // AUIPC
          x[(w >>> 8) & 63] = (pc + imm) | 0;
          pc = (pc + (w >>> 28)) | 0;
          break;
        case 3: // JAL
          x[(w >>> 8) & 63] = (pc + (w >>> 28)) | 0;
          pc = (pc + imm) | 0;
          break;
        case 4: {
          // JALR
          const target = (x[(w >>> 14) & 31] + imm) & ~1;
          x[(w >>> 8) & 63] = (pc + (w >>> 28)) | 0;
          pc = target;
          break;
        }
        case 5: // BEQ
          pc = (pc + (x[(w >>> 14) & 31] === x[(w >>> 19) & 31] ? imm : w >>> 28)) | 0;
          break;
        case 6: // BNE
          pc = (pc + (x[(w >>> 14) & 31] !== x[(w >>> 19) & 31] ? imm : w >>> 28)) | 0;
          break;
        case 7: // BLT
          pc = (pc + (x[(w >>> 14) & 31] < x[(w >>> 19) & 31] ? imm : w >>> 28)) | 0;
          break;
        case 8: // BGE
          pc = (pc + (x[(w >>> 14) & 31] >= x[(w >>> 19) & 31] ? imm : w >>> 28)) | 0;
          break;
        case 9: // BLTU
          pc = (pc + (x[(w >>> 14) & 31] >>> 0 < x[(w >>> 19) & 31] >>> 0 ? imm : w >>> 28)) | 0;
          break;
        case 10: // BGEU
          pc = (pc + (x[(w >>> 14) & 31] >>> 0 >= x[(w >>> 19) & 31] >>> 0 ? imm : w >>> 28)) | 0;
          break;
        case 11: {
          // LB
          const a = (x[(w >>> 14) & 31] + imm) | 0;
          const t = readTlb + ((a >>> 12) & mask) * 2;
          if (tlb[t] !== ((a & 0xfffff000) | dctx)) {
            need = needExec;
            break block;
          }
          x[(w >>> 8) & 63] = (u8[(a + tlb[t + 1]) | 0] << 24) >> 24;
          pc = (pc + (w >>> 28)) | 0;
          break;
        }
        case 12: {
          // LH
          const a = (x[(w >>> 14) & 31] + imm) | 0;
          const t = readTlb + ((a >>> 12) & mask) * 2;
          if (tlb[t] !== ((a & 0xfffff001) | dctx)) {
            need = needExec;
            break block;
          }
          x[(w >>> 8) & 63] = (u16[((a + tlb[t + 1]) | 0) >> 1] << 16) >> 16;
          pc = (pc + (w >>> 28)) | 0;
          break;
        }
        case 13: {
          // LW
          const a = (x[(w >>> 14) & 31] + imm) | 0;
          const t = readTlb + ((a >>> 12) & mask) * 2;
          if (tlb[t] !== ((a & 0xfffff003) | dctx)) {
            need = needExec;
            break block;
          }
          x[(w >>> 8) & 63] = i32[((a + tlb[t + 1]) | 0) >> 2];
          pc = (pc + (w >>> 28)) | 0;
          break;
        }
        case 14: {
          // LBU
          const a = (x[(w >>> 14) & 31] + imm) | 0;
          const t = readTlb + ((a >>> 12) & mask) * 2;
          if (tlb[t] !== ((a & 0xfffff000) | dctx)) {
            need = needExec;
            break block;
          }
          x[(w >>> 8) & 63] = u8[(a + tlb[t + 1]) | 0];
          pc = (pc + (w >>> 28)) | 0;
          break;
        }
        case 15: {
          // LHU
          const a = (x[(w >>> 14) & 31] + imm) | 0;
          const t = readTlb + ((a >>> 12) & mask) * 2;
          if (tlb[t] !== ((a & 0xfffff001) | dctx)) {
            need = needExec;
            break block;
          }
          x[(w >>> 8) & 63] = u16[((a + tlb[t + 1]) | 0) >> 1];
          pc = (pc + (w >>> 28)) | 0;
          break;
        }
        case 16: {
          // SB
          const a = (x[(w >>> 14) & 31] + imm) | 0;
          const t = writeTlb + ((a >>> 12) & mask) * 2;
          if (tlb[t] !== ((a & 0xfffff000) | dctx)) {
            need = needExec;
            break block;
          }
          u8[(a + tlb[t + 1]) | 0] = x[(w >>> 19) & 31];
          pc = (pc + (w >>> 28)) | 0;
          break;
        }
        case 17: {
          // SH
          const a = (x[(w >>> 14) & 31] + imm) | 0;
          const t = writeTlb + ((a >>> 12) & mask) * 2;
          if (tlb[t] !== ((a & 0xfffff001) | dctx)) {
            need = needExec;
            break block;
          }
          u16[((a + tlb[t + 1]) | 0) >> 1] = x[(w >>> 19) & 31];
          pc = (pc + (w >>> 28)) | 0;
          break;
        }
        case 18: {
          // SW
          const a = (x[(w >>> 14) & 31] + imm) | 0;
          const t = writeTlb + ((a >>> 12) & mask) * 2;
          if (tlb[t] !== ((a & 0xfffff003) | dctx)) {
            need = needExec;
            break block;
          }
          i32[((a + tlb[t + 1]) | 0) >> 2] = x[(w >>> 19) & 31];
          pc = (pc + (w >>> 28)) | 0;
          break;
        }
        case 19: // ADDI
          x[(w >>> 8) & 63] = (x[(w >>> 14) & 31] + imm) | 0;
          pc = (pc + (w >>> 28)) | 0;
          break;
        case 20: // SLTI
          x[(w >>> 8) & 63] = x[(w >>> 14) & 31] < imm ? 1 : 0;
          pc = (pc + (w >>> 28)) | 0;
          break;
        case 21: // SLTIU
          x[(w >>> 8) & 63] = x[(w >>> 14) & 31] >>> 0 < imm >>> 0 ? 1 : 0;
          pc = (pc + (w >>> 28)) | 0;
          break;
        case 22: // XORI
          x[(w >>> 8) & 63] = x[(w >>> 14) & 31] ^ imm;
          pc = (pc + (w >>> 28)) | 0;
          break;
        case 23: // ORI
          x[(w >>> 8) & 63] = x[(w >>> 14) & 31] | imm;
          pc = (pc + (w >>> 28)) | 0;
          break;
        case 24: // ANDI
          x[(w >>> 8) & 63] = x[(w >>> 14) & 31] & imm;
          pc = (pc + (w >>> 28)) | 0;
          break;
        case 25: // SLLI
          x[(w >>> 8) & 63] = x[(w >>> 14) & 31] << imm;
          pc = (pc + (w >>> 28)) | 0;
          break;
        case 26: // SRLI
          x[(w >>> 8) & 63] = x[(w >>> 14) & 31] >>> imm;
          pc = (pc + (w >>> 28)) | 0;
          break;
        case 27: // SRAI
          x[(w >>> 8) & 63] = x[(w >>> 14) & 31] >> imm;
          pc = (pc + (w >>> 28)) | 0;
          break;
        case 28: // ADD
          x[(w >>> 8) & 63] = (x[(w >>> 14) & 31] + x[(w >>> 19) & 31]) | 0;
          pc = (pc + (w >>> 28)) | 0;
          break;
        case 29: // SUB
          x[(w >>> 8) & 63] = (x[(w >>> 14) & 31] - x[(w >>> 19) & 31]) | 0;
          pc = (pc + (w >>> 28)) | 0;
          break;
        case 30: // SLL
          x[(w >>> 8) & 63] = x[(w >>> 14) & 31] << x[(w >>> 19) & 31];
          pc = (pc + (w >>> 28)) | 0;
          break;
        case 31: // SLT
          x[(w >>> 8) & 63] = x[(w >>> 14) & 31] < x[(w >>> 19) & 31] ? 1 : 0;
          pc = (pc + (w >>> 28)) | 0;
          break;
        case 32: // SLTU
          x[(w >>> 8) & 63] = x[(w >>> 14) & 31] >>> 0 < x[(w >>> 19) & 31] >>> 0 ? 1 : 0;
          pc = (pc + (w >>> 28)) | 0;
          break;
        case 33: // XOR
          x[(w >>> 8) & 63] = x[(w >>> 14) & 31] ^ x[(w >>> 19) & 31];
          pc = (pc + (w >>> 28)) | 0;
          break;
        case 34: // SRL
          x[(w >>> 8) & 63] = x[(w >>> 14) & 31] >>> x[(w >>> 19) & 31];
          pc = (pc + (w >>> 28)) | 0;
          break;
        case 35: // SRA
          x[(w >>> 8) & 63] = x[(w >>> 14) & 31] >> x[(w >>> 19) & 31];
          pc = (pc + (w >>> 28)) | 0;
          break;
        case 36: // OR
          x[(w >>> 8) & 63] = x[(w >>> 14) & 31] | x[(w >>> 19) & 31];
          pc = (pc + (w >>> 28)) | 0;
          break;
        case 37: // AND
          x[(w >>> 8) & 63] = x[(w >>> 14) & 31] & x[(w >>> 19) & 31];
          pc = (pc + (w >>> 28)) | 0;
          break;
        case 38: // MUL
          x[(w >>> 8) & 63] = Math.imul(x[(w >>> 14) & 31], x[(w >>> 19) & 31]);
          pc = (pc + (w >>> 28)) | 0;
          break;
        case 46: // FENCE
          pc = (pc + 4) | 0;
          break;
        default:
          // Everything else (MULH..REMU, SYSTEM, CSRs, atomics, ILLEGAL) goes to execSlow.
          need = needExec;
          break block;
      }
      n = (n + 1) | 0;
    }
    this.pc = pc;
    this.need = need;
    this.needBase = curBase;
    return n;
  }

  /**
   * Finish the instruction at this.pc that runBlock handed over (decoded as w, imm).
   * Returns whether it retired. Faults deep in a slow path raise through TRAP; the
   * frequent, expected traps (ECALL above all: every hypercall) enter the trap here
   * without unwinding, which costs far less than a throw.
   */
  private execSlow(w: number, imm: number): boolean {
    const x = this.x;
    const op = w & 0xff;
    const rd = (w >>> 8) & 63;
    const a = x[(w >>> 14) & 31];
    const b = x[(w >>> 19) & 31];
    const pc = this.pc;
    let next = (pc + (w >>> 28)) | 0;
    switch (op) {
      case Op.LB:
        x[rd] = (this.loadSlow((a + imm) | 0, 1) << 24) >> 24;
        break;
      case Op.LH:
        x[rd] = (this.loadSlow((a + imm) | 0, 2) << 16) >> 16;
        break;
      case Op.LW:
        x[rd] = this.loadSlow((a + imm) | 0, 4);
        break;
      case Op.LBU:
        x[rd] = this.loadSlow((a + imm) | 0, 1) & 0xff;
        break;
      case Op.LHU:
        x[rd] = this.loadSlow((a + imm) | 0, 2) & 0xffff;
        break;
      case Op.SB:
        this.storeSlow((a + imm) | 0, 1, b);
        break;
      case Op.SH:
        this.storeSlow((a + imm) | 0, 2, b);
        break;
      case Op.SW:
        this.storeSlow((a + imm) | 0, 4, b);
        break;
      case Op.MULH:
        x[rd] = mulh(a, b);
        break;
      case Op.MULHSU:
        x[rd] = mulhsu(a, b);
        break;
      case Op.MULHU:
        x[rd] = mulhu(a, b);
        break;
      case Op.DIV:
        x[rd] = div(a, b);
        break;
      case Op.DIVU:
        x[rd] = divu(a, b);
        break;
      case Op.REM:
        x[rd] = rem(a, b);
        break;
      case Op.REMU:
        x[rd] = remu(a, b);
        break;
      case Op.FENCE_I:
        break; // stores already invalidate decoded code
      case Op.ECALL:
        this.pc = this.enterTrap(C.CAUSE_ECALL_U + this.priv, 0, pc);
        return false;
      case Op.EBREAK:
        this.pc = this.enterTrap(C.CAUSE_BREAKPOINT, 0, pc); // tval 0, as QEMU
        return false;
      case Op.MRET:
        next = this.mret(imm);
        this.endBlock = true;
        break;
      case Op.SRET:
        next = this.sret(imm);
        this.endBlock = true;
        break;
      case Op.WFI:
        this.enterWfi(imm);
        this.endBlock = true;
        break;
      case Op.SFENCE_VMA:
        this.sfenceVma(imm, a, (w >>> 14) & 31);
        this.endBlock = true;
        break;
      case Op.CSRRW:
      case Op.CSRRS:
      case Op.CSRRC:
      case Op.CSRRWI:
      case Op.CSRRSI:
      case Op.CSRRCI:
        this.csrOp(w, imm);
        this.endBlock = true;
        break;
      case Op.LR_W:
      case Op.SC_W:
      case Op.AMOSWAP_W:
      case Op.AMOADD_W:
      case Op.AMOXOR_W:
      case Op.AMOAND_W:
      case Op.AMOOR_W:
      case Op.AMOMIN_W:
      case Op.AMOMAX_W:
      case Op.AMOMINU_W:
      case Op.AMOMAXU_W:
        x[rd] = this.atomic(op, a, b);
        break;
      default:
        this.pc = this.enterTrap(C.CAUSE_ILLEGAL, imm, pc);
        return false;
    }
    this.pc = next;
    return true;
  }

  /** Translation context of loads and stores: effective privilege, SUM, MXR (bits 2-5). */
  private dataCtx(): number {
    const ms = this.mstatus;
    const p =
      ms & C.MSTATUS_MPRV && this.priv === C.PRIV_M ? (ms >>> C.MSTATUS_MPP_SHIFT) & 3 : this.priv;
    return (p << 2) | (ms & C.MSTATUS_SUM ? 16 : 0) | (ms & C.MSTATUS_MXR ? 32 : 0);
  }

  /**
   * At a block boundary: refresh timers, take a pending interrupt, leave WFI. Returns
   * how many instructions may run before the next check, or 0 if the hart cannot run.
   */
  private beginBlock(budget: number): number {
    this.endBlock = false;
    if (this.halted) return 0;
    const next = this.nextTimerTick();
    const pending = this.mip & this.mie;
    if (pending !== 0) {
      this.wfi = false;
      this.takeInterrupt(pending);
    } else if (this.wfi) return 0;
    let len = Math.min(budget, MAX_BLOCK);
    if (next !== Infinity) len = Math.min(len, this.platform.insnsUntil(this, next));
    return len;
  }

  /**
   * Refresh the time-driven pending bits (the board's timer, Sstc's STIP) and return the
   * tick at which the next one rises, Infinity if none is armed: where a WFI sleeps to.
   */
  nextTimerTick(): number {
    let next = this.platform.timerEvent(this);
    if (this.menvcfgh & C.MENVCFGH_STCE) {
      const due = this.platform.now(this) >= this.stimecmp;
      this.mipSstc = due ? C.MIP_STIP : 0;
      // All ones (the reset value) means no timer armed.
      if (!due && this.stimecmp < next && this.stimecmp < 2 ** 64 - 1) next = this.stimecmp;
    } else this.mipSstc = 0;
    return next;
  }

  /** Enter the highest-priority pending interrupt that the current mode allows, if any. */
  private takeInterrupt(pending: number): void {
    const mPending = pending & ~this.mideleg;
    const mOn = this.priv < C.PRIV_M || (this.mstatus & C.MSTATUS_MIE) !== 0;
    let set = mOn ? mPending : 0;
    if (set === 0 && this.priv <= C.PRIV_S) {
      const sOn = this.priv < C.PRIV_S || (this.mstatus & C.MSTATUS_SIE) !== 0;
      set = sOn ? pending & this.mideleg : 0;
    }
    if (set === 0) return;
    for (const irq of C.IRQ_PRIORITY) {
      if (set & (1 << irq)) {
        this.pc = this.enterTrap(C.CAUSE_INTERRUPT | irq, 0, this.pc);
        return;
      }
    }
  }

  /** Trap entry (privileged spec §3.1.6.1, §4.1.1): returns the handler's pc. */
  enterTrap(cause: number, tval: number, pc: number): number {
    const bit = 1 << (cause & 31);
    const deleg = cause < 0 ? this.mideleg : this.medeleg;
    this.resAddr = -1;
    this.endBlock = true;
    if (this.priv <= C.PRIV_S && deleg & bit) return this.trapToS(cause, tval, pc);
    if (this.mHandler !== null) return this.mHandler.mTrap(this, cause, tval, pc);
    let ms = this.mstatus;
    this.mcause = cause;
    this.mepc = pc;
    this.mtval = tval;
    ms = ms & C.MSTATUS_MIE ? ms | C.MSTATUS_MPIE : ms & ~C.MSTATUS_MPIE;
    ms = (ms & ~C.MSTATUS_MPP) | (this.priv << C.MSTATUS_MPP_SHIFT);
    this.mstatus = ms & ~C.MSTATUS_MIE;
    this.priv = C.PRIV_M;
    return vector(this.mtvec, cause);
  }

  /**
   * Enter the S-mode trap handler, whatever the delegation: how a hypervisor reflects an
   * exception it does not handle back into its guest (OpenSBI's sbi_trap_redirect).
   */
  trapToS(cause: number, tval: number, pc: number): number {
    this.resAddr = -1;
    this.endBlock = true;
    let ms = this.mstatus;
    this.scause = cause;
    this.sepc = pc;
    this.stval = tval;
    ms = ms & C.MSTATUS_SIE ? ms | C.MSTATUS_SPIE : ms & ~C.MSTATUS_SPIE;
    ms = this.priv === C.PRIV_S ? ms | C.MSTATUS_SPP : ms & ~C.MSTATUS_SPP;
    this.mstatus = ms & ~C.MSTATUS_SIE;
    this.priv = C.PRIV_S;
    return vector(this.stvec, cause);
  }

  private mret(ins: number): number {
    if (this.priv !== C.PRIV_M) this.raise(C.CAUSE_ILLEGAL, ins);
    let ms = this.mstatus;
    const mpp = (ms >>> C.MSTATUS_MPP_SHIFT) & 3;
    ms = ms & C.MSTATUS_MPIE ? ms | C.MSTATUS_MIE : ms & ~C.MSTATUS_MIE;
    ms = (ms | C.MSTATUS_MPIE) & ~C.MSTATUS_MPP;
    if (mpp !== C.PRIV_M) ms &= ~C.MSTATUS_MPRV;
    this.mstatus = ms;
    this.priv = mpp;
    return this.mepc;
  }

  private sret(ins: number): number {
    if (this.priv === C.PRIV_U || (this.priv === C.PRIV_S && this.mstatus & C.MSTATUS_TSR)) {
      this.raise(C.CAUSE_ILLEGAL, ins);
    }
    let ms = this.mstatus;
    const spp = ms & C.MSTATUS_SPP ? C.PRIV_S : C.PRIV_U;
    ms = ms & C.MSTATUS_SPIE ? ms | C.MSTATUS_SIE : ms & ~C.MSTATUS_SIE;
    ms = (ms | C.MSTATUS_SPIE) & ~C.MSTATUS_SPP & ~C.MSTATUS_MPRV;
    this.mstatus = ms;
    this.priv = spp;
    return this.sepc;
  }

  /** WFI traps when TW is set below M, and always from U (as QEMU does with S present). */
  private enterWfi(ins: number): void {
    if (this.priv === C.PRIV_U || (this.priv === C.PRIV_S && this.mstatus & C.MSTATUS_TW)) {
      this.raise(C.CAUSE_ILLEGAL, ins);
    }
    this.wfi = true;
    this.mHandler?.wfi(this);
  }

  private sfenceVma(ins: number, va: number, rs1: number): void {
    if (this.priv === C.PRIV_U || (this.priv === C.PRIV_S && this.mstatus & C.MSTATUS_TVM)) {
      this.raise(C.CAUSE_ILLEGAL, ins);
    }
    // The TLB is not ASID-tagged, so the ASID forms flush as much as the plain ones.
    if (rs1 !== 0) this.tlb.flushPage(va);
    else this.tlb.flushAll();
  }

  private csrOp(w: number, ins: number): void {
    const op = w & 0xff;
    const rd = (w >>> 8) & 63;
    const rs1 = (w >>> 14) & 31;
    const csr = ins >>> 20;
    if (this.priv < ((csr >>> 8) & 3)) this.raise(C.CAUSE_ILLEGAL, ins);
    // 54..56 take a register operand, 57..59 the 5-bit immediate in the rs1 field.
    const src = op >= 57 ? rs1 : this.x[rs1];
    const kind = (op - 54) % 3; // 0 write, 1 set, 2 clear
    const writes = kind === 0 || rs1 !== 0;
    if (writes && csr >>> 10 === 3) this.raise(C.CAUSE_ILLEGAL, ins);
    const old = csrRead(this, csr, ins);
    if (writes) csrWrite(this, csr, kind === 0 ? src : kind === 1 ? old | src : old & ~src, ins);
    if (rd !== X_SINK) this.x[rd] = old;
  }

  private atomic(op: number, a: number, src: number): number {
    if (a & 3) this.raise(op === 60 ? C.CAUSE_LOAD_MISALIGNED : C.CAUSE_STORE_MISALIGNED, a);
    if (op === 60) {
      const v = this.loadSlow(a, 4);
      this.resAddr = a;
      this.resValue = v;
      return v;
    }
    if (op === 61) {
      // SC succeeds if this hart's reservation covers the address and nobody changed
      // the word since (the cmpxchg model QEMU uses for LR/SC).
      const reserved = this.resAddr === a;
      this.resAddr = -1;
      if (!reserved) return 1;
      const off = this.ramOffset(a, ACCESS_STORE);
      if (this.ram.pool.i32[off >> 2] !== this.resValue) return 1;
      this.ram.pool.i32[off >> 2] = src;
      return 0;
    }
    const off = this.ramOffset(a, ACCESS_STORE);
    const i32 = this.ram.pool.i32;
    const old = i32[off >> 2];
    let v: number;
    switch (op) {
      case 62: // AMOSWAP_W
        v = src;
        break;
      case 63: // AMOADD_W
        v = (old + src) | 0;
        break;
      case 64: // AMOXOR_W
        v = old ^ src;
        break;
      case 65: // AMOAND_W
        v = old & src;
        break;
      case 66: // AMOOR_W
        v = old | src;
        break;
      case 67: // AMOMIN_W
        v = old < src ? old : src;
        break;
      case 68: // AMOMAX_W
        v = old > src ? old : src;
        break;
      case 69: // AMOMINU_W
        v = old >>> 0 < src >>> 0 ? old : src;
        break;
      default: // AMOMAXU_W
        v = old >>> 0 > src >>> 0 ? old : src;
    }
    i32[off >> 2] = v;
    return old;
  }

  /** Host offset of a RAM word for an AMO/SC; devices cannot take part in atomics. */
  private ramOffset(va: number, access: Access): number {
    const pa = this.translate(va, access);
    const off = this.hostOf(pa);
    if (off < 0) this.raise(C.CAUSE_STORE_ACCESS, va);
    const frame = off >>> 12;
    if (this.ram.codeFrames[frame]) this.ram.onCodeWrite(frame);
    return off;
  }

  /**
   * Virtual -> physical for the current context, raising the page or access fault the
   * spec gives. M-mode (or MPRV with MPP=M for data) and satp.MODE=Bare are identity.
   */
  translate(va: number, access: Access): number {
    let p = this.priv;
    if (access !== ACCESS_FETCH && this.mstatus & C.MSTATUS_MPRV && p === C.PRIV_M) {
      p = (this.mstatus >>> C.MSTATUS_MPP_SHIFT) & 3;
    }
    if (p === C.PRIV_M || this.satp >= 0) return va >>> 0;
    const sum = (this.mstatus & C.MSTATUS_SUM) !== 0;
    const mxr = (this.mstatus & C.MSTATUS_MXR) !== 0;
    let pa = walkSv32(this.ram, this.satp, va >>> 0, access, p, sum, mxr);
    // A page-table page without a frame: back it (a gstage fault) and walk again. Each
    // retry backs one of the two levels' pages, so two are enough.
    for (let i = 0; i < 2 && pa === FAULT_ACCESS && this.backTablePage(va >>> 0); i++) {
      pa = walkSv32(this.ram, this.satp, va >>> 0, access, p, sum, mxr);
    }
    if (pa >= 0) return pa;
    const isAccess = pa === FAULT_ACCESS;
    if (access === ACCESS_FETCH)
      this.raise(isAccess ? C.CAUSE_FETCH_ACCESS : C.CAUSE_FETCH_PAGE, va);
    if (access === ACCESS_LOAD) this.raise(isAccess ? C.CAUSE_LOAD_ACCESS : C.CAUSE_LOAD_PAGE, va);
    return this.raise(isAccess ? C.CAUSE_STORE_ACCESS : C.CAUSE_STORE_PAGE, va);
  }

  /**
   * Host offset of RAM at `pa`, or -1 (devices, holes, addresses above 4 GiB). RAM whose
   * page has no frame is a gstage fault: the hypervisor may back it, and then it is RAM.
   */
  private hostOf(pa: number): number {
    if (pa >= 2 ** 32) return -1;
    const off = this.ram.hostOffset(pa);
    return off >= 0 ? off : this.gstage(pa);
  }

  /** `pa` has no host offset: if it is RAM without a frame, ask the hypervisor to back it. */
  private gstage(pa: number): number {
    const hv = this.mHandler;
    if (hv === null || hv.gstageFault === undefined || !this.ram.contains(pa, 1)) return -1;
    return hv.gstageFault(this, pa) ? this.ram.hostOffset(pa) : -1;
  }

  /**
   * An Sv32 walk for `va` ended in an access fault: if that is because one of its
   * page-table pages is RAM without a frame, back it through a gstage fault and return
   * true (walk again); false if it is anything else (a table outside RAM, no hypervisor).
   */
  private backTablePage(va: number): boolean {
    const hv = this.mHandler;
    if (hv === null || hv.gstageFault === undefined) return false;
    const ram = this.ram;
    let table = (this.satp & 0x3fffff) * 4096;
    for (let level = 1; level >= 0; level--) {
      const pteAddr = table + (level === 1 ? va >>> 22 : (va >>> 12) & 0x3ff) * 4;
      const off = ram.hostOffset(pteAddr);
      if (off < 0) return ram.contains(pteAddr, 4) && hv.gstageFault(this, pteAddr);
      const pte = ram.pool.i32[off >>> 2];
      // Only a valid pointer (V set, R, W and X clear) leads to another table.
      if ((pte & 0xf) !== 1) return false;
      table = (pte >>> 10) * 4096;
    }
    return false;
  }

  /**
   * Make the instruction at this.pc runnable by runBlock: fill the fetch TLB, give its
   * frame a code-cache slot, decode it and the code after it (decodeRun). A 32-bit instruction that straddles two
   * pages depends on both, so it is decoded into the scratch slot, never cached, and
   * runBlock runs just that one instruction from there.
   */
  private prepareFetch(): void {
    const pc = this.pc;
    const fctx = this.priv << 2;
    const host = this.hostOf(this.translate(pc, ACCESS_FETCH));
    if (host < 0) this.raise(C.CAUSE_FETCH_ACCESS, pc);
    const base = this.code.slotFor(host >>> 12);
    this.tlb.fillFetch(pc, fctx, base);
    const code = this.code.code;
    const i = pc & 0xffe;
    if (code[base + i] !== 0) return;
    const u16 = this.ram.pool.u16;
    const lo = u16[host >> 1];
    if (i !== 0xffe || (lo & 3) !== 3) decodeRun(u16, (host - i) >> 1, code, base, i);
    else {
      const next = (pc + 2) | 0;
      const hostHi = this.hostOf(this.translate(next, ACCESS_FETCH));
      if (hostHi < 0) this.raise(C.CAUSE_FETCH_ACCESS, next);
      decodeInto(lo | (u16[hostHi >> 1] << 16), code, CROSS_SLOT + i);
      this.crossPc = pc;
    }
  }

  /** A load the TLB could not serve: misaligned, TLB miss, or a device. */
  private loadSlow(va: number, size: number): number {
    if (va & (size - 1)) this.raise(C.CAUSE_LOAD_MISALIGNED, va);
    const pa = this.translate(va, ACCESS_LOAD);
    const host = this.hostOf(pa);
    const pool = this.ram.pool;
    if (host >= 0) {
      this.tlb.fill(TLB_READ, va, this.dataCtx(), host);
      return size === 4 ? pool.i32[host >> 2] : size === 2 ? pool.u16[host >> 1] : pool.u8[host];
    }
    const p = this.platform;
    p.busFault = false;
    const v = p.load(pa, size);
    if (p.busFault) this.raise(C.CAUSE_LOAD_ACCESS, va);
    this.endBlock = true;
    return v;
  }

  /** A store the TLB could not serve: misaligned, TLB miss, code page, or a device. */
  private storeSlow(va: number, size: number, value: number): void {
    if (va & (size - 1)) this.raise(C.CAUSE_STORE_MISALIGNED, va);
    const pa = this.translate(va, ACCESS_STORE);
    this.resAddr = this.resAddr === va ? -1 : this.resAddr;
    const host = this.hostOf(pa);
    const pool = this.ram.pool;
    if (host >= 0) {
      const frame = host >>> 12;
      if (this.ram.codeFrames[frame]) this.ram.onCodeWrite(frame);
      else {
        this.tlb.fill(TLB_WRITE, va, this.dataCtx(), host);
      }
      if (size === 4) pool.i32[host >> 2] = value;
      else if (size === 2) pool.u16[host >> 1] = value;
      else pool.u8[host] = value;
      return;
    }
    const p = this.platform;
    p.busFault = false;
    p.store(pa, size, value);
    if (p.busFault) this.raise(C.CAUSE_STORE_ACCESS, va);
    this.endBlock = true;
  }
}

function vector(tvec: number, cause: number): number {
  const base = tvec & ~3;
  return cause < 0 && (tvec & 3) === 1 ? (base + 4 * (cause & 31)) | 0 : base;
}

/**
 * Decode the instruction at page offset `i` and the ones after it, up to an unconditional
 * jump, a parcel already decoded, the page's end or DECODE_AHEAD instructions: code runs
 * on, so one trip out of the interpreter's loop decodes a whole block instead of one
 * instruction. Decoding bytes that turn out to be data is harmless: a slot only says what
 * those bytes would do if executed, and a store to the frame drops them all.
 */
function decodeRun(
  u16: Uint16Array,
  page: number,
  code: Int32Array,
  base: number,
  i: number,
): void {
  for (let k = 0; k < DECODE_AHEAD; k++) {
    const lo = u16[page + (i >> 1)];
    let len = 2;
    if ((lo & 3) !== 3) decodeInto(lo, code, base + i);
    else {
      if (i === 0xffe) return; // straddles the page end: prepareFetch decodes it when reached
      decodeInto(lo | (u16[page + (i >> 1) + 1] << 16), code, base + i);
      len = 4;
    }
    const op = code[base + i] & 0xff;
    i += len;
    if (op === Op.JAL || op === Op.JALR || i > 0xffe || code[base + i] !== 0) return;
  }
}
