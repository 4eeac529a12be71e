import { beforeEach, describe, expect, it } from 'vitest';
import { FramePool } from '../memory/frame-pool.ts';
import { GuestRam } from '../memory/guest-ram.ts';
import {
  ACCESS_FETCH,
  ACCESS_LOAD,
  ACCESS_STORE,
  type Access,
  FAULT_ACCESS,
  FAULT_PAGE,
  walkSv32,
} from './sv32.ts';

/** PTE bits, RISC-V privileged spec §10.3.1 (Sv32), figure "Sv32 page table entry". */
const V = 1;
const R = 2;
const W = 4;
const X = 8;
const U = 16;
const G = 32;
const A = 64;
const D = 128;

const RAM_BASE = 0x80000000;
const RAM_SIZE = 16 << 20;
const ROOT = 0x80001000; // level-1 table
const L0 = 0x80002000; // level-0 table reached from ROOT[VPN1_4K]
const VPN1_4K = 1; // va 0x00400000..0x007fffff goes through L0
const PRIV_U = 0;
const PRIV_S = 1;

let pool: FramePool;
let ram: GuestRam;

const satpFor = (rootPa: number) => 0x80000000 | Math.floor(rootPa / 4096) | 0;
const SATP = satpFor(ROOT);
const pte = (pa: number, flags: number) => (Math.floor(pa / 4096) * 1024 + flags) >>> 0;

function writeWord(pa: number, value: number): void {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, value >>> 0, true);
  expect(ram.write(pa, b)).toBe(true);
}
function readWord(pa: number): number {
  const b = ram.read(pa, 4);
  if (!b) throw new Error(`read outside RAM at ${pa.toString(16)}`);
  return new DataView(b.buffer).getUint32(0, true);
}

const l1Slot = (va: number) => ROOT + (va >>> 22) * 4;
const l0Slot = (va: number) => L0 + ((va >>> 12) & 0x3ff) * 4;

/** Map the 4 KiB page of `va` (which must have VPN[1] = VPN1_4K) to `pa`. */
function map4k(va: number, pa: number, flags: number): void {
  expect(va >>> 22).toBe(VPN1_4K);
  writeWord(l0Slot(va), pte(pa, flags));
}
/** Put a leaf at level 1 for the 4 MiB region of `va`. */
function mapSuper(va: number, pa: number, flags: number): void {
  writeWord(l1Slot(va), pte(pa, flags));
}

function walk(
  va: number,
  access: Access,
  priv = PRIV_S,
  sum = false,
  mxr = false,
  satp = SATP,
): number {
  return walkSv32(ram, satp, va, access, priv, sum, mxr);
}

beforeEach(() => {
  pool = new FramePool(RAM_SIZE / 4096);
  ram = new GuestRam(pool, RAM_BASE, RAM_SIZE);
  ram.populate();
  writeWord(ROOT + VPN1_4K * 4, pte(L0, V)); // non-leaf pointer
});

describe('walkSv32: translation', () => {
  it('translates a 4 KiB page, keeping the page offset', () => {
    map4k(0x00403000, 0x80123000, V | R | W | X | A | D);
    expect(walk(0x00403000, ACCESS_LOAD)).toBe(0x80123000);
    expect(walk(0x00403abc, ACCESS_LOAD)).toBe(0x80123abc);
    expect(walk(0x00403fff, ACCESS_STORE)).toBe(0x80123fff);
    expect(walk(0x00403ffe, ACCESS_FETCH)).toBe(0x80123ffe);
  });

  it('uses VPN[0] to pick the level-0 entry', () => {
    map4k(0x00400000, 0x80200000, V | R | A);
    map4k(0x007ff000, 0x80300000, V | R | A);
    expect(walk(0x00400004, ACCESS_LOAD)).toBe(0x80200004);
    expect(walk(0x007ff008, ACCESS_LOAD)).toBe(0x80300008);
    // An unmapped neighbour in the same table is invalid.
    expect(walk(0x00401000, ACCESS_LOAD)).toBe(FAULT_PAGE);
  });

  it('translates a 4 MiB superpage, keeping 22 offset bits', () => {
    mapSuper(0x40000000, 0x80400000, V | R | W | X | A | D);
    expect(walk(0x40000000, ACCESS_LOAD)).toBe(0x80400000);
    expect(walk(0x40123456, ACCESS_LOAD)).toBe(0x80523456);
    expect(walk(0x403ffffc, ACCESS_STORE)).toBe(0x807ffffc);
    expect(walk(0x40000002, ACCESS_FETCH)).toBe(0x80400002);
  });

  it('translates virtual addresses with bit 31 set (passed as negative int32)', () => {
    mapSuper(0xc0000000, 0x80800000, V | R | W | A | D);
    expect(walk(0xc0012344 | 0, ACCESS_LOAD)).toBe(0x80812344);
    expect(walk(0xc0012344, ACCESS_LOAD)).toBe(0x80812344);
    expect(walk(0xfffff000 | 0, ACCESS_LOAD)).toBe(FAULT_PAGE); // ROOT[0x3ff] is empty
  });

  it('ignores the G bit and RSW bits', () => {
    writeWord(l0Slot(0x00405000), pte(0x80123000, V | R | A | G) | (3 << 8));
    expect(walk(0x00405010, ACCESS_LOAD)).toBe(0x80123010);
  });

  it('returns physical addresses above 4 GiB as plain numbers (34-bit PPN)', () => {
    // Level 0: PPN = 0x3fffff (all 22 bits set).
    writeWord(l0Slot(0x00406000), ((0x3fffff << 10) | V | R | W | A | D) >>> 0);
    const pa = walk(0x00406abc, ACCESS_LOAD);
    expect(pa).toBe(0x3fffff000 + 0xabc);
    expect(pa).toBeGreaterThanOrEqual(2 ** 32);
    expect(walk(0x00406ffc, ACCESS_STORE)).toBe(0x3fffffffc);
    // Level 0, only the high PPN bit.
    writeWord(l0Slot(0x00407000), ((0x200000 << 10) | V | R | A) >>> 0);
    expect(walk(0x00407008, ACCESS_LOAD)).toBe(2 ** 33 + 8);
    // Superpage: PPN[1] = 0xfff, PPN[0] = 0.
    writeWord(l1Slot(0x80000000), ((0xfff << 20) | V | R | X | A) >>> 0);
    const sp = walk(0x80345678 | 0, ACCESS_FETCH);
    expect(sp).toBe(0xfff * 0x400000 + 0x345678);
    expect(sp).toBeGreaterThanOrEqual(2 ** 32);
  });
});

describe('walkSv32: malformed tables', () => {
  it('faults on a misaligned superpage (PPN[0] != 0)', () => {
    mapSuper(0x40000000, 0x80401000, V | R | W | X | A | D);
    expect(walk(0x40000000, ACCESS_LOAD)).toBe(FAULT_PAGE);
    expect(walk(0x40000000, ACCESS_STORE)).toBe(FAULT_PAGE);
    expect(walk(0x40000000, ACCESS_FETCH)).toBe(FAULT_PAGE);
    // Any single PPN[0] bit makes it misaligned.
    for (let bit = 0; bit < 10; bit++) {
      mapSuper(0x40000000, 0x80400000 + (1 << bit) * 4096, V | R | A);
      expect(walk(0x40000000, ACCESS_LOAD)).toBe(FAULT_PAGE);
    }
  });

  it('faults on an invalid PTE at either level, whatever its other bits', () => {
    // Level 1 entry not valid.
    writeWord(l1Slot(0x40000000), pte(0x80400000, R | W | X | A | D));
    expect(walk(0x40000000, ACCESS_LOAD)).toBe(FAULT_PAGE);
    // Level 0 entry not valid.
    map4k(0x00403000, 0x80123000, R | W | X | A | D);
    expect(walk(0x00403000, ACCESS_LOAD)).toBe(FAULT_PAGE);
    // All-zero entries (fresh RAM).
    expect(walk(0x12345678, ACCESS_FETCH)).toBe(FAULT_PAGE);
  });

  it('faults on W without R (reserved encoding) at both levels', () => {
    map4k(0x00403000, 0x80123000, V | W | A | D);
    expect(walk(0x00403000, ACCESS_STORE)).toBe(FAULT_PAGE);
    expect(walk(0x00403000, ACCESS_LOAD, PRIV_S, false, true)).toBe(FAULT_PAGE);
    map4k(0x00404000, 0x80123000, V | W | X | A | D);
    expect(walk(0x00404000, ACCESS_FETCH)).toBe(FAULT_PAGE);
    expect(walk(0x00404000, ACCESS_STORE)).toBe(FAULT_PAGE);
    mapSuper(0x40000000, 0x80400000, V | W | A | D);
    expect(walk(0x40000000, ACCESS_STORE)).toBe(FAULT_PAGE);
  });

  it('faults on a non-leaf PTE at level 0', () => {
    map4k(0x00403000, 0x80003000, V);
    expect(walk(0x00403000, ACCESS_LOAD)).toBe(FAULT_PAGE);
    expect(walk(0x00403000, ACCESS_FETCH)).toBe(FAULT_PAGE);
    expect(walk(0x00403000, ACCESS_STORE)).toBe(FAULT_PAGE);
  });

  it('walks through a non-leaf PTE with G or RSW bits set (they are not reserved)', () => {
    map4k(0x00403000, 0x80123000, V | R | A);
    writeWord(ROOT + VPN1_4K * 4, pte(L0, V | G) | (3 << 8));
    expect(walk(0x00403000, ACCESS_LOAD)).toBe(0x80123000);
  });

  // Privileged spec, Sv32 PTE format (§4.3.1 in v1.12, §10.3.1 in later editions): "For
  // non-leaf PTEs, the D, A, and U bits are reserved for future standard use", and the
  // translation process, step 3: "if any bits or encodings that are reserved for future
  // standard use are set within pte, stop and raise a page-fault exception". QEMU (the ISA
  // suite's reference) does this too.
  for (const [name, bit] of [
    ['A', A],
    ['D', D],
    ['U', U],
  ] as const) {
    it(`faults on a non-leaf PTE with ${name} set`, () => {
      map4k(0x00403000, 0x80123000, V | R | W | X | U | A | D);
      writeWord(ROOT + VPN1_4K * 4, pte(L0, V | bit));
      expect(walk(0x00403000, ACCESS_LOAD, PRIV_U)).toBe(FAULT_PAGE);
    });
  }

  it('raises an access fault when the root table is outside RAM', () => {
    expect(walk(0x00403000, ACCESS_LOAD, PRIV_S, false, false, satpFor(0x1000))).toBe(FAULT_ACCESS);
    expect(walk(0x00403000, ACCESS_LOAD, PRIV_S, false, false, satpFor(0x7ffff000))).toBe(
      FAULT_ACCESS,
    );
    // Just past the end of RAM.
    const end = RAM_BASE + RAM_SIZE;
    expect(walk(0, ACCESS_FETCH, PRIV_S, false, false, satpFor(end))).toBe(FAULT_ACCESS);
    // Root PPN with all 22 bits set (above 4 GiB).
    expect(walk(0, ACCESS_STORE, PRIV_S, false, false, 0x80000000 | 0x3fffff | 0)).toBe(
      FAULT_ACCESS,
    );
  });

  it('raises an access fault when a level-0 table is outside RAM', () => {
    writeWord(l1Slot(0x40000000), pte(0x10000000, V));
    expect(walk(0x40000000, ACCESS_LOAD)).toBe(FAULT_ACCESS);
    writeWord(l1Slot(0x44000000), pte(0x100000000, V)); // PPN 0x100000, above 4 GiB
    expect(walk(0x44000000, ACCESS_LOAD)).toBe(FAULT_ACCESS);
  });

  it('raises an access fault when the PTE lies in an unbacked RAM page', () => {
    const sparse = new GuestRam(pool, 0x90000000, 2 * 4096); // never populated
    expect(walkSv32(sparse, satpFor(0x90000000), 0, ACCESS_LOAD, PRIV_S, false, false)).toBe(
      FAULT_ACCESS,
    );
  });

  it('uses only the low 22 bits of satp as the root PPN', () => {
    map4k(0x00403000, 0x80123000, V | R | A);
    // MODE and ASID bits (31..22) do not move the root.
    expect(walk(0x00403000, ACCESS_LOAD, PRIV_S, false, false, SATP | (0x1ff << 22))).toBe(
      0x80123000,
    );
  });
});

/** The Sv32 leaf permission rules (priv spec §10.3.2 steps 5-6, §3.1.6.3 SUM/MXR). */
function specAllows(
  flags: number,
  access: Access,
  priv: number,
  sum: boolean,
  mxr: boolean,
): boolean {
  if (!(flags & V) || (flags & W && !(flags & R))) return false;
  if (priv === PRIV_U && !(flags & U)) return false;
  if (priv === PRIV_S && flags & U && (access === ACCESS_FETCH || !sum)) return false;
  if (access === ACCESS_FETCH) return (flags & X) !== 0;
  if (access === ACCESS_LOAD) return (flags & R) !== 0 || (mxr && (flags & X) !== 0);
  return (flags & W) !== 0;
}

const ACCESS_NAME = ['fetch', 'load', 'store'];
const ACCESSES = [ACCESS_FETCH, ACCESS_LOAD, ACCESS_STORE] as const;
const allAccesses = (va: number) => ACCESSES.map((a) => walk(va, a));

describe('walkSv32: permissions', () => {
  it('allows fetch only from X, load only from R, store only from W pages', () => {
    map4k(0x00400000, 0x80100000, V | R | A | D);
    map4k(0x00401000, 0x80101000, V | R | W | A | D);
    map4k(0x00402000, 0x80102000, V | X | A | D);
    map4k(0x00403000, 0x80103000, V | R | X | A | D);
    expect(allAccesses(0x00400000)).toEqual([FAULT_PAGE, 0x80100000, FAULT_PAGE]);
    expect(allAccesses(0x00401000)).toEqual([FAULT_PAGE, 0x80101000, 0x80101000]);
    expect(allAccesses(0x00402000)).toEqual([0x80102000, FAULT_PAGE, FAULT_PAGE]);
    expect(allAccesses(0x00403000)).toEqual([0x80103000, 0x80103000, FAULT_PAGE]);
  });

  it('U pages: S-mode loads/stores need SUM, S-mode fetch always faults', () => {
    map4k(0x00400000, 0x80100000, V | R | W | X | U | A | D);
    expect(walk(0x00400010, ACCESS_LOAD, PRIV_S, false)).toBe(FAULT_PAGE);
    expect(walk(0x00400010, ACCESS_STORE, PRIV_S, false)).toBe(FAULT_PAGE);
    expect(walk(0x00400010, ACCESS_LOAD, PRIV_S, true)).toBe(0x80100010);
    expect(walk(0x00400010, ACCESS_STORE, PRIV_S, true)).toBe(0x80100010);
    expect(walk(0x00400010, ACCESS_FETCH, PRIV_S, false)).toBe(FAULT_PAGE);
    expect(walk(0x00400010, ACCESS_FETCH, PRIV_S, true)).toBe(FAULT_PAGE);
    expect(walk(0x00400010, ACCESS_FETCH, PRIV_S, true, true)).toBe(FAULT_PAGE);
    // U-mode reaches it regardless of SUM.
    for (const a of ACCESSES) {
      expect(walk(0x00400010, a, PRIV_U, false)).toBe(0x80100010);
    }
  });

  it('S pages fault from U-mode for every access, with or without SUM', () => {
    map4k(0x00400000, 0x80100000, V | R | W | X | A | D);
    mapSuper(0x40000000, 0x80400000, V | R | W | X | A | D);
    for (const va of [0x00400000, 0x40000000]) {
      for (const a of ACCESSES) {
        expect(walk(va, a, PRIV_U, false)).toBe(FAULT_PAGE);
        expect(walk(va, a, PRIV_U, true)).toBe(FAULT_PAGE);
        expect(walk(va, a, PRIV_U, true, true)).toBe(FAULT_PAGE);
      }
    }
  });

  it('MXR makes execute-only pages readable by loads (only loads)', () => {
    map4k(0x00402000, 0x80102000, V | X | A | D);
    expect(walk(0x00402000, ACCESS_LOAD, PRIV_S, false, false)).toBe(FAULT_PAGE);
    expect(walk(0x00402000, ACCESS_LOAD, PRIV_S, false, true)).toBe(0x80102000);
    expect(walk(0x00402000, ACCESS_STORE, PRIV_S, false, true)).toBe(FAULT_PAGE);
    // MXR with an X-only U page from U-mode, and from S-mode with SUM.
    map4k(0x00403000, 0x80103000, V | X | U | A | D);
    expect(walk(0x00403000, ACCESS_LOAD, PRIV_U, false, false)).toBe(FAULT_PAGE);
    expect(walk(0x00403000, ACCESS_LOAD, PRIV_U, false, true)).toBe(0x80103000);
    expect(walk(0x00403000, ACCESS_LOAD, PRIV_S, true, true)).toBe(0x80103000);
    expect(walk(0x00403000, ACCESS_LOAD, PRIV_S, false, true)).toBe(FAULT_PAGE);
  });

  it('matches the spec rules for every R/W/X/U/V combination, access, priv, SUM and MXR', () => {
    const mismatches: string[] = [];
    for (let flags = 0; flags < 32; flags++) {
      for (const level of [0, 1]) {
        for (const access of ACCESSES) {
          for (const priv of [PRIV_U, PRIV_S]) {
            for (const sum of [false, true]) {
              for (const mxr of [false, true]) {
                const leafFlags = flags | A | D;
                let va: number;
                let pa: number;
                if (level === 0) {
                  va = 0x00408123;
                  pa = 0x80555123;
                  map4k(va, 0x80555000, leafFlags);
                } else {
                  va = 0x40008123;
                  pa = 0x80c08123;
                  mapSuper(va, 0x80c00000, leafFlags);
                }
                const isLeaf = (flags & (R | X)) !== 0;
                // A valid non-leaf at level 1 points at RAM address (PPN of 0x80c00000),
                // whose zero entries are invalid; at level 0 it is a fault either way.
                const want =
                  isLeaf && specAllows(leafFlags, access, priv, sum, mxr) ? pa : FAULT_PAGE;
                const got = walk(va, access, priv, sum, mxr);
                if (got !== want) {
                  mismatches.push(
                    `L${level} flags=${flags.toString(2)} ${ACCESS_NAME[access]} priv=${priv} sum=${sum} mxr=${mxr}: want ${want} got ${got}`,
                  );
                }
              }
            }
          }
        }
      }
    }
    expect(mismatches).toEqual([]);
  });
});

describe('walkSv32: A and D bits', () => {
  const VA = 0x00403000;
  const PA = 0x80123000;

  it('sets A (only) on a load and on a fetch', () => {
    map4k(VA, PA, V | R | X);
    expect(walk(VA, ACCESS_LOAD)).toBe(PA);
    expect(readWord(l0Slot(VA))).toBe(pte(PA, V | R | X | A));
    map4k(VA, PA, V | R | X);
    expect(walk(VA, ACCESS_FETCH)).toBe(PA);
    expect(readWord(l0Slot(VA))).toBe(pte(PA, V | R | X | A));
  });

  it('sets A and D on a store', () => {
    map4k(VA, PA, V | R | W);
    expect(walk(VA + 4, ACCESS_STORE)).toBe(PA + 4);
    expect(readWord(l0Slot(VA))).toBe(pte(PA, V | R | W | A | D));
  });

  it('sets D on a store when A is already set, and leaves a clean page clean on loads', () => {
    map4k(VA, PA, V | R | W | A);
    expect(walk(VA, ACCESS_LOAD)).toBe(PA);
    expect(readWord(l0Slot(VA))).toBe(pte(PA, V | R | W | A));
    expect(walk(VA, ACCESS_STORE)).toBe(PA);
    expect(readWord(l0Slot(VA))).toBe(pte(PA, V | R | W | A | D));
  });

  it('sets A/D on a superpage leaf', () => {
    mapSuper(0x40000000, 0x80400000, V | R | W);
    expect(walk(0x40000010, ACCESS_STORE)).toBe(0x80400010);
    expect(readWord(l1Slot(0x40000000))).toBe(pte(0x80400000, V | R | W | A | D));
  });

  it('leaves the PTE untouched when the access faults', () => {
    const cases: [number, Access, number, boolean, boolean][] = [
      [V | R, ACCESS_STORE, PRIV_S, false, false], // no W
      [V | R, ACCESS_FETCH, PRIV_S, false, false], // no X
      [V | X, ACCESS_LOAD, PRIV_S, false, false], // no R, no MXR
      [V | R | W | U, ACCESS_LOAD, PRIV_S, false, false], // U page, no SUM
      [V | R | W | X | U, ACCESS_FETCH, PRIV_S, true, false], // S fetch of U page
      [V | R | W | X, ACCESS_LOAD, PRIV_U, false, false], // S page from U
      [V | W, ACCESS_STORE, PRIV_S, false, false], // reserved W-only
    ];
    for (const [flags, access, priv, sum, mxr] of cases) {
      map4k(VA, PA, flags);
      expect(walk(VA, access, priv, sum, mxr)).toBe(FAULT_PAGE);
      expect(readWord(l0Slot(VA))).toBe(pte(PA, flags));
    }
    mapSuper(0x40000000, 0x80401000, V | R | W); // misaligned superpage
    expect(walk(0x40000000, ACCESS_STORE)).toBe(FAULT_PAGE);
    expect(readWord(l1Slot(0x40000000))).toBe(pte(0x80401000, V | R | W));
  });

  it('does not set A or D on the non-leaf PTE it walks through', () => {
    map4k(VA, PA, V | R | W);
    walk(VA, ACCESS_STORE);
    expect(readWord(ROOT + VPN1_4K * 4)).toBe(pte(L0, V));
  });

  it('does not rewrite a PTE whose A/D bits are already as needed', () => {
    map4k(VA, PA, V | R | W | A | D);
    const frame = ram.hostOffset(L0) >>> 12;
    ram.codeFrames[frame] = 1;
    const writes: number[] = [];
    ram.onCodeWrite = (f) => writes.push(f);
    walk(VA, ACCESS_STORE);
    walk(VA, ACCESS_LOAD);
    expect(writes).toEqual([]);
  });

  it('notifies onCodeWrite before updating a PTE that lives in a code frame', () => {
    map4k(VA, PA, V | R | W);
    const frame = ram.hostOffset(L0) >>> 12;
    ram.codeFrames[frame] = 1;
    const seen: number[] = [];
    ram.onCodeWrite = (f) => {
      seen.push(f);
      expect(readWord(l0Slot(VA))).toBe(pte(PA, V | R | W)); // not yet written
    };
    expect(walk(VA, ACCESS_LOAD)).toBe(PA);
    expect(seen).toEqual([frame]);
    expect(readWord(l0Slot(VA))).toBe(pte(PA, V | R | W | A));
  });
});
