/**
 * A session: the VMs a user runs together, driven in slices so that the thread they run
 * on stays responsive. It is the engine side of the worker protocol (protocol.ts), kept
 * free of worker_threads so tests can drive it directly.
 *
 * Console output is coalesced (a message per ~16 ms or 64 KiB) and flow-controlled by
 * credit: a VM may have `consoleWindow` bytes in flight to the host; the host returns
 * credit as its consumer takes them. When a VM's output backs up, a deterministic
 * session stops running that VM until credit comes (the guest cannot tell, so runs stay
 * repeatable), and a realtime one shows the guest a busy console (the UART's LSR, short
 * DBCN writes, virtio chains left in the ring) once a message's worth waits, and stops
 * running it while no credit is left. Either way memory stays bounded, nothing the guest
 * was told it wrote is dropped, and little output waits ahead of a key's echo.
 */
import { parseProfile, type HostProfile } from '../hv/profile.ts';
import { VirtMachine, type ClockMode, type VirtConfig } from '../machine/virt.ts';
import { parseDeviceKind } from '../machine/virt-devices.ts';
import { ImageError } from '../machine/elf-loader.ts';
import { VirtualSwitch } from '../net/switch.ts';
import { decodeSnapshot, encodeSnapshot } from '../snapshot/format.ts';
import {
  isSnapObject,
  snapArray,
  snapObject,
  snapString,
  SnapshotError,
  type SnapObject,
} from '../snapshot/persist.ts';
import type {
  HostMessage,
  ReadyPoint,
  SessionSpec,
  SessionState,
  VmOutcome,
  VmStats,
  WorkerMessage,
} from './protocol.ts';

/** What the session needs from the thread it runs on. */
export interface SessionHost {
  post(msg: WorkerMessage, transfer?: ArrayBuffer[]): void;
  /** Monotonic host milliseconds. */
  now(): number;
}

/** Longest slice of guest execution before messages get a turn. */
const SLICE_MS = 16;
/** Coalescing of console output: flush at this age or this size. */
const FLUSH_MS = 16;
const CHUNK_BYTES = 64 * 1024;
export const DEFAULT_CONSOLE_WINDOW = 256 * 1024;
const STATS_MS = 250;
/** Longest idle sleep before looking again. */
const MAX_SLEEP_MS = 1000;

/** A VM and its console stream. */
class VmSlot {
  readonly name: string;
  readonly vm: VirtMachine;
  /** Output not yet sent to the host. */
  private pending = new Uint8Array(4096);
  private pendingLength = 0;
  /** Bytes sent and not yet credited back. */
  inFlight = 0;
  consoleBytes = 0;
  backlogPeak = 0;
  outcome: VmOutcome | null = null;
  idle = false;
  wakeInMs = 0;
  ready: ReadyPoint | null = null;
  private readonly window: number;
  /**
   * The most one console message carries: a quarter of the window, so several are in
   * flight and the reader's credits keep output flowing instead of stop-and-wait.
   */
  readonly messageBytes: number;
  /** The ready marker's bytes, and how many of them the output ends with so far. */
  private readonly marker: Uint8Array;
  private matched = 0;
  private readonly hostMs: () => number;

  constructor(
    name: string,
    vm: VirtMachine,
    opts: { window: number; realtime: boolean; marker: string; hostMs: () => number },
  ) {
    this.name = name;
    this.vm = vm;
    this.marker = new TextEncoder().encode(opts.marker);
    this.hostMs = opts.hostMs;
    this.window = opts.window;
    this.messageBytes = Math.min(CHUNK_BYTES, Math.max(1, opts.window >> 2));
    // Realtime: the guest sees a message's worth of backlog as a busy console, so little
    // waits ahead of what it writes next (a key's echo). Deterministic: never, the session
    // pauses the VM instead (see blocked()).
    if (opts.realtime) vm.console.canWrite = () => this.pendingLength < this.messageBytes;
  }

  output(byte: number): void {
    if (this.pendingLength === this.pending.length) {
      const grown = new Uint8Array(this.pending.length * 2);
      grown.set(this.pending);
      this.pending = grown;
    }
    this.pending[this.pendingLength++] = byte;
    this.consoleBytes++;
    if (this.pendingLength > this.backlogPeak) this.backlogPeak = this.pendingLength;
    if (this.ready === null && this.marker.length > 0) this.watch(byte);
  }

  /** Match the ready marker as bytes go by (restarting on a mismatch suits a prompt). */
  private watch(byte: number): void {
    if (byte !== this.marker[this.matched]) this.matched = 0;
    if (byte === this.marker[this.matched]) this.matched++;
    if (this.matched < this.marker.length) return;
    // Only what the ready point records: this runs inside the boot time it measures.
    this.ready = {
      hostMs: this.hostMs(),
      instret: this.instret(),
      virtualSeconds: this.ticks() / this.vm.profile.timebaseHz,
    };
  }

  private instret(): number {
    return this.vm.harts.reduce((n, h) => n + h.instret, 0);
  }

  /** Guest time in timebase ticks: the furthest hart's. */
  private ticks(): number {
    return Math.max(...this.vm.harts.map((h) => this.vm.clock.now(h)));
  }

  get backlog(): number {
    return this.pendingLength;
  }

  /** Up to `max` bytes of pending output, removed from the backlog. */
  take(max: number): Uint8Array {
    const n = Math.min(max, this.pendingLength);
    const chunk = this.pending.slice(0, n);
    this.pending.copyWithin(0, n, this.pendingLength);
    this.pendingLength -= n;
    return chunk;
  }

  stats(): VmStats {
    const vm = this.vm;
    const instret = this.instret();
    const ticks = this.ticks();
    return {
      instret,
      ticks,
      virtualSeconds: ticks / vm.profile.timebaseHz,
      guestCycles: instret * vm.profile.cpi,
      exits: vm.hv.stats.report(),
      consoleBytes: this.consoleBytes,
      consoleBlocked: this.inFlight >= this.window,
      consoleBacklog: this.backlog,
      consoleBacklogPeak: this.backlogPeak,
      ready: this.ready,
      devices: vm.devices.metrics(),
      memory: { pages: vm.ram.pages, framesMapped: vm.ram.framesMapped },
      balloonStats: vm.devices.balloon?.stats() ?? {},
    };
  }
}

export class Session {
  private readonly host: SessionHost;
  private readonly profile: HostProfile;
  private readonly clock: ClockMode;
  private readonly slots: VmSlot[] = [];
  /** The session's switch: its VMs' network devices plug into it (alone: loopback). */
  private readonly network = new VirtualSwitch();
  private readonly window: number;
  private readonly testHooks: boolean;
  private maxInsns: number;
  private pauseAt = Infinity;
  private state: SessionState = 'created';
  /** The next slice, queued: at once (an immediate) or after a delay (a timer). */
  private immediate: ReturnType<typeof setImmediate> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Statistics go out on this beat whatever the state, so the host can tell we live. */
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private lastFlush = 0;
  private started = 0;
  /** When every guest had stopped (finish()), if they have. */
  private stoppedMs: number | null = null;

  private constructor(
    host: SessionHost,
    profile: HostProfile,
    clock: ClockMode,
    opts: { window?: number; maxInsns?: number; testHooks?: boolean },
  ) {
    this.host = host;
    this.profile = profile;
    this.clock = clock;
    this.window = opts.window ?? DEFAULT_CONSOLE_WINDOW;
    this.maxInsns = opts.maxInsns ?? Infinity;
    this.testHooks = opts.testHooks ?? false;
  }

  /** A new session booting the images in `spec` (throws ImageError/ProfileError). */
  static create(spec: SessionSpec, host: SessionHost): Session {
    const s = new Session(host, parseProfile(spec.profile, 'of the session'), spec.clock, {
      window: spec.consoleWindow,
      maxInsns: spec.maxInsns,
      testHooks: spec.testHooks,
    });
    for (const v of spec.vms) {
      const vm = s.addVm(
        v.name,
        {
          memBytes: v.memBytes,
          harts: v.harts,
          bootargs: v.bootargs,
          clock: spec.clock,
          devices: (v.devices ?? []).map(parseDeviceKind),
        },
        v.readyMarker ?? '',
      );
      vm.loadImage(v.image);
      if (v.input) vm.console.pushInput(v.input);
      if (v.balloonPages !== undefined) {
        if (!vm.devices.balloon) throw new ImageError('--balloon-target needs --device balloon');
        if (v.balloonPages > vm.ram.pages)
          throw new ImageError(`--balloon-target is more than the VM's RAM`);
        vm.devices.balloon.setTarget(v.balloonPages);
      }
    }
    s.ready();
    return s;
  }

  /** A session continuing from a snapshot file (throws SnapshotError). */
  static restore(
    bytes: Uint8Array,
    host: SessionHost,
    opts: { window?: number; maxInsns?: number } = {},
  ): Session {
    const tree = decodeSnapshot(bytes);
    if (!isSnapObject(tree) || tree.kind !== 'hvlab-session')
      throw new SnapshotError('snapshot does not hold an hvlab session');
    let profileJson: unknown;
    try {
      profileJson = JSON.parse(snapString(tree, 'profile'));
    } catch {
      throw new SnapshotError('snapshot profile is not valid JSON');
    }
    const clock = snapString(tree, 'clock');
    if (clock !== 'deterministic' && clock !== 'realtime')
      throw new SnapshotError(`snapshot clock mode '${clock}' is unknown`);
    const s = new Session(host, parseProfile(profileJson, 'in the snapshot'), clock, opts);
    // Build every VM first (their network devices plug into the switch), then restore the
    // switch, then the VMs.
    const saved = snapArray(tree, 'vms').map((v) => {
      if (!isSnapObject(v)) throw new SnapshotError('snapshot VM entry is malformed');
      const state = snapObject(v, 'vm');
      return { vm: s.addVm(snapString(v, 'name'), VirtMachine.configOf(state), ''), state };
    });
    s.network.restore(snapObject(tree, 'network'));
    for (const { vm, state } of saved) vm.restore(state);
    s.ready();
    return s;
  }

  private addVm(name: string, config: VirtConfig, marker: string): VirtMachine {
    let slot: VmSlot | null = null;
    const network = { switch: this.network, vmIndex: this.slots.length };
    const vm = new VirtMachine({ ...config, network }, this.profile, (b) => slot?.output(b));
    slot = new VmSlot(name, vm, {
      window: this.window,
      realtime: this.clock === 'realtime',
      marker,
      hostMs: () => this.hostMs(),
    });
    vm.console.onInput = chain(vm.console.onInput, () => this.kick());
    this.slots.push(slot);
    return vm;
  }

  private ready(): void {
    this.host.post({
      type: 'ready',
      vms: this.slots.map((s) => ({
        name: s.name,
        harts: s.vm.config.harts,
        memBytes: s.vm.config.memBytes,
        bootargs: s.vm.config.bootargs,
        devices: [...s.vm.devices.kinds],
      })),
      profile: this.profile.name,
      clock: this.clock,
    });
  }

  handle(msg: HostMessage): void {
    switch (msg.type) {
      case 'start':
        if (this.state !== 'created') return this.refuse('the session has already started');
        this.started = this.host.now();
        this.heartbeat = setInterval(() => this.postStats(), STATS_MS);
        this.setState('running');
        return this.kick();
      case 'pause':
        if (this.state === 'running' || this.state === 'idle') this.pause();
        return;
      case 'resume':
        if (this.state !== 'paused') return;
        for (const s of this.slots) s.vm.resumeTime();
        this.setState('running');
        return this.kick();
      case 'pause-at':
        this.pauseAt = msg.instret;
        return this.kick();
      case 'stop':
        for (const s of this.slots) s.outcome ??= { kind: 'stopped', reason: msg.reason };
        return this.end();
      case 'snapshot':
        return this.snapshot(msg.id);
      case 'input': {
        const slot = this.slots[msg.vm] as VmSlot | undefined;
        if (!slot)
          return this.refuse(`input for VM ${msg.vm}: the session has ${this.slots.length}`);
        slot.vm.console.pushInput(msg.bytes);
        return;
      }
      case 'credit': {
        const slot = this.slots[msg.vm] as VmSlot | undefined;
        if (!slot)
          return this.refuse(`credit for VM ${msg.vm}: the session has ${this.slots.length}`);
        slot.inFlight = Math.max(0, slot.inFlight - msg.bytes);
        // Output that waited for this credit goes at once: the reader is ready for it, and
        // a key's echo queued behind it should not wait for the next flush. (One send per
        // credit keeps the message rate that of the reader, as ACKs clock TCP.)
        this.flushConsoles('now');
        if (this.slots.every((s) => s.outcome !== null)) return this.finish();
        return this.kick();
      }
      case 'balloon': {
        const balloon = this.slots[msg.vm]?.vm.devices.balloon;
        if (!balloon) return this.refuse(`balloon for VM ${msg.vm}: it has no balloon device`);
        if (msg.pages > this.slots[msg.vm].vm.ram.pages)
          return this.refuse(`balloon target ${msg.pages} pages is more than the VM's RAM`);
        balloon.setTarget(msg.pages);
        return this.kick();
      }
      case 'fault':
        if (!this.testHooks) return this.refuse('fault injection is off for this session');
        return this.fault(msg.kind);
      case 'create':
      case 'restore':
        return this.refuse('this worker already runs a session');
    }
  }

  /** Run soon: now (after the messages already queued), or in `delayMs`. */
  private kick(delayMs = 0): void {
    if (this.state !== 'running' && this.state !== 'idle') return;
    this.unqueue();
    // Not setTimeout(0), which waits a millisecond or more: slices would have idle gaps.
    if (delayMs <= 0) {
      this.immediate = setImmediate(() => {
        this.immediate = null;
        this.slice();
      });
    } else {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.slice();
      }, delayMs);
    }
  }

  private unqueue(): void {
    if (this.immediate !== null) clearImmediate(this.immediate);
    if (this.timer !== null) clearTimeout(this.timer);
    this.immediate = this.timer = null;
  }

  private slice(): void {
    if (this.state !== 'running' && this.state !== 'idle') return;
    const t0 = this.host.now();
    let runnable: boolean;
    try {
      do {
        runnable = false;
        for (const s of this.slots) {
          if (s.outcome !== null || this.blocked(s)) continue;
          const r = s.vm.runRound();
          if (r.state === 'stopped') s.outcome = vmOutcome(s.vm);
          s.idle = r.state === 'idle';
          s.wakeInMs = r.wakeInMs;
          if (r.state === 'running') runnable = true;
        }
        const instret = this.instret();
        if (instret >= this.maxInsns) {
          for (const s of this.slots) s.outcome ??= { kind: 'max-insns' };
          return this.finish();
        }
        if (this.slots.every((s) => s.outcome !== null)) break; // ended: nothing to pause
        if (instret >= this.pauseAt) {
          this.pauseAt = Infinity;
          this.pause();
          return;
        }
        // A console whose output waits: hand back now, so that output goes (or the credit
        // that frees it is read) at once instead of after a whole slice.
        if (this.slots.some((s) => s.backlog >= s.messageBytes)) break;
      } while (runnable && this.host.now() - t0 < SLICE_MS);
    } catch (e) {
      // An engine bug must not take the thread down silently: report it and end. The
      // output so far goes first: the host closes the session's runs on a fatal error.
      this.flushConsoles('final');
      this.host.post({ type: 'error', message: `engine failure: ${String(e)}`, fatal: true });
      for (const s of this.slots) s.outcome ??= { kind: 'stopped', reason: String(e) };
      return this.end();
    }
    this.flushConsoles('due');
    if (this.slots.every((s) => s.outcome !== null)) return this.finish();
    const live = this.slots.filter((s) => s.outcome === null);
    if (runnable || live.some((s) => !s.idle && !this.blocked(s))) {
      if (this.state === 'idle') this.setState('running');
      return this.kick();
    }
    // Nothing can run now: each VM sleeps until a timer (realtime), input or credit. What
    // they wrote goes now: coalescing is for a guest still writing, and a sleeping one
    // would leave its last output (a key's echo, a prompt) waiting for the next event.
    this.flushConsoles('now');
    const wake = Math.min(...live.filter((s) => s.idle).map((s) => s.wakeInMs));
    if (wake !== Infinity) return this.kick(Math.min(wake, MAX_SLEEP_MS));
    if (live.some((s) => this.blocked(s))) return this.kick(FLUSH_MS);
    // Only input can wake these guests: say so (a scripted run ends here).
    if (this.state === 'running') this.setState('idle');
  }

  /**
   * A VM that waits for the reader is not run (see the header). Realtime: its console is
   * busy and no credit is left, so its guest could only poll; the host's CPU goes to the
   * reader instead (the VM's clock runs on, as for a vCPU the host did not schedule).
   */
  private blocked(s: VmSlot): boolean {
    if (this.clock === 'deterministic') return s.backlog >= this.window;
    return s.backlog >= s.messageBytes && s.inFlight >= this.window;
  }

  /**
   * Send what is due: output older than FLUSH_MS or a full chunk, as credit allows. A
   * session ended at once (end()) sends everything, credit or not: its VMs have stopped,
   * so that is bounded.
   */
  private flushConsoles(when: 'due' | 'now' | 'final'): void {
    const now = this.host.now();
    const full = this.slots.some((s) => s.backlog >= s.messageBytes);
    if (when === 'due' && now - this.lastFlush < FLUSH_MS && !full) return;
    this.lastFlush = now;
    this.slots.forEach((s, vm) => {
      for (;;) {
        const room = when === 'final' ? Infinity : this.window - s.inFlight;
        if (s.backlog === 0 || room <= 0) return;
        const bytes = s.take(Math.min(room, s.messageBytes));
        s.inFlight += bytes.length;
        this.host.post({ type: 'console', vm, bytes }, [bytes.buffer as ArrayBuffer]);
      }
    });
  }

  private postStats(): void {
    this.host.post({ type: 'stats', hostMs: this.hostMs(), vms: this.slots.map((s) => s.stats()) });
  }

  private pause(): void {
    for (const s of this.slots) s.vm.pauseTime();
    this.flushConsoles('now');
    this.setState('paused');
    this.postStats();
  }

  /**
   * The guests have all stopped: what they wrote still goes as credit allows, so the
   * reader never holds more than a window, as while they ran, and the session ends once
   * it is all out (each credit comes back here). A stop the host asks for, or a failure,
   * ends at once instead (end()).
   */
  private finish(): void {
    this.stoppedMs ??= this.hostMs();
    this.flushConsoles('now');
    if (this.slots.every((s) => s.backlog === 0)) this.end();
  }

  private end(): void {
    if (this.state === 'ended') return;
    this.unqueue();
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.flushConsoles('final');
    this.state = 'ended';
    this.host.post({
      type: 'ended',
      // Engine time: until the guests stopped, not until a slow reader took their output.
      hostMs: this.stoppedMs ?? this.hostMs(),
      outcomes: this.slots.map((s) => s.outcome ?? { kind: 'stopped', reason: 'ended' }),
      vms: this.slots.map((s) => s.stats()),
    });
  }

  /** Output still undelivered (credit) stays with this session; the file holds VM state. */
  private snapshot(id: number): void {
    if (this.state === 'running' || this.state === 'idle')
      return this.refuse('pause the session before taking a snapshot');
    const tree: SnapObject = {
      kind: 'hvlab-session',
      profile: JSON.stringify(this.profile),
      clock: this.clock,
      vms: this.slots.map((s) => ({ name: s.name, vm: s.vm.save() })),
      network: this.network.save(),
    };
    const bytes = encodeSnapshot(tree);
    this.host.post({ type: 'snapshot', id, bytes }, [bytes.buffer as ArrayBuffer]);
  }

  /** Test hooks: die with an uncaught exception, or stop answering (a guest-proof hang). */
  private fault(kind: 'throw' | 'hang'): void {
    setTimeout(() => {
      if (kind === 'hang') for (;;);
      throw new Error('test fault: worker crash');
    }, 0);
  }

  private setState(state: SessionState): void {
    this.state = state;
    this.host.post({ type: 'state', state, instret: this.instret() });
  }

  private refuse(message: string): void {
    this.host.post({ type: 'error', message, fatal: false });
  }

  private instret(): number {
    let n = 0;
    for (const s of this.slots) for (const h of s.vm.harts) n += h.instret;
    return n;
  }

  private hostMs(): number {
    return this.started === 0 ? 0 : this.host.now() - this.started;
  }
}

function vmOutcome(vm: VirtMachine): VmOutcome {
  const o = vm.outcome;
  if (o === null) return { kind: 'stopped', reason: 'ended' };
  return o.kind === 'shutdown' ? { kind: 'shutdown', exitCode: o.exitCode } : { kind: 'reboot' };
}

function chain(first: () => void, then: () => void): () => void {
  return () => {
    first();
    then();
  };
}
