/*
 * labos.h -- what labos's files share: types, CSR access, and the interface of
 * each subsystem (one block per .c file, in boot order).
 *
 * labos runs in S-mode with everything identity-mapped (virtual address =
 * physical address for RAM and devices), so a pointer into RAM is also the
 * physical address a hypercall wants.  The code still says so each time it
 * hands an address to the hypervisor: see virt_to_phys().
 */
#ifndef LABOS_H
#define LABOS_H

#include <stdarg.h>
#include "print.h"                  /* format(), vformat() from ../common */
#include "sbi.h"                    /* sbi_call() and the SBI numbers */

#define LABOS_VERSION "0.1"

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

#define NULL ((void *)0)
#define PAGE_SIZE 4096u
#define MAX_CPUS 8                  /* harts labos will run on */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* Memory the code fills before it reads it (buffers, rings it clears itself):
 * kept out of .bss, which start.S must zero, since zeroing is a good part of
 * what a boot executes. */
#define NOINIT __attribute__((section(".noinit")))

/* ------------------------------------------------------------------ */
/* CSRs and a few instructions                                         */
/* ------------------------------------------------------------------ */

#define csr_read(csr) \
    ({ unsigned long v_; asm volatile("csrr %0, " #csr : "=r"(v_)); v_; })
#define csr_write(csr, v) asm volatile("csrw " #csr ", %0" ::"r"((unsigned long)(v)) : "memory")
#define csr_set(csr, v) asm volatile("csrs " #csr ", %0" ::"r"((unsigned long)(v)) : "memory")
#define csr_clear(csr, v) asm volatile("csrc " #csr ", %0" ::"r"((unsigned long)(v)) : "memory")

#define CSR_STIMECMP  0x14d         /* Sstc (the assembler may not know the names) */
#define CSR_STIMECMPH 0x15d

#define SSTATUS_SIE   (1u << 1)     /* S-mode interrupts on */
#define IRQ_S_SOFT    1             /* interrupt numbers in scause and bits in sie/sip */
#define IRQ_S_TIMER   5
#define IRQ_S_EXT     9
#define SCAUSE_IRQ    0x80000000u

static inline u64 rdtime(void)
{
    u32 hi, lo, hi2;
    do {                            /* RV32: read the 64-bit counter in two halves */
        hi = csr_read(timeh);
        lo = csr_read(time);
        hi2 = csr_read(timeh);
    } while (hi != hi2);
    return (u64)hi << 32 | lo;
}

static inline void wfi(void) { asm volatile("wfi" ::: "memory"); }
static inline void sfence_vma(void) { asm volatile("sfence.vma" ::: "memory"); }
/* A full fence, device I/O included: orders ring writes before a doorbell. */
static inline void mb(void) { asm volatile("fence iorw, iorw" ::: "memory"); }
static inline void irq_enable(void) { csr_set(sstatus, SSTATUS_SIE); }
static inline void irq_disable(void) { csr_clear(sstatus, SSTATUS_SIE); }

/* Turn interrupts off and return whether they were on. */
static inline unsigned long irq_save(void)
{
    unsigned long old;
    asm volatile("csrrc %0, sstatus, %1" : "=r"(old) : "r"(SSTATUS_SIE) : "memory");
    return old & SSTATUS_SIE;
}
static inline void irq_restore(unsigned long was_on)
{
    if (was_on)
        irq_enable();
}

/* The identity map makes these no-ops; they mark where an address leaves the kernel. */
static inline unsigned long virt_to_phys(const void *p) { return (unsigned long)p; }

/* ------------------------------------------------------------------ */
/* lib.c: string and number helpers (no C library here)               */
/* ------------------------------------------------------------------ */

void *memset(void *dst, int c, unsigned long n);
void *memcpy(void *dst, const void *src, unsigned long n);
int memcmp(const void *a, const void *b, unsigned long n);
unsigned long strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, unsigned long n);
int parse_uint(const char *s, u32 *out);    /* decimal or 0x hex; 0 = ok, -1 = bad */
u64 udiv64(u64 n, u64 d);                   /* 64-bit divide (no libgcc) */
u32 ticks_to_ms(u64 ticks);                 /* timebase ticks -> ms (timebase from DTB) */

/* ------------------------------------------------------------------ */
/* spinlock.c                                                          */
/* ------------------------------------------------------------------ */

struct spinlock {
    volatile u32 locked;
    const char *name;
    u32 acquired;                   /* statistics, for `threads` */
    u32 contended;                  /* acquisitions that had to wait */
};
#define SPINLOCK(n) { 0, n, 0, 0 }

void spin_lock(struct spinlock *lk);        /* caller has interrupts off */
void spin_unlock(struct spinlock *lk);
unsigned long spin_lock_irqsave(struct spinlock *lk);
void spin_unlock_irqrestore(struct spinlock *lk, unsigned long flags);
void spin_register(struct spinlock *lk);    /* list it in `threads` */
int spin_count(void);
struct spinlock *spin_get(int i);

/* ------------------------------------------------------------------ */
/* bootargs.c                                                          */
/* ------------------------------------------------------------------ */

void bootargs_init(const char *cmdline);
const char *bootarg(const char *key);       /* value of KEY=VALUE, or NULL */
u32 bootarg_uint(const char *key, u32 def, u32 min, u32 max);
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warnings_flush(void);                  /* print warnings held back for the banner */

/* ------------------------------------------------------------------ */
/* console.c, uart.c, dbcn.c                                           */
/* ------------------------------------------------------------------ */

enum console_kind { CONSOLE_UART, CONSOLE_DBCN, CONSOLE_VIRTIO };
extern enum console_kind console_kind;

void console_init(enum console_kind kind);
void console_write(const char *buf, u32 len);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kputs(const char *s);
int console_getc(void);                     /* blocks the calling thread */
void console_rx(const char *buf, u32 n);    /* drivers: bytes arrived */
u32 console_rx_room(void);
int console_reader_waiting(void);
void console_panic_mode(void);              /* ignore the lock from now on */
void console_device_lost(void);             /* virtio console broke: use DBCN */
void console_flush(void);                   /* before power-off */

void uart_init(void);
void uart_write(const char *buf, u32 len);
void uart_start_input(void);
void uart_rx_resume(void);

void dbcn_write(const char *buf, u32 len);
void dbcn_poll(void);

/* ------------------------------------------------------------------ */
/* page.c: physical pages                                              */
/* ------------------------------------------------------------------ */

struct page_stats {
    u32 total, free, used, peak;    /* pages */
    u32 allocs, frees, failures;    /* calls */
};

void page_init(u32 start, u32 end, u32 resv_start, u32 resv_end);
void *page_alloc(void);                     /* one page, or NULL */
void *page_alloc_zeroed(void);
void *pages_alloc(u32 n);                   /* n contiguous pages, or NULL */
void *pages_alloc_noreclaim(u32 n);         /* the same, never asks the balloon */
/* Called when an allocation of n pages fails; returns pages it freed (then
 * the allocation is tried again).  The balloon's deflate-on-OOM. */
extern u32 (*page_oom_hook)(u32 n);
void page_free(void *p);
void pages_free(void *p, u32 n);
void page_get_stats(struct page_stats *s);

/* ------------------------------------------------------------------ */
/* vm.c: Sv32 paging                                                   */
/* ------------------------------------------------------------------ */

#define LAZY_BASE 0xC0000000u       /* the touch workload's window */
#define LAZY_MAX_PAGES 0x10000u     /* 256 MiB of window */

struct trapframe;
void vm_init(void);                         /* build the kernel map, turn paging on */
void vm_enable_this_hart(void);             /* secondaries: same page table */
void vm_sync_tlb(void);                     /* after migrating: flush if stale */
int vm_lazy_open(u32 pages);                /* window of `pages` pages, filled on fault */
u32 vm_lazy_close(void);                    /* unmap and free; returns pages freed */
u32 vm_lazy_faults(void);
u32 vm_total_faults(void);                  /* all demand faults since boot */
int vm_lazy_oom(void);
int vm_page_fault(struct trapframe *tf);    /* 1 if handled */

/* start.S: one store the page-fault handler may abort (see vm.c) */
int touch_store(volatile u32 *p, u32 v);    /* 0, or -1 if the page could not be had */

/* ------------------------------------------------------------------ */
/* trap.c                                                              */
/* ------------------------------------------------------------------ */

struct trapframe {
    u32 regs[32];                   /* x0..x31 (regs[2] = sp at the trap) */
    u32 sepc, sstatus, scause, stval;
};

void trap_init_this_hart(void);
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void shutdown(u32 status) __attribute__((noreturn));

/* ------------------------------------------------------------------ */
/* timer.c                                                             */
/* ------------------------------------------------------------------ */

enum timer_kind { TIMER_SBI, TIMER_SSTC };
extern enum timer_kind timer_kind;
extern u32 timebase_hz;
extern u32 tick_len;                        /* timebase ticks per 10 ms tick */
extern volatile u32 ticks_total;            /* timer interrupts, all harts */

void timer_init(enum timer_kind kind, u32 timebase);
void timer_arm_tick(void);                  /* this hart: tick due in 10 ms */
void timer_cancel(void);                    /* this hart: no timer (tickless) */
void timer_wake_at(u64 when);               /* this hart: a timer interrupt pending at `when` */
void timer_interrupt(void);
u64 uptime_ticks(void);

/* ------------------------------------------------------------------ */
/* plic.c                                                              */
/* ------------------------------------------------------------------ */

void plic_init(void);
void plic_enable(u32 irq, u32 cpu, void (*handler)(void *), void *arg);
void plic_interrupt(void);

/* ------------------------------------------------------------------ */
/* sched.c: kernel threads                                             */
/* ------------------------------------------------------------------ */

struct context {                    /* what switch_context saves: callee-saved regs */
    u32 ra, sp, s[12];
};

enum thread_state { T_UNUSED, T_READY, T_RUNNING, T_BLOCKED, T_SLEEPING, T_EXITING, T_DEAD };

struct thread {
    struct context ctx;
    u32 id;
    char name[12];
    enum thread_state state;
    int is_idle;
    int detached;                   /* thread_detach(): freed when it ends, not DEAD */
    void (*fn)(void *);
    void *arg;
    void *stack;                    /* THREAD_STACK_PAGES pages, NULL for idle threads */
    const void *chan;               /* what a BLOCKED thread waits for */
    u64 wake_at;                    /* when a SLEEPING thread wakes (timebase) */
    struct thread *next;            /* run queue link */
    /* statistics for `threads` */
    u32 last_hart;
    u32 harts;                      /* bit h: has run on hart h */
    u32 runs;                       /* times scheduled */
    u64 cpu_time;                   /* timebase ticks on a CPU */
};

struct cpu {
    u32 stack_top;                  /* first: start.S reads it at offset 0 */
    u32 index;                      /* 0..ncpus-1 */
    u32 hartid;
    volatile u32 online;
    struct thread *current;
    struct thread *idle;
    struct thread *exiting;         /* freed right after we switch away from it */
    int timer_armed;
    u32 tlb_gen;
    u32 switches;
    u32 ticks;
    u64 busy_time, idle_time, switch_time;
};

extern struct cpu cpus[MAX_CPUS];
extern u32 ncpus;                           /* harts described by the DTB */
extern volatile u32 cpus_online;

static inline struct cpu *this_cpu(void)
{
    struct cpu *c;
    asm volatile("mv %0, tp" : "=r"(c));    /* tp holds this hart's struct cpu */
    return c;
}
static inline struct thread *current(void) { return this_cpu()->current; }

void sched_init_cpu(struct cpu *c);         /* the boot context becomes the idle thread */
void sched_idle_loop(void) __attribute__((noreturn));
struct thread *thread_create(const char *name, void (*fn)(void *), void *arg);
void thread_exit(void) __attribute__((noreturn));
void thread_yield(void);
void thread_sleep_ms(u32 ms);
void thread_join(struct thread *t);
void thread_block(const void *chan, struct spinlock *lk);
void thread_wakeup(const void *chan);
void thread_detach(void);                   /* the caller: nobody will join it */
void thread_reap(void);                     /* forget DEAD threads */
void sched_tick(void);                      /* from the timer interrupt */
void sched_ipi(void);                       /* from the software interrupt */
int sched_hart_needs_tick(struct cpu *c);
int thread_slots(void);
struct thread *thread_get(int i);
const char *thread_state_name(struct thread *t);
void switch_context(struct context *old, struct context *new);  /* start.S */

/* ------------------------------------------------------------------ */
/* smp.c                                                               */
/* ------------------------------------------------------------------ */

void smp_start_secondaries(void);
void secondary_main(u32 hartid, struct cpu *c);
void smp_kick(u32 cpu_index);               /* IPI one hart */

/* ------------------------------------------------------------------ */
/* main.c, shell.c, workloads.c                                        */
/* ------------------------------------------------------------------ */

struct sbi_info {
    u32 spec, impl_id, impl_version;
    u32 ext_mask;                   /* bit i: sbi_ext_names[i] present */
};
extern struct sbi_info sbi_info;
extern const char *const sbi_ext_names[];
#define SBI_HAS(bit) (sbi_info.ext_mask & (1u << (bit)))
enum { SBIX_BASE, SBIX_TIME, SBIX_IPI, SBIX_RFENCE, SBIX_HSM, SBIX_SRST, SBIX_DBCN,
       SBIX_STA, SBIX_PMU, SBIX_SUSP, SBIX_LEGACY, SBIX_COUNT };

void shell_main(void *arg);

int workload_flood(u32 n, u32 k);
int workload_touch(u32 pages, int random);
int workload_cpu(u32 threads);
int workload_bench(void);
void workload_fault(void);
int workload_memhog(u32 mb);

/* net.c: the network commands (drivers: vnet.c, nic.c; see net.h) */
void cmd_net(int argc, char **argv);
void cmd_ping(int argc, char **argv);
void cmd_netflood(int argc, char **argv);
int hv_exit_counter(u32 *value);            /* hvlab's vendor SBI: 0 = ok, -1 = n/a */

/* balloon.c */
void cmd_balloon(int argc, char **argv);
u32 balloon_oom_deflated(void);             /* pages given back on OOM so far */

#endif
