/*
 * sbi-loop: the cheapest hypercall in a loop, to measure what one VM exit costs the
 * engine in host time (npm run bench -- exits). 1,000,000 calls of BASE.get_spec_version,
 * then SRST shutdown. S-mode, linked at 0x80400000: runs on hvlab's virt board and on
 * QEMU with hvlab's firmware.
 */
	.section .text.start, "ax"
	.globl _start
_start:
	li	s0, 1000000
1:	li	a7, 0x10		/* BASE */
	li	a6, 0			/* get_spec_version */
	ecall
	addi	s0, s0, -1
	bnez	s0, 1b
	li	a7, 0x53525354		/* SRST */
	li	a6, 0			/* system_reset */
	li	a0, 0			/* shutdown */
	li	a1, 0			/* no reason: exit 0 */
	ecall
2:	j	2b
