/* print.c -- see print.h. */
#include "print.h"
#include "sbi.h"

/* Output cursor: characters past the end of buf are counted, not written. */
struct out {
    char *buf;
    unsigned long size;
    unsigned long len;
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void put_number(struct out *o, unsigned long v, unsigned base, int negative,
                       int width, char pad)
{
    char digits[12];
    int n = 0;

    do {                                        /* least significant digit first */
        digits[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);

    int total = n + negative;
    if (negative && pad == '0')
        put(o, '-');                            /* "-0042": sign before the zeros */
    for (; total < width; total++)
        put(o, pad);
    if (negative && pad != '0')
        put(o, '-');                            /* "  -42": sign after the spaces */
    while (n > 0)
        put(o, digits[--n]);
}

int vformat(char *buf, unsigned long size, const char *fmt, va_list ap)
{
    struct out o = { buf, size, 0 };

    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            put(&o, *fmt);
            continue;
        }
        fmt++;
        char pad = ' ';
        int width = 0;
        if (*fmt == '0') {
            pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        if (*fmt == 'l')                        /* "%lx": long is int-sized here */
            fmt++;

        switch (*fmt) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            int n = 0;
            while (s[n])
                n++;
            for (; n < width; width--)
                put(&o, ' ');
            while (*s)
                put(&o, *s++);
            break;
        }
        case 'c':
            put(&o, (char)va_arg(ap, int));
            break;
        case 'd': {
            long v = va_arg(ap, long);
            /* -(v + 1) + 1 avoids overflowing on the most negative value */
            unsigned long mag = v < 0 ? (unsigned long)-(v + 1) + 1 : (unsigned long)v;
            put_number(&o, mag, 10, v < 0, width, pad);
            break;
        }
        case 'u':
            put_number(&o, va_arg(ap, unsigned long), 10, 0, width, pad);
            break;
        case 'x':
            put_number(&o, va_arg(ap, unsigned long), 16, 0, width, pad);
            break;
        case '%':
            put(&o, '%');
            break;
        case '\0':                              /* a lone '%' at the end */
            fmt--;
            break;
        default:                                /* unknown: print it as is */
            put(&o, '%');
            put(&o, *fmt);
            break;
        }
    }
    if (size > 0)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int format(char *buf, unsigned long size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vformat(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

void print(const char *fmt, ...)
{
    char line[256];
    va_list ap;

    va_start(ap, fmt);
    int n = vformat(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof line - 1)
        n = sizeof line - 1;                    /* truncated */

    /* DBCN may write fewer bytes than asked: send the rest until done. */
    const char *p = line;
    while (n > 0) {
        struct sbiret r = sbi_debug_console_write(p, n);
        if (r.error || r.value <= 0)
            break;
        p += r.value;
        n -= r.value;
    }
}
