/*
 * timer.c -- the 10 ms scheduler tick, on either of two timer paths:
 *
 *   timer=sbi   sbi_set_timer(): a hypercall (SBI TIME) each time the timer
 *               is set; the hypervisor (or firmware) programs the real timer
 *               and injects the supervisor timer interrupt when it fires.
 *   timer=sstc  the Sstc extension: the kernel writes its own compare
 *               register, stimecmp, and the hart raises the interrupt itself,
 *               without leaving the guest.  Only if the DTB lists "sstc".
 *
 * Either way the interrupt stays pending until the timer is set again, so
 * the handler always re-arms (or cancels with the all-ones value).
 * The tick length comes from the DTB's timebase-frequency (ticks of `time`
 * per second): 10 ms = timebase / 100.
 *
 * Tickless idle: a hart with nothing to do cancels its timer (see sched.c),
 * so an idle VM costs the host nothing and a hypervisor can see it is idle.
 */
#include "labos.h"

enum timer_kind timer_kind = TIMER_SBI;
u32 timebase_hz;
u32 tick_len;
volatile u32 ticks_total;
static u64 boot_time;

void timer_init(enum timer_kind kind, u32 timebase)
{
    timer_kind = kind;
    timebase_hz = timebase;
    tick_len = timebase / 100;
    boot_time = rdtime();
}

static void set_deadline(u64 when)
{
    u32 lo = (u32)when, hi = (u32)(when >> 32);
    if (timer_kind == TIMER_SSTC) {
        /* Two 32-bit halves: park the high half at all-ones first, so the
         * compare value is never briefly in the past while half written. */
        csr_write(0x15d, 0xffffffffu);          /* stimecmph */
        csr_write(0x14d, lo);                   /* stimecmp */
        csr_write(0x15d, hi);
    } else {
        sbi_call(SBI_EXT_TIME, 0, lo, hi, 0);   /* set_timer: a 64-bit value in a0/a1 */
    }
}

void timer_arm_tick(void)
{
    this_cpu()->timer_armed = 1;
    set_deadline(rdtime() + tick_len);
}

void timer_wake_at(u64 when)
{
    set_deadline(when);
}

void timer_cancel(void)
{
    this_cpu()->timer_armed = 0;
    set_deadline(~0ull);                        /* all ones: never */
}

void timer_interrupt(void)
{
    struct cpu *c = this_cpu();
    c->ticks++;
    __atomic_add_fetch(&ticks_total, 1, __ATOMIC_RELAXED);
    /* DBCN input has no interrupt: hart 0 looks for keys on its tick. */
    if (c->index == 0 && console_kind == CONSOLE_DBCN && console_reader_waiting())
        dbcn_poll();
    timer_arm_tick();                           /* also clears the pending interrupt */
    sched_tick();                               /* may switch threads */
}

u64 uptime_ticks(void) { return rdtime() - boot_time; }
