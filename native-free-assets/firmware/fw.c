/*
 * fw.c -- hvlab's SBI firmware: a tiny M-mode "OpenSBI" for QEMU's riscv32
 * virt board (and for hvlab's engine, which lays out the same devices).
 *
 * It sets each hart up, hands hart 0 to the S-mode kernel at 0x80400000 and
 * then only runs when the kernel traps into M-mode:
 *   - an ecall from S-mode is an SBI call (sbi_ecall below);
 *   - the CLINT's M-mode timer/software interrupts are turned into S-mode
 *     timer/software interrupts (the kernel cannot touch the CLINT itself);
 *   - misaligned loads/stores are emulated bytewise;
 *   - anything else is a bug: print one line and stop QEMU with code 0xEE.
 * In normal operation it prints nothing.
 */
#include <stdint.h>
#include "fw.h"

typedef unsigned long ulong;            /* 32 bits: register-sized on RV32 */

/* ------------------------------------------------------------------ */
/* Platform: QEMU virt                                                 */
/* ------------------------------------------------------------------ */

#define RAM_BASE          0x80000000UL
#define DEFAULT_RAM_SIZE  (128UL << 20) /* if the DTB has no usable /memory node */
#define KERNEL_ENTRY      0x80400000UL

#define CLINT_BASE        0x02000000UL
#define CLINT_MSIP(h)     ((volatile uint32_t *)(CLINT_BASE + 4 * (h)))
#define CLINT_MTIMECMP(h) ((volatile uint32_t *)(CLINT_BASE + 0x4000 + 8 * (h)))

#define UART_BASE         0x10000000UL
#define UART_REG(off)     (*(volatile uint8_t *)(UART_BASE + (off)))
#define UART_THR          0     /* write: transmit holding register */
#define UART_RBR          0     /* read: receive buffer */
#define UART_LSR          5     /* line status */
#define LSR_DR            0x01  /* a received byte is waiting */
#define LSR_THRE          0x20  /* room to transmit */

#define FINISHER          (*(volatile uint32_t *)0x00100000UL)
#define FINISHER_PASS     0x5555
#define FINISHER_FAIL     0x3333 /* | code << 16 */
#define FINISHER_RESET    0x7777

/* ------------------------------------------------------------------ */
/* CSRs                                                                */
/* ------------------------------------------------------------------ */

#define csr_read(csr)                                              \
    ({ ulong v_; asm volatile("csrr %0, " #csr : "=r"(v_)); v_; })
#define csr_write(csr, v) asm volatile("csrw " #csr ", %0" ::"r"((ulong)(v)) : "memory")
#define csr_set(csr, v)   asm volatile("csrs " #csr ", %0" ::"r"((ulong)(v)) : "memory")
#define csr_clear(csr, v) asm volatile("csrc " #csr ", %0" ::"r"((ulong)(v)) : "memory")

#define MSTATUS_SIE   (1UL << 1)
#define MSTATUS_SPIE  (1UL << 5)
#define MSTATUS_SPP   (1UL << 8)
#define MSTATUS_MPP   (3UL << MSTATUS_MPP_SHIFT)
#define MSTATUS_MPRV  (1UL << 17)
#define MSTATUS_MXR   (1UL << 19)

#define PRV_U 0
#define PRV_S 1
#define PRV_M 3

/* Bits of mip/mie, and the interrupt numbers in mcause. */
#define IRQ_S_SOFT   1
#define IRQ_M_SOFT   3
#define IRQ_S_TIMER  5
#define IRQ_M_TIMER  7
#define IRQ_S_EXT    9
#define MIP_SSIP     (1UL << IRQ_S_SOFT)
#define MIP_MSIP     (1UL << IRQ_M_SOFT)
#define MIP_STIP     (1UL << IRQ_S_TIMER)
#define MIP_MTIP     (1UL << IRQ_M_TIMER)
#define MIP_SEIP     (1UL << IRQ_S_EXT)
#define MCAUSE_INT   (1UL << 31)

/* Exception causes. */
#define CAUSE_FETCH_MISALIGNED  0
#define CAUSE_FETCH_ACCESS      1
#define CAUSE_BREAKPOINT        3
#define CAUSE_LOAD_MISALIGNED   4
#define CAUSE_LOAD_ACCESS       5
#define CAUSE_STORE_MISALIGNED  6
#define CAUSE_USER_ECALL        8
#define CAUSE_SUPERVISOR_ECALL  9
#define CAUSE_FETCH_PAGE_FAULT  12
#define CAUSE_LOAD_PAGE_FAULT   13
#define CAUSE_STORE_PAGE_FAULT  15

/* ------------------------------------------------------------------ */
/* SBI numbers (SBI spec v2.0)                                         */
/* ------------------------------------------------------------------ */

#define SBI_SUCCESS              0
#define SBI_ERR_FAILED          -1
#define SBI_ERR_NOT_SUPPORTED   -2
#define SBI_ERR_INVALID_PARAM   -3
#define SBI_ERR_INVALID_ADDRESS -5
#define SBI_ERR_ALREADY_AVAILABLE -6

#define SBI_EXT_BASE    0x10
#define SBI_EXT_TIME    0x54494D45      /* "TIME" */
#define SBI_EXT_IPI     0x735049        /* "sPI" */
#define SBI_EXT_RFENCE  0x52464E43      /* "RFNC" */
#define SBI_EXT_HSM     0x48534D        /* "HSM" */
#define SBI_EXT_SRST    0x53525354      /* "SRST" */
#define SBI_EXT_DBCN    0x4442434E      /* "DBCN" */

/* Legacy (v0.1) extensions: one function each, result in a0 only. */
#define SBI_LEGACY_SET_TIMER        0x00
#define SBI_LEGACY_CONSOLE_PUTCHAR  0x01
#define SBI_LEGACY_CONSOLE_GETCHAR  0x02
#define SBI_LEGACY_SHUTDOWN         0x08
#define SBI_LEGACY_LAST             0x0F

#define SBI_SPEC_VERSION  0x02000000    /* v2.0: major << 24 | minor */
#define SBI_IMPL_ID       0x48564657    /* "HVFW": hvlab's own, not a registered ID */
#define SBI_IMPL_VERSION  1

/* HSM hart states, as hart_get_status returns them. */
#define HART_STARTED        0
#define HART_STOPPED        1
#define HART_START_PENDING  2
#define HART_ABSENT        -1   /* internal: this hart never checked in */

/* SRST */
#define SRST_SHUTDOWN       0
#define SRST_COLD_REBOOT    1
#define SRST_WARM_REBOOT    2
#define SRST_REASON_NONE    0
#define SRST_REASON_SYSFAIL 1
#define SRST_REASON_HVLAB   0xF0000000UL /* 0xF000xxxx: exit with code xxxx */

struct sbiret {
    long error;
    long value;
};

/* Built by trap_entry in fw.S; layout must match fw.h. */
struct trap_frame {
    ulong regs[32];         /* x0..x31; regs[10] = a0 and so on */
    ulong mepc;
    ulong mstatus;
};
_Static_assert(__builtin_offsetof(struct trap_frame, mepc) == FRAME_MEPC, "fw.h");
_Static_assert(__builtin_offsetof(struct trap_frame, mstatus) == FRAME_MSTATUS, "fw.h");
_Static_assert(sizeof(struct trap_frame) <= FRAME_SIZE, "fw.h");

/* Per-hart state.  Initialised to non-zero, so the table lives in .data,
 * not .bss: secondary harts write to it at reset, possibly before hart 0
 * has cleared .bss. */
struct hart {
    volatile int state;             /* HART_* */
    volatile int start_requested;   /* set by hart_start, consumed by the hart */
    ulong start_addr;
    ulong opaque;
    volatile int expect_fault;      /* see guest_byte() */
    volatile ulong fault_cause;
};
static struct hart harts[MAX_HARTS] = {
    [0 ... MAX_HARTS - 1] = { .state = HART_ABSENT },
};

static ulong ram_size;              /* set by hart 0 before the kernel runs */
static int has_sstc;                /* the DTB's harts list Sstc (see set_timer) */

/* In fw.S */
void fw_enter_smode(ulong entry, ulong a0, ulong a1) __attribute__((noreturn));
void fw_park(void) __attribute__((noreturn));

/* Called from fw.S */
void fw_boot_main(ulong hartid, ulong dtb) __attribute__((noreturn));
void fw_secondary_main(ulong hartid) __attribute__((noreturn));
void hart_park_loop(ulong hartid) __attribute__((noreturn));
void fw_trap(struct trap_frame *f);

static inline void wfi(void) { asm volatile("wfi" ::: "memory"); }

/* ------------------------------------------------------------------ */
/* Console and finisher                                                */
/* ------------------------------------------------------------------ */

static void uart_putc(int c)
{
    while (!(UART_REG(UART_LSR) & LSR_THRE))
        ;
    UART_REG(UART_THR) = (uint8_t)c;
}

static int uart_getc(void)
{
    if (UART_REG(UART_LSR) & LSR_DR)
        return UART_REG(UART_RBR);
    return -1;
}

static void uart_puts(const char *s)
{
    while (*s)
        uart_putc(*s++);
}

static void uart_puthex(ulong v)
{
    for (int shift = 28; shift >= 0; shift -= 4)
        uart_putc("0123456789abcdef"[(v >> shift) & 15]);
}

/* Stop the machine through QEMU's test finisher (sifive_test). */
static void __attribute__((noreturn)) finish(uint32_t value)
{
    FINISHER = value;
    for (;;)                        /* no finisher?  Then just stop here. */
        wfi();
}

static void __attribute__((noreturn)) die(ulong cause, ulong epc, ulong tval)
{
    uart_puts("fw: unhandled trap mcause=");
    uart_puthex(cause);
    uart_puts(" mepc=");
    uart_puthex(epc);
    uart_puts(" mtval=");
    uart_puthex(tval);
    uart_puts("\n");
    finish(FINISHER_FAIL | 0xEE << 16);
}

/* ------------------------------------------------------------------ */
/* Device tree: RAM size and the list of harts                         */
/* ------------------------------------------------------------------ */

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int str_eq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

static int starts_with(const char *s, const char *prefix)
{
    while (*prefix)
        if (*s++ != *prefix++)
            return 0;
    return 1;
}

static ulong str_len(const char *s)
{
    ulong n = 0;
    while (s[n])
        n++;
    return n;
}

#define FDT_MAGIC       0xd00dfeed
#define FDT_BEGIN_NODE  1
#define FDT_END_NODE    2
#define FDT_PROP        3
#define FDT_NOP         4
#define ALIGN4(n)       (((n) + 3) & ~3UL)

/* Does a riscv,isa string ("rv32imac_zicsr_sstc") or a riscv,isa-extensions
 * string list ("i\0m\0...\0sstc\0") name the Sstc extension? */
static int lists_sstc(const char *val, uint32_t len, int isa_string)
{
    for (const char *s = val, *end = val + len; s < end; s += str_len(s) + 1) {
        if (!isa_string && str_eq(s, "sstc"))
            return 1;
        for (const char *p = s; isa_string && *p; p++)
            if (*p == '_' && starts_with(p + 1, "sstc") && (p[5] == '_' || p[5] == '\0'))
                return 1;
    }
    return 0;
}

/*
 * Walk the flattened device tree QEMU passed in a1 and pick out
 *   /memory@...  reg   -> *ram_size (only a bank starting at RAM_BASE)
 *   /cpus/cpu@N  reg   -> bit N of *hart_mask
 *   /cpus/cpu@N  riscv,isa or riscv,isa-extensions naming sstc -> *sstc = 1
 * Returns 0 if dtb does not point at a device tree.
 */
static int fdt_scan(ulong dtb, ulong *ram, ulong *hart_mask, int *sstc)
{
    const uint8_t *fdt = (const uint8_t *)dtb;
    if (dtb == 0 || (dtb & 3) || be32(fdt) != FDT_MAGIC)
        return 0;

    const uint8_t *p = fdt + be32(fdt + 8);             /* off_dt_struct */
    const uint8_t *end = p + be32(fdt + 36);            /* size_dt_struct */
    const char *strings = (const char *)fdt + be32(fdt + 12);
    const char *names[4] = { "", "", "", "" };          /* node names by depth */
    int depth = 0;
    uint32_t addr_cells = 2, size_cells = 1;            /* the spec's defaults */

    while (p + 4 <= end) {
        uint32_t token = be32(p);
        p += 4;
        if (token == FDT_BEGIN_NODE) {
            const char *name = (const char *)p;
            depth++;
            if (depth < 4)
                names[depth] = name;
            p += ALIGN4(str_len(name) + 1);
        } else if (token == FDT_END_NODE) {
            depth--;
        } else if (token == FDT_PROP) {
            uint32_t len = be32(p);
            const char *prop = strings + be32(p + 4);
            const uint8_t *val = p + 8;
            p += 8 + ALIGN4(len);

            if (depth == 1 && str_eq(prop, "#address-cells"))
                addr_cells = be32(val);
            else if (depth == 1 && str_eq(prop, "#size-cells"))
                size_cells = be32(val);
            else if (depth == 2 && starts_with(names[2], "memory") && str_eq(prop, "reg") &&
                     len >= 4 * (addr_cells + size_cells) && addr_cells <= 2 && size_cells <= 2) {
                uint64_t base = 0, size = 0;
                for (uint32_t i = 0; i < addr_cells; i++)
                    base = base << 32 | be32(val + 4 * i);
                for (uint32_t i = 0; i < size_cells; i++)
                    size = size << 32 | be32(val + 4 * (addr_cells + i));
                if (base == RAM_BASE && *ram == 0) {
                    uint64_t max = 0x100000000ULL - RAM_BASE;   /* the rest of the 32-bit space */
                    *ram = (ulong)(size < max ? size : max);
                }
            } else if (depth == 3 && str_eq(names[2], "cpus") && starts_with(names[3], "cpu@") &&
                       str_eq(prop, "reg") && len >= 4) {
                uint32_t id = be32(val + len - 4);              /* hart id = last cell */
                if (id < MAX_HARTS)
                    *hart_mask |= 1UL << id;
            } else if (depth == 3 && str_eq(names[2], "cpus") && starts_with(names[3], "cpu@") &&
                       (str_eq(prop, "riscv,isa") || str_eq(prop, "riscv,isa-extensions"))) {
                if (lists_sstc((const char *)val, len, str_eq(prop, "riscv,isa")))
                    *sstc = 1;
            }
        } else if (token != FDT_NOP) {
            break;                                              /* FDT_END or garbage */
        }
    }
    return 1;
}

/* ------------------------------------------------------------------ */
/* Harts: boot, parking, entering S-mode                               */
/* ------------------------------------------------------------------ */

/* M-mode setup every hart does once at reset. */
static void hart_init(void)
{
    /* QEMU 7.2 denies every S/U-mode access that matches no PMP entry.
     * Entry 0: NAPOT over the whole address space, read/write/execute. */
    csr_write(pmpaddr0, 0xffffffffUL);
    csr_write(pmpcfg0, 0x1f);

    /* Exceptions the S-mode kernel handles itself, without a trip through M. */
    csr_write(medeleg, 1UL << CAUSE_FETCH_MISALIGNED | 1UL << CAUSE_BREAKPOINT |
                       1UL << CAUSE_USER_ECALL | 1UL << CAUSE_FETCH_PAGE_FAULT |
                       1UL << CAUSE_LOAD_PAGE_FAULT | 1UL << CAUSE_STORE_PAGE_FAULT);
    /* S-mode interrupts go straight to S-mode. */
    csr_write(mideleg, MIP_SSIP | MIP_STIP | MIP_SEIP);
    /* Let S-mode read cycle, time and instret. */
    csr_write(mcounteren, 7);
    /* M software interrupts: hart_start wake-ups and IPIs. */
    csr_write(mie, MIP_MSIP);
}

static ulong present_harts(void)
{
    ulong mask = 0;
    for (ulong h = 0; h < MAX_HARTS; h++)
        if (__atomic_load_n(&harts[h].state, __ATOMIC_ACQUIRE) != HART_ABSENT)
            mask |= 1UL << h;
    return mask;
}

/*
 * All harts leave reset together, but the others may check in a little
 * after hart 0 gets here.  Wait until every hart the DTB lists has checked
 * in; without a DTB, until the set of harts has not changed for 100000 polls.
 */
static void wait_for_harts(ulong expected)
{
    if (expected) {
        for (ulong spins = 0; spins < 100000000; spins++)  /* bound: the DTB could lie */
            if ((present_harts() & expected) == expected)
                return;
        return;
    }
    ulong seen = present_harts();
    for (ulong quiet = 0; quiet < 100000; quiet++) {
        ulong now = present_harts();
        if (now != seen) {
            seen = now;
            quiet = 0;
        }
    }
}

/* Enter S-mode at `entry` as SBI promises: satp = 0, sstatus.SIE = 0. */
static void __attribute__((noreturn)) start_smode(ulong entry, ulong a0, ulong a1)
{
    if (has_sstc) {
        /* Sstc: let S-mode use stimecmp itself (menvcfgh.STCE, bit 63 of menvcfg;
         * the time counter is already enabled in mcounteren), and start with no
         * timer armed.  STIP now follows stimecmp, so set_timer writes it too. */
        csr_set(0x31a, 1UL << 31);                  /* menvcfgh */
        csr_write(0x15d, 0xffffffffUL);             /* stimecmph */
        csr_write(0x14d, 0xffffffffUL);             /* stimecmp */
    }
    csr_write(satp, 0);
    csr_clear(sstatus, MSTATUS_SIE);
    csr_write(sie, 0);
    csr_clear(mip, MIP_SSIP | MIP_STIP);
    csr_write(mie, MIP_MSIP);       /* no M timer until the kernel calls set_timer */
    fw_enter_smode(entry, a0, a1);
}

void fw_boot_main(ulong hartid, ulong dtb)
{
    ulong expected = 0;

    hart_init();
    __atomic_store_n(&harts[hartid].state, HART_STARTED, __ATOMIC_RELEASE);

    if (!fdt_scan(dtb, &ram_size, &expected, &has_sstc) || ram_size == 0)
        ram_size = DEFAULT_RAM_SIZE;
    wait_for_harts(expected);

    start_smode(KERNEL_ENTRY, hartid, dtb);
}

void fw_secondary_main(ulong hartid)
{
    hart_init();
    /* "I am here": from now on hart_start(hartid) is valid. */
    __atomic_store_n(&harts[hartid].state, HART_STOPPED, __ATOMIC_RELEASE);
    hart_park_loop(hartid);
}

/* A stopped hart sleeps here until hart_start() asks for it. */
void hart_park_loop(ulong hartid)
{
    struct hart *me = &harts[hartid];

    csr_write(mie, MIP_MSIP);       /* only a software interrupt may wake us */
    for (;;) {
        /* mstatus.MIE is 0 in M-mode here: a pending msip ends the WFI
         * without taking a trap. */
        wfi();
        if (!(csr_read(mip) & MIP_MSIP))
            continue;
        *CLINT_MSIP(hartid) = 0;
        if (__atomic_load_n(&me->start_requested, __ATOMIC_ACQUIRE))
            break;
    }
    me->start_requested = 0;
    ulong entry = me->start_addr, opaque = me->opaque;
    __atomic_store_n(&me->state, HART_STARTED, __ATOMIC_RELEASE);
    start_smode(entry, hartid, opaque);
}

/* ------------------------------------------------------------------ */
/* SBI extensions                                                      */
/* ------------------------------------------------------------------ */

static struct sbiret ret(long error, long value)
{
    struct sbiret r = { error, value };
    return r;
}

static int extension_present(ulong eid)
{
    switch (eid) {
    case SBI_EXT_BASE:
    case SBI_EXT_TIME:
    case SBI_EXT_IPI:
    case SBI_EXT_RFENCE:
    case SBI_EXT_HSM:
    case SBI_EXT_SRST:
    case SBI_EXT_DBCN:
    case SBI_LEGACY_SET_TIMER:
    case SBI_LEGACY_CONSOLE_PUTCHAR:
    case SBI_LEGACY_CONSOLE_GETCHAR:
    case SBI_LEGACY_SHUTDOWN:
        return 1;
    }
    return 0;
}

static struct sbiret sbi_base(ulong fid, ulong *a)
{
    switch (fid) {
    case 0: return ret(SBI_SUCCESS, SBI_SPEC_VERSION);
    case 1: return ret(SBI_SUCCESS, SBI_IMPL_ID);
    case 2: return ret(SBI_SUCCESS, SBI_IMPL_VERSION);
    case 3: return ret(SBI_SUCCESS, extension_present(a[0]));
    case 4: return ret(SBI_SUCCESS, csr_read(mvendorid));
    case 5: return ret(SBI_SUCCESS, csr_read(marchid));
    case 6: return ret(SBI_SUCCESS, csr_read(mimpid));
    }
    return ret(SBI_ERR_NOT_SUPPORTED, 0);
}

/* Classic (pre-Sstc) timer: the kernel cannot write mtimecmp, so it asks us.
 * When mtime reaches mtimecmp we get the M timer interrupt and pass it on
 * as an S timer interrupt (see fw_trap).
 * With Sstc (has_sstc, menvcfgh.STCE set) STIP is wired to time >= stimecmp
 * and M-mode can no longer set it, so the SBI call writes stimecmp instead,
 * as OpenSBI does; the kernel may also write stimecmp directly. */
static void set_timer(uint64_t when)
{
    if (has_sstc) {
        csr_write(0x15d, 0xffffffffUL);             /* never "in the past" while half-written */
        csr_write(0x14d, (uint32_t)when);
        csr_write(0x15d, (uint32_t)(when >> 32));
        return;
    }
    ulong h = csr_read(mhartid);
    volatile uint32_t *cmp = CLINT_MTIMECMP(h);
    cmp[1] = 0xffffffff;            /* never "in the past" while half-written */
    cmp[0] = (uint32_t)when;
    cmp[1] = (uint32_t)(when >> 32);
    csr_clear(mip, MIP_STIP);       /* the kernel's previous timer is handled */
    csr_set(mie, MIP_MTIP);
}

/*
 * Turn (hart_mask, hart_mask_base) into a bitmap of harts.
 * base == -1 means "every hart".  A hart that does not exist is an error.
 */
static long hart_targets(ulong mask, ulong base, ulong *out)
{
    ulong present = present_harts();
    if (base == (ulong)-1) {
        *out = present;
        return SBI_SUCCESS;
    }
    *out = 0;
    for (ulong i = 0; i < 32; i++) {
        if (!(mask & (1UL << i)))
            continue;
        ulong h = base + i;
        if (h < base || h >= MAX_HARTS || !(present & (1UL << h)))
            return SBI_ERR_INVALID_PARAM;
        *out |= 1UL << h;
    }
    return SBI_SUCCESS;
}

/* An IPI raises the target's M software interrupt (CLINT msip); the target's
 * fw_trap then turns it into an S software interrupt. */
static struct sbiret sbi_ipi(ulong fid, ulong *a)
{
    ulong targets;
    if (fid != 0)
        return ret(SBI_ERR_NOT_SUPPORTED, 0);
    long err = hart_targets(a[0], a[1], &targets);
    if (err)
        return ret(err, 0);
    for (ulong h = 0; h < MAX_HARTS; h++)
        if ((targets & (1UL << h)) && harts[h].state == HART_STARTED)
            *CLINT_MSIP(h) = 1;     /* stopped harts do not take IPIs */
    return ret(SBI_SUCCESS, 0);
}

/* Remote fences: done on the calling hart only.  Good enough while a guest's
 * harts do not share changing page tables or self-modifying code; a full
 * implementation would IPI the other harts and wait for them. */
static struct sbiret sbi_rfence(ulong fid, ulong *a)
{
    ulong targets;
    if (fid > 2)
        return ret(SBI_ERR_NOT_SUPPORTED, 0);
    long err = hart_targets(a[0], a[1], &targets);
    if (err)
        return ret(err, 0);
    if (fid == 0)
        asm volatile("fence.i" ::: "memory");
    else
        asm volatile("sfence.vma" ::: "memory");   /* whole TLB: covers any range/ASID */
    return ret(SBI_SUCCESS, 0);
}

static int in_ram(ulong addr)
{
    return addr >= RAM_BASE && addr - RAM_BASE < ram_size;
}

static struct sbiret sbi_hsm(ulong fid, ulong *a)
{
    ulong hartid = csr_read(mhartid);
    ulong target = a[0];

    switch (fid) {
    case 0: {                                               /* hart_start */
        if (target >= MAX_HARTS || harts[target].state == HART_ABSENT)
            return ret(SBI_ERR_INVALID_PARAM, 0);
        if (!in_ram(a[1]))
            return ret(SBI_ERR_INVALID_ADDRESS, 0);
        struct hart *t = &harts[target];
        int expected = HART_STOPPED;                        /* claim it, atomically */
        if (!__atomic_compare_exchange_n(&t->state, &expected, HART_START_PENDING, 0,
                                         __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return ret(SBI_ERR_ALREADY_AVAILABLE, 0);
        t->start_addr = a[1];
        t->opaque = a[2];
        __atomic_store_n(&t->start_requested, 1, __ATOMIC_RELEASE);
        *CLINT_MSIP(target) = 1;                            /* wake hart_park_loop */
        return ret(SBI_SUCCESS, 0);
    }
    case 1:                                                 /* hart_stop */
        csr_write(mie, MIP_MSIP);                           /* no timer while stopped */
        __atomic_store_n(&harts[hartid].state, HART_STOPPED, __ATOMIC_RELEASE);
        fw_park();                                          /* never returns */
    case 2:                                                 /* hart_get_status */
        if (target >= MAX_HARTS || harts[target].state == HART_ABSENT)
            return ret(SBI_ERR_INVALID_PARAM, 0);
        return ret(SBI_SUCCESS, harts[target].state);
    }
    return ret(SBI_ERR_NOT_SUPPORTED, 0);                   /* hart_suspend and beyond */
}

/*
 * System reset.  On QEMU a shutdown is a write to the test finisher, so the
 * reason becomes QEMU's exit status (hvlab's hypervisor does the same):
 *   reason 0 (none)             -> exit 0
 *   reason 1 (system failure)   -> exit 1
 *   reason 0xF000xxxx (hvlab)   -> exit xxxx (0 means success)
 */
static struct sbiret sbi_srst(ulong fid, ulong *a)
{
    ulong type = a[0], reason = a[1], code;

    if (fid != 0)
        return ret(SBI_ERR_NOT_SUPPORTED, 0);
    if (reason == SRST_REASON_NONE)
        code = 0;
    else if (reason == SRST_REASON_SYSFAIL)
        code = 1;
    else if ((reason & 0xFFFF0000UL) == SRST_REASON_HVLAB)
        code = reason & 0xFFFF;
    else
        return ret(SBI_ERR_INVALID_PARAM, 0);

    switch (type) {
    case SRST_SHUTDOWN:
        finish(code ? FINISHER_FAIL | code << 16 : FINISHER_PASS);
    case SRST_COLD_REBOOT:
    case SRST_WARM_REBOOT:
        finish(FINISHER_RESET);
    }
    return ret(SBI_ERR_INVALID_PARAM, 0);
}

/* Debug console.  Buffers are given by guest-physical address; M-mode runs
 * untranslated, so we can use the address directly once it is known to be RAM. */
static int ram_range_ok(ulong lo, ulong hi, ulong len)
{
    if (hi != 0 || lo < RAM_BASE)
        return 0;
    ulong offset = lo - RAM_BASE;
    return offset <= ram_size && len <= ram_size - offset;
}

static struct sbiret sbi_dbcn(ulong fid, ulong *a)
{
    ulong len = a[0];
    uint8_t *buf = (uint8_t *)a[1];

    switch (fid) {
    case 0:                                                 /* write */
        if (!ram_range_ok(a[1], a[2], len))
            return ret(SBI_ERR_INVALID_PARAM, 0);
        for (ulong i = 0; i < len; i++)
            uart_putc(buf[i]);
        return ret(SBI_SUCCESS, len);
    case 1: {                                               /* read: what is there now */
        if (!ram_range_ok(a[1], a[2], len))
            return ret(SBI_ERR_INVALID_PARAM, 0);
        ulong n = 0;
        int c;
        while (n < len && (c = uart_getc()) >= 0)
            buf[n++] = (uint8_t)c;
        return ret(SBI_SUCCESS, n);
    }
    case 2:                                                 /* write_byte */
        uart_putc(a[0] & 0xff);
        return ret(SBI_SUCCESS, 0);
    }
    return ret(SBI_ERR_NOT_SUPPORTED, 0);
}

/* SBI v0.1: one extension per function, and only a0 comes back. */
static long sbi_legacy(ulong eid, ulong *a)
{
    switch (eid) {
    case SBI_LEGACY_SET_TIMER:
        set_timer((uint64_t)a[1] << 32 | a[0]);
        return 0;
    case SBI_LEGACY_CONSOLE_PUTCHAR:
        uart_putc(a[0] & 0xff);
        return 0;
    case SBI_LEGACY_CONSOLE_GETCHAR:
        return uart_getc();                                 /* -1: nothing waiting */
    case SBI_LEGACY_SHUTDOWN:
        finish(FINISHER_PASS);
    }
    return SBI_ERR_NOT_SUPPORTED;
}

/* An ecall from S-mode: a7 = extension, a6 = function, a0..a5 = arguments.
 * Results go back in a0 (error) and a1 (value). */
static void sbi_ecall(struct trap_frame *f)
{
    ulong eid = f->regs[17], fid = f->regs[16];
    ulong *a = &f->regs[10];
    struct sbiret r;

    if (eid <= SBI_LEGACY_LAST) {
        a[0] = sbi_legacy(eid, a);
        return;
    }
    switch (eid) {
    case SBI_EXT_BASE:   r = sbi_base(fid, a); break;
    case SBI_EXT_TIME:
        if (fid == 0) {
            set_timer((uint64_t)a[1] << 32 | a[0]);
            r = ret(SBI_SUCCESS, 0);
        } else {
            r = ret(SBI_ERR_NOT_SUPPORTED, 0);
        }
        break;
    case SBI_EXT_IPI:    r = sbi_ipi(fid, a); break;
    case SBI_EXT_RFENCE: r = sbi_rfence(fid, a); break;
    case SBI_EXT_HSM:    r = sbi_hsm(fid, a); break;
    case SBI_EXT_SRST:   r = sbi_srst(fid, a); break;
    case SBI_EXT_DBCN:   r = sbi_dbcn(fid, a); break;
    default:             r = ret(SBI_ERR_NOT_SUPPORTED, 0); break;
    }
    a[0] = r.error;
    a[1] = r.value;
}

/* ------------------------------------------------------------------ */
/* Misaligned load/store emulation                                     */
/* ------------------------------------------------------------------ */

/*
 * Load or store one byte the way the trapped S/U code would: with
 * mstatus.MPRV = 1, M-mode loads and stores use the privilege in
 * mstatus.MPP and so go through the guest's page tables (and its SUM bit).
 * If the access faults, the nested trap lands in fw_trap, which sees
 * expect_fault, records the cause and skips the 4-byte instruction.
 * Returns 0 on a fault.
 */
static int guest_byte(ulong addr, uint8_t *byte, int store, ulong extra_mstatus)
{
    struct hart *me = &harts[csr_read(mhartid)];
    ulong saved = csr_read(mstatus);
    ulong with_mprv = saved | MSTATUS_MPRV | extra_mstatus;
    ulong value = *byte;

    me->fault_cause = 0;
    me->expect_fault = 1;
    if (store)
        asm volatile(".option push\n\t.option norvc\n\t"
                     "csrw mstatus, %1\n\t"
                     "sb   %2, 0(%3)\n\t"
                     "csrw mstatus, %0\n\t"     /* also undoes a nested trap's changes */
                     ".option pop"
                     :: "r"(saved), "r"(with_mprv), "r"(value), "r"(addr) : "memory");
    else
        asm volatile(".option push\n\t.option norvc\n\t"
                     "csrw mstatus, %2\n\t"
                     "lbu  %0, 0(%3)\n\t"
                     "csrw mstatus, %1\n\t"
                     ".option pop"
                     : "+&r"(value) : "r"(saved), "r"(with_mprv), "r"(addr) : "memory");
    me->expect_fault = 0;
    *byte = (uint8_t)value;
    return me->fault_cause == 0;
}

/* Deliver an exception to S-mode as if the hardware had delegated it. */
static void redirect_to_s(struct trap_frame *f, ulong cause, ulong tval)
{
    ulong ms = f->mstatus;
    ulong from = (ms & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT;

    csr_write(scause, cause);
    csr_write(stval, tval);
    csr_write(sepc, f->mepc);
    ms &= ~(MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_MPP);
    if (from == PRV_S)
        ms |= MSTATUS_SPP;
    if (f->mstatus & MSTATUS_SIE)
        ms |= MSTATUS_SPIE;
    ms &= ~MSTATUS_SIE;
    ms |= (ulong)PRV_S << MSTATUS_MPP_SHIFT;
    f->mstatus = ms;
    f->mepc = csr_read(stvec) & ~3UL;
}

/* Handles lh/lhu/lw/sh/sw and c.lw/c.sw/c.lwsp/c.swsp.  Returns 0 if the
 * instruction is none of these (then it is an unhandled trap). */
static int emulate_misaligned(struct trap_frame *f, ulong cause, ulong addr)
{
    uint8_t b[4];
    ulong insn, len;
    int rd = -1, rs2 = -1, size = 0, sign = 0;

    /* Read the instruction (two halfwords: it may be 2-byte aligned or
     * straddle a page).  MXR lets us read execute-only pages. */
    for (int i = 0; i < 4; i++) {
        if (i == 2 && (b[0] & 3) != 3)
            break;                                  /* 16-bit instruction */
        if (!guest_byte(f->mepc + i, &b[i], 0, MSTATUS_MXR)) {
            ulong c = harts[csr_read(mhartid)].fault_cause;
            redirect_to_s(f, c == CAUSE_LOAD_PAGE_FAULT ? CAUSE_FETCH_PAGE_FAULT
                                                        : CAUSE_FETCH_ACCESS, f->mepc + i);
            return 1;
        }
    }
    insn = b[0] | b[1] << 8;
    if ((insn & 3) == 3) {
        insn |= (ulong)b[2] << 16 | (ulong)b[3] << 24;
        len = 4;
        ulong opcode = insn & 0x7f, funct3 = (insn >> 12) & 7;
        if (opcode == 0x03) {                       /* LOAD */
            rd = (insn >> 7) & 31;
            if (funct3 == 1) size = 2, sign = 1;    /* lh */
            if (funct3 == 2) size = 4;              /* lw */
            if (funct3 == 5) size = 2;              /* lhu */
        } else if (opcode == 0x23) {                /* STORE */
            rs2 = (insn >> 20) & 31;
            if (funct3 == 1) size = 2;              /* sh */
            if (funct3 == 2) size = 4;              /* sw */
        }
    } else {
        len = 2;
        ulong quadrant = insn & 3, funct3 = insn >> 13;
        if (quadrant == 0 && funct3 == 2)           /* c.lw rd', off(rs1') */
            rd = 8 + ((insn >> 2) & 7), size = 4;
        else if (quadrant == 0 && funct3 == 6)      /* c.sw rs2', off(rs1') */
            rs2 = 8 + ((insn >> 2) & 7), size = 4;
        else if (quadrant == 2 && funct3 == 2)      /* c.lwsp rd, off(sp) */
            rd = (insn >> 7) & 31, size = 4;
        else if (quadrant == 2 && funct3 == 6)      /* c.swsp rs2, off(sp) */
            rs2 = (insn >> 2) & 31, size = 4;
    }
    if (size == 0 || (cause == CAUSE_LOAD_MISALIGNED) != (rd >= 0))
        return 0;

    /* mtval holds the address (QEMU and hvlab both provide it). */
    if (rd >= 0) {
        for (int i = 0; i < size; i++)
            if (!guest_byte(addr + i, &b[i], 0, 0)) {
                redirect_to_s(f, harts[csr_read(mhartid)].fault_cause, addr + i);
                return 1;
            }
        ulong v = b[0] | b[1] << 8;
        if (size == 4)
            v |= (ulong)b[2] << 16 | (ulong)b[3] << 24;
        else if (sign && (v & 0x8000))
            v |= 0xffff0000UL;
        if (rd != 0)
            f->regs[rd] = v;
    } else {
        ulong v = f->regs[rs2];                     /* regs[0] is always 0 */
        for (int i = 0; i < size; i++) {
            b[i] = (uint8_t)(v >> (8 * i));
            if (!guest_byte(addr + i, &b[i], 1, 0)) {
                redirect_to_s(f, harts[csr_read(mhartid)].fault_cause, addr + i);
                return 1;
            }
        }
    }
    f->mepc += len;
    return 1;
}

/* ------------------------------------------------------------------ */
/* The trap handler                                                    */
/* ------------------------------------------------------------------ */

void fw_trap(struct trap_frame *f)
{
    ulong cause = csr_read(mcause), tval = csr_read(mtval);
    ulong hartid = csr_read(mhartid);
    ulong from = (f->mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT;

    if (cause & MCAUSE_INT) {
        switch (cause & ~MCAUSE_INT) {
        case IRQ_M_SOFT:                /* an IPI: pass it on to S-mode */
            *CLINT_MSIP(hartid) = 0;
            csr_set(mip, MIP_SSIP);
            return;
        case IRQ_M_TIMER:               /* the kernel's timer: pass it on */
            csr_set(mip, MIP_STIP);     /* S-mode clears it with its next set_timer */
            csr_clear(mie, MIP_MTIP);   /* or we would be back here at once */
            return;
        }
    } else if (from == PRV_M) {
        if (harts[hartid].expect_fault) {   /* a fault inside guest_byte() */
            harts[hartid].fault_cause = cause;
            f->mepc += 4;
            return;
        }
    } else if (cause == CAUSE_SUPERVISOR_ECALL) {
        sbi_ecall(f);
        f->mepc += 4;
        return;
    } else if (cause == CAUSE_LOAD_MISALIGNED || cause == CAUSE_STORE_MISALIGNED) {
        if (emulate_misaligned(f, cause, tval))
            return;
    }
    die(cause, f->mepc, tval);
}
