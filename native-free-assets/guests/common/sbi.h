/*
 * sbi.h -- calling the SBI (the supervisor binary interface) from an S-mode
 * guest.  The guest never touches a device: it asks the firmware (QEMU +
 * hvlab's fw.elf) or hvlab's hypervisor to do it, with an ecall.
 *
 * Calling convention (SBI v2.0): a7 = extension ID (EID), a6 = function ID
 * (FID), a0..a5 = arguments; the call returns an error code in a0 and a
 * value in a1.  Every other register is preserved.
 */
#ifndef SBI_H
#define SBI_H

struct sbiret {
    long error;     /* SBI_SUCCESS or one of the SBI_ERR_* below */
    long value;
};

/* The one primitive: ecall with up to three arguments. */
struct sbiret sbi_call(unsigned long eid, unsigned long fid, unsigned long arg0,
                       unsigned long arg1, unsigned long arg2);

/* Extension IDs */
#define SBI_EXT_LEGACY_PUTCHAR 0x01
#define SBI_EXT_BASE    0x10
#define SBI_EXT_TIME    0x54494D45
#define SBI_EXT_IPI     0x735049
#define SBI_EXT_RFENCE  0x52464E43
#define SBI_EXT_HSM     0x48534D
#define SBI_EXT_SRST    0x53525354
#define SBI_EXT_PMU     0x504D55
#define SBI_EXT_DBCN    0x4442434E
#define SBI_EXT_SUSP    0x53555350
#define SBI_EXT_STA     0x535441

/* BASE functions */
#define SBI_BASE_GET_SPEC_VERSION  0
#define SBI_BASE_GET_IMPL_ID       1
#define SBI_BASE_GET_IMPL_VERSION  2
#define SBI_BASE_PROBE_EXTENSION   3

/* HSM hart states (hart_get_status) */
#define SBI_HART_STARTED        0
#define SBI_HART_STOPPED        1
#define SBI_HART_START_PENDING  2

/* SRST */
#define SBI_SRST_SHUTDOWN        0
#define SBI_SRST_REASON_NONE     0  /* exit status 0 */
#define SBI_SRST_REASON_FAILURE  1  /* exit status 1 */
#define SBI_SRST_REASON_EXIT(n)  (0xF0000000UL | ((n) & 0xFFFF))  /* hvlab: exit status n */

/* Error codes */
#define SBI_SUCCESS                0
#define SBI_ERR_FAILED            -1
#define SBI_ERR_NOT_SUPPORTED     -2
#define SBI_ERR_INVALID_PARAM     -3
#define SBI_ERR_DENIED            -4
#define SBI_ERR_INVALID_ADDRESS   -5
#define SBI_ERR_ALREADY_AVAILABLE -6
#define SBI_ERR_ALREADY_STARTED   -7
#define SBI_ERR_ALREADY_STOPPED   -8
#define SBI_ERR_NO_SHMEM          -9
#define SBI_ERR_INVALID_STATE     -10
#define SBI_ERR_BAD_RANGE         -11

/* "NOT_SUPPORTED" for -2 and so on; "SUCCESS" for 0. */
const char *sbi_error_name(long error);

/* Thin wrappers for the calls the guests use. */
long sbi_probe_extension(unsigned long eid);     /* 0 = absent */
struct sbiret sbi_debug_console_write(const void *phys_buf, unsigned long len);
struct sbiret sbi_hart_start(unsigned long hartid, unsigned long start_addr,
                             unsigned long opaque);
struct sbiret sbi_hart_get_status(unsigned long hartid);
void sbi_hart_stop(void) __attribute__((noreturn));
void sbi_shutdown(unsigned long reason) __attribute__((noreturn));

#endif
