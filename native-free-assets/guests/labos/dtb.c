/*
 * dtb.c -- a small flattened-device-tree reader (see dtb.h).
 *
 * A DTB is a header, a "structure block" of tokens and a "strings block" of
 * property names.  The structure block is a depth-first walk of the tree:
 *   BEGIN_NODE name   PROP len nameoff value   ...   END_NODE
 * All numbers are big-endian; values are padded to 4 bytes.
 * We walk it once and remember where each node and its properties start, and
 * the few properties device and hart lookups ask for (compatible, reg, cell
 * sizes, interrupts, device_type, status, phandle).
 */
#include "dtb.h"

#define FDT_MAGIC      0xd00dfeed
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE   2
#define FDT_PROP       3
#define FDT_NOP        4
#define FDT_END        9
#define MAX_NODES      160
#define STRINGS_MEMO   1024         /* property names remembered by offset */

enum { TYPE_OTHER, TYPE_MEMORY, TYPE_CPU };  /* device_type */

struct dt_node {
    const char *name;
    const u8 *props;                /* first token after the node's name */
    /* What every device lookup asks for, found once by dtb_init (a lookup by
     * name walks the node's properties, which adds up over a whole tree). */
    const u8 *compat, *reg, *irq;   /* irq: the `interrupts` value */
    u32 compat_len, reg_len, irq_len;
    u32 phandle;                    /* 0: none */
    u8 address_cells, size_cells;   /* this node's #address-cells, #size-cells */
    u8 type;                        /* TYPE_* from device_type */
    u8 disabled;                    /* status other than "okay" */
    short parent;
    short depth;
};

static const u8 *fdt;
static const char *strings;
static const u8 *struct_end;
static struct dt_node nodes[MAX_NODES] NOINIT;      /* dtb_init fills those it uses */
static int nnodes;
struct platform plat;

static u32 be32(const void *p)
{
    const u8 *b = p;
    return (u32)b[0] << 24 | (u32)b[1] << 16 | (u32)b[2] << 8 | b[3];
}

static u32 align4(u32 n) { return (n + 3) & ~3u; }

static int named(const char *pname, const char *want)
{
    return pname[0] == want[0] && strcmp(pname, want) == 0;     /* (cheap test first) */
}

/* The properties dtb_init keeps, by name. */
enum prop { P_UNSEEN, P_OTHER, P_COMPATIBLE, P_REG, P_ADDRESS_CELLS, P_SIZE_CELLS,
            P_INTERRUPTS, P_PHANDLE, P_STATUS, P_DEVICE_TYPE };

static enum prop prop_of(const char *pname)
{
    static const struct { const char *name; enum prop prop; } kept[] = {
        {"compatible", P_COMPATIBLE}, {"reg", P_REG}, {"#address-cells", P_ADDRESS_CELLS},
        {"#size-cells", P_SIZE_CELLS}, {"interrupts", P_INTERRUPTS}, {"phandle", P_PHANDLE},
        {"status", P_STATUS}, {"device_type", P_DEVICE_TYPE},
    };
    for (u32 i = 0; i < ARRAY_SIZE(kept); i++)
        if (named(pname, kept[i].name))
            return kept[i].prop;
    return P_OTHER;
}

static int is_string(const u8 *v, u32 len) { return len > 0 && v[len - 1] == '\0'; }

static void note_prop(struct dt_node *n, enum prop prop, const u8 *v, u32 len)
{
    switch (prop) {
    case P_COMPATIBLE:
        n->compat = v;
        n->compat_len = len;
        break;
    case P_REG:
        n->reg = v;
        n->reg_len = len;
        break;
    case P_ADDRESS_CELLS:
        if (len == 4)
            n->address_cells = be32(v);
        break;
    case P_SIZE_CELLS:
        if (len == 4)
            n->size_cells = be32(v);
        break;
    case P_INTERRUPTS:
        n->irq = v;
        n->irq_len = len;
        break;
    case P_PHANDLE:
        if (len == 4)
            n->phandle = be32(v);
        break;
    case P_STATUS:
        if (is_string(v, len))
            n->disabled = strcmp((const char *)v, "okay") != 0;
        break;
    case P_DEVICE_TYPE:
        if (is_string(v, len) && strcmp((const char *)v, "memory") == 0)
            n->type = TYPE_MEMORY;
        else if (is_string(v, len) && strcmp((const char *)v, "cpu") == 0)
            n->type = TYPE_CPU;
        break;
    default:
        break;
    }
}

int dtb_init(const void *blob)
{
    fdt = blob;
    if (!blob || ((unsigned long)blob & 3) || be32(fdt) != FDT_MAGIC || be32(fdt + 20) < 16)
        return -1;
    const u8 *p = fdt + be32(fdt + 8);          /* off_dt_struct */
    struct_end = p + be32(fdt + 36);            /* size_dt_struct */
    strings = (const char *)fdt + be32(fdt + 12);

    short stack[16];                            /* open nodes, by depth */
    int depth = 0;
    /* A property's name is an offset into the strings block, and a tree uses a
     * few dozen names over and over: each offset is matched by name once, then
     * remembered here (a plain lookup, whether or not names are shared). */
    u8 prop_at[STRINGS_MEMO];
    memset(prop_at, P_UNSEEN, sizeof prop_at);
    nnodes = 0;
    while (p + 4 <= struct_end) {
        u32 token = be32(p);
        p += 4;
        if (token == FDT_BEGIN_NODE) {
            if (nnodes == MAX_NODES || depth == 16)
                return -1;
            struct dt_node *n = &nodes[nnodes];
            n->name = (const char *)p;
            n->depth = depth;
            n->parent = depth ? stack[depth - 1] : -1;
            p += align4(strlen(n->name) + 1);
            n->props = p;
            n->compat = n->reg = n->irq = NULL;
            n->phandle = 0;
            n->address_cells = 2;               /* the spec's defaults */
            n->size_cells = 1;
            n->type = TYPE_OTHER;
            n->disabled = 0;
            stack[depth++] = nnodes++;
        } else if (token == FDT_END_NODE) {
            depth--;
        } else if (token == FDT_PROP) {
            u32 len = be32(p), off = be32(p + 4);   /* len, nameoff, value */
            enum prop prop = off < STRINGS_MEMO ? prop_at[off] : P_UNSEEN;
            if (prop == P_UNSEEN) {
                prop = prop_of(strings + off);
                if (off < STRINGS_MEMO)
                    prop_at[off] = prop;
            }
            if (depth)
                note_prop(&nodes[stack[depth - 1]], prop, p + 8, len);
            p += 8 + align4(len);
        } else if (token == FDT_END) {
            break;
        } else if (token != FDT_NOP) {
            return -1;
        }
    }
    return nnodes ? 0 : -1;
}

u32 dtb_total_size(void) { return be32(fdt + 4); }
int dtb_node_count(void) { return nnodes; }
const char *dtb_node_name(int node) { return nodes[node].name; }
int dtb_node_parent(int node) { return nodes[node].parent; }

/* The properties of a node come right after its name, before any child. */
const void *dtb_prop(int node, const char *name, u32 *len)
{
    const u8 *p = nodes[node].props;
    while (p + 4 <= struct_end) {
        u32 token = be32(p);
        if (token == FDT_NOP) {
            p += 4;
            continue;
        }
        if (token != FDT_PROP)
            break;
        u32 plen = be32(p + 4);
        const char *pname = strings + be32(p + 8);
        if (named(pname, name)) {
            if (len)
                *len = plen;
            return p + 12;
        }
        p += 12 + align4(plen);
    }
    return NULL;
}

int dtb_prop_u32(int node, const char *name, u32 *out)
{
    u32 len;
    const u8 *v = dtb_prop(node, name, &len);
    if (!v || len < 4)
        return -1;
    *out = be32(v + len - 4);                   /* a 1- or 2-cell value: the low word */
    return 0;
}

const char *dtb_prop_str(int node, const char *name)
{
    u32 len;
    const char *s = dtb_prop(node, name, &len);
    return s && len > 0 && s[len - 1] == '\0' ? s : NULL;
}

/* `compatible` is a list of NUL-terminated strings, most specific first. */
int dtb_compatible(int node, const char *compat)
{
    const char *s = (const char *)nodes[node].compat;
    if (!s)
        return 0;
    for (const char *end = s + nodes[node].compat_len; s < end; s += strlen(s) + 1)
        if (strcmp(s, compat) == 0)
            return 1;
    return 0;
}

int dtb_find_compatible(const char *compat)
{
    for (int i = 0; i < nnodes; i++)
        if (dtb_compatible(i, compat))
            return i;
    return -1;
}

/* Absolute path, matching each component by its full name ("cpu@0") or the
 * part before '@' ("memory" finds "memory@80000000"). */
int dtb_find_path(const char *path)
{
    int node = 0;                               /* the root */
    while (*path == '/')
        path++;
    while (*path) {
        u32 n = 0;
        while (path[n] && path[n] != '/')
            n++;
        int found = -1;
        for (int i = node + 1; i < nnodes && found < 0; i++) {
            const char *name = nodes[i].name;
            if (nodes[i].parent == node && strncmp(name, path, n) == 0 &&
                (name[n] == '\0' || name[n] == '@'))
                found = i;
        }
        if (found < 0)
            return -1;
        node = found;
        path += n;
        while (*path == '/')
            path++;
    }
    return node;
}

/* #address-cells and #size-cells of a node's parent describe its `reg`. */
static void cells_of_parent(int node, u32 *ac, u32 *sc)
{
    int parent = nodes[node].parent;
    *ac = parent >= 0 ? nodes[parent].address_cells : 2;
    *sc = parent >= 0 ? nodes[parent].size_cells : 1;
}

/* The index-th (address, size) pair of `reg`.  labos is 32-bit: a region
 * above 4 GiB is an error. */
int dtb_reg(int node, int index, u32 *base, u32 *size)
{
    u32 ac, sc, len = nodes[node].reg_len;
    const u8 *v = nodes[node].reg;
    cells_of_parent(node, &ac, &sc);
    if (!v || ac < 1 || ac > 2 || sc > 2)
        return -1;
    u32 stride = 4 * (ac + sc);
    if ((index + 1) * stride > len)
        return -1;
    v += index * stride;
    if (ac == 2 && be32(v) != 0)
        return -1;
    *base = be32(v + 4 * (ac - 1));
    *size = 0;
    if (sc == 2 && be32(v + 4 * ac) != 0)
        *size = 0xffffffffu;                    /* >= 4 GiB: clamp */
    else if (sc >= 1)
        *size = be32(v + 4 * (ac + sc - 1));
    return 0;
}

int dtb_irq(int node, u32 *irq)
{
    if (!nodes[node].irq || nodes[node].irq_len < 4)
        return -1;
    *irq = be32(nodes[node].irq);
    return 0;
}

static int is_memory(int node) { return nodes[node].type == TYPE_MEMORY; }

static int under_cpus(int node)
{
    for (; node >= 0; node = nodes[node].parent)
        if (nodes[node].depth == 1 && strcmp(nodes[node].name, "cpus") == 0)
            return 1;
    return 0;
}

int dtb_is_device(int node)
{
    return nodes[node].reg && !is_memory(node) && !under_cpus(node);
}

/* Does riscv,isa ("rv32imac_zicsr_sstc") or riscv,isa-extensions list `ext`? */
static int has_isa_ext(int cpu, const char *ext)
{
    u32 n = strlen(ext), len;
    const char *isa = dtb_prop_str(cpu, "riscv,isa");
    for (const char *s = isa; s && *s; s++)
        if (*s == '_' && strncmp(s + 1, ext, n) == 0 && (s[n + 1] == '_' || s[n + 1] == '\0'))
            return 1;
    const char *list = dtb_prop(cpu, "riscv,isa-extensions", &len);
    if (!list)
        return 0;
    for (const char *end = list + len; list < end; list += strlen(list) + 1)
        if (strcmp(list, ext) == 0)
            return 1;
    return 0;
}

void dtb_discover(u32 boot_hartid)
{
    plat.uart_node = plat.plic_node = -1;

    /* RAM: the first memory node.  (QEMU and hvlab describe one bank.) */
    for (int i = 0; i < nnodes; i++)
        if (is_memory(i) && dtb_reg(i, 0, &plat.ram_base, &plat.ram_size) == 0)
            break;

    /* Harts: /cpus/cpu@N with status "okay" (or none).  The boot hart is
     * put first, so cpu index 0 is always the hart we are running on. */
    int cpus_node = dtb_find_path("/cpus");
    u32 tb = 0;
    if (cpus_node >= 0)
        dtb_prop_u32(cpus_node, "timebase-frequency", &tb);
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < nnodes; i++) {
            const struct dt_node *n = &nodes[i];
            if (n->parent != cpus_node || n->type != TYPE_CPU || n->disabled || !n->reg ||
                n->reg_len < 4)
                continue;
            u32 id = be32(n->reg + n->reg_len - 4);    /* a 1- or 2-cell value: the low word */
            if ((pass == 0) != (id == boot_hartid) || plat.nharts == MAX_CPUS || id >= 32)
                continue;                       /* (hart ids are bit numbers in masks) */
            u32 k = plat.nharts++;
            plat.hartid[k] = id;
            plat.cpu_node[k] = i;
            if (!tb)
                dtb_prop_u32(i, "timebase-frequency", &tb);
            /* The hart's interrupt controller: a child node; the PLIC names it. */
            for (int j = i + 1; j < nnodes && nodes[j].depth > n->depth; j++)
                if (nodes[j].parent == i && dtb_compatible(j, "riscv,cpu-intc"))
                    plat.intc_phandle[k] = nodes[j].phandle;
        }
    }
    plat.timebase = tb;
    if (plat.nharts) {
        plat.isa = dtb_prop_str(plat.cpu_node[0], "riscv,isa");
        plat.mmu = dtb_prop_str(plat.cpu_node[0], "mmu-type");
        plat.has_sstc = has_isa_ext(plat.cpu_node[0], "sstc");
    }

    int chosen = dtb_find_path("/chosen");
    plat.bootargs = chosen >= 0 ? dtb_prop_str(chosen, "bootargs") : NULL;

    plat.uart_node = dtb_find_compatible("ns16550a");
    if (plat.uart_node < 0)
        plat.uart_node = dtb_find_compatible("ns16550");
    plat.plic_node = dtb_find_compatible("riscv,plic0");
    if (plat.plic_node < 0)
        plat.plic_node = dtb_find_compatible("sifive,plic-1.0.0");
}
