/*
 * virtio.h -- labos's virtio-mmio (version 2) driver core and what its
 * device drivers share: the slots found in the DTB, the status handshake
 * and feature negotiation, split virtqueues, notifications and interrupts.
 * (reference: /work/shared/reference/virtio.md; the OASIS virtio 1.x spec.)
 *
 * Drivers on top: vconsole.c (id 3), vnet.c (id 1), balloon.c (id 5).
 *
 * A virtqueue here is the classic split ring in memory the driver owns:
 *   descriptor table  16 bytes per entry: addr, len, flags (NEXT, WRITE), next
 *   available ring    the driver's side: heads it offers, idx, used_event
 *   used ring         the device's side: {head, len} it has finished, idx,
 *                     avail_event
 * labos identity-maps RAM, so the addresses written into descriptors and
 * queue registers are the kernel's own pointers (virt_to_phys() marks them).
 *
 * Each driver gives each descriptor a fixed buffer of its own (descriptor i
 * <-> buffer i), so the core needs no per-buffer bookkeeping: virtq_get()
 * returns the head index and the driver knows its buffer.
 *
 * Locking: the core takes no lock.  A driver serializes all use of one
 * queue (spin_lock_irqsave), because threads on any hart and the interrupt
 * handler (hart 0) use the same queues.
 */
#ifndef VIRTIO_H
#define VIRTIO_H

#include "labos.h"

#define VIRTIO_ID_NET     1
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_BALLOON 5

/* Feature bits every device may offer (bit numbers; 32 and up are word 1). */
#define VIRTIO_F_RING_EVENT_IDX 29
#define VIRTIO_F_VERSION_1      32

/* Descriptor flags. */
#define VIRTQ_DESC_F_NEXT  1
#define VIRTQ_DESC_F_WRITE 2

/* InterruptStatus bits. */
#define VIRTIO_INT_USED   1
#define VIRTIO_INT_CONFIG 2

struct virtq_desc {
    u64 addr;
    u32 len;
    u16 flags;
    u16 next;
};

struct virtio_dev;

struct virtq {
    struct virtio_dev *dev;
    u32 index;                      /* queue number on the device */
    u16 num;                        /* entries (a power of two) */
    volatile struct virtq_desc *desc;
    volatile u16 *avail;            /* flags, idx, ring[num], used_event */
    volatile u16 *used;             /* flags, idx, {id le32, len le32}[num], avail_event */
    u16 free_head, num_free;        /* free descriptors, linked through next */
    u16 avail_idx;                  /* next avail slot (published or not) */
    u16 published;                  /* avail idx the device has been told of */
    u16 last_used;                  /* next used entry to look at */
    u32 kicks;                      /* QueueNotify writes */
    u32 kicks_saved;                /* publishes that needed no kick */
};

struct virtio_dev {
    volatile u32 *regs;
    int node;                       /* DTB node */
    const char *name;               /* its name: virtio_mmio@10001000 */
    u32 irq;                        /* PLIC source, 0 = none */
    u32 version;                    /* 2; 1 = legacy (not driven) */
    u32 id;                         /* DeviceID */
    u32 feat_lo, feat_hi;           /* features accepted (after virtio_start) */
    int event_idx;                  /* VIRTIO_F_RING_EVENT_IDX accepted */
    int up;                         /* DRIVER_OK written */
    int broken;                     /* DEVICE_NEEDS_RESET seen (or failed): not used */
    const char *driver;             /* "console", "net", "balloon", or NULL */
    void (*handler)(struct virtio_dev *d, u32 isr);     /* from the interrupt */
    u32 interrupts;
};

/* Boot: find every virtio,mmio node and read its identity (no writes). */
void virtio_probe(void);
int virtio_count(void);
struct virtio_dev *virtio_get(int i);
struct virtio_dev *virtio_find(u32 id);        /* first one of that type, or NULL */
const char *virtio_id_name(u32 id);

/* Bootargs: event_idx=0|1 (default 1), batch=N (default 32). */
extern int virtio_want_event_idx;
extern u32 virtio_batch;

/* The handshake.  virtio_start: reset, ACKNOWLEDGE, DRIVER, negotiate (device
 * features & want, VERSION_1 required, EVENT_IDX unless event_idx=0),
 * FEATURES_OK read back.  Then set up queues, then virtio_driver_ok().
 * Each returns 0, or -1 after one warning line (the device is then unused). */
int virtio_start(struct virtio_dev *d, const char *driver, u32 want_lo);
int virtio_has(struct virtio_dev *d, u32 bit);
u32 virtq_mem_size(u32 num);                    /* bytes of ring memory for num entries */
int virtq_setup(struct virtio_dev *d, struct virtq *q, u32 index, u32 want_num, void *mem,
                u32 mem_size);
void virtio_driver_ok(struct virtio_dev *d);
void virtio_enable_irq(struct virtio_dev *d, void (*handler)(struct virtio_dev *, u32));
void virtio_fail(struct virtio_dev *d, const char *why);   /* one line; stop using it */
int virtio_check(struct virtio_dev *d);        /* reads Status: -1 if it needs a reset */

/* Config space (offset from 0x100), little-endian. */
u8 virtio_cfg8(struct virtio_dev *d, u32 off);
u16 virtio_cfg16(struct virtio_dev *d, u32 off);
u32 virtio_cfg32(struct virtio_dev *d, u32 off);
void virtio_cfg_write32(struct virtio_dev *d, u32 off, u32 v);
u32 virtio_cfg_generation(struct virtio_dev *d);

/* Virtqueue operations (caller holds the driver's lock for q). */
int virtq_desc_alloc(struct virtq *q);          /* a free descriptor, or -1 */
void virtq_desc_set(struct virtq *q, u32 i, const void *buf, u32 len, u16 flags, u16 next);
void virtq_submit(struct virtq *q, u32 head);   /* offer a chain (not yet published) */
int virtq_publish(struct virtq *q);             /* move avail idx; kick if asked: 1 = kicked */
void virtq_kick(struct virtq *q);               /* notify whatever the device asked */
int virtq_get(struct virtq *q, u32 *len, int keep); /* a used head, or -1; keep: do not free */
int virtq_has_used(struct virtq *q);
/* Interrupts for used buffers on q: on after `delay` more (EVENT_IDX; else
 * simply on), or off.  virtq_irq_on returns 1 if buffers are already waiting
 * (look again: one may have slipped in before the change). */
int virtq_irq_on(struct virtq *q, u16 delay);
void virtq_irq_off(struct virtq *q);

/* ------------------------------------------------------------------ */
/* Drivers                                                             */
/* ------------------------------------------------------------------ */

/* vconsole.c: console=virtio */
int vconsole_init(void);                        /* 0 = it is the console now */
void vconsole_write(const char *buf, u32 len);
void vconsole_start_input(void);
void vconsole_rx_resume(void);
void vconsole_flush(void);                      /* wait until the device took all output */
struct virtio_dev *vconsole_dev(void);
void vconsole_info(void);

/* vnet.c, nic.c: network drivers; net.c: the protocol and commands */
void vnet_init(void);
void nic_init(void);

/* balloon.c */
void balloon_init(void);                        /* driver (pages, PLIC) */
void balloon_start_thread(void);                /* after the shell exists */

#endif
