/*
 * test.h - shared definitions for the hvlab RV32 ISA conformance tests.
 *
 * Usage (in NAME.S):
 *     #define TEST_NAME "NAME"
 *     #include "test.h"
 *     TEST_BEGIN
 *         TEST_CASE 1
 *         ...checks...
 *     TEST_END
 *
 * Register conventions
 *   gp (x3)   current case number (set by TEST_CASE); a failure reports it.
 *   t5, t6    scratch for the macros below: test code must not keep values
 *             in them across a macro, and the instruction given to TRAP_INSN
 *             must not use them.
 *   a6, a7    clobbered by GO_M.
 *   sp        points at a small stack (used only by the pass/fail printers).
 *
 * Result reporting (sifive_test finisher at 0x00100000)
 *   pass:                  store 0x5555              -> QEMU exits with 0
 *   CHECK failure in case N: store (N << 16)|0x3333  -> QEMU exits with N
 *   unexpected trap in case N: code 128+N            -> QEMU exits with 128+N
 *   Case numbers are 1..120, so an exit code is always 1..248 (never 0,
 *   which would look like a pass after the shell truncates it to 8 bits,
 *   and never 124, which `timeout` uses).
 *   Before exiting the test prints one line on UART0:
 *     "isa-NAME: pass" / "isa-NAME: FAIL case N" /
 *     "isa-NAME: FAIL case N unexpected trap ..." (with cause/epc/tval).
 *
 * Trap expectations
 *   Both the M-mode handler (mtvec) and the S-mode handler (stvec) use the
 *   record `trapinfo` below.  TRAP_INSN cause, insn... arms the expectation,
 *   executes `insn`, and the handler (whichever mode takes the trap) checks
 *   that the cause matches, records cause/epc/tval/status and which handler
 *   ran, and resumes at the instruction after `insn`.  Any other trap ends
 *   the test with "unexpected trap".  For interrupts (ARM_IRQ) the handler
 *   returns to the interrupted pc, and masks the interrupt it took (clears the
 *   bit in mie/sie and MPIE/SPIE) so it is taken only once.
 *   If no resume address is armed (ARM_TRAP_SKIP), an exception handler skips
 *   the faulting instruction by its length (2 or 4 bytes, from the low two
 *   bits of the instruction read at epc; this needs epc to be readable at the
 *   same physical address).
 *
 * Privilege switching
 *   GO_S / GO_U (from M) continue at the next instruction in S / U mode;
 *   GO_M (from any mode) continues at the next instruction in M mode
 *   (it is an ecall with a7 = MAGIC_GO_M, handled specially by the
 *   handlers; the S handler forwards it to M).
 *   A check failing in S or U mode jumps to `fail` like anywhere else: its
 *   first instruction (csrr mscratch) traps there, and the M handler, seeing
 *   that pc, reports the failure from M mode (so it also works with paging
 *   on, where the finisher and UART are not mapped).  An unexpected trap in
 *   the S handler is passed to M (ecall with a7 = MAGIC_SFAIL) and reported
 *   with scause/sepc/stval.
 */

#ifndef TEST_NAME
#error "define TEST_NAME before including test.h"
#endif

/* Name the symbol-table FILE entry after the source (otherwise it is gcc's
 * random temporary file name and rebuilds would differ). */
.file __BASE_FILE__

/* Everything is assembled as plain 32-bit instructions unless a test says
 * `.option rvc` (compressed.S), and without linker relaxation, so the code
 * executed is exactly the code written. */
.option norvc
.option norelax

/* ---- machine ------------------------------------------------------------ */
#define FINISHER        0x00100000
#define FINISHER_PASS   0x5555
#define FINISHER_FAIL   0x3333
#define UART0           0x10000000
#define CLINT           0x02000000
#define CLINT_MSIP      (CLINT + 0x0000)
#define CLINT_MTIMECMP  (CLINT + 0x4000)
#define CLINT_MTIME     (CLINT + 0xBFF8)

/* ---- CSR bits ----------------------------------------------------------- */
#define MSTATUS_SIE     (1 << 1)
#define MSTATUS_MIE     (1 << 3)
#define MSTATUS_SPIE    (1 << 5)
#define MSTATUS_MPIE    (1 << 7)
#define MSTATUS_SPP     (1 << 8)
#define MSTATUS_MPP     (3 << 11)
#define MSTATUS_MPP_S   (1 << 11)
#define MSTATUS_MPRV    (1 << 17)
#define MSTATUS_SUM     (1 << 18)
#define MSTATUS_MXR     (1 << 19)
#define MSTATUS_TVM     (1 << 20)
#define MSTATUS_TW      (1 << 21)
#define MSTATUS_TSR     (1 << 22)

#define IRQ_SSI 1
#define IRQ_MSI 3
#define IRQ_STI 5
#define IRQ_MTI 7
#define IRQ_SEI 9
#define IRQ_MEI 11
#define MIP_SSIP (1 << IRQ_SSI)
#define MIP_MSIP (1 << IRQ_MSI)
#define MIP_STIP (1 << IRQ_STI)
#define MIP_MTIP (1 << IRQ_MTI)
#define INTR(n)  (0x80000000 | (n))

#define CAUSE_MISALIGNED_FETCH  0
#define CAUSE_FETCH_ACCESS      1
#define CAUSE_ILLEGAL           2
#define CAUSE_BREAKPOINT        3
#define CAUSE_MISALIGNED_LOAD   4
#define CAUSE_LOAD_ACCESS       5
#define CAUSE_MISALIGNED_STORE  6
#define CAUSE_STORE_ACCESS      7
#define CAUSE_ECALL_U           8
#define CAUSE_ECALL_S           9
#define CAUSE_ECALL_M           11
#define CAUSE_FETCH_PAGE        12
#define CAUSE_LOAD_PAGE         13
#define CAUSE_STORE_PAGE        15

#define PRV_U 0
#define PRV_S 1
#define PRV_M 3

/* ---- trapinfo record (see TRAP_INSN) ------------------------------------ */
#define TI_EXP_CAUSE    0   /* expected cause, -1 = no trap expected        */
#define TI_RESUME       4   /* resume address, 0 = skip faulting insn       */
#define TI_GOT_CAUSE    8   /* cause of the last expected trap, -1 = none   */
#define TI_GOT_EPC      12
#define TI_GOT_TVAL     16
#define TI_GOT_STATUS   20  /* mstatus/sstatus as seen in the handler       */
#define TI_COUNT        24  /* number of expected traps taken               */
#define TI_WANT_EPC     28  /* address of the instruction given to TRAP_INSN */
#define TI_GOT_MODE     32  /* 3 = taken by the M handler, 1 = S handler    */
#define TI_MSAVE        64  /* register save area of the M handler          */
#define TI_SSAVE        96  /* register save area of the S handler          */
#define TI_SIZE         128

#define MAGIC_GO_M      0x600d0
#define MAGIC_SFAIL     0x5fa11

/* ---- case numbering and checks ------------------------------------------ */
.set .Llast_case, 0

/* TEST_CASE n: start case n (1..120, strictly increasing within a file). */
.macro TEST_CASE n
  .if (\n) <= .Llast_case || (\n) > 120
    .error "TEST_CASE numbers must increase and stay in 1..120"
  .endif
  .set .Llast_case, (\n)
  li gp, (\n)
.endm

/* CHECK_EQ reg, imm: fail the current case unless reg == imm. */
.macro CHECK_EQ reg, val
  li t6, \val
  beq \reg, t6, .Lok\@
  j fail
.Lok\@:
.endm

/* CHECK_NE reg, imm: fail unless reg != imm. */
.macro CHECK_NE reg, val
  li t6, \val
  bne \reg, t6, .Lok\@
  j fail
.Lok\@:
.endm

/* CHECK_REG r1, r2: fail unless r1 == r2. */
.macro CHECK_REG r1, r2
  beq \r1, \r2, .Lok\@
  j fail
.Lok\@:
.endm

/* CHECK_ADDR reg, symbol: fail unless reg == address of symbol (pc-relative). */
.macro CHECK_ADDR reg, sym
  la t6, \sym
  beq \reg, t6, .Lok\@
  j fail
.Lok\@:
.endm

/* CHECK_MEM sym, imm: fail unless the word at symbol == imm. */
.macro CHECK_MEM sym, val
  lw t5, \sym
  li t6, \val
  beq t5, t6, .Lok\@
  j fail
.Lok\@:
.endm

/* FAIL_IF_NZ reg / FAIL_IF_Z reg */
.macro FAIL_IF_NZ reg
  beqz \reg, .Lok\@
  j fail
.Lok\@:
.endm
.macro FAIL_IF_Z reg
  bnez \reg, .Lok\@
  j fail
.Lok\@:
.endm

/* CHECK_BITS reg, mask, value: fail unless (reg & mask) == value. */
.macro CHECK_BITS reg, mask, val
  li t6, \mask
  and t6, \reg, t6
  li t5, \val
  beq t5, t6, .Lok\@
  j fail
.Lok\@:
.endm

/* T_RR n, op, a, b, exp: case n: op rd, rs1=a, rs2=b gives exp; the sources
 * are left unchanged.  T_RI: same with an immediate operand. */
.macro T_RR n, op, a, b, exp
  TEST_CASE \n
  li a1, \a
  li a2, \b
  \op a0, a1, a2
  CHECK_EQ a0, \exp
  CHECK_EQ a1, \a
  CHECK_EQ a2, \b
.endm
.macro T_RI n, op, a, imm, exp
  TEST_CASE \n
  li a1, \a
  \op a0, a1, \imm
  CHECK_EQ a0, \exp
  CHECK_EQ a1, \a
.endm

/* ---- trap expectation macros --------------------------------------------- */

/* TI_LOAD reg, FIELD: reg = trapinfo.FIELD */
.macro TI_LOAD reg, field
  la \reg, trapinfo
  lw \reg, \field(\reg)
.endm

/* ARM_TRAP cause, resume: expect `cause` next, resume at `resume`
 * (0 = skip the faulting instruction).  Clears the recorded cause. */
.macro ARM_TRAP cause, resume
  la t6, trapinfo
  li t5, -1
  sw t5, TI_GOT_CAUSE(t6)
  sw t5, TI_GOT_MODE(t6)
  sw zero, TI_WANT_EPC(t6)
  .ifc \resume,0
  sw zero, TI_RESUME(t6)
  .else
  la t5, \resume
  sw t5, TI_RESUME(t6)
  .endif
  li t5, \cause
  sw t5, TI_EXP_CAUSE(t6)
.endm

/* ARM_TRAP_SKIP cause: expect `cause`; the handler skips the faulting insn. */
.macro ARM_TRAP_SKIP cause
  ARM_TRAP \cause, 0
.endm

/* ARM_IRQ cause: expect an interrupt (cause = INTR(n)). */
.macro ARM_IRQ cause
  ARM_TRAP \cause, 0
.endm

/* DISARM: no trap expected any more. */
.macro DISARM
  la t6, trapinfo
  li t5, -1
  sw t5, TI_EXP_CAUSE(t6)
.endm

/* TRAP_INSN cause, insn...: `insn` must trap with `cause`; execution resumes
 * after it.  The expected epc is the address of `insn`. */
.macro TRAP_INSN cause, insn:vararg
  ARM_TRAP \cause, .Lres\@
  la t5, .Lepc\@
  sw t5, TI_WANT_EPC(t6)
.Lepc\@:
  \insn
.Lres\@:
.endm

/* CHECK_TRAP cause, mode: the last armed trap was taken with `cause`, by the
 * handler of `mode` (PRV_M or PRV_S); for TRAP_INSN also epc == insn. */
.macro CHECK_TRAP cause, mode
  TI_LOAD t5, TI_GOT_CAUSE
  CHECK_EQ t5, \cause
  TI_LOAD t5, TI_GOT_MODE
  CHECK_EQ t5, \mode
  TI_LOAD t5, TI_WANT_EPC
  beqz t5, .Lnoepc\@
  TI_LOAD t6, TI_GOT_EPC
  beq t5, t6, .Lnoepc\@
  j fail
.Lnoepc\@:
.endm

/* CHECK_TVAL imm / CHECK_TVAL_REG reg: recorded xtval. */
.macro CHECK_TVAL val
  TI_LOAD t5, TI_GOT_TVAL
  CHECK_EQ t5, \val
.endm
.macro CHECK_TVAL_REG reg
  TI_LOAD t5, TI_GOT_TVAL
  CHECK_REG t5, \reg
.endm

/* CHECK_TVAL_INSN: recorded xtval == the 32-bit instruction given to
 * TRAP_INSN (the instruction bits, as QEMU 7.2 reports for illegal
 * instructions). */
.macro CHECK_TVAL_INSN
  TI_LOAD t5, TI_WANT_EPC
  lw t5, 0(t5)
  TI_LOAD t6, TI_GOT_TVAL
  beq t5, t6, .Lok\@
  j fail
.Lok\@:
.endm

/* CHECK_NO_TRAP: no expected trap has been recorded since the last ARM. */
.macro CHECK_NO_TRAP
  TI_LOAD t5, TI_GOT_CAUSE
  CHECK_EQ t5, -1
.endm

/* WAIT_TRAP: spin (bounded, ~10M iterations) until the armed trap is
 * recorded; fail the case if it never comes. */
.macro WAIT_TRAP
  li t5, 10000000
.Lwait\@:
  la t6, trapinfo
  lw t6, TI_GOT_CAUSE(t6)
  addi t6, t6, 1            /* -1 -> 0: nothing yet */
  bnez t6, .Ldone\@
  addi t5, t5, -1
  bnez t5, .Lwait\@
  j fail
.Ldone\@:
.endm

/* ---- privilege switching ------------------------------------------------- */

/* ENTER_MODE mode, label: (M-mode only) mret to `label` in `mode`. */
.macro ENTER_MODE mode, label
  li t6, MSTATUS_MPP
  csrc mstatus, t6
  li t6, ((\mode) << 11)
  csrs mstatus, t6
  la t6, \label
  csrw mepc, t6
  mret
.endm

/* GO_S / GO_U: (M-mode only) continue at the next instruction in S / U. */
.macro GO_S
  ENTER_MODE PRV_S, .Lnext\@
.Lnext\@:
.endm
.macro GO_U
  ENTER_MODE PRV_U, .Lnext\@
.Lnext\@:
.endm

/* GO_M: (any mode) continue at the next instruction in M mode.  The target
 * is an absolute (link-time = physical) address so this also works from code
 * running at a virtual alias. */
.macro GO_M
  lui a6, %hi(.Lback\@)
  addi a6, a6, %lo(.Lback\@)
  li a7, MAGIC_GO_M
  ecall
.Lback\@:
  li a7, 0                  /* a later ecall must not look magic */
.endm

/* ---- start and end of a test ------------------------------------------- */

.macro TEST_BEGIN
  .section .text.init, "ax", @progbits
  .globl _start
_start:
  /* machine state that every test relies on */
  la t0, trap_vector_m
  csrw mtvec, t0
  la t0, trap_vector_s
  csrw stvec, t0
  la t0, trapinfo
  csrw mscratch, t0
  csrw sscratch, t0
  csrw satp, zero
  csrw medeleg, zero
  csrw mideleg, zero
  csrw mie, zero
  li t1, MSTATUS_MPP
  csrs mstatus, t1          /* MPP = M, everything else 0 */
  li t1, ~MSTATUS_MPP
  csrc mstatus, t1
  /* PMP entry 0: NAPOT covering all of memory, RWX, so S/U may access
   * anything (QEMU denies S/U accesses when no PMP entry matches). */
  li t1, -1
  csrw pmpaddr0, t1
  li t1, 0x1f
  csrw pmpcfg0, t1
  /* zero .bss (do not rely on the ELF loader) */
  la t1, __bss_start
  la t2, __bss_end
1:bgeu t1, t2, 2f
  sw zero, 0(t1)
  addi t1, t1, 4
  j 1b
2:
  /* trapinfo: nothing expected, nothing recorded */
  li t1, -1
  sw t1, TI_EXP_CAUSE(t0)
  sw t1, TI_GOT_CAUSE(t0)
  sw zero, TI_RESUME(t0)
  sw zero, TI_COUNT(t0)
  la sp, test_stack_top
  li gp, 0
  j test_main

  /* ------------------------------------------------------------------------
   * M-mode trap handler
   */
  .align 2
trap_vector_m:
  csrrw t6, mscratch, t6     /* t6 = &trapinfo, mscratch = test's t6 */
  sw t0, TI_MSAVE+0(t6)
  sw t1, TI_MSAVE+4(t6)
  sw t2, TI_MSAVE+8(t6)
  csrr t0, mcause
  /* `fail` reached in S/U mode: its first instruction (an M-only CSR read)
   * traps here; report the failure from M mode.  (Compared modulo 4 MiB so
   * that it also matches code running at a virtual alias.) */
  li t1, CAUSE_ILLEGAL
  bne t0, t1, 1f
  csrr t1, mepc
  la t2, fail
  xor t1, t1, t2
  slli t1, t1, 10
  beqz t1, fail_m
1:
  /* ecall with a7 = MAGIC_GO_M (from any mode, possibly forwarded by the S
   * handler): continue in M mode at a6. */
  addi t1, t0, -CAUSE_ECALL_U
  li t2, 4
  bgeu t1, t2, .Lm_not_magic          /* not an ecall (cause 8..11) */
  li t1, MAGIC_GO_M
  bne a7, t1, 1f
  csrw mepc, a6
  li t1, MSTATUS_MPP
  csrs mstatus, t1
  j .Lm_return
1:li t1, MAGIC_SFAIL                  /* S handler saw an unexpected trap */
  beq a7, t1, unexpected_s
.Lm_not_magic:
  lw t1, TI_EXP_CAUSE(t6)
  bne t0, t1, unexpected_m
  /* expected: record it */
  sw t0, TI_GOT_CAUSE(t6)
  csrr t1, mepc
  sw t1, TI_GOT_EPC(t6)
  csrr t1, mtval
  sw t1, TI_GOT_TVAL(t6)
  csrr t1, mstatus
  sw t1, TI_GOT_STATUS(t6)
  li t1, PRV_M
  sw t1, TI_GOT_MODE(t6)
  lw t1, TI_COUNT(t6)
  addi t1, t1, 1
  sw t1, TI_COUNT(t6)
  li t1, -1
  sw t1, TI_EXP_CAUSE(t6)             /* a second trap is unexpected */
  bltz t0, .Lm_irq
  lw t1, TI_RESUME(t6)
  beqz t1, .Lm_skip
  sw zero, TI_RESUME(t6)
  csrw mepc, t1
  j .Lm_return
.Lm_skip:                             /* mepc += length of the insn */
  csrr t1, mepc
  lhu t2, 0(t1)
  andi t2, t2, 3
  addi t1, t1, 2
  addi t2, t2, -3
  bnez t2, 2f
  addi t1, t1, 2
2:csrw mepc, t1
  j .Lm_return
.Lm_irq:                              /* take it once: mask it, MPIE = 0 */
  andi t0, t0, 31
  li t1, 1
  sll t1, t1, t0
  csrc mie, t1
  li t1, MSTATUS_MPIE
  csrc mstatus, t1
.Lm_return:
  lw t0, TI_MSAVE+0(t6)
  lw t1, TI_MSAVE+4(t6)
  lw t2, TI_MSAVE+8(t6)
  csrrw t6, mscratch, t6
  mret

  /* ------------------------------------------------------------------------
   * S-mode trap handler (same protocol; runs in S mode, so with paging on it
   * needs trapinfo and itself identity-mapped).
   */
  .align 2
trap_vector_s:
  csrrw t6, sscratch, t6
  sw t0, TI_SSAVE+0(t6)
  sw t1, TI_SSAVE+4(t6)
  sw t2, TI_SSAVE+8(t6)
  csrr t0, scause
  addi t1, t0, -CAUSE_ECALL_U
  li t2, 2
  bgeu t1, t2, .Ls_not_magic          /* not an ecall from U/S */
  li t1, MAGIC_GO_M
  bne a7, t1, .Ls_not_magic
  /* forward GO_M to the M handler: restore everything and ecall from S */
  lw t0, TI_SSAVE+0(t6)
  lw t1, TI_SSAVE+4(t6)
  lw t2, TI_SSAVE+8(t6)
  csrrw t6, sscratch, t6
  ecall
.Ls_not_magic:
  lw t1, TI_EXP_CAUSE(t6)
  bne t0, t1, .Ls_unexpected
  sw t0, TI_GOT_CAUSE(t6)
  csrr t1, sepc
  sw t1, TI_GOT_EPC(t6)
  csrr t1, stval
  sw t1, TI_GOT_TVAL(t6)
  csrr t1, sstatus
  sw t1, TI_GOT_STATUS(t6)
  li t1, PRV_S
  sw t1, TI_GOT_MODE(t6)
  lw t1, TI_COUNT(t6)
  addi t1, t1, 1
  sw t1, TI_COUNT(t6)
  li t1, -1
  sw t1, TI_EXP_CAUSE(t6)
  bltz t0, .Ls_irq
  lw t1, TI_RESUME(t6)
  beqz t1, .Ls_skip
  sw zero, TI_RESUME(t6)
  csrw sepc, t1
  j .Ls_return
.Ls_skip:
  csrr t1, sepc
  lhu t2, 0(t1)
  andi t2, t2, 3
  addi t1, t1, 2
  addi t2, t2, -3
  bnez t2, 2f
  addi t1, t1, 2
2:csrw sepc, t1
  j .Ls_return
.Ls_irq:
  andi t0, t0, 31
  li t1, 1
  sll t1, t1, t0
  csrc sie, t1
  li t1, MSTATUS_SPIE
  csrc sstatus, t1
.Ls_return:
  lw t0, TI_SSAVE+0(t6)
  lw t1, TI_SSAVE+4(t6)
  lw t2, TI_SSAVE+8(t6)
  csrrw t6, sscratch, t6
  sret
.Ls_unexpected:                       /* let M report it */
  li a7, MAGIC_SFAIL
  ecall
1:j 1b

  /* ------------------------------------------------------------------------
   * pass / fail (M mode, or S/U without paging)
   */
unexpected_m:
  la sp, test_stack_top
  la a0, .Lstr_fail
  jal test_puts
  mv a0, gp
  jal test_putdec
  la a0, .Lstr_unexp_m
  jal test_puts
  csrr a0, mcause
  jal test_puthex
  la a0, .Lstr_epc
  jal test_puts
  csrr a0, mepc
  jal test_puthex
  la a0, .Lstr_tval
  jal test_puts
  csrr a0, mtval
  jal test_puthex
  j .Lfail_trap_code
unexpected_s:
  csrr t0, scause             /* `fail` reached in S/U, delegated to S? */
  li t1, CAUSE_ILLEGAL
  bne t0, t1, 1f
  csrr t1, sepc
  la t2, fail
  xor t1, t1, t2
  slli t1, t1, 10
  beqz t1, fail_m
1:la sp, test_stack_top
  la a0, .Lstr_fail
  jal test_puts
  mv a0, gp
  jal test_putdec
  la a0, .Lstr_unexp_s
  jal test_puts
  csrr a0, scause
  jal test_puthex
  la a0, .Lstr_epc
  jal test_puts
  csrr a0, sepc
  jal test_puthex
  la a0, .Lstr_tval
  jal test_puts
  csrr a0, stval
  jal test_puthex
.Lfail_trap_code:
  li a0, '\n'
  jal test_putc
  andi a0, gp, 0x7f
  ori a0, a0, 0x80           /* unexpected trap: 128 + case */
  j .Lfinish_fail

  .globl fail
fail:
  csrr t6, mscratch          /* traps unless in M mode, see trap_vector_m */
fail_m:
  la sp, test_stack_top
  la a0, .Lstr_fail
  jal test_puts
  mv a0, gp
  jal test_putdec
  li a0, '\n'
  jal test_putc
  mv a0, gp
  addi a1, a0, -1
  li a2, 120
  bltu a1, a2, .Lfinish_fail  /* 1..120 */
  li a0, 127                  /* case number out of range */
.Lfinish_fail:
  slli a0, a0, 16
  li a1, FINISHER_FAIL
  or a0, a0, a1
  li a1, FINISHER
  sw a0, 0(a1)
1:j 1b

  .globl pass
pass:
  la sp, test_stack_top
  la a0, .Lstr_pass
  jal test_puts
  li a0, FINISHER_PASS
  li a1, FINISHER
  sw a0, 0(a1)
1:j 1b

  /* UART helpers (clobber a0-a5, ra) */
test_putc:                   /* a0 = character */
  li a1, UART0
  li a2, 100000              /* do not hang if LSR never says ready */
1:lbu a3, 5(a1)
  andi a3, a3, 0x20          /* LSR.THRE */
  bnez a3, 2f
  addi a2, a2, -1
  bnez a2, 1b
2:sb a0, 0(a1)
  ret
test_puts:                   /* a0 = NUL-terminated string */
  mv a4, a0
  mv a5, ra
1:lbu a0, 0(a4)
  beqz a0, 2f
  jal test_putc
  addi a4, a4, 1
  j 1b
2:mv ra, a5
  ret
test_puthex:                 /* a0 = value, printed as 0xXXXXXXXX */
  mv a4, a0
  mv a5, ra
  li a0, '0'
  jal test_putc
  li a0, 'x'
  jal test_putc
  li s11, 28
1:srl a0, a4, s11
  andi a0, a0, 15
  addi a0, a0, '0'
  li a1, '9'
  ble a0, a1, 2f
  addi a0, a0, 'a' - '0' - 10
2:jal test_putc
  addi s11, s11, -4
  bgez s11, 1b
  mv ra, a5
  ret
test_putdec:                 /* a0 = value 0..999 */
  mv a5, ra
  li a1, 100
  divu s10, a0, a1
  remu a4, a0, a1
  beqz s10, 1f
  addi a0, s10, '0'
  jal test_putc
1:li a1, 10
  divu a0, a4, a1
  or s10, s10, a0
  beqz s10, 2f
  addi a0, a0, '0'
  jal test_putc
2:li a1, 10
  remu a0, a4, a1
  addi a0, a0, '0'
  jal test_putc
  mv ra, a5
  ret

  .section .rodata
.Lstr_pass:     .asciz "isa-" TEST_NAME ": pass\n"
.Lstr_fail:     .asciz "isa-" TEST_NAME ": FAIL case "
.Lstr_unexp_m:  .asciz " unexpected trap mcause="
.Lstr_unexp_s:  .asciz " unexpected S-mode trap scause="
.Lstr_epc:      .asciz " epc="
.Lstr_tval:     .asciz " tval="

  .data
  .balign 64
  .globl trapinfo
trapinfo:
  .word -1, 0, -1, 0, 0, 0, 0, 0, 0
  .balign 4
  .skip TI_SIZE - 36

  .bss
  .balign 16
test_stack:
  .skip 256
test_stack_top:

  .text
  .globl test_main
test_main:
.endm

.macro TEST_END
  j pass
.endm
