/*
 * traps.S - synchronous exceptions, delegation and xRET.
 *  - ecall from M/S/U: cause 11/9/8, mepc = the ecall, mtval = 0, MPP records
 *    the previous mode, MIE -> MPIE on entry and back on mret; mret sets
 *    MPP = U and MPIE = 1.
 *  - medeleg: a delegated trap from U or S goes to stvec (scause, sepc,
 *    stval, SPP, SIE -> SPIE); sret restores SIE, sets SPIE = 1 and SPP = U;
 *    traps taken in M are never delegated; undelegated traps from S go to M.
 *  - illegal instructions (cause 2, mtval = the instruction bits: QEMU 7.2
 *    writes them, also into stval), ebreak (cause 3, mtval 0 - QEMU - or pc).
 *  - access faults: fetch from 0x00000000 / 0x00010000 (cause 1, mtval =
 *    target), loads (cause 5) and stores (cause 7) there, with mtval = the
 *    address and rd unchanged.  On QEMU virt these addresses are unmapped
 *    and raise access faults (many other "holes" in the virt map do not: e.g.
 *    0x40000000, the PCIe MMIO window, reads as all ones).
 *  - privileged instructions in the wrong mode: sret in U, mret in S/U,
 *    sfence.vma in U, wfi in S with mstatus.TW = 1, sfence.vma / satp in S
 *    with mstatus.TVM = 1, sret in S with mstatus.TSR = 1 - all cause 2.
 */
#define TEST_NAME "traps"
#include "test.h"

#define BAD_ADDR0  0x00000000      /* unmapped on QEMU virt and on hvlab */
#define BAD_ADDR1  0x00010000

/* EXPECT_ILLEGAL mode, insn...: insn raises illegal instruction, handled in
 * `mode`, xtval = the instruction bits */
.macro EXPECT_ILLEGAL mode, insn:vararg
  TRAP_INSN CAUSE_ILLEGAL, \insn
  CHECK_TRAP CAUSE_ILLEGAL, \mode
  CHECK_TVAL_INSN
.endm

/* CHECK_STATUS mask, value: the xstatus recorded by the handler */
.macro CHECK_STATUS mask, val
  TI_LOAD a5, TI_GOT_STATUS
  CHECK_BITS a5, \mask, \val
.endm

TEST_BEGIN
  /* ---- ecall from M ----------------------------------------------------- */
  TEST_CASE 1
  TRAP_INSN CAUSE_ECALL_M, ecall
  CHECK_TRAP CAUSE_ECALL_M, PRV_M   /* also mepc == the ecall */
  CHECK_TVAL 0
  CHECK_STATUS MSTATUS_MPP, MSTATUS_MPP   /* MPP = M */
  TEST_CASE 2                       /* after mret: MPP = U, MPIE = 1 */
  csrr a0, mstatus
  CHECK_BITS a0, MSTATUS_MPP | MSTATUS_MPIE, MSTATUS_MPIE
  TEST_CASE 3                       /* MIE = 1 -> MPIE = 1, MIE = 0 in the handler */
  csrw mie, zero                    /* no interrupt can be taken */
  csrsi mstatus, MSTATUS_MIE
  TRAP_INSN CAUSE_ECALL_M, ecall
  CHECK_TRAP CAUSE_ECALL_M, PRV_M
  CHECK_STATUS MSTATUS_MIE | MSTATUS_MPIE, MSTATUS_MPIE
  csrr a0, mstatus                  /* and mret restored MIE = 1 */
  CHECK_BITS a0, MSTATUS_MIE | MSTATUS_MPIE, MSTATUS_MIE | MSTATUS_MPIE
  TEST_CASE 4                       /* MIE = 0 -> MPIE = 0; mret leaves MIE = 0 */
  csrci mstatus, MSTATUS_MIE
  TRAP_INSN CAUSE_ECALL_M, ecall
  CHECK_STATUS MSTATUS_MIE | MSTATUS_MPIE, 0
  csrr a0, mstatus
  CHECK_BITS a0, MSTATUS_MIE | MSTATUS_MPIE, MSTATUS_MPIE

  /* ---- ecall from S and U, handled in M ---------------------------------- */
  TEST_CASE 5
  GO_S
  TRAP_INSN CAUSE_ECALL_S, ecall
  CHECK_TRAP CAUSE_ECALL_S, PRV_M
  CHECK_TVAL 0
  CHECK_STATUS MSTATUS_MPP, MSTATUS_MPP_S
  TRAP_INSN CAUSE_ECALL_S, ecall     /* mret went back to S */
  CHECK_TRAP CAUSE_ECALL_S, PRV_M
  GO_M
  TEST_CASE 6
  GO_U
  TRAP_INSN CAUSE_ECALL_U, ecall
  CHECK_TRAP CAUSE_ECALL_U, PRV_M
  CHECK_TVAL 0
  CHECK_STATUS MSTATUS_MPP, 0
  TRAP_INSN CAUSE_ECALL_U, ecall     /* mret went back to U */
  CHECK_TRAP CAUSE_ECALL_U, PRV_M
  GO_M
  /* (Not tested: priv spec 1.12 says an mret to S/U also clears MPRV;
   * QEMU 7.2 leaves MPRV set.) */

  /* ---- delegation with medeleg ----------------------------------------- */
  TEST_CASE 7                        /* U ecall delegated to S */
  li a0, 1 << CAUSE_ECALL_U
  csrw medeleg, a0
  li a0, 0x1234
  csrw stval, a0                     /* must be overwritten with 0 */
  GO_U
  TRAP_INSN CAUSE_ECALL_U, ecall
  CHECK_TRAP CAUSE_ECALL_U, PRV_S    /* scause 8, sepc == the ecall */
  CHECK_TVAL 0
  CHECK_STATUS MSTATUS_SPP, 0        /* SPP = U */
  TRAP_INSN CAUSE_ECALL_U, ecall     /* sret went back to U */
  CHECK_TRAP CAUSE_ECALL_U, PRV_S
  GO_M                               /* (forwarded by the S handler) */
  TEST_CASE 8                        /* S ecall is not covered by bit 8 */
  GO_S
  TRAP_INSN CAUSE_ECALL_S, ecall
  CHECK_TRAP CAUSE_ECALL_S, PRV_M
  GO_M
  TEST_CASE 9                       /* delegated trap from S: SPP, SIE/SPIE */
  li a0, (1 << CAUSE_ECALL_U) | (1 << CAUSE_ILLEGAL)
  csrw medeleg, a0
  GO_S
  csrsi sstatus, MSTATUS_SIE         /* mideleg = 0: no S interrupts possible */
  EXPECT_ILLEGAL PRV_S, .word 0xffffffff
  CHECK_STATUS MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE, MSTATUS_SPP | MSTATUS_SPIE
  csrr a0, sstatus                   /* after sret: SIE = 1, SPIE = 1, SPP = U */
  CHECK_BITS a0, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE, MSTATUS_SPIE | MSTATUS_SIE
  csrci sstatus, MSTATUS_SIE
  EXPECT_ILLEGAL PRV_S, .word 0xffffffff
  CHECK_STATUS MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE, MSTATUS_SPP
  csrr a0, sstatus
  CHECK_BITS a0, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE, MSTATUS_SPIE
  GO_M
  TEST_CASE 10                       /* delegated illegal from U: stval = bits */
  GO_U
  EXPECT_ILLEGAL PRV_S, csrr a0, sstatus
  CHECK_STATUS MSTATUS_SPP, 0
  GO_M
  TEST_CASE 11                       /* traps taken in M are never delegated */
  EXPECT_ILLEGAL PRV_M, .word 0xffffffff
  TEST_CASE 12                       /* undelegated trap from S goes to M */
  GO_S
  TRAP_INSN CAUSE_BREAKPOINT, ebreak
  CHECK_TRAP CAUSE_BREAKPOINT, PRV_M
  CHECK_STATUS MSTATUS_MPP, MSTATUS_MPP_S
  GO_M
  csrw medeleg, zero

  /* ---- sret targets ---------------------------------------------------- */
  TEST_CASE 13                       /* sret with SPP = U enters U */
  GO_S
  li a0, MSTATUS_SPP
  csrc sstatus, a0
  la a0, 1f
  csrw sepc, a0
  sret
1:TRAP_INSN CAUSE_ECALL_U, ecall
  CHECK_TRAP CAUSE_ECALL_U, PRV_M
  GO_M
  TEST_CASE 14                       /* sret with SPP = S stays in S */
  GO_S
  li a0, MSTATUS_SPP
  csrs sstatus, a0
  la a0, 1f
  csrw sepc, a0
  sret
1:TRAP_INSN CAUSE_ECALL_S, ecall
  CHECK_TRAP CAUSE_ECALL_S, PRV_M
  csrr a0, sstatus                   /* sret set SPP = U */
  CHECK_BITS a0, MSTATUS_SPP, 0
  GO_M

  /* ---- illegal instructions and breakpoints --------------------------- */
  TEST_CASE 15                       /* 0x00000000: the 16-bit zero is illegal */
  TRAP_INSN CAUSE_ILLEGAL, .word 0x00000000
  CHECK_TRAP CAUSE_ILLEGAL, PRV_M
  CHECK_TVAL 0
  TEST_CASE 16
  TRAP_INSN CAUSE_ILLEGAL, .word 0xffffffff
  CHECK_TRAP CAUSE_ILLEGAL, PRV_M
  CHECK_TVAL 0xffffffff
  TEST_CASE 17                       /* ld x0, 0(x0) does not exist on RV32 */
  TRAP_INSN CAUSE_ILLEGAL, .word 0x00003003
  CHECK_TRAP CAUSE_ILLEGAL, PRV_M
  CHECK_TVAL 0x00003003
  TEST_CASE 18                       /* ebreak: mtval 0 (QEMU) or the pc */
  TRAP_INSN CAUSE_BREAKPOINT, ebreak
  CHECK_TRAP CAUSE_BREAKPOINT, PRV_M
  TI_LOAD a0, TI_GOT_TVAL
  beqz a0, 1f
  TI_LOAD a1, TI_GOT_EPC
  CHECK_REG a0, a1
1:
  TEST_CASE 19                       /* default resume: skip the 4-byte insn */
  ARM_TRAP_SKIP CAUSE_BREAKPOINT
.Lebreak_skip:
  ebreak
  li a0, 0x77                        /* executed after the handler's mepc += 4 */
  CHECK_EQ a0, 0x77
  CHECK_TRAP CAUSE_BREAKPOINT, PRV_M
  TI_LOAD a0, TI_GOT_EPC
  CHECK_ADDR a0, .Lebreak_skip
  TEST_CASE 20                       /* ebreak from U, handled in M */
  GO_U
  TRAP_INSN CAUSE_BREAKPOINT, ebreak
  CHECK_TRAP CAUSE_BREAKPOINT, PRV_M
  GO_M
  CHECK_STATUS MSTATUS_MPP, 0

  /* ---- access faults ------------------------------------------------------ */
  TEST_CASE 21                       /* fetch fault: mepc = mtval = target */
  ARM_TRAP CAUSE_FETCH_ACCESS, .Lfetch_back1
  li a0, BAD_ADDR0
  jalr ra, 0(a0)
.Lfetch_link1:
  j fail
.Lfetch_back1:
  CHECK_TRAP CAUSE_FETCH_ACCESS, PRV_M
  CHECK_TVAL BAD_ADDR0
  TI_LOAD a1, TI_GOT_EPC
  CHECK_EQ a1, BAD_ADDR0
  CHECK_ADDR ra, .Lfetch_link1       /* the jalr itself completed */
  TEST_CASE 22
  ARM_TRAP CAUSE_FETCH_ACCESS, .Lfetch_back2
  li a0, BAD_ADDR1 - 8
  jalr ra, 8(a0)
  j fail
.Lfetch_back2:
  CHECK_TRAP CAUSE_FETCH_ACCESS, PRV_M
  CHECK_TVAL BAD_ADDR1
  TI_LOAD a1, TI_GOT_EPC
  CHECK_EQ a1, BAD_ADDR1
  TEST_CASE 23                       /* fetch fault from S */
  GO_S
  ARM_TRAP CAUSE_FETCH_ACCESS, .Lfetch_back3
  li a0, BAD_ADDR1
  jalr ra, 0(a0)
  j fail
.Lfetch_back3:
  CHECK_TRAP CAUSE_FETCH_ACCESS, PRV_M
  CHECK_TVAL BAD_ADDR1
  GO_M
  CHECK_STATUS MSTATUS_MPP, MSTATUS_MPP_S
  TEST_CASE 24                       /* load access fault */
  li a1, BAD_ADDR0
  li a0, 0x5a5a
  TRAP_INSN CAUSE_LOAD_ACCESS, lw a0, 0(a1)
  CHECK_TRAP CAUSE_LOAD_ACCESS, PRV_M
  CHECK_TVAL BAD_ADDR0
  CHECK_EQ a0, 0x5a5a                /* rd not written */
  TEST_CASE 25
  li a1, BAD_ADDR1
  TRAP_INSN CAUSE_LOAD_ACCESS, lbu a0, 3(a1)
  CHECK_TRAP CAUSE_LOAD_ACCESS, PRV_M
  CHECK_TVAL BAD_ADDR1 + 3
  TEST_CASE 26                       /* store access fault */
  li a1, BAD_ADDR0
  TRAP_INSN CAUSE_STORE_ACCESS, sw a0, 0(a1)
  CHECK_TRAP CAUSE_STORE_ACCESS, PRV_M
  CHECK_TVAL BAD_ADDR0
  TEST_CASE 27
  li a1, BAD_ADDR1 + 0x100
  TRAP_INSN CAUSE_STORE_ACCESS, sh a0, -0x100 + 6(a1)
  CHECK_TRAP CAUSE_STORE_ACCESS, PRV_M
  CHECK_TVAL BAD_ADDR1 + 6
  TEST_CASE 28                       /* from U, loads and stores */
  GO_U
  li a1, BAD_ADDR1
  TRAP_INSN CAUSE_LOAD_ACCESS, lw a0, 4(a1)
  CHECK_TRAP CAUSE_LOAD_ACCESS, PRV_M
  CHECK_TVAL BAD_ADDR1 + 4
  TRAP_INSN CAUSE_STORE_ACCESS, sb a0, 1(a1)
  CHECK_TRAP CAUSE_STORE_ACCESS, PRV_M
  CHECK_TVAL BAD_ADDR1 + 1
  GO_M
  TEST_CASE 29                       /* access faults can be delegated too */
  li a0, (1 << CAUSE_LOAD_ACCESS) | (1 << CAUSE_STORE_ACCESS)
  csrw medeleg, a0
  GO_U
  li a1, BAD_ADDR0
  TRAP_INSN CAUSE_LOAD_ACCESS, lh a0, 2(a1)
  CHECK_TRAP CAUSE_LOAD_ACCESS, PRV_S
  CHECK_TVAL BAD_ADDR0 + 2
  GO_M
  csrw medeleg, zero

  /* ---- privileged instructions in the wrong mode ---------------------- */
  TEST_CASE 30
  GO_U
  EXPECT_ILLEGAL PRV_M, sret
  EXPECT_ILLEGAL PRV_M, mret
  EXPECT_ILLEGAL PRV_M, sfence.vma
  GO_M
  TEST_CASE 31
  GO_S
  EXPECT_ILLEGAL PRV_M, mret
  GO_M
  TEST_CASE 32                       /* TW = 1: wfi in S traps (nothing can wake it) */
  li a0, MSTATUS_TW
  csrs mstatus, a0
  GO_S
  EXPECT_ILLEGAL PRV_M, wfi
  GO_M
  li a0, MSTATUS_TW
  csrc mstatus, a0
  TEST_CASE 33                       /* TVM = 1: sfence.vma and satp trap in S */
  li a0, MSTATUS_TVM
  csrs mstatus, a0
  GO_S
  EXPECT_ILLEGAL PRV_M, sfence.vma
  EXPECT_ILLEGAL PRV_M, sfence.vma a0, x0
  EXPECT_ILLEGAL PRV_M, csrr a0, satp
  EXPECT_ILLEGAL PRV_M, csrw satp, zero
  GO_M
  li a0, MSTATUS_TVM
  csrc mstatus, a0
  TEST_CASE 34                       /* TVM = 0: both allowed in S */
  GO_S
  sfence.vma
  csrr a0, satp
  csrw satp, zero
  GO_M
  CHECK_EQ a0, 0
  TEST_CASE 35                       /* TSR = 1: sret in S traps */
  li a0, MSTATUS_TSR
  csrs mstatus, a0
  GO_S
  EXPECT_ILLEGAL PRV_M, sret
  GO_M
  li a0, MSTATUS_TSR
  csrc mstatus, a0
  TEST_CASE 36                       /* M-mode may use all of them */
  csrr a0, mstatus
  sfence.vma
  li a0, MSTATUS_TW | MSTATUS_TVM | MSTATUS_TSR
  csrs mstatus, a0                   /* no effect in M */
  sfence.vma
  csrr a0, satp
  li a0, MSTATUS_TW | MSTATUS_TVM | MSTATUS_TSR
  csrc mstatus, a0
TEST_END
