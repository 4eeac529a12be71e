/*
 * vconsole.c -- console=virtio: the virtio console (device id 3), port 0
 * only (no MULTIPORT): queue 0 is the receiveq, queue 1 the transmitq.
 *
 * Output: one chain per console write.  The bytes are copied into the
 * transmit buffers (descriptor i owns the 128-byte block i: a line takes one
 * or two, a write of up to 4 KiB a chain of up to 32), the chain goes into
 * the available ring and the device is notified: one kick per write, unless the device
 * said it does not need one (used.flags NO_NOTIFY, or avail_event with
 * EVENT_IDX).  Transmit completions raise no interrupt (used_event is kept
 * behind us, or NO_INTERRUPT without EVENT_IDX): a write takes back the
 * finished chains itself, and only waits if the ring is full.
 *
 * Input: 16 receive buffers of 64 bytes are posted up front; the device
 * fills them as keys arrive and interrupts.  The handler moves the bytes
 * into the console ring (console_rx); if the ring is full it keeps the rest
 * of that buffer until the reader makes room (vconsole_rx_resume), as the
 * UART driver stops its interrupt.  Used buffers go back to the device in
 * groups of min(batch, 8), so refilling rarely costs a kick.
 *
 * All memory is static (rings and buffers in .bss): the console comes up
 * before the page allocator, and `mem` shows the same pages whatever the
 * console.  Until then the early console is SBI DBCN, as for the others.
 */
#include "virtio.h"

#define RXN   16                    /* receive buffers */
#define RXB   64                    /* bytes each */
#define TXN   64                    /* transmit descriptors */
#define BLOCK 128                   /* bytes per transmit descriptor */
#define CHAIN_MAX 32                /* blocks per chain: writes up to 4 KiB in one chain */

static struct virtio_dev *dev;
static struct virtq rxq, txq;
static u8 rx_ring[512] __attribute__((aligned(16))) NOINIT;  /* virtq_setup clears them */
static u8 tx_ring[2048] __attribute__((aligned(16))) NOINIT;
static char rx_buf[RXN][RXB] NOINIT;                            /* written before read */
static char tx_block[TXN][BLOCK] NOINIT;
static struct spinlock rx_lock = SPINLOCK("vcon-rx");
static int pend_head = -1;          /* a used receive buffer not yet all delivered */
static u32 pend_off, pend_len, unposted;

struct virtio_dev *vconsole_dev(void) { return dev; }

static void vcon_irq(struct virtio_dev *d, u32 isr);

int vconsole_init(void)
{
    struct virtio_dev *d = virtio_find(VIRTIO_ID_CONSOLE);
    if (!d)
        return -1;
    if (virtio_start(d, "console", 0) != 0 ||
        virtq_setup(d, &rxq, 0, RXN, rx_ring, sizeof rx_ring) != 0 ||
        virtq_setup(d, &txq, 1, TXN, tx_ring, sizeof tx_ring) != 0)
        return -1;
    for (u32 k = 0; k < rxq.num; k++) {
        int i = virtq_desc_alloc(&rxq);         /* a fresh queue gives 0, 1, 2, ... */
        virtq_desc_set(&rxq, i, rx_buf[i], RXB, VIRTQ_DESC_F_WRITE, 0);
        virtq_submit(&rxq, i);
    }
    virtq_irq_off(&txq);
    virtq_irq_on(&rxq, 0);
    virtio_driver_ok(d);
    dev = d;
    virtq_publish(&rxq);                        /* no notifications before DRIVER_OK */
    return d->broken ? -1 : 0;
}

static void tx_reclaim(void)
{
    while (virtq_get(&txq, NULL, 0) >= 0)
        ;
}

/* console.c holds its output lock (interrupts off) around this. */
void vconsole_write(const char *buf, u32 len)
{
    while (len > 0) {
        if (dev->broken) {
            dbcn_write(buf, len);
            return;
        }
        u32 chunk = len < CHAIN_MAX * BLOCK ? len : CHAIN_MAX * BLOCK;
        u32 k = (chunk + BLOCK - 1) / BLOCK;
        if (k > txq.num)
            k = txq.num, chunk = k * BLOCK;
        tx_reclaim();
        for (u32 spin = 1; txq.num_free < k; spin++) {
            tx_reclaim();                       /* the device is behind: wait for it */
            if ((spin & 0xfffff) == 0 && virtio_check(dev) < 0)
                break;
        }
        if (dev->broken)
            continue;
        int idx[CHAIN_MAX];
        for (u32 j = 0; j < k; j++)
            idx[j] = virtq_desc_alloc(&txq);
        for (u32 j = 0, off = 0; j < k; j++, off += BLOCK) {
            u32 n = chunk - off < BLOCK ? chunk - off : BLOCK;
            memcpy(tx_block[idx[j]], buf + off, n);
            virtq_desc_set(&txq, idx[j], tx_block[idx[j]], n,
                           j + 1 < k ? VIRTQ_DESC_F_NEXT : 0, j + 1 < k ? idx[j + 1] : 0);
        }
        virtq_submit(&txq, idx[0]);
        virtq_publish(&txq);
        buf += chunk;
        len -= chunk;
    }
}

/* Wait (bounded) until the device has taken every chain: before power-off. */
void vconsole_flush(void)
{
    if (!dev || dev->broken)
        return;
    for (u32 spin = 0; txq.num_free < txq.num && spin < 50000000; spin++)
        tx_reclaim();
}

/* rx_lock held, interrupts off. */
static void rx_process(void)
{
    u32 group = virtio_batch < RXN / 2 ? virtio_batch : RXN / 2;
    for (;;) {
        if (pend_head < 0) {
            u32 len;
            int h = virtq_get(&rxq, &len, 1);  /* keep: buffer i stays with descriptor i */
            if (h < 0) {
                if (virtq_irq_on(&rxq, 0))
                    continue;                   /* one slipped in */
                break;
            }
            pend_head = h;
            pend_off = 0;
            pend_len = len > RXB ? RXB : len;
        }
        u32 room = console_rx_room(), n = pend_len - pend_off;
        if (n > room)
            n = room;
        if (n) {
            console_rx(rx_buf[pend_head] + pend_off, n);
            pend_off += n;
        }
        if (pend_off < pend_len)
            break;                              /* ring full: the reader will call us */
        virtq_submit(&rxq, pend_head);
        pend_head = -1;
        if (++unposted >= group) {
            virtq_publish(&rxq);
            unposted = 0;
        }
    }
}

static void vcon_irq(struct virtio_dev *d, u32 isr)
{
    (void)d;
    if (isr & VIRTIO_INT_USED) {
        spin_lock(&rx_lock);
        rx_process();
        spin_unlock(&rx_lock);
    }
}

void vconsole_start_input(void)
{
    spin_register(&rx_lock);
    virtio_enable_irq(dev, vcon_irq);
    unsigned long flags = spin_lock_irqsave(&rx_lock);
    rx_process();                               /* keys that came before the interrupt */
    spin_unlock_irqrestore(&rx_lock, flags);
}

/* The reader took bytes: deliver what we held back. */
void vconsole_rx_resume(void)
{
    if (pend_head < 0)
        return;
    unsigned long flags = spin_lock_irqsave(&rx_lock);
    rx_process();
    spin_unlock_irqrestore(&rx_lock, flags);
}

void vconsole_info(void)
{
    kprintf("console: virtio (%s, irq %u): one chain per write, interrupt input, "
            "event_idx %s\n", dev->name, dev->irq, dev->event_idx ? "on" : "off");
}
