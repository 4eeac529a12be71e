/*
 * branch.S - conditional branches and jumps.
 * Every branch taken and not taken, signed vs unsigned compares, backward
 * branches, branches near the +-4 KiB range limit; jal/jalr link values,
 * jalr clearing bit 0 of the target, jalr with rd == rs1, x0 links, and
 * jumping to a 2-byte aligned target (legal with the C extension).
 */
#define TEST_NAME "branch"
#include "test.h"

#define INT_MIN 0x80000000
#define INT_MAX 0x7fffffff

/* T_TAKEN n, op, a, b: `op a, b` must branch. */
.macro T_TAKEN n, op, a, b
  TEST_CASE \n
  li a1, \a
  li a2, \b
  \op a1, a2, .Lt\@
  j fail
.Lt\@:
.endm

/* T_NOT n, op, a, b: `op a, b` must fall through. */
.macro T_NOT n, op, a, b
  TEST_CASE \n
  li a1, \a
  li a2, \b
  \op a1, a2, .Lbad\@
  j .Lok\@
.Lbad\@:
  j fail
.Lok\@:
.endm

TEST_BEGIN
  /* ---- beq / bne ------------------------------------------------------ */
  T_TAKEN 1,  beq, 0, 0
  T_TAKEN 2,  beq, -1, -1
  T_NOT   3,  beq, 0, 1
  T_NOT   4,  beq, INT_MIN, INT_MAX
  T_TAKEN 5,  bne, 0, 1
  T_TAKEN 6,  bne, -1, 1
  T_NOT   7,  bne, 5, 5
  T_NOT   8,  bne, INT_MIN, INT_MIN

  /* ---- blt / bge: signed ---------------------------------------------- */
  T_TAKEN 9,  blt, -1, 0
  T_TAKEN 10, blt, INT_MIN, INT_MAX
  T_TAKEN 11, blt, -2, -1
  T_NOT   12, blt, 0, -1
  T_NOT   13, blt, 1, 1
  T_NOT   14, blt, INT_MAX, INT_MIN
  T_TAKEN 15, bge, 0, -1
  T_TAKEN 16, bge, 1, 1
  T_TAKEN 17, bge, INT_MAX, INT_MIN
  T_NOT   18, bge, -1, 0
  T_NOT   19, bge, INT_MIN, INT_MAX

  /* ---- bltu / bgeu: unsigned ------------------------------------------ */
  T_TAKEN 20, bltu, 0, -1
  T_TAKEN 21, bltu, INT_MAX, INT_MIN
  T_TAKEN 22, bltu, -2, -1
  T_NOT   23, bltu, -1, 0
  T_NOT   24, bltu, 7, 7
  T_NOT   25, bltu, INT_MIN, INT_MAX
  T_TAKEN 26, bgeu, -1, 0
  T_TAKEN 27, bgeu, 7, 7
  T_TAKEN 28, bgeu, INT_MIN, INT_MAX
  T_NOT   29, bgeu, 0, -1
  T_NOT   30, bgeu, INT_MAX, INT_MIN

  /* ---- same register / x0 operands ------------------------------------ */
  TEST_CASE 31
  li a1, -3
  beq a1, a1, 1f
  j fail
1:bge a1, a1, 1f
  j fail
1:bgeu a1, a1, 1f
  j fail
1:blt a1, a1, fail_near
  bltu a1, a1, fail_near
  bne a1, a1, fail_near
  TEST_CASE 32
  li a1, -3
  blt a1, x0, 1f                  /* bltz */
  j fail
1:bltu x0, a1, 1f                 /* nonzero as unsigned > 0 */
  j fail
1:bgeu x0, a1, fail_near
  bne x0, x0, fail_near

  /* ---- backward branch: a counted loop ------------------------------- */
  TEST_CASE 33
  li a0, 0
  li a1, 10
1:addi a0, a0, 3
  addi a1, a1, -1
  bnez a1, 1b
  CHECK_EQ a0, 30
  j 2f
fail_near:                         /* in branch range of the cases above */
  j fail
2:

  /* ---- branches at the edge of their +-4 KiB range ------------------- */
  TEST_CASE 34
  li a1, 1
  beq a1, a1, .Lfar_fwd            /* offset just below +4 KiB */
  j fail
.Lfar_back:                        /* reached from .Lfar_fwd (offset ~ -4 KiB) */
  j .Lfar_done
  .skip 4080 - 8                   /* zero fill, never executed */
.Lfar_fwd:
  TEST_CASE 35
  bne a1, x0, .Lfar_back
  j fail
.Lfar_done:

  /* ---- jal ------------------------------------------------------------ */
  TEST_CASE 36
  li ra, 0
  jal ra, 1f
.Ljal_ret:
  j fail
1:CHECK_ADDR ra, .Ljal_ret          /* link = pc + 4 */
  TEST_CASE 37                     /* jal with another rd */
  jal a3, 1f
.Ljal_ret2:
  j fail
1:CHECK_ADDR a3, .Ljal_ret2
  TEST_CASE 38                     /* jal x0 (j): no link; backward target */
  j 2f
1:j 3f
2:jal x0, 1b
  j fail
3:mv a0, x0
  CHECK_EQ a0, 0
  TEST_CASE 39                     /* call/return through jal + jalr */
  li a0, 5
  jal ra, .Lsub_double
  CHECK_EQ a0, 10

  /* ---- jalr ----------------------------------------------------------- */
  TEST_CASE 40                     /* link value and target rs1 + imm */
  la a1, .Ljr_target - 12
  jalr a2, 12(a1)
.Ljr_ret:
  j fail
.Ljr_target:
  CHECK_ADDR a2, .Ljr_ret
  TEST_CASE 41                     /* negative immediate */
  la a1, .Ljr_t2 + 16
  jalr a2, -16(a1)
  j fail
.Ljr_t2:
  TEST_CASE 42                     /* bit 0 of rs1 + imm is cleared (rs1 odd) */
  la a1, .Ljr_t3
  addi a1, a1, 1
  jalr a2, 0(a1)
  j fail
.Ljr_t3:
  TEST_CASE 43                     /* bit 0 cleared (odd immediate) */
  la a1, .Ljr_t4
  jalr a2, 1(a1)
  j fail
.Ljr_t4:
  TEST_CASE 44                     /* rd == rs1: target uses the old value */
  la a1, .Ljr_t5
  jalr a1, 0(a1)
.Ljr_ret5:
  j fail
.Ljr_t5:
  CHECK_ADDR a1, .Ljr_ret5
  TEST_CASE 45                     /* rd == rs1 == ra with offset */
  la ra, .Ljr_t6 - 4
  jalr ra, 4(ra)
.Ljr_ret6:
  j fail
.Ljr_t6:
  CHECK_ADDR ra, .Ljr_ret6
  TEST_CASE 46                     /* rd = x0: no link written */
  la a1, .Ljr_t7
  jalr x0, 0(a1)
  j fail
.Ljr_t7:
  mv a0, x0
  CHECK_EQ a0, 0

  /* ---- 2-byte aligned targets are legal with C --------------------- */
  TEST_CASE 47
  la a1, .Lhalf_target
  andi a2, a1, 3
  CHECK_EQ a2, 2                    /* really not 4-byte aligned */
  jalr ra, 0(a1)
  CHECK_EQ a0, 0x5a
  TEST_CASE 48                      /* jal to a 2-byte aligned target */
  li a0, 0
  jal ra, .Lhalf_target
  CHECK_EQ a0, 0x5a
  TEST_CASE 49                      /* branch to a 2-byte aligned target */
  li a0, 0
  beqz a0, .Lhalf_target2
  j fail
.Lhalf_back:
  CHECK_EQ a0, 0x5b
TEST_END

  /* subroutines ---------------------------------------------------------- */
.Lsub_double:
  add a0, a0, a0
  jalr x0, 0(ra)

  .balign 4
  .option push
  .option rvc
  c.nop                             /* 2 bytes, so the next label is pc+2 mod 4 */
.Lhalf_target:
  .option pop
  li a0, 0x5a                       /* 32-bit instructions at a 2-aligned pc */
  jalr x0, 0(ra)

  .balign 4
  .option push
  .option rvc
  c.nop
.Lhalf_target2:
  .option pop
  li a0, 0x5b
  j .Lhalf_back
