/*
 * trap.c -- where every trap lands (start.S saves the registers into a
 * struct trapframe on the current kernel stack and calls trap_handler).
 *
 * scause says what happened: the top bit set means an interrupt (timer,
 * software = IPI, external = PLIC), otherwise an exception.  The only
 * exceptions labos expects are page faults in the touch window; anything
 * else is a bug, and panic() prints what a student needs to find it (cause,
 * pc, faulting address, all 32 registers) and powers off with exit status 1.
 * It never hangs silently.
 */
#include "labos.h"

extern char trap_entry[];           /* start.S */

static const char *const exception_names[] = {
    "instruction address misaligned", "instruction access fault", "illegal instruction",
    "breakpoint", "load address misaligned", "load access fault",
    "store address misaligned", "store access fault", "ecall from U-mode",
    "ecall from S-mode", "reserved", "ecall from M-mode", "instruction page fault",
    "load page fault", "reserved", "store page fault",
};

static const char *const reg_names[32] = {
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0",
    "a1", "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5",
    "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};

void trap_init_this_hart(void)
{
    csr_write(stvec, trap_entry);               /* direct mode: every trap to one place */
    csr_write(sie, 1u << IRQ_S_SOFT | 1u << IRQ_S_TIMER | 1u << IRQ_S_EXT);
}

static volatile u32 panicking;

void shutdown(u32 status)
{
    if (!panicking)
        console_flush();                        /* output a device still holds goes first */
    /* SRST: reason 0 = exit 0, 1 = failure (exit 1), hvlab's 0xF000_0000 | n = exit n */
    u32 reason = status == 0 ? SBI_SRST_REASON_NONE
               : status == 1 ? SBI_SRST_REASON_FAILURE : SBI_SRST_REASON_EXIT(status);
    sbi_shutdown(reason);                       /* does not return */
}

static void __attribute__((noreturn)) panic_frame(struct trapframe *tf, const char *msg)
{
    irq_disable();
    if (__atomic_exchange_n(&panicking, 1, __ATOMIC_SEQ_CST))
        shutdown(1);                            /* a panic while panicking: just stop */
    console_panic_mode();
    struct cpu *c = this_cpu();
    struct thread *t = c ? c->current : NULL;
    kprintf("\npanic: %s\n", msg);
    kprintf("panic: hart %u, thread %s\n", c ? c->hartid : 0, t ? t->name : "-");
    if (tf) {
        u32 code = tf->scause & ~SCAUSE_IRQ;
        const char *name = tf->scause & SCAUSE_IRQ ? "interrupt"
                         : code < ARRAY_SIZE(exception_names) ? exception_names[code] : "?";
        kprintf("panic: scause %08x (%s) sepc %08x stval %08x sstatus %08x\n", tf->scause,
                name, tf->sepc, tf->stval, tf->sstatus);
        for (int i = 0; i < 32; i += 4)
            kprintf("panic: %4s %08x %4s %08x %4s %08x %4s %08x\n", reg_names[i],
                    tf->regs[i], reg_names[i + 1], tf->regs[i + 1], reg_names[i + 2],
                    tf->regs[i + 2], reg_names[i + 3], tf->regs[i + 3]);
    }
    shutdown(1);
}

void panic(const char *fmt, ...)
{
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    vformat(msg, sizeof msg, fmt, ap);
    va_end(ap);
    panic_frame(NULL, msg);
}

void trap_handler(struct trapframe *tf)
{
    u32 code = tf->scause & ~SCAUSE_IRQ;
    if (tf->scause & SCAUSE_IRQ) {
        switch (code) {
        case IRQ_S_TIMER:
            timer_interrupt();
            return;
        case IRQ_S_SOFT:
            csr_clear(sip, 1u << IRQ_S_SOFT);   /* an IPI: someone queued work for us */
            sched_ipi();
            return;
        case IRQ_S_EXT:
            plic_interrupt();
            return;
        }
        panic_frame(tf, "unexpected interrupt");
    }
    if ((code == 13 || code == 15) && vm_page_fault(tf))
        return;
    panic_frame(tf, "unexpected exception");
}
