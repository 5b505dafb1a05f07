// Builds the contract's session document (ECS names, nested objects) for a flow
// that has ended. Runs once per session, never per packet.

import type { SessionDoc, TunnelLayer } from '@intransit/shared';
import type { Flow } from '../flow/flow.js';
import { TUNNEL_NAMES, TUNNEL_VXLAN, TUNNEL_GENEVE, TUNNEL_GRE, TUNNEL_ERSPAN } from '../decode/packet.js';
import { communityId } from '../flow/community-id.js';
import type { InspectionResult } from '../flow/inspection-result.js';
import { ipString, isoTime } from './format.js';

/** Which side originated the flow: true when side A (the first sender) did. */
export function originatorIsA(f: Flow, r: InspectionResult | null): boolean {
  if (f.synFrom >= 0) return f.synFrom === 0; // SYN sender (or the peer of a SYN-ACK sender)
  if (r !== null && r.clientIsA !== null) return r.clientIsA; // ClientHello (QUIC Initial) sender
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

/** `r`: what inspection learnt (flow/inspection-result.ts), null when the flow carried no payload. */
export function sessionDocument(f: Flow, r: InspectionResult | null, extras: SessionExtras): SessionDoc {
  const aOrig = originatorIsA(f, r);
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
  const proto = r?.protocol ?? null;
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
      encrypted: r?.tlsSeen ? true : proto ? proto.encrypted : null,
      findings: [],
    },
  };
  if (f.vlanId >= 0) doc.network.vlan = { id: f.vlanId };
  const tunnel = tunnelLayers(f);
  if (tunnel) doc.intransit.tunnel = tunnel;
  const t = r?.tls ?? null;
  if (t) {
    doc.tls = t.tls as SessionDoc['tls'];
    doc.intransit.tls = t.intransitTls;
  }
  const unobservable: string[] = [];
  if (r !== null && proto) {
    if (r.datagramFacts) doc.intransit[proto.name] = r.datagramFacts;
    unobservable.push(...r.unobservable);
  }
  const app = r?.app;
  if (app) {
    if (app.starttls) doc.intransit.starttls = { offered: app.starttls.offered, used: app.starttls.used && !!r?.tlsSeen, ...(app.starttls.offeredBy ? { offered_by: app.starttls.offeredBy } : {}) };
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
  if (r?.wasShed) flowFacts.inspection_shed = true;
  if (f.pktsA === 0 || f.pktsB === 0) flowFacts.one_direction = true;
  doc.intransit.flow = flowFacts;
  return doc;
}
