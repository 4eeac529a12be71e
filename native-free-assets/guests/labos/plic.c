/*
 * plic.c -- the Platform-Level Interrupt Controller, which routes device
 * interrupts (sources 1..ndev) to harts.  Each hart has one "context" per
 * privilege mode; a context has an enable bit per source, a priority
 * threshold, and a claim/complete register:
 *   read claim    -> the highest-priority pending source (0 if none)
 *   write it back -> "done", the source may interrupt again
 *
 * Which context belongs to our hart's S-mode is not guessed: the PLIC node's
 * interrupts-extended lists, context by context, (hart's interrupt
 * controller, interrupt number); ours is the one with number 9, the
 * supervisor external interrupt of that hart.
 */
#include "dtb.h"

#define MAX_IRQ 128
#define PRIORITY(irq)  (plic + (irq))                           /* +4*irq */
#define ENABLE(ctx, w) (plic + (0x2000 + 0x80 * (ctx)) / 4 + (w))
#define THRESHOLD(ctx) (plic + (0x200000 + 0x1000 * (ctx)) / 4)
#define CLAIM(ctx)     (THRESHOLD(ctx) + 1)

static volatile u32 *plic;
static int context[MAX_CPUS];       /* S-mode context of each cpu, -1 if none */
static void (*handlers[MAX_IRQ])(void *);
static void *handler_args[MAX_IRQ];

void plic_init(void)
{
    u32 base, size, len;
    for (u32 k = 0; k < MAX_CPUS; k++)
        context[k] = -1;
    if (plat.plic_node < 0 || dtb_reg(plat.plic_node, 0, &base, &size) != 0) {
        warn("warning: no PLIC in the DTB: no device interrupts\n");
        return;
    }
    plic = (volatile u32 *)base;
    const u8 *ie = dtb_prop(plat.plic_node, "interrupts-extended", &len);
    for (u32 i = 0; ie && i < len / 8; i++) {
        u32 phandle = (u32)ie[8 * i] << 24 | ie[8 * i + 1] << 16 | ie[8 * i + 2] << 8 | ie[8 * i + 3];
        u32 irq = (u32)ie[8 * i + 4] << 24 | ie[8 * i + 5] << 16 | ie[8 * i + 6] << 8 | ie[8 * i + 7];
        for (u32 k = 0; k < plat.nharts; k++)
            if (irq == IRQ_S_EXT && phandle == plat.intc_phandle[k])
                context[k] = i;
    }
}

/* Send source `irq` to cpu `cpu` (only there) and call handler(arg) for it. */
void plic_enable(u32 irq, u32 cpu, void (*handler)(void *), void *arg)
{
    int ctx = context[cpu];
    if (!plic || ctx < 0 || irq == 0 || irq >= MAX_IRQ) {
        warn("warning: plic: cannot route interrupt %u\n", irq);
        return;
    }
    handlers[irq] = handler;
    handler_args[irq] = arg;
    *PRIORITY(irq) = 1;                         /* 0 would mean "never" */
    *ENABLE(ctx, irq / 32) |= 1u << (irq % 32);
    *THRESHOLD(ctx) = 0;                        /* accept any priority above 0 */
}

/* Supervisor external interrupt: claim, handle, complete.  If another source
 * is pending the interrupt is simply taken again. */
void plic_interrupt(void)
{
    int ctx = context[this_cpu()->index];
    if (!plic || ctx < 0)
        panic("external interrupt without a PLIC context");
    u32 irq = *CLAIM(ctx);
    if (irq == 0)
        return;                                 /* someone else took it */
    if (irq < MAX_IRQ && handlers[irq])
        handlers[irq](handler_args[irq]);
    *CLAIM(ctx) = irq;                          /* complete */
}
