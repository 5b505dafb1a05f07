// Builds the contract's session document (ECS names, nested objects) for a flow
// that has ended. Runs once per session, never per packet.

import type { SessionDoc, TunnelLayer } from '@intransit/shared';
import type { Flow } from '../flow/flow.js';
import { TUNNEL_NAMES, TUNNEL_VXLAN, TUNNEL_GENEVE, TUNNEL_GRE, TUNNEL_ERSPAN } from '../decode/packet.js';
import { communityId } from '../flow/community-id.js';
import { tlsDocument } from '../protocols/tls/logger.js';
import { ipString, isoTime } from './format.js';

/** Which side originated the flow: true when side A (the first sender) did. */
export function originatorIsA(f: Flow): boolean {
  if (f.synFrom >= 0) return f.synFrom === 0; // SYN sender (or the peer of a SYN-ACK sender)
  // the contract names the TLS (over TCP) and QUIC clients; a DTLS flow keeps its first
  // sender, as WebRTC peers take the DTLS client role by signalling, not by who spoke first
  const insp = f.inspector;
  const ds = insp?.datagramSession;
  const tls = ds ? (ds.fingerprintTransport === 'q' ? ds.tls : null) : insp?.tls;
  if (tls && tls.clientIsOriginator !== null) return tls.clientIsOriginator; // ClientHello (QUIC Initial) sender
  return true; // first packet's sender
}

function tunnelLayers(f: Flow): TunnelLayer[] | undefined {
  if (f.tunnels === null) return undefined;
  return f.tunnels.map(({ type, id }) => {
    const layer: TunnelLayer = { type: TUNNEL_NAMES[type] || `type-${type}` };
    if (id >= 0) {
      if (type === TUNNEL_VXLAN || type === TUNNEL_GENEVE) layer.vni = id;
      else if (type === TUNNEL_GRE) layer.key = id;
      else if (type === TUNNEL_ERSPAN) layer.session_id = id;
      else layer.id = id;
    }
    return layer;
  });
}

export interface SessionExtras {
  endReason: 'idle' | 'evicted' | 'closed' | 'end';
}

export function sessionDocument(f: Flow, extras: SessionExtras): SessionDoc {
  const aOrig = originatorIsA(f);
  const aIp = ipString(f.ipVersion, f.a0, f.a1, f.a2, f.a3);
  const bIp = ipString(f.ipVersion, f.b0, f.b1, f.b2, f.b3);
  const a = { ip: aIp, port: f.aPort, bytes: f.bytesA, packets: f.pktsA };
  const b = { ip: bIp, port: f.bPort, bytes: f.bytesB, packets: f.pktsB };
  const source = aOrig ? a : b;
  const destination = aOrig ? b : a;
  const aw = Uint32Array.of(f.a0, f.a1, f.a2, f.a3);
  const bw = Uint32Array.of(f.b0, f.b1, f.b2, f.b3);
  const cid = communityId(f.ipVersion === 6 ? 6 : 4, aw, bw, f.proto, f.aPort, f.bPort);
  const start = isoTime(f.firstSec, f.firstNsec);
  const insp = f.inspector;
  const proto = insp?.protocol ?? null;
  const transport = f.proto === 6 ? 'tcp' : f.proto === 17 ? 'udp' : String(f.proto);

  const doc: SessionDoc = {
    '@timestamp': start,
    event: { kind: 'event', dataset: 'intransit.session', start, end: isoTime(f.lastSec, f.lastNsec) },
    source,
    destination,
    network: {
      transport,
      type: f.ipVersion === 6 ? 'ipv6' : 'ipv4',
      protocol: proto ? proto.name : 'unknown',
      community_id: cid,
    },
    intransit: {
      // a TLS handshake on the flow (directly, after STARTTLS, in a tunnel) makes it encrypted
      encrypted: insp?.sawTls || (insp?.datagramSession && insp.datagramSession.tls.clientHello) ? true : proto ? proto.encrypted : null,
      findings: [],
    },
  };
  if (f.vlanId >= 0) doc.network.vlan = { id: f.vlanId };
  const tunnel = tunnelLayers(f);
  if (tunnel) doc.intransit.tunnel = tunnel;
  const ds = insp?.datagramSession ?? null;
  const tls = ds ? ds.tls : insp?.tls ?? null;
  if (tls) {
    const t = tlsDocument(tls, ds ? ds.fingerprintTransport : 't');
    if (t) {
      doc.tls = t.tls as SessionDoc['tls'];
      doc.intransit.tls = t.intransitTls;
    }
  }
  const unobservable: string[] = [];
  if (ds && proto) {
    const facts = ds.facts();
    if (facts) doc.intransit[proto.name] = facts;
    unobservable.push(...ds.unobservable);
  }
  const app = insp?.parser?.facts;
  if (app) {
    if (app.starttls) doc.intransit.starttls = { offered: app.starttls.offered, used: app.starttls.used && !!insp?.sawTls, ...(app.starttls.offeredBy ? { offered_by: app.starttls.offeredBy } : {}) };
    if (app.credentials?.length) doc.intransit.credentials = app.credentials.map((c) => ({ kind: c.kind, user: c.user, secret: '[redacted]' }));
    if (app.tunnelTarget) doc.intransit.tunnel_target = app.tunnelTarget;
    if (app.details && proto) doc.intransit[proto.name] = app.details;
  }
  if (unobservable.length) doc.intransit.unobservable = unobservable;
  const flowFacts: Record<string, unknown> = { first_packet: f.firstFrame, end_reason: extras.endReason };
  if (f.proto === 6) {
    if (f.synFrom < 0) flowFacts.midstream = true;
    const gaps = (f.streamA?.gaps ?? 0) + (f.streamB?.gaps ?? 0);
    if (gaps) flowFacts.gaps = gaps;
  }
  if (f.snapTruncated) flowFacts.snaplen_truncated = true;
  // the inspection budget stopped inspection (too many flows inspecting at once): what is
  // above was learnt before that, anything later in the flow was not looked at
  if (insp?.wasShed) flowFacts.inspection_shed = true;
  if (f.pktsA === 0 || f.pktsB === 0) flowFacts.one_direction = true;
  doc.intransit.flow = flowFacts;
  return doc;
}
