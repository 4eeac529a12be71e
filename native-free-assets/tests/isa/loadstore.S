/*
 * loadstore.S - lb/lbu/lh/lhu/lw and sb/sh/sw.
 * All byte/halfword offsets in a word, sign vs zero extension, negative and
 * extreme (+2047/-2048) offsets, little-endian byte order, stores touching
 * only their own bytes, rd == rs1, x0 as destination and as store source.
 *
 * Misaligned accesses: the hvlab hart raises address-misaligned exceptions
 * (cause 4 for loads, 6 for stores, mtval = the effective address, rd and
 * memory unchanged).  QEMU 7.2 (-machine virt) does NOT trap on misaligned
 * lh/lhu/lw/sh/sw: it performs them.  Both are allowed by the spec, so the
 * misaligned cases accept either behaviour: if the access traps, the trap
 * must be exactly right; if it does not, the result must be the correct
 * little-endian misaligned value.  (On QEMU only the second branch runs.)
 */
#define TEST_NAME "loadstore"
#include "test.h"

/* T_LOAD n, op, base_sym, off, exp: op a0, off(base) loads exp */
.macro T_LOAD n, op, sym, off, exp
  TEST_CASE \n
  la a1, \sym
  li a0, 0x5a5a5a5a
  \op a0, \off(a1)
  CHECK_EQ a0, \exp
.endm

/* RESET_ST: st_area = guard, 0, 0, guard */
.macro RESET_ST
  la s0, st_area
  li a0, 0xdeadbeef
  sw a0, 0(s0)
  sw zero, 4(s0)
  sw zero, 8(s0)
  sw a0, 12(s0)
  addi s0, s0, 4                  /* s0 -> first zero word */
.endm

/* CHECK_ST w0, w1: the two words at s0 and the untouched guards */
.macro CHECK_ST w0, w1
  lw a2, 0(s0)
  CHECK_EQ a2, \w0
  lw a2, 4(s0)
  CHECK_EQ a2, \w1
  lw a2, -4(s0)
  CHECK_EQ a2, 0xdeadbeef
  lw a2, 8(s0)
  CHECK_EQ a2, 0xdeadbeef
.endm

/* RESET_MIS: mis_data = 0x11223344, 0x55667788; s0 -> mis_data */
.macro RESET_MIS
  la s0, mis_data
  li a2, 0x11223344
  sw a2, 0(s0)
  li a2, 0x55667788
  sw a2, 4(s0)
.endm

/* T_MIS_LOAD n, op, off, exp: misaligned load from mis_data+off.
 * Trap: cause 4, epc = the load, tval = address, rd untouched.
 * No trap: rd = exp. */
.macro T_MIS_LOAD n, op, off, exp
  TEST_CASE \n
  RESET_MIS
  li a0, 0x5a5a5a5a
  TRAP_INSN CAUSE_MISALIGNED_LOAD, \op a0, \off(s0)
  DISARM
  TI_LOAD a3, TI_GOT_CAUSE
  li a4, -1
  beq a3, a4, .Lemul\@
  CHECK_TRAP CAUSE_MISALIGNED_LOAD, PRV_M
  addi a1, s0, \off
  CHECK_TVAL_REG a1
  CHECK_EQ a0, 0x5a5a5a5a
  j .Ldone\@
.Lemul\@:
  CHECK_EQ a0, \exp
.Ldone\@:
.endm

/* T_MIS_STORE n, op, off, val, w0, w1: misaligned store of val at
 * mis_data+off.  Trap: cause 6, epc, tval = address, memory unchanged.
 * No trap: the two words become w0, w1. */
.macro T_MIS_STORE n, op, off, val, w0, w1
  TEST_CASE \n
  RESET_MIS
  li a0, \val
  TRAP_INSN CAUSE_MISALIGNED_STORE, \op a0, \off(s0)
  DISARM
  TI_LOAD a3, TI_GOT_CAUSE
  li a4, -1
  beq a3, a4, .Lemul\@
  CHECK_TRAP CAUSE_MISALIGNED_STORE, PRV_M
  addi a1, s0, \off
  CHECK_TVAL_REG a1
  lw a2, 0(s0)
  CHECK_EQ a2, 0x11223344
  lw a2, 4(s0)
  CHECK_EQ a2, 0x55667788
  j .Ldone\@
.Lemul\@:
  lw a2, 0(s0)
  CHECK_EQ a2, \w0
  lw a2, 4(s0)
  CHECK_EQ a2, \w1
.Ldone\@:
.endm

TEST_BEGIN
  /* ld_data bytes: ff e2 c1 80 | 01 1f 3f 7f */

  /* ---- lb: sign-extends ------------------------------------------------ */
  T_LOAD 1,  lb, ld_data, 0, 0xffffffff
  T_LOAD 2,  lb, ld_data, 1, 0xffffffe2
  T_LOAD 3,  lb, ld_data, 2, 0xffffffc1
  T_LOAD 4,  lb, ld_data, 3, 0xffffff80
  T_LOAD 5,  lb, ld_data, 4, 0x00000001
  T_LOAD 6,  lb, ld_data, 7, 0x0000007f
  /* ---- lbu: zero-extends ----------------------------------------------- */
  T_LOAD 7,  lbu, ld_data, 0, 0xff
  T_LOAD 8,  lbu, ld_data, 1, 0xe2
  T_LOAD 9,  lbu, ld_data, 2, 0xc1
  T_LOAD 10, lbu, ld_data, 3, 0x80
  T_LOAD 11, lbu, ld_data, 6, 0x3f
  /* ---- lh / lhu --------------------------------------------------------- */
  T_LOAD 12, lh,  ld_data, 0, 0xffffe2ff
  T_LOAD 13, lh,  ld_data, 2, 0xffff80c1
  T_LOAD 14, lh,  ld_data, 4, 0x00001f01
  T_LOAD 15, lh,  ld_data, 6, 0x00007f3f
  T_LOAD 16, lhu, ld_data, 0, 0x0000e2ff
  T_LOAD 17, lhu, ld_data, 2, 0x000080c1
  T_LOAD 18, lhu, ld_data, 6, 0x00007f3f
  /* ---- lw ----------------------------------------------------------------- */
  T_LOAD 19, lw,  ld_data, 0, 0x80c1e2ff
  T_LOAD 20, lw,  ld_data, 4, 0x7f3f1f01
  /* ---- negative offsets ------------------------------------------------- */
  T_LOAD 21, lw,  ld_data + 8, -8, 0x80c1e2ff
  T_LOAD 22, lw,  ld_data + 8, -4, 0x7f3f1f01
  T_LOAD 23, lb,  ld_data + 8, -1, 0x7f
  T_LOAD 24, lbu, ld_data + 8, -5, 0x80
  T_LOAD 25, lh,  ld_data + 8, -6, 0xffff80c1
  T_LOAD 26, lhu, ld_data + 8, -2, 0x7f3f
  /* ---- extreme 12-bit offsets ------------------------------------------- */
  T_LOAD 27, lbu, ld_data - 2047, 2047, 0xff
  T_LOAD 28, lw,  ld_data + 2048, -2048, 0x80c1e2ff
  T_LOAD 29, lh,  ld_data - 2040, 2046, 0x7f3f

  /* ---- rd == rs1, and x0 as destination -------------------------------- */
  TEST_CASE 30
  la a1, ld_data
  lw a1, 4(a1)
  CHECK_EQ a1, 0x7f3f1f01
  TEST_CASE 31
  la a1, ld_data
  lw x0, 0(a1)
  lbu x0, 1(a1)
  mv a0, x0
  CHECK_EQ a0, 0

  /* ---- sb at every byte offset: only that byte changes ---------------- */
  TEST_CASE 32
  RESET_ST
  li a0, 0x123456ab               /* only the low byte is stored */
  sb a0, 0(s0)
  CHECK_ST 0x000000ab, 0
  TEST_CASE 33
  li a0, 0xffffffcd
  sb a0, 1(s0)
  CHECK_ST 0x0000cdab, 0
  TEST_CASE 34
  li a0, 0xef
  sb a0, 2(s0)
  CHECK_ST 0x00efcdab, 0
  TEST_CASE 35
  li a0, 0x80
  sb a0, 3(s0)
  CHECK_ST 0x80efcdab, 0
  TEST_CASE 36
  li a0, 0x7e
  sb a0, 4(s0)
  CHECK_ST 0x80efcdab, 0x0000007e
  TEST_CASE 37                     /* sb of x0 */
  sb x0, 2(s0)
  CHECK_ST 0x8000cdab, 0x0000007e

  /* ---- sh at both halfword offsets ----------------------------------- */
  TEST_CASE 38
  RESET_ST
  li a0, 0x1234beef
  sh a0, 0(s0)
  CHECK_ST 0x0000beef, 0
  TEST_CASE 39
  li a0, 0xffff8001
  sh a0, 2(s0)
  CHECK_ST 0x8001beef, 0
  TEST_CASE 40
  li a0, 0x7777
  sh a0, 6(s0)
  CHECK_ST 0x8001beef, 0x77770000
  TEST_CASE 41
  sh x0, 2(s0)
  CHECK_ST 0x0000beef, 0x77770000

  /* ---- sw --------------------------------------------------------------- */
  TEST_CASE 42
  RESET_ST
  li a0, 0x11223344
  sw a0, 0(s0)
  li a0, 0x8899aabb
  sw a0, 4(s0)
  CHECK_ST 0x11223344, 0x8899aabb
  TEST_CASE 43
  sw x0, 4(s0)
  CHECK_ST 0x11223344, 0

  /* ---- negative and extreme store offsets ---------------------------- */
  TEST_CASE 44
  RESET_ST
  addi a1, s0, 8
  li a0, 0xa5
  sb a0, -1(a1)
  li a0, 0x5aa5
  sh a0, -8(a1)
  CHECK_ST 0x00005aa5, 0xa5000000
  TEST_CASE 45
  RESET_ST
  li a1, 2048
  add a1, s0, a1
  li a0, 0xcafef00d
  sw a0, -2048(a1)
  addi a1, s0, 4 - 2047
  li a0, 0x42
  sb a0, 2047(a1)
  CHECK_ST 0xcafef00d, 0x00000042

  /* ---- little-endian byte order --------------------------------------- */
  TEST_CASE 46
  RESET_ST
  li a0, 0x11223344
  sw a0, 0(s0)
  lbu a2, 0(s0)
  CHECK_EQ a2, 0x44
  lbu a2, 3(s0)
  CHECK_EQ a2, 0x11
  lhu a2, 2(s0)
  CHECK_EQ a2, 0x1122
  lhu a2, 0(s0)
  CHECK_EQ a2, 0x3344
  TEST_CASE 47                     /* store then load through another base */
  li a0, 0x0badf00d
  sw a0, 4(s0)
  addi a1, s0, 8
  lw a2, -4(a1)
  CHECK_EQ a2, 0x0badf00d

  /* ---- misaligned accesses (see the header: trap or correct value) ---- */
  /* mis_data bytes: 44 33 22 11 | 88 77 66 55 */
  T_MIS_LOAD 48, lh,  1, 0x00002233
  T_MIS_LOAD 49, lh,  3, 0xffff8811
  T_MIS_LOAD 50, lhu, 3, 0x00008811
  T_MIS_LOAD 51, lw,  1, 0x88112233
  T_MIS_LOAD 52, lw,  2, 0x77881122
  T_MIS_LOAD 53, lw,  3, 0x66778811
  T_MIS_STORE 54, sh, 1, 0xaabb, 0x11aabb44, 0x55667788
  T_MIS_STORE 55, sh, 3, 0xaabb, 0xbb223344, 0x556677aa
  T_MIS_STORE 56, sw, 1, 0xccddeeff, 0xddeeff44, 0x556677cc
  T_MIS_STORE 57, sw, 2, 0xccddeeff, 0xeeff3344, 0x5566ccdd
  T_MIS_STORE 58, sw, 3, 0xccddeeff, 0xff223344, 0x55ccddee
TEST_END

  .data
  .balign 16
ld_data:
  .word 0x80c1e2ff, 0x7f3f1f01
  .balign 16
st_area:
  .skip 16
  .balign 16
mis_data:
  .skip 16
