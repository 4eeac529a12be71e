/*
 * compressed.S - every RV32C instruction (the integer subset; no FP forms).
 * The test body is assembled with `.option rvc` and explicit `c.` mnemonics
 * so each tested form is the 16-bit encoding (`make dump` to check).
 * Covers immediate ranges and sign extension, the 3-bit register fields
 * (x8..x15), links of c.jal/c.jalr (pc + 2), c.jalr ra (target is the old
 * ra), 32-bit instructions at 2-byte aligned addresses, c.ebreak (cause 3,
 * mepc = its address, mtval 0 or mepc - QEMU 7.2 writes 0), and the all-zero
 * halfword, which is an illegal instruction (cause 2, mtval 0).
 */
#define TEST_NAME "compressed"
#include "test.h"

TEST_BEGIN
  .option rvc

  /* ---- c.li / c.addi / c.nop -------------------------------------------- */
  TEST_CASE 1
  c.li a0, -32                      /* 6-bit signed immediate */
  CHECK_EQ a0, 0xffffffe0
  c.li a0, 31
  CHECK_EQ a0, 31
  c.li t3, 0                        /* any rd, x28 */
  CHECK_EQ t3, 0
  TEST_CASE 2
  c.li a0, 10
  c.addi a0, 31
  CHECK_EQ a0, 41
  c.addi a0, -32
  CHECK_EQ a0, 9
  li t3, 0x7fffffff
  c.addi t3, 1                      /* wraps, no trap */
  CHECK_EQ t3, 0x80000000
  TEST_CASE 3
  li a0, 0x1234
  li a1, 0x5678
  c.nop
  c.nop
  CHECK_EQ a0, 0x1234
  CHECK_EQ a1, 0x5678

  /* ---- c.lui: nzimm[17:12], sign-extended ------------------------------- */
  TEST_CASE 4
  li a0, -1
  c.lui a0, 1
  CHECK_EQ a0, 0x00001000
  c.lui a0, 0x1f
  CHECK_EQ a0, 0x0001f000
  c.lui a0, 0xfffe0                 /* most negative: -32 << 12 */
  CHECK_EQ a0, 0xfffe0000
  c.lui t3, 0xfffff
  CHECK_EQ t3, 0xfffff000

  /* ---- c.addi16sp / c.addi4spn ------------------------------------------ */
  TEST_CASE 5
  mv s1, sp
  c.addi16sp sp, -512
  sub a0, s1, sp
  CHECK_EQ a0, 512
  c.addi16sp sp, 496
  sub a0, s1, sp
  CHECK_EQ a0, 16
  c.addi16sp sp, 16
  CHECK_REG sp, s1
  TEST_CASE 6
  la sp, c_area
  c.addi4spn a0, sp, 4
  sub a0, a0, sp
  CHECK_EQ a0, 4
  c.addi4spn a5, sp, 1020           /* largest nzuimm */
  sub a5, a5, sp
  CHECK_EQ a5, 1020
  mv sp, s1

  /* ---- c.lw / c.sw (x8..x15, offsets 0..124) ------------------------- */
  TEST_CASE 7
  la s0, c_area
  li a1, 0x11223344
  c.sw a1, 0(s0)
  li a2, 0x8899aabb
  c.sw a2, 124(s0)
  lw a3, 0(s0)
  CHECK_EQ a3, 0x11223344
  lw a3, 124(s0)
  CHECK_EQ a3, 0x8899aabb
  TEST_CASE 8
  c.lw a4, 124(s0)
  CHECK_EQ a4, 0x8899aabb
  c.lw a5, 0(s0)
  CHECK_EQ a5, 0x11223344
  mv a0, s0
  c.lw a0, 0(a0)                    /* rd == rs1 */
  CHECK_EQ a0, 0x11223344

  /* ---- c.lwsp / c.swsp (sp-relative, 0..252) ------------------------ */
  TEST_CASE 9
  mv s1, sp
  la sp, c_area
  li t3, 0xcafef00d
  c.swsp t3, 252(sp)
  li t4, 0x0badc0de
  c.swsp t4, 8(sp)
  c.lwsp a7, 252(sp)
  c.lwsp t1, 8(sp)
  mv sp, s1
  CHECK_EQ a7, 0xcafef00d
  CHECK_EQ t1, 0x0badc0de
  la a0, c_area
  lw a1, 252(a0)
  CHECK_EQ a1, 0xcafef00d

  /* ---- c.srli / c.srai / c.andi / c.slli ------------------------------ */
  TEST_CASE 10
  li a0, 0x80000000
  c.srli a0, 31
  CHECK_EQ a0, 1
  li a0, 0x87654321
  c.srli a0, 4
  CHECK_EQ a0, 0x08765432
  TEST_CASE 11
  li a0, 0x80000000
  c.srai a0, 31
  CHECK_EQ a0, -1
  li a0, 0x87654321
  c.srai a0, 4
  CHECK_EQ a0, 0xf8765432
  li a0, 0x40000000
  c.srai a0, 1
  CHECK_EQ a0, 0x20000000
  TEST_CASE 12
  li a0, 0x12345678
  c.andi a0, -32                    /* sign-extended: 0xffffffe0 */
  CHECK_EQ a0, 0x12345660
  li a0, 0x12345678
  c.andi a0, 31
  CHECK_EQ a0, 0x18
  c.andi a0, 0
  CHECK_EQ a0, 0
  TEST_CASE 13
  li t3, 0x12345679
  c.slli t3, 31
  CHECK_EQ t3, 0x80000000
  li a0, 3
  c.slli a0, 4
  CHECK_EQ a0, 48

  /* ---- c.sub / c.xor / c.or / c.and (x8..x15) ------------------------- */
  TEST_CASE 14
  li a0, 5
  li a1, 7
  c.sub a0, a1
  CHECK_EQ a0, -2
  CHECK_EQ a1, 7
  TEST_CASE 15
  li s0, 0xff00ff00
  li s1, 0x0ff00ff0
  c.xor s0, s1
  CHECK_EQ s0, 0xf0f0f0f0
  TEST_CASE 16
  li s0, 0xff00ff00
  c.or s0, s1
  CHECK_EQ s0, 0xfff0fff0
  TEST_CASE 17
  li s0, 0xff00ff00
  c.and s0, s1
  CHECK_EQ s0, 0x0f000f00

  /* ---- c.mv / c.add (any registers) ------------------------------------ */
  TEST_CASE 18
  li t3, 0x13579bdf
  c.mv a0, t3
  CHECK_EQ a0, 0x13579bdf
  c.mv t4, a0
  CHECK_EQ t4, 0x13579bdf
  TEST_CASE 19
  li t3, 0x7fffffff
  li a7, 2
  c.add t3, a7
  CHECK_EQ t3, 0x80000001
  c.add a7, a7
  CHECK_EQ a7, 4

  /* ---- c.j / c.beqz / c.bnez ------------------------------------------- */
  TEST_CASE 20
  c.j 2f
1:c.j 3f                            /* backward target of the c.j below */
2:c.j 1b
  j fail
3:
  TEST_CASE 21
  li a0, 0
  c.beqz a0, 1f                     /* taken */
  j fail
1:li a0, 1
  c.beqz a0, fail_near              /* not taken */
  c.bnez a0, 1f                     /* taken */
  j fail
1:li a0, 0
  c.bnez a0, fail_near              /* not taken */
  TEST_CASE 22                      /* backward c.bnez loop */
  li a1, 4
  li a2, 0
1:addi a2, a2, 5
  c.addi a1, -1
  c.bnez a1, 1b
  CHECK_EQ a2, 20
  j 1f
fail_near:
  j fail
1:

  /* ---- c.jal / c.jr / c.jalr: links are pc + 2 ------------------------ */
  TEST_CASE 23
  li ra, 0
  c.jal 1f
.Lcjal_ret:
  j fail
1:CHECK_ADDR ra, .Lcjal_ret
  TEST_CASE 24
  la a0, 1f
  c.jr a0
  j fail
1:
  TEST_CASE 25
  la a0, 1f
  c.jalr a0
.Lcjalr_ret:
  j fail
1:CHECK_ADDR ra, .Lcjalr_ret
  TEST_CASE 26                      /* c.jalr ra: jumps to the old ra */
  la ra, 1f
  c.jalr ra
.Lcjalr_ret2:
  j fail
1:CHECK_ADDR ra, .Lcjalr_ret2
  TEST_CASE 27                      /* call/return with c.jal + c.jr ra */
  li a0, 21
  c.jal .Ldouble
  CHECK_EQ a0, 42

  /* ---- 32-bit instructions at 2 mod 4 addresses ---------------------- */
  TEST_CASE 28
  .balign 4
  c.nop
1:lui a0, 0x12345                   /* starts at pc = 2 mod 4 */
  addi a0, a0, 0x678
  la a1, 1b
  andi a1, a1, 3
  CHECK_EQ a1, 2
  CHECK_EQ a0, 0x12345678

  /* ---- c.ebreak --------------------------------------------------------- */
  TEST_CASE 29
  TRAP_INSN CAUSE_BREAKPOINT, c.ebreak
  CHECK_TRAP CAUSE_BREAKPOINT, PRV_M /* also checks mepc == the c.ebreak */
  TI_LOAD a0, TI_GOT_TVAL           /* mtval: 0 (QEMU 7.2) or the pc */
  beqz a0, 1f
  TI_LOAD a1, TI_GOT_EPC
  CHECK_REG a0, a1
1:
  TEST_CASE 30                      /* at a 2 mod 4 pc; handler skips 2 bytes */
  .balign 4
  c.nop
  ARM_TRAP_SKIP CAUSE_BREAKPOINT
  .balign 4                         /* ARM_TRAP_SKIP's size varies: re-align */
  c.nop
.Lcebreak3:
  c.ebreak
  li a0, 0x77                       /* resumed right after the c.ebreak */
  CHECK_EQ a0, 0x77
  CHECK_TRAP CAUSE_BREAKPOINT, PRV_M
  TI_LOAD a0, TI_GOT_EPC
  CHECK_ADDR a0, .Lcebreak3

  /* ---- the all-zero halfword is illegal -------------------------------- */
  TEST_CASE 31
  TRAP_INSN CAUSE_ILLEGAL, .half 0
  CHECK_TRAP CAUSE_ILLEGAL, PRV_M
  CHECK_TVAL 0
  TEST_CASE 32                      /* handler skips it as a 2-byte insn */
  ARM_TRAP_SKIP CAUSE_ILLEGAL
.Lzero_half:
  .half 0
  li a0, 0x99
  CHECK_EQ a0, 0x99
  CHECK_TRAP CAUSE_ILLEGAL, PRV_M
  TI_LOAD a0, TI_GOT_EPC
  CHECK_ADDR a0, .Lzero_half

  .option norvc
TEST_END

  .option rvc
.Ldouble:
  c.add a0, a0
  c.jr ra
  .option norvc

  .bss
  .balign 16
c_area:
  .skip 1024 + 16
