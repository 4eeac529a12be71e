import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decode,
  decodeInto,
  instructionLength,
  Op,
  OP_NAMES,
  type OpName,
  X_SINK,
} from './decode.ts';

/**
 * Encodings in these tables were produced by GNU as 2.40
 * (`riscv64-unknown-elf-as -march=rv32imac_zicsr_zifencei -mabi=ilp32`, `.option norelax`,
 * linked at 0x80000000) and read back with `riscv64-unknown-elf-objdump -d -M
 * no-aliases,numeric`. The asm column is the disassembler's text, except that branch and
 * jump targets are written as `.±offset` from the instruction's own address. The expected
 * fields are written from that text following the decoder's conventions:
 *   - rd is 0 when the instruction has no destination (branches, stores, FENCE, SYSTEM);
 *   - LUI/AUIPC/C.LUI imm is the shifted value (imm20 << 12);
 *   - SYSTEM and CSR ops carry the raw instruction bits in imm ('raw'); CSR ops also list
 *     the CSR number the assembler printed (mstatus 0x300, mhartid 0xf14, mip 0x344,
 *     satp 0x180, mtvec 0x305, sstatus 0x100), which must be imm[31:20];
 *   - CSRR*I put the 5-bit zimm in rs1;
 *   - compressed forms are expanded to their base-ISA equivalent with len 2.
 */
type Case = readonly [
  asm: string,
  hex: number,
  op: OpName,
  rd: number,
  rs1: number,
  rs2: number,
  imm: number | 'raw',
  csr?: number,
];

const BASE: readonly Case[] = [
  ['lui x5,0x12345', 0x123452b7, 'LUI', 5, 0, 0, 0x12345 << 12],
  ['lui x1,0xfffff', 0xfffff0b7, 'LUI', 1, 0, 0, 0xfffff << 12],
  ['lui x0,0x80000', 0x80000037, 'LUI', 0, 0, 0, 0x80000 << 12],
  ['lui x31,0x0', 0x00000fb7, 'LUI', 31, 0, 0, 0x0 << 12],
  ['auipc x10,0x80000', 0x80000517, 'AUIPC', 10, 0, 0, 0x80000 << 12],
  ['auipc x0,0x1', 0x00001017, 'AUIPC', 0, 0, 0, 0x1 << 12],
  ['jal x1,.+1048574', 0x7ffff0ef, 'JAL', 1, 0, 0, 1048574],
  ['jal x0,.-1048576', 0x8000006f, 'JAL', 0, 0, 0, -1048576],
  ['jal x1,.-4', 0xffdff0ef, 'JAL', 1, 0, 0, -4],
  ['jal x31,.+2048', 0x00100fef, 'JAL', 31, 0, 0, 2048],
  ['jalr x1,0(x5)', 0x000280e7, 'JALR', 1, 5, 0, 0],
  ['jalr x0,-2048(x31)', 0x800f8067, 'JALR', 0, 31, 0, -2048],
  ['jalr x7,2047(x8)', 0x7ff403e7, 'JALR', 7, 8, 0, 2047],
  ['beq x1,x2,.+8', 0x00208463, 'BEQ', 0, 1, 2, 8],
  ['bne x3,x4,.-8', 0xfe419ce3, 'BNE', 0, 3, 4, -8],
  ['blt x31,x0,.+4094', 0x7e0fcfe3, 'BLT', 0, 31, 0, 4094],
  ['bge x0,x31,.-4096', 0x81f05063, 'BGE', 0, 0, 31, -4096],
  ['bltu x5,x6,.+2048', 0x0062e0e3, 'BLTU', 0, 5, 6, 2048],
  ['bgeu x7,x8,.-2050', 0xfe83ff63, 'BGEU', 0, 7, 8, -2050],
  ['lb x1,-2048(x2)', 0x80010083, 'LB', 1, 2, 0, -2048],
  ['lh x3,2047(x4)', 0x7ff21183, 'LH', 3, 4, 0, 2047],
  ['lw x5,0(x6)', 0x00032283, 'LW', 5, 6, 0, 0],
  ['lbu x7,-1(x8)', 0xfff44383, 'LBU', 7, 8, 0, -1],
  ['lhu x0,4(x31)', 0x004fd003, 'LHU', 0, 31, 0, 4],
  ['sb x1,-2048(x2)', 0x80110023, 'SB', 0, 2, 1, -2048],
  ['sh x31,2047(x0)', 0x7ff01fa3, 'SH', 0, 0, 31, 2047],
  ['sw x5,-4(x6)', 0xfe532e23, 'SW', 0, 6, 5, -4],
  ['addi x1,x2,-2048', 0x80010093, 'ADDI', 1, 2, 0, -2048],
  ['addi x3,x4,2047', 0x7ff20193, 'ADDI', 3, 4, 0, 2047],
  ['addi x0,x0,0', 0x00000013, 'ADDI', 0, 0, 0, 0],
  ['slti x5,x6,-1', 0xfff32293, 'SLTI', 5, 6, 0, -1],
  ['sltiu x7,x8,1', 0x00143393, 'SLTIU', 7, 8, 0, 1],
  ['xori x9,x10,-1', 0xfff54493, 'XORI', 9, 10, 0, -1],
  ['ori x11,x12,1365', 0x55566593, 'ORI', 11, 12, 0, 1365],
  ['andi x13,x14,-2048', 0x80077693, 'ANDI', 13, 14, 0, -2048],
  ['slli x1,x2,0x1f', 0x01f11093, 'SLLI', 1, 2, 0, 31],
  ['slli x0,x3,0x0', 0x00019013, 'SLLI', 0, 3, 0, 0],
  ['srli x3,x4,0x1', 0x00125193, 'SRLI', 3, 4, 0, 1],
  ['srai x5,x6,0x1f', 0x41f35293, 'SRAI', 5, 6, 0, 31],
  ['add x1,x2,x3', 0x003100b3, 'ADD', 1, 2, 3, 0],
  ['add x0,x31,x30', 0x01ef8033, 'ADD', 0, 31, 30, 0],
  ['sub x4,x5,x6', 0x40628233, 'SUB', 4, 5, 6, 0],
  ['sll x7,x8,x9', 0x009413b3, 'SLL', 7, 8, 9, 0],
  ['slt x10,x11,x12', 0x00c5a533, 'SLT', 10, 11, 12, 0],
  ['sltu x13,x14,x15', 0x00f736b3, 'SLTU', 13, 14, 15, 0],
  ['xor x16,x17,x18', 0x0128c833, 'XOR', 16, 17, 18, 0],
  ['srl x19,x20,x21', 0x015a59b3, 'SRL', 19, 20, 21, 0],
  ['sra x22,x23,x24', 0x418bdb33, 'SRA', 22, 23, 24, 0],
  ['or x25,x26,x27', 0x01bd6cb3, 'OR', 25, 26, 27, 0],
  ['and x28,x29,x30', 0x01eefe33, 'AND', 28, 29, 30, 0],
  ['mul x1,x2,x3', 0x023100b3, 'MUL', 1, 2, 3, 0],
  ['mulh x4,x5,x6', 0x02629233, 'MULH', 4, 5, 6, 0],
  ['mulhsu x7,x8,x9', 0x029423b3, 'MULHSU', 7, 8, 9, 0],
  ['mulhu x10,x11,x12', 0x02c5b533, 'MULHU', 10, 11, 12, 0],
  ['div x13,x14,x15', 0x02f746b3, 'DIV', 13, 14, 15, 0],
  ['divu x16,x17,x18', 0x0328d833, 'DIVU', 16, 17, 18, 0],
  ['rem x19,x20,x21', 0x035a69b3, 'REM', 19, 20, 21, 0],
  ['remu x22,x23,x31', 0x03fbfb33, 'REMU', 22, 23, 31, 0],
  ['fence iorw,iorw', 0x0ff0000f, 'FENCE', 0, 0, 0, 0],
  ['fence r,w', 0x0210000f, 'FENCE', 0, 0, 0, 0],
  ['fence.tso', 0x8330000f, 'FENCE', 0, 0, 0, 0],
  ['fence.i', 0x0000100f, 'FENCE_I', 0, 0, 0, 0],
  ['ecall', 0x00000073, 'ECALL', 0, 0, 0, 'raw'],
  ['ebreak', 0x00100073, 'EBREAK', 0, 0, 0, 'raw'],
  ['mret', 0x30200073, 'MRET', 0, 0, 0, 'raw'],
  ['sret', 0x10200073, 'SRET', 0, 0, 0, 'raw'],
  ['wfi', 0x10500073, 'WFI', 0, 0, 0, 'raw'],
  ['sfence.vma x0,x0', 0x12000073, 'SFENCE_VMA', 0, 0, 0, 'raw'],
  ['sfence.vma x1,x2', 0x12208073, 'SFENCE_VMA', 0, 1, 2, 'raw'],
  ['sfence.vma x5,x0', 0x12028073, 'SFENCE_VMA', 0, 5, 0, 'raw'],
  ['csrrw x1,mstatus,x2', 0x300110f3, 'CSRRW', 1, 2, 0, 'raw', 0x300],
  ['csrrs x3,mhartid,x0', 0xf14021f3, 'CSRRS', 3, 0, 0, 'raw', 0xf14],
  ['csrrc x0,mip,x31', 0x344fb073, 'CSRRC', 0, 31, 0, 'raw', 0x344],
  ['csrrw x0,satp,x5', 0x18029073, 'CSRRW', 0, 5, 0, 'raw', 0x180],
  ['csrrwi x1,mtvec,31', 0x305fd0f3, 'CSRRWI', 1, 31, 0, 'raw', 0x305],
  ['csrrsi x0,sstatus,1', 0x1000e073, 'CSRRSI', 0, 1, 0, 'raw', 0x100],
  ['csrrci x31,0xfff,0', 0xfff07ff3, 'CSRRCI', 31, 0, 0, 'raw', 0xfff],
  ['lr.w x1,(x2)', 0x100120af, 'LR_W', 1, 2, 0, 0],
  ['lr.w.aq x3,(x4)', 0x140221af, 'LR_W', 3, 4, 0, 0],
  ['lr.w.aqrl x5,(x31)', 0x160fa2af, 'LR_W', 5, 31, 0, 0],
  ['sc.w x3,x4,(x5)', 0x1842a1af, 'SC_W', 3, 5, 4, 0],
  ['sc.w.rl x0,x6,(x7)', 0x1a63a02f, 'SC_W', 0, 7, 6, 0],
  ['amoswap.w x1,x2,(x3)', 0x0821a0af, 'AMOSWAP_W', 1, 3, 2, 0],
  ['amoswap.w.aqrl x0,x31,(x30)', 0x0fff202f, 'AMOSWAP_W', 0, 30, 31, 0],
  ['amoadd.w x4,x5,(x6)', 0x0053222f, 'AMOADD_W', 4, 6, 5, 0],
  ['amoadd.w.aq x7,x8,(x9)', 0x0484a3af, 'AMOADD_W', 7, 9, 8, 0],
  ['amoxor.w x10,x11,(x12)', 0x20b6252f, 'AMOXOR_W', 10, 12, 11, 0],
  ['amoand.w x13,x14,(x15)', 0x60e7a6af, 'AMOAND_W', 13, 15, 14, 0],
  ['amoor.w x16,x17,(x18)', 0x4119282f, 'AMOOR_W', 16, 18, 17, 0],
  ['amomin.w x19,x20,(x21)', 0x814aa9af, 'AMOMIN_W', 19, 21, 20, 0],
  ['amomax.w x22,x23,(x24)', 0xa17c2b2f, 'AMOMAX_W', 22, 24, 23, 0],
  ['amominu.w x25,x26,(x27)', 0xc1adacaf, 'AMOMINU_W', 25, 27, 26, 0],
  ['amomaxu.w.rl x28,x29,(x30)', 0xe3df2e2f, 'AMOMAXU_W', 28, 30, 29, 0],
];

/** RV32C, assembled with `.option rvc` and explicit `c.` mnemonics. */
const RVC: readonly Case[] = [
  ['c.addi4spn x8,x2,4', 0x0040, 'ADDI', 8, 2, 0, 4],
  ['c.addi4spn x15,x2,1020', 0x1ffc, 'ADDI', 15, 2, 0, 1020],
  ['c.lw x8,0(x9)', 0x4080, 'LW', 8, 9, 0, 0],
  ['c.lw x15,124(x15)', 0x5ffc, 'LW', 15, 15, 0, 124],
  ['c.sw x8,124(x9)', 0xdce0, 'SW', 0, 9, 8, 124],
  ['c.sw x15,4(x8)', 0xc05c, 'SW', 0, 8, 15, 4],
  ['c.addi x0,0', 0x0001, 'ADDI', 0, 0, 0, 0],
  ['c.addi x1,-32', 0x1081, 'ADDI', 1, 1, 0, -32],
  ['c.addi x31,31', 0x0ffd, 'ADDI', 31, 31, 0, 31],
  ['c.jal .+2046', 0x2ffd, 'JAL', 1, 0, 0, 2046],
  ['c.jal .-2048', 0x3001, 'JAL', 1, 0, 0, -2048],
  ['c.jal .-2', 0x3ffd, 'JAL', 1, 0, 0, -2],
  ['c.li x5,-32', 0x5281, 'ADDI', 5, 0, 0, -32],
  ['c.li x31,31', 0x4ffd, 'ADDI', 31, 0, 0, 31],
  ['c.addi16sp x2,-512', 0x7101, 'ADDI', 2, 2, 0, -512],
  ['c.addi16sp x2,496', 0x617d, 'ADDI', 2, 2, 0, 496],
  ['c.addi16sp x2,16', 0x6141, 'ADDI', 2, 2, 0, 16],
  ['c.lui x3,0x1', 0x6185, 'LUI', 3, 0, 0, 0x1 << 12],
  ['c.lui x31,0xfffff', 0x7ffd, 'LUI', 31, 0, 0, 0xfffff << 12],
  ['c.lui x4,0xfffe0', 0x7201, 'LUI', 4, 0, 0, 0xfffe0 << 12],
  ['c.lui x5,0x1f', 0x62fd, 'LUI', 5, 0, 0, 0x1f << 12],
  ['c.srli x8,0x1', 0x8005, 'SRLI', 8, 8, 0, 1],
  ['c.srli x15,0x1f', 0x83fd, 'SRLI', 15, 15, 0, 31],
  ['c.srai x9,0x1f', 0x84fd, 'SRAI', 9, 9, 0, 31],
  ['c.srai x10,0x1', 0x8505, 'SRAI', 10, 10, 0, 1],
  ['c.andi x10,-32', 0x9901, 'ANDI', 10, 10, 0, -32],
  ['c.andi x11,31', 0x89fd, 'ANDI', 11, 11, 0, 31],
  ['c.sub x8,x9', 0x8c05, 'SUB', 8, 8, 9, 0],
  ['c.xor x10,x11', 0x8d2d, 'XOR', 10, 10, 11, 0],
  ['c.or x12,x13', 0x8e55, 'OR', 12, 12, 13, 0],
  ['c.and x14,x15', 0x8f7d, 'AND', 14, 14, 15, 0],
  ['c.j .+2046', 0xaffd, 'JAL', 0, 0, 0, 2046],
  ['c.j .-2048', 0xb001, 'JAL', 0, 0, 0, -2048],
  ['c.j .+2', 0xa009, 'JAL', 0, 0, 0, 2],
  ['c.beqz x8,.+254', 0xcc7d, 'BEQ', 0, 8, 0, 254],
  ['c.beqz x9,.-256', 0xd081, 'BEQ', 0, 9, 0, -256],
  ['c.bnez x15,.-2', 0xfffd, 'BNE', 0, 15, 0, -2],
  ['c.bnez x10,.+4', 0xe111, 'BNE', 0, 10, 0, 4],
  ['c.slli x1,0x1f', 0x00fe, 'SLLI', 1, 1, 0, 31],
  ['c.slli x31,0x1', 0x0f86, 'SLLI', 31, 31, 0, 1],
  ['c.lwsp x1,252(x2)', 0x50fe, 'LW', 1, 2, 0, 252],
  ['c.lwsp x31,0(x2)', 0x4f82, 'LW', 31, 2, 0, 0],
  ['c.jr x1', 0x8082, 'JALR', 0, 1, 0, 0],
  ['c.jr x31', 0x8f82, 'JALR', 0, 31, 0, 0],
  ['c.mv x1,x2', 0x808a, 'ADD', 1, 0, 2, 0],
  ['c.mv x31,x30', 0x8ffa, 'ADD', 31, 0, 30, 0],
  ['c.ebreak', 0x9002, 'EBREAK', 0, 0, 0, 'raw'],
  ['c.jalr x5', 0x9282, 'JALR', 1, 5, 0, 0],
  ['c.jalr x31', 0x9f82, 'JALR', 1, 31, 0, 0],
  ['c.add x1,x31', 0x90fe, 'ADD', 1, 1, 31, 0],
  ['c.add x31,x1', 0x9f86, 'ADD', 31, 31, 1, 0],
  ['c.swsp x31,252(x2)', 0xdffe, 'SW', 0, 2, 31, 252],
  ['c.swsp x0,0(x2)', 0xc002, 'SW', 0, 2, 0, 0],
];

function expected(c: Case, len: 2 | 4) {
  const [, hex, op, rd, rs1, rs2, imm] = c;
  return { op, rd, rs1, rs2, imm: imm === 'raw' ? hex | 0 : imm, len };
}

describe('decode: assembler-produced encodings', () => {
  describe.each([
    ['RV32IMA + Zicsr + Zifencei', BASE, 4 as const],
    ['RV32C', RVC, 2 as const],
  ])('%s', (_name, table, len) => {
    for (const c of table) {
      const [asm, hex, , , , , , csr] = c;
      const title = `${asm} (0x${hex.toString(16).padStart(len * 2, '0')})`;
      it(title, () => {
        expect(decode(hex)).toEqual(expected(c, len));
        if (csr !== undefined) expect(decode(hex).imm >>> 20).toBe(csr);
      });
    }
  });

  it('covers every op in the table except UNDECODED and ILLEGAL', () => {
    const seen = new Set([...BASE, ...RVC].map((c) => c[2]));
    const missing = OP_NAMES.filter((n) => n !== 'UNDECODED' && n !== 'ILLEGAL' && !seen.has(n));
    expect(missing).toEqual([]);
  });

  it('agrees with instructionLength on every table entry', () => {
    for (const [, hex] of BASE) expect(instructionLength(hex & 0xffff)).toBe(4);
    for (const [, hex] of RVC) expect(instructionLength(hex)).toBe(2);
  });

  it('decodes a parcel the same way whatever sits in the upper half-word', () => {
    for (const [, hex] of RVC) {
      expect(decode(0xdead0000 | hex)).toEqual(decode(hex));
      expect(decode(0xffff0000 + hex)).toEqual(decode(hex));
    }
  });

  it('decodes the RV64 c.addiw parcel (c.addiw x5,3 = 0x228d) as RV32 c.jal .+354', () => {
    // objdump -march=rv32imac shows 0x228d at 0x1a as `c.jal 17c`.
    expect(decode(0x228d)).toEqual({ op: 'JAL', rd: 1, rs1: 0, rs2: 0, imm: 354, len: 2 });
  });
});

/** Encoders for hand-built reserved encodings (fields as named in the ISA manual). */
function rType(f7: number, rs2: number, rs1: number, f3: number, rd: number, opc: number): number {
  return ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opc) >>> 0;
}
function iType(imm: number, rs1: number, f3: number, rd: number, opc: number): number {
  return (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opc) >>> 0;
}

/** [description, raw bits]; low two bits decide the expected length. */
const ILLEGAL_32: readonly (readonly [string, number])[] = [
  ['all ones', 0xffffffff],
  // Unknown/unimplemented major opcodes.
  ['custom-0', 0x0000000b],
  ['custom-1', 0x0000002b],
  ['custom-2', 0x0000005b],
  ['custom-3', 0x0000007b],
  ['OP-V', 0x00000057],
  ['reserved opcode 0x77', 0x00000077],
  ['reserved opcode 0x6b', 0x0000006b],
  ['48-bit prefix', 0x0000001f],
  ['64-bit prefix', 0x0000003f],
  ['OP-IMM-32, all fields zero', 0x0000001b],
  ['OP-32, all fields zero', 0x0000003b],
  // RV64-only instructions (GNU as -march=rv64imafdc).
  ['addw x1,x2,x3', 0x003100bb],
  ['subw x4,x5,x6', 0x4062823b],
  ['sllw x7,x8,x9', 0x009413bb],
  ['srlw x10,x11,x12', 0x00c5d53b],
  ['sraw x13,x14,x15', 0x40f756bb],
  ['addiw x1,x2,-1', 0xfff1009b],
  ['slliw x3,x4,0x5', 0x0052119b],
  ['srliw x5,x6,0x7', 0x0073529b],
  ['sraiw x7,x8,0x9', 0x4094539b],
  ['ld x1,8(x2)', 0x00813083],
  ['sd x3,-8(x4)', 0xfe323c23],
  ['lwu x5,12(x6)', 0x00c36283],
  ['mulw x1,x2,x3', 0x023100bb],
  ['divw x4,x5,x6', 0x0262c23b],
  ['remuw x7,x8,x9', 0x029473bb],
  ['slli x1,x2,0x20 (RV64 shamt, funct7=1)', 0x02011093],
  ['srli x3,x4,0x3f (RV64 shamt)', 0x03f25193],
  ['srai x5,x6,0x28 (RV64 shamt)', 0x42835293],
  ['lr.d x1,(x2)', 0x100130af],
  ['sc.d x3,x4,(x5)', 0x1842b1af],
  ['amoadd.d x6,x7,(x8)', 0x0074332f],
  ['amoswap.d x9,x10,(x11)', 0x08a5b4af],
  // F/D (not implemented), GNU as -march=rv32imafdc.
  ['flw f1,4(x2)', 0x00412087],
  ['fsw f3,8(x4)', 0x00322427],
  ['fld f5,16(x6)', 0x01033287],
  ['fsd f7,24(x8)', 0x00743c27],
  ['fadd.s f1,f2,f3', 0x003170d3],
  ['fmadd.s f1,f2,f3,f4', 0x203170c3],
  // Reserved funct3/funct7 values in implemented opcodes.
  ['branch funct3=2', rType(0, 2, 1, 2, 0, 0x63)],
  ['branch funct3=3', rType(0, 2, 1, 3, 0, 0x63)],
  ['load funct3=7', iType(0, 1, 7, 2, 0x03)],
  ['store funct3=4', rType(0, 2, 1, 4, 0, 0x23)],
  ['store funct3=5', rType(0, 2, 1, 5, 0, 0x23)],
  ['store funct3=6', rType(0, 2, 1, 6, 0, 0x23)],
  ['store funct3=7', rType(0, 2, 1, 7, 0, 0x23)],
  ['jalr funct3=1', iType(0, 1, 1, 1, 0x67)],
  ['slli funct7=0x20', rType(0x20, 1, 2, 1, 3, 0x13)],
  ['slli funct7=0x7f', rType(0x7f, 1, 2, 1, 3, 0x13)],
  ['srli/srai funct7=0x10', rType(0x10, 1, 2, 5, 3, 0x13)],
  ['OP funct7=0x20 funct3=1 (no "sub-sll")', rType(0x20, 3, 2, 1, 1, 0x33)],
  ['OP funct7=0x20 funct3=7', rType(0x20, 3, 2, 7, 1, 0x33)],
  ['OP funct7=0x02', rType(0x02, 3, 2, 0, 1, 0x33)],
  ['MISC-MEM funct3=2', iType(0, 0, 2, 0, 0x0f)],
  ['MISC-MEM funct3=7', iType(0, 0, 7, 0, 0x0f)],
  ['SYSTEM funct3=4', iType(0, 0, 4, 0, 0x73)],
  ['SYSTEM funct3=4 with fields', iType(0x300, 1, 4, 2, 0x73)],
  ['ecall with rd=1', 0x000000f3],
  ['ebreak with rs1=1', 0x00108073],
  ['uret (N extension, removed)', 0x00200073],
  ['dret (debug mode only)', 0x7b200073],
  ['sfence.vma with rd=1', 0x120000f3],
  ['hfence.vvma (no H extension)', 0x22000073],
  ['lr.w x1,(x2) with rs2=1', rType(0x08, 1, 2, 2, 1, 0x2f)],
  ['lr.w.aqrl with rs2=31', rType(0x0b, 31, 2, 2, 1, 0x2f)],
  ['amoadd funct3=0', rType(0, 2, 1, 0, 0, 0x2f)],
  ['amoadd funct3=1', rType(0, 2, 1, 1, 0, 0x2f)],
  ['amoswap funct3=4', rType(0x04, 2, 1, 4, 3, 0x2f)],
  ['AMO funct5=0x05', rType(0x05 << 2, 2, 1, 2, 3, 0x2f)],
  ['AMO funct5=0x1f', rType(0x1f << 2, 2, 1, 2, 3, 0x2f)],
];

const ILLEGAL_16: readonly (readonly [string, number])[] = [
  ['all-zero parcel (c.unimp)', 0x0000],
  ['c.addi4spn x9 with nzuimm=0', 0x0004],
  ['c.addi4spn x15 with nzuimm=0', 0x001c],
  ['quadrant 0 funct3=4 (reserved)', 0x8000],
  ['c.fld f12,16(x13)', 0x2a90],
  ['c.flw f8,4(x9) (c.ld x8,8(x9) on RV64)', 0x60c0],
  ['c.ld x8,8(x9) as RV64 encodes it', 0x6480],
  ['c.fsd f14,24(x15)', 0xaf98],
  ['c.fsw f10,8(x11)', 0xe588],
  ['c.sd x10,16(x11) as RV64 encodes it', 0xe988],
  ['c.lwsp x0,0(x2)', 0x4002],
  ['c.lwsp x0,252(x2)', 0x507e],
  ['c.jr x0', 0x8002],
  ['c.lui x3 with nzimm=0', 0x6181],
  ['c.addi16sp with nzimm=0', 0x6101],
  ['c.slli x1,32 (shamt[5]=1 on RV32)', 0x1082],
  ['c.srli x8,33 (shamt[5]=1 on RV32)', 0x9005],
  ['c.srai x8,33 (shamt[5]=1 on RV32)', 0x9405],
  ['c.subw x10,x11 (RV64)', 0x9d0d],
  ['c.addw x8,x9 (RV64)', 0x9c25],
  ['quadrant 1 funct6=100111 funct2=10 (reserved)', 0x9c41],
  ['quadrant 1 funct6=100111 funct2=11 (reserved)', 0x9c61],
  ['c.fldsp f3,16(x2)', 0x21c2],
  ['c.flwsp f1,4(x2) (c.ldsp on RV64)', 0x6092],
  ['c.ldsp x1,8(x2) as RV64 encodes it', 0x60a2],
  ['c.fsdsp f4,24(x2)', 0xac12],
  ['c.fswsp f2,8(x2) (c.sdsp on RV64)', 0xe40a],
  ['c.sdsp x3,16(x2) as RV64 encodes it', 0xe80e],
];

describe('decode: illegal encodings', () => {
  it.each(ILLEGAL_32)('%s (32-bit)', (_what, raw) => {
    expect(raw & 3).toBe(3);
    expect(decode(raw)).toEqual({ op: 'ILLEGAL', rd: 0, rs1: 0, rs2: 0, imm: raw | 0, len: 4 });
  });

  it.each(ILLEGAL_16)('%s (16-bit)', (_what, raw) => {
    expect(raw & 3).not.toBe(3);
    expect(decode(raw)).toEqual({ op: 'ILLEGAL', rd: 0, rs1: 0, rs2: 0, imm: raw, len: 2 });
    // The upper half-word (the next parcel) must not leak into imm.
    expect(decode(0xabcd0000 | raw).imm).toBe(raw);
  });

  it('treats every RV32 c.slli/c.srli/c.srai with shamt[5]=1 as illegal', () => {
    const legal: number[] = [];
    for (let low = 0; low < 0x1000; low++) {
      const slli = 0x1002 | (low & 0x0ffc); // quadrant 2, funct3=0, bit 12 set
      const f2 = (low >>> 10) & 1; // 00 srli, 01 srai
      const sr = 0x9001 | (f2 << 10) | (low & 0x03fc); // quadrant 1, funct3=4, bit 12 set
      for (const p of [slli, sr]) if (decode(p).op !== 'ILLEGAL') legal.push(p);
    }
    expect(legal).toEqual([]);
  });
});

const word = fc.integer({ min: 0, max: 0xffffffff });
const parcel = fc.integer({ min: 0, max: 0xffff }).filter((p) => (p & 3) !== 3);

/** Random fields for an R-type word with a fixed opcode. */
const rFields = fc.record({
  f7: fc.nat(0x7f),
  rs2: fc.nat(31),
  rs1: fc.nat(31),
  f3: fc.nat(7),
  rd: fc.nat(31),
});

describe('decode: reserved field values (spec-derived oracles)', () => {
  it('OP (0x33): legal only for funct7 0 and 1, and 0x20 with funct3 0 (SUB) or 5 (SRA)', () => {
    const names = ['ADD', 'SLL', 'SLT', 'SLTU', 'XOR', 'SRL', 'OR', 'AND'];
    const mNames = ['MUL', 'MULH', 'MULHSU', 'MULHU', 'DIV', 'DIVU', 'REM', 'REMU'];
    fc.assert(
      fc.property(rFields, ({ f7, rs2, rs1, f3, rd }) => {
        const d = decode(rType(f7, rs2, rs1, f3, rd, 0x33));
        let want: string = 'ILLEGAL';
        if (f7 === 0) want = names[f3];
        else if (f7 === 1) want = mNames[f3];
        else if (f7 === 0x20 && f3 === 0) want = 'SUB';
        else if (f7 === 0x20 && f3 === 5) want = 'SRA';
        return (
          d.op === want && (want === 'ILLEGAL' || (d.rd === rd && d.rs1 === rs1 && d.rs2 === rs2))
        );
      }),
      { numRuns: 3000 },
    );
  });

  it('OP-IMM shifts: funct7 must be 0 (SLLI/SRLI) or 0x20 (SRAI) on RV32', () => {
    fc.assert(
      fc.property(rFields, ({ f7, rs2, rs1, rd }) => {
        const sl = decode(rType(f7, rs2, rs1, 1, rd, 0x13));
        const sr = decode(rType(f7, rs2, rs1, 5, rd, 0x13));
        const wantSl = f7 === 0 ? 'SLLI' : 'ILLEGAL';
        const wantSr = f7 === 0 ? 'SRLI' : f7 === 0x20 ? 'SRAI' : 'ILLEGAL';
        return (
          sl.op === wantSl &&
          sr.op === wantSr &&
          (wantSl === 'ILLEGAL' || sl.imm === rs2) &&
          (wantSr === 'ILLEGAL' || sr.imm === rs2)
        );
      }),
      { numRuns: 3000 },
    );
  });

  it('AMO (0x2f): funct3 must be 2, funct5 one of the eleven RV32A ops, LR needs rs2=0', () => {
    const byFunct5: Record<number, OpName> = {
      0x00: 'AMOADD_W',
      0x01: 'AMOSWAP_W',
      0x02: 'LR_W',
      0x03: 'SC_W',
      0x04: 'AMOXOR_W',
      0x08: 'AMOOR_W',
      0x0c: 'AMOAND_W',
      0x10: 'AMOMIN_W',
      0x14: 'AMOMAX_W',
      0x18: 'AMOMINU_W',
      0x1c: 'AMOMAXU_W',
    };
    fc.assert(
      fc.property(rFields, ({ f7, rs2, rs1, f3, rd }) => {
        const d = decode(rType(f7, rs2, rs1, f3, rd, 0x2f));
        let want: OpName = byFunct5[f7 >>> 2] ?? 'ILLEGAL';
        if (f3 !== 2 || (want === 'LR_W' && rs2 !== 0)) want = 'ILLEGAL';
        return (
          d.op === want && (want === 'ILLEGAL' || (d.rd === rd && d.rs1 === rs1 && d.rs2 === rs2))
        );
      }),
      { numRuns: 5000 },
    );
  });

  it('SYSTEM (0x73): funct3 4 is reserved; funct3 0 is legal only for the six encodings', () => {
    fc.assert(
      fc.property(rFields, ({ f7, rs2, rs1, rd }) => {
        const ins = rType(f7, rs2, rs1, 0, rd, 0x73);
        const fixed: Record<number, OpName> = {
          0x00000073: 'ECALL',
          0x00100073: 'EBREAK',
          0x30200073: 'MRET',
          0x10200073: 'SRET',
          0x10500073: 'WFI',
        };
        const want = fixed[ins] ?? (f7 === 0x09 && rd === 0 ? 'SFENCE_VMA' : 'ILLEGAL');
        const f4 = decode(rType(f7, rs2, rs1, 4, rd, 0x73));
        return decode(ins).op === want && f4.op === 'ILLEGAL';
      }),
      { numRuns: 3000 },
    );
  });
});

describe('decode: properties', () => {
  it('decodes any 32-bit word without throwing, to a known op with sane fields', () => {
    const isReg = (r: number) => Number.isInteger(r) && r >= 0 && r <= 31;
    fc.assert(
      fc.property(word, (ins) => {
        const d = decode(ins);
        const ok =
          OP_NAMES.includes(d.op) &&
          d.op !== 'UNDECODED' &&
          d.len === ((ins & 3) === 3 ? 4 : 2) &&
          d.len === instructionLength(ins & 0xffff) &&
          isReg(d.rd) &&
          isReg(d.rs1) &&
          isReg(d.rs2) &&
          Number.isInteger(d.imm) &&
          d.imm === (d.imm | 0);
        if (!ok) return false;
        if (d.op !== 'ILLEGAL') return true;
        return d.imm === (d.len === 4 ? ins | 0 : ins & 0xffff) && d.rd + d.rs1 + d.rs2 === 0;
      }),
      { numRuns: 20000 },
    );
  });

  it('gives every compressed parcel length 2, ignoring the upper half-word', () => {
    fc.assert(
      fc.property(parcel, fc.integer({ min: 0, max: 0xffff }), (p, hi) => {
        const d = decode(p);
        const e = decode(((hi << 16) | p) >>> 0);
        return d.len === 2 && JSON.stringify(e) === JSON.stringify(d);
      }),
      { numRuns: 20000 },
    );
  });

  it('decodes all 49152 compressed parcels to a known op of length 2', () => {
    const bad: number[] = [];
    for (let p = 0; p < 0x10000; p++) {
      if ((p & 3) === 3) continue;
      const d = decode(p);
      if (d.len !== 2 || !(Op[d.op] > 0)) bad.push(p);
    }
    expect(bad).toEqual([]);
  });

  it('is pure: decoding the same word twice gives the same result', () => {
    fc.assert(
      fc.property(word, word, (a, b) => {
        const first = decode(a);
        decode(b);
        expect(decode(a)).toEqual(first);
      }),
    );
  });
});

describe('decodeInto', () => {
  const fields = (w: number) => ({
    op: w & 0xff,
    rd: (w >>> 8) & 63,
    rs1: (w >>> 14) & 31,
    rs2: (w >>> 19) & 31,
    len: (w >>> 28) & 7,
  });

  it('packs x0 as the sink register 32 in bits 8-13', () => {
    const out = new Int32Array(2);
    decodeInto(0x00000013, out, 0); // addi x0,x0,0
    expect(fields(out[0]).rd).toBe(X_SINK);
    expect(X_SINK).toBe(32);
    decodeInto(0x01ef8033, out, 0); // add x0,x31,x30
    expect(fields(out[0])).toEqual({ op: Op.ADD, rd: 32, rs1: 31, rs2: 30, len: 4 });
    decodeInto(0x80000037, out, 0); // lui x0,0x80000
    expect(fields(out[0]).rd).toBe(32);
    expect(out[1]).toBe(0x80000 << 12);
    decodeInto(0x0001, out, 0); // c.nop
    expect(fields(out[0])).toEqual({ op: Op.ADDI, rd: 32, rs1: 0, rs2: 0, len: 2 });
    decodeInto(0xb001, out, 0); // c.j .-2048
    expect(fields(out[0]).rd).toBe(32);
    expect(out[1]).toBe(-2048);
  });

  it('packs a real destination register unchanged', () => {
    const out = new Int32Array(2);
    decodeInto(0x003100b3, out, 0); // add x1,x2,x3
    expect(fields(out[0])).toEqual({ op: Op.ADD, rd: 1, rs1: 2, rs2: 3, len: 4 });
    decodeInto(0x0ffd, out, 0); // c.addi x31,31
    expect(fields(out[0])).toEqual({ op: Op.ADDI, rd: 31, rs1: 31, rs2: 0, len: 2 });
    expect(out[1]).toBe(31);
  });

  it('sinks the destination of instructions that write no register', () => {
    const out = new Int32Array(2);
    for (const ins of [0x00208463, 0xfe532e23, 0x0ff0000f, 0x00000073, 0x12208073, 0xdffe]) {
      decodeInto(ins, out, 0);
      expect(fields(out[0]).rd).toBe(X_SINK);
    }
  });

  it('writes exactly out[i] and out[i+1]', () => {
    const out = new Int32Array(8).fill(0x5a5a5a5a);
    decodeInto(0x7ff20193, out, 4); // addi x3,x4,2047
    expect(Array.from(out.subarray(0, 4))).toEqual(Array(4).fill(0x5a5a5a5a));
    expect(Array.from(out.subarray(6))).toEqual([0x5a5a5a5a, 0x5a5a5a5a]);
    expect(fields(out[4])).toEqual({ op: Op.ADDI, rd: 3, rs1: 4, rs2: 0, len: 4 });
    expect(out[5]).toBe(2047);
  });

  it('never produces a zero packed word (0 marks an undecoded cache slot)', () => {
    const out = new Int32Array(2);
    fc.assert(
      fc.property(word, (ins) => {
        decodeInto(ins, out, 0);
        const rd = fields(out[0]).rd;
        return out[0] !== 0 && (out[0] & 0xff) !== Op.UNDECODED && rd > 0 && rd <= 32;
      }),
      { numRuns: 20000 },
    );
  });

  it('agrees with decode() on every field, with rd 0 <-> 32', () => {
    const out = new Int32Array(2);
    fc.assert(
      fc.property(word, (ins) => {
        decodeInto(ins, out, 0);
        const f = fields(out[0]);
        const d = decode(ins);
        expect(OP_NAMES[f.op]).toBe(d.op);
        expect(f.rd === X_SINK ? 0 : f.rd).toBe(d.rd);
        expect([f.rs1, f.rs2, f.len, out[1]]).toEqual([d.rs1, d.rs2, d.len, d.imm]);
      }),
      { numRuns: 5000 },
    );
  });
});

describe('Op table', () => {
  it('numbers ops densely from 0 in OP_NAMES order', () => {
    OP_NAMES.forEach((name, i) => expect(Op[name]).toBe(i));
    expect(Op.UNDECODED).toBe(0);
  });
});
