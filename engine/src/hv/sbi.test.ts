import { describe, expect, it } from 'vitest';
import type { Hart } from '../cpu/hart.ts';
import {
  EXT,
  resetExitCode,
  SBI_ERR_INVALID_PARAM,
  SBI_ERR_NOT_SUPPORTED,
  SBI_IMPL_ID,
  SBI_SPEC_VERSION,
  sbiCall,
  sbiCallName,
  type SbiServices,
} from './sbi.ts';

/** Harts as the SBI sees them (registers only), and services that log what they are asked. */
function setup(harts = 2) {
  const hs = Array.from({ length: harts }, (_, id) => ({
    id,
    x: new Int32Array(64),
    flushes: 0,
    flushTlb() {
      this.flushes++;
    },
  }));
  const log: string[] = [];
  const services: SbiServices = {
    harts: hs as unknown as Hart[],
    setTimer: (h, tick) => log.push(`timer ${h.id} ${tick}`),
    sendIpi: (t) => log.push(`ipi ${t.id}`),
    hartStart: (t, addr, opaque) => (log.push(`start ${t.id} ${addr.toString(16)} ${opaque}`), 0),
    hartStop: (h) => log.push(`stop ${h.id}`),
    hartStatus: () => 1,
    ramContains: (pa, len) => pa >= 0x80000000 && pa + len <= 0x80100000,
    consoleWrite: (pa, len) => (log.push(`write ${pa.toString(16)} ${len}`), len),
    consoleRead: () => 0,
    consolePutByte: (b) => log.push(`put ${b}`),
    consoleGetByte: () => -1,
    systemReset: (kind, code) => log.push(`${kind} ${code}`),
    exitCount: (h, vcpuOnly) => (vcpuOnly ? 100 + h.id : 1000),
  };
  const call = (eid: number, fid: number, ...args: number[]): [number, number] => {
    const x = hs[0].x;
    x[17] = eid;
    x[16] = fid;
    args.forEach((a, i) => (x[10 + i] = a));
    sbiCall(services, hs[0] as unknown as Hart);
    return [x[10], x[11]];
  };
  return { call, log, hs };
}

describe('SBI', () => {
  it("hvlab's vendor extension gives the VM's and the vCPU's exit counts", () => {
    const { call } = setup();
    expect(call(EXT.BASE, 3, EXT.HVLAB)).toEqual([0, 1]);
    expect(call(EXT.HVLAB, 0)).toEqual([0, 1000]);
    expect(call(EXT.HVLAB, 1)).toEqual([0, 100]);
    expect(call(EXT.HVLAB, 2)[0]).toBe(SBI_ERR_NOT_SUPPORTED);
  });

  it('BASE reports version, implementation and exactly the extensions implemented', () => {
    const { call } = setup();
    expect(call(EXT.BASE, 0)).toEqual([0, SBI_SPEC_VERSION]);
    expect(call(EXT.BASE, 1)).toEqual([0, SBI_IMPL_ID]);
    for (const eid of [
      EXT.BASE,
      EXT.TIME,
      EXT.IPI,
      EXT.RFENCE,
      EXT.HSM,
      EXT.SRST,
      EXT.DBCN,
      0x01,
    ]) {
      expect(call(EXT.BASE, 3, eid)).toEqual([0, 1]);
    }
    for (const eid of [0x535441 /* STA */, 0x504d55 /* PMU */, 0x0a1b2c3d])
      expect(call(EXT.BASE, 3, eid)).toEqual([0, 0]);
  });

  it('answers NOT_SUPPORTED to unknown extensions and functions', () => {
    const { call } = setup();
    expect(call(0x0a1b2c3d, 0)[0]).toBe(SBI_ERR_NOT_SUPPORTED);
    expect(call(EXT.BASE, 7)[0]).toBe(SBI_ERR_NOT_SUPPORTED);
    expect(call(EXT.DBCN, 3)[0]).toBe(SBI_ERR_NOT_SUPPORTED);
    expect(call(EXT.HSM, 3)[0]).toBe(SBI_ERR_NOT_SUPPORTED);
  });

  it('DBCN checks the whole buffer is RAM before any byte moves', () => {
    const { call, log } = setup();
    expect(call(EXT.DBCN, 0, 5, 0x80000000, 0)).toEqual([0, 5]);
    expect(call(EXT.DBCN, 0, 5, 0x1000, 0)[0]).toBe(SBI_ERR_INVALID_PARAM);
    expect(call(EXT.DBCN, 0, 0x10, 0x800ffff8, 0)[0]).toBe(SBI_ERR_INVALID_PARAM); // runs off the end
    expect(call(EXT.DBCN, 0, 1, 0x80000000, 1)[0]).toBe(SBI_ERR_INVALID_PARAM); // above 4 GiB
    expect(log).toEqual(['write 80000000 5']);
  });

  it('TIME takes a 64-bit value from two registers', () => {
    const { call, log } = setup();
    call(EXT.TIME, 0, 0x10, 0x2);
    expect(log).toEqual([`timer 0 ${2 * 2 ** 32 + 16}`]);
  });

  it('IPI and RFENCE address harts by mask and base, refusing missing ones', () => {
    const { call, log, hs } = setup(3);
    expect(call(EXT.IPI, 0, 0b110, 0)[0]).toBe(0);
    expect(call(EXT.IPI, 0, 0, -1)[0]).toBe(0);
    expect(call(EXT.IPI, 0, 0b1, 3)[0]).toBe(SBI_ERR_INVALID_PARAM);
    expect(log).toEqual(['ipi 1', 'ipi 2', 'ipi 0', 'ipi 1', 'ipi 2']);
    expect(call(EXT.RFENCE, 1, 0b10, 0, 0, 0)[0]).toBe(0);
    expect(hs.map((h) => h.flushes)).toEqual([0, 1, 0]);
  });

  it('HSM starts existing harts only', () => {
    const { call, log } = setup(2);
    expect(call(EXT.HSM, 0, 1, 0x80400100, 7)[0]).toBe(0);
    expect(call(EXT.HSM, 0, 5, 0x80400100, 7)[0]).toBe(SBI_ERR_INVALID_PARAM);
    expect(call(EXT.HSM, 2, 1)).toEqual([0, 1]);
    expect(log).toEqual(['start 1 80400100 7']);
  });

  it('SRST maps reasons to exit statuses (hvlab vendor reasons carry the code)', () => {
    const { call, log } = setup();
    call(EXT.SRST, 0, 0, 0xf0000003);
    call(EXT.SRST, 0, 1, 0);
    expect(call(EXT.SRST, 0, 7, 0)[0]).toBe(SBI_ERR_INVALID_PARAM);
    expect(log).toEqual(['shutdown 3', 'reboot 0']);
    expect([0, 1, 0xf0000000, 0xf000002a, 0xe0000000].map(resetExitCode)).toEqual([0, 1, 0, 42, 1]);
  });

  it('names calls for the statistics', () => {
    expect(sbiCallName(EXT.DBCN, 0)).toEqual(['DBCN', 'write']);
    expect(sbiCallName(0x01, 0)).toEqual(['legacy', 'console_putchar']);
    expect(sbiCallName(0x0a1b2c3d, 9)).toEqual(['0xa1b2c3d', '9']);
  });
});
