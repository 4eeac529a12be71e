#!/usr/bin/env python3
"""Reference model of the loop.S body; prints the expected final acc and x.

    acc += counter; x ^= acc; buf = x; t = buf; acc += t; counter -= 1
(all arithmetic modulo 2**32), starting with acc = 0, x = 0x12345678,
counter = 50,000,000 down to 1.
"""
import sys

ITERS = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000_000
M = 0xFFFFFFFF
acc, x = 0, 0x12345678
for c in range(ITERS, 0, -1):
    acc = (acc + c) & M
    x ^= acc
    acc = (acc + x) & M
print(f"EXPECT_ACC 0x{acc:08X}")
print(f"EXPECT_X   0x{x:08X}")
