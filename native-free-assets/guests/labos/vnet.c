/*
 * vnet.c -- the virtio-net driver (device id 1): queue 0 receives, queue 1
 * transmits; features VERSION_1, MAC (config mac at 0), STATUS (config
 * status at 6, LINK_UP), MTU (config mtu at 10), and RING_EVENT_IDX unless
 * event_idx=0.  Every frame, both ways, follows a 12-byte virtio_net_hdr
 * (all zero on transmit: no offloads).
 *
 * Receive: 128 buffers of 2 KiB (descriptor i owns buffer i) are posted up
 * front.  The interrupt handler (or poll()) takes the used ones, gives each
 * frame to net_input() and offers the buffers again, publishing them once
 * per pass: a kick only if the device asked for one (hvlab's never does,
 * it takes receive buffers as frames arrive).
 *
 * Transmit: each frame is copied behind a zero header into the 2 KiB buffer
 * of a free descriptor and offered; flush() publishes what is queued with
 * one index update and at most one kick, so BATCH frames cost one kick.
 * Finished transmit chains raise no interrupt (NO_INTERRUPT, or used_event
 * kept behind with EVENT_IDX): they are taken back when a frame is queued.
 *
 * Receive interrupts: normally after every frame (used_event = the next
 * entry).  While netflood runs, with EVENT_IDX, only when half the receive
 * ring has filled without us looking (used_event = last seen + 64), because
 * the flood loop polls the ring after each batch anyway; without EVENT_IDX
 * the driver can only say all or nothing, and keeps them on.
 */
#include "net.h"
#include "virtio.h"

#define VNET_F_MTU    3
#define VNET_F_MAC    5
#define VNET_F_STATUS 16
#define HDR   12                    /* struct virtio_net_hdr (VERSION_1) */
#define BUF   2048
#define RXN   128
#define TXN   128

static struct virtio_dev *dev;
static struct virtq rxq, txq;
static u8 *rx_bufs, *tx_bufs;
static struct spinlock rx_lock = SPINLOCK("vnet-rx");
static struct spinlock tx_lock = SPINLOCK("vnet-tx");
static int flooding;
static struct netif nif;

static int vnet_link_up(void)
{
    if (!virtio_has(dev, VNET_F_STATUS))
        return 1;
    return virtio_cfg16(dev, 6) & 1;
}

static int vnet_broken(void) { return dev->broken; }

/* tx_lock held. */
static void tx_reclaim(void)
{
    while (virtq_get(&txq, NULL, 0) >= 0)
        ;
}

static int vnet_xmit(const void *frame, u32 len)
{
    if (len > BUF - HDR || dev->broken)
        return -1;
    unsigned long flags = spin_lock_irqsave(&tx_lock);
    if (txq.num_free == 0)
        tx_reclaim();
    int i = virtq_desc_alloc(&txq);
    if (i >= 0) {
        u8 *b = tx_bufs + i * BUF;
        memset(b, 0, HDR);
        memcpy(b + HDR, frame, len);
        virtq_desc_set(&txq, i, b, HDR + len, 0, 0);
        virtq_submit(&txq, i);
        nif.tx_packets++;
        nif.tx_bytes += len;
    }
    spin_unlock_irqrestore(&tx_lock, flags);
    return i >= 0 ? 0 : -1;
}

static u32 vnet_flush(void)
{
    unsigned long flags = spin_lock_irqsave(&tx_lock);
    u32 k = virtq_publish(&txq);
    nif.kicks += k;
    spin_unlock_irqrestore(&tx_lock, flags);
    return k;
}

static void vnet_tx_wait(void)
{
    for (u32 spin = 1; !dev->broken; spin++) {
        unsigned long flags = spin_lock_irqsave(&tx_lock);
        tx_reclaim();
        u32 free = txq.num_free;
        spin_unlock_irqrestore(&tx_lock, flags);
        if (free)
            return;
        if ((spin & 0xfffff) == 0 && virtio_check(dev) < 0)
            return;
    }
}

/* rx_lock held, interrupts off. */
static void rx_poll(void)
{
    for (;;) {
        u32 len;
        int h = virtq_get(&rxq, &len, 1);
        if (h < 0) {
            u16 delay = flooding && dev->event_idx ? rxq.num / 2 : 0;
            if (virtq_irq_on(&rxq, delay))
                continue;                       /* one slipped in meanwhile */
            break;
        }
        if (len >= HDR + ETH_HLEN && len <= BUF) {
            nif.rx_packets++;
            nif.rx_bytes += len - HDR;
            net_input(&nif, rx_bufs + h * BUF + HDR, len - HDR);
        } else {
            nif.rx_drops++;                     /* (the device counts frames it had no room for) */
        }
        virtq_submit(&rxq, h);                  /* the same buffer goes back */
    }
    virtq_publish(&rxq);
}

static void vnet_poll(void)
{
    unsigned long flags = spin_lock_irqsave(&rx_lock);
    rx_poll();
    spin_unlock_irqrestore(&rx_lock, flags);
    flags = spin_lock_irqsave(&tx_lock);
    tx_reclaim();
    spin_unlock_irqrestore(&tx_lock, flags);
}

static void vnet_flood(int on)
{
    unsigned long flags = spin_lock_irqsave(&rx_lock);
    flooding = on;
    virtq_irq_on(&rxq, on && dev->event_idx ? rxq.num / 2 : 0);
    spin_unlock_irqrestore(&rx_lock, flags);
    if (!on)
        vnet_poll();
}

static void vnet_irq(struct virtio_dev *d, u32 isr)
{
    (void)d;
    nif.interrupts++;
    if (isr & VIRTIO_INT_USED) {
        spin_lock(&rx_lock);
        rx_poll();
        spin_unlock(&rx_lock);
        spin_lock(&tx_lock);
        tx_reclaim();
        spin_unlock(&tx_lock);
    }
    /* VIRTIO_INT_CONFIG: the link changed; `net` reads it when asked. */
}

void vnet_init(void)
{
    struct virtio_dev *d = virtio_find(VIRTIO_ID_NET);
    if (!d)
        return;
    if (virtio_start(d, "net", 1u << VNET_F_MAC | 1u << VNET_F_STATUS | 1u << VNET_F_MTU) != 0)
        return;
    void *rx_ring = page_alloc(), *tx_ring = page_alloc();
    rx_bufs = pages_alloc(RXN * BUF / PAGE_SIZE);
    tx_bufs = pages_alloc(TXN * BUF / PAGE_SIZE);
    if (!rx_ring || !tx_ring || !rx_bufs || !tx_bufs) {
        virtio_fail(d, "out of memory");
        return;
    }
    if (virtq_setup(d, &rxq, 0, RXN, rx_ring, PAGE_SIZE) != 0 ||
        virtq_setup(d, &txq, 1, TXN, tx_ring, PAGE_SIZE) != 0)
        return;
    for (u32 k = 0; k < rxq.num; k++) {
        int i = virtq_desc_alloc(&rxq);
        virtq_desc_set(&rxq, i, rx_bufs + i * BUF, BUF, VIRTQ_DESC_F_WRITE, 0);
        virtq_submit(&rxq, i);
    }
    virtq_irq_off(&txq);
    virtq_irq_on(&rxq, 0);
    dev = d;
    nif.kind = "virtio";
    nif.node = d->name;
    nif.irq = d->irq;
    nif.event_idx = d->event_idx;
    static const u8 fallback[6] = { 0x52, 0x54, 0x00, 0x4c, 0x42, 0x01 };
    for (int i = 0; i < 6; i++)
        nif.mac[i] = virtio_has(d, VNET_F_MAC) ? virtio_cfg8(d, i) : fallback[i];
    nif.mtu = 1500;
    if (virtio_has(d, VNET_F_MTU)) {
        u32 mtu = virtio_cfg16(d, 10);
        if (mtu >= 68 && mtu < nif.mtu)
            nif.mtu = mtu;                      /* (our buffers hold 1500 at most) */
    }
    nif.link_up = vnet_link_up;
    nif.xmit = vnet_xmit;
    nif.flush = vnet_flush;
    nif.poll = vnet_poll;
    nif.tx_wait = vnet_tx_wait;
    nif.flood = vnet_flood;
    nif.broken = vnet_broken;
    spin_register(&rx_lock);
    spin_register(&tx_lock);
    virtio_enable_irq(d, vnet_irq);
    virtio_driver_ok(d);
    virtq_publish(&rxq);
    if (!d->broken)
        net_register(&nif);
}
