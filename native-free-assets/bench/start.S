/*
 * start.S -- entry for mixed.elf on the hvlab bare machine.
 * Sets up gp/sp, installs a trap handler, clears .bss, calls main(),
 * then reports main's return value through the test finisher:
 *   0 -> PASS (0x5555, QEMU exit status 0)
 *   N -> FAIL with code N ((N << 16) | 0x3333)
 * An unexpected trap fails with code 0xEE.
 */
#define FINISHER 0x00100000

    .section .text.start, "ax"
    .globl _start
_start:
    .option push
    .option norelax
    la      gp, __global_pointer$
    .option pop
    la      sp, __stack_top
    la      t0, trap
    csrw    mtvec, t0

    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    sw      zero, 0(t0)
    addi    t0, t0, 4
    j       1b
2:
    call    main

    li      t0, FINISHER
    bnez    a0, 3f
    li      t1, 0x5555
    sw      t1, 0(t0)
    j       hang
3:  slli    a0, a0, 16
    li      t1, 0x3333
    or      t1, t1, a0
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
