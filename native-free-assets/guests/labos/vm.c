/*
 * vm.c -- Sv32 virtual memory.
 *
 * Sv32 translates a 32-bit virtual address with a two-level table:
 *   VPN[1] = va[31:22] indexes the root table (1024 PTEs, one 4 KiB page);
 *   a leaf there maps a 4 MiB "megapage", otherwise it points to a second-level
 *   table whose VPN[0] = va[21:12] entry maps one 4 KiB page.
 * A PTE is PPN << 10 | flags (V valid, R W X permissions, A accessed, D dirty).
 *
 * The kernel map is an identity map built from the DTB: RAM and every device
 * region, with megapages, so it costs one page (the root table) and is the
 * same on every hart.
 *
 * The touch workload gets a window at LAZY_BASE that starts empty: the first
 * access to each page faults, and vm_page_fault() allocates a zeroed page and
 * maps it with a 4 KiB PTE (demand paging, as a kernel does for user memory).
 *
 * TLBs: after changing a PTE this hart runs sfence.vma.  Other harts may still
 * cache old translations of the window, but only the thread using the window
 * ever reads it, so instead of interrupting them (a TLB shootdown) we count
 * unmaps in vm_gen and a hart flushes when it next switches to a thread while
 * its own count is behind (vm_sync_tlb(), from the scheduler).
 */
#include "dtb.h"

#define PTE_V 0x01
#define PTE_R 0x02
#define PTE_W 0x04
#define PTE_X 0x08
#define PTE_G 0x20
#define PTE_A 0x40
#define PTE_D 0x80
#define MEGA (4u << 20)
#define SATP_SV32 0x80000000u

static u32 *root;
static u32 kernel_satp;
static volatile u32 vm_gen;

static u32 pte_to_pa(u32 pte) { return (pte >> 10) << 12; }
static u32 pa_to_pte(u32 pa, u32 flags) { return (pa >> 12) << 10 | flags; }

/* Identity-map [base, base + size) with megapages.  A and D are set up front:
 * the hardware then never needs to update them. */
static void map_identity(u32 base, u32 size, u32 flags)
{
    if (size == 0)
        return;
    u32 last = base + (size - 1);
    if (last < base)
        last = 0xffffffffu;                     /* up to the top of the address space */
    for (u32 i = base / MEGA; i <= last / MEGA; i++)
        if (!(root[i] & PTE_V))
            root[i] = pa_to_pte(i * MEGA, flags | PTE_V | PTE_A | PTE_D | PTE_G);
}

void vm_init(void)
{
    root = page_alloc_zeroed();
    if (!root)
        panic("vm: no page for the root page table");
    map_identity(plat.ram_base, plat.ram_size, PTE_R | PTE_W | PTE_X);
    for (int n = 0; n < dtb_node_count(); n++) {
        u32 base, size;
        if (!dtb_is_device(n))
            continue;
        for (int r = 0; dtb_reg(n, r, &base, &size) == 0; r++)
            if (base < LAZY_BASE)               /* keep the window free */
                map_identity(base, size, PTE_R | PTE_W);
    }
    kernel_satp = SATP_SV32 | (u32)root >> 12;
    vm_enable_this_hart();
}

void vm_enable_this_hart(void)
{
    csr_write(satp, kernel_satp);
    sfence_vma();                               /* forget translations from before */
    this_cpu()->tlb_gen = vm_gen;
}

void vm_sync_tlb(void)
{
    struct cpu *c = this_cpu();
    u32 gen = vm_gen;
    if (c->tlb_gen != gen) {
        sfence_vma();
        c->tlb_gen = gen;
    }
}

/* --- the demand-paged window ----------------------------------------- */

/* Used by one thread at a time (the run= thread, or the one `touch` the shell
 * lets run), including from its own page faults, so it needs no lock. */
static u32 lazy_pages, lazy_faults, total_faults;
static int lazy_active, lazy_oom;

extern char touch_store_insn[], touch_store_done[];    /* start.S */

int vm_lazy_open(u32 pages)
{
    if (lazy_active || pages == 0 || pages > LAZY_MAX_PAGES)
        return -1;
    lazy_pages = pages;
    lazy_faults = 0;
    lazy_oom = 0;
    lazy_active = 1;
    return 0;
}

u32 vm_lazy_faults(void) { return lazy_faults; }
u32 vm_total_faults(void) { return total_faults; }
int vm_lazy_oom(void) { return lazy_oom; }

/* The PTE slot for va, creating its second-level table if asked (NULL if
 * there is none and no memory to make one). */
static u32 *pte_slot(u32 va, int create)
{
    u32 *l1 = &root[va >> 22];
    if (!(*l1 & PTE_V)) {
        if (!create)
            return NULL;
        u32 *table = page_alloc_zeroed();
        if (!table)
            return NULL;
        *l1 = pa_to_pte((u32)table, PTE_V);     /* V without R/W/X: points to a table */
    }
    u32 *l2 = (u32 *)pte_to_pa(*l1);
    return &l2[(va >> 12) & 1023];
}

/* A load/store page fault (scause 13/15) at tf->stval.  Returns 0 if it is
 * not ours to fix (then trap.c panics). */
int vm_page_fault(struct trapframe *tf)
{
    u32 va = tf->stval;
    if (!lazy_active || tf->scause == 12 || va < LAZY_BASE ||
        va - LAZY_BASE >= lazy_pages * PAGE_SIZE)
        return 0;
    u32 *pte = pte_slot(va, 1);
    if (pte && (*pte & PTE_V)) {                /* mapped meanwhile: a stale TLB entry */
        sfence_vma();
        return 1;
    }
    void *page = pte ? page_alloc_zeroed() : NULL;
    if (!page) {
        /* Out of memory.  touch_store() (start.S) is the only code that may
         * fault here; make it return -1 instead of retrying forever. */
        lazy_oom = 1;
        if (tf->sepc != (u32)touch_store_insn)
            return 0;
        tf->regs[10] = (u32)-1;                 /* a0 */
        tf->sepc = (u32)touch_store_done;
        return 1;
    }
    *pte = pa_to_pte((u32)page, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
    asm volatile("sfence.vma %0, zero" ::"r"(va) : "memory");
    lazy_faults++;
    total_faults++;
    return 1;
}

/* Unmap the window, free its pages and tables; returns the pages freed. */
u32 vm_lazy_close(void)
{
    u32 freed = 0;
    if (!lazy_active)
        return 0;
    u32 end = LAZY_BASE + lazy_pages * PAGE_SIZE;
    for (u32 va = LAZY_BASE; va < end; va += PAGE_SIZE) {
        u32 *pte = pte_slot(va, 0);
        if (pte && (*pte & PTE_V)) {
            page_free((void *)pte_to_pa(*pte));
            *pte = 0;
            freed++;
        }
    }
    for (u32 i = LAZY_BASE >> 22; i <= (end - 1) >> 22; i++)
        if (root[i] & PTE_V) {
            page_free((void *)pte_to_pa(root[i]));
            root[i] = 0;
        }
    __atomic_add_fetch(&vm_gen, 1, __ATOMIC_SEQ_CST);
    vm_sync_tlb();
    lazy_active = 0;
    return freed;
}
