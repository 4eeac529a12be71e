/*
 * start.S -- entry points of the hello guest (S-mode, linked at 0x80400000).
 *
 *   _start          hart 0, from the firmware/hypervisor: a0 = hart id, a1 = DTB
 *   secondary_entry harts started with SBI hart_start: a0 = hart id, a1 = opaque
 *
 * Both just get a stack and call C.  A trap that nobody expected goes to
 * unexpected_trap() in hello.c, which reports it and shuts down.
 */
#define STACK_SIZE 4096

    .section .text.start, "ax"
    .globl _start
_start:
    la      sp, stack0_top
    la      t0, trap_vector
    csrw    stvec, t0

    la      t0, __bss_start             # C expects .bss to be zero
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    sw      zero, 0(t0)
    addi    t0, t0, 4
    j       1b
2:  call    hello_main                  # (a0, a1) untouched so far
3:  wfi
    j       3b

    .text
    .globl secondary_entry
secondary_entry:
    la      sp, stack1_top              # one stack: only hart 1 is ever started here
    la      t0, trap_vector
    csrw    stvec, t0
    call    secondary_main              # (a0 = hart id, a1 = opaque)
1:  wfi
    j       1b

    .align 2                            # stvec needs a 4-byte aligned address
trap_vector:
    csrr    a0, scause
    csrr    a1, sepc
    csrr    a2, stval
    call    unexpected_trap             # does not return

    .section .stacks, "aw", @nobits
    .balign 16
    .space  STACK_SIZE
stack0_top:
    .space  STACK_SIZE
stack1_top:
