/**
 * SBI v2.0, the hypercall interface (reference: the SBI spec; the lab's reference/sbi.md).
 * An ECALL from guest S-mode arrives here as an `sbi` exit: a7 = extension, a6 =
 * function, a0-a5 arguments; a0 = error and a1 = value come back, pc moves past the
 * ECALL. Anything not implemented answers NOT_SUPPORTED and the guest goes on.
 */
import type { Hart } from '../cpu/hart.ts';

export const SBI_SUCCESS = 0;
export const SBI_ERR_FAILED = -1;
export const SBI_ERR_NOT_SUPPORTED = -2;
export const SBI_ERR_INVALID_PARAM = -3;
export const SBI_ERR_ALREADY_AVAILABLE = -6;

/** hvlab's implementation ID: ASCII "HVLB". Not an assigned ID; no assigned one is used. */
export const SBI_IMPL_ID = 0x48564c42;
export const SBI_IMPL_VERSION = 1;
export const SBI_SPEC_VERSION = 0x02000000;

export const EXT = {
  LEGACY_SET_TIMER: 0x00,
  LEGACY_PUTCHAR: 0x01,
  LEGACY_GETCHAR: 0x02,
  LEGACY_SHUTDOWN: 0x08,
  BASE: 0x10,
  TIME: 0x54494d45,
  IPI: 0x735049,
  RFENCE: 0x52464e43,
  HSM: 0x48534d,
  SRST: 0x53525354,
  DBCN: 0x4442434e,
  /**
   * hvlab's own (the SBI's vendor range 0x0900_0000-0x09FF_FFFF): a guest may read its exit
   * counters, so a workload can report exits per operation. "\x09VLB".
   */
  HVLAB: 0x09564c42,
} as const;

/** Names for the statistics: extension, then its functions by FID. */
const FUNCTIONS: ReadonlyMap<number, readonly [string, readonly string[]]> = new Map([
  [EXT.LEGACY_SET_TIMER, ['legacy', ['set_timer']]],
  [EXT.LEGACY_PUTCHAR, ['legacy', ['console_putchar']]],
  [EXT.LEGACY_GETCHAR, ['legacy', ['console_getchar']]],
  [EXT.LEGACY_SHUTDOWN, ['legacy', ['shutdown']]],
  [
    EXT.BASE,
    [
      'BASE',
      [
        'get_spec_version',
        'get_impl_id',
        'get_impl_version',
        'probe_extension',
        'get_mvendorid',
        'get_marchid',
        'get_mimpid',
      ],
    ],
  ],
  [EXT.TIME, ['TIME', ['set_timer']]],
  [EXT.IPI, ['IPI', ['send_ipi']]],
  [EXT.RFENCE, ['RFENCE', ['remote_fence_i', 'remote_sfence_vma', 'remote_sfence_vma_asid']]],
  [EXT.HSM, ['HSM', ['hart_start', 'hart_stop', 'hart_get_status', 'hart_suspend']]],
  [EXT.SRST, ['SRST', ['system_reset']]],
  [EXT.DBCN, ['DBCN', ['write', 'read', 'write_byte']]],
  [EXT.HVLAB, ['HVLAB', ['vm_exits', 'vcpu_exits']]],
]);

/** The SBI names of a call, for statistics: ['DBCN', 'write'], or hex for unknown ones. */
export function sbiCallName(eid: number, fid: number): readonly [string, string] {
  // A legacy extension is one call whatever a6 holds.
  const known = NAMES.get(eid)?.[eid <= EXT.LEGACY_SHUTDOWN ? 0 : fid];
  return known ?? ['0x' + (eid >>> 0).toString(16), String(fid >>> 0)];
}

/** What the SBI needs from the hypervisor and the board. */
export interface SbiServices {
  readonly harts: readonly Hart[];
  /** Program hart h's timer to fire at `tick` (Infinity cancels); clears pending STIP. */
  setTimer(h: Hart, tick: number): void;
  /** Make a supervisor software interrupt pending on hart `target`. */
  sendIpi(target: Hart): void;
  hartStart(target: Hart, addr: number, opaque: number): number;
  hartStop(h: Hart): void;
  hartStatus(target: Hart): number;
  /** Guest-physical buffer check: all of [pa, pa+len) is this VM's RAM. */
  ramContains(pa: number, len: number): boolean;
  consoleWrite(pa: number, len: number): number;
  consoleRead(pa: number, len: number): number;
  consolePutByte(byte: number): void;
  /** Next input byte, or -1. */
  consoleGetByte(): number;
  /** End the run: SRST or legacy shutdown. */
  systemReset(kind: 'shutdown' | 'reboot', exitCode: number): void;
  /** Exits so far (this call's included): of the whole VM, or of vCPU h only. */
  exitCount(h: Hart, vcpuOnly: boolean): number;
}

/** Per EID, its [extension, function] name pairs by FID, made once rather than per call. */
const NAMES = new Map(
  [...FUNCTIONS].map(([eid, [ext, fns]]) => [eid, fns.map((fn) => [ext, fn] as const)]),
);

/** The EIDs probe_extension reports present: exactly what `sbiCall` implements. */
const IMPLEMENTED = new Set<number>([...FUNCTIONS.keys()]);

/** Handle the ECALL hart h just made (registers in, registers out). */
export function sbiCall(s: SbiServices, h: Hart): void {
  const x = h.x;
  const eid = x[17] >>> 0;
  const fid = x[16] >>> 0;
  const a0 = x[10];
  const a1 = x[11];
  const a2 = x[12];
  let err = SBI_SUCCESS;
  let value = 0;
  const ret = (e: number, v = 0): void => {
    err = e;
    value = v;
  };
  switch (eid) {
    case EXT.LEGACY_SET_TIMER:
      s.setTimer(h, u64(a0, a1));
      x[10] = 0;
      return;
    case EXT.LEGACY_PUTCHAR:
      s.consolePutByte(a0 & 0xff);
      x[10] = 0;
      return;
    case EXT.LEGACY_GETCHAR:
      x[10] = s.consoleGetByte();
      return;
    case EXT.LEGACY_SHUTDOWN:
      s.systemReset('shutdown', 0);
      x[10] = 0;
      return;
    case EXT.BASE:
      switch (fid) {
        case 0:
          ret(SBI_SUCCESS, SBI_SPEC_VERSION);
          break;
        case 1:
          ret(SBI_SUCCESS, SBI_IMPL_ID);
          break;
        case 2:
          ret(SBI_SUCCESS, SBI_IMPL_VERSION);
          break;
        case 3:
          ret(SBI_SUCCESS, IMPLEMENTED.has(a0 >>> 0) ? 1 : 0);
          break;
        case 4:
        case 5:
        case 6:
          ret(SBI_SUCCESS, 0); // mvendorid, marchid, mimpid of the virtual hart
          break;
        default:
          ret(SBI_ERR_NOT_SUPPORTED);
      }
      break;
    case EXT.TIME:
      if (fid === 0) s.setTimer(h, u64(a0, a1));
      else ret(SBI_ERR_NOT_SUPPORTED);
      break;
    case EXT.IPI:
      if (fid !== 0) ret(SBI_ERR_NOT_SUPPORTED);
      else {
        const targets = hartMask(s, a0, a1);
        if (targets === null) ret(SBI_ERR_INVALID_PARAM);
        else for (const t of targets) s.sendIpi(t);
      }
      break;
    case EXT.RFENCE: {
      if (fid > 2) {
        ret(SBI_ERR_NOT_SUPPORTED);
        break;
      }
      const targets = hartMask(s, a0, a1);
      if (targets === null) ret(SBI_ERR_INVALID_PARAM);
      // Decoded code is coherent with stores, so only translations need flushing.
      else if (fid > 0) for (const t of targets) t.flushTlb();
      break;
    }
    case EXT.HSM: {
      const target = s.harts[a0 >>> 0];
      switch (fid) {
        case 0:
          ret(target ? s.hartStart(target, a1 >>> 0, a2) : SBI_ERR_INVALID_PARAM);
          break;
        case 1:
          s.hartStop(h);
          return; // a stopped hart has no registers to return to
        case 2:
          if (target) ret(SBI_SUCCESS, s.hartStatus(target));
          else ret(SBI_ERR_INVALID_PARAM);
          break;
        default:
          ret(SBI_ERR_NOT_SUPPORTED); // hart_suspend: not implemented
      }
      break;
    }
    case EXT.SRST:
      if (fid !== 0) ret(SBI_ERR_NOT_SUPPORTED);
      else if (a0 >>> 0 > 2) ret(SBI_ERR_INVALID_PARAM);
      else s.systemReset(a0 === 0 ? 'shutdown' : 'reboot', resetExitCode(a1 >>> 0));
      break;
    case EXT.DBCN:
      switch (fid) {
        case 0:
        case 1:
          // The whole buffer must be this VM's RAM (checked before any byte moves).
          if (a2 !== 0 || !s.ramContains(a1 >>> 0, a0 >>> 0)) ret(SBI_ERR_INVALID_PARAM);
          else
            ret(
              SBI_SUCCESS,
              fid === 0 ? s.consoleWrite(a1 >>> 0, a0 >>> 0) : s.consoleRead(a1 >>> 0, a0 >>> 0),
            );
          break;
        case 2:
          s.consolePutByte(a0 & 0xff);
          break;
        default:
          ret(SBI_ERR_NOT_SUPPORTED);
      }
      break;
    case EXT.HVLAB:
      if (fid > 1) ret(SBI_ERR_NOT_SUPPORTED);
      else ret(SBI_SUCCESS, s.exitCount(h, fid === 1));
      break;
    default:
      ret(SBI_ERR_NOT_SUPPORTED);
  }
  x[10] = err;
  x[11] = value;
}

/**
 * The exit status of a system_reset reason: 0 (no reason) exits 0, 1 (system failure)
 * exits 1, and hvlab's vendor-specific reasons 0xF000_0000 + N exit with status N, which
 * is how a guest's `exit N` becomes the process status.
 */
export function resetExitCode(reason: number): number {
  if (reason === 0) return 0;
  if ((reason & 0xffff0000) >>> 0 === 0xf0000000) return reason & 0xffff;
  return 1;
}

function u64(lo: number, hi: number): number {
  return (hi >>> 0) * 2 ** 32 + (lo >>> 0);
}

/** The harts a (hart_mask, hart_mask_base) pair names, or null if it names a missing one. */
function hartMask(s: SbiServices, mask: number, base: number): Hart[] | null {
  if (base === -1) return [...s.harts];
  const out: Hart[] = [];
  for (let bit = 0; bit < 32; bit++) {
    if (!(mask & (1 << bit))) continue;
    const h = s.harts[(base >>> 0) + bit];
    if (!h) return null;
    out.push(h);
  }
  return out;
}
