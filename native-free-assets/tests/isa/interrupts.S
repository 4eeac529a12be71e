/*
 * interrupts.S - machine/supervisor interrupts on the CLINT and mip.
 *  - MTI from CLINT mtimecmp: mip.MTIP follows mtime >= mtimecmp (and is not
 *    writable through mip), taken only with mie.MTIE and mstatus.MIE (in M),
 *    mcause 0x80000007, mtval 0, cleared by writing mtimecmp.
 *  - MSI from CLINT msip: mcause 0x80000003.
 *  - Priority MEI > MSI > MTI > SEI > SSI > STI, checked where QEMU 7.2
 *    agrees: MSI before MTI, SSI before STI (see the note after case 10).
 *  - mideleg: SSI/STI delegated to S are taken by stvec (scause 0x80000001 /
 *    0x80000005), never while in M, always while in U (whatever SIE is);
 *    undelegated interrupts are taken in M from S/U even with MIE = 0;
 *    S-mode cannot clear STIP.
 *  - WFI wakes up when an interrupt becomes pending even if it is globally
 *    disabled (M with MIE = 0; S with SIE = 0 and mstatus.TW = 0).
 * No test depends on exact timing: timer deadlines are "mtime + small delta"
 * and every wait is a bounded loop (WAIT_TRAP, 10M iterations).
 * Reminder: the trap handler masks the interrupt it takes (clears its mie/sie
 * bit and MPIE/SPIE), so each armed interrupt is taken exactly once.
 */
#define TEST_NAME "interrupts"
#include "test.h"

/* TIMER_OFF: mtimecmp = 2^64 - 1 (never) */
.macro TIMER_OFF
  li a4, CLINT_MTIMECMP
  li a3, -1
  sw a3, 0(a4)
  sw a3, 4(a4)
.endm

/* TIMER_NOW: mtimecmp = 0 (pending at once) */
.macro TIMER_NOW
  li a4, CLINT_MTIMECMP
  sw zero, 0(a4)
  sw zero, 4(a4)
.endm

/* TIMER_IN delta: mtimecmp = mtime + delta (64-bit, glitch-free order) */
.macro TIMER_IN delta
  li a4, CLINT_MTIME
.Lrd\@:
  lw a1, 4(a4)
  lw a0, 0(a4)
  lw a2, 4(a4)
  bne a1, a2, .Lrd\@
  li a3, \delta
  add a3, a0, a3
  sltu a2, a3, a0
  add a1, a1, a2
  li a4, CLINT_MTIMECMP
  li a2, -1
  sw a2, 0(a4)                  /* lo = max first: no early match */
  sw a1, 4(a4)
  sw a3, 0(a4)
.endm

/* MSIP v: CLINT msip = v */
.macro MSIP v
  li a4, CLINT_MSIP
  li a3, \v
  sw a3, 0(a4)
.endm

/* SPIN n: busy loop, n iterations (gives a pending interrupt time to fire) */
.macro SPIN n
  li a3, \n
.Lspin\@:
  addi a3, a3, -1
  bnez a3, .Lspin\@
.endm

/* CHECK_MIP mask, value */
.macro CHECK_MIP mask, val
  csrr a5, mip
  CHECK_BITS a5, \mask, \val
.endm

TEST_BEGIN
  csrw mie, zero
  csrci mstatus, MSTATUS_MIE

  /* ---- machine timer ------------------------------------------------- */
  TEST_CASE 1                     /* mtimecmp = max: not pending */
  TIMER_OFF
  CHECK_MIP MIP_MTIP, 0
  TEST_CASE 2                     /* mtimecmp = 0: pending, visible in mip */
  TIMER_NOW
  CHECK_MIP MIP_MTIP, MIP_MTIP
  li a0, MIP_MTIP                 /* MTIP is read-only in mip */
  csrc mip, a0
  CHECK_MIP MIP_MTIP, MIP_MTIP
  TEST_CASE 3                     /* masked by mstatus.MIE = 0 */
  li a0, MIP_MTIP
  csrs mie, a0
  SPIN 1000                       /* any trap here fails the test */
  TEST_CASE 4                     /* masked by mie.MTIE = 0 */
  csrw mie, zero
  csrsi mstatus, MSTATUS_MIE
  SPIN 1000
  csrci mstatus, MSTATUS_MIE
  TEST_CASE 5                     /* enabled: taken, mcause 0x80000007 */
  ARM_IRQ INTR(IRQ_MTI)
  li a0, MIP_MTIP
  csrs mie, a0
  csrsi mstatus, MSTATUS_MIE
  WAIT_TRAP
  CHECK_TRAP INTR(IRQ_MTI), PRV_M
  CHECK_TVAL 0
  TI_LOAD a0, TI_GOT_STATUS       /* in the handler: MIE = 0, MPIE = 1, MPP = M */
  CHECK_BITS a0, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP, MSTATUS_MPIE | MSTATUS_MPP
  TEST_CASE 6                     /* still pending until mtimecmp is rewritten */
  CHECK_MIP MIP_MTIP, MIP_MTIP
  TIMER_OFF
  CHECK_MIP MIP_MTIP, 0
  TEST_CASE 7                     /* a deadline in the future */
  TIMER_IN 10000000               /* 1 s away: surely not pending yet */
  CHECK_MIP MIP_MTIP, 0
  TIMER_IN 2000                   /* 200 us / ~20000 instructions */
  ARM_IRQ INTR(IRQ_MTI)
  li a0, MIP_MTIP
  csrs mie, a0
  csrsi mstatus, MSTATUS_MIE
  WAIT_TRAP
  CHECK_TRAP INTR(IRQ_MTI), PRV_M
  TIMER_OFF
  csrw mie, zero
  csrci mstatus, MSTATUS_MIE

  /* ---- machine software interrupt ----------------------------------- */
  TEST_CASE 8
  MSIP 1
  CHECK_MIP MIP_MSIP, MIP_MSIP
  li a4, CLINT_MSIP
  lw a0, 0(a4)
  CHECK_EQ a0, 1
  ARM_IRQ INTR(IRQ_MSI)
  li a0, MIP_MSIP
  csrs mie, a0
  csrsi mstatus, MSTATUS_MIE
  WAIT_TRAP
  CHECK_TRAP INTR(IRQ_MSI), PRV_M
  CHECK_TVAL 0
  TEST_CASE 9                     /* cleared through the CLINT */
  MSIP 0
  CHECK_MIP MIP_MSIP, 0
  csrw mie, zero
  csrci mstatus, MSTATUS_MIE

  /* ---- priorities ------------------------------------------------------- */
  TEST_CASE 10                    /* MSI before MTI */
  MSIP 1
  TIMER_NOW
  li a0, MIP_MSIP | MIP_MTIP
  csrs mie, a0
  ARM_IRQ INTR(IRQ_MSI)
  csrsi mstatus, MSTATUS_MIE      /* both pending: MSI goes first */
  WAIT_TRAP
  CHECK_TRAP INTR(IRQ_MSI), PRV_M
  ARM_IRQ INTR(IRQ_MTI)           /* handler left MIE = 0; now the timer */
  csrsi mstatus, MSTATUS_MIE
  WAIT_TRAP
  CHECK_TRAP INTR(IRQ_MTI), PRV_M
  MSIP 0
  TIMER_OFF
  /* (MTI before SSI is not tested: QEMU 7.2 without AIA takes the
   * lowest-numbered pending interrupt, so it takes SSI (1) before MTI (7),
   * and would likewise take MSI/MTI before MEI and SSI before SEI.  MSI
   * before MTI and SSI before STI agree with the spec either way.) */
  TEST_CASE 11                    /* SSI before STI */
  li a0, MIP_SSIP | MIP_STIP
  csrs mip, a0                    /* M may set STIP */
  CHECK_MIP MIP_SSIP | MIP_STIP, MIP_SSIP | MIP_STIP
  csrs mie, a0
  ARM_IRQ INTR(IRQ_SSI)
  csrsi mstatus, MSTATUS_MIE
  WAIT_TRAP
  CHECK_TRAP INTR(IRQ_SSI), PRV_M
  ARM_IRQ INTR(IRQ_STI)
  csrsi mstatus, MSTATUS_MIE
  WAIT_TRAP
  CHECK_TRAP INTR(IRQ_STI), PRV_M
  li a0, MIP_SSIP | MIP_STIP
  csrc mip, a0
  CHECK_MIP MIP_SSIP | MIP_STIP, 0
  csrw mie, zero

  /* ---- delegation to S -------------------------------------------------- */
  TEST_CASE 12                    /* delegated SSI is never taken in M */
  li a0, MIP_SSIP | MIP_STIP
  csrw mideleg, a0
  li a0, MIP_SSIP
  csrs mip, a0
  csrs mie, a0
  li a0, MSTATUS_MIE | MSTATUS_SIE
  csrs mstatus, a0
  SPIN 1000                       /* any trap fails the test */
  csrci mstatus, MSTATUS_MIE
  TEST_CASE 13                    /* ...and taken by S as soon as S runs with SIE */
  ARM_IRQ INTR(IRQ_SSI)
  GO_S                            /* SIE = 1 from above */
  WAIT_TRAP
  CHECK_TRAP INTR(IRQ_SSI), PRV_S /* scause 0x80000001 */
  CHECK_TVAL 0
  TI_LOAD a0, TI_GOT_STATUS       /* sstatus in the handler */
  CHECK_BITS a0, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP, MSTATUS_SPIE | MSTATUS_SPP
  csrr a0, sip                    /* S sees and clears its SSIP */
  CHECK_BITS a0, MIP_SSIP, MIP_SSIP
  li a0, MIP_SSIP
  csrc sip, a0
  csrr a0, sip
  CHECK_BITS a0, MIP_SSIP, 0
  csrci sstatus, MSTATUS_SIE
  GO_M
  CHECK_MIP MIP_SSIP, 0
  TEST_CASE 14                    /* in U the delegated SSI is taken even with SIE = 0 */
  li a0, MIP_SSIP
  csrs mip, a0
  csrs mie, a0
  csrci mstatus, MSTATUS_SIE
  ARM_IRQ INTR(IRQ_SSI)
  GO_U
  WAIT_TRAP
  CHECK_TRAP INTR(IRQ_SSI), PRV_S
  TI_LOAD a0, TI_GOT_STATUS
  CHECK_BITS a0, MSTATUS_SPP, 0   /* came from U */
  GO_M
  li a0, MIP_SSIP
  csrc mip, a0
  TEST_CASE 15                    /* S timer: M sets STIP, S takes it */
  li a0, MIP_STIP
  csrs mie, a0
  csrs mip, a0
  li a0, MSTATUS_SIE
  csrs mstatus, a0
  ARM_IRQ INTR(IRQ_STI)
  GO_S
  WAIT_TRAP
  CHECK_TRAP INTR(IRQ_STI), PRV_S /* scause 0x80000005 */
  li a0, MIP_STIP                 /* S cannot clear STIP */
  csrc sip, a0
  csrr a0, sip
  CHECK_BITS a0, MIP_STIP, MIP_STIP
  csrci sstatus, MSTATUS_SIE
  GO_M
  li a0, MIP_STIP                 /* M clears it */
  csrc mip, a0
  CHECK_MIP MIP_STIP, 0
  csrw mideleg, zero
  csrw mie, zero

  /* ---- undelegated interrupts preempt lower modes ---------------------- */
  TEST_CASE 16                    /* SSI not delegated: M takes it from S, MIE = 0 */
  csrci mstatus, MSTATUS_MIE
  li a0, MIP_SSIP
  csrs mip, a0
  csrs mie, a0
  ARM_IRQ INTR(IRQ_SSI)
  GO_S
  WAIT_TRAP
  CHECK_TRAP INTR(IRQ_SSI), PRV_M
  TI_LOAD a0, TI_GOT_STATUS
  CHECK_BITS a0, MSTATUS_MPP, MSTATUS_MPP_S
  GO_M
  li a0, MIP_SSIP
  csrc mip, a0
  TEST_CASE 17                    /* timer from U, MIE = 0 */
  TIMER_NOW
  li a0, MIP_MTIP
  csrs mie, a0
  ARM_IRQ INTR(IRQ_MTI)
  GO_U
  WAIT_TRAP
  CHECK_TRAP INTR(IRQ_MTI), PRV_M
  TI_LOAD a0, TI_GOT_STATUS
  CHECK_BITS a0, MSTATUS_MPP, 0
  GO_M
  TIMER_OFF
  csrw mie, zero

  /* ---- WFI ------------------------------------------------------------ */
  TEST_CASE 18                    /* M, MIE = 0: wfi wakes on MTIP, no trap */
  csrci mstatus, MSTATUS_MIE
  li a0, MIP_MTIP
  csrs mie, a0
  TIMER_IN 500
  li s0, 10000000
1:wfi                             /* may also return early: loop */
  csrr a0, mip
  andi a0, a0, MIP_MTIP
  bnez a0, 2f
  addi s0, s0, -1
  bnez s0, 1b
  j fail
2:TIMER_OFF
  csrw mie, zero
  TEST_CASE 19                    /* S, SIE = 0, TW = 0: wfi returns with a pending SSI */
  li a0, MIP_SSIP
  csrw mideleg, a0
  csrs mie, a0
  csrs mip, a0
  csrci mstatus, MSTATUS_SIE
  GO_S
  wfi
  csrr a0, sip
  CHECK_BITS a0, MIP_SSIP, MIP_SSIP
  GO_M
  li a0, MIP_SSIP
  csrc mip, a0
  csrw mie, zero
  csrw mideleg, zero
TEST_END
