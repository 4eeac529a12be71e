/*
 * balloon.c -- the virtio-balloon driver (device id 5): the host asks for
 * memory back by raising the config field num_pages (the target balloon
 * size, in 4 KiB pages); the guest gives pages, and tells it how many it
 * holds in the config field actual.
 *
 * Queues: 0 inflate, 1 deflate, 2 stats.  Features: STATS_VQ and
 * DEFLATE_ON_OOM (and RING_EVENT_IDX unless event_idx=0).
 *
 * The balloon thread follows the target:
 *   inflate  take up to 256 free pages from the page allocator, send their
 *            PFNs (physical address >> 12, le32 each) in one chain on the
 *            inflate queue, wait until the device gives the chain back
 *            (hvlab and QEMU do that during the kick), then write actual.
 *            The pages are the host's now: labos never touches them.
 *   deflate  send up to 256 PFNs on the deflate queue, then free the pages
 *            (telling the host first), then write actual.
 * It sleeps until a config-change interrupt (a new target) or the device
 * giving back the stats buffer wakes it.  If the allocator runs dry while
 * inflating, it stops short and waits for the next target.
 *
 * Stats: one buffer of {le16 tag, le64 value} entries: MEMFREE, MEMTOT,
 * AVAIL (bytes, from the page allocator), MAJFLT (0: labos has no backing
 * store) and MINFLT (demand faults of the touch window).  It is posted
 * after DRIVER_OK; the device keeps it and gives it back when it wants
 * fresh numbers, and the thread refills and posts it again.
 *
 * Deflate on OOM: when the page allocator fails and the balloon holds pages,
 * the allocator calls balloon_oom(), which deflates 256 pages (telling the
 * host first) so the allocation can be retried.  After that the thread does
 * not inflate again until the host sets a new target (else it would take
 * the pages straight back from whoever needed them).
 *
 * The PFNs the balloon holds are kept in chunk pages of 1024 (a stack):
 * never in the ballooned pages themselves, which labos must not touch.
 */
#include "virtio.h"

#define F_STATS_VQ       1
#define F_DEFLATE_ON_OOM 2
#define PFNS 256                    /* per chain */
#define CHUNK 1024                  /* PFNs per chunk page */
#define MAX_CHUNKS 128              /* 128 Ki pages = 512 MiB */
#define NSTATS 5
#define EV_CONFIG 1
#define EV_USED   2
#define SPIN_MAX  50000000u

static struct virtio_dev *dev;
static struct virtq infq, defq, statq;
static u32 *inf_pfns, *def_pfns;
static u8 *stats_buf;
static struct spinlock lock = SPINLOCK("balloon");     /* queues and the held pages */
static struct spinlock ev_lock = SPINLOCK("balloon-ev");
static volatile u32 events;
static u32 *chunks[MAX_CHUNKS];
static u32 held;                    /* pages in the balloon */
static u32 inflations, deflations, oom_deflated, stats_sent;
static int oom_hold, stalled;
static const u16 stat_tags[NSTATS] = { 4, 5, 6, 2, 3 };   /* MEMFREE MEMTOT AVAIL MAJFLT MINFLT */
static const char *const stat_names[NSTATS] = { "memfree", "memtot", "avail", "majflt",
                                                "minflt" };
static u64 last_stats[NSTATS];

/* --- the held pages (lock held) ---------------------------------------- */

static int held_push(u32 pfn)
{
    u32 c = held / CHUNK;
    if (c >= MAX_CHUNKS)
        return -1;
    if (held % CHUNK == 0 && !chunks[c]) {
        chunks[c] = pages_alloc_noreclaim(1);   /* never the OOM path from here */
        if (!chunks[c])
            return -1;
    }
    chunks[c][held % CHUNK] = pfn;
    held++;
    return 0;
}

static u32 held_pop(void)
{
    held--;
    u32 c = held / CHUNK, pfn = chunks[c][held % CHUNK];
    if (held % CHUNK == 0) {
        page_free(chunks[c]);
        chunks[c] = NULL;
    }
    return pfn;
}

/* --- the queues (lock held) ------------------------------------------- */

/* One chain of PFNs; wait until the device gives it back.  hvlab and QEMU
 * do that during the kick.  If the device said it needs no kick (EVENT_IDX:
 * avail_event) and the chain is not back soon, kick anyway: we hold the
 * balloon lock while we wait, and a device that does not move avail_event
 * would otherwise never look. */
static int send_pfns(struct virtq *q, u32 *pfns, u32 n)
{
    int i = virtq_desc_alloc(q);
    if (i < 0)
        return -1;
    virtq_desc_set(q, i, pfns, n * 4, 0, 0);
    virtq_submit(q, i);
    int kicked = virtq_publish(q);
    for (u32 spin = 1; virtq_get(q, NULL, 0) < 0; spin++) {
        if (spin == 1000 && !kicked) {
            virtq_kick(q);
            kicked = 1;
        }
        if ((spin & 0xfffff) == 0 && virtio_check(dev) < 0)
            return -1;
        if (spin == SPIN_MAX) {
            virtio_fail(dev, "the balloon did not give a PFN chain back");
            return -1;
        }
    }
    return 0;
}

static void write_actual(void) { virtio_cfg_write32(dev, 4, held); }

static u32 inflate_step(u32 n)
{
    u32 got = 0;
    while (got < n) {
        void *p = pages_alloc_noreclaim(1);
        if (!p)
            break;
        u32 pfn = virt_to_phys(p) >> 12;
        if (held_push(pfn) != 0) {
            page_free(p);
            break;
        }
        inf_pfns[got++] = pfn;
    }
    if (got == 0)
        return 0;
    if (send_pfns(&infq, inf_pfns, got) != 0) {
        while (got--)                           /* the device is gone: keep the pages */
            page_free((void *)(held_pop() << 12));
        return 0;
    }
    inflations++;
    write_actual();
    return got;
}

static u32 deflate_step(u32 n)
{
    for (u32 k = 0; k < n; k++)
        def_pfns[k] = held_pop();
    if (send_pfns(&defq, def_pfns, n) != 0) {
        /* The device is broken: it will not use the pages, take them back anyway. */
    }
    for (u32 k = 0; k < n; k++)
        page_free((void *)(def_pfns[k] << 12));
    deflations++;
    if (!dev->broken)
        write_actual();
    return n;
}

/* The page allocator failed: give back up to 256 pages (max n) if we may. */
static u32 balloon_oom(u32 n)
{
    if (!dev || dev->broken || !virtio_has(dev, F_DEFLATE_ON_OOM))
        return 0;
    unsigned long flags = spin_lock_irqsave(&lock);
    u32 k = n > PFNS ? n : PFNS;
    if (k > held)
        k = held;
    u32 done = 0;
    while (done < k) {
        u32 step = k - done < PFNS ? k - done : PFNS;
        done += deflate_step(step);
    }
    oom_deflated += done;
    if (done)
        oom_hold = 1;
    spin_unlock_irqrestore(&lock, flags);
    return done;
}

u32 balloon_oom_deflated(void) { return oom_deflated; }

/* --- stats ------------------------------------------------------------ */

static void put_le(u8 *p, u64 v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (u8)(v >> (8 * i));
}

/* lock held: fill the buffer and post it. */
static void stats_post(void)
{
    struct page_stats s;
    page_get_stats(&s);
    last_stats[0] = (u64)s.free * PAGE_SIZE;
    last_stats[1] = (u64)s.total * PAGE_SIZE;
    last_stats[2] = (u64)s.free * PAGE_SIZE;
    last_stats[3] = 0;
    last_stats[4] = vm_total_faults();
    for (int i = 0; i < NSTATS; i++) {
        put_le(stats_buf + 10 * i, stat_tags[i], 2);
        put_le(stats_buf + 10 * i + 2, last_stats[i], 8);
    }
    int d = virtq_desc_alloc(&statq);
    if (d < 0)
        return;
    virtq_desc_set(&statq, d, stats_buf, 10 * NSTATS, 0, 0);
    virtq_submit(&statq, d);
    if (!virtq_publish(&statq))
        virtq_kick(&statq);                     /* the device must see it: once per request */
    stats_sent++;
}

/* --- the thread --------------------------------------------------------- */

static void balloon_irq(struct virtio_dev *d, u32 isr)
{
    (void)d;
    spin_lock(&ev_lock);
    if (isr & VIRTIO_INT_CONFIG)
        events |= EV_CONFIG;
    if (isr & VIRTIO_INT_USED)
        events |= EV_USED;
    thread_wakeup((const void *)&events);
    spin_unlock(&ev_lock);
}

static void follow_target(void)
{
    for (;;) {
        unsigned long flags = spin_lock_irqsave(&lock);
        u32 target = virtio_cfg32(dev, 0), done = 1;
        if (held < target && !oom_hold) {
            u32 n = target - held < PFNS ? target - held : PFNS;
            done = inflate_step(n);
            stalled = done == 0;
        } else if (held > target) {
            u32 n = held - target < PFNS ? held - target : PFNS;
            done = deflate_step(n);
        } else {
            done = 0;
        }
        spin_unlock_irqrestore(&lock, flags);
        if (!done || dev->broken)
            return;
        thread_yield();                         /* let others run between steps */
    }
}

static void balloon_main(void *arg)
{
    (void)arg;
    for (;;) {
        unsigned long flags = spin_lock_irqsave(&ev_lock);
        while (!events)
            thread_block((const void *)&events, &ev_lock);
        u32 ev = events;
        events = 0;
        spin_unlock_irqrestore(&ev_lock, flags);
        if (dev->broken)
            break;
        if (ev & EV_USED) {
            flags = spin_lock_irqsave(&lock);
            if (virtio_has(dev, F_STATS_VQ) && virtq_get(&statq, NULL, 0) >= 0) {
                stats_post();                   /* the device asked for fresh stats */
                virtq_irq_on(&statq, 0);        /* (EVENT_IDX: tell me about the next one) */
            }
            spin_unlock_irqrestore(&lock, flags);
        }
        if (ev & EV_CONFIG) {
            oom_hold = 0;                       /* a new target: follow it again */
            follow_target();
        }
    }
}

void balloon_init(void)
{
    struct virtio_dev *d = virtio_find(VIRTIO_ID_BALLOON);
    if (!d)
        return;
    if (virtio_start(d, "balloon", 1u << F_STATS_VQ | 1u << F_DEFLATE_ON_OOM) != 0)
        return;
    u8 *page = page_alloc_zeroed(), *rings = pages_alloc(3);
    if (!page || !rings) {
        virtio_fail(d, "out of memory");
        return;
    }
    inf_pfns = (u32 *)page;
    def_pfns = (u32 *)(page + 1024);
    stats_buf = page + 2048;
    if (virtq_setup(d, &infq, 0, 8, rings, PAGE_SIZE) != 0 ||
        virtq_setup(d, &defq, 1, 8, rings + PAGE_SIZE, PAGE_SIZE) != 0 ||
        (virtio_has(d, F_STATS_VQ) &&
         virtq_setup(d, &statq, 2, 8, rings + 2 * PAGE_SIZE, PAGE_SIZE) != 0))
        return;
    virtq_irq_off(&infq);                       /* we wait for these by polling */
    virtq_irq_off(&defq);
    if (virtio_has(d, F_STATS_VQ))
        virtq_irq_on(&statq, 0);
    dev = d;
    spin_register(&lock);
    virtio_enable_irq(d, balloon_irq);
    virtio_driver_ok(d);
    if (d->broken)
        return;
    if (virtio_has(d, F_STATS_VQ))
        stats_post();
    page_oom_hook = balloon_oom;
    events = EV_CONFIG;                         /* look at the target once at start */
}

void balloon_start_thread(void)
{
    if (dev && !dev->broken && !thread_create("balloon", balloon_main, NULL))
        warn("warning: balloon: cannot create its thread\n");
}

void cmd_balloon(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    if (!dev) {
        kputs("balloon: no virtio-balloon\n");
        return;
    }
    u32 target = dev->broken ? 0 : virtio_cfg32(dev, 0);
    u32 actual = dev->broken ? 0 : virtio_cfg32(dev, 4);
    kprintf("balloon: %s (irq %u): target %u pages (%u MiB), actual %u pages (%u MiB), "
            "held %u pages%s%s\n", dev->name, dev->irq, target, target >> 8, actual, actual >> 8,
            held, stalled ? ", stalled (no free pages)" : "",
            dev->broken ? ", BROKEN" : oom_hold ? ", holding off after OOM" : "");
    kprintf("balloon: inflations %u, deflations %u, deflated on OOM %u pages, "
            "features%s%s\n", inflations, deflations, oom_deflated,
            virtio_has(dev, F_STATS_VQ) ? " stats_vq" : "",
            virtio_has(dev, F_DEFLATE_ON_OOM) ? " deflate_on_oom" : "");
    if (!stats_sent) {
        kputs("balloon: no stats sent\n");
        return;
    }
    kprintf("balloon: stats sent %u times, last:", stats_sent);
    for (int i = 0; i < NSTATS; i++)
        kprintf(" %s=%u", stat_names[i], (u32)last_stats[i]);
    kputs("\n");
}
