/*
 * alu.S - RV32I integer register/register and register/immediate operations:
 * add/sub/addi, slt/sltu/slti/sltiu, and/or/xor(+i), lui, auipc, with edge
 * values (0, -1, INT_MIN, INT_MAX), register aliasing, x0 as source and as
 * a destination that discards writes.  Overflow never traps in RISC-V.
 */
#define TEST_NAME "alu"
#include "test.h"

#define INT_MIN 0x80000000
#define INT_MAX 0x7fffffff

TEST_BEGIN
  /* ---- add: wraps modulo 2^32 ---------------------------------------- */
  T_RR 1,  add, 0, 0, 0
  T_RR 2,  add, 1, 1, 2
  T_RR 3,  add, 3, 7, 10
  T_RR 4,  add, -1, 1, 0
  T_RR 5,  add, INT_MAX, 1, INT_MIN          /* signed overflow: no trap */
  T_RR 6,  add, INT_MIN, INT_MIN, 0
  T_RR 7,  add, -1, -1, -2
  T_RR 8,  add, INT_MIN, -1, INT_MAX

  /* ---- sub ----------------------------------------------------------- */
  T_RR 9,  sub, 0, 0, 0
  T_RR 10, sub, 0, 1, -1
  T_RR 11, sub, INT_MIN, 1, INT_MAX
  T_RR 12, sub, INT_MAX, -1, INT_MIN
  T_RR 13, sub, 0, INT_MIN, INT_MIN          /* -INT_MIN == INT_MIN */
  T_RR 14, sub, -1, -1, 0
  T_RR 15, sub, 5, 7, -2

  /* ---- addi: 12-bit sign-extended immediate ------------------------- */
  T_RI 16, addi, 0, 0, 0
  T_RI 17, addi, 1, -1, 0
  T_RI 18, addi, 0, 2047, 2047
  T_RI 19, addi, 0, -2048, -2048
  T_RI 20, addi, INT_MAX, 1, INT_MIN
  T_RI 21, addi, INT_MIN, -1, INT_MAX
  T_RI 22, addi, -1, 2047, 2046

  /* ---- slt: signed compare ------------------------------------------- */
  T_RR 23, slt, 0, 0, 0
  T_RR 24, slt, -1, 0, 1
  T_RR 25, slt, 0, -1, 0
  T_RR 26, slt, INT_MIN, INT_MAX, 1
  T_RR 27, slt, INT_MAX, INT_MIN, 0
  T_RR 28, slt, INT_MIN, -1, 1
  T_RR 29, slt, 5, 5, 0

  /* ---- sltu: unsigned compare ---------------------------------------- */
  T_RR 30, sltu, 0, 0, 0
  T_RR 31, sltu, 0, -1, 1
  T_RR 32, sltu, -1, 0, 0
  T_RR 33, sltu, INT_MAX, INT_MIN, 1
  T_RR 34, sltu, INT_MIN, INT_MAX, 0
  T_RR 35, sltu, -2, -1, 1

  /* ---- slti: immediate sign-extended, signed compare ----------------- */
  T_RI 36, slti, 0, 0, 0
  T_RI 37, slti, -1, 0, 1
  T_RI 38, slti, 0, -1, 0
  T_RI 39, slti, INT_MIN, -2048, 1
  T_RI 40, slti, INT_MAX, 2047, 0
  T_RI 41, slti, 2046, 2047, 1
  T_RI 42, slti, -2048, -2048, 0

  /* ---- sltiu: immediate sign-extended, then unsigned compare --------- */
  T_RI 43, sltiu, 0, 0, 0
  T_RI 44, sltiu, 0, 1, 1                    /* seqz idiom */
  T_RI 45, sltiu, 5, 1, 0
  T_RI 46, sltiu, 0xfffffffe, -1, 1          /* imm -1 is 0xffffffff */
  T_RI 47, sltiu, -1, -1, 0
  T_RI 48, sltiu, INT_MIN, 2047, 0
  T_RI 49, sltiu, 0xfffff7ff, -2048, 1       /* imm -2048 is 0xfffff800 */
  T_RI 50, sltiu, 0xfffff800, -2048, 0

  /* ---- and / or / xor ------------------------------------------------ */
  T_RR 51, and, 0xff00ff00, 0x0ff00ff0, 0x0f000f00
  T_RR 52, and, -1, INT_MIN, INT_MIN
  T_RR 53, and, 0x12345678, 0, 0
  T_RR 54, or,  0xff00ff00, 0x0ff00ff0, 0xfff0fff0
  T_RR 55, or,  0, 0, 0
  T_RR 56, or,  INT_MIN, INT_MAX, -1
  T_RR 57, xor, 0xff00ff00, 0x0ff00ff0, 0xf0f0f0f0
  T_RR 58, xor, -1, -1, 0
  T_RR 59, xor, 0x12345678, -1, 0xedcba987

  /* ---- andi / ori / xori: the immediate is sign-extended ------------- */
  T_RI 60, andi, 0xff00ff00, 0x70f, 0x00000700
  T_RI 61, andi, 0xff00ff00, -16, 0xff00ff00
  T_RI 62, andi, 0x12345678, 0x7ff, 0x00000678
  T_RI 63, andi, 0x12345678, -2048, 0x12345000
  T_RI 64, ori,  0xff00ff00, 0x0f0, 0xff00fff0
  T_RI 65, ori,  0, -1, -1
  T_RI 66, ori,  0x12345678, -2048, 0xfffffe78
  T_RI 67, xori, 0xff00ff00, 0x0f0, 0xff00fff0
  T_RI 68, xori, 0x12345678, -1, 0xedcba987  /* not idiom */
  T_RI 69, xori, 0x00ff0f00, -2048, 0xff00f700

  /* ---- lui: imm << 12, low 12 bits zero ------------------------------ */
  TEST_CASE 70
  li a0, -1
  lui a0, 0
  CHECK_EQ a0, 0
  TEST_CASE 71
  lui a0, 0xfffff
  CHECK_EQ a0, 0xfffff000
  TEST_CASE 72
  lui a0, 0x80000
  CHECK_EQ a0, INT_MIN
  TEST_CASE 73
  li a0, -1
  lui a0, 0x12345
  CHECK_EQ a0, 0x12345000
  TEST_CASE 74                               /* lui + negative addi */
  lui a0, 0x12345
  addi a0, a0, -1
  CHECK_EQ a0, 0x12344fff

  /* ---- auipc: pc + (imm << 12), wrapping ---------------------------- */
  TEST_CASE 75
1:auipc a0, 0
  la a1, 1b
  CHECK_REG a0, a1
  TEST_CASE 76
1:auipc a0, 1
  la a1, 1b
  li a2, 0x1000
  add a1, a1, a2
  CHECK_REG a0, a1
  TEST_CASE 77
1:auipc a0, 0xfffff                         /* pc - 0x1000 */
  la a1, 1b
  li a2, -0x1000
  add a1, a1, a2
  CHECK_REG a0, a1
  TEST_CASE 78
1:auipc a0, 0x80000                         /* pc + 0x80000000 wraps */
  la a1, 1b
  li a2, 0x80000000
  xor a1, a1, a2
  CHECK_REG a0, a1

  /* ---- register aliasing --------------------------------------------- */
  TEST_CASE 79                               /* rd == rs1 */
  li a1, 13
  li a2, 11
  add a1, a1, a2
  CHECK_EQ a1, 24
  TEST_CASE 80                               /* rd == rs2 */
  li a1, 13
  li a2, 11
  sub a2, a1, a2
  CHECK_EQ a2, 2
  TEST_CASE 81                               /* rd == rs1 == rs2 */
  li a1, 21
  add a1, a1, a1
  CHECK_EQ a1, 42
  TEST_CASE 82
  li a1, 0x5555
  xor a1, a1, a1
  CHECK_EQ a1, 0
  TEST_CASE 83                               /* rd == rs1, immediate */
  li a1, -5
  slti a1, a1, -4
  CHECK_EQ a1, 1

  /* ---- x0 as a source reads 0 ---------------------------------------- */
  TEST_CASE 84
  li a1, 0x1234
  add a0, x0, a1
  CHECK_EQ a0, 0x1234
  TEST_CASE 85
  sub a0, x0, a1                              /* neg */
  CHECK_EQ a0, -0x1234
  TEST_CASE 86
  sltu a0, x0, a1                             /* snez */
  CHECK_EQ a0, 1
  TEST_CASE 87
  li a1, -7
  slt a0, x0, a1                              /* sgtz */
  CHECK_EQ a0, 0
  slt a0, a1, x0                              /* sltz */
  CHECK_EQ a0, 1
  TEST_CASE 88
  addi a0, x0, -1
  CHECK_EQ a0, -1

  /* ---- x0 as a destination discards the result ---------------------- */
  TEST_CASE 89
  li a1, 0x1234
  li a2, 0x4321
  add x0, a1, a2
  mv a0, x0
  CHECK_EQ a0, 0
  TEST_CASE 90
  addi x0, x0, 5
  xori x0, a1, -1
  sltiu x0, x0, 1
  or a0, x0, x0
  CHECK_EQ a0, 0
  TEST_CASE 91
  lui x0, 0x12345
  auipc x0, 0x1
  add a0, x0, zero
  CHECK_EQ a0, 0
TEST_END
