import type { GuestRam } from '../memory/guest-ram.ts';

/**
 * The Sv32 page-table walker (RISC-V privileged spec §10.3): two levels, 4 MiB
 * superpages, R/W/X/U permission checks with SUM and MXR, and hardware A/D updates.
 * It returns a physical address (up to 34 bits, so a JS number) or a negative fault code.
 */
export const ACCESS_FETCH = 0;
export const ACCESS_LOAD = 1;
export const ACCESS_STORE = 2;
export type Access = typeof ACCESS_FETCH | typeof ACCESS_LOAD | typeof ACCESS_STORE;

export const FAULT_PAGE = -1;
export const FAULT_ACCESS = -2;

const PTE_V = 1;
const PTE_R = 2;
const PTE_W = 4;
const PTE_X = 8;
const PTE_U = 16;
const PTE_A = 64;
const PTE_D = 128;

/** priv: 0 U, 1 S (M never translates). satp holds MODE in bit 31 and the root PPN. */
export function walkSv32(
  ram: GuestRam,
  satp: number,
  va: number,
  access: Access,
  priv: number,
  sum: boolean,
  mxr: boolean,
): number {
  let table = (satp & 0x3fffff) * 4096;
  for (let level = 1; level >= 0; level--) {
    const vpn = level === 1 ? va >>> 22 : (va >>> 12) & 0x3ff;
    const pteAddr = table + vpn * 4;
    const off = ram.hostOffset(pteAddr);
    if (off < 0) return FAULT_ACCESS;
    const pte = ram.pool.i32[off >>> 2];
    if ((pte & PTE_V) === 0 || ((pte & PTE_R) === 0 && (pte & PTE_W) !== 0)) return FAULT_PAGE;
    const ppn = pte >>> 10;
    if ((pte & (PTE_R | PTE_X)) === 0) {
      // A pointer to the next level; its A, D and U bits are reserved and must be clear.
      if (level === 0 || pte & (PTE_A | PTE_D | PTE_U)) return FAULT_PAGE;
      table = ppn * 4096;
      continue;
    }
    // A leaf: check permissions for this privilege and access.
    if (priv === 0) {
      if ((pte & PTE_U) === 0) return FAULT_PAGE;
    } else if (pte & PTE_U) {
      if (access === ACCESS_FETCH || !sum) return FAULT_PAGE;
    }
    if (access === ACCESS_FETCH) {
      if ((pte & PTE_X) === 0) return FAULT_PAGE;
    } else if (access === ACCESS_LOAD) {
      if ((pte & PTE_R) === 0 && !(mxr && pte & PTE_X)) return FAULT_PAGE;
    } else if ((pte & PTE_W) === 0) return FAULT_PAGE;
    if (level === 1 && (ppn & 0x3ff) !== 0) return FAULT_PAGE; // misaligned superpage
    const want = PTE_A | (access === ACCESS_STORE ? PTE_D : 0);
    if ((pte & want) !== want) {
      const frame = off >>> 12;
      if (ram.codeFrames[frame]) ram.onCodeWrite(frame);
      ram.pool.i32[off >>> 2] = pte | want;
    }
    return level === 1 ? (ppn >>> 10) * 0x400000 + (va & 0x3fffff) : ppn * 4096 + (va & 0xfff);
  }
  return FAULT_PAGE; // unreachable: level 0 either faults or is a leaf
}
