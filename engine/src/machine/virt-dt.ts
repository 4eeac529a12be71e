import { PLIC_NDEV, PLIC_SIZE } from '../devices/plic.ts';
import { FINISHER_SIZE } from '../devices/test-finisher.ts';
import { UART_SIZE } from '../devices/uart16550.ts';
import { FdtNode, Phandles, toDtb, u64Cells } from './fdt.ts';

/**
 * The device tree hvlab's 'virt' board hands its S-mode guest, laid out as QEMU's riscv32
 * virt DT (`-machine virt,dumpdtb=...`) so a kernel written for QEMU finds the same nodes.
 * There is deliberately no CLINT node: on this board M-mode belongs to the hypervisor and
 * S-mode guests set timers and send IPIs through SBI calls, so they never touch a CLINT.
 */
export interface VirtDtConfig {
  /** 1..8 */
  harts: number;
  ramBase: number;
  /** Bytes. */
  ramSize: number;
  /** riscv,isa, e.g. 'rv32imac_zicsr_zifencei_zihintpause_sstc'. */
  isa: string;
  /** riscv,isa-extensions, e.g. ['i', 'm', 'a', 'c', 'zicsr', ...]. */
  isaExtensions: string[];
  timebaseHz: number;
  bootargs: string;
  /** 0..8 virtio-mmio slots, all described whether or not a device sits in them. */
  virtioSlots: number;
  /** The emulated NIC (hvlab's, not QEMU's: its e1000 is PCI only), when the VM has one. */
  nic?: boolean;
}

/** Where the board's devices sit and which PLIC sources they drive (QEMU's virt layout). */
export const VIRT_MAP = {
  test: { base: 0x0010_0000, size: FINISHER_SIZE },
  plic: { base: 0x0c00_0000, size: PLIC_SIZE },
  uart: { base: 0x1000_0000, size: UART_SIZE, irq: 10 },
  virtio: { base: 0x1000_1000, stride: 0x1000, size: 0x1000, firstIrq: 1, maxSlots: 8 },
  // hvlab's own: a register window after the virtio slots and a source QEMU leaves free.
  nic: { base: 0x1010_0000, size: 0x2_0000, irq: 12 },
} as const;

/** The 16550's input clock as QEMU's tree gives it. */
export const UART_CLOCK_HZ = 3_686_400;

const IRQ_S_EXT = 9;
const IRQ_M_EXT = 11;

export function buildVirtDtb(cfg: VirtDtConfig): Uint8Array {
  check(cfg);
  const ph = new Phandles();
  const root = new FdtNode('');
  root
    .prop('#address-cells', 2)
    .prop('#size-cells', 2)
    .prop('compatible', 'riscv-virtio')
    .prop('model', 'riscv-virtio,qemu');

  root
    .child('chosen')
    .prop('bootargs', cfg.bootargs)
    .prop('stdout-path', `/soc/${unit('serial', VIRT_MAP.uart.base)}`);

  root
    .child(unit('memory', cfg.ramBase))
    .prop('device_type', 'memory')
    .prop('reg', reg(cfg.ramBase, cfg.ramSize));

  const intcs = cpus(root, cfg, ph);

  const soc = root
    .child('soc')
    .prop('#address-cells', 2)
    .prop('#size-cells', 2)
    .prop('compatible', 'simple-bus')
    .prop('ranges', null);

  const plic = ph.next();
  soc
    .child(unit('plic', VIRT_MAP.plic.base))
    .prop('phandle', plic)
    .prop('riscv,ndev', PLIC_NDEV)
    .prop('reg', reg(VIRT_MAP.plic.base, VIRT_MAP.plic.size))
    // Context 2h is hart h's M-mode context, 2h+1 its S-mode one.
    .prop(
      'interrupts-extended',
      intcs.flatMap((intc) => [intc, IRQ_M_EXT, intc, IRQ_S_EXT]),
    )
    .prop('interrupt-controller', null)
    .prop('compatible', ['sifive,plic-1.0.0', 'riscv,plic0'])
    .prop('#address-cells', 0)
    .prop('#interrupt-cells', 1);

  soc
    .child(unit('serial', VIRT_MAP.uart.base))
    .prop('interrupts', VIRT_MAP.uart.irq)
    .prop('interrupt-parent', plic)
    .prop('clock-frequency', UART_CLOCK_HZ)
    .prop('reg', reg(VIRT_MAP.uart.base, VIRT_MAP.uart.size))
    .prop('compatible', 'ns16550a');

  const v = VIRT_MAP.virtio;
  for (let i = 0; i < cfg.virtioSlots; i++) {
    const base = v.base + i * v.stride;
    soc
      .child(unit('virtio_mmio', base))
      .prop('interrupts', v.firstIrq + i)
      .prop('interrupt-parent', plic)
      .prop('reg', reg(base, v.size))
      .prop('compatible', 'virtio,mmio');
  }

  if (cfg.nic) {
    const n = VIRT_MAP.nic;
    soc
      .child(unit('ethernet', n.base))
      .prop('interrupts', n.irq)
      .prop('interrupt-parent', plic)
      .prop('reg', reg(n.base, n.size))
      .prop('compatible', 'hvlab,e1000');
  }

  const test = ph.next();
  soc
    .child(unit('test', VIRT_MAP.test.base))
    .prop('phandle', test)
    .prop('reg', reg(VIRT_MAP.test.base, VIRT_MAP.test.size))
    .prop('compatible', ['sifive,test1', 'sifive,test0', 'syscon']);

  // The finisher's pass and reset codes, so a guest's generic syscon drivers can use it.
  for (const [name, value] of [
    ['poweroff', 0x5555],
    ['reboot', 0x7777],
  ] as const) {
    root
      .child(name)
      .prop('value', value)
      .prop('offset', 0)
      .prop('regmap', test)
      .prop('compatible', `syscon-${name}`);
  }

  return toDtb(root, { bootCpuId: 0 });
}

/** /cpus with a cpu@N per hart; returns the phandle of each hart's interrupt controller. */
function cpus(root: FdtNode, cfg: VirtDtConfig, ph: Phandles): number[] {
  const node = root
    .child('cpus')
    .prop('#address-cells', 1)
    .prop('#size-cells', 0)
    .prop('timebase-frequency', cfg.timebaseHz);
  const cpuPhandles: number[] = [];
  const intcs: number[] = [];
  for (let h = 0; h < cfg.harts; h++) {
    const cpu = ph.next();
    const intc = ph.next();
    cpuPhandles.push(cpu);
    intcs.push(intc);
    // hvlab harts are RV32 with Sv32, whatever extensions the configuration lists.
    node
      .child(`cpu@${h}`)
      .prop('phandle', cpu)
      .prop('device_type', 'cpu')
      .prop('reg', h)
      .prop('status', 'okay')
      .prop('compatible', 'riscv')
      .prop('riscv,isa', cfg.isa)
      .prop('riscv,isa-base', 'rv32i')
      .prop('riscv,isa-extensions', cfg.isaExtensions)
      .prop('mmu-type', 'riscv,sv32')
      .child('interrupt-controller')
      .prop('#interrupt-cells', 1)
      // Not in QEMU's tree; dtc warns about an interrupt provider without it.
      .prop('#address-cells', 0)
      .prop('interrupt-controller', null)
      .prop('compatible', 'riscv,cpu-intc')
      .prop('phandle', intc);
  }
  // One cluster of single-thread cores, as QEMU describes it.
  const cluster = node.child('cpu-map').child('cluster0');
  cpuPhandles.forEach((cpu, h) => cluster.child(`core${h}`).prop('cpu', cpu));
  return intcs;
}

function check(cfg: VirtDtConfig): void {
  const bad = (what: string): never => {
    throw new RangeError(`virt device tree: ${what}`);
  };
  if (!Number.isInteger(cfg.harts) || cfg.harts < 1 || cfg.harts > 8) bad(`harts ${cfg.harts}`);
  const { maxSlots } = VIRT_MAP.virtio;
  if (!Number.isInteger(cfg.virtioSlots) || cfg.virtioSlots < 0 || cfg.virtioSlots > maxSlots) {
    bad(`virtioSlots ${cfg.virtioSlots}`);
  }
  if (cfg.ramSize <= 0) bad(`ramSize ${cfg.ramSize}`);
  if (!cfg.isa.startsWith('rv32')) bad(`riscv,isa ${cfg.isa} is not RV32`);
}

function unit(name: string, address: number): string {
  return `${name}@${address.toString(16)}`;
}

function reg(base: number, size: number): number[] {
  return [...u64Cells(base), ...u64Cells(size)];
}
