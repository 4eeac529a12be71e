/**
 * RV32IMAC + Zicsr + Zifencei decoder. Each instruction word is decoded once into a
 * packed word and an immediate, which the hart caches per code page (DESIGN §10):
 *
 *   bits 0-7 op, 8-13 rd (x0 is remapped to 32, a sink register, so the executor never
 *   tests rd == 0), 14-18 rs1, 19-23 rs2, 28-30 instruction length in bytes (2 or 4).
 *
 * Compressed instructions decode to the op of their 32-bit equivalent with length 2.
 * For CSR and privileged SYSTEM ops, and for ILLEGAL, the immediate holds the raw
 * instruction bits, which the hart needs for the CSR number and for mtval.
 */
export const Op = {
  UNDECODED: 0,
  LUI: 1,
  AUIPC: 2,
  JAL: 3,
  JALR: 4,
  BEQ: 5,
  BNE: 6,
  BLT: 7,
  BGE: 8,
  BLTU: 9,
  BGEU: 10,
  LB: 11,
  LH: 12,
  LW: 13,
  LBU: 14,
  LHU: 15,
  SB: 16,
  SH: 17,
  SW: 18,
  ADDI: 19,
  SLTI: 20,
  SLTIU: 21,
  XORI: 22,
  ORI: 23,
  ANDI: 24,
  SLLI: 25,
  SRLI: 26,
  SRAI: 27,
  ADD: 28,
  SUB: 29,
  SLL: 30,
  SLT: 31,
  SLTU: 32,
  XOR: 33,
  SRL: 34,
  SRA: 35,
  OR: 36,
  AND: 37,
  MUL: 38,
  MULH: 39,
  MULHSU: 40,
  MULHU: 41,
  DIV: 42,
  DIVU: 43,
  REM: 44,
  REMU: 45,
  FENCE: 46,
  FENCE_I: 47,
  ECALL: 48,
  EBREAK: 49,
  MRET: 50,
  SRET: 51,
  WFI: 52,
  SFENCE_VMA: 53,
  CSRRW: 54,
  CSRRS: 55,
  CSRRC: 56,
  CSRRWI: 57,
  CSRRSI: 58,
  CSRRCI: 59,
  LR_W: 60,
  SC_W: 61,
  AMOSWAP_W: 62,
  AMOADD_W: 63,
  AMOXOR_W: 64,
  AMOAND_W: 65,
  AMOOR_W: 66,
  AMOMIN_W: 67,
  AMOMAX_W: 68,
  AMOMINU_W: 69,
  AMOMAXU_W: 70,
  ILLEGAL: 71,
} as const;
export type OpName = keyof typeof Op;
export const OP_NAMES: readonly OpName[] = Object.keys(Op) as OpName[];

/** Register index that absorbs writes to x0. */
export const X_SINK = 32;

export interface Decoded {
  op: OpName;
  rd: number;
  rs1: number;
  rs2: number;
  imm: number;
  len: 2 | 4;
}

function pack(op: number, rd: number, rs1: number, rs2: number, len: number): number {
  return op | ((rd === 0 ? X_SINK : rd) << 8) | (rs1 << 14) | (rs2 << 19) | (len << 28);
}

/** Scratch output so the cached-path decoder allocates nothing. */
const tmp = new Int32Array(2);

/** Decode `ins` (a 32-bit word, or a 16-bit parcel in its low half) into out[i], out[i+1]. */
export function decodeInto(ins: number, out: Int32Array, i: number): void {
  if ((ins & 3) !== 3) decodeCompressed(ins & 0xffff, out, i);
  else decode32(ins | 0, out, i);
}

/** Length in bytes of the instruction whose low 16 bits are `parcel`. */
export function instructionLength(parcel: number): 2 | 4 {
  return (parcel & 3) === 3 ? 4 : 2;
}

function illegal(ins: number, len: number, out: Int32Array, i: number): void {
  out[i] = pack(Op.ILLEGAL, 0, 0, 0, len);
  out[i + 1] = ins;
}

function emit(
  out: Int32Array,
  i: number,
  op: number,
  rd: number,
  rs1: number,
  rs2: number,
  imm: number,
  len: number,
): void {
  out[i] = pack(op, rd, rs1, rs2, len);
  out[i + 1] = imm;
}

const BRANCH_OPS = [Op.BEQ, Op.BNE, -1, -1, Op.BLT, Op.BGE, Op.BLTU, Op.BGEU];
const LOAD_OPS = [Op.LB, Op.LH, Op.LW, -1, Op.LBU, Op.LHU, -1, -1];
const STORE_OPS = [Op.SB, Op.SH, Op.SW, -1, -1, -1, -1, -1];
const OPIMM_OPS = [Op.ADDI, -1, Op.SLTI, Op.SLTIU, Op.XORI, -1, Op.ORI, Op.ANDI];
const OP_OPS = [Op.ADD, Op.SLL, Op.SLT, Op.SLTU, Op.XOR, Op.SRL, Op.OR, Op.AND];
const MULDIV_OPS = [Op.MUL, Op.MULH, Op.MULHSU, Op.MULHU, Op.DIV, Op.DIVU, Op.REM, Op.REMU];
const CSR_OPS = [-1, Op.CSRRW, Op.CSRRS, Op.CSRRC, -1, Op.CSRRWI, Op.CSRRSI, Op.CSRRCI];
/** AMO funct5 -> op. */
const AMO_OPS: Record<number, number> = {
  0x00: Op.AMOADD_W,
  0x01: Op.AMOSWAP_W,
  0x02: Op.LR_W,
  0x03: Op.SC_W,
  0x04: Op.AMOXOR_W,
  0x08: Op.AMOOR_W,
  0x0c: Op.AMOAND_W,
  0x10: Op.AMOMIN_W,
  0x14: Op.AMOMAX_W,
  0x18: Op.AMOMINU_W,
  0x1c: Op.AMOMAXU_W,
};

function decode32(ins: number, out: Int32Array, i: number): void {
  const opcode = ins & 0x7f;
  const rd = (ins >>> 7) & 31;
  const f3 = (ins >>> 12) & 7;
  const rs1 = (ins >>> 15) & 31;
  const rs2 = (ins >>> 20) & 31;
  const f7 = ins >>> 25;
  const immI = ins >> 20;
  let op = -1;
  switch (opcode) {
    case 0x37:
      return emit(out, i, Op.LUI, rd, 0, 0, ins & 0xfffff000, 4);
    case 0x17:
      return emit(out, i, Op.AUIPC, rd, 0, 0, ins & 0xfffff000, 4);
    case 0x6f: {
      const imm =
        ((ins >> 31) << 20) |
        (ins & 0xff000) |
        (((ins >>> 20) & 1) << 11) |
        (((ins >>> 21) & 0x3ff) << 1);
      return emit(out, i, Op.JAL, rd, 0, 0, imm, 4);
    }
    case 0x67:
      if (f3 !== 0) break;
      return emit(out, i, Op.JALR, rd, rs1, 0, immI, 4);
    case 0x63: {
      op = BRANCH_OPS[f3];
      if (op < 0) break;
      const imm =
        ((ins >> 31) << 12) |
        (((ins >>> 7) & 1) << 11) |
        (((ins >>> 25) & 0x3f) << 5) |
        (((ins >>> 8) & 0xf) << 1);
      return emit(out, i, op, 0, rs1, rs2, imm, 4);
    }
    case 0x03:
      op = LOAD_OPS[f3];
      if (op < 0) break;
      return emit(out, i, op, rd, rs1, 0, immI, 4);
    case 0x23:
      op = STORE_OPS[f3];
      if (op < 0) break;
      return emit(out, i, op, 0, rs1, rs2, ((ins >> 25) << 5) | ((ins >>> 7) & 31), 4);
    case 0x13:
      if (f3 === 1) {
        if (f7 !== 0) break;
        return emit(out, i, Op.SLLI, rd, rs1, 0, rs2, 4);
      }
      if (f3 === 5) {
        if (f7 === 0) return emit(out, i, Op.SRLI, rd, rs1, 0, rs2, 4);
        if (f7 === 0x20) return emit(out, i, Op.SRAI, rd, rs1, 0, rs2, 4);
        break;
      }
      return emit(out, i, OPIMM_OPS[f3], rd, rs1, 0, immI, 4);
    case 0x33:
      if (f7 === 0) op = OP_OPS[f3];
      else if (f7 === 1) op = MULDIV_OPS[f3];
      else if (f7 === 0x20 && f3 === 0) op = Op.SUB;
      else if (f7 === 0x20 && f3 === 5) op = Op.SRA;
      if (op < 0) break;
      return emit(out, i, op, rd, rs1, rs2, 0, 4);
    case 0x0f:
      // FENCE (including PAUSE and FENCE.TSO) orders nothing in a sequentially
      // consistent emulator; FENCE.I is a no-op because stores already invalidate code.
      if (f3 === 0) return emit(out, i, Op.FENCE, 0, 0, 0, 0, 4);
      if (f3 === 1) return emit(out, i, Op.FENCE_I, 0, 0, 0, 0, 4);
      break;
    case 0x73:
      if (f3 === 0) {
        if (ins === 0x00000073) op = Op.ECALL;
        else if (ins === 0x00100073) op = Op.EBREAK;
        else if (ins === 0x30200073) op = Op.MRET;
        else if (ins === 0x10200073) op = Op.SRET;
        else if (ins === 0x10500073) op = Op.WFI;
        else if (f7 === 0x09 && rd === 0) op = Op.SFENCE_VMA;
        if (op < 0) break;
        // Only SFENCE.VMA has register operands (vaddr, asid).
        if (op !== Op.SFENCE_VMA) return emit(out, i, op, 0, 0, 0, ins, 4);
        return emit(out, i, op, 0, rs1, rs2, ins, 4);
      }
      op = CSR_OPS[f3];
      if (op < 0) break;
      return emit(out, i, op, rd, rs1, 0, ins, 4);
    case 0x2f: {
      if (f3 !== 2) break;
      op = AMO_OPS[ins >>> 27] ?? -1;
      if (op < 0 || (op === Op.LR_W && rs2 !== 0)) break;
      return emit(out, i, op, rd, rs1, rs2, 0, 4);
    }
  }
  illegal(ins, 4, out, i);
}

/** Expand a 16-bit RVC parcel to its base-ISA op. */
function decodeCompressed(c: number, out: Int32Array, i: number): void {
  const f3 = c >>> 13;
  const rdp = 8 + ((c >>> 2) & 7); // rd'/rs2' at bits 4:2
  const rs1p = 8 + ((c >>> 7) & 7); // rs1'/rd' at bits 9:7
  const rd = (c >>> 7) & 31;
  const rs2 = (c >>> 2) & 31;
  const imm6 = ((((c >>> 7) & 0x20) | ((c >>> 2) & 0x1f)) << 26) >> 26;
  switch (c & 3) {
    case 0:
      if (f3 === 0) {
        const imm =
          ((c >>> 7) & 0x30) | ((c >>> 1) & 0x3c0) | ((c >>> 4) & 0x4) | ((c >>> 2) & 0x8);
        if (imm === 0) break; // includes the all-zero parcel, defined illegal
        return emit(out, i, Op.ADDI, rdp, 2, 0, imm, 2);
      }
      if (f3 === 2 || f3 === 6) {
        const imm = ((c >>> 7) & 0x38) | ((c << 1) & 0x40) | ((c >>> 4) & 0x4);
        if (f3 === 2) return emit(out, i, Op.LW, rdp, rs1p, 0, imm, 2);
        return emit(out, i, Op.SW, 0, rs1p, rdp, imm, 2);
      }
      break; // FP loads/stores (no F/D) and the reserved slot
    case 1:
      switch (f3) {
        case 0:
          return emit(out, i, Op.ADDI, rd, rd, 0, imm6, 2);
        case 1:
        case 5: {
          const imm =
            ((((c >>> 1) & 0x800) |
              ((c >>> 7) & 0x10) |
              ((c >>> 1) & 0x300) |
              ((c << 2) & 0x400) |
              ((c >>> 1) & 0x40) |
              ((c << 1) & 0x80) |
              ((c >>> 2) & 0xe) |
              ((c << 3) & 0x20)) <<
              20) >>
            20;
          return emit(out, i, Op.JAL, f3 === 1 ? 1 : 0, 0, 0, imm, 2);
        }
        case 2:
          return emit(out, i, Op.ADDI, rd, 0, 0, imm6, 2);
        case 3:
          if (rd === 2) {
            const imm =
              ((((c >>> 3) & 0x200) |
                ((c >>> 2) & 0x10) |
                ((c << 1) & 0x40) |
                ((c << 4) & 0x180) |
                ((c << 3) & 0x20)) <<
                22) >>
              22;
            if (imm === 0) break;
            return emit(out, i, Op.ADDI, 2, 2, 0, imm, 2);
          }
          if (imm6 === 0) break;
          return emit(out, i, Op.LUI, rd, 0, 0, imm6 << 12, 2);
        case 4: {
          const f2 = (c >>> 10) & 3;
          if (f2 < 2) {
            if (c & 0x1000) break; // shamt[5] set is reserved on RV32
            return emit(out, i, f2 === 0 ? Op.SRLI : Op.SRAI, rs1p, rs1p, 0, rs2, 2);
          }
          if (f2 === 2) return emit(out, i, Op.ANDI, rs1p, rs1p, 0, imm6, 2);
          if (c & 0x1000) break; // RV64 subw/addw
          const op = [Op.SUB, Op.XOR, Op.OR, Op.AND][(c >>> 5) & 3];
          return emit(out, i, op, rs1p, rs1p, rdp, 0, 2);
        }
        default: {
          const imm =
            ((((c >>> 4) & 0x100) |
              ((c >>> 7) & 0x18) |
              ((c << 1) & 0xc0) |
              ((c >>> 2) & 0x6) |
              ((c << 3) & 0x20)) <<
              23) >>
            23;
          return emit(out, i, f3 === 6 ? Op.BEQ : Op.BNE, 0, rs1p, 0, imm, 2);
        }
      }
      break;
    case 2:
      switch (f3) {
        case 0:
          if (c & 0x1000) break; // shamt[5] set is reserved on RV32
          return emit(out, i, Op.SLLI, rd, rd, 0, rs2, 2);
        case 2: {
          if (rd === 0) break;
          const imm = ((c >>> 7) & 0x20) | ((c >>> 2) & 0x1c) | ((c << 4) & 0xc0);
          return emit(out, i, Op.LW, rd, 2, 0, imm, 2);
        }
        case 4:
          if ((c & 0x1000) === 0) {
            if (rs2 === 0) {
              if (rd === 0) break;
              return emit(out, i, Op.JALR, 0, rd, 0, 0, 2);
            }
            return emit(out, i, Op.ADD, rd, 0, rs2, 0, 2);
          }
          if (rs2 === 0) {
            if (rd === 0) return emit(out, i, Op.EBREAK, 0, 0, 0, c, 2);
            return emit(out, i, Op.JALR, 1, rd, 0, 0, 2);
          }
          return emit(out, i, Op.ADD, rd, rd, rs2, 0, 2);
        case 6: {
          const imm = ((c >>> 7) & 0x3c) | ((c >>> 1) & 0xc0);
          return emit(out, i, Op.SW, 0, 2, rs2, imm, 2);
        }
      }
      break;
  }
  illegal(c, 2, out, i);
}

/** Human-readable decode, for tests and the trace view. */
export function decode(ins: number): Decoded {
  decodeInto(ins, tmp, 0);
  const w = tmp[0];
  const rd = (w >>> 8) & 63;
  return {
    op: OP_NAMES[w & 0xff],
    rd: rd === X_SINK ? 0 : rd,
    rs1: (w >>> 14) & 31,
    rs2: (w >>> 19) & 31,
    imm: tmp[1],
    len: (w >>> 28) as 2 | 4,
  };
}
