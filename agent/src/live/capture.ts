// Live capture through libpcap (the `cap` binding): packets arrive one at a time in a
// callback, copied into one reused buffer, and go straight into the engine. The
// binding gives neither timestamps nor pcap_stats: packets are stamped on arrival
// (immediate mode keeps that within microseconds of the kernel's), and drops are
// taken from the interface's own counters (what libpcap reports as ps_ifdrop).

import { existsSync, readFileSync } from 'node:fs';
import type { PacketEngine } from './packet-engine.js';
import { WallClock } from './clock.js';
import type { Counters, PacketSource } from './service.js';
import { capLinktype, LiveSetupError, loadCap, openErrorMessage, type CapHandle } from './pcap.js';

export interface CaptureOptions {
  iface: string;
  filter: string;
  snaplen: number;
  bufferBytes: number;
}

function interfaceDrops(iface: string): number | null {
  let total = 0;
  for (const name of ['rx_dropped', 'rx_missed_errors']) {
    try {
      total += Number(readFileSync(`/sys/class/net/${iface}/statistics/${name}`, 'utf8').trim()) || 0;
    } catch {
      return null;
    }
  }
  return total;
}

// A handle whose open() failed after libpcap created the capture is left half set up
// by the binding, and destroying it crashes the process: such handles are kept here
// for the life of the process.
const failedHandles: CapHandle[] = [];

/** Interface names of this host (Linux sysfs), or null when that cannot be told. */
function interfaceExists(iface: string): boolean | null {
  if (iface === 'any') return true;
  try {
    readFileSync(`/sys/class/net/${iface}/ifindex`);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? (existsSync('/sys/class/net') ? false : null) : null;
  }
}

export class LiveCapture implements PacketSource {
  packets = 0;
  truncated = 0;
  linktype = -1;
  linktypeName = '';
  private cap: CapHandle | null = null;
  private readonly buffer: Buffer;
  private readonly clock = new WallClock();
  private stopped = false;
  private ifDropsAtStart: number | null = null;
  private ifDrops: number | null = null;
  private lastPackets = 0;
  private fatal: (message: string) => void = () => {};

  constructor(
    private readonly engine: PacketEngine,
    private readonly opts: CaptureOptions,
  ) {
    // cap copies each packet into this buffer, cut to its size: it is the snaplen
    this.buffer = Buffer.alloc(opts.snaplen);
  }

  /** Opens the interface; throws LiveSetupError with the line to print. */
  open(): void {
    const mod = loadCap();
    if (interfaceExists(this.opts.iface) === false) throw new LiveSetupError(`live capture: no interface "${this.opts.iface}" (ip link lists them)`);
    const cap = new mod.Cap();
    let name: string;
    try {
      name = cap.open(this.opts.iface, this.opts.filter, this.opts.bufferBytes, this.buffer);
    } catch (e) {
      failedHandles.push(cap);
      throw new LiveSetupError(openErrorMessage(e, this.opts.iface, this.opts.filter));
    }
    this.cap = cap;
    this.linktypeName = name;
    this.linktype = capLinktype(name);
    this.ifDropsAtStart = interfaceDrops(this.opts.iface);
    cap.on('packet', this.onPacket);
  }

  // `buffer` is referenced here, which also keeps it alive for the native side
  private readonly onPacket = (nbytes: number, truncated: boolean): void => {
    if (this.stopped) return;
    this.packets++;
    if (truncated) this.truncated++;
    const clock = this.clock;
    clock.read();
    // a cut packet's wire length is unknown to the binding; the decoder reads the
    // declared lengths from the headers, so only the byte counters see this
    try {
      this.engine.packet(this.buffer, 0, nbytes, nbytes, this.linktype, clock.sec, clock.nsec);
    } catch (e) {
      // the engine cannot go on (a worker thread of a sharded one died): stop the run
      this.fatal(`live: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  start(fatal: (message: string) => void): void {
    this.fatal = fatal;
  }

  stop(): void {
    if (this.stopped) return;
    this.refresh();
    this.stopped = true;
    try {
      this.cap?.close();
    } catch {
      // closed already
    }
  }

  private refresh(): void {
    const now = interfaceDrops(this.opts.iface);
    this.ifDrops = now !== null && this.ifDropsAtStart !== null ? now - this.ifDropsAtStart : null;
  }

  tick(): void {
    if (!this.stopped) this.refresh();
  }

  counters(): Counters {
    return { interface: this.opts.iface, packets: this.packets, interface_drops: this.ifDrops, capture_drops: null };
  }

  statusLine(intervalSec: number): string {
    const rate = Math.round((this.packets - this.lastPackets) / intervalSec);
    this.lastPackets = this.packets;
    const drops = this.ifDrops === null ? 'interface drops unknown' : `${this.ifDrops} dropped by the interface`;
    return `${this.opts.iface}: ${this.packets} packets (${rate}/s), ${drops}, capture-buffer drops not reported by the cap binding, ${this.engine.openFlows()} flows open, ${this.engine.sessionsWritten()} sessions written`;
  }

  captureInfo(): Record<string, unknown> {
    return {
      interface: this.opts.iface,
      linktype: this.linktype,
      linktype_name: this.linktypeName,
      filter: this.opts.filter || null,
      snaplen: this.opts.snaplen,
      buffer_bytes: this.opts.bufferBytes,
      packets: this.packets,
      truncated: this.truncated,
      interface_drops: this.ifDrops,
      // libpcap's ps_drop (capture buffer full): the cap binding does not expose pcap_stats
      capture_drops: null,
    };
  }
}

export { LiveSetupError };
