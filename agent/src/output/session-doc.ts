// Builds the contract's session document (ECS names, nested objects) for a flow
// that has ended. Runs once per session, never per packet.

import type { SessionDoc, TunnelLayer } from '@intransit/shared';
import { F_SNAP_TRUNCATED, type FlowApp, type FlowSlot, type TunnelList } from '../flow/flow.js';
import type { FlowTable } from '../flow/flow-table.js';
import { TUNNEL_NAMES, TUNNEL_VXLAN, TUNNEL_GENEVE, TUNNEL_GRE, TUNNEL_ERSPAN } from '../decode/packet.js';
import { communityId } from '../flow/community-id.js';
import type { InspectionResult } from '../flow/inspection-result.js';
import { ipString, isoTime } from './format.js';

/** Which side originated the flow: true when side A (the first sender) did. */
export function originatorIsA(synFrom: number, r: InspectionResult | null): boolean {
  if (synFrom >= 0) return synFrom === 0; // SYN sender (or the peer of a SYN-ACK sender)
  if (r !== null && r.clientIsA !== null) return r.clientIsA; // ClientHello (QUIC Initial) sender
  return true; // first packet's sender
}

function tunnelLayers(tunnels: TunnelList | null): TunnelLayer[] | undefined {
  if (tunnels === null) return undefined;
  return tunnels.map(({ type, id }) => {
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

/**
 * The session document of flow `f` of `table`. `flowApp`: its application-layer state, whose
 * `result` is what inspection learnt (flow/inspection-result.ts); null when the flow carried
 * no payload.
 */
export function sessionDocument(table: FlowTable, f: FlowSlot, flowApp: FlowApp | null, extras: SessionExtras): SessionDoc {
  const r = flowApp?.result ?? null;
  const ipVersion = table.ipVersion[f];
  const ipProto = table.proto[f];
  const aw = table.address(f, false);
  const bw = table.address(f, true);
  const aPort = table.aPort[f];
  const bPort = table.bPort[f];
  const pktsA = table.pktsA[f];
  const pktsB = table.pktsB[f];
  const synFrom = table.synFrom[f];
  const aOrig = originatorIsA(synFrom, r);
  const aIp = ipString(ipVersion, aw[0], aw[1], aw[2], aw[3]);
  const bIp = ipString(ipVersion, bw[0], bw[1], bw[2], bw[3]);
  const a = { ip: aIp, port: aPort, bytes: table.bytesA[f], packets: pktsA };
  const b = { ip: bIp, port: bPort, bytes: table.bytesB[f], packets: pktsB };
  const source = aOrig ? a : b;
  const destination = aOrig ? b : a;
  const cid = communityId(ipVersion === 6 ? 6 : 4, aw, bw, ipProto, aPort, bPort);
  const start = isoTime(table.firstSec[f], table.firstNsec[f]);
  const proto = r?.protocol ?? null;
  const transport = ipProto === 6 ? 'tcp' : ipProto === 17 ? 'udp' : String(ipProto);

  const doc: SessionDoc = {
    '@timestamp': start,
    event: { kind: 'event', dataset: 'intransit.session', start, end: isoTime(table.lastSec[f], table.lastNsec[f]) },
    source,
    destination,
    network: {
      transport,
      type: ipVersion === 6 ? 'ipv6' : 'ipv4',
      protocol: proto ? proto.name : 'unknown',
      community_id: cid,
    },
    intransit: {
      // a TLS handshake on the flow (directly, after STARTTLS, in a tunnel) makes it encrypted
      encrypted: r?.tlsSeen ? true : proto ? proto.encrypted : null,
      findings: [],
    },
  };
  const vlanId = table.vlanId[f];
  if (vlanId >= 0) doc.network.vlan = { id: vlanId };
  const tunnel = tunnelLayers(flowApp?.tunnels ?? null);
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
  const flowFacts: Record<string, unknown> = { first_packet: table.firstFrame[f], end_reason: extras.endReason };
  if (ipProto === 6) {
    if (synFrom < 0) flowFacts.midstream = true;
    const gaps = (flowApp?.streamA?.gaps ?? 0) + (flowApp?.streamB?.gaps ?? 0);
    if (gaps) flowFacts.gaps = gaps;
  }
  if ((table.flags[f] & F_SNAP_TRUNCATED) !== 0) flowFacts.snaplen_truncated = true;
  // the inspection budget stopped inspection (too many flows inspecting at once): what is
  // above was learnt before that, anything later in the flow was not looked at
  if (r?.wasShed) flowFacts.inspection_shed = true;
  if (pktsA === 0 || pktsB === 0) flowFacts.one_direction = true;
  doc.intransit.flow = flowFacts;
  return doc;
}
