/*
 * dtb.h -- reading the flattened device tree (DTB) the firmware or hypervisor
 * passes in a1.  Everything labos knows about the machine comes from here:
 * RAM, harts, timebase, bootargs and the devices with their interrupts.
 *
 * dtb_init() indexes the nodes once (name, depth, parent, where the
 * properties start, and compatible/reg/cell sizes, which every device lookup
 * needs); afterwards nodes are small integers and properties are
 * looked up by name.  dtb_discover() then fills `struct platform` with the
 * facts the rest of the kernel uses.
 */
#ifndef DTB_H
#define DTB_H

#include "labos.h"

int dtb_init(const void *blob);             /* 0 = ok, -1 = not a DTB */
u32 dtb_total_size(void);
int dtb_node_count(void);
const char *dtb_node_name(int node);        /* "serial@10000000" */
int dtb_node_parent(int node);              /* -1 for the root */
const void *dtb_prop(int node, const char *name, u32 *len);
int dtb_prop_u32(int node, const char *name, u32 *out);
const char *dtb_prop_str(int node, const char *name);
int dtb_compatible(int node, const char *compat);   /* compatible lists it */
int dtb_find_compatible(const char *compat);        /* first such node, or -1 */
int dtb_find_path(const char *path);                /* "/cpus", or -1 */
int dtb_reg(int node, int index, u32 *base, u32 *size); /* 0 = ok */
int dtb_is_device(int node);                /* has reg, not memory or a cpu */

/* What labos found. */
struct platform {
    u32 ram_base, ram_size;
    u32 nharts;
    u32 hartid[MAX_CPUS];
    int cpu_node[MAX_CPUS];
    u32 intc_phandle[MAX_CPUS];     /* each hart's interrupt controller */
    const char *isa;                /* riscv,isa of the boot hart */
    const char *mmu;                /* mmu-type */
    int has_sstc;
    u32 timebase;
    const char *bootargs;
    int uart_node, plic_node;       /* -1 if absent */
};
extern struct platform plat;

void dtb_discover(u32 boot_hartid);
int dtb_irq(int node, u32 *irq);            /* first cell of `interrupts` */

#endif
