/*
 * net.c -- labos's tiny network layer and its commands: `net`, `ping`,
 * `netflood`.
 *
 * The echo protocol: raw Ethernet frames with EtherType 0x88B5 (IEEE local
 * experimental).  Payload: 4 bytes of kind ("PING", "PONG" or "DATA"), a
 * big-endian 32-bit sequence number, then padding to the 60-byte minimum
 * frame.  Every labos answers a PING addressed to its MAC (or broadcast) with
 * a PONG to the sender, from its receive path (the interrupt handler); DATA
 * frames (netflood) are only counted.
 *
 * Own frames: a VM alone on hvlab's switch gets every frame it sends back
 * (so does QEMU with a UDP socket that sends to itself).  A frame whose
 * source is our own MAC is never answered; if it is the PING we are waiting
 * for, the pinger prints `echo of own frame seq N` and counts it as received:
 * the frame made the round trip through the device and the switch.
 *
 * Lost frames: a PING that gets no answer is sent again, same sequence number,
 * after 20, 60, 140, 300 and 620 ms, until the one-second timeout.  A peer
 * that boots at the same time drops frames until its driver has posted
 * receive buffers (hvlab's switch and device drop, they do not queue), so the
 * first PING to it may be lost; a duplicate answer is simply ignored.
 *
 * Exits: hvlab's hypervisor counts every VM exit; its vendor SBI extension
 * EID 0x09564C42 ("\x09VLB") function 0 returns this VM's total so far
 * (function 1: this vCPU's).  netflood reads it before and after; on another
 * SBI (QEMU + fw.elf) the probe fails and the result says n/a.
 */
#include "net.h"
#include "virtio.h"

#define SBI_EXT_HVLAB 0x09564C42

static struct netif *nifs[2];       /* [0] virtio-net, [1] nic */
static u8 flood_to[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static int flood_to_parsed;
static const u8 broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

void net_register(struct netif *nif)
{
    nifs[strcmp(nif->kind, "virtio") == 0 ? 0 : 1] = nif;
}

static struct netif *net_by_name(const char *name)
{
    if (strcmp(name, "virtio") == 0)
        return nifs[0];
    if (strcmp(name, "nic") == 0)
        return nifs[1];
    return NULL;
}

static int mac_eq(const u8 *a, const u8 *b)
{
    for (int i = 0; i < 6; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

static int hexdigit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* "52:54:00:12:34:56" (or with '-'); 0 = ok. */
static int parse_mac(const char *s, u8 *mac)
{
    for (int i = 0; i < 6; i++) {
        int hi = hexdigit(s[0]), lo = hexdigit(s[1]);
        if (hi < 0 || lo < 0)
            return -1;
        mac[i] = (u8)(hi << 4 | lo);
        s += 2;
        if (i < 5 && *s != ':' && *s != '-')
            return -1;
        if (i < 5)
            s++;
    }
    return *s ? -1 : 0;
}

static void fmt_mac(char *buf, const u8 *m)
{
    format(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void put_be32(u8 *p, u32 v)
{
    p[0] = v >> 24;
    p[1] = v >> 16;
    p[2] = v >> 8;
    p[3] = v;
}

static u32 get_be32(const u8 *p) { return (u32)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

static u32 make_frame(u8 *f, const u8 *dst, const u8 *src, const char *kind, u32 seq, u32 size)
{
    memset(f, 0, size);
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    f[12] = ETHERTYPE_LABOS >> 8;
    f[13] = ETHERTYPE_LABOS & 0xff;
    memcpy(f + 14, kind, 4);
    put_be32(f + 18, seq);
    return size;
}

/* --- the exit counter (hvlab's vendor SBI) ---------------------------- */

static int hvx_state;               /* 0 not probed, 1 there, -1 absent */

int hv_exit_counter(u32 *value)
{
    if (hvx_state == 0)
        hvx_state = sbi_probe_extension(SBI_EXT_HVLAB) ? 1 : -1;
    if (hvx_state < 0)
        return -1;
    struct sbiret r = sbi_call(SBI_EXT_HVLAB, 0, 0, 0, 0);
    if (r.error)
        return -1;
    *value = (u32)r.value;
    return 0;
}

/* --- receive path ----------------------------------------------------- */

/* What the pinger waits for; set from the receive path (interrupts). */
static struct {
    struct netif *nif;
    volatile u32 seq;
    volatile int active, got, own;
    u8 from[6];
    u32 pongs_sent;
} ping;

void net_input(struct netif *nif, const u8 *f, u32 len)
{
    if (len < ETH_HLEN + 8 || f[12] != (ETHERTYPE_LABOS >> 8) || f[13] != (ETHERTYPE_LABOS & 0xff))
        return;
    const u8 *dst = f, *src = f + 6, *p = f + 14;
    int own = mac_eq(src, nif->mac);
    int for_us = mac_eq(dst, nif->mac) || mac_eq(dst, broadcast);
    u32 seq = get_be32(p + 4);
    int is_ping = memcmp(p, "PING", 4) == 0, is_pong = memcmp(p, "PONG", 4) == 0;
    if (ping.active && ping.nif == nif && !ping.got && seq == ping.seq &&
        ((is_ping && own) || (is_pong && for_us && !own))) {
        memcpy(ping.from, src, 6);
        ping.own = own;
        ping.got = 1;
        return;
    }
    if (!is_ping || own || !for_us)
        return;
    u8 reply[ETH_MIN];
    u32 n = len < sizeof reply ? len : sizeof reply;
    memcpy(reply, f, n);
    if (n < sizeof reply)
        memset(reply + n, 0, sizeof reply - n);
    memcpy(reply, src, 6);
    memcpy(reply + 6, nif->mac, 6);
    memcpy(reply + 14, "PONG", 4);
    if (nif->xmit(reply, sizeof reply) == 0) {
        nif->flush();
        ping.pongs_sent++;
    }
}

/* --- commands ---------------------------------------------------------- */

static void show(struct netif *nif)
{
    char mac[18];
    fmt_mac(mac, nif->mac);
    kprintf("net: %s (%s, irq %u): mac %s, link %s, mtu %u", nif->kind, nif->node, nif->irq,
            mac, nif->link_up() ? "up" : "down", nif->mtu);
    if (strcmp(nif->kind, "virtio") == 0)
        kprintf(", event_idx %s, batch %u", nif->event_idx ? "on" : "off", virtio_batch);
    kputs(nif->broken() ? ", BROKEN\n" : "\n");
    kprintf("net: %s in %u packets %u bytes, out %u packets %u bytes, drops in %u out %u, "
            "%s %u, interrupts %u\n", nif->kind, nif->rx_packets, (u32)nif->rx_bytes,
            nif->tx_packets, (u32)nif->tx_bytes, nif->rx_drops, nif->tx_drops,
            strcmp(nif->kind, "virtio") == 0 ? "kicks" : "tail writes", nif->kicks,
            nif->interrupts);
}

void cmd_net(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    u32 v;
    if (nifs[0])
        show(nifs[0]);
    else
        kputs("net: no virtio-net\n");
    if (nifs[1])
        show(nifs[1]);
    else
        kputs("net: no nic\n");
    kprintf("net: pongs sent %u; exit counter %s\n", ping.pongs_sent,
            hv_exit_counter(&v) == 0 ? "hvlab SBI 0x09564c42" : "n/a");
}

/* The device a command names (or the first one there is), or NULL after saying why. */
static struct netif *pick(const char *cmd, const char *name)
{
    struct netif *nif = name ? net_by_name(name) : (nifs[0] ? nifs[0] : nifs[1]);
    if (name && strcmp(name, "virtio") != 0 && strcmp(name, "nic") != 0) {
        kprintf("%s: bad device %s (want virtio|nic)\n", cmd, name);
        return NULL;
    }
    if (!nif)
        kprintf("%s: no %s\n", cmd, name ? (strcmp(name, "nic") == 0 ? "nic" : "virtio-net")
                                         : "network device");
    else if (nif->broken()) {
        kprintf("%s: %s is broken (needs reset)\n", cmd, nif->kind);
        nif = NULL;
    }
    return nif;
}

/* Sending with a full ring: hand over what is queued and wait for room. */
static int send_frame(struct netif *nif, const u8 *f, u32 len)
{
    for (int tries = 0; nif->xmit(f, len) != 0; tries++) {
        if (tries == 100 || nif->broken())
            return -1;
        nif->flush();
        nif->tx_wait();
    }
    return 0;
}

void cmd_ping(int argc, char **argv)
{
    u8 dst[6], f[ETH_MIN];
    u32 count = 3;
    if (argc < 2 || argc > 4 || parse_mac(argv[1], dst) != 0) {
        kputs("usage: ping MAC [COUNT] [virtio|nic]\n");
        return;
    }
    if (argc >= 3 && (parse_uint(argv[2], &count) != 0 || count < 1 || count > 1000)) {
        kprintf("ping: bad number %s (want 1..1000)\n", argv[2]);
        return;
    }
    struct netif *nif = pick("ping", argc == 4 ? argv[3] : NULL);
    if (!nif)
        return;
    u32 received = 0;
    char mac[18];
    for (u32 seq = 1; seq <= count; seq++) {
        ping.nif = nif;
        ping.got = 0;
        ping.seq = seq;
        ping.active = 1;
        make_frame(f, dst, nif->mac, "PING", seq, sizeof f);
        u64 start = rdtime();
        if (send_frame(nif, f, sizeof f) != 0) {
            ping.active = 0;
            kprintf("ping: cannot send seq %u\n", seq);
            break;
        }
        nif->flush();
        /* Up to a second.  A frame can be lost (a peer still booting drops it: its
         * driver has posted no receive buffer yet), so the same PING goes out again
         * after 20, 60, 140, 300 and 620 ms without an answer. */
        for (u32 waited = 0, retry = 20, gap = 20; !ping.got && waited < 1000; waited += 10) {
            thread_sleep_ms(10);
            if (ping.got || waited + 10 != retry)
                continue;
            gap *= 2;
            retry += gap;
            if (send_frame(nif, f, sizeof f) == 0)
                nif->flush();
        }
        ping.active = 0;
        u32 ticks = (u32)(rdtime() - start);
        if (!ping.got) {
            kprintf("timeout seq %u\n", seq);
            continue;
        }
        received++;
        fmt_mac(mac, ping.from);
        if (ping.own)
            kprintf("echo of own frame seq %u ticks=%u\n", seq, ticks);
        else
            kprintf("pong from %s seq %u ticks=%u\n", mac, seq, ticks);
    }
    kprintf("result: ping sent=%u received=%u\n", count, received);
}

static void print_ratio(char *buf, u32 size, u32 num, u32 den)
{
    u32 milli = (u32)udiv64((u64)num * 1000 + den / 2, den);
    format(buf, size, "%u.%03u", milli / 1000, milli % 1000);
}

void cmd_netflood(int argc, char **argv)
{
    static u8 f[ETH_MAX];
    u32 n, size, batch = virtio_batch;
    if (argc < 3 || argc > 5) {
        kputs("usage: netflood N SIZE [BATCH] [virtio|nic]\n");
        return;
    }
    if (parse_uint(argv[1], &n) != 0 || n < 1 || n > 0x40000000 ||
        parse_uint(argv[2], &size) != 0 || size < ETH_MIN || size > ETH_MAX ||
        (argc >= 4 && (parse_uint(argv[3], &batch) != 0 || batch < 1 || batch > 256))) {
        kprintf("netflood: bad arguments (want N 1..2^30, SIZE %u..%u, BATCH 1..256)\n", ETH_MIN,
                ETH_MAX);
        return;
    }
    struct netif *nif = pick("netflood", argc == 5 ? argv[4] : NULL);
    if (!nif) {
        kprintf("result: netflood dev=%s error=nodevice\n", argc == 5 ? argv[4] : "none");
        return;
    }
    if (size > nif->mtu + ETH_HLEN) {
        kprintf("netflood: SIZE %u is above the MTU (%u + 14)\n", size, nif->mtu);
        return;
    }
    if (!flood_to_parsed) {
        const char *s = bootarg("flood_to");
        if (s && parse_mac(s, flood_to) != 0) {
            kprintf("warning: bootargs: bad value flood_to=%s (want a MAC), using broadcast\n", s);
            memcpy(flood_to, broadcast, 6);
        }
        flood_to_parsed = 1;
    }
    make_frame(f, flood_to, nif->mac, "DATA", 0, size);
    nif->flood(1);
    u32 kicks0 = nif->kicks, irq0 = nif->interrupts, e0 = 0, e1 = 0;
    int have_exits = hv_exit_counter(&e0) == 0;
    u64 start = rdtime();
    u32 sent = 0;
    while (sent < n) {
        u32 b = n - sent < batch ? n - sent : batch;
        for (u32 j = 0; j < b; j++) {
            put_be32(f + 18, sent + 1);
            if (send_frame(nif, f, size) != 0)
                break;
            sent++;
        }
        nif->flush();                           /* one kick (or TDT write) per batch */
        nif->poll();
        if (nif->broken())
            break;
    }
    u32 ticks = (u32)(rdtime() - start);
    if (have_exits)
        have_exits = hv_exit_counter(&e1) == 0;
    nif->flood(0);
    u32 kicks = nif->kicks - kicks0, irqs = nif->interrupts - irq0;
    char exits[16], per[16];
    if (have_exits) {
        /* One of the two counter calls falls between the readings: not the flood's. */
        u32 e = e1 - e0 > 0 ? e1 - e0 - 1 : 0;
        format(exits, sizeof exits, "%u", e);
        print_ratio(per, sizeof per, e, sent ? sent : 1);
    } else {
        format(exits, sizeof exits, "n/a");
        format(per, sizeof per, "n/a");
    }
    kprintf("result: netflood dev=%s packets=%u size=%u batch=%u kicks=%u interrupts=%u "
            "exits=%s exits_per_packet=%s ticks=%u%s\n", nif->kind, sent, size, batch, kicks, irqs,
            exits, per, ticks, sent < n ? " error=broken" : "");
}
