/*
 * spinlock.c -- test-and-test-and-set spinlocks for several harts.
 *
 * amoswap.w atomically writes 1 and returns the old value: 0 means we got the
 * lock.  While someone else holds it we only *read* it (the "test" before the
 * test-and-set), so waiting harts do not keep writing the same cache line.
 * .aq/.rl order the critical section's memory accesses inside the lock.
 *
 * A lock that an interrupt handler also takes must be held with interrupts
 * off, or the handler could spin forever on its own hart's lock: hence
 * spin_lock_irqsave().  Each lock counts how often it was taken and how often
 * a hart had to wait (`threads` shows them).
 */
#include "labos.h"

#define MAX_LOCKS 16
static struct spinlock *locks[MAX_LOCKS];
static int nlocks;

void spin_lock(struct spinlock *lk)
{
    u32 waited = 0;
    for (;;) {
        while (lk->locked)
            waited = 1;                         /* test ... */
        u32 old;
        asm volatile("amoswap.w.aq %0, %2, %1"  /* ... and set */
                     : "=r"(old), "+A"(lk->locked) : "r"(1) : "memory");
        if (old == 0)
            break;
        waited = 1;
    }
    lk->acquired++;                             /* we hold the lock: plain ++ is safe */
    lk->contended += waited;
}

void spin_unlock(struct spinlock *lk)
{
    asm volatile("amoswap.w.rl zero, zero, %0" : "+A"(lk->locked) :: "memory");
}

unsigned long spin_lock_irqsave(struct spinlock *lk)
{
    unsigned long flags = irq_save();
    spin_lock(lk);
    return flags;
}

void spin_unlock_irqrestore(struct spinlock *lk, unsigned long flags)
{
    spin_unlock(lk);
    irq_restore(flags);
}

/* Called at boot, one hart: no lock needed. */
void spin_register(struct spinlock *lk)
{
    if (nlocks < MAX_LOCKS)
        locks[nlocks++] = lk;
}

int spin_count(void) { return nlocks; }
struct spinlock *spin_get(int i) { return locks[i]; }
