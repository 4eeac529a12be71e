/*
 * lib.c -- the few C library functions labos needs.  There is no libc (and no
 * libgcc) in a freestanding kernel, and the compiler may itself emit calls to
 * memset and memcpy, so they must exist.
 */
#include "labos.h"

void *memset(void *dst, int c, unsigned long n)
{
    u8 *d = dst;
    if ((((unsigned long)d | n) & 3) == 0) {    /* whole words: 4x fewer stores */
        u32 w = (u8)c * 0x01010101u;
        for (u32 *q = dst; n; n -= 4)
            *q++ = w;
        return dst;
    }
    while (n--)
        *d++ = (u8)c;
    return dst;
}

void *memcpy(void *dst, const void *src, unsigned long n)
{
    u8 *d = dst;
    const u8 *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}

int memcmp(const void *a, const void *b, unsigned long n)
{
    const u8 *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

unsigned long strlen(const char *s)
{
    unsigned long n = 0;
    while (s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (u8)*a - (u8)*b;
}

int strncmp(const char *a, const char *b, unsigned long n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (u8)*a - (u8)*b;
        if (!*a)
            break;
    }
    return 0;
}

/* "123" or "0x7b"; anything else (or a number above 2^32 - 1) is an error. */
int parse_uint(const char *s, u32 *out)
{
    u32 base = 10;
    u64 v = 0;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (!*s)
        return -1;
    for (; *s; s++) {
        u32 d;
        if (*s >= '0' && *s <= '9')
            d = *s - '0';
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = *s - 'a' + 10;
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            d = *s - 'A' + 10;
        else
            return -1;
        v = v * base + d;
        if (v > 0xffffffffu)
            return -1;
    }
    *out = (u32)v;
    return 0;
}

/* Shift-and-subtract long division.  RV32 has no 64-bit divide instruction,
 * and the compiler's helper (__udivdi3) lives in libgcc, which we do not link. */
u64 udiv64(u64 n, u64 d)
{
    if (d == 0)
        return 0;
    u64 q = 0, r = 0;
    for (int i = 63; i >= 0; i--) {
        r = r << 1 | ((n >> i) & 1);
        if (r >= d) {
            r -= d;
            q |= (u64)1 << i;
        }
    }
    return q;
}

u32 ticks_to_ms(u64 ticks)
{
    return (u32)udiv64(ticks * 1000, timebase_hz);
}
