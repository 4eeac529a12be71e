/*
 * shifts.S - RV32I shifts: sll/srl/sra and slli/srli/srai.
 * Shift amounts 0, 1, 31; register shifts use only the low 5 bits of rs2
 * (32 acts as 0, 33 as 1, -1 as 31); srl fills with zeros, sra with the sign.
 */
#define TEST_NAME "shifts"
#include "test.h"

#define INT_MIN 0x80000000
#define INT_MAX 0x7fffffff

TEST_BEGIN
  /* ---- sll ------------------------------------------------------------ */
  T_RR 1,  sll, 1, 0, 1
  T_RR 2,  sll, 1, 1, 2
  T_RR 3,  sll, 1, 31, INT_MIN
  T_RR 4,  sll, -1, 31, INT_MIN
  T_RR 5,  sll, 0x21212121, 7, 0x90909080
  T_RR 6,  sll, 0x12345678, 32, 0x12345678        /* only rs2[4:0]: 32 -> 0 */
  T_RR 7,  sll, 0x12345678, 33, 0x2468acf0        /* 33 -> 1 */
  T_RR 8,  sll, 1, -1, INT_MIN                    /* 0xffffffff -> 31 */
  T_RR 9,  sll, 0x12345678, 0xffffffe4, 0x23456780 /* -> 4 */
  T_RR 10, sll, 0, 31, 0

  /* ---- srl: logical ------------------------------------------------- */
  T_RR 11, srl, INT_MIN, 0, INT_MIN
  T_RR 12, srl, INT_MIN, 1, 0x40000000
  T_RR 13, srl, INT_MIN, 31, 1
  T_RR 14, srl, -1, 1, INT_MAX
  T_RR 15, srl, -1, 31, 1
  T_RR 16, srl, 0x21212121, 7, 0x00424242
  T_RR 17, srl, 0x87654321, 32, 0x87654321        /* 32 -> 0 */
  T_RR 18, srl, 0x87654321, 36, 0x08765432        /* 36 -> 4 */
  T_RR 19, srl, 0x87654321, -1, 1                 /* -> 31 */

  /* ---- sra: arithmetic ---------------------------------------------- */
  T_RR 20, sra, INT_MIN, 0, INT_MIN
  T_RR 21, sra, INT_MIN, 1, 0xc0000000
  T_RR 22, sra, INT_MIN, 31, -1
  T_RR 23, sra, INT_MAX, 31, 0
  T_RR 24, sra, INT_MAX, 1, 0x3fffffff
  T_RR 25, sra, -1, 5, -1
  T_RR 26, sra, 0x87654321, 4, 0xf8765432
  T_RR 27, sra, 0x87654321, 36, 0xf8765432        /* 36 -> 4 */
  T_RR 28, sra, 0x87654321, 0x3f, -1              /* 63 -> 31 */
  T_RR 29, sra, 0x87654321, 32, 0x87654321        /* 32 -> 0 */
  T_RR 30, sra, 0x40000000, 30, 1

  /* ---- slli / srli / srai (shamt 0..31 in the instruction) -------- */
  T_RI 31, slli, 0x12345678, 0, 0x12345678
  T_RI 32, slli, 0x12345678, 1, 0x2468acf0
  T_RI 33, slli, 0x12345679, 31, INT_MIN
  T_RI 34, slli, -1, 16, 0xffff0000
  T_RI 35, srli, 0x87654321, 0, 0x87654321
  T_RI 36, srli, 0x87654321, 1, 0x43b2a190
  T_RI 37, srli, 0x87654321, 31, 1
  T_RI 38, srli, -1, 16, 0x0000ffff
  T_RI 39, srai, 0x87654321, 0, 0x87654321
  T_RI 40, srai, 0x87654321, 1, 0xc3b2a190
  T_RI 41, srai, 0x87654321, 31, -1
  T_RI 42, srai, 0x77654321, 31, 0
  T_RI 43, srai, -1, 16, -1
  T_RI 44, srai, 0x7fff0000, 16, 0x00007fff

  /* ---- aliasing and x0 ---------------------------------------------- */
  TEST_CASE 45                                     /* rd == rs1 */
  li a1, 3
  li a2, 4
  sll a1, a1, a2
  CHECK_EQ a1, 48
  TEST_CASE 46                                     /* rd == rs2 */
  li a1, 0x100
  li a2, 4
  srl a2, a1, a2
  CHECK_EQ a2, 0x10
  TEST_CASE 47                                     /* rd == rs1 == rs2 */
  li a1, 3
  sll a1, a1, a1
  CHECK_EQ a1, 24
  TEST_CASE 48                                     /* sra by itself: 0x80000007 >> 7 */
  li a1, 0x80000007
  sra a1, a1, a1
  CHECK_EQ a1, 0xff000000
  TEST_CASE 49                                     /* x0 source/dest */
  li a1, 5
  sll a0, x0, a1
  CHECK_EQ a0, 0
  li a1, 0x1234
  sll a0, a1, x0
  CHECK_EQ a0, 0x1234
  slli x0, a1, 3
  srai x0, a1, 1
  mv a0, x0
  CHECK_EQ a0, 0
TEST_END
