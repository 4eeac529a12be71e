/*
 * hello.c -- the smallest hvlab guest: an S-mode program that talks only
 * to the SBI, so it runs unchanged on QEMU + hvlab's firmware and on
 * hvlab's hypervisor.  It prints a fixed set of lines (see README.md)
 * and shuts the machine down with exit status 0.
 */
#include "print.h"
#include "sbi.h"

/* How long hart 0 waits for hart 1 before giving up (loop iterations). */
#define WAIT_LIMIT 100000000UL

/* Shared by hart 0 and hart 1; hart 1 gets its address as hart_start's
 * "opaque" argument. */
struct mailbox {
    int go;     /* hart 0 -> 1: you may print now */
    int done;   /* hart 1 -> 0: printed, about to stop */
};
static struct mailbox hart1_mailbox;

void hello_main(unsigned long hartid, unsigned long dtb);
void secondary_main(unsigned long hartid, unsigned long opaque);
void secondary_entry(void);                                 /* start.S */
void unexpected_trap(unsigned long scause, unsigned long sepc, unsigned long stval);

static const struct {
    const char *name;
    unsigned long eid;
} extensions[] = {
    { "BASE", SBI_EXT_BASE },   { "TIME", SBI_EXT_TIME },     { "IPI", SBI_EXT_IPI },
    { "RFENCE", SBI_EXT_RFENCE }, { "HSM", SBI_EXT_HSM },     { "SRST", SBI_EXT_SRST },
    { "DBCN", SBI_EXT_DBCN },   { "STA", SBI_EXT_STA },       { "PMU", SBI_EXT_PMU },
    { "SUSP", SBI_EXT_SUSP },
};

/* The 64-bit time counter, read as two halves on RV32: retry if the high
 * half changed in between (the low half wrapped). */
static unsigned long long read_time(void)
{
    unsigned long hi, lo, hi2;
    do {
        asm volatile("rdtimeh %0" : "=r"(hi));
        asm volatile("rdtime %0" : "=r"(lo));
        asm volatile("rdtimeh %0" : "=r"(hi2));
    } while (hi != hi2);
    return (unsigned long long)hi << 32 | lo;
}

static void print_extensions(void)
{
    char line[128];
    int len = format(line, sizeof line, "sbi: extensions");

    for (unsigned i = 0; i < sizeof extensions / sizeof extensions[0]; i++)
        if (sbi_probe_extension(extensions[i].eid))
            len += format(line + len, sizeof line - len, " %s", extensions[i].name);
    if (sbi_probe_extension(SBI_EXT_LEGACY_PUTCHAR))
        format(line + len, sizeof line - len, " LEGACY");
    print("%s\n", line);
}

/*
 * Misaligned loads and stores.  The asm makes sure each one really is a
 * single lw/lh/... (the compiler would otherwise split a misaligned access
 * into bytes).  Hardware may do them itself (QEMU 7.2 does) or trap to
 * M-mode, where the firmware/hypervisor emulates them: either way the guest
 * must see the right values.
 */
static int misaligned_ok(void)
{
    static unsigned char buf[16] __attribute__((aligned(4)));
    unsigned long v;
    int ok = 1;

    for (int i = 0; i < 16; i++)
        buf[i] = 0x80 + i;

    asm volatile("lw %0, 1(%1)" : "=r"(v) : "r"(buf) : "memory");
    ok &= v == 0x84838281;
    asm volatile("lh %0, 3(%1)" : "=r"(v) : "r"(buf) : "memory");
    ok &= v == 0xffff8483;                                  /* sign-extended */
    asm volatile("lhu %0, 5(%1)" : "=r"(v) : "r"(buf) : "memory");
    ok &= v == 0x8685;
    asm volatile("sw %0, 9(%1)" ::"r"(0x12345678), "r"(buf) : "memory");
    asm volatile("sh %0, 14(%1)" ::"r"(0xabcd), "r"(buf) : "memory");
    ok &= buf[8] == 0x88 && buf[9] == 0x78 && buf[10] == 0x56 && buf[11] == 0x34 &&
          buf[12] == 0x12 && buf[13] == 0x8d && buf[14] == 0xcd && buf[15] == 0xab;

    /* The compressed forms, which need registers x8..x15 (s0, s1, a0..a5). */
    register unsigned long value asm("a4");
    register unsigned char *base asm("a5") = buf + 2;       /* misaligned base */
    asm volatile(".option push\n\t.option rvc\n\t"
                 "c.lw %0, 0(%1)\n\t"
                 ".option pop"
                 : "=r"(value) : "r"(base) : "memory");
    ok &= value == 0x85848382;
    value = 0xcafef00d;
    asm volatile(".option push\n\t.option rvc\n\t"
                 "c.sw %0, 4(%1)\n\t"
                 ".option pop"
                 ::"r"(value), "r"(base) : "memory");
    ok &= buf[6] == 0x0d && buf[7] == 0xf0 && buf[8] == 0xfe && buf[9] == 0xca;
    return ok;
}

/* Start hart 1, let it print, wait until it has stopped again. */
static void run_hart1(void)
{
    struct sbiret r = sbi_hart_start(1, (unsigned long)secondary_entry,
                                     (unsigned long)&hart1_mailbox);
    if (r.error) {
        print("hsm: no hart 1 (%s)\n", sbi_error_name(r.error));
        return;
    }
    print("hsm: starting hart 1\n");
    /* Hart 1 is already running, but waits for this before it prints, so
     * the two harts' lines come out in a fixed order. */
    __atomic_store_n(&hart1_mailbox.go, 1, __ATOMIC_RELEASE);

    unsigned long spins = 0;
    while (!__atomic_load_n(&hart1_mailbox.done, __ATOMIC_ACQUIRE) && ++spins < WAIT_LIMIT)
        ;
    /* "done" is set just before hart_stop; wait until the SBI agrees. */
    while (spins < WAIT_LIMIT) {
        r = sbi_hart_get_status(1);
        if (r.error == SBI_SUCCESS && r.value == SBI_HART_STOPPED)
            break;
        spins++;
    }
    if (spins >= WAIT_LIMIT)
        print("hsm: hart 1 timed out\n");
    else
        print("hsm: hart 1 done\n");
}

void hello_main(unsigned long hartid, unsigned long dtb)
{
    struct sbiret r;
    (void)dtb;                                  /* hello does not need it */

    print("hello: hart %lu says hello\n", hartid);

    long spec = sbi_call(SBI_EXT_BASE, SBI_BASE_GET_SPEC_VERSION, 0, 0, 0).value;
    long impl = sbi_call(SBI_EXT_BASE, SBI_BASE_GET_IMPL_ID, 0, 0, 0).value;
    long version = sbi_call(SBI_EXT_BASE, SBI_BASE_GET_IMPL_VERSION, 0, 0, 0).value;
    print("sbi: spec %ld.%ld, implementation 0x%08lx version %ld\n",
          (spec >> 24) & 0x7f, spec & 0xffffff, impl, version);

    print_extensions();

    unsigned long long t0 = read_time();
    for (volatile int i = 0; i < 10000; i++)
        ;
    print("time: %s\n", read_time() > t0 ? "advancing" : "stuck");

    print("misaligned: %s\n", misaligned_ok() ? "ok" : "FAIL");

    r = sbi_call(0x0A1B2C3D, 0, 0, 0, 0);
    print("sbi: unknown extension -> %s\n", sbi_error_name(r.error));

    r = sbi_call(SBI_EXT_DBCN, 0, 4, 0x1000, 0);           /* 4 bytes at 0x1000: not RAM */
    print("sbi: dbcn outside RAM -> %s\n", sbi_error_name(r.error));

    run_hart1();

    print("bye\n");
    sbi_shutdown(SBI_SRST_REASON_NONE);         /* exit status 0 */
}

void secondary_main(unsigned long hartid, unsigned long opaque)
{
    struct mailbox *mb = (struct mailbox *)opaque;

    while (!__atomic_load_n(&mb->go, __ATOMIC_ACQUIRE))
        ;
    print("hart %lu: hello\n", hartid);
    __atomic_store_n(&mb->done, 1, __ATOMIC_RELEASE);
    sbi_hart_stop();
}

void unexpected_trap(unsigned long scause, unsigned long sepc, unsigned long stval)
{
    print("hello: unexpected trap scause=%08lx sepc=%08lx stval=%08lx\n", scause, sepc, stval);
    sbi_shutdown(SBI_SRST_REASON_FAILURE);      /* exit status 1 */
}
