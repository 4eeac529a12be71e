/*
 * smp.c -- bringing up the other harts.
 *
 * Under SBI the other harts start stopped.  hart_start (SBI HSM) asks the
 * firmware or hypervisor to start one at a physical address, in S-mode with
 * paging off, a0 = its hart id and a1 = an "opaque" value: we pass its
 * struct cpu.  start.S (secondary_entry) puts that in tp, takes the boot stack
 * it names and calls secondary_main(), which turns on the kernel's page table
 * and trap vector and becomes that hart's idle thread.
 */
#include "labos.h"

struct cpu cpus[MAX_CPUS];
u32 ncpus;
volatile u32 cpus_online;

extern char secondary_entry[];      /* start.S */

void smp_start_secondaries(void)
{
    for (u32 k = 1; k < ncpus; k++) {
        struct sbiret r = sbi_hart_start(cpus[k].hartid, virt_to_phys(secondary_entry),
                                         virt_to_phys(&cpus[k]));
        if (r.error)
            warn("warning: hsm: hart %u did not start (%s)\n", cpus[k].hartid,
                 sbi_error_name(r.error));
    }
    /* Wait until they are all up, so `info` and `threads` always see the same
     * harts.  Each one sends us an IPI once it is online (secondary_main), so
     * we sleep in WFI instead of spinning.  Interrupts are still off here, so
     * WFI just returns when an enabled one is pending, and no trap is taken;
     * only the IPI and the timer are enabled meanwhile (a key already waiting
     * on the UART would otherwise end every WFI at once).  The timer, 2 s
     * ahead, bounds the wait: a hart that never comes is reported, not waited
     * for. */
    if (ncpus == 1)
        return;
    u32 enabled = csr_read(sie);
    csr_write(sie, 1u << IRQ_S_SOFT | 1u << IRQ_S_TIMER);
    u64 deadline = rdtime() + 2ull * timebase_hz;
    timer_wake_at(deadline);
    for (u32 k = 1; k < ncpus; k++) {
        while (!cpus[k].online && rdtime() < deadline) {
            wfi();
            csr_clear(sip, 1u << IRQ_S_SOFT);
        }
        if (!cpus[k].online)
            warn("warning: hsm: hart %u is not responding\n", cpus[k].hartid);
    }
    timer_cancel();
    csr_write(sie, enabled);
}

void secondary_main(u32 hartid, struct cpu *c)
{
    (void)hartid;
    vm_enable_this_hart();
    trap_init_this_hart();
    c->switch_time = rdtime();
    __atomic_add_fetch(&cpus_online, 1, __ATOMIC_SEQ_CST);
    c->online = 1;
    smp_kick(0);                                /* the boot hart waits for this */
    sched_idle_loop();
}

/* An IPI: a supervisor software interrupt on cpu k (mask bit 0 = hart base). */
void smp_kick(u32 k)
{
    sbi_call(SBI_EXT_IPI, 0, 1, cpus[k].hartid, 0);
}
