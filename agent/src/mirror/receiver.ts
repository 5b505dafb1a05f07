// VPC Traffic Mirroring receiver: a plain UDP socket where the mirror target's traffic
// arrives (VXLAN on 4789; GENEVE on 6081 from a Gateway Load Balancer endpoint, which
// carries the VXLAN datagram inside). No root, no libpcap: each datagram's payload is
// handed to the engine as a pseudo-link frame stamped with the receive time, in the
// socket's event handler (synchronously, no promise per datagram; output is batched).

import dgram from 'node:dgram';
import { readSync } from 'node:fs';
import type { PacketEngine } from '../live/packet-engine.js';
import { LINKTYPE_GENEVE_PAYLOAD, LINKTYPE_VXLAN_PAYLOAD } from '../decode/layers.js';
import { WallClock } from '../live/clock.js';
import { formatHostPort, type HostPort } from '../live/address.js';
import type { Counters, PacketSource } from '../live/service.js';
import type { MirrorDoctor } from './doctor.js';
import { readRmemMax, readSocketDrops, readUdpRcvbufErrors, findUdpSocket } from './udp-stats.js';

export type Encapsulation = 'vxlan' | 'geneve';

export interface ReceiverOptions {
  listen: HostPort;
  encapsulation: Encapsulation;
  rcvbufBytes: number;
  /** Drain the socket after each message event (default true; false: one event per datagram). */
  drain?: boolean;
}

/** Datagrams drained per message event before libuv gets the loop back. */
const DRAIN_MAX = 256;
/** Events that do not drain after a drain found the socket empty. */
const DRAIN_PAUSE = 8;

export class MirrorReceiver implements PacketSource {
  datagrams = 0;
  bytes = 0;
  private socket: dgram.Socket | null = null;
  private stopped = false;
  private granted = 0;
  private readonly rmemMax = readRmemMax();
  private inode: number | null = null;
  private fd = -1; // the socket's descriptor, drained directly (see onMessage)
  private readonly drainBuf = Buffer.allocUnsafe(65536);
  /** Datagrams read by draining (their sender address is not known). */
  drained = 0;
  private drainPause = 0;
  private rcvbufErrorsAtStart: number | null = null;
  private drops: number | null = null;
  private rcvbufErrors: number | null = null;
  private fatal: (message: string) => void = () => {};
  private lastDatagrams = 0;
  private readonly clock = new WallClock();
  private readonly linktype: number;
  private cpuAtStart: NodeJS.CpuUsage | undefined;
  private readonly vxlanPayload: boolean;

  constructor(
    private readonly engine: PacketEngine,
    private readonly doctor: MirrorDoctor,
    private readonly opts: ReceiverOptions,
  ) {
    this.vxlanPayload = opts.encapsulation === 'vxlan';
    this.linktype = this.vxlanPayload ? LINKTYPE_VXLAN_PAYLOAD : LINKTYPE_GENEVE_PAYLOAD;
  }

  /** Binds the socket; rejects with a one-line reason (address in use, permission). */
  bind(): Promise<void> {
    const { listen, rcvbufBytes } = this.opts;
    const socket = dgram.createSocket({ type: listen.family === 6 ? 'udp6' : 'udp4', recvBufferSize: rcvbufBytes });
    this.socket = socket;
    socket.on('message', this.onMessage);
    return new Promise((resolve, reject) => {
      socket.once('error', (e: NodeJS.ErrnoException) => {
        const why = e.code === 'EADDRINUSE' ? 'address already in use (another agent?)' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EADDRNOTAVAIL' ? 'not an address of this host' : e.message;
        reject(new Error(`--listen ${formatHostPort(listen)}: ${why}`));
      });
      socket.bind(listen.port, listen.host, () => {
        socket.removeAllListeners('error');
        socket.on('error', (e) => this.fatal(`mirror socket error: ${e.message}`));
        this.granted = socket.getRecvBufferSize();
        this.bound = socket.address().port;
        const found = findUdpSocket(this.bound);
        this.inode = found?.inode ?? null;
        this.fd = this.opts.drain === false ? -1 : (found?.fd ?? -1);
        this.rcvbufErrorsAtStart = readUdpRcvbufErrors();
        resolve();
      });
    });
  }

  /** The buffer the kernel granted is below what was asked (rmem_max caps it): a hint. */
  bufferWarning(): string | null {
    // Linux doubles SO_RCVBUF for its bookkeeping and caps the request at rmem_max
    if (this.granted >= this.opts.rcvbufBytes) return null;
    const mb = Math.round(this.opts.rcvbufBytes / 1048576);
    return (
      `mirror: the kernel granted a ${(this.granted / 1048576).toFixed(1)} MiB receive buffer of the ${mb} MiB asked` +
      (this.rmemMax !== null ? ` (net.core.rmem_max is ${this.rmemMax})` : '') +
      `; bursts may be dropped: sysctl -w net.core.rmem_max=${this.opts.rcvbufBytes}`
    );
  }

  private bound = 0;

  get boundPort(): number {
    return this.bound;
  }

  start(fatal: (message: string) => void): void {
    this.fatal = fatal;
    this.cpuAtStart = process.cpuUsage();
  }

  // Node delivers one datagram per event, with a fresh Buffer and sender object each:
  // most of the cost of a small datagram. So each event also drains the socket with
  // read(2) into one reused buffer until it is empty (EAGAIN: the socket is
  // non-blocking), up to DRAIN_MAX: one event per burst instead of per datagram. An
  // empty drain costs an exception, so after one the next few events do not drain:
  // at low rates events come one per datagram anyway.
  private readonly onMessage = (msg: Buffer, rinfo: dgram.RemoteInfo): void => {
    if (this.stopped) return;
    try {
      this.receive(msg, rinfo);
    } catch (e) {
      // the engine cannot go on (a worker thread of a sharded one died): stop the run
      this.fatal(`mirror: ${e instanceof Error ? e.message : String(e)}`);
    }
  };

  private receive(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    this.handle(msg, msg.length, rinfo.address);
    const fd = this.fd;
    if (fd < 0) return;
    if (this.drainPause > 0) {
      this.drainPause--;
      return;
    }
    const buf = this.drainBuf;
    for (let i = 0; i < DRAIN_MAX; i++) {
      let len: number;
      try {
        len = readSync(fd, buf, 0, 65536, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK') {
          // not the socket we think (closed, reused): back to one event per datagram
          this.fd = -1;
        } else if (i === 0) this.drainPause = DRAIN_PAUSE;
        return;
      }
      this.drained++;
      this.handle(buf, len, null);
    }
  }

  private handle(buf: Buffer, len: number, source: string | null): void {
    this.datagrams++;
    this.bytes += len;
    const clock = this.clock;
    clock.read();
    const engine = this.engine;
    engine.packet(buf, 0, len, len, this.linktype, clock.sec, clock.nsec);
    this.doctor.datagram(engine.pkt, buf, len, this.vxlanPayload, source);
  }

  stop(): void {
    if (this.stopped) return;
    this.refreshSocketHealth();
    this.stopped = true;
    try {
      this.socket?.close();
    } catch {
      // already closed
    }
  }

  private refreshSocketHealth(): void {
    if (this.stopped) return;
    if (this.inode !== null) this.drops = readSocketDrops(this.inode);
    const errors = readUdpRcvbufErrors();
    this.rcvbufErrors = errors !== null && this.rcvbufErrorsAtStart !== null ? errors - this.rcvbufErrorsAtStart : null;
    this.doctor.socketHealth({ drops: this.drops, rcvbufErrors: this.rcvbufErrors, granted: this.granted, rmemMax: this.rmemMax });
  }

  tick(): void {
    this.refreshSocketHealth();
    this.doctor.check();
  }

  counters(): Counters {
    return {
      listen: this.where,
      datagrams: this.datagrams,
      bytes: this.bytes,
      socket_drops: this.drops,
    };
  }

  statusLine(intervalSec: number): string {
    const rate = Math.round((this.datagrams - this.lastDatagrams) / intervalSec);
    this.lastDatagrams = this.datagrams;
    const drops = this.drops === null ? 'drops unknown' : `${this.drops} dropped by the socket`;
    return `${this.datagrams} datagrams (${rate}/s), ${drops}, ${this.engine.openFlows()} flows open, ${this.engine.sessionsWritten()} sessions written`;
  }

  private get where(): string {
    return formatHostPort({ host: this.opts.listen.host, port: this.boundPort || this.opts.listen.port });
  }

  captureInfo(): Record<string, unknown> {
    const cpu = process.cpuUsage(this.cpuAtStart);
    return {
      listen: this.where,
      encapsulation: this.opts.encapsulation,
      datagrams: this.datagrams,
      bytes: this.bytes,
      drained: this.drained,
      // the receiving process's CPU time: datagrams per CPU second is its capacity
      cpu_seconds: Math.round((cpu.user + cpu.system) / 1000) / 1000,
    };
  }

  /** The socket part of the summary's mirror section. */
  socketReport(): Record<string, unknown> {
    return {
      rcvbuf_requested: this.opts.rcvbufBytes,
      rcvbuf_granted: this.granted,
      rmem_max: this.rmemMax,
      drops: this.drops,
      udp_rcvbuf_errors: this.rcvbufErrors,
    };
  }
}
