/*
 * fencei.S - Zifencei: code that stores instructions, then runs them.
 * An emulator that caches decoded instructions must drop what it decoded for
 * a page once the page is written: code already run and patched (a function
 * called, patched, called again), an instruction patched just ahead of the
 * pc in the block being run (which a decoder working ahead has already
 * seen), a compressed instruction, an instruction on another page, and a
 * whole routine copied to a data page and called there.  Each patch is
 * followed by fence.i, as the ISA requires before running stored code.
 */
#define TEST_NAME "fencei"
#include "test.h"

#define ADDI_A0(imm)  (((imm) << 20) | (10 << 7) | 0x13)   /* addi a0, x0, imm */
#define C_LI_A0(imm)  (0x4000 | (10 << 7) | ((imm) << 2) | 1) /* c.li a0, imm (0..31) */

TEST_BEGIN
  /* ---- a routine run, patched, run again ------------------------------ */
  TEST_CASE 1
  call  patched_fn
  CHECK_EQ a0, 1
  la    t0, patched_fn
  li    t1, ADDI_A0(2)
  sw    t1, 0(t0)
  fence.i
  call  patched_fn
  CHECK_EQ a0, 2

  /* ---- patched just ahead of the pc, in the same straight-line run ---- */
  TEST_CASE 2
  la    t0, 1f
  li    t1, ADDI_A0(7)
  sw    t1, 0(t0)
  fence.i
1:addi  a0, x0, 5                       /* replaced by addi a0, x0, 7 */
  CHECK_EQ a0, 7

  /* ---- the same with no jump or branch between store and target ------- */
  TEST_CASE 3
  la    t0, 2f
  li    t1, ADDI_A0(-3)
  li    a0, 0
  sw    t1, 0(t0)
  fence.i
  addi  a1, x0, 1
  addi  a1, a1, 1
2:addi  a0, x0, 9                       /* replaced by addi a0, x0, -3 */
  CHECK_EQ a0, -3
  CHECK_EQ a1, 2

  /* ---- a compressed instruction patched with another ------------------ */
  TEST_CASE 4
  call  compressed_fn
  CHECK_EQ a0, 3
  la    t0, compressed_fn
  li    t1, C_LI_A0(11)
  sh    t1, 0(t0)
  fence.i
  call  compressed_fn
  CHECK_EQ a0, 11

  /* ---- a routine on its own page, patched from here ------------------- */
  TEST_CASE 5
  call  far_fn
  CHECK_EQ a0, 21
  la    t0, far_fn
  li    t1, ADDI_A0(22)
  sw    t1, 0(t0)
  fence.i
  call  far_fn
  CHECK_EQ a0, 22

  /* ---- a routine copied to a data page and called there --------------- */
  TEST_CASE 6
  la    t0, copy_src
  la    t1, copy_buf
  li    t2, 3                           /* three words: addi, addi, ret */
3:lw    a1, 0(t0)
  sw    a1, 0(t1)
  addi  t0, t0, 4
  addi  t1, t1, 4
  addi  t2, t2, -1
  bnez  t2, 3b
  fence.i
  la    t0, copy_buf
  jalr  ra, 0(t0)
  CHECK_EQ a0, 40
  /* ... and run again after its first instruction is rewritten */
  la    t0, copy_buf
  li    t1, ADDI_A0(50)
  sw    t1, 0(t0)
  fence.i
  jalr  ra, 0(t0)
  CHECK_EQ a0, 51
TEST_END

  .text
patched_fn:
  addi  a0, x0, 1                       /* case 1 patches this */
  ret

  .option push
  .option rvc
compressed_fn:
  c.li  a0, 3                           /* case 4 patches this */
  ret
  .option pop

copy_src:
  addi  a0, x0, 39                      /* case 6 copies these three words */
  addi  a0, a0, 1
  ret

  .balign 4096
far_fn:
  addi  a0, x0, 21                      /* case 5 patches this */
  ret

  .data
  .balign 4096
copy_buf:
  .space 16
