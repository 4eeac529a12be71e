/*
 * page.c -- the physical page allocator: which 4 KiB pages of RAM are free.
 *
 * It manages RAM from the end of the kernel image to the end of RAM (the
 * firmware and the kernel live below; the DTB blob near the top is reserved).
 * One bit per page, 1 = in use, kept in the first pages of that range.
 * Allocation is first fit from the lowest page that might be free, so the
 * same sequence of calls always returns the same pages, whatever the timing.
 *
 * Statistics (`mem`): total pages managed, free, used, the peak of used,
 * and how many alloc/free calls there were and how many allocs failed.
 */
#include "labos.h"

static struct spinlock lock = SPINLOCK("pages");
static u32 *bitmap;
static u32 first_pfn, npages;       /* page frame numbers [first_pfn, first_pfn + npages) */
static u32 search_from;             /* no free page below this index */
static struct page_stats st;

static int used(u32 i) { return bitmap[i / 32] >> (i % 32) & 1; }
static void mark(u32 i, int v)
{
    if (v)
        bitmap[i / 32] |= 1u << (i % 32);
    else
        bitmap[i / 32] &= ~(1u << (i % 32));
}

/* [start, end): RAM we may use; [resv_start, resv_end): keep out (the DTB).
 * All four are page aligned. */
void page_init(u32 start, u32 end, u32 resv_start, u32 resv_end)
{
    spin_register(&lock);
    first_pfn = start / PAGE_SIZE;
    npages = (end - start) / PAGE_SIZE;
    /* The bitmap itself takes the first pages of the range. */
    u32 map_pages = (npages / 8 + PAGE_SIZE - 1) / PAGE_SIZE;
    bitmap = (u32 *)start;
    memset(bitmap, 0, map_pages * PAGE_SIZE);
    u32 reserved = 0;
    for (u32 i = 0; i < map_pages; i++, reserved++)
        mark(i, 1);
    for (u32 pa = resv_start; pa < resv_end; pa += PAGE_SIZE)
        if (pa >= start && pa < end && !used(pa / PAGE_SIZE - first_pfn)) {
            mark(pa / PAGE_SIZE - first_pfn, 1);
            reserved++;
        }
    st.total = npages - reserved;
    st.free = st.total;
    search_from = map_pages;
}

u32 (*page_oom_hook)(u32 n);

void *pages_alloc_noreclaim(u32 n)
{
    unsigned long flags = spin_lock_irqsave(&lock);
    void *p = NULL;
    u32 run = 0;
    for (u32 i = search_from; i < npages; i++) {
        if (run == 0 && (i % 32) == 0 && bitmap[i / 32] == 0xffffffffu) {
            i += 31;                            /* a full word: skip 32 pages at once */
            continue;
        }
        run = used(i) ? 0 : run + 1;
        if (run == n) {
            u32 first = i + 1 - n;
            for (u32 j = first; j <= i; j++)
                mark(j, 1);
            if (n == 1 && first == search_from)
                search_from = first + 1;
            p = (void *)((first_pfn + first) * PAGE_SIZE);
            break;
        }
    }
    if (p) {
        st.allocs++;
        st.free -= n;
        st.used += n;
        if (st.used > st.peak)
            st.peak = st.used;
    } else {
        st.failures++;
    }
    spin_unlock_irqrestore(&lock, flags);
    return p;
}

/* Out of memory: if the balloon holds pages it gives some back (deflate on
 * OOM, balloon.c), and we try again. */
void *pages_alloc(u32 n)
{
    void *p = pages_alloc_noreclaim(n);
    while (!p && page_oom_hook && page_oom_hook(n) > 0)
        p = pages_alloc_noreclaim(n);
    return p;
}

void *page_alloc(void) { return pages_alloc(1); }

void *page_alloc_zeroed(void)
{
    void *p = page_alloc();
    if (p)
        memset(p, 0, PAGE_SIZE);
    return p;
}

void pages_free(void *p, u32 n)
{
    u32 i = (u32)p / PAGE_SIZE - first_pfn;
    unsigned long flags = spin_lock_irqsave(&lock);
    for (u32 j = i; j < i + n; j++) {
        if (j >= npages || !used(j))
            panic("page_free: %x is not an allocated page", (first_pfn + j) * PAGE_SIZE);
        mark(j, 0);
    }
    if (i < search_from)
        search_from = i;
    st.frees++;
    st.free += n;
    st.used -= n;
    spin_unlock_irqrestore(&lock, flags);
}

void page_free(void *p) { pages_free(p, 1); }

void page_get_stats(struct page_stats *s)
{
    unsigned long flags = spin_lock_irqsave(&lock);
    *s = st;
    spin_unlock_irqrestore(&lock, flags);
}
