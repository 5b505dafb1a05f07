// Hand-built session and finding documents (the contract's shapes) for store tests.

let port = 40000;

/** A session document; `o` overrides: ts (ISO), src, dst, dport, sni, version, proto, cipher, curve, vni, encrypted, protocol, assessment, firstPacket. */
export function session(o = {}) {
  const ts = o.ts ?? '2026-01-01T00:00:00.000000Z';
  const doc = {
    '@timestamp': ts,
    event: { kind: 'event', dataset: 'intransit.session', start: ts, end: o.end ?? ts },
    source: { ip: o.src ?? '10.0.0.1', port: o.sport ?? port++, bytes: 100, packets: 2 },
    destination: { ip: o.dst ?? '10.0.0.2', port: o.dport ?? 443, bytes: o.bytes ?? 200, packets: 3 },
    network: { transport: 'tcp', type: o.dst?.includes(':') ? 'ipv6' : 'ipv4', protocol: o.protocol ?? 'tls', community_id: `1:${o.cid ?? Math.random().toString(36).slice(2)}` },
    intransit: { encrypted: o.encrypted === undefined ? true : o.encrypted, findings: [], flow: { first_packet: o.firstPacket ?? 1, end_reason: 'end' } },
  };
  if (o.assessment) {
    doc.intransit.assessment = o.assessment;
    doc.intransit.assessment_reasons = o.reasons ?? [];
  }
  if (o.vni !== undefined) doc.intransit.tunnel = [{ type: 'vxlan', vni: o.vni }];
  if (o.version !== null && (o.protocol ?? 'tls') === 'tls') {
    doc.tls = { version_protocol: o.proto ?? 'tls', version: o.version ?? '1.3', cipher: o.cipher ?? 'TLS_AES_128_GCM_SHA256', curve: o.curve ?? 'x25519', established: true, client: {} };
    if (o.sni !== null) doc.tls.client.server_name = o.sni ?? 'www.example.com';
    if (o.cert) doc.tls.server = { hash: { sha256: o.cert }, x509: { subject: { common_name: o.sni ?? 'www.example.com' }, not_after: '2027-01-01T00:00:00Z', public_key_algorithm: 'rsa', public_key_size: 2048 } };
  }
  return doc;
}

/** A finding document raised on `s` (and its rule id added to the session's list). */
export function finding(s, rule, severity = 3, waived = null, message) {
  s.intransit.findings.push(rule);
  const doc = {
    '@timestamp': s['@timestamp'],
    event: { kind: 'alert', dataset: 'intransit.finding', severity, start: s.event.start, end: s.event.end },
    source: s.source,
    destination: s.destination,
    network: s.network,
    rule: { id: rule, name: `Rule ${rule}`, category: 'SEC09-BP02', reference: 'RFC 8996' },
    message: message ?? `${s.destination.ip}:${s.destination.port} raised ${rule}.`,
    intransit: { encrypted: s.intransit.encrypted, findings: s.intransit.findings },
  };
  if (s.tls) doc.tls = s.tls;
  if (waived) doc.intransit.waived = waived;
  return doc;
}

export function summary(kpi = {}) {
  return { '@timestamp': '2026-01-01T00:00:00.000000Z', event: { kind: 'metric', dataset: 'intransit.summary' }, intransit: { summary: { packets: 10, bytes: 1000, kpi: { profile: 'aws-sec09', ...kpi } } } };
}

/** Writes documents through a sink and closes it. */
export async function writeAll(sink, docs) {
  for (const d of docs) sink.write(d);
  await sink.close();
}
