/*
 * net.h -- what the network drivers (vnet.c: virtio-net, nic.c: the e1000
 * subset) give the protocol and command layer (net.c), and back.
 *
 * A driver fills one struct netif and registers it.  Frames are plain
 * Ethernet II without FCS.  xmit() queues one frame (copied), flush() hands
 * the queued frames to the device (a virtio kick or a TDT write: the exits
 * batching saves), poll() takes finished and received buffers without
 * waiting for an interrupt.  A driver calls net_input() for every frame it
 * receives, from its interrupt handler or from poll().
 */
#ifndef NET_H
#define NET_H

#include "labos.h"

#define ETH_HLEN 14
#define ETH_MIN 60                  /* shortest frame (without FCS) */
#define ETH_MAX 1514                /* MTU 1500 + header */
#define ETHERTYPE_LABOS 0x88B5      /* IEEE "local experimental": the echo protocol */

struct netif {
    const char *kind;               /* "virtio" or "nic" */
    const char *node;               /* DTB node name */
    u32 irq;
    u8 mac[6];
    u32 mtu;
    int event_idx;                  /* virtio: negotiated */
    int (*link_up)(void);
    int (*xmit)(const void *frame, u32 len);    /* 0, or -1: no room (flush, wait) */
    u32 (*flush)(void);             /* returns kicks / tail writes it made */
    void (*poll)(void);
    void (*tx_wait)(void);          /* until a transmit slot is free (bounded) */
    void (*flood)(int on);          /* interrupt moderation while flooding */
    int (*broken)(void);
    /* statistics */
    u32 rx_packets, tx_packets, rx_drops, tx_drops;
    u64 rx_bytes, tx_bytes;
    u32 kicks, interrupts;
};

void net_register(struct netif *nif);
void net_input(struct netif *nif, const u8 *frame, u32 len);

#endif
