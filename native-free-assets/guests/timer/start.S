/*
 * start.S -- entry and interrupt vector of the timer guest (S-mode, 0x80400000).
 * The vector handles only the supervisor timer interrupt: it cancels the SBI timer
 * (which clears the pending STIP), counts the tick and returns.
 */
    .section .text.start, "ax"
    .globl _start
_start:
    la      sp, stack_top
    la      t0, timer_vector
    csrw    stvec, t0
    call    timer_main
1:  wfi
    j       1b

    .text
    .align 2                            # stvec needs a 4-byte aligned address
timer_vector:
    addi    sp, sp, -24
    sw      a0, 0(sp)
    sw      a1, 4(sp)
    sw      a6, 8(sp)
    sw      a7, 12(sp)
    sw      t0, 16(sp)
    li      a7, 0x54494D45              # TIME
    li      a6, 0                       # set_timer(all ones): cancel
    li      a0, -1
    li      a1, -1
    ecall
    la      t0, ticks
    lw      a0, 0(t0)
    addi    a0, a0, 1
    sw      a0, 0(t0)
    lw      a0, 0(sp)
    lw      a1, 4(sp)
    lw      a6, 8(sp)
    lw      a7, 12(sp)
    lw      t0, 16(sp)
    addi    sp, sp, 24
    sret

    .bss
    .align 4
stack:
    .space 4096
stack_top:
