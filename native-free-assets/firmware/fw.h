/*
 * fw.h -- constants shared by fw.S and fw.c (plain #defines, so the
 * assembler can include this file too).
 */
#ifndef FW_H
#define FW_H

#define MAX_HARTS    8           /* harts 0..7; higher hart ids are parked forever */
#define STACK_SHIFT  12          /* 4 KiB of M-mode stack per hart */
#define STACK_SIZE   (1 << STACK_SHIFT)

/* Trap frame built by trap_entry in fw.S (struct trap_frame in fw.c):
 * x0..x31 at 4*n (slot 0 always holds 0, slot 2 the interrupted sp),
 * then mepc and mstatus.  Kept a multiple of 16 bytes. */
#define FRAME_MEPC     128
#define FRAME_MSTATUS  132
#define FRAME_SIZE     144

/* mstatus.MPP lives in bits 12:11 */
#define MSTATUS_MPP_SHIFT 11

#endif
