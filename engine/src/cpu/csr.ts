import * as C from './csr-numbers.ts';
import type { Hart } from './hart.ts';

/**
 * CSR reads and writes with the privileged spec's rules. The caller (Hart.csrOp) has
 * already checked the privilege level encoded in the CSR number and read-only writes;
 * this adds per-CSR rules (counter enables, TVM, Sstc) and raises illegal instruction
 * for CSRs that do not exist.
 */
const HI = 2 ** 32;

function lo32(v: number): number {
  return (v % HI) | 0;
}

function hi32(v: number): number {
  return Math.floor(v / HI) | 0;
}

function counterAllowed(h: Hart, csr: number): boolean {
  const bit = 1 << (csr & 31);
  if (h.priv < C.PRIV_M && (h.mcounteren & bit) === 0) return false;
  if (h.priv === C.PRIV_U && (h.scounteren & bit) === 0) return false;
  return true;
}

function stimecmpAllowed(h: Hart): boolean {
  if (h.priv === C.PRIV_M) return true;
  return (h.menvcfgh & C.MENVCFGH_STCE) !== 0 && (h.mcounteren & 2) !== 0;
}

export function csrRead(h: Hart, csr: number, ins: number): number {
  switch (csr) {
    case C.CSR.sstatus:
      return h.mstatus & C.SSTATUS_MASK;
    case C.CSR.sie:
      return h.mie & h.mideleg;
    case C.CSR.stvec:
      return h.stvec;
    case C.CSR.scounteren:
      return h.scounteren;
    case C.CSR.senvcfg:
      return h.senvcfg;
    case C.CSR.sscratch:
      return h.sscratch;
    case C.CSR.sepc:
      return h.sepc;
    case C.CSR.scause:
      return h.scause;
    case C.CSR.stval:
      return h.stval;
    case C.CSR.sip:
      return h.mip & h.mideleg;
    case C.CSR.stimecmp:
    case C.CSR.stimecmph:
      if (!stimecmpAllowed(h)) break;
      return csr === C.CSR.stimecmp ? lo32(h.stimecmp) : hi32(h.stimecmp);
    case C.CSR.satp:
      if (h.priv === C.PRIV_S && h.mstatus & C.MSTATUS_TVM) break;
      return h.satp;
    case C.CSR.mstatus:
      return h.mstatus;
    case C.CSR.misa:
      return C.MISA;
    case C.CSR.medeleg:
      return h.medeleg;
    case C.CSR.mideleg:
      return h.mideleg;
    case C.CSR.mie:
      return h.mie;
    case C.CSR.mtvec:
      return h.mtvec;
    case C.CSR.mcounteren:
      return h.mcounteren;
    case C.CSR.menvcfg:
      return h.menvcfg;
    case C.CSR.menvcfgh:
      return h.menvcfgh;
    case C.CSR.mstatush:
    case C.CSR.mcountinhibit:
    case C.CSR.mvendorid:
    case C.CSR.marchid:
    case C.CSR.mimpid:
    case C.CSR.mconfigptr:
      return 0;
    case C.CSR.mhartid:
      return h.id;
    case C.CSR.mscratch:
      return h.mscratch;
    case C.CSR.mepc:
      return h.mepc;
    case C.CSR.mcause:
      return h.mcause;
    case C.CSR.mtval:
      return h.mtval;
    case C.CSR.mip:
      return h.mip;
    case C.CSR.mcycle:
      return lo32(h.cycles);
    case C.CSR.mcycleh:
      return hi32(h.cycles);
    case C.CSR.minstret:
      return lo32(h.instret);
    case C.CSR.minstreth:
      return hi32(h.instret);
    default:
      if (csr >= C.CSR.pmpcfg0 && csr < C.CSR.pmpcfg0 + 4) return h.pmpcfg[csr - C.CSR.pmpcfg0];
      if (csr >= C.CSR.pmpaddr0 && csr < C.CSR.pmpaddr0 + 16) {
        return h.pmpaddr[csr - C.CSR.pmpaddr0];
      }
      // mhpmcounter3..31(h) and mhpmevent3..31: implemented as read-only zero.
      if ((csr >= 0xb03 && csr <= 0xb1f) || (csr >= 0xb83 && csr <= 0xb9f)) return 0;
      if (csr >= 0x323 && csr <= 0x33f) return 0;
      if ((csr >= 0xc00 && csr <= 0xc1f) || (csr >= 0xc80 && csr <= 0xc9f)) {
        if (!counterAllowed(h, csr)) break;
        switch (csr) {
          case C.CSR.cycle:
            return lo32(h.cycles);
          case C.CSR.cycleh:
            return hi32(h.cycles);
          case C.CSR.instret:
            return lo32(h.instret);
          case C.CSR.instreth:
            return hi32(h.instret);
          case C.CSR.time:
            return lo32(h.platform.now(h));
          case C.CSR.timeh:
            return hi32(h.platform.now(h));
          default:
            return 0;
        }
      }
  }
  return h.raise(C.CAUSE_ILLEGAL, ins);
}

export function csrWrite(h: Hart, csr: number, v: number, ins: number): void {
  switch (csr) {
    case C.CSR.sstatus:
      h.mstatus = (h.mstatus & ~C.SSTATUS_MASK) | (v & C.SSTATUS_MASK);
      break;
    case C.CSR.sie:
      h.mie = (h.mie & ~h.mideleg) | (v & h.mideleg);
      break;
    case C.CSR.stvec:
      h.stvec = legalTvec(v);
      break;
    case C.CSR.scounteren:
      h.scounteren = v & 7;
      break;
    case C.CSR.senvcfg:
      h.senvcfg = v & 1;
      break;
    case C.CSR.sscratch:
      h.sscratch = v;
      break;
    case C.CSR.sepc:
      h.sepc = v & ~1;
      break;
    case C.CSR.scause:
      h.scause = v;
      break;
    case C.CSR.stval:
      h.stval = v;
      break;
    case C.CSR.sip:
      h.mipSw = (h.mipSw & ~(h.mideleg & C.MIP_SSIP)) | (v & h.mideleg & C.MIP_SSIP);
      break;
    case C.CSR.stimecmp:
      h.stimecmp = hi32(h.stimecmp) * HI + (v >>> 0);
      break;
    case C.CSR.stimecmph:
      h.stimecmp = (v >>> 0) * HI + (lo32(h.stimecmp) >>> 0);
      break;
    case C.CSR.satp:
      h.satp = v;
      h.flushTlb();
      break;
    case C.CSR.mstatus: {
      let next = v & C.MSTATUS_WRITABLE;
      // MPP is WARL: the reserved value 2 leaves the field as it was.
      if (((next >>> C.MSTATUS_MPP_SHIFT) & 3) === 2) {
        next = (next & ~C.MSTATUS_MPP) | (h.mstatus & C.MSTATUS_MPP);
      }
      h.mstatus = next;
      break;
    }
    case C.CSR.medeleg:
      // Environment calls from M cannot be delegated.
      h.medeleg = v & 0xb3ff;
      break;
    case C.CSR.mideleg:
      h.mideleg = v & C.S_INTERRUPTS;
      break;
    case C.CSR.mie:
      h.mie = v & C.ALL_INTERRUPTS;
      break;
    case C.CSR.mtvec:
      h.mtvec = legalTvec(v);
      break;
    case C.CSR.mcounteren:
      h.mcounteren = v & 7;
      break;
    case C.CSR.menvcfg:
      h.menvcfg = v & 1;
      break;
    case C.CSR.menvcfgh:
      h.menvcfgh = v & C.MENVCFGH_STCE;
      break;
    case C.CSR.mscratch:
      h.mscratch = v;
      break;
    case C.CSR.mepc:
      h.mepc = v & ~1;
      break;
    case C.CSR.mcause:
      h.mcause = v;
      break;
    case C.CSR.mtval:
      h.mtval = v;
      break;
    case C.CSR.mip: {
      // With Sstc enabled, STIP follows stimecmp and is not writable.
      const mask = h.menvcfgh & C.MENVCFGH_STCE ? C.MIP_SSIP | C.MIP_SEIP : C.S_INTERRUPTS;
      h.mipSw = (h.mipSw & ~mask) | (v & mask);
      break;
    }
    case C.CSR.mcycle:
      h.stallCycles += (v >>> 0) - (lo32(h.cycles) >>> 0);
      break;
    case C.CSR.mcycleh:
      h.stallCycles += ((v | 0) - hi32(h.cycles)) * HI;
      break;
    case C.CSR.minstret:
      // The CSR write happens instead of this instruction's own retirement count.
      h.instret = hi32(h.instret) * HI + (v >>> 0) - 1;
      break;
    case C.CSR.minstreth:
      h.instret = (v >>> 0) * HI + (lo32(h.instret) >>> 0) - 1;
      break;
    case C.CSR.misa:
    case C.CSR.mstatush:
    case C.CSR.mcountinhibit:
      break; // WARL, nothing writable
    default:
      if (csr >= C.CSR.pmpcfg0 && csr < C.CSR.pmpcfg0 + 4) {
        h.pmpcfg[csr - C.CSR.pmpcfg0] = v;
        break;
      }
      if (csr >= C.CSR.pmpaddr0 && csr < C.CSR.pmpaddr0 + 16) {
        h.pmpaddr[csr - C.CSR.pmpaddr0] = v & 0x3fffffff;
        break;
      }
      if ((csr >= 0xb03 && csr <= 0xb1f) || (csr >= 0xb83 && csr <= 0xb9f)) break;
      if (csr >= 0x323 && csr <= 0x33f) break;
      h.raise(C.CAUSE_ILLEGAL, ins);
  }
}

/** xtvec MODE is WARL over {direct, vectored}; the reserved modes read back as direct. */
function legalTvec(v: number): number {
  return (v & 3) > 1 ? v & ~3 : v;
}
