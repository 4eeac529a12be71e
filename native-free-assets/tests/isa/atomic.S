/*
 * atomic.S - RV32A: lr.w/sc.w and the nine AMOs.
 * sc.w succeeds (rd = 0, memory written) only with a reservation from the
 * most recent lr.w on that address; every sc.w (successful or not) drops the
 * reservation; a failed sc.w writes nonzero to rd and does not store.
 * Each AMO returns the old memory value and stores op(old, rs2), with signed
 * vs unsigned min/max.  Misaligned AMOs and lr.w trap.
 *
 * QEMU 7.2 differences (tolerated here, see the cases):
 *  - a misaligned AMO raises cause 4 (load address misaligned) instead of
 *    the spec's cause 6 (store/AMO address misaligned); mtval is correct.
 *    The hvlab hart should raise 6; this test accepts 4 or 6.
 *  - a misaligned sc.w without a matching reservation just fails (rd = 1)
 *    without trapping, so misaligned sc.w is not tested.
 */
#define TEST_NAME "atomic"
#include "test.h"

#define INT_MIN 0x80000000
#define INT_MAX 0x7fffffff
#define GUARD   0x5a5a5a5a

/* SET_AMO v: amo_data = v (with guard words on both sides), s0 -> it */
.macro SET_AMO v
  la s0, amo_data
  li a3, GUARD
  sw a3, -4(s0)
  sw a3, 4(s0)
  li a3, \v
  sw a3, 0(s0)
.endm

/* CHECK_AMO v: amo_data == v and the guard words are intact */
.macro CHECK_AMO v
  lw a3, 0(s0)
  CHECK_EQ a3, \v
  lw a3, -4(s0)
  CHECK_EQ a3, GUARD
  lw a3, 4(s0)
  CHECK_EQ a3, GUARD
.endm

/* T_AMO n, op, old, src, new: op returns old, memory becomes new */
.macro T_AMO n, op, old, src, new
  TEST_CASE \n
  SET_AMO \old
  li a1, \src
  li a0, 0x12345678
  \op a0, a1, (s0)
  CHECK_EQ a0, \old
  CHECK_EQ a1, \src
  CHECK_AMO \new
.endm

/* T_MIS_AMO n, op, off: misaligned AMO traps (cause 6; QEMU 7.2: 4),
 * mtval = address, rd and memory unchanged */
.macro T_MIS_AMO n, op, off
  TEST_CASE \n
  la s0, mis_data
  li a3, 0x11223344
  sw a3, 0(s0)
  li a3, 0x55667788
  sw a3, 4(s0)
  addi s1, s0, \off
  li a1, 0x01010101
  li a0, 0x5a5a5a5a
  /* cause 4 from QEMU is turned into 6 by amo_cause_fixup */
  TRAP_INSN CAUSE_MISALIGNED_STORE, \op a0, a1, (s1)
  CHECK_EQ a0, 0x5a5a5a5a
  lw a3, 0(s0)
  CHECK_EQ a3, 0x11223344
  lw a3, 4(s0)
  CHECK_EQ a3, 0x55667788
  CHECK_TRAP CAUSE_MISALIGNED_STORE, PRV_M
  CHECK_TVAL_REG s1
.endm

TEST_BEGIN
  /* tolerate QEMU's cause 4 for misaligned AMOs: see amo_cause_fixup */
  la t0, amo_cause_fixup
  csrw mtvec, t0

  /* ---- lr.w / sc.w ----------------------------------------------------- */
  TEST_CASE 1                     /* lr.w loads, sc.w succeeds and stores */
  SET_AMO 0x1000
  li a0, 0
  lr.w a0, (s0)
  CHECK_EQ a0, 0x1000
  li a1, 0x2000
  li a2, 0x77
  sc.w a2, a1, (s0)
  CHECK_EQ a2, 0                  /* 0 = success */
  CHECK_AMO 0x2000
  TEST_CASE 2                     /* sc.w after a sc.w: no reservation */
  li a1, 0x3000
  li a2, 0
  sc.w a2, a1, (s0)
  CHECK_NE a2, 0                  /* nonzero = failure */
  CHECK_AMO 0x2000                /* and nothing stored */
  TEST_CASE 3                     /* sc.w to another address than the lr.w */
  SET_AMO 0x4000
  lr.w a0, (s0)
  addi s1, s0, 4
  li a1, 0x5000
  sc.w a2, a1, (s1)
  CHECK_NE a2, 0
  CHECK_AMO 0x4000                /* guard at s0+4 untouched */
  TEST_CASE 4                     /* ... and that failed sc.w dropped the reservation */
  li a1, 0x6000
  sc.w a2, a1, (s0)
  CHECK_NE a2, 0
  CHECK_AMO 0x4000
  TEST_CASE 5                     /* a newer lr.w replaces the reservation */
  SET_AMO 0x7000
  lr.w a0, (s0)
  la s1, amo_data2
  lr.w a4, (s1)
  li a1, 0x8000
  sc.w a2, a1, (s0)
  CHECK_NE a2, 0
  CHECK_AMO 0x7000
  TEST_CASE 6                     /* lr/sc retry loop: atomic increment x5 */
  SET_AMO 40
  li a5, 5
1:lr.w.aq a0, (s0)
  addi a0, a0, 1
  sc.w.rl a2, a0, (s0)
  bnez a2, 1b
  addi a5, a5, -1
  bnez a5, 1b
  CHECK_AMO 45
  TEST_CASE 7                     /* aqrl forms behave the same */
  lr.w.aqrl a0, (s0)
  CHECK_EQ a0, 45
  li a1, -1
  sc.w.aqrl a2, a1, (s0)
  CHECK_EQ a2, 0
  CHECK_AMO -1

  /* ---- AMOs: rd = old value, memory = op(old, rs2) --------------------- */
  T_AMO 8,  amoswap.w, 0x11111111, 0x22222222, 0x22222222
  T_AMO 9,  amoadd.w,  INT_MAX, 1, INT_MIN
  T_AMO 10, amoadd.w,  5, -7, -2
  T_AMO 11, amoxor.w,  0xff00ff00, 0x0ff00ff0, 0xf0f0f0f0
  T_AMO 12, amoand.w,  0xff00ff00, 0x0ff00ff0, 0x0f000f00
  T_AMO 13, amoor.w,   0xff00ff00, 0x0ff00ff0, 0xfff0fff0
  T_AMO 14, amomin.w,  -1, 1, -1              /* signed */
  T_AMO 15, amomin.w,  5, -3, -3
  T_AMO 16, amomin.w,  INT_MIN, INT_MAX, INT_MIN
  T_AMO 17, amomax.w,  INT_MIN, 0, 0
  T_AMO 18, amomax.w,  1, -1, 1
  T_AMO 19, amomax.w,  7, 7, 7
  T_AMO 20, amominu.w, -1, 1, 1               /* unsigned */
  T_AMO 21, amominu.w, 1, -1, 1
  T_AMO 22, amominu.w, INT_MIN, INT_MAX, INT_MAX
  T_AMO 23, amomaxu.w, INT_MIN, 0, INT_MIN
  T_AMO 24, amomaxu.w, 1, -1, -1
  T_AMO 25, amomaxu.w, INT_MAX, INT_MIN, INT_MIN
  T_AMO 26, amoadd.w.aqrl, 100, 23, 123
  T_AMO 27, amoswap.w.aq, 0, -1, -1

  TEST_CASE 28                    /* rd = x0: memory still updated */
  SET_AMO 10
  li a1, 5
  amoadd.w x0, a1, (s0)
  CHECK_AMO 15
  mv a0, x0
  CHECK_EQ a0, 0
  TEST_CASE 29                    /* rd == rs2: swap a register with memory */
  SET_AMO 0xaaaa
  li a1, 0xbbbb
  amoswap.w a1, a1, (s0)
  CHECK_EQ a1, 0xaaaa
  CHECK_AMO 0xbbbb
  TEST_CASE 30                    /* rs2 = x0 */
  SET_AMO 0xf0f0
  amoand.w a0, x0, (s0)
  CHECK_EQ a0, 0xf0f0
  CHECK_AMO 0
  TEST_CASE 31                    /* an AMO then lr/sc on the same word */
  SET_AMO 1
  li a1, 2
  amoadd.w a0, a1, (s0)
  lr.w a0, (s0)
  CHECK_EQ a0, 3
  sc.w a2, a1, (s0)
  CHECK_EQ a2, 0
  CHECK_AMO 2

  /* ---- misaligned: AMOs cause 6 (QEMU 7.2: 4), lr.w cause 4 ----------- */
  T_MIS_AMO 32, amoswap.w, 1
  T_MIS_AMO 33, amoadd.w, 2
  T_MIS_AMO 34, amoxor.w, 3
  T_MIS_AMO 35, amoand.w, 2
  T_MIS_AMO 36, amoor.w, 1
  T_MIS_AMO 37, amomin.w, 2
  T_MIS_AMO 38, amomax.w, 3
  T_MIS_AMO 39, amominu.w, 1
  T_MIS_AMO 40, amomaxu.w, 2
  TEST_CASE 41
  la s0, mis_data
  addi s1, s0, 2
  li a0, 0x5a5a5a5a
  TRAP_INSN CAUSE_MISALIGNED_LOAD, lr.w a0, (s1)
  CHECK_TRAP CAUSE_MISALIGNED_LOAD, PRV_M
  CHECK_TVAL_REG s1
  CHECK_EQ a0, 0x5a5a5a5a
  TEST_CASE 42                    /* after the trap a plain lr/sc still works */
  la s0, amo_data
  lr.w a0, (s0)
  li a1, 0x42
  sc.w a2, a1, (s0)
  CHECK_EQ a2, 0
  lw a0, 0(s0)
  CHECK_EQ a0, 0x42
TEST_END

/* QEMU 7.2 reports misaligned AMOs as cause 4.  When a misaligned AMO (cause
 * 6) is armed and cause 4 arrives for an AMO instruction, rewrite it as 6 and
 * let the common handler check the rest.  Anything else goes straight on. */
  .align 2
amo_cause_fixup:
  csrw mscratch, t0               /* mscratch is restored below */
  csrr t0, mcause
  addi t0, t0, -CAUSE_MISALIGNED_LOAD
  bnez t0, 1f
  lw t0, trapinfo + TI_EXP_CAUSE
  addi t0, t0, -CAUSE_MISALIGNED_STORE
  bnez t0, 1f
  csrr t0, mepc                   /* is the instruction an AMO (opcode 0x2f)? */
  lw t0, 0(t0)
  andi t0, t0, 0x7f
  addi t0, t0, -0x2f
  bnez t0, 1f
  li t0, CAUSE_MISALIGNED_STORE
  csrw mcause, t0
1:la t0, trapinfo
  csrrw t0, mscratch, t0          /* restore t0 and mscratch = &trapinfo */
  j trap_vector_m

  .data
  .balign 16
  .word 0
amo_data:
  .word 0, 0
amo_data2:
  .word 0
  .balign 16
mis_data:
  .skip 16
