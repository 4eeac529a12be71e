/*
 * workloads.c -- what the lab measures.  Each workload prints one line
 *   result: NAME key=value ...
 * that experiments parse.  Times are in ticks of the timebase (`time` CSR,
 * timebase-frequency from the DTB), measured with rdtime.
 *
 *   flood N K         console output: N bytes in writes of K bytes
 *   touch W seq|rand  demand paging: W pages faulted in, then touched again
 *   cpu [T]           integer work split over T threads on all harts
 *   bench             the same work, kernel by kernel, on one thread
 *   fault             (run=fault only) a bad load: shows the panic report
 *   memhog MB         take pages until MB MiB or out of memory (deflate on OOM)
 *
 * netflood and ping are in net.c.
 */
#include "labos.h"

/* ------------------------------------------------------------------ */
/* flood                                                               */
/* ------------------------------------------------------------------ */

/* 63 printable characters and a newline: every line of a flood is 64 bytes.
 * The text holds 65 lines, so a chunk of up to CHUNK_MAX bytes starting
 * anywhere in a line is one slice of it.  Read-only: floods running in
 * several threads at once share it. */
#define LINE64 "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!\n"
#define LINES4 LINE64 LINE64 LINE64 LINE64
#define LINES16 LINES4 LINES4 LINES4 LINES4
#define CHUNK_MAX 4096u
static const char flood_text[] = LINES16 LINES16 LINES16 LINES16 LINE64;

int workload_flood(u32 n, u32 k)
{
    if (k == 0 || k > CHUNK_MAX || n == 0) {
        kprintf("result: flood bytes=%u chunk=%u error=badarg\n", n, k);
        return -1;
    }
    u32 writes = 0;
    u64 start = rdtime();
    for (u32 off = 0; off < n; off += k) {
        u32 len = n - off < k ? n - off : k;
        console_write(flood_text + (off & 63), len);    /* one driver call per chunk */
        writes++;
    }
    u32 ticks = (u32)(rdtime() - start);
    if (n & 63)
        kputs("\n");                            /* end the last, partial line */
    kprintf("result: flood bytes=%u chunk=%u writes=%u console=%s ticks=%u\n", n, k, writes,
            console_kind == CONSOLE_UART     ? "uart"
            : console_kind == CONSOLE_VIRTIO ? "virtio"
                                             : "dbcn",
            ticks);
    return 0;
}

/* ------------------------------------------------------------------ */
/* touch                                                               */
/* ------------------------------------------------------------------ */

/* The i-th page to visit.  Random order: a linear congruential generator
 * modulo a power of two m >= w, with a = 1 (mod 4) and c odd, visits every
 * value below m exactly once; values >= w are skipped.  Same seed every run. */
struct order {
    int random;
    u32 w, m, x;
};

static void order_start(struct order *o, u32 w, int random)
{
    o->random = random;
    o->w = w;
    o->m = 4;
    while (o->m < w)
        o->m <<= 1;
    o->x = 12345 & (o->m - 1);
}

static u32 order_next(struct order *o, u32 i)
{
    if (!o->random)
        return i;
    do
        o->x = (1664525u * o->x + 1013904223u) & (o->m - 1);
    while (o->x >= o->w);
    return o->x;
}

static volatile u32 *page_addr(u32 p) { return (volatile u32 *)(LAZY_BASE + p * PAGE_SIZE); }

int workload_touch(u32 w, int random)
{
    const char *name = random ? "rand" : "seq";
    if (vm_lazy_open(w) != 0) {
        kprintf("result: touch pages=%u order=%s error=badarg\n", w, name);
        return -1;
    }
    struct order o;
    u32 touches = 0;
    int oom = 0;
    u64 start = rdtime();
    order_start(&o, w, random);                 /* pass 1: every first store faults */
    for (u32 i = 0; i < w && !oom; i++) {
        u32 p = order_next(&o, i);
        oom = touch_store(page_addr(p), p) != 0;
    }
    order_start(&o, w, random);                 /* pass 2: the pages are there now */
    for (u32 i = 0; i < w && !oom; i++) {
        u32 p = order_next(&o, i);
        touch_store(page_addr(p), p + 1);
        touches++;
    }
    u32 ticks = (u32)(rdtime() - start);
    u32 faults = vm_lazy_faults();
    vm_lazy_close();
    kprintf("result: touch pages=%u order=%s faults=%u touches=%u ticks=%u%s\n", w, name,
            faults, touches, ticks, oom ? " error=oom" : "");
    return oom ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* cpu and bench: three small integer kernels                          */
/* ------------------------------------------------------------------ */

#define UNITS 64                    /* work units; each runs all three kernels */

/* Primes below 8192..9152 (sieve of Eratosthenes, one bit per number). */
static __attribute__((noinline)) u32 k_sieve(u32 u)
{
    u32 bits[9216 / 32];
    u32 limit = 8192 + 64 * (u % 16), count = 0;
    memset(bits, 0, sizeof bits);
    for (u32 i = 2; i < limit; i++) {
        if (bits[i / 32] >> (i % 32) & 1)
            continue;
        count++;
        for (u32 j = i * i; j < limit; j += i)
            bits[j / 32] |= 1u << (j % 32);
    }
    return count;
}

/* CRC-32 (bit by bit) of 1 KiB of pseudo-random bytes. */
static __attribute__((noinline)) u32 k_crc(u32 u)
{
    u32 crc = 0xffffffffu, x = u * 2654435761u + 1;
    for (u32 i = 0; i < 1024; i++) {
        x = x * 1103515245u + 12345;
        crc ^= x >> 24;
        for (int b = 0; b < 8; b++)
            crc = crc >> 1 ^ (0xedb88320u & -(crc & 1));
    }
    return ~crc;
}

/* 16x16 integer matrix product; returns the sum of the result. */
static __attribute__((noinline)) u32 k_matmul(u32 u)
{
    u32 a[16][16], b[16][16], sum = 0;
    for (u32 i = 0; i < 16; i++)
        for (u32 j = 0; j < 16; j++) {
            a[i][j] = (i * 7 + j * 3 + u) & 31;
            b[i][j] = (i * 5 + j * 11 + u * 3) & 31;
        }
    for (u32 i = 0; i < 16; i++)
        for (u32 j = 0; j < 16; j++) {
            u32 s = 0;
            for (u32 k = 0; k < 16; k++)
                s += a[i][k] * b[k][j];
            sum += s * (i + 1) ^ j;
        }
    return sum;
}

/* Units are independent and the checksum is their sum, so it does not
 * depend on how the units are spread over threads or in which order. */
static u32 unit(u32 u) { return k_sieve(u) + k_crc(u) + k_matmul(u); }

static u32 score(u32 work, u32 ticks)
{
    return (u32)udiv64((u64)work * timebase_hz, ticks ? ticks : 1);   /* units per second */
}

struct job {
    u32 first, step, sum;
};

static void cpu_worker(void *arg)
{
    struct job *j = arg;
    for (u32 u = j->first; u < UNITS; u += j->step)
        j->sum += unit(u);
}

int workload_cpu(u32 nthreads)
{
    static struct job jobs[16];
    struct thread *t[16];
    if (nthreads < 1 || nthreads > 16) {
        kprintf("result: cpu threads=%u error=badarg\n", nthreads);
        return -1;
    }
    thread_reap();                              /* forget the last run's threads */
    u64 start = rdtime();
    u32 made = 0;
    for (u32 i = 0; i < nthreads; i++) {
        char name[12];
        format(name, sizeof name, "cpu%u", i);
        jobs[i] = (struct job){ i, nthreads, 0 };
        t[i] = thread_create(name, cpu_worker, &jobs[i]);
        if (!t[i])
            break;
        made++;
    }
    u32 checksum = 0;
    for (u32 i = 0; i < made; i++) {
        thread_join(t[i]);
        checksum += jobs[i].sum;
    }
    u32 ticks = (u32)(rdtime() - start);
    if (made < nthreads) {
        kprintf("result: cpu threads=%u error=nothreads\n", nthreads);
        return -1;
    }
    kprintf("result: cpu threads=%u work=%u checksum=0x%08x ticks=%u score=%u\n", nthreads,
            UNITS, checksum, ticks, score(UNITS, ticks));
    return 0;
}

int workload_bench(void)
{
    static const struct {
        const char *name;
        u32 (*fn)(u32);
    } kernels[] = { { "sieve", k_sieve }, { "crc32", k_crc }, { "matmul", k_matmul } };
    u32 checksum = 0, total = 0;
    for (u32 k = 0; k < ARRAY_SIZE(kernels); k++) {
        u64 start = rdtime();
        u32 sum = 0;
        for (u32 u = 0; u < UNITS; u++)
            sum += kernels[k].fn(u);
        u32 ticks = (u32)(rdtime() - start);
        checksum += sum;
        total += ticks;
        kprintf("bench: kernel=%s units=%u checksum=0x%08x ticks=%u score=%u\n",
                kernels[k].name, UNITS, sum, ticks, score(UNITS, ticks));
    }
    kprintf("result: bench threads=1 work=%u checksum=0x%08x ticks=%u score=%u\n", UNITS,
            checksum, total, score(UNITS, total));
    return 0;
}

/* ------------------------------------------------------------------ */
/* memhog                                                              */
/* ------------------------------------------------------------------ */

/* Allocate MB MiB page by page, touching each (its first word links the
 * list), until done or the allocator fails -- after the balloon, if it holds
 * pages, has given some back (deflate on OOM).  Then free everything. */
int workload_memhog(u32 mb)
{
    u32 want = mb * (1u << 20 >> 12), got = 0, deflated0 = balloon_oom_deflated();
    u32 *list = NULL;
    u64 start = rdtime();
    while (got < want) {
        u32 *p = page_alloc();
        if (!p)
            break;
        p[0] = (u32)list;                       /* the touch */
        list = p;
        got++;
    }
    u32 ticks = (u32)(rdtime() - start);
    u32 deflated = balloon_oom_deflated() - deflated0;
    while (list) {
        u32 *next = (u32 *)list[0];
        page_free(list);
        list = next;
    }
    kprintf("result: memhog asked=%u got=%u deflated=%u pages=%u ticks=%u\n", mb,
            got / (1u << 20 >> 12), deflated, got, ticks);
    return got == want ? 0 : -1;
}

/* A load from the touch window while nothing is mapped there. */
void workload_fault(void)
{
    kprintf("fault: loading from %08x, which nothing maps\n", LAZY_BASE);
    (void)*(volatile u32 *)LAZY_BASE;
}
