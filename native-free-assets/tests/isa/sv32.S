/*
 * sv32.S - Sv32 address translation.
 *
 * Page tables are built in M-mode (pt_root, pt_l0) and used from S and U:
 *   VA 0x80000000  4 MiB megapage -> PA 0x80000000 (this image), S RWX.
 *                  Code, data and the page tables are identity-mapped, so S
 *                  code (and the S trap handler) run unchanged.
 *   VA 0xA0000000  4 MiB megapage -> PA 0x80000000, U RWX: U-mode code runs
 *                  from this alias (GO_U_ALIAS), pc-relative code still works.
 *   VA 0xC0000000  4 MiB megapage -> PA 0x80000000, S RW (data only).
 *   VA 0xC0400000  "megapage" with PPN[0] != 0: misaligned -> page fault.
 *   VA 0x40000000 + i*4K: 4 KiB pages through pt_l0, see PG_* below.
 * Every PTE except the A/D test page has A and D preset, so only that page
 * depends on the hardware A/D update (QEMU 7.2 and hvlab both update A/D).
 *
 * Checks: 4 KiB and megapage translation; faults (fetch 12, load 13, store
 * 15, xtval = faulting VA, xepc) for V=0, W-without-R, missing R/W/X, a
 * misaligned megapage, a level-0 pointer PTE; U/S protection (SUM lets S
 * load/store U pages but never execute them; U cannot touch S pages); MXR
 * makes execute-only pages readable; A/D updates; sfence.vma (all, by
 * address, by ASID, by both) after PTE changes; page faults handled in M and
 * delegated to S; M-mode loads/stores with MPRV=1 are translated as MPP.
 */
#define TEST_NAME "sv32"
#include "test.h"

#define PTE_V 0x01
#define PTE_R 0x02
#define PTE_W 0x04
#define PTE_X 0x08
#define PTE_U 0x10
#define PTE_G 0x20
#define PTE_A 0x40
#define PTE_D 0x80
#define PTE_AD (PTE_A | PTE_D)

#define SATP_MODE_SV32 0x80000000

#define VA_IMAGE  0x80000000
#define VA_ALIAS  0xA0000000
#define ALIAS_OFF (VA_ALIAS - VA_IMAGE)
#define VA_MEGA   0xC0000000
#define VA_MISAL  0xC0400000
#define VA_PAGES  0x40000000
#define VA_PAGE(i) (VA_PAGES + (i) * 0x1000)

/* the 4 KiB pages (index into pt_l0) */
#define PG_RW      0     /* RW          -> pg_a                              */
#define PG_RO      1     /* R           -> pg_b                              */
#define PG_XO      2     /* X           -> the page holding xonly_fn         */
#define PG_WO      3     /* W (no R): reserved encoding -> pg_b              */
#define PG_INV     4     /* V = 0                                            */
#define PG_URW     5     /* U RW        -> pg_c                              */
#define PG_URX     6     /* U RX        -> the page holding xonly_fn         */
#define PG_AD      7     /* RW, A = D = 0 -> pg_d                            */
#define PG_REMAP   8     /* RW          -> pg_e or pg_f (sfence.vma tests)   */
#define PG_PTR     9     /* V only at level 0: a pointer where a leaf must be */
#define PG_DOWN    10    /* RW, later made R / invalid (sfence.vma)          */

#define MEDELEG_PF ((1 << CAUSE_FETCH_PAGE) | (1 << CAUSE_LOAD_PAGE) | (1 << CAUSE_STORE_PAGE))

/* SET_L0 i, sym, flags: pt_l0[i] = leaf PTE for the page holding sym */
.macro SET_L0 i, sym, flags
  la a0, \sym
  srli a0, a0, 12
  slli a0, a0, 10
  ori a0, a0, \flags
  la a1, pt_l0
  sw a0, (\i) * 4(a1)
.endm

/* SET_ROOT idx, pte_value: pt_root[idx] = pte_value */
.macro SET_ROOT idx, val
  la a1, pt_root
  li a2, (\idx) * 4
  add a1, a1, a2
  li a0, \val
  sw a0, 0(a1)
.endm

/* GO_U_ALIAS: (M) continue at the next instruction, in U mode, at its
 * VA_ALIAS alias (the identity mapping is not user-accessible) */
.macro GO_U_ALIAS
  li t6, MSTATUS_MPP
  csrc mstatus, t6
  la t6, .Lnext\@
  li t5, ALIAS_OFF
  add t6, t6, t5
  csrw mepc, t6
  mret
.Lnext\@:
.endm

/* PF insn_cause, mode, va, insn...: insn faults with cause, handled in mode,
 * xtval = va (xepc = insn is checked by CHECK_TRAP) */
.macro PF cause, mode, va, insn:vararg
  TRAP_INSN \cause, \insn
  CHECK_TRAP \cause, \mode
  CHECK_TVAL \va
.endm

/* FETCH_PF mode, va: jumping to va raises an instruction page fault with
 * xepc = xtval = va; execution resumes after the jump */
.macro FETCH_PF mode, va
  ARM_TRAP CAUSE_FETCH_PAGE, .Lback\@
  li a0, \va
  jalr ra, 0(a0)
  j fail
.Lback\@:
  CHECK_TRAP CAUSE_FETCH_PAGE, \mode
  CHECK_TVAL \va
  TI_LOAD a1, TI_GOT_EPC
  CHECK_EQ a1, \va
.endm

/* XO_VA reg, i: reg = VA of xonly_fn through 4 KiB page i */
.macro XO_VA reg, i
  la \reg, xonly_fn
  slli \reg, \reg, 20
  srli \reg, \reg, 20
  li t5, VA_PAGE(\i)
  add \reg, \reg, t5
.endm

TEST_BEGIN
  /* ---- build the page tables (M-mode) ------------------------------- */
  TEST_CASE 1
  /* root: the level-0 table for VA 0x40000000-0x403fffff */
  la a0, pt_l0
  srli a0, a0, 12
  slli a0, a0, 10
  ori a0, a0, PTE_V                     /* non-leaf: A/D/U must be 0 */
  la a1, pt_root
  li a2, (VA_PAGES >> 22) * 4
  add a1, a1, a2
  sw a0, 0(a1)
  SET_ROOT (VA_IMAGE >> 22), ((VA_IMAGE >> 12) << 10) | PTE_V | PTE_R | PTE_W | PTE_X | PTE_AD
  SET_ROOT (VA_ALIAS >> 22), ((VA_IMAGE >> 12) << 10) | PTE_V | PTE_R | PTE_W | PTE_X | PTE_U | PTE_AD
  SET_ROOT (VA_MEGA >> 22),  ((VA_IMAGE >> 12) << 10) | PTE_V | PTE_R | PTE_W | PTE_AD
  SET_ROOT (VA_MISAL >> 22), (((VA_IMAGE >> 12) + 1) << 10) | PTE_V | PTE_R | PTE_W | PTE_AD
  /* level 0 */
  SET_L0 PG_RW,    pg_a, PTE_V | PTE_R | PTE_W | PTE_AD
  SET_L0 PG_RO,    pg_b, PTE_V | PTE_R | PTE_AD
  SET_L0 PG_XO,    xonly_fn, PTE_V | PTE_X | PTE_AD
  SET_L0 PG_WO,    pg_b, PTE_V | PTE_W | PTE_AD
  SET_L0 PG_INV,   pg_b, PTE_R | PTE_W | PTE_AD        /* V = 0 */
  SET_L0 PG_URW,   pg_c, PTE_V | PTE_R | PTE_W | PTE_U | PTE_AD
  SET_L0 PG_URX,   xonly_fn, PTE_V | PTE_R | PTE_X | PTE_U | PTE_AD
  SET_L0 PG_AD,    pg_d, PTE_V | PTE_R | PTE_W        /* A = D = 0 */
  SET_L0 PG_REMAP, pg_e, PTE_V | PTE_R | PTE_W | PTE_AD
  SET_L0 PG_PTR,   pg_b, PTE_V
  SET_L0 PG_DOWN,  pg_f, PTE_V | PTE_R | PTE_W | PTE_AD
  /* recognizable contents */
  li a0, 0xaaaa0000
  sw a0, pg_a, a1
  li a0, 0xbbbb0000
  sw a0, pg_b, a1
  li a0, 0xcccc0000
  sw a0, pg_c, a1
  li a0, 0xdddd0000
  sw a0, pg_d, a1
  li a0, 0xeeee0000
  sw a0, pg_e, a1
  li a0, 0xffff0000
  sw a0, pg_f, a1
  li a0, 0xaaaa0ffc
  la a1, pg_a
  li a2, 0xffc
  add a1, a1, a2
  sw a0, 0(a1)
  /* satp: MODE = Sv32, ASID 0, PPN of the root */
  la a0, pt_root
  srli a0, a0, 12
  li a1, SATP_MODE_SV32
  or a0, a0, a1
  csrw satp, a0
  sfence.vma
  csrr a2, satp
  CHECK_REG a2, a0

  /* ---- translation ----------------------------------------------------- */
  TEST_CASE 2                           /* 4 KiB page, both ends */
  GO_S
  li s0, VA_PAGE(PG_RW)
  lw a0, 0(s0)
  CHECK_EQ a0, 0xaaaa0000
  li a1, 0xffc
  add a1, s0, a1
  lw a0, 0(a1)
  CHECK_EQ a0, 0xaaaa0ffc
  li a0, 0x12340004
  sw a0, 4(s0)
  GO_M
  la a1, pg_a                           /* the store went to pg_a */
  lw a0, 4(a1)
  CHECK_EQ a0, 0x12340004
  TEST_CASE 3                           /* megapage: PA = PPN[1] | VA[21:0] */
  GO_S
  la s1, mega_data
  li a0, VA_MEGA - VA_IMAGE
  add s0, s1, a0                        /* VA_MEGA + offset of mega_data */
  lw a0, 0(s0)
  CHECK_EQ a0, 0x3e6a3e6a
  li a0, 0x600dd00d
  sw a0, 4(s0)
  lw a0, 4(s1)                          /* same memory, identity address */
  CHECK_EQ a0, 0x600dd00d
  TEST_CASE 4                           /* misaligned megapage: page fault */
  li s0, VA_MISAL + 0x123
  PF CAUSE_LOAD_PAGE,  PRV_M, VA_MISAL + 0x123, lbu a0, 0(s0)
  PF CAUSE_STORE_PAGE, PRV_M, VA_MISAL + 0x123, sb a0, 0(s0)

  /* ---- faults per PTE permission (handled in M) ------------------------ */
  TEST_CASE 5                           /* V = 0 */
  li s0, VA_PAGE(PG_INV)
  PF CAUSE_LOAD_PAGE,  PRV_M, VA_PAGE(PG_INV) + 0x10, lw a0, 0x10(s0)
  PF CAUSE_STORE_PAGE, PRV_M, VA_PAGE(PG_INV) + 0x14, sw a0, 0x14(s0)
  TEST_CASE 6                           /* W without R is reserved */
  li s0, VA_PAGE(PG_WO)
  PF CAUSE_LOAD_PAGE,  PRV_M, VA_PAGE(PG_WO), lw a0, 0(s0)
  PF CAUSE_STORE_PAGE, PRV_M, VA_PAGE(PG_WO) + 8, sw a0, 8(s0)
  TEST_CASE 7                           /* read-only */
  li s0, VA_PAGE(PG_RO)
  lw a0, 0(s0)
  CHECK_EQ a0, 0xbbbb0000
  PF CAUSE_STORE_PAGE, PRV_M, VA_PAGE(PG_RO) + 2, sh a0, 2(s0)
  TEST_CASE 8                           /* execute-only: no loads, fetch ok */
  li s0, VA_PAGE(PG_XO)
  PF CAUSE_LOAD_PAGE,  PRV_M, VA_PAGE(PG_XO), lw a0, 0(s0)
  PF CAUSE_STORE_PAGE, PRV_M, VA_PAGE(PG_XO), sw a0, 0(s0)
  XO_VA a1, PG_XO
  li a0, 0
  jalr ra, 0(a1)                        /* xonly_fn through the X-only page */
  CHECK_EQ a0, 0x3c
  TEST_CASE 9                           /* MXR: execute-only becomes readable */
  li a0, MSTATUS_MXR
  csrs sstatus, a0
  XO_VA a1, PG_XO
  lw a0, 0(a1)
  la a2, xonly_fn
  lw a2, 0(a2)
  CHECK_REG a0, a2                      /* the instruction word of xonly_fn */
  li a0, MSTATUS_MXR
  csrc sstatus, a0
  TEST_CASE 10                          /* fetch from a page without X */
  FETCH_PF PRV_M, VA_PAGE(PG_RW) + 0x40
  TEST_CASE 11                          /* fetch from an invalid page */
  FETCH_PF PRV_M, VA_PAGE(PG_INV)
  TEST_CASE 12                          /* pointer PTE at level 0 */
  li s0, VA_PAGE(PG_PTR)
  PF CAUSE_LOAD_PAGE, PRV_M, VA_PAGE(PG_PTR), lw a0, 0(s0)

  /* ---- user pages from S: SUM ----------------------------------------- */
  TEST_CASE 13                          /* SUM = 0: no access */
  li a0, MSTATUS_SUM
  csrc sstatus, a0
  li s0, VA_PAGE(PG_URW)
  PF CAUSE_LOAD_PAGE,  PRV_M, VA_PAGE(PG_URW), lw a0, 0(s0)
  PF CAUSE_STORE_PAGE, PRV_M, VA_PAGE(PG_URW), sw a0, 0(s0)
  TEST_CASE 14                          /* SUM = 1: loads and stores ok */
  li a0, MSTATUS_SUM
  csrs sstatus, a0
  lw a0, 0(s0)
  CHECK_EQ a0, 0xcccc0000
  li a0, 0xcccc0004
  sw a0, 4(s0)
  lw a1, 4(s0)
  CHECK_EQ a1, 0xcccc0004
  TEST_CASE 15                          /* ...but never fetch from U pages */
  XO_VA a1, PG_URX
  ARM_TRAP CAUSE_FETCH_PAGE, 1f
  jalr ra, 0(a1)
  j fail
1:CHECK_TRAP CAUSE_FETCH_PAGE, PRV_M
  XO_VA a1, PG_URX
  CHECK_TVAL_REG a1
  li a0, MSTATUS_SUM
  csrc sstatus, a0

  /* ---- accessed / dirty ------------------------------------------------ */
  TEST_CASE 16                          /* a load sets A, not D */
  li s0, VA_PAGE(PG_AD)
  lw a0, 0(s0)
  CHECK_EQ a0, 0xdddd0000
  GO_M
  lw a0, pt_l0 + PG_AD * 4
  CHECK_BITS a0, PTE_A | PTE_D, PTE_A
  TEST_CASE 17                          /* a store sets D */
  GO_S
  li s0, VA_PAGE(PG_AD)
  li a0, 0xdddd0008
  sw a0, 8(s0)
  GO_M
  lw a0, pt_l0 + PG_AD * 4
  CHECK_BITS a0, PTE_A | PTE_D, PTE_A | PTE_D
  lw a0, pg_d + 8
  CHECK_EQ a0, 0xdddd0008

  /* ---- sfence.vma after PTE changes (done by S through the identity map) */
  TEST_CASE 18                          /* full flush */
  GO_S
  li s0, VA_PAGE(PG_REMAP)
  la s1, pt_l0 + PG_REMAP * 4
  lw s2, 0(s1)                          /* PTE -> pg_e */
  la a0, pg_f
  srli a0, a0, 12
  slli a0, a0, 10
  ori s3, a0, PTE_V | PTE_R | PTE_W | PTE_AD   /* PTE -> pg_f */
  lw a0, 0(s0)                          /* cache the old translation */
  CHECK_EQ a0, 0xeeee0000
  sw s3, 0(s1)
  sfence.vma
  lw a0, 0(s0)
  CHECK_EQ a0, 0xffff0000
  TEST_CASE 19                          /* by address: sfence.vma rs1, x0 */
  sw s2, 0(s1)
  sfence.vma s0, x0
  lw a0, 0(s0)
  CHECK_EQ a0, 0xeeee0000
  TEST_CASE 20                          /* by ASID: sfence.vma x0, rs2 (ASID 0) */
  sw s3, 0(s1)
  li a5, 0
  sfence.vma x0, a5
  lw a0, 0(s0)
  CHECK_EQ a0, 0xffff0000
  TEST_CASE 21                          /* by address and ASID */
  sw s2, 0(s1)
  sfence.vma s0, a5
  lw a0, 0(s0)
  CHECK_EQ a0, 0xeeee0000
  TEST_CASE 22                          /* RW -> R: stores fault afterwards */
  li s0, VA_PAGE(PG_DOWN)
  li a0, 0x11
  sw a0, 0(s0)                          /* writable translation cached */
  la s1, pt_l0 + PG_DOWN * 4
  lw a0, 0(s1)
  andi a0, a0, ~PTE_W
  sw a0, 0(s1)
  sfence.vma s0, x0
  PF CAUSE_STORE_PAGE, PRV_M, VA_PAGE(PG_DOWN) + 4, sw a0, 4(s0)
  lw a0, 0(s0)
  CHECK_EQ a0, 0x11
  TEST_CASE 23                          /* -> invalid: loads fault afterwards */
  lw a0, 0(s1)
  andi a0, a0, ~PTE_V
  sw a0, 0(s1)
  sfence.vma
  PF CAUSE_LOAD_PAGE, PRV_M, VA_PAGE(PG_DOWN), lw a0, 0(s0)
  GO_M

  /* ---- U mode (running at the VA_ALIAS alias) --------------------------- */
  TEST_CASE 24                          /* U pages are fine */
  GO_U_ALIAS
  li s0, VA_PAGE(PG_URW)
  lw a0, 0(s0)
  CHECK_EQ a0, 0xcccc0000
  li a0, 0xcccc0008
  sw a0, 8(s0)
  lw a1, 8(s0)
  CHECK_EQ a1, 0xcccc0008
  XO_VA a1, PG_URX
  li a0, 0
  jalr ra, 0(a1)                        /* xonly_fn through the U RX page */
  CHECK_EQ a0, 0x3c
  TEST_CASE 25                          /* S pages are not */
  li s0, VA_PAGE(PG_RW)
  PF CAUSE_LOAD_PAGE,  PRV_M, VA_PAGE(PG_RW) + 4, lw a0, 4(s0)
  PF CAUSE_STORE_PAGE, PRV_M, VA_PAGE(PG_RW) + 4, sw a0, 4(s0)
  li s0, VA_MEGA
  PF CAUSE_LOAD_PAGE,  PRV_M, VA_MEGA, lw a0, 0(s0)
  TEST_CASE 26                          /* ...not even for fetches */
  la a1, xonly_fn                       /* pc-relative: the alias */
  li a0, ALIAS_OFF
  sub a1, a1, a0                        /* its identity (S-only) address */
  mv s1, a1
  ARM_TRAP CAUSE_FETCH_PAGE, 1f
  jalr ra, 0(a1)
  j fail
1:CHECK_TRAP CAUSE_FETCH_PAGE, PRV_M
  CHECK_TVAL_REG s1
  TI_LOAD a0, TI_GOT_STATUS
  CHECK_BITS a0, MSTATUS_MPP, 0         /* from U */
  GO_M

  /* ---- page faults delegated to S --------------------------------------- */
  li a0, MEDELEG_PF
  csrw medeleg, a0
  TEST_CASE 27                          /* from S */
  GO_S
  li s0, VA_PAGE(PG_INV)
  PF CAUSE_LOAD_PAGE,  PRV_S, VA_PAGE(PG_INV) + 0x20, lw a0, 0x20(s0)
  li s1, VA_PAGE(PG_RO)
  PF CAUSE_STORE_PAGE, PRV_S, VA_PAGE(PG_RO) + 0x20, sw a0, 0x20(s1)
  TI_LOAD a0, TI_GOT_STATUS
  CHECK_BITS a0, MSTATUS_SPP, MSTATUS_SPP
  TEST_CASE 28
  FETCH_PF PRV_S, VA_PAGE(PG_RW)
  GO_M
  TEST_CASE 29                          /* from U */
  GO_U_ALIAS
  li s0, VA_PAGE(PG_RW)
  PF CAUSE_LOAD_PAGE, PRV_S, VA_PAGE(PG_RW) + 8, lw a0, 8(s0)
  TI_LOAD a0, TI_GOT_STATUS
  CHECK_BITS a0, MSTATUS_SPP, 0
  FETCH_PF PRV_S, VA_PAGE(PG_INV) + 0x100
  GO_M                                  /* U ecall is not delegated */
  csrw medeleg, zero

  /* ---- MPRV: M-mode data accesses translated as MPP -------------------- */
  TEST_CASE 30                          /* MPP = S: translated */
  li a0, MSTATUS_MPP
  csrc mstatus, a0
  li a0, MSTATUS_MPP_S | MSTATUS_MPRV
  li s0, VA_PAGE(PG_RW)
  li a2, 0x5a5a0010
  csrs mstatus, a0
  lw a1, 0(s0)                          /* pg_a through the page table */
  sw a2, 0x10(s0)
  li a0, MSTATUS_MPRV
  csrc mstatus, a0
  CHECK_EQ a1, 0xaaaa0000
  lw a1, pg_a + 0x10
  CHECK_EQ a1, 0x5a5a0010
  TEST_CASE 31                          /* MPP = S: faults are taken in M */
  ARM_TRAP CAUSE_LOAD_PAGE, 1f          /* (armed before MPRV is set) */
  li a0, MSTATUS_MPP
  csrc mstatus, a0
  li a0, MSTATUS_MPP_S | MSTATUS_MPRV
  li s0, VA_PAGE(PG_INV)
  csrs mstatus, a0
  lw a1, 0(s0)
  j fail
1:li a0, MSTATUS_MPRV                   /* first: stop translating M accesses */
  csrc mstatus, a0
  CHECK_TRAP CAUSE_LOAD_PAGE, PRV_M
  CHECK_TVAL VA_PAGE(PG_INV)
  TI_LOAD a0, TI_GOT_STATUS             /* trap from M: MPP = M, MPRV kept */
  CHECK_BITS a0, MSTATUS_MPP | MSTATUS_MPRV, MSTATUS_MPP | MSTATUS_MPRV
  TEST_CASE 32                          /* MPP = U: U page ok, S page faults */
  ARM_TRAP CAUSE_STORE_PAGE, 1f
  li a0, MSTATUS_MPP
  csrc mstatus, a0                      /* MPP = U */
  li a0, MSTATUS_MPRV
  li s0, VA_PAGE(PG_URW)
  li s1, VA_PAGE(PG_RW)
  csrs mstatus, a0
  lw a1, 0(s0)
  sw a1, 0(s1)
  j fail
1:li a0, MSTATUS_MPRV
  csrc mstatus, a0
  CHECK_EQ a1, 0xcccc0000
  CHECK_TRAP CAUSE_STORE_PAGE, PRV_M
  CHECK_TVAL VA_PAGE(PG_RW)
  TEST_CASE 33                          /* MPRV = 0: M ignores satp */
  lw a0, pg_a
  CHECK_EQ a0, 0xaaaa0000
  TEST_CASE 34                          /* satp = 0: S is untranslated again */
  csrw satp, zero
  sfence.vma
  GO_S
  la s0, pg_c
  lw a0, 0(s0)
  CHECK_EQ a0, 0xcccc0000
  GO_M
TEST_END

  /* a tiny function reached through the execute-only and user pages */
  .balign 16
xonly_fn:
  li a0, 0x3c
  jalr x0, 0(ra)

  .data
  .balign 16
mega_data:
  .word 0x3e6a3e6a, 0

  .bss
  .balign 4096
pt_root: .skip 4096
pt_l0:   .skip 4096
pg_a:    .skip 4096
pg_b:    .skip 4096
pg_c:    .skip 4096
pg_d:    .skip 4096
pg_e:    .skip 4096
pg_f:    .skip 4096
