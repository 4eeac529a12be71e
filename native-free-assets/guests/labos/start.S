/*
 * start.S -- the assembly labos cannot do in C:
 *
 *   _start           hart 0 from the firmware/hypervisor: a0 = hart id, a1 = DTB
 *   secondary_entry  other harts, from SBI hart_start: a0 = hart id, a1 = struct cpu
 *   trap_entry       every trap: save all registers in a struct trapframe on
 *                    the current kernel stack, call trap_handler, restore, sret
 *   switch_context   save one thread's callee-saved registers, load another's
 *   touch_store      a store that the page-fault handler may abort (vm.c)
 *
 * tp always points to the hart's own struct cpu (this_cpu()).  It is set once
 * per hart and never saved or restored by a context switch: a thread that
 * moves to another hart must see that hart's tp.
 */
#define STACK_SIZE  8192            /* boot stack per hart, later its idle thread's */
#define MAX_CPUS    8
#define FRAME_SIZE  144             /* struct trapframe: 32 regs + sepc sstatus scause stval */

    .section .text.start, "ax"
    .globl _start
_start:
    la      sp, boot_stacks + STACK_SIZE
    la      t0, trap_entry
    csrw    stvec, t0
    csrw    sie, zero
    la      t0, __bss_start             # C expects .bss to be zero
    la      t1, __bss_end               # (both 32-byte aligned: labos.ld)
1:  bgeu    t0, t1, 2f                  # eight words a turn: about 100 KiB of .bss
    sw      zero, 0(t0)                 # is a quarter of the instructions to boot
    sw      zero, 4(t0)
    sw      zero, 8(t0)
    sw      zero, 12(t0)
    sw      zero, 16(t0)
    sw      zero, 20(t0)
    sw      zero, 24(t0)
    sw      zero, 28(t0)
    addi    t0, t0, 32
    j       1b
2:  la      tp, cpus                    # cpus[0] is the boot hart
    call    kmain                       # (a0 = hart id, a1 = DTB), does not return
3:  wfi
    j       3b

    .text
    .globl secondary_entry
secondary_entry:
    mv      tp, a1                      # our struct cpu
    lw      sp, 0(a1)                   # cpu->stack_top
    la      t0, trap_entry
    csrw    stvec, t0
    call    secondary_main              # (a0 = hart id, a1 = cpu), does not return
1:  wfi
    j       1b

/* Save x1 and x3..x31 (sp is saved separately, x0 needs no saving). */
    .align  2                           # stvec wants 4-byte alignment
    .globl  trap_entry
trap_entry:
    addi    sp, sp, -FRAME_SIZE
    sw      x1, 1*4(sp)
    .irp    n, 3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    sw      x\n, \n*4(sp)
    .endr
    addi    t0, sp, FRAME_SIZE
    sw      t0, 2*4(sp)                 # the sp the trapped code had
    csrr    t0, sepc
    sw      t0, 128(sp)
    csrr    t0, sstatus
    sw      t0, 132(sp)
    csrr    t0, scause
    sw      t0, 136(sp)
    csrr    t0, stval
    sw      t0, 140(sp)
    mv      a0, sp
    call    trap_handler                # may switch threads and come back much later
    lw      t0, 128(sp)                 # (the handler may have changed sepc or a0)
    csrw    sepc, t0
    lw      t0, 132(sp)
    csrw    sstatus, t0                 # SPP/SPIE of *this* trap: sret returns right
    lw      x1, 1*4(sp)
    .irp    n, 3,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    lw      x\n, \n*4(sp)               # (not x4 = tp: it belongs to the hart)
    .endr
    addi    sp, sp, FRAME_SIZE
    sret

/* void switch_context(struct context *old, struct context *new)
 * The caller-saved registers are already saved by the C compiler around the
 * call, so ra, sp and s0-s11 are all a thread is. */
    .globl  switch_context
switch_context:
    sw      ra, 0(a0)
    sw      sp, 4(a0)
    .irp    n, 0,1,2,3,4,5,6,7,8,9,10,11
    sw      s\n, (8 + \n*4)(a0)
    .endr
    lw      ra, 0(a1)
    lw      sp, 4(a1)
    .irp    n, 0,1,2,3,4,5,6,7,8,9,10,11
    lw      s\n, (8 + \n*4)(a1)
    .endr
    ret                                 # into the new thread

/* int touch_store(volatile u32 *p, u32 v): *p = v; returns 0.  If the page
 * fault handler cannot map the page (out of memory) it sets a0 = -1 and
 * resumes at touch_store_done instead of retrying the store. */
    .globl  touch_store, touch_store_insn, touch_store_done
touch_store:
    mv      t0, a0
    li      a0, 0
touch_store_insn:
    sw      a1, 0(t0)
touch_store_done:
    ret

    .section .stacks, "aw", @nobits
    .balign 16
    .globl  boot_stacks
boot_stacks:
    .space  STACK_SIZE * MAX_CPUS
