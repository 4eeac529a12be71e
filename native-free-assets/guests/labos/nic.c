/*
 * nic.c -- the emulated NIC: hvlab's register subset of Intel's 8254x
 * (e1000), DTB node compatible "hvlab,e1000" (hvlab only: QEMU's e1000 is a
 * PCI device, so there labos has no nic).  It is the trap-and-emulate twin of
 * virtio-net: the driver talks to it register by register, and every
 * register access is an MMIO exit.
 *
 * Rings of legacy 16-byte descriptors in RAM, 64 each way, with a 2 KiB
 * buffer per descriptor:
 *   TX {addr u64, length u16, cso u8, cmd u8 (EOP|RS|IFCS), status u8 (DD), ...}
 *   RX {addr u64, length u16, csum u16, status u8 (DD, EOP), errors u8, ...}
 * The NIC owns the descriptors from its head (TDH/RDH) up to, not including,
 * the tail (TDT/RDT) the driver writes.
 *
 * Written the way a classic e1000 driver works, per packet:
 *   send:       fill the next TX descriptor, write TDT          1 exit
 *   interrupt:  read ICR (which also clears it: the line drops) 1 exit
 *               clean finished TX descriptors (memory only)
 *               take received frames, offer the buffers again,
 *               write RDT once                                  1 exit
 *               write IMS: interrupts on again, as the classic
 *               driver does at the end of its interrupt work   1 exit
 * about four exits a packet (plus the PLIC's claim and complete).  The
 * classic driver has no batching: every frame gets its own TDT write, so
 * netflood's BATCH (a virtio knob) does not change this path.
 */
#include "dtb.h"
#include "net.h"

#define CTRL   0x0000
#define STATUS 0x0008
#define ICR    0x00C0
#define ITR    0x00C4
#define IMS    0x00D0
#define IMC    0x00D8
#define RCTL   0x0100
#define TCTL   0x0400
#define RDBAL  0x2800
#define RDBAH  0x2804
#define RDLEN  0x2808
#define RDH    0x2810
#define RDT    0x2818
#define TDBAL  0x3800
#define TDBAH  0x3804
#define TDLEN  0x3808
#define TDH    0x3810
#define TDT    0x3818
#define RAL0   0x5400
#define RAH0   0x5404

#define CTRL_RST   (1u << 26)
#define STATUS_LU  0x02
#define ICR_TXDW   0x01
#define ICR_LSC    0x04
#define ICR_RXO    0x40
#define ICR_RXT0   0x80
#define RCTL_EN    0x02
#define RCTL_BAM   (1u << 15)       /* accept broadcast */
#define RCTL_SECRC (1u << 26)       /* strip the FCS */
#define TCTL_EN    0x02
#define TCTL_PSP   0x08             /* pad short packets */
#define CMD_EOP    0x01
#define CMD_IFCS   0x02
#define CMD_RS     0x08
#define DD         0x01

#define N   64                      /* descriptors per ring */
#define BUF 2048
#define IRQ_MASK (ICR_TXDW | ICR_RXT0 | ICR_RXO | ICR_LSC)

struct txd {
    u64 addr;
    u16 length;
    u8 cso, cmd, status, css;
    u16 special;
};
struct rxd {
    u64 addr;
    u16 length, csum;
    u8 status, errors;
    u16 special;
};

static volatile u32 *regs;
static volatile struct txd *tx;
static volatile struct rxd *rx;
static u8 *tx_bufs, *rx_bufs;
static u32 tx_tail, tx_written, tx_clean; /* next to fill, last TDT written, oldest unfinished */
static u32 rx_next;                       /* next descriptor the NIC fills */
static struct spinlock tx_lock = SPINLOCK("nic-tx");
static struct spinlock rx_lock = SPINLOCK("nic-rx");
static struct netif nif;

#define REG(off) regs[(off) / 4]

static int nic_link_up(void) { return (REG(STATUS) & STATUS_LU) != 0; }
static int nic_broken(void) { return 0; }

/* tx_lock held: descriptors the NIC has written back (DD) are free again. */
static void tx_reclaim(void)
{
    while (tx_clean != tx_tail && (tx[tx_clean].status & DD))
        tx_clean = (tx_clean + 1) % N;
}

static u32 nic_flush(void);

static int nic_xmit(const void *frame, u32 len)
{
    if (len > BUF)
        return -1;
    unsigned long flags = spin_lock_irqsave(&tx_lock);
    if ((tx_tail + 1) % N == tx_clean)
        tx_reclaim();
    int ok = (tx_tail + 1) % N != tx_clean;     /* one slot stays empty: full != empty */
    if (ok) {
        u8 *b = tx_bufs + tx_tail * BUF;
        memcpy(b, frame, len);
        volatile struct txd *d = &tx[tx_tail];
        d->addr = virt_to_phys(b);
        d->length = len;
        d->cso = d->css = 0;
        d->special = 0;
        d->status = 0;
        d->cmd = CMD_EOP | CMD_IFCS | CMD_RS;
        tx_tail = (tx_tail + 1) % N;
        nif.tx_packets++;
        nif.tx_bytes += len;
    }
    spin_unlock_irqrestore(&tx_lock, flags);
    if (ok)
        nic_flush();                            /* the classic driver: TDT per frame */
    return ok ? 0 : -1;
}

/* The tail write that sends: one exit for everything queued since the last. */
static u32 nic_flush(void)
{
    unsigned long flags = spin_lock_irqsave(&tx_lock);
    u32 k = 0;
    if (tx_written != tx_tail) {
        mb();
        REG(TDT) = tx_tail;
        tx_written = tx_tail;
        nif.kicks++;
        k = 1;
    }
    spin_unlock_irqrestore(&tx_lock, flags);
    return k;
}

static void nic_tx_wait(void)
{
    for (u32 spin = 0; spin < 100000000; spin++) {
        unsigned long flags = spin_lock_irqsave(&tx_lock);
        tx_reclaim();
        int room = (tx_tail + 1) % N != tx_clean;
        spin_unlock_irqrestore(&tx_lock, flags);
        if (room)
            return;
    }
}

/* rx_lock held: take the filled descriptors, give them back with one RDT write. */
static void rx_process(void)
{
    int last = -1;
    for (u32 n = 0; n < N && (rx[rx_next].status & DD); n++) {
        volatile struct rxd *d = &rx[rx_next];
        u32 len = d->length;
        if (d->errors || len < ETH_HLEN || len > BUF) {
            nif.rx_drops++;
        } else {
            nif.rx_packets++;
            nif.rx_bytes += len;
            net_input(&nif, rx_bufs + rx_next * BUF, len);
        }
        d->status = 0;
        last = rx_next;
        rx_next = (rx_next + 1) % N;
    }
    if (last >= 0) {
        mb();
        REG(RDT) = last;                        /* the NIC may fill up to, not including, it */
    }
}

static void nic_irq(void *arg)
{
    (void)arg;
    u32 icr = REG(ICR);                         /* read clears: the line drops */
    if (!(icr & IRQ_MASK))
        return;
    nif.interrupts++;
    spin_lock(&tx_lock);
    tx_reclaim();
    spin_unlock(&tx_lock);
    if (icr & (ICR_RXT0 | ICR_RXO)) {
        spin_lock(&rx_lock);
        rx_process();
        spin_unlock(&rx_lock);
    }
    if (icr & ICR_RXO)
        nif.rx_drops++;                         /* at least one: no descriptor was free */
    REG(IMS) = IRQ_MASK;                        /* interrupts on again */
}

static void nic_poll(void)
{
    unsigned long flags = spin_lock_irqsave(&tx_lock);
    tx_reclaim();
    spin_unlock_irqrestore(&tx_lock, flags);
}

static void nic_flood(int on) { (void)on; }     /* the classic driver has no other mode */

void nic_init(void)
{
    int node = dtb_find_compatible("hvlab,e1000");
    u32 base, size, irq = 0;
    if (node < 0 || dtb_reg(node, 0, &base, &size) != 0 || size < 0x6000)
        return;
    dtb_irq(node, &irq);
    regs = (volatile u32 *)base;
    u8 *rings = page_alloc_zeroed();
    tx_bufs = pages_alloc(N * BUF / PAGE_SIZE);
    rx_bufs = pages_alloc(N * BUF / PAGE_SIZE);
    if (!rings || !tx_bufs || !rx_bufs) {
        warn("warning: nic: out of memory, not used\n");
        return;
    }
    tx = (volatile struct txd *)rings;
    rx = (volatile struct rxd *)(rings + N * 16);

    REG(CTRL) = CTRL_RST;                       /* reset; the bit clears itself */
    for (u32 spin = 0; (REG(CTRL) & CTRL_RST) && spin < 1000000; spin++)
        ;
    REG(IMC) = 0xffffffffu;
    (void)REG(ICR);
    u32 ral = REG(RAL0), rah = REG(RAH0);
    for (int i = 0; i < 4; i++)
        nif.mac[i] = ral >> (8 * i);
    nif.mac[4] = rah;
    nif.mac[5] = rah >> 8;

    for (u32 i = 0; i < N; i++) {
        rx[i].addr = virt_to_phys(rx_bufs + i * BUF);
        rx[i].status = 0;
    }
    REG(RDBAL) = virt_to_phys((void *)rx);
    REG(RDBAH) = 0;
    REG(RDLEN) = N * 16;
    REG(RDH) = 0;
    REG(RDT) = N - 1;                           /* all but one buffer to the NIC */
    REG(TDBAL) = virt_to_phys((void *)tx);
    REG(TDBAH) = 0;
    REG(TDLEN) = N * 16;
    REG(TDH) = 0;
    REG(TDT) = 0;
    REG(ITR) = 0;                               /* one interrupt per event */
    REG(RCTL) = RCTL_EN | RCTL_BAM | RCTL_SECRC; /* 2 KiB buffers (BSIZE 0) */
    REG(TCTL) = TCTL_EN | TCTL_PSP;

    nif.kind = "nic";
    nif.node = dtb_node_name(node);
    nif.irq = irq;
    nif.mtu = 1500;
    nif.link_up = nic_link_up;
    nif.xmit = nic_xmit;
    nif.flush = nic_flush;
    nif.poll = nic_poll;
    nif.tx_wait = nic_tx_wait;
    nif.flood = nic_flood;
    nif.broken = nic_broken;
    spin_register(&tx_lock);
    spin_register(&rx_lock);
    if (irq)
        plic_enable(irq, 0, nic_irq, NULL);
    else
        warn("warning: nic: no interrupt in the DTB\n");
    REG(IMS) = IRQ_MASK;
    net_register(&nif);
}
