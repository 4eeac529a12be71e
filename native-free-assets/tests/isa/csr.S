/*
 * csr.S - Zicsr instructions and the basic machine/supervisor CSRs.
 *  - csrrw/csrrs/csrrc and the immediate forms: old value returned, new
 *    value written; zimm is 5-bit zero-extended; rs1 = x0 (or zimm = 0) in
 *    csrrs/csrrc forms does not write, so it works on read-only CSRs.
 *  - Writing a read-only CSR (mvendorid, mhartid, cycle...) and accessing an
 *    unimplemented CSR (0x7C0, 0x5FF) or a CSR of a higher privilege level
 *    raise illegal instruction (cause 2) with mtval = the instruction bits
 *    (QEMU 7.2 writes the instruction bits).
 *  - misa: MXL = 1 (RV32) and I, M, A, C, S, U present (other bits, e.g. F/D
 *    on QEMU, are not checked).
 *  - Counters: minstret counts exactly one per retired instruction (two
 *    back-to-back reads differ by 1) and is writable; mcycle advances;
 *    the user aliases cycle/time/instret and the *h halves are readable;
 *    time matches the CLINT mtime; S-mode may read them only if the
 *    mcounteren bit is set, U-mode only if both mcounteren and scounteren bits
 *    are set.
 *  - sstatus is a restricted view of mstatus.
 *
 * Note for QEMU 7.2: without `-icount`, QEMU's minstret/mcycle return host
 * TSC ticks, so the exact-count cases (22-24, 30) need `-icount shift=0`
 * (the Makefile's check-qemu passes it).  QEMU also does not trap
 * `csrrs rd, <read-only csr>, rs1` when rs1 != x0 holds 0 (the spec says it
 * must, as it is a write attempt), so that case is not tested.
 */
#define TEST_NAME "csr"
#include "test.h"

#define CSR_CUSTOM_M  0x7c0        /* custom M-mode read/write range: unimplemented */
#define CSR_CUSTOM_S  0x5ff        /* custom S-mode read/write range: unimplemented */
#define MISA_BIT(c)   (1 << ((c) - 'A'))
#define MISA_IMACSU   (MISA_BIT('I') | MISA_BIT('M') | MISA_BIT('A') | MISA_BIT('C') | MISA_BIT('S') | MISA_BIT('U'))

/* T_ILLEGAL n, insn...: insn raises illegal instruction, mtval = its bits */
.macro T_ILLEGAL n, insn:vararg
  TEST_CASE \n
  TRAP_INSN CAUSE_ILLEGAL, \insn
  CHECK_TRAP CAUSE_ILLEGAL, PRV_M
  CHECK_TVAL_INSN
.endm

/* EXPECT_ILLEGAL insn...: like T_ILLEGAL within an existing case */
.macro EXPECT_ILLEGAL insn:vararg
  TRAP_INSN CAUSE_ILLEGAL, \insn
  CHECK_TRAP CAUSE_ILLEGAL, PRV_M
  CHECK_TVAL_INSN
.endm

TEST_BEGIN
  csrr s11, mscratch              /* the trap handler needs it back */

  /* ---- csrrw / csrrs / csrrc ----------------------------------------- */
  TEST_CASE 1
  li a0, 0x12345678
  csrw mscratch, a0
  li a1, 0xff00ff00
  csrrw a2, mscratch, a1
  CHECK_EQ a2, 0x12345678         /* old value */
  csrr a3, mscratch
  CHECK_EQ a3, 0xff00ff00         /* new value */
  TEST_CASE 2
  li a1, 0x00000ff0
  csrrs a2, mscratch, a1
  CHECK_EQ a2, 0xff00ff00
  csrr a3, mscratch
  CHECK_EQ a3, 0xff00fff0
  TEST_CASE 3
  li a1, 0xf00000f0
  csrrc a2, mscratch, a1
  CHECK_EQ a2, 0xff00fff0
  csrr a3, mscratch
  CHECK_EQ a3, 0x0f00ff00
  TEST_CASE 4                     /* zimm is zero-extended: 31, not -1 */
  csrrwi a2, mscratch, 31
  CHECK_EQ a2, 0x0f00ff00
  csrr a3, mscratch
  CHECK_EQ a3, 31
  TEST_CASE 5
  csrw mscratch, zero
  csrrsi a2, mscratch, 0x14
  CHECK_EQ a2, 0
  csrrsi a2, mscratch, 0x03
  CHECK_EQ a2, 0x14
  csrrci a2, mscratch, 0x11
  CHECK_EQ a2, 0x17
  csrr a3, mscratch
  CHECK_EQ a3, 0x06
  TEST_CASE 6                     /* rd == rs1: swap */
  li a0, 0x600d
  csrw mscratch, a0
  li a0, 0xbad
  csrrw a0, mscratch, a0
  CHECK_EQ a0, 0x600d
  csrr a3, mscratch
  CHECK_EQ a3, 0xbad
  TEST_CASE 7                     /* rs1 = x0 / zimm = 0: no write */
  li a0, 0x5a5a5a5a
  csrw mscratch, a0
  csrrs a2, mscratch, x0
  csrrc a2, mscratch, x0
  csrrsi a2, mscratch, 0
  csrrci a2, mscratch, 0
  CHECK_EQ a2, 0x5a5a5a5a
  csrr a3, mscratch
  CHECK_EQ a3, 0x5a5a5a5a
  csrrwi a2, mscratch, 0          /* ...but csrrwi 0 does write 0 */
  csrr a3, mscratch
  CHECK_EQ a3, 0
  csrw mscratch, s11              /* restore */

  /* ---- other read/write CSRs round-trip --------------------------- */
  TEST_CASE 8
  csrr s10, sscratch
  li a0, 0xa5a5c3c3
  csrw sscratch, a0
  csrr a1, sscratch
  csrw sscratch, s10
  CHECK_EQ a1, 0xa5a5c3c3
  TEST_CASE 9
  li a0, 0x80001232               /* 2-byte aligned: legal with C */
  csrw mepc, a0
  csrr a1, mepc
  CHECK_EQ a1, 0x80001232
  csrw sepc, a0
  csrr a1, sepc
  CHECK_EQ a1, 0x80001232
  li a0, 0xdeadbeef
  csrw mtval, a0
  csrr a1, mtval
  CHECK_EQ a1, 0xdeadbeef
  csrw stval, a0
  csrr a1, stval
  CHECK_EQ a1, 0xdeadbeef
  TEST_CASE 10                    /* xtvec, direct mode, 4-byte aligned */
  csrr s9, mtvec
  csrr s10, stvec
  li a0, 0x80000100
  csrw mtvec, a0
  csrr a1, mtvec
  csrw mtvec, s9
  CHECK_EQ a1, 0x80000100
  li a0, 0x80000200
  csrw stvec, a0
  csrr a1, stvec
  csrw stvec, s10
  CHECK_EQ a1, 0x80000200

  /* ---- read-only CSRs --------------------------------------------------- */
  TEST_CASE 11                    /* reads with x0/zimm 0 forms never trap */
  csrr a0, mvendorid
  csrrs a0, marchid, x0
  csrrc a0, mimpid, x0
  csrrsi a0, mhartid, 0
  csrrci a0, cycle, 0
  csrrs a0, time, x0
  csrrc a0, instret, x0
  csrr a0, mhartid
  CHECK_EQ a0, 0                  /* single hart 0 */
  T_ILLEGAL 12, csrw mvendorid, a0
  T_ILLEGAL 13, csrrwi a0, mhartid, 1
  T_ILLEGAL 14, csrw cycle, a0    /* 0xC00 is read-only in every mode */
  T_ILLEGAL 15, csrrsi a0, cycle, 1
  T_ILLEGAL 16, csrrci a0, instret, 1
  TEST_CASE 17
  li a1, 1
  EXPECT_ILLEGAL csrrs a0, time, a1
  EXPECT_ILLEGAL csrrw x0, marchid, x0  /* csrrw always writes, even x0 */

  /* ---- unimplemented CSRs ------------------------------------------- */
  T_ILLEGAL 18, csrr a0, CSR_CUSTOM_M
  T_ILLEGAL 19, csrr a0, CSR_CUSTOM_S
  T_ILLEGAL 20, csrw CSR_CUSTOM_M, a0

  /* ---- misa ----------------------------------------------------------- */
  TEST_CASE 21
  csrr a0, misa
  srli a1, a0, 30
  CHECK_EQ a1, 1                  /* MXL = 1: XLEN 32 */
  CHECK_BITS a0, MISA_IMACSU, MISA_IMACSU
  CHECK_BITS a0, MISA_BIT('E'), 0 /* not RV32E */

  /* ---- counters ----------------------------------------------------- */
  TEST_CASE 22                    /* back-to-back reads: exactly 1 */
  csrr a0, minstret
  csrr a1, minstret
  sub a2, a1, a0
  CHECK_EQ a2, 1
  TEST_CASE 23                    /* + 4 instructions in between: 5 */
  csrr a0, minstret
  addi a3, zero, 1
  addi a3, a3, 1
  nop
  xor a4, a3, a3
  csrr a1, minstret
  sub a2, a1, a0
  CHECK_EQ a2, 5
  TEST_CASE 24                    /* the user alias counts the same */
  csrr a0, minstret
  csrr a1, instret
  sub a2, a1, a0
  CHECK_EQ a2, 1
  TEST_CASE 25                    /* mcycle / cycle advance */
  csrr a0, mcycle
  csrr s1, cycle
  li a3, 100
1:addi a3, a3, -1
  bnez a3, 1b
  csrr a1, mcycle
  csrr s2, cycle
  sub a2, a1, a0
  FAIL_IF_Z a2
  bltu a1, a0, fail_near          /* (no wrap this early) */
  sub a2, s2, s1
  FAIL_IF_Z a2
  TEST_CASE 26                    /* minstret is writable */
  li a0, 1000
  csrw minstret, a0
  csrr a1, minstret               /* 1000 (spec) or 1001 (QEMU counts the csrw) */
  addi a1, a1, -1000
  li a2, 2
  bgeu a1, a2, fail_near
  /* (QEMU 7.2 does not carry a wrapping minstret into minstreth, so the
   * 64-bit carry is not tested.) */
  j 1f
fail_near:
  j fail
1:
  TEST_CASE 27                    /* high halves readable, aliases agree */
  csrr a0, minstreth
  csrr a1, instreth
  CHECK_REG a0, a1
  csrr a0, mcycleh
  csrr a1, cycleh
  CHECK_REG a0, a1
  TEST_CASE 28                    /* time / timeh follow the CLINT's mtime */
  li s0, CLINT_MTIME
1:lw a3, 4(s0)                    /* mtime hi */
  lw a0, 0(s0)                    /* mtime lo, before */
  csrr a1, time
  csrr a4, timeh
  lw a2, 0(s0)                    /* mtime lo, after */
  lw a5, 4(s0)
  bne a3, a5, 1b                  /* hi changed: retry */
  CHECK_REG a4, a3
  bltu a2, a0, 1b                 /* lo wrapped: retry */
  bltu a1, a0, fail_near
  bltu a2, a1, fail_near

  /* ---- counter access from S and U ------------------------------------ */
  TEST_CASE 29                    /* S, mcounteren = 0: all trap */
  csrw mcounteren, zero
  csrw scounteren, zero
  GO_S
  EXPECT_ILLEGAL csrr a0, cycle
  EXPECT_ILLEGAL csrr a0, time
  EXPECT_ILLEGAL csrr a0, instret
  EXPECT_ILLEGAL csrr a0, cycleh
  EXPECT_ILLEGAL csrr a0, timeh
  EXPECT_ILLEGAL csrr a0, instreth
  GO_M
  TEST_CASE 30                    /* S, mcounteren = CY|TM|IR: all readable */
  li a0, 7
  csrw mcounteren, a0
  GO_S
  csrr a0, cycle
  csrr a0, time
  csrr a1, instret
  csrr a2, instret
  csrr a0, cycleh
  csrr a0, timeh
  csrr a0, instreth
  GO_M
  sub a2, a2, a1
  CHECK_EQ a2, 1                  /* counting in S mode too */
  TEST_CASE 31                    /* S, mcounteren = CY only */
  li a0, 1
  csrw mcounteren, a0
  GO_S
  csrr a0, cycle
  csrr a0, cycleh
  EXPECT_ILLEGAL csrr a0, time
  EXPECT_ILLEGAL csrr a0, instret
  GO_M
  TEST_CASE 32                    /* U, mcounteren set, scounteren 0: trap */
  li a0, 7
  csrw mcounteren, a0
  csrw scounteren, zero
  GO_U
  EXPECT_ILLEGAL csrr a0, cycle
  EXPECT_ILLEGAL csrr a0, time
  EXPECT_ILLEGAL csrr a0, instreth
  GO_M
  TEST_CASE 33                    /* U, both set: readable */
  li a0, 7
  csrw scounteren, a0
  GO_U
  csrr a0, cycle
  csrr a0, time
  csrr a0, instret
  csrr a0, cycleh
  csrr a0, timeh
  csrr a0, instreth
  GO_M
  TEST_CASE 34                    /* U, scounteren set, mcounteren 0: trap */
  csrw mcounteren, zero
  GO_U
  EXPECT_ILLEGAL csrr a0, cycle
  EXPECT_ILLEGAL csrr a0, instret
  GO_M
  TEST_CASE 35                    /* U, per-bit: IR in both, CY only in scounteren */
  li a0, 4
  csrw mcounteren, a0
  li a0, 5
  csrw scounteren, a0
  GO_U
  csrr a0, instret
  EXPECT_ILLEGAL csrr a0, cycle
  EXPECT_ILLEGAL csrr a0, time
  GO_M
  csrw mcounteren, zero
  csrw scounteren, zero

  /* ---- privilege of CSR addresses ------------------------------------- */
  TEST_CASE 36                    /* S cannot touch M CSRs */
  GO_S
  EXPECT_ILLEGAL csrr a0, mstatus
  EXPECT_ILLEGAL csrr a0, mscratch
  EXPECT_ILLEGAL csrw mtvec, zero
  EXPECT_ILLEGAL csrr a0, mhartid
  csrr a0, sstatus                /* but its own are fine */
  li a1, 0x3c3c
  csrrw a2, sscratch, a1
  csrrw a3, sscratch, a2
  CHECK_EQ a3, 0x3c3c
  GO_M
  TEST_CASE 37                    /* U cannot touch S or M CSRs */
  GO_U
  EXPECT_ILLEGAL csrr a0, sstatus
  EXPECT_ILLEGAL csrw sscratch, zero
  EXPECT_ILLEGAL csrr a0, satp
  EXPECT_ILLEGAL csrr a0, mscratch
  GO_M

  /* ---- sstatus is a view of mstatus --------------------------------- */
  TEST_CASE 38
  csrr s10, mstatus
  li a0, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP
  csrc mstatus, a0
  li a0, MSTATUS_MIE | MSTATUS_MPP  /* mie = 0: MIE=1 takes no interrupt */
  csrs mstatus, a0
  csrr a1, sstatus
  CHECK_BITS a1, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP, 0  /* M bits hidden */
  csrsi sstatus, MSTATUS_SIE
  csrr a1, mstatus
  CHECK_BITS a1, MSTATUS_SIE | MSTATUS_MIE | MSTATUS_MPP, MSTATUS_SIE | MSTATUS_MIE | MSTATUS_MPP
  li a0, MSTATUS_SPP | MSTATUS_SPIE
  csrs sstatus, a0
  csrr a1, sstatus
  CHECK_BITS a1, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP
  csrw sstatus, zero              /* clears S bits only */
  csrr a1, mstatus
  CHECK_BITS a1, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_MIE | MSTATUS_MPP, MSTATUS_MIE | MSTATUS_MPP
  csrw mstatus, s10
TEST_END
