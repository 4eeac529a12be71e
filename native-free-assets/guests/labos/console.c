/*
 * console.c -- the console layer: what the rest of the kernel calls to print
 * and to read keys, whichever driver is underneath.
 *
 *   console=uart  uart.c: the emulated 16550.  Every register access is an
 *                 MMIO exit on a hypervisor (trap and emulate).
 *   console=dbcn  dbcn.c: the SBI debug console.  One hypercall moves a
 *                 whole buffer (paravirtual).
 *   console=virtio vconsole.c: the virtio console.  One chain (and at most
 *                 one kick) per write; input by interrupt (paravirtual).
 *
 * Output: console_write() sends a buffer through the driver while holding a
 * spinlock, so lines from different harts never interleave; kprintf() formats
 * a line first and then makes one console_write().
 * Input: the driver puts received bytes into a ring buffer (console_rx());
 * console_getc() takes them out, blocking the thread while the ring is empty.
 */
#include "virtio.h"

enum console_kind console_kind = CONSOLE_DBCN;  /* until console_init: works on any SBI */

static struct spinlock out_lock = SPINLOCK("console-out");
static struct spinlock in_lock = SPINLOCK("console-in");
static int panicking;

#define RING 256                    /* a power of two: indexes wrap with & */
static char ring[RING];
static u32 ring_head, ring_tail;    /* free-running: count = head - tail */
static volatile int reader_waiting;

void console_init(enum console_kind kind)
{
    console_kind = kind;
    spin_register(&out_lock);
    spin_register(&in_lock);
    if (kind == CONSOLE_UART)
        uart_init();
}

void console_write(const char *buf, u32 len)
{
    unsigned long flags = 0;
    if (!panicking)
        flags = spin_lock_irqsave(&out_lock);
    if (console_kind == CONSOLE_UART)
        uart_write(buf, len);
    else if (console_kind == CONSOLE_VIRTIO && !panicking)
        vconsole_write(buf, len);
    else
        dbcn_write(buf, len);               /* (a panic never trusts the rings) */
    if (!panicking)
        spin_unlock_irqrestore(&out_lock, flags);
}

/* The virtio console stopped (DEVICE_NEEDS_RESET): fall back to the SBI. */
void console_device_lost(void)
{
    if (console_kind == CONSOLE_VIRTIO)
        console_kind = CONSOLE_DBCN;
}

/* Before power-off: output still queued in a device goes out first. */
void console_flush(void)
{
    if (console_kind == CONSOLE_VIRTIO)
        vconsole_flush();
}

/* A panic may happen while this hart holds out_lock: print regardless. */
void console_panic_mode(void) { panicking = 1; }

void kputs(const char *s) { console_write(s, strlen(s)); }

void kprintf(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vformat(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof buf - 1)
        n = sizeof buf - 1;         /* longer lines are cut; print long strings with kputs */
    console_write(buf, n);
}

/* --- input ---------------------------------------------------------- */

u32 console_rx_room(void) { return RING - (ring_head - ring_tail); }
int console_reader_waiting(void) { return reader_waiting; }

/* Called by a driver (interrupt handler or poll) with new bytes.  The driver
 * asks console_rx_room() first and never gives more than fits. */
void console_rx(const char *buf, u32 n)
{
    unsigned long flags = spin_lock_irqsave(&in_lock);
    for (u32 i = 0; i < n && ring_head - ring_tail < RING; i++)
        ring[ring_head++ & (RING - 1)] = buf[i];
    if (reader_waiting)
        thread_wakeup(ring);
    spin_unlock_irqrestore(&in_lock, flags);
}

int console_getc(void)
{
    unsigned long flags = spin_lock_irqsave(&in_lock);
    while (ring_head == ring_tail) {
        reader_waiting = 1;
        thread_block(ring, &in_lock);           /* sleeps; in_lock is held again after */
    }
    reader_waiting = 0;
    int c = (u8)ring[ring_tail++ & (RING - 1)];
    spin_unlock_irqrestore(&in_lock, flags);
    if (console_kind == CONSOLE_UART)
        uart_rx_resume();                       /* room again: let the UART interrupt */
    else if (console_kind == CONSOLE_VIRTIO)
        vconsole_rx_resume();                   /* room again: the rest of a buffer */
    return c;
}
