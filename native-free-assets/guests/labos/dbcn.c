/*
 * dbcn.c -- console=dbcn: the SBI Debug Console extension, a paravirtual
 * console.  Instead of poking emulated UART registers byte by byte, the
 * kernel hands the hypervisor a whole buffer in one hypercall (one SBI exit),
 * by its *physical* address.
 *
 * Output: copied into a page-sized driver buffer and written with one
 * DBCN write per console_write() (a longer write is split per page).
 * Input: DBCN read has no interrupt, so it is polled: hart 0's timer tick
 * calls dbcn_poll() while a thread waits for a key (see timer.c).
 *
 * Before console_init() this is also the early console: it works on any
 * SBI with DBCN, and falls back to the legacy console_putchar call.
 */
#include "labos.h"

#define DBCN_WRITE 0
#define DBCN_READ  1

static char out_buf[PAGE_SIZE] NOINIT; /* guarded by console.c's output lock */
static char in_buf[64];             /* used by hart 0's tick only */

void dbcn_write(const char *buf, u32 len)
{
    while (len > 0) {
        u32 chunk = len < sizeof out_buf ? len : sizeof out_buf;
        memcpy(out_buf, buf, chunk);
        buf += chunk;
        len -= chunk;
        /* The hypervisor reads guest-physical memory: pass the physical address
         * (high half 0).  It may write less than asked; send the rest. */
        u32 done = 0;
        while (done < chunk) {
            struct sbiret r = sbi_call(SBI_EXT_DBCN, DBCN_WRITE, chunk - done,
                                       virt_to_phys(out_buf + done), 0);
            if (r.error) {
                for (; done < chunk; done++)    /* no DBCN: the legacy call, per byte */
                    sbi_call(SBI_EXT_LEGACY_PUTCHAR, 0, (u8)out_buf[done], 0, 0);
                break;
            }
            /* 0 bytes: the console is busy (its reader is behind); ask again. */
            done += r.value;
        }
    }
}

void dbcn_poll(void)
{
    u32 room = console_rx_room();
    if (room == 0)
        return;
    if (room > sizeof in_buf)
        room = sizeof in_buf;
    struct sbiret r = sbi_call(SBI_EXT_DBCN, DBCN_READ, room, virt_to_phys(in_buf), 0);
    if (r.error == 0 && r.value > 0)
        console_rx(in_buf, r.value);
}
