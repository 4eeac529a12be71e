/*
 * uart.c -- console=uart: a driver for the NS16550A UART, the device every
 * emulator has.  On a hypervisor each register access below traps out and is
 * emulated (an MMIO exit), which is the point: printing one byte costs an LSR
 * read (is the transmitter free?) plus a THR write, so two exits per byte.
 *
 * Where the UART is, how its registers are spaced and which interrupt it
 * raises all come from the DTB node (compatible "ns16550a").
 *
 * Input is interrupt-driven: with IER.RDA set the UART raises its PLIC source
 * when a byte arrives; uart_irq() moves bytes into the console ring.  If the
 * ring is full we switch the interrupt off (the bytes wait in the UART) until
 * the reader has made room.
 */
#include "dtb.h"

#define RBR 0           /* read: receive buffer */
#define THR 0           /* write: transmit holding register */
#define IER 1           /* interrupt enable */
#define LCR 3           /* line control */
#define MCR 4           /* modem control */
#define LSR 5           /* line status */
#define IER_RDA  0x01   /* interrupt when received data is available */
#define LSR_DR   0x01   /* a byte is waiting */
#define LSR_THRE 0x20   /* THR can take a byte */

static volatile u8 *base;
static u32 shift;       /* reg-shift: register n is at base + (n << shift) */
static struct spinlock rx_lock = SPINLOCK("uart-rx");
static int rx_off;      /* RX interrupt turned off because the ring was full */

#define REG(r) base[(r) << shift]

void uart_init(void)
{
    u32 addr, size;
    if (plat.uart_node < 0 || dtb_reg(plat.uart_node, 0, &addr, &size) != 0)
        panic("console=uart: no usable ns16550a node in the DTB");
    base = (volatile u8 *)addr;                 /* identity-mapped by vm.c */
    shift = 0;
    dtb_prop_u32(plat.uart_node, "reg-shift", &shift);
    spin_register(&rx_lock);
    REG(IER) = 0;                               /* no interrupts until we are ready */
    REG(LCR) = 0x03;                            /* 8 data bits, no parity, 1 stop bit */
    REG(MCR) = 0x0b;                            /* DTR, RTS, OUT2 (gates the IRQ line) */
    /* FCR is left alone: changing the FIFO mode empties the FIFOs, and keys
     * typed before boot (a scripted session) would be lost. */
}

/* The trap-and-emulate path: spin on LSR.THRE, then write THR, per byte. */
void uart_write(const char *buf, u32 len)
{
    for (u32 i = 0; i < len; i++) {
        while (!(REG(LSR) & LSR_THRE))
            ;
        REG(THR) = buf[i];
    }
}

/* PLIC source `irq` (from the DTB) -> here, on hart 0, interrupts off. */
static void uart_irq(void *arg)
{
    (void)arg;
    spin_lock(&rx_lock);
    while (REG(LSR) & LSR_DR) {
        if (console_rx_room() == 0) {
            REG(IER) = 0;                       /* ring full: stop until there is room */
            rx_off = 1;
            break;
        }
        char c = REG(RBR);
        console_rx(&c, 1);
    }
    spin_unlock(&rx_lock);
}

void uart_start_input(void)
{
    u32 irq;
    if (dtb_irq(plat.uart_node, &irq) != 0) {
        warn("warning: uart: no interrupt in the DTB, no input\n");
        return;
    }
    plic_enable(irq, 0, uart_irq, NULL);
    REG(IER) = IER_RDA;
}

/* The reader took bytes out of the ring: if we had stopped the UART, restart it. */
void uart_rx_resume(void)
{
    unsigned long flags = spin_lock_irqsave(&rx_lock);
    if (rx_off && console_rx_room() > 0) {
        rx_off = 0;
        REG(IER) = IER_RDA;
    }
    spin_unlock_irqrestore(&rx_lock, flags);
}
