/*
 * sched.c -- kernel threads and a preemptive round-robin scheduler.
 *
 * One global run queue (FIFO) under one spinlock serves every hart.  A hart
 * runs the thread at the head; the timer tick puts the running thread at the
 * tail if anyone is waiting (a quantum of one 10 ms tick).  Each hart also
 * has an idle thread (its boot stack) that runs when the queue is empty and
 * sleeps in WFI.
 *
 * Switching: pick_and_switch() is called with the run-queue lock held and
 * interrupts off.  switch_context() (start.S) saves the callee-saved
 * registers of the old thread and loads the new one's; the lock is released
 * by the *new* thread, after the switch.  That way no other hart can pick
 * the old thread off the queue before its registers are saved.
 *
 * Waking an idle hart: when a thread becomes runnable and some other hart is
 * idle, we send that hart an IPI (SBI IPI) so it starts the thread now and
 * not at its next tick (an idle hart has no tick at all: tickless idle).
 */
#include "labos.h"

#define MAX_THREADS 32
#define STACK_PAGES 2
#define STACK_MAGIC 0x57ac4a11u     /* at the bottom of each stack: overflow check */

static struct thread threads[MAX_THREADS];
static struct spinlock rq_lock = SPINLOCK("runqueue");
static struct thread *rq_head, *rq_tail;
static u32 next_id;
static volatile u32 idle_mask;      /* bit k: cpu k is idle in WFI */
static volatile u32 sleepers;       /* threads in thread_sleep_ms() */

static void rq_push(struct thread *t)
{
    t->state = T_READY;
    t->next = NULL;
    if (rq_tail)
        rq_tail->next = t;
    else
        rq_head = t;
    rq_tail = t;
}

static struct thread *rq_pop(void)
{
    struct thread *t = rq_head;
    if (t) {
        rq_head = t->next;
        if (!rq_head)
            rq_tail = NULL;
    }
    return t;
}

/* Queue t (rq_lock held) and wake an idle hart for it.  If this hart is
 * itself idle (we are in an interrupt on its idle thread) it will take t
 * as soon as the interrupt returns, so nobody else needs waking. */
static void make_ready(struct thread *t)
{
    struct cpu *c = this_cpu();
    rq_push(t);
    if (c->current->is_idle)
        return;
    u32 others = idle_mask & ~(1u << c->index);
    for (u32 k = 0; k < ncpus; k++)
        if (others & (1u << k)) {
            __atomic_and_fetch(&idle_mask, ~(1u << k), __ATOMIC_SEQ_CST);
            smp_kick(k);
            return;
        }
}

static void wake_locked(const void *chan)
{
    for (int i = 0; i < MAX_THREADS; i++)
        if (threads[i].state == T_BLOCKED && threads[i].chan == chan) {
            threads[i].chan = NULL;
            make_ready(&threads[i]);
        }
}

/* Runs on the new thread right after every switch, rq_lock still held. */
static void finish_switch(void)
{
    struct cpu *c = this_cpu();
    struct thread *dead = c->exiting;
    if (dead) {                                 /* now we are off its stack: free it */
        c->exiting = NULL;
        pages_free(dead->stack, STACK_PAGES);
        dead->stack = NULL;
        if (dead->detached) {
            dead->state = T_UNUSED;             /* nobody joins it: forget it now */
        } else {
            dead->state = T_DEAD;
            wake_locked(dead);                  /* thread_join() waits on the thread */
        }
    }
}

/* Charge the time since the last switch to the thread that had the CPU. */
static void account(struct cpu *c, struct thread *prev)
{
    u64 now = rdtime(), d = now - c->switch_time;
    c->switch_time = now;
    prev->cpu_time += d;
    if (prev->is_idle)
        c->idle_time += d;
    else
        c->busy_time += d;
}

/* rq_lock held, interrupts off.  The caller has set current's state (READY
 * and queued, BLOCKED, SLEEPING, EXITING) or left it RUNNING. */
static void pick_and_switch(void)
{
    struct cpu *c = this_cpu();
    struct thread *prev = c->current;
    struct thread *next = rq_pop();
    if (!next) {
        if (prev->state == T_RUNNING)
            return;
        next = c->idle;
    }
    if (next == prev) {
        prev->state = T_RUNNING;
        return;
    }
    if (prev->stack && *(u32 *)prev->stack != STACK_MAGIC)
        panic("stack overflow in thread %s", prev->name);
    account(c, prev);
    if (prev->is_idle)
        prev->state = T_READY;
    if (prev->state == T_EXITING)
        c->exiting = prev;
    next->state = T_RUNNING;
    next->last_hart = c->hartid;
    next->harts |= 1u << c->hartid;
    next->runs++;
    c->current = next;
    c->switches++;
    if (!next->is_idle) {
        __atomic_and_fetch(&idle_mask, ~(1u << c->index), __ATOMIC_SEQ_CST);
        if (!c->timer_armed)
            timer_arm_tick();                   /* a busy hart needs its tick to preempt */
        vm_sync_tlb();
    }
    switch_context(&prev->ctx, &next->ctx);
    finish_switch();                            /* we are `prev` again, maybe on another hart */
}

/* A new thread starts here (switch_context "returns" to it). */
static void thread_start(void)
{
    finish_switch();
    spin_unlock(&rq_lock);
    irq_enable();
    struct thread *t = current();
    t->fn(t->arg);
    thread_exit();
}

static struct thread *new_slot(const char *name)
{
    for (int i = 0; i < MAX_THREADS; i++)
        if (threads[i].state == T_UNUSED) {
            struct thread *t = &threads[i];
            memset(t, 0, sizeof *t);
            t->id = next_id++;
            for (u32 n = 0; n < sizeof t->name - 1 && name[n]; n++)
                t->name[n] = name[n];
            return t;
        }
    return NULL;
}

/* Boot: one idle thread per hart, made by hart 0 so the ids do not depend
 * on the order in which harts come up.  The boot stack becomes its stack. */
void sched_init_cpu(struct cpu *c)
{
    if (c->index == 0)
        spin_register(&rq_lock);
    char name[12];
    format(name, sizeof name, "idle%u", c->index);
    struct thread *t = new_slot(name);
    t->is_idle = 1;
    t->state = T_RUNNING;
    t->last_hart = c->hartid;
    t->harts = 1u << c->hartid;
    t->runs = 1;
    c->idle = c->current = t;
    c->switch_time = rdtime();
}

struct thread *thread_create(const char *name, void (*fn)(void *), void *arg)
{
    void *stack = pages_alloc(STACK_PAGES);
    if (!stack)
        return NULL;
    unsigned long flags = spin_lock_irqsave(&rq_lock);
    struct thread *t = new_slot(name);
    if (t) {
        t->fn = fn;
        t->arg = arg;
        t->stack = stack;
        *(u32 *)stack = STACK_MAGIC;
        t->ctx.ra = (u32)thread_start;
        t->ctx.sp = (u32)stack + STACK_PAGES * PAGE_SIZE;
        make_ready(t);
    }
    spin_unlock_irqrestore(&rq_lock, flags);
    if (!t)
        pages_free(stack, STACK_PAGES);
    return t;
}

void thread_exit(void)
{
    irq_disable();
    spin_lock(&rq_lock);
    current()->state = T_EXITING;               /* finish_switch() frees the stack */
    pick_and_switch();
    panic("a finished thread ran again");
}

void thread_yield(void)
{
    unsigned long flags = spin_lock_irqsave(&rq_lock);
    rq_push(current());
    pick_and_switch();
    spin_unlock_irqrestore(&rq_lock, flags);
}

/* Wait for thread_wakeup(chan).  The caller holds `lk` with interrupts off
 * and has checked its condition under it; taking rq_lock before dropping lk
 * means a wakeup cannot slip in between (no lost wakeups). */
void thread_block(const void *chan, struct spinlock *lk)
{
    struct thread *t = current();
    spin_lock(&rq_lock);
    spin_unlock(lk);
    t->chan = chan;
    t->state = T_BLOCKED;
    pick_and_switch();
    spin_unlock(&rq_lock);
    spin_lock(lk);
}

void thread_wakeup(const void *chan)
{
    unsigned long flags = spin_lock_irqsave(&rq_lock);
    wake_locked(chan);
    spin_unlock_irqrestore(&rq_lock, flags);
}

void thread_join(struct thread *t)
{
    unsigned long flags = spin_lock_irqsave(&rq_lock);
    while (t->state != T_DEAD) {
        current()->chan = t;
        current()->state = T_BLOCKED;
        pick_and_switch();
    }
    spin_unlock_irqrestore(&rq_lock, flags);
}

void thread_sleep_ms(u32 ms)
{
    u64 wake = rdtime() + udiv64((u64)ms * timebase_hz, 1000);
    unsigned long flags = spin_lock_irqsave(&rq_lock);
    struct thread *t = current();
    t->wake_at = wake;
    t->state = T_SLEEPING;
    sleepers++;
    pick_and_switch();
    spin_unlock_irqrestore(&rq_lock, flags);
}

/* Nobody will join the calling thread (a shell job): its slot is freed as
 * soon as it ends, instead of being kept for `threads` until thread_reap(). */
void thread_detach(void) { current()->detached = 1; }

/* Forget finished threads (they are kept until then for `threads`). */
void thread_reap(void)
{
    unsigned long flags = spin_lock_irqsave(&rq_lock);
    for (int i = 0; i < MAX_THREADS; i++)
        if (threads[i].state == T_DEAD)
            threads[i].state = T_UNUSED;
    spin_unlock_irqrestore(&rq_lock, flags);
}

/* Timer interrupt: wake sleepers that are due, then round robin. */
void sched_tick(void)
{
    struct cpu *c = this_cpu();
    spin_lock(&rq_lock);
    if (sleepers) {
        u64 now = rdtime();
        for (int i = 0; i < MAX_THREADS; i++)
            if (threads[i].state == T_SLEEPING && threads[i].wake_at <= now) {
                sleepers--;
                make_ready(&threads[i]);
            }
    }
    if (rq_head) {
        if (!c->current->is_idle)
            rq_push(c->current);                /* quantum used up: back of the queue */
        pick_and_switch();
    }
    spin_unlock(&rq_lock);
}

/* Software interrupt: another hart queued a thread for us. */
void sched_ipi(void)
{
    spin_lock(&rq_lock);
    if (rq_head && current()->is_idle)
        pick_and_switch();
    spin_unlock(&rq_lock);
}

/* Does an idle hart still need its timer?  For sleeping threads, and on hart
 * 0 with console=dbcn, whose tick polls for input. */
int sched_hart_needs_tick(struct cpu *c)
{
    return sleepers > 0 || (c->index == 0 && console_kind == CONSOLE_DBCN);
}

void sched_idle_loop(void)
{
    struct cpu *c = this_cpu();
    for (;;) {
        irq_disable();
        spin_lock(&rq_lock);
        if (rq_head) {
            pick_and_switch();
            spin_unlock(&rq_lock);
            irq_enable();
            continue;
        }
        __atomic_or_fetch(&idle_mask, 1u << c->index, __ATOMIC_SEQ_CST);
        spin_unlock(&rq_lock);
        if (sched_hart_needs_tick(c)) {
            if (!c->timer_armed)
                timer_arm_tick();
        } else if (c->timer_armed) {
            timer_cancel();                     /* tickless: sleep until an interrupt */
        }
        /* With interrupts off, WFI still wakes when one is pending; we take it
         * when we turn them on.  An IPI sent after we set our idle bit is
         * therefore never lost. */
        wfi();
        __atomic_and_fetch(&idle_mask, ~(1u << c->index), __ATOMIC_SEQ_CST);
        irq_enable();
    }
}

int thread_slots(void) { return MAX_THREADS; }
struct thread *thread_get(int i) { return &threads[i]; }

const char *thread_state_name(struct thread *t)
{
    static const char *const names[] = { "unused", "ready", "running", "blocked",
                                         "sleeping", "exiting", "dead" };
    if (t->is_idle && t->state != T_RUNNING)
        return "idle";
    return names[t->state];
}
