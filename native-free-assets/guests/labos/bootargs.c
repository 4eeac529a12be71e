/*
 * bootargs.c -- the kernel command line: space-separated KEY=VALUE words from
 * the DTB's /chosen/bootargs (QEMU's -append, hvlab's --bootargs).
 *
 *   console=uart|dbcn|virtio   timer=sbi|sstc   run=flood|touch|cpu|bench|fault
 *   N= K= W= ORDER= T=  parameters of the run= workload
 *   event_idx=0|1 batch=N  virtio (virtio.c)      flood_to=MAC  netflood (net.c)
 *
 * Unknown keys are ignored silently; a bad value prints one warning.
 * Warnings raised before the banner are held back and printed after it, so
 * the banner is always the first output.
 */
#include "labos.h"

#define MAX_ARGS 16
static char line[256];
static const char *keys[MAX_ARGS], *values[MAX_ARGS];
static int nargs;

void bootargs_init(const char *cmdline)
{
    u32 n = 0;
    if (cmdline)
        while (cmdline[n] && n < sizeof line - 1) {
            line[n] = cmdline[n];
            n++;
        }
    line[n] = '\0';
    /* Cut the copy into words in place: "a=1 b=2" -> "a\0" "1\0" "b\0" "2\0". */
    for (char *p = line; *p && nargs < MAX_ARGS;) {
        while (*p == ' ')
            *p++ = '\0';
        if (!*p)
            break;
        char *word = p;
        while (*p && *p != ' ')
            p++;
        if (*p)
            *p++ = '\0';
        char *eq = word;
        while (*eq && *eq != '=')
            eq++;
        keys[nargs] = word;
        values[nargs] = "";
        if (*eq) {
            *eq = '\0';
            values[nargs] = eq + 1;
        }
        nargs++;
    }
}

const char *bootarg(const char *key)
{
    const char *v = NULL;
    for (int i = 0; i < nargs; i++)
        if (strcmp(keys[i], key) == 0)
            v = values[i];                      /* the last one wins */
    return v;
}

u32 bootarg_uint(const char *key, u32 def, u32 min, u32 max)
{
    const char *s = bootarg(key);
    u32 v;
    if (!s)
        return def;
    if (parse_uint(s, &v) != 0 || v < min || v > max) {
        warn("warning: bootargs: bad value %s=%s (want %u..%u), using %u\n", key, s, min, max,
             def);
        return def;
    }
    return v;
}

static char held[512];
static u32 held_len;
static int banner_done;

void warn(const char *fmt, ...)
{
    char buf[160];
    va_list ap;
    va_start(ap, fmt);
    int n = vformat(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof buf - 1)
        n = sizeof buf - 1;
    if (banner_done) {
        console_write(buf, n);
        return;
    }
    if (held_len + n <= sizeof held) {
        memcpy(held + held_len, buf, n);
        held_len += n;
    }
}

void warnings_flush(void)
{
    banner_done = 1;
    if (held_len)
        console_write(held, held_len);
    held_len = 0;
}
