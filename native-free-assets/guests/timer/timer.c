/*
 * timer -- sleeps on the SBI timer: arms it 100 ms ahead, waits in WFI until the
 * interrupt comes, and checks that the time really passed. On hvlab it shows the WFI
 * exit, the injected timer interrupt, and virtual time skipping ahead (deterministic
 * clock) or the host really sleeping (realtime clock).
 */
#include "print.h"
#include "sbi.h"

#define TIMEBASE_HZ 10000000u
#define DELAY (TIMEBASE_HZ / 10) /* 100 ms */

volatile unsigned ticks;

static unsigned rdtime(void)
{
    unsigned t;
    __asm__ volatile("rdtime %0" : "=r"(t));
    return t;
}

void timer_main(void)
{
    print("timer: sleeping 100 ms in wfi\n");
    unsigned start = rdtime();
    sbi_call(SBI_EXT_TIME, 0, start + DELAY, 0, 0);
    __asm__ volatile("csrs sie, %0" ::"r"(1u << 5)); /* STIE */
    __asm__ volatile("csrs sstatus, %0" ::"r"(1u << 1)); /* SIE */
    while (ticks == 0)
        __asm__ volatile("wfi");
    unsigned slept = rdtime() - start;
    print("timer: woke %s\n", slept >= DELAY ? "after 100 ms" : "too early");
    sbi_call(SBI_EXT_SRST, 0, SBI_SRST_SHUTDOWN, SBI_SRST_REASON_NONE, 0);
}
