/*
 * virtio.c -- the virtio-mmio version 2 driver core (see virtio.h).
 *
 * Probing: every DTB node compatible "virtio,mmio" is a slot: reg (one 4 KiB
 * register window) and interrupts (its PLIC source).  MagicValue must read
 * 0x74726976 ("virt"), Version 2, and DeviceID 0 means an empty slot.  The
 * slots are never assumed: QEMU fills them from the highest address down,
 * hvlab from the lowest up.  A Version 1 (legacy) device with an ID is
 * reported once and left alone (QEMU makes them unless told
 * -global virtio-mmio.force-legacy=false).
 *
 * Handshake (virtio 1.x, 3.1.1): Status 0 (reset), ACKNOWLEDGE, DRIVER, read
 * the 64 feature bits, write the subset we take (VERSION_1 is required),
 * FEATURES_OK and read it back (a device that does not like the subset
 * leaves it clear), set up the queues, DRIVER_OK.
 *
 * Notifications, both ways, can be suppressed.  Without EVENT_IDX, with one
 * flag each: the driver sets avail.flags NO_INTERRUPT ("do not interrupt
 * me"), the device sets used.flags NO_NOTIFY ("do not kick me").  With
 * VIRTIO_F_RING_EVENT_IDX (negotiated unless event_idx=0) each side instead
 * names the index at which it wants to hear again: used_event (after the
 * available ring: interrupt me when you have used that entry) and
 * avail_event (after the used ring: kick me when you offer that entry).
 * Whoever moves an index from old to new signals iff the other side's event
 * index is in [old, new):  (u16)(new - event - 1) < (u16)(new - old).
 */
#include "dtb.h"
#include "virtio.h"

/* Registers (byte offsets in the slot). */
#define MAGIC        0x000
#define VERSION      0x004
#define DEVICE_ID    0x008
#define DEV_FEAT     0x010
#define DEV_FEAT_SEL 0x014
#define DRV_FEAT     0x020
#define DRV_FEAT_SEL 0x024
#define QUEUE_SEL    0x030
#define QUEUE_NUM_MAX 0x034
#define QUEUE_NUM    0x038
#define QUEUE_READY  0x044
#define QUEUE_NOTIFY 0x050
#define INT_STATUS   0x060
#define INT_ACK      0x064
#define STATUS       0x070
#define QUEUE_DESC   0x080
#define QUEUE_DRIVER 0x090
#define QUEUE_DEVICE 0x0a0
#define CONFIG_GEN   0x0fc
#define CONFIG       0x100

#define S_ACKNOWLEDGE 1
#define S_DRIVER      2
#define S_DRIVER_OK   4
#define S_FEATURES_OK 8
#define S_NEEDS_RESET 64
#define S_FAILED      128

#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY     1

#define R(d, off) ((d)->regs[(off) / 4])
#define MAX_DEVS 16

static struct virtio_dev devs[MAX_DEVS];
static int ndevs;
int virtio_want_event_idx = 1;
u32 virtio_batch = 32;

const char *virtio_id_name(u32 id)
{
    switch (id) {
    case 0: return "empty";
    case VIRTIO_ID_NET: return "net";
    case 2: return "block";
    case VIRTIO_ID_CONSOLE: return "console";
    case 4: return "entropy";
    case VIRTIO_ID_BALLOON: return "balloon";
    default: return "other";
    }
}

void virtio_probe(void)
{
    const char *s = bootarg("event_idx");
    if (s && strcmp(s, "0") == 0)
        virtio_want_event_idx = 0;
    else if (s && strcmp(s, "1") != 0)
        warn("warning: bootargs: bad value event_idx=%s (want 0|1), using 1\n", s);
    virtio_batch = bootarg_uint("batch", 32, 1, 128);

    for (int n = 0; n < dtb_node_count() && ndevs < MAX_DEVS; n++) {
        u32 base, size, irq = 0;
        if (!dtb_compatible(n, "virtio,mmio") || dtb_reg(n, 0, &base, &size) != 0 ||
            size < 0x200)
            continue;
        dtb_irq(n, &irq);
        volatile u32 *regs = (volatile u32 *)base;     /* identity-mapped (or paging off) */
        if (regs[MAGIC / 4] != 0x74726976)
            continue;
        struct virtio_dev *d = &devs[ndevs];
        d->regs = regs;
        d->node = n;
        d->name = dtb_node_name(n);
        d->irq = irq;
        d->version = regs[VERSION / 4];
        d->id = regs[DEVICE_ID / 4];
        if (d->id == 0)
            continue;                           /* an empty slot: nothing to keep */
        if (d->version != 2) {
            warn("warning: virtio: %s holds a legacy (version %u) %s device: not used "
                 "(QEMU: -global virtio-mmio.force-legacy=false)\n",
                 d->name, d->version, virtio_id_name(d->id));
            d->broken = 1;
        }
        ndevs++;
    }
}

int virtio_count(void) { return ndevs; }
struct virtio_dev *virtio_get(int i) { return &devs[i]; }

struct virtio_dev *virtio_find(u32 id)
{
    for (int i = 0; i < ndevs; i++)
        if (devs[i].id == id && !devs[i].broken && !devs[i].driver)
            return &devs[i];
    return NULL;
}

void virtio_fail(struct virtio_dev *d, const char *why)
{
    if (d->broken)
        return;
    d->broken = 1;
    d->up = 0;
    if (d == vconsole_dev())
        console_device_lost();                  /* print through the SBI from now on */
    warn("virtio: %s (%s): %s: device not used any more\n", d->name, virtio_id_name(d->id),
         why);
}

int virtio_check(struct virtio_dev *d)
{
    if (d->broken)
        return -1;
    if (R(d, STATUS) & S_NEEDS_RESET) {
        virtio_fail(d, "DEVICE_NEEDS_RESET");
        return -1;
    }
    return 0;
}

static int fail_setup(struct virtio_dev *d, const char *why)
{
    R(d, STATUS) = R(d, STATUS) | S_FAILED;
    virtio_fail(d, why);
    return -1;
}

int virtio_start(struct virtio_dev *d, const char *driver, u32 want_lo)
{
    d->driver = driver;
    R(d, STATUS) = 0;                           /* reset */
    mb();
    R(d, STATUS) = S_ACKNOWLEDGE;
    R(d, STATUS) = S_ACKNOWLEDGE | S_DRIVER;
    R(d, DEV_FEAT_SEL) = 0;
    u32 lo = R(d, DEV_FEAT);
    R(d, DEV_FEAT_SEL) = 1;
    u32 hi = R(d, DEV_FEAT);
    if (!(hi & 1u << (VIRTIO_F_VERSION_1 - 32)))
        return fail_setup(d, "no VIRTIO_F_VERSION_1");
    if (virtio_want_event_idx)
        want_lo |= 1u << VIRTIO_F_RING_EVENT_IDX;
    d->feat_lo = lo & want_lo;
    d->feat_hi = 1u << (VIRTIO_F_VERSION_1 - 32);
    R(d, DRV_FEAT_SEL) = 0;
    R(d, DRV_FEAT) = d->feat_lo;
    R(d, DRV_FEAT_SEL) = 1;
    R(d, DRV_FEAT) = d->feat_hi;
    R(d, STATUS) = S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK;
    if (!(R(d, STATUS) & S_FEATURES_OK))
        return fail_setup(d, "features not accepted");
    d->event_idx = (d->feat_lo >> VIRTIO_F_RING_EVENT_IDX) & 1;
    return 0;
}

int virtio_has(struct virtio_dev *d, u32 bit)
{
    return bit < 32 ? (d->feat_lo >> bit) & 1 : (d->feat_hi >> (bit - 32)) & 1;
}

/* Layout in one block: descriptors (16 each), then the available ring
 * (flags, idx, ring[num], used_event), then, 4-byte aligned, the used ring
 * (flags, idx, {id, len}[num], avail_event). */
static u32 used_offset(u32 num) { return (16 * num + 6 + 2 * num + 3) & ~3u; }
u32 virtq_mem_size(u32 num) { return used_offset(num) + 6 + 8 * num; }

int virtq_setup(struct virtio_dev *d, struct virtq *q, u32 index, u32 want_num, void *mem,
                u32 mem_size)
{
    R(d, QUEUE_SEL) = index;
    if (R(d, QUEUE_READY))
        return fail_setup(d, "queue already live");
    u32 max = R(d, QUEUE_NUM_MAX);
    if (max == 0)
        return fail_setup(d, "a queue is missing");
    u32 num = want_num;
    while (num > max)
        num >>= 1;
    if (num == 0 || virtq_mem_size(num) > mem_size)
        return fail_setup(d, "queue too small");
    memset(mem, 0, virtq_mem_size(num));
    q->dev = d;
    q->index = index;
    q->num = num;
    q->desc = mem;
    q->avail = (volatile u16 *)((u8 *)mem + 16 * num);
    q->used = (volatile u16 *)((u8 *)mem + used_offset(num));
    for (u32 i = 0; i < num; i++)
        q->desc[i].next = (u16)(i + 1);
    q->free_head = 0;
    q->num_free = num;
    q->avail_idx = q->published = q->last_used = 0;
    q->kicks = q->kicks_saved = 0;
    R(d, QUEUE_NUM) = num;
    R(d, QUEUE_DESC) = virt_to_phys((void *)q->desc);
    R(d, QUEUE_DESC + 4) = 0;
    R(d, QUEUE_DRIVER) = virt_to_phys((void *)q->avail);
    R(d, QUEUE_DRIVER + 4) = 0;
    R(d, QUEUE_DEVICE) = virt_to_phys((void *)q->used);
    R(d, QUEUE_DEVICE + 4) = 0;
    mb();
    R(d, QUEUE_READY) = 1;
    return 0;
}

void virtio_driver_ok(struct virtio_dev *d)
{
    mb();
    R(d, STATUS) = S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK;
    d->up = 1;
    virtio_check(d);
}

/* PLIC source of the slot -> here, on hart 0, interrupts off. */
static void virtio_irq(void *arg)
{
    struct virtio_dev *d = arg;
    u32 isr = R(d, INT_STATUS);
    if (!isr)
        return;
    R(d, INT_ACK) = isr;                        /* the line drops */
    d->interrupts++;
    if ((isr & VIRTIO_INT_CONFIG) && virtio_check(d) < 0)
        return;
    if (d->handler && !d->broken)
        d->handler(d, isr);
}

void virtio_enable_irq(struct virtio_dev *d, void (*handler)(struct virtio_dev *, u32))
{
    d->handler = handler;
    if (d->irq == 0) {
        warn("warning: virtio: %s has no interrupt in the DTB\n", d->name);
        return;
    }
    plic_enable(d->irq, 0, virtio_irq, d);
}

/* --- config space ---------------------------------------------------- */

static volatile u8 *cfg(struct virtio_dev *d) { return (volatile u8 *)d->regs + CONFIG; }
u8 virtio_cfg8(struct virtio_dev *d, u32 off) { return cfg(d)[off]; }
u16 virtio_cfg16(struct virtio_dev *d, u32 off) { return *(volatile u16 *)(cfg(d) + off); }
u32 virtio_cfg32(struct virtio_dev *d, u32 off) { return *(volatile u32 *)(cfg(d) + off); }
void virtio_cfg_write32(struct virtio_dev *d, u32 off, u32 v)
{
    *(volatile u32 *)(cfg(d) + off) = v;
}
u32 virtio_cfg_generation(struct virtio_dev *d) { return R(d, CONFIG_GEN); }

/* --- virtqueues ------------------------------------------------------ */

#define AVAIL_FLAGS(q)   ((q)->avail[0])
#define AVAIL_IDX(q)     ((q)->avail[1])
#define AVAIL_RING(q, i) ((q)->avail[2 + (i)])
#define USED_EVENT(q)    ((q)->avail[2 + (q)->num])
#define USED_FLAGS(q)    ((q)->used[0])
#define USED_IDX(q)      ((q)->used[1])
#define AVAIL_EVENT(q)   ((q)->used[2 + 4 * (q)->num])

int virtq_desc_alloc(struct virtq *q)
{
    if (q->num_free == 0)
        return -1;
    u32 i = q->free_head;
    q->free_head = q->desc[i].next;
    q->num_free--;
    return i;
}

void virtq_desc_set(struct virtq *q, u32 i, const void *buf, u32 len, u16 flags, u16 next)
{
    volatile struct virtq_desc *dsc = &q->desc[i];
    dsc->addr = virt_to_phys(buf);
    dsc->len = len;
    dsc->flags = flags;
    dsc->next = next;
}

void virtq_submit(struct virtq *q, u32 head)
{
    AVAIL_RING(q, q->avail_idx & (q->num - 1)) = (u16)head;
    q->avail_idx++;
}

static int need_event(u16 event, u16 new_idx, u16 old)
{
    return (u16)(new_idx - event - 1) < (u16)(new_idx - old);
}

int virtq_publish(struct virtq *q)
{
    struct virtio_dev *d = q->dev;
    u16 old = q->published, now = q->avail_idx;
    if (old == now || d->broken)
        return 0;
    mb();                                       /* the ring entries before the index */
    AVAIL_IDX(q) = now;
    q->published = now;
    mb();                                       /* the index before we read the device's wish */
    int kick = d->event_idx ? need_event(AVAIL_EVENT(q), now, old)
                            : !(USED_FLAGS(q) & VIRTQ_USED_F_NO_NOTIFY);
    if (!kick) {
        q->kicks_saved++;
        return 0;
    }
    R(d, QUEUE_NOTIFY) = q->index;
    q->kicks++;
    return 1;
}

/* A notification the device did not ask for: always allowed ("both sides
 * tolerate spurious notifications"), for a driver that must not wait on a
 * device whose avail_event is stale. */
void virtq_kick(struct virtq *q)
{
    if (q->dev->broken)
        return;
    mb();
    R(q->dev, QUEUE_NOTIFY) = q->index;
    q->kicks++;
}

int virtq_has_used(struct virtq *q) { return q->last_used != USED_IDX(q); }

int virtq_get(struct virtq *q, u32 *len, int keep)
{
    if (q->last_used == USED_IDX(q))
        return -1;
    mb();                                       /* the index before the entry */
    volatile u32 *e = (volatile u32 *)&q->used[2] + 2 * (q->last_used & (q->num - 1));
    u32 head = e[0];
    if (len)
        *len = e[1];
    q->last_used++;
    if (head >= q->num) {
        virtio_fail(q->dev, "used ring names a descriptor out of range");
        return -1;
    }
    if (!keep) {                                /* give the chain's descriptors back */
        u32 i = head;
        for (u32 n = 0; n < q->num; n++) {
            u16 flags = q->desc[i].flags, next = q->desc[i].next;
            q->desc[i].next = q->free_head;
            q->free_head = i;
            q->num_free++;
            if (!(flags & VIRTQ_DESC_F_NEXT))
                break;
            i = next;
        }
    }
    return head;
}

int virtq_irq_on(struct virtq *q, u16 delay)
{
    if (q->dev->event_idx)
        USED_EVENT(q) = (u16)(q->last_used + delay);
    else
        AVAIL_FLAGS(q) = 0;
    mb();
    return virtq_has_used(q);
}

void virtq_irq_off(struct virtq *q)
{
    if (q->dev->event_idx)
        USED_EVENT(q) = (u16)(q->last_used - 1);   /* behind us: never crossed */
    else
        AVAIL_FLAGS(q) = VIRTQ_AVAIL_F_NO_INTERRUPT;
}
