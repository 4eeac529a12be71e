/*
 * print.h -- a small printf-like formatter, and print(), which sends one
 * formatted line to the console with a single SBI DBCN write.
 *
 * Conversions: %s %c %d %u %x %%, with an optional width and '0' flag
 * ("%08x", "%5d") and an optional 'l' ("%lu": long and int are both 32 bits).
 */
#ifndef PRINT_H
#define PRINT_H

#include <stdarg.h>

/* Like vsnprintf: writes at most size-1 characters plus a NUL and returns
 * the length the whole output would have had. */
int vformat(char *buf, unsigned long size, const char *fmt, va_list ap);
int format(char *buf, unsigned long size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Format into a buffer on the stack (up to 255 characters), then hand the
 * whole buffer to the SBI console in one call. */
void print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
