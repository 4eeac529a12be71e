/*
 * fw.S -- reset entry and M-mode trap vector of hvlab's SBI firmware.
 *
 * Everything that can be written in C is in fw.c; this file only does what
 * C cannot: pick a stack, save/restore registers around a trap, and mret.
 *
 * mscratch convention:
 *   0                  while the hart runs firmware code in M-mode;
 *   this hart's stack  while the hart runs S/U-mode code.
 * So trap_entry can tell where it came from with a single swap.
 */
#include "fw.h"

    .section .text.entry, "ax"
    .globl _start
_start:
    /* QEMU starts every hart here at reset, in M-mode, with a1 = DTB. */
    csrw    mie, zero
    csrw    mscratch, zero
    la      t0, trap_entry
    csrw    mtvec, t0
    csrr    a0, mhartid

    li      t0, MAX_HARTS
    bgeu    a0, t0, .Lno_stack          # no stack for this hart: sleep forever

    la      sp, stacks_end              # sp = stacks_end - hartid * STACK_SIZE
    slli    t0, a0, STACK_SHIFT
    sub     sp, sp, t0

    bnez    a0, .Lsecondary

    /* Hart 0 clears .bss.  Secondary harts never touch .bss before hart 0
     * has entered the kernel (what they share with hart 0 is in .data). */
    la      t0, __bss_start
    la      t1, __bss_end
1:  bgeu    t0, t1, 2f
    sw      zero, 0(t0)
    addi    t0, t0, 4
    j       1b
2:  call    fw_boot_main                # (a0 = 0, a1 = DTB); does not return
    j       .Lno_stack

.Lsecondary:
    call    fw_secondary_main           # (a0 = hartid); does not return

.Lno_stack:
    wfi
    j       .Lno_stack


/*
 * fw_park(): throw away whatever this hart had on its M stack (used by
 * hart_stop, which never returns to its caller) and wait for hart_start.
 */
    .text
    .globl fw_park
fw_park:
    csrr    a0, mhartid
    la      sp, stacks_end
    slli    t0, a0, STACK_SHIFT
    sub     sp, sp, t0
    csrw    mscratch, zero
    tail    hart_park_loop              # (a0 = hartid); does not return


/*
 * fw_enter_smode(entry, arg0, arg1): drop to S-mode at `entry` with
 * a0 = arg0, a1 = arg1.  fw.c has already set up satp/sstatus/mie.
 */
    .globl fw_enter_smode
fw_enter_smode:
    csrw    mepc, a0
    mv      a0, a1
    mv      a1, a2

    csrr    t0, mhartid                 # next trap from S uses the top of our stack
    la      t1, stacks_end
    slli    t0, t0, STACK_SHIFT
    sub     t1, t1, t0
    csrw    mscratch, t1

    li      t0, (3 << MSTATUS_MPP_SHIFT) | (1 << 7)   # MPP = 0, MPIE = 0
    csrc    mstatus, t0
    li      t0, (1 << MSTATUS_MPP_SHIFT)              # MPP = S
    csrs    mstatus, t0
    mret


/*
 * trap_entry: every trap and interrupt taken into M-mode.
 * Saves all registers, mepc and mstatus in a trap frame, calls
 * fw_trap(frame) in C, and returns with whatever the C code left in the frame.
 */
    .align 2
trap_entry:
    csrrw   sp, mscratch, sp            # from S/U: sp = our stack, mscratch = their sp
    bnez    sp, 1f
    csrr    sp, mscratch                # from M (mscratch was 0): stay on this stack
1:  addi    sp, sp, -FRAME_SIZE

    sw      zero, 0(sp)                 # x0 reads as 0 when the C code indexes regs[]
    sw      x1, 4(sp)
    sw      x3, 12(sp)
    sw      x4, 16(sp)
    sw      x5, 20(sp)
    sw      x6, 24(sp)
    sw      x7, 28(sp)
    sw      x8, 32(sp)
    sw      x9, 36(sp)
    sw      x10, 40(sp)
    sw      x11, 44(sp)
    sw      x12, 48(sp)
    sw      x13, 52(sp)
    sw      x14, 56(sp)
    sw      x15, 60(sp)
    sw      x16, 64(sp)
    sw      x17, 68(sp)
    sw      x18, 72(sp)
    sw      x19, 76(sp)
    sw      x20, 80(sp)
    sw      x21, 84(sp)
    sw      x22, 88(sp)
    sw      x23, 92(sp)
    sw      x24, 96(sp)
    sw      x25, 100(sp)
    sw      x26, 104(sp)
    sw      x27, 108(sp)
    sw      x28, 112(sp)
    sw      x29, 116(sp)
    sw      x30, 120(sp)
    sw      x31, 124(sp)
    csrr    t0, mscratch                # the interrupted sp
    sw      t0, 8(sp)
    csrw    mscratch, zero              # we are in M now: a nested trap stays here
    csrr    t0, mepc
    sw      t0, FRAME_MEPC(sp)
    csrr    t0, mstatus
    sw      t0, FRAME_MSTATUS(sp)

    mv      a0, sp
    call    fw_trap

    /* mepc/mstatus come from the frame: a nested trap (a fault while
     * emulating a misaligned access) may have overwritten the CSRs. */
    lw      t0, FRAME_MEPC(sp)
    csrw    mepc, t0
    lw      t0, FRAME_MSTATUS(sp)
    csrw    mstatus, t0
    srli    t0, t0, MSTATUS_MPP_SHIFT   # going back to S/U?  Then the next
    andi    t0, t0, 3                   # trap must switch to our stack again.
    li      t1, 3
    beq     t0, t1, 2f
    addi    t0, sp, FRAME_SIZE
    csrw    mscratch, t0
2:
    lw      x1, 4(sp)
    lw      x3, 12(sp)
    lw      x4, 16(sp)
    lw      x5, 20(sp)
    lw      x6, 24(sp)
    lw      x7, 28(sp)
    lw      x8, 32(sp)
    lw      x9, 36(sp)
    lw      x10, 40(sp)
    lw      x11, 44(sp)
    lw      x12, 48(sp)
    lw      x13, 52(sp)
    lw      x14, 56(sp)
    lw      x15, 60(sp)
    lw      x16, 64(sp)
    lw      x17, 68(sp)
    lw      x18, 72(sp)
    lw      x19, 76(sp)
    lw      x20, 80(sp)
    lw      x21, 84(sp)
    lw      x22, 88(sp)
    lw      x23, 92(sp)
    lw      x24, 96(sp)
    lw      x25, 100(sp)
    lw      x26, 104(sp)
    lw      x27, 108(sp)
    lw      x28, 112(sp)
    lw      x29, 116(sp)
    lw      x30, 120(sp)
    lw      x31, 124(sp)
    lw      sp, 8(sp)                   # last: the interrupted (or emulated) sp
    mret


/* Per-hart M-mode stacks: hart N uses [stacks_end - (N+1)*STACK_SIZE, stacks_end - N*STACK_SIZE). */
    .section .stacks, "aw", @nobits
    .balign 16
stacks:
    .space  MAX_HARTS * STACK_SIZE
stacks_end:
