/*
 * main.c -- the boot sequence of hart 0, in order:
 *
 *   1. read the device tree: RAM, harts, timebase, bootargs, devices
 *   2. probe the SBI: which hypercalls does our firmware/hypervisor offer?
 *   3. probe the virtio slots, pick the console and timer drivers
 *      (bootargs), print the banner
 *   4. page allocator, then the Sv32 page table (paging on)
 *   5. traps, PLIC, timer; one idle thread per hart; the other drivers
 *      (virtio-net, nic, virtio-balloon)
 *   6. start the other harts (SBI HSM), then the shell (or a run= workload)
 *   7. become hart 0's idle thread
 *
 * Nothing here knows an address: everything comes from the DTB.
 */
#include "dtb.h"
#include "virtio.h"

extern char _end[], boot_stacks[];  /* labos.ld, start.S */
#define BOOT_STACK 8192

struct sbi_info sbi_info;
const char *const sbi_ext_names[SBIX_COUNT] = {
    "BASE", "TIME", "IPI", "RFENCE", "HSM", "SRST", "DBCN", "STA", "PMU", "SUSP", "LEGACY",
};
static const u32 sbi_ext_ids[SBIX_COUNT] = {
    SBI_EXT_BASE, SBI_EXT_TIME, SBI_EXT_IPI, SBI_EXT_RFENCE, SBI_EXT_HSM, SBI_EXT_SRST,
    SBI_EXT_DBCN, SBI_EXT_STA, SBI_EXT_PMU, SBI_EXT_SUSP,
    SBI_EXT_LEGACY_PUTCHAR,         /* LEGACY: the v0.1 console_putchar call */
};

static void sbi_probe(void)
{
    sbi_info.spec = sbi_call(SBI_EXT_BASE, SBI_BASE_GET_SPEC_VERSION, 0, 0, 0).value;
    sbi_info.impl_id = sbi_call(SBI_EXT_BASE, SBI_BASE_GET_IMPL_ID, 0, 0, 0).value;
    sbi_info.impl_version = sbi_call(SBI_EXT_BASE, SBI_BASE_GET_IMPL_VERSION, 0, 0, 0).value;
    for (u32 i = 0; i < SBIX_COUNT; i++)
        if (sbi_probe_extension(sbi_ext_ids[i]))
            sbi_info.ext_mask |= 1u << i;
}

static enum console_kind choose_console(void)
{
    const char *want = bootarg("console");
    enum console_kind kind = CONSOLE_UART;
    if (want && strcmp(want, "dbcn") == 0)
        kind = CONSOLE_DBCN;
    else if (want && strcmp(want, "virtio") == 0) {
        /* The virtio console comes up now (static rings, polled output), so
         * the banner already goes through it. */
        if (vconsole_init() == 0)
            return CONSOLE_VIRTIO;
        warn("warning: console=virtio but no usable virtio console: using uart\n");
    } else if (want && strcmp(want, "uart") != 0)
        warn("warning: bootargs: bad value console=%s (want uart|dbcn|virtio), using uart\n",
             want);
    if (kind == CONSOLE_UART && plat.uart_node < 0) {
        warn("warning: console=uart but the DTB has no ns16550a: using dbcn\n");
        kind = CONSOLE_DBCN;
    }
    if (kind == CONSOLE_DBCN && !SBI_HAS(SBIX_DBCN) && plat.uart_node >= 0) {
        warn("warning: console=dbcn but the SBI has no DBCN: using uart\n");
        kind = CONSOLE_UART;
    }
    return kind;
}

static enum timer_kind choose_timer(void)
{
    const char *want = bootarg("timer");
    if (!want || strcmp(want, "sbi") == 0)
        return TIMER_SBI;
    if (strcmp(want, "sstc") != 0) {
        warn("warning: bootargs: bad value timer=%s (want sbi|sstc), using sbi\n", want);
        return TIMER_SBI;
    }
    if (!plat.has_sstc) {
        warn("warning: timer=sstc but the DTB does not list sstc: using sbi\n");
        return TIMER_SBI;
    }
    return TIMER_SSTC;
}

static void run_main(void *arg)
{
    const char *name = arg;
    if (strcmp(name, "flood") == 0) {
        workload_flood(bootarg_uint("N", 65536, 1, 0x40000000), bootarg_uint("K", 1, 1, 4096));
    } else if (strcmp(name, "touch") == 0) {
        const char *order = bootarg("ORDER");
        int random = order && strcmp(order, "rand") == 0;
        if (order && !random && strcmp(order, "seq") != 0)
            warn("warning: bootargs: bad value ORDER=%s (want seq|rand), using seq\n", order);
        workload_touch(bootarg_uint("W", 256, 1, LAZY_MAX_PAGES), random);
    } else if (strcmp(name, "cpu") == 0) {
        workload_cpu(bootarg_uint("T", cpus_online, 1, 16));
    } else if (strcmp(name, "bench") == 0) {
        workload_bench();
    } else {
        workload_fault();
    }
    shutdown(0);
}

static int known_workload(const char *name)
{
    static const char *const names[] = { "flood", "touch", "cpu", "bench", "fault" };
    for (u32 i = 0; i < ARRAY_SIZE(names); i++)
        if (strcmp(name, names[i]) == 0)
            return 1;
    return 0;
}

void kmain(u32 hartid, const void *dtb)
{
    /* 1. The device tree.  Until console_init() kprintf goes to SBI DBCN. */
    if (dtb_init(dtb) != 0)
        panic("no valid device tree at %x", (u32)dtb);
    dtb_discover(hartid);
    if (plat.nharts == 0 || plat.hartid[0] != hartid)
        panic("the DTB does not list boot hart %u", hartid);
    if (plat.ram_size == 0 || plat.timebase < 100)
        panic("the DTB gives no RAM or no timebase-frequency");
    bootargs_init(plat.bootargs);

    /* 2, 3. SBI, drivers, banner. */
    sbi_probe();
    virtio_probe();
    enum console_kind con = choose_console();
    enum timer_kind tim = choose_timer();
    console_init(con);
    kprintf("labos " LABOS_VERSION " -- the hvlab lab kernel\n");
    kprintf("boot: %u harts, %u MiB RAM, console=%s, timer=%s\n", plat.nharts,
            plat.ram_size >> 20,
            con == CONSOLE_UART ? "uart" : con == CONSOLE_VIRTIO ? "virtio" : "dbcn",
            tim == TIMER_SSTC ? "sstc" : "sbi");
    warnings_flush();

    /* 4. Memory: every page above the kernel image, minus the DTB.  The DTB's
     * reservation is rounded out to 64 KiB so the page count does not depend
     * on its exact size (QEMU's tree is bigger than hvlab's). */
    u32 ram_end = plat.ram_base + plat.ram_size;
    u32 dtb_lo = (u32)dtb & ~0xffffu;
    u32 dtb_hi = ((u32)dtb + dtb_total_size() + 0xffffu) & ~0xffffu;
    page_init((u32)_end, ram_end, dtb_lo, dtb_hi);
    if (!plat.mmu || strcmp(plat.mmu, "riscv,sv32") != 0)
        panic("the boot hart has no Sv32 MMU (mmu-type %s)", plat.mmu ? plat.mmu : "none");
    vm_init();

    /* 5. Interrupts and threads. */
    ncpus = plat.nharts;
    for (u32 k = 0; k < ncpus; k++) {
        cpus[k].index = k;
        cpus[k].hartid = plat.hartid[k];
        cpus[k].stack_top = (u32)boot_stacks + (k + 1) * BOOT_STACK;
        sched_init_cpu(&cpus[k]);
    }
    cpus[0].online = 1;
    cpus_online = 1;
    trap_init_this_hart();
    timer_init(tim, plat.timebase);
    plic_init();
    if (con == CONSOLE_UART)
        uart_start_input();
    else if (con == CONSOLE_VIRTIO)
        vconsole_start_input();
    vnet_init();                                /* each only if the DTB has the device */
    nic_init();
    balloon_init();

    /* 6. The other harts, then the first thread. */
    smp_start_secondaries();
    const char *run = bootarg("run");
    if (run && !known_workload(run)) {
        warn("warning: bootargs: bad value run=%s (want flood|touch|cpu|bench|fault)\n", run);
        run = NULL;
    }
    if (!thread_create(run ? "run" : "shell", run ? run_main : shell_main, (void *)run))
        panic("cannot create the first thread");
    balloon_start_thread();                     /* (after the shell: its thread id stays) */

    /* 7. Hart 0 becomes idle thread 0; the scheduler starts the shell. */
    sched_idle_loop();
}
