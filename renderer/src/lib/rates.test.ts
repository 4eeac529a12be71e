import { describe, expect, test } from 'vitest';
import { isNetworkDevice, latestRates, rateSeries, timeSeries, vmRates } from './rates.ts';
import { sample } from './testing/samples.ts';

describe('vmRates', () => {
  test('per host second between two samples, by reason and by device', () => {
    const a = sample(1000, {
      byReason: { sbi: 10, mmio_write: 40 },
      mmio: { uart0: { read: 20, write: 40 } },
    });
    const b = sample(1500, {
      byReason: { sbi: 30, mmio_write: 90, wfi: 5 },
      mmio: { uart0: { read: 45, write: 90 }, 'virtio-net0': { read: 0, write: 3 } },
    });
    const r = vmRates(a, b, 0)!;
    expect(r.seconds).toBe(0.5);
    expect(r.exits).toBe(150); // 75 more exits in half a second
    expect(r.byReason.sbi).toBe(40);
    expect(r.byReason.mmio_write).toBe(100);
    expect(r.byReason.wfi).toBe(10);
    expect(r.byReason.csr).toBe(0);
    expect(r.mmioByDevice).toEqual({ uart0: 150, 'virtio-net0': 6 });
  });

  test('packets sent and received over both kinds of network device; exits per packet sent', () => {
    const net = (tx: number, rx: number, nicTx: number) => ({
      'virtio-net0': { txPackets: tx, rxPackets: rx, kicks: 99 },
      nic0: { txPackets: nicTx, rxPackets: 0 },
      'virtio-balloon0': { txPackets: 1000 },
    });
    const a = sample(0, { byReason: { mmio_write: 100 }, devices: net(10, 5, 0) });
    const b = sample(250, { byReason: { mmio_write: 132 }, devices: net(50, 25, 24) });
    const r = vmRates(a, b, 0)!;
    expect(r.packetsSent).toBe(64 / 0.25);
    expect(r.packetsReceived).toBe(20 / 0.25);
    expect(r.exitsPerPacket).toBe(0.5);
  });

  test('no packet sent: exits per packet unknown', () => {
    const r = vmRates(
      sample(0, { byReason: { sbi: 1 } }),
      sample(100, { byReason: { sbi: 9 } }),
      0,
    );
    expect(r!.packetsSent).toBe(0);
    expect(r!.exitsPerPacket).toBeNull();
  });

  test('no time step or no such VM: no rates', () => {
    expect(vmRates(sample(100, {}), sample(100, {}), 0)).toBeNull();
    expect(vmRates(sample(0, {}), sample(100, {}), 1)).toBeNull();
  });

  test('the VM asked for, not another', () => {
    const a = sample(0, { byReason: { sbi: 0 } }, { byReason: { sbi: 0 } });
    const b = sample(1000, { byReason: { sbi: 7 } }, { byReason: { sbi: 3 } });
    expect(vmRates(a, b, 0)!.exits).toBe(7);
    expect(vmRates(a, b, 1)!.exits).toBe(3);
  });
});

test('latestRates uses the last two samples', () => {
  const s = [
    sample(0, { byReason: { sbi: 0 } }),
    sample(1000, { byReason: { sbi: 100 } }),
    sample(2000, { byReason: { sbi: 400 } }),
  ];
  expect(latestRates(s, 0)!.exits).toBe(300);
  expect(latestRates(s.slice(0, 1), 0)).toBeNull();
});

test('rateSeries: a value per interval, series only for reasons and devices seen', () => {
  const s = [
    sample(0, { byReason: { sbi: 0 } }),
    sample(500, { byReason: { sbi: 10 }, mmio: { uart0: { read: 1, write: 1 } } }),
    sample(1000, { byReason: { sbi: 10, mmio_read: 4 }, mmio: { uart0: { read: 5, write: 1 } } }),
  ];
  expect(rateSeries(s, 0)).toEqual({
    t: [0.5, 1],
    byReason: { sbi: [20, 0], mmio_read: [0, 8] },
    mmioByDevice: { uart0: [4, 8] },
  });
  expect(rateSeries([], 0)).toEqual({ t: [], byReason: {}, mmioByDevice: {} });
});

test('timeSeries: virtual beside host seconds', () => {
  const s = [sample(0, { virtualSeconds: 0 }), sample(1500, { virtualSeconds: 0.75 })];
  expect(timeSeries(s, 0)).toEqual({ host: [0, 1.5], virtual: [0, 0.75] });
});

test('network devices by the names the board gives them', () => {
  expect(['virtio-net0', 'virtio-net1', 'nic0'].every(isNetworkDevice)).toBe(true);
  expect(['virtio-balloon0', 'virtio-console0', 'uart0', 'nicx'].some(isNetworkDevice)).toBe(false);
});
