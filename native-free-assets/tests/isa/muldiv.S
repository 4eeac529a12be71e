/*
 * muldiv.S - RV32M: mul/mulh/mulhsu/mulhu/div/divu/rem/remu.
 * Signed/unsigned/mixed high products, truncating division (quotient rounds
 * toward zero, remainder has the dividend's sign), division by zero
 * (div/divu -> all ones, rem/remu -> dividend) and signed overflow
 * (INT_MIN / -1 = INT_MIN, INT_MIN % -1 = 0): none of them trap.
 * Expected values were computed with Python's arbitrary-precision integers.
 */
#define TEST_NAME "muldiv"
#include "test.h"

#define INT_MIN 0x80000000
#define INT_MAX 0x7fffffff

TEST_BEGIN
  /* ---- mul: low 32 bits ---------------------------------------------- */
  T_RR 1,  mul, 0, 0, 0x00000000
  T_RR 2,  mul, 3, 7, 0x00000015
  T_RR 3,  mul, -1, -1, 0x00000001
  T_RR 4,  mul, INT_MIN, -1, 0x80000000
  T_RR 5,  mul, INT_MAX, INT_MAX, 0x00000001
  T_RR 6,  mul, 0x12345678, 0x9abcdef0, 0x242d2080
  T_RR 7,  mul, -7, 5, 0xffffffdd
  T_RR 8,  mul, 0x10000, 0x10000, 0x00000000
  /* ---- mulh: high 32 bits of signed x signed ----------------------- */
  T_RR 9,  mulh, 3, 7, 0x00000000
  T_RR 10, mulh, -1, -1, 0x00000000
  T_RR 11, mulh, -1, 1, 0xffffffff
  T_RR 12, mulh, INT_MIN, INT_MIN, 0x40000000
  T_RR 13, mulh, INT_MIN, INT_MAX, 0xc0000000
  T_RR 14, mulh, INT_MAX, INT_MAX, 0x3fffffff
  T_RR 15, mulh, 0x12345678, 0x9abcdef0, 0xf8cc93d6
  T_RR 16, mulh, 0x10000, 0x10000, 0x00000001
  /* ---- mulhsu: signed rs1 x unsigned rs2 ----------------------------- */
  T_RR 17, mulhsu, -1, -1, 0xffffffff
  T_RR 18, mulhsu, -1, 1, 0xffffffff
  T_RR 19, mulhsu, 1, -1, 0x00000000
  T_RR 20, mulhsu, INT_MIN, -1, 0x80000000
  T_RR 21, mulhsu, INT_MAX, -1, 0x7ffffffe
  T_RR 22, mulhsu, 0x12345678, 0x9abcdef0, 0x0b00ea4e
  T_RR 23, mulhsu, -2, 0x80000000, 0xffffffff
  /* ---- mulhu: unsigned x unsigned ------------------------------------ */
  T_RR 24, mulhu, -1, -1, 0xfffffffe
  T_RR 25, mulhu, -1, 1, 0x00000000
  T_RR 26, mulhu, INT_MIN, INT_MIN, 0x40000000
  T_RR 27, mulhu, INT_MIN, 2, 0x00000001
  T_RR 28, mulhu, 0x12345678, 0x9abcdef0, 0x0b00ea4e
  T_RR 29, mulhu, 0, -1, 0x00000000
  /* ---- div: signed, rounds toward zero -------------------------------- */
  T_RR 30, div, 20, 6, 0x00000003
  T_RR 31, div, -20, 6, 0xfffffffd
  T_RR 32, div, 20, -6, 0xfffffffd
  T_RR 33, div, -20, -6, 0x00000003
  T_RR 34, div, 5, 10, 0x00000000
  T_RR 35, div, INT_MIN, 1, 0x80000000
  T_RR 36, div, INT_MIN, 2, 0xc0000000
  T_RR 37, div, INT_MIN, -1, 0x80000000      /* overflow: INT_MIN */
  T_RR 38, div, 7, 0, 0xffffffff             /* by zero: -1 */
  T_RR 39, div, -7, 0, 0xffffffff
  T_RR 40, div, 0, 0, 0xffffffff
  T_RR 41, div, INT_MIN, INT_MIN, 0x00000001
  /* ---- divu ------------------------------------------------------------ */
  T_RR 42, divu, 20, 6, 0x00000003
  T_RR 43, divu, -20, 6, 0x2aaaaaa7
  T_RR 44, divu, INT_MIN, 2, 0x40000000
  T_RR 45, divu, INT_MIN, -1, 0x00000000
  T_RR 46, divu, -1, -1, 0x00000001
  T_RR 47, divu, 7, 0, 0xffffffff            /* by zero: 2^32 - 1 */
  T_RR 48, divu, 0, 0, 0xffffffff
  T_RR 49, divu, -1, 1, 0xffffffff
  /* ---- rem: sign of the dividend -------------------------------------- */
  T_RR 50, rem, 20, 6, 0x00000002
  T_RR 51, rem, -20, 6, 0xfffffffe
  T_RR 52, rem, 20, -6, 0x00000002
  T_RR 53, rem, -20, -6, 0xfffffffe
  T_RR 54, rem, 5, 10, 0x00000005
  T_RR 55, rem, INT_MIN, -1, 0x00000000      /* overflow: 0 */
  T_RR 56, rem, 7, 0, 0x00000007             /* by zero: dividend */
  T_RR 57, rem, -7, 0, 0xfffffff9
  T_RR 58, rem, INT_MIN, 0, 0x80000000
  T_RR 59, rem, INT_MIN, 3, 0xfffffffe
  /* ---- remu ------------------------------------------------------------ */
  T_RR 60, remu, 20, 6, 0x00000002
  T_RR 61, remu, -20, 6, 0x00000002
  T_RR 62, remu, INT_MIN, -1, 0x80000000
  T_RR 63, remu, -1, INT_MIN, 0x7fffffff
  T_RR 64, remu, 7, 0, 0x00000007            /* by zero: dividend */
  T_RR 65, remu, -7, 0, 0xfffffff9
  T_RR 66, remu, 0, 0, 0x00000000

  /* ---- register aliasing and x0 -------------------------------------- */
  TEST_CASE 67                               /* rd == rs1 */
  li a1, -6
  li a2, 7
  mul a1, a1, a2
  CHECK_EQ a1, -42
  TEST_CASE 68                               /* rd == rs2 */
  li a1, 100
  li a2, 7
  divu a2, a1, a2
  CHECK_EQ a2, 14
  TEST_CASE 69                               /* rd == rs1 == rs2 */
  li a1, -5
  mulh a1, a1, a1
  CHECK_EQ a1, 0
  li a1, -5
  rem a1, a1, a1
  CHECK_EQ a1, 0
  TEST_CASE 70                               /* x0 operands and destination */
  li a1, 1234
  div a0, a1, x0                             /* divide by x0 = by zero */
  CHECK_EQ a0, -1
  remu a0, a1, x0
  CHECK_EQ a0, 1234
  mul x0, a1, a1
  divu x0, a1, x0
  mv a0, x0
  CHECK_EQ a0, 0
  TEST_CASE 71                               /* mulh:mul is the 64-bit product */
  li a1, -123456789
  li a2, 987654321
  mulh a3, a1, a2
  mul a4, a1, a2
  CHECK_EQ a3, 0xfe4eceeb   /* product = 0xfe4eceeb_0400ac7b */
  CHECK_EQ a4, 0x0400ac7b
  TEST_CASE 72                               /* div/rem identity: q*b + r == a */
  li a1, -1000001
  li a2, 37
  div a3, a1, a2
  rem a4, a1, a2
  mul a5, a3, a2
  add a5, a5, a4
  CHECK_REG a5, a1
  CHECK_EQ a3, -27027
  CHECK_EQ a4, -2
TEST_END
