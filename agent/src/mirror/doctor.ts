// Mirror doctor: watches what VPC Traffic Mirroring delivers and says, once per mirror
// session (VNI) and with counts, when the mirror configuration is hurting the audit:
//   (a) inner frames cut short: PacketLength set on the session, or a target MTU below
//       the source MTU + 54 bytes of VXLAN encapsulation;
//   (b) one direction only: most TCP connections seen from one side (a filter with
//       rules for one traffic direction only);
//   (c) socket drops: the receive queue overflowed (buffer too small, one agent too few).
// The per-datagram part is a few comparisons on the decoded Packet; the rest runs per
// session document and once a second.

import { type Packet, TUNNEL_VXLAN } from '../decode/packet.js';

/** TCP connections a session needs before (b) is judged. */
const MIN_CONNECTIONS = 3;
const MAX_SOURCES = 16;

export class VniStats {
  datagrams = 0;
  bytes = 0;
  truncated = 0;
  cutMin = Infinity; // captured inner frame bytes of the truncated ones
  cutMax = 0;
  declaredMax = 0; // largest IP length their headers declared
  tcpConnections = 0;
  oneDirection = 0;
  sessions = 0;
  readonly sources: string[] = []; // outer source addresses (source ENIs), as sampled
  lastSource = '';
  readonly reported = new Set<string>();
  constructor(readonly vni: number) {}
}

export interface DoctorFinding {
  id: 'mirror-truncated' | 'mirror-one-direction' | 'mirror-socket-drops';
  vni?: number;
  count: number;
  of: number;
  message: string;
}

export interface SocketHealth {
  drops: number | null; // dropped by our socket since it opened
  rcvbufErrors: number | null; // system-wide UDP RcvbufErrors since we started
  granted: number; // SO_RCVBUF as the kernel reports it
  rmemMax: number | null;
}

export class MirrorDoctor {
  private readonly byVni = new Map<number, VniStats>();
  private last: VniStats | null = null;
  private socketReported = false;
  private socket: SocketHealth | null = null;
  /** Datagrams whose mirror session could not be told (no VXLAN/GENEVE header). */
  unknownSession = 0;

  constructor(private readonly log: (line: string) => void) {}

  stats(vni: number): VniStats {
    const last = this.last;
    if (last !== null && last.vni === vni) return last;
    let s = this.byVni.get(vni);
    if (s === undefined) {
      s = new VniStats(vni);
      this.byVni.set(vni, s);
    }
    this.last = s;
    return s;
  }

  /** Outer source addresses seen for a VNI (sampled), without creating its entry. */
  sourcesOf(vni: number): string[] {
    return this.byVni.get(vni)?.sources ?? [];
  }

  /**
   * One datagram (`len` bytes of `msg`), after the engine decoded it into `pkt`: plain
   * VXLAN when `vxlanPayload`, else GENEVE (whose decoded tunnel layers tell the VNI).
   * `source` is its sender's address when known.
   */
  datagram(pkt: Packet, msg: Buffer, len: number, vxlanPayload: boolean, source: string | null): void {
    let vni = -1;
    if (vxlanPayload) {
      if (len >= 8 && (msg[0] & 0x08) !== 0) vni = (msg[4] << 16) | (msg[5] << 8) | msg[6];
    } else {
      for (let i = 0; i < pkt.tunnelCount; i++) {
        if (pkt.tunnelType[i] === TUNNEL_VXLAN) {
          vni = pkt.tunnelId[i];
          break;
        }
      }
      if (vni < 0 && pkt.tunnelCount > 0) vni = pkt.tunnelId[0];
    }
    if (vni < 0) {
      this.unknownSession++;
      return;
    }
    const s = this.stats(vni);
    s.datagrams++;
    s.bytes += len;
    if (source !== null && source !== s.lastSource) {
      s.lastSource = source;
      if (s.sources.length < MAX_SOURCES && !s.sources.includes(source)) s.sources.push(source);
    }
    // the mirrored packet's IP header declares more bytes than arrived
    if (pkt.ipVersion !== 0 && pkt.buf === msg) {
      const declaredEnd = pkt.ipOff + pkt.ipLen;
      if (declaredEnd > len) {
        s.truncated++;
        const inner = vxlanPayload ? len - 8 : len - pkt.ipOff + 14;
        if (inner < s.cutMin) s.cutMin = inner;
        if (inner > s.cutMax) s.cutMax = inner;
        if (pkt.ipLen > s.declaredMax) s.declaredMax = pkt.ipLen;
      }
    }
  }

  /** One session document as it is written. */
  session(doc: Record<string, any>): void {
    const vni = sessionVni(doc);
    if (vni === null) return;
    const s = this.stats(vni);
    s.sessions++;
    if (doc.network?.transport === 'tcp') {
      s.tcpConnections++;
      if (doc.intransit?.flow?.one_direction) s.oneDirection++;
    }
  }

  /** The socket's view, refreshed by the receiver once a second. */
  socketHealth(h: SocketHealth): void {
    this.socket = h;
  }

  /** Reports each problem once, when first seen (called once a second and at the end). */
  check(): void {
    for (const f of this.findings()) {
      const key = f.id;
      if (f.vni === undefined) {
        if (this.socketReported) continue;
        this.socketReported = true;
      } else {
        const s = this.byVni.get(f.vni)!;
        if (s.reported.has(key)) continue;
        s.reported.add(key);
      }
      this.log(`mirror doctor: ${f.message}`);
    }
  }

  findings(): DoctorFinding[] {
    const out: DoctorFinding[] = [];
    for (const s of [...this.byVni.values()].sort((a, b) => a.vni - b.vni)) {
      if (s.truncated > 0) out.push({ id: 'mirror-truncated', vni: s.vni, count: s.truncated, of: s.datagrams, message: truncatedMessage(s) });
      if (s.tcpConnections >= MIN_CONNECTIONS && s.oneDirection * 2 > s.tcpConnections) {
        out.push({ id: 'mirror-one-direction', vni: s.vni, count: s.oneDirection, of: s.tcpConnections, message: oneDirectionMessage(s) });
      }
    }
    const h = this.socket;
    if (h && ((h.drops ?? 0) > 0 || (h.drops === null && (h.rcvbufErrors ?? 0) > 0))) {
      const datagrams = [...this.byVni.values()].reduce((n, s) => n + s.datagrams, 0) + this.unknownSession;
      out.push({ id: 'mirror-socket-drops', count: h.drops ?? h.rcvbufErrors ?? 0, of: datagrams, message: dropsMessage(h) });
    }
    return out;
  }

  /** The summary's `intransit.summary.mirror` section (the receiver adds the socket part). */
  report(): Record<string, unknown> {
    return {
      sessions: [...this.byVni.values()]
        .sort((a, b) => a.vni - b.vni)
        .map((s) => ({
          vni: s.vni,
          datagrams: s.datagrams,
          bytes: s.bytes,
          outer_sources: s.sources,
          sessions: s.sessions,
          tcp_connections: s.tcpConnections,
          one_direction: s.oneDirection,
          truncated: s.truncated,
          ...(s.truncated > 0 ? { truncated_at_bytes: s.cutMin === s.cutMax ? s.cutMin : [s.cutMin, s.cutMax], declared_up_to_bytes: s.declaredMax } : {}),
        })),
      unknown_session_datagrams: this.unknownSession,
      findings: this.findings(),
    };
  }
}

/** The mirror session's VNI of a session document: its VXLAN layer (else any VNI). */
export function sessionVni(doc: Record<string, any>): number | null {
  const tunnel = doc.intransit?.tunnel as { type: string; vni?: number }[] | undefined;
  if (!tunnel) return null;
  const vx = tunnel.find((t) => t.type === 'vxlan' && t.vni !== undefined) ?? tunnel.find((t) => t.vni !== undefined);
  return vx?.vni ?? null;
}

function truncatedMessage(s: VniStats): string {
  const cut = s.cutMin === s.cutMax ? `${s.cutMin} bytes` : `${s.cutMin}-${s.cutMax} bytes`;
  return (
    `mirror session vni ${s.vni}: ${s.truncated} of ${s.datagrams} mirrored packets arrived cut short ` +
    `(inner frames of ${cut}, IP headers declaring up to ${s.declaredMax}), so handshakes and certificates in them are lost; ` +
    `cause: PacketLength is set on the mirror session, or the target's MTU is below the source's MTU + 54 bytes of VXLAN overhead; ` +
    `fix: unset PacketLength (intransit aws apply does; aws ec2 modify-traffic-mirror-session --remove-fields packet-length), ` +
    `and keep the source MTU <= 8947 for a 9001-byte target (<= 8446 through a Gateway Load Balancer)`
  );
}

function oneDirectionMessage(s: VniStats): string {
  return (
    `mirror session vni ${s.vni}: ${s.oneDirection} of ${s.tcpConnections} TCP connections were seen in one direction only, ` +
    `so negotiated versions and ciphers cannot be read; cause: the mirror filter accepts only inbound or only outbound traffic; ` +
    `fix: add filter rules for both directions (intransit aws apply creates them)`
  );
}

function dropsMessage(h: SocketHealth): string {
  const suggested = Math.max(64 << 20, (h.rmemMax ?? 0) * 2);
  const what = h.drops !== null ? `the receive socket dropped ${h.drops} datagrams` : `UDP receive errors rose by ${h.rcvbufErrors} on this host`;
  return (
    `${what} (its ${Math.round(h.granted / 1048576)} MiB receive buffer filled up${h.rmemMax !== null ? `; net.core.rmem_max is ${h.rmemMax}` : ''}), ` +
    `so sessions are incomplete; fix: sysctl -w net.core.rmem_max=${suggested} and restart with --rcvbuf-mb ${Math.round(suggested / 1048576)}, ` +
    `or spread the mirror sessions over more agents behind a Network Load Balancer`
  );
}
