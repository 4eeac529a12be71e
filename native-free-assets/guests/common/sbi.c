/* sbi.c -- the ecall wrapper and a few helpers (see sbi.h). */
#include "sbi.h"

struct sbiret sbi_call(unsigned long eid, unsigned long fid, unsigned long arg0,
                       unsigned long arg1, unsigned long arg2)
{
    /* Pin each value to the register the calling convention wants. */
    register unsigned long a0 asm("a0") = arg0;
    register unsigned long a1 asm("a1") = arg1;
    register unsigned long a2 asm("a2") = arg2;
    register unsigned long a6 asm("a6") = fid;
    register unsigned long a7 asm("a7") = eid;

    /* "memory": the callee may read or write our buffers. */
    asm volatile("ecall" : "+r"(a0), "+r"(a1) : "r"(a2), "r"(a6), "r"(a7) : "memory");

    struct sbiret ret = { (long)a0, (long)a1 };
    return ret;
}

const char *sbi_error_name(long error)
{
    static const char *const names[] = {
        "SUCCESS", "FAILED", "NOT_SUPPORTED", "INVALID_PARAM", "DENIED",
        "INVALID_ADDRESS", "ALREADY_AVAILABLE", "ALREADY_STARTED",
        "ALREADY_STOPPED", "NO_SHMEM", "INVALID_STATE", "BAD_RANGE",
    };
    if (error <= 0 && -error < (long)(sizeof names / sizeof names[0]))
        return names[-error];
    return "UNKNOWN_ERROR";
}

long sbi_probe_extension(unsigned long eid)
{
    struct sbiret r = sbi_call(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, eid, 0, 0);
    return r.error ? 0 : r.value;
}

/* DBCN write takes a physical address (low and high halves).  The guests
 * run with paging off, so a pointer is its own physical address. */
struct sbiret sbi_debug_console_write(const void *phys_buf, unsigned long len)
{
    return sbi_call(SBI_EXT_DBCN, 0, len, (unsigned long)phys_buf, 0);
}

struct sbiret sbi_hart_start(unsigned long hartid, unsigned long start_addr,
                             unsigned long opaque)
{
    return sbi_call(SBI_EXT_HSM, 0, hartid, start_addr, opaque);
}

void sbi_hart_stop(void)
{
    sbi_call(SBI_EXT_HSM, 1, 0, 0, 0);
    for (;;)                                    /* only reached if the call failed */
        asm volatile("wfi");
}

struct sbiret sbi_hart_get_status(unsigned long hartid)
{
    return sbi_call(SBI_EXT_HSM, 2, hartid, 0, 0);
}

void sbi_shutdown(unsigned long reason)
{
    sbi_call(SBI_EXT_SRST, 0, SBI_SRST_SHUTDOWN, reason, 0);
    for (;;)                                    /* only reached if the call failed */
        asm volatile("wfi");
}
