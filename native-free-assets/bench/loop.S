/*
 * loop.S -- "tight loop" benchmark for the hvlab bare machine.
 *
 * The measured loop body is exactly 7 instructions:
 *     add / xor / sw / lw / add / addi / bnez
 * executed ITERS = 50,000,000 times (350,000,000 instructions), encoded as
 * 32-bit base-ISA instructions (.option norvc) so the loop measures plain
 * RV32I fetch/decode/dispatch; the rest of the image may use RVC.
 * The sw/lw target lives in .bss on its own 4 KiB page, which the linker
 * script places on a different page from the code.
 *
 * At the end the two live values (acc, x) are compared with constants
 * computed by an independent model (model_loop.py); on success the image
 * prints "loop: done\n" and writes PASS to the test finisher, otherwise it
 * writes FAIL with exit code 1 (acc mismatch) or 2 (x mismatch).
 */
#define ITERS        50000000
#define X_INIT       0x12345678
#define EXPECT_ACC   0xA98505BA   /* from model_loop.py */
#define EXPECT_X     0xB5C97DEF   /* from model_loop.py */

#define FINISHER     0x00100000
#define UART0        0x10000000

    .section .text.start, "ax"
    .globl _start
_start:
    la      t0, trap            /* unexpected trap -> FAIL code 0xEE */
    csrw    mtvec, t0
    li      s0, ITERS           /* loop counter */
    la      s1, buf             /* scratch word on its own data page */
    li      a0, 0               /* acc */
    li      a1, X_INIT          /* x */

    /* The measured loop: 7 full-width (32-bit, non-RVC) base instructions,
     * 28 bytes, 4-byte aligned. (Everything else in the image may use RVC.) */
    .option push
    .option norvc
    .balign 4
loop:
    add     a0, a0, s0          /* acc += counter      */
    xor     a1, a1, a0          /* x   ^= acc          */
    sw      a1, 0(s1)           /* buf  = x            */
    lw      a2, 0(s1)           /* t    = buf          */
    add     a0, a0, a2          /* acc += t            */
    addi    s0, s0, -1          /* counter--           */
    bnez    s0, loop            /* (bne s0, zero, loop) */
    .option pop

    li      t0, EXPECT_ACC
    li      a3, 1
    bne     a0, t0, fail
    li      t0, EXPECT_X
    li      a3, 2
    bne     a1, t0, fail

    /* print "loop: done\n" */
    la      t1, msg
    li      t2, UART0
1:  lbu     t3, 0(t1)
    beqz    t3, 2f
    sb      t3, 0(t2)
    addi    t1, t1, 1
    j       1b
2:
    li      t0, FINISHER
    li      t1, 0x5555          /* PASS -> QEMU exit status 0 */
    sw      t1, 0(t0)
    j       hang

fail:
    li      t0, FINISHER
    slli    a3, a3, 16
    li      t1, 0x3333          /* FAIL, code in bits 31:16 */
    or      t1, t1, a3
    sw      t1, 0(t0)
hang:
    wfi
    j       hang

    .balign 4
trap:
    li      t0, FINISHER
    li      t1, (0xEE << 16) | 0x3333
    sw      t1, 0(t0)
    j       hang

    .section .rodata
msg:
    .asciz  "loop: done\n"

    .section .bss
    .balign 4096
buf:
    .space  4096                /* whole page: only the first word is used */
