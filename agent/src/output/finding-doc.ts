// Finding documents: one per (session, rule) that fired, carrying the session's
// @timestamp, endpoints, network and tls fields so each stands on its own in a SIEM.

import type { FindingDoc, SessionDoc } from '@intransit/shared';
import type { Firing } from '../audit/rules.js';

export function findingDocument(s: SessionDoc, f: Firing): FindingDoc {
  const doc: FindingDoc = {
    '@timestamp': s['@timestamp'],
    event: { kind: 'alert', dataset: 'intransit.finding', severity: f.rule.severity, start: s.event.start, end: s.event.end },
    source: s.source,
    destination: s.destination,
    network: s.network,
    rule: { id: f.rule.id, name: f.rule.name, category: f.rule.category, reference: f.rule.reference },
    message: f.message,
    intransit: { encrypted: s.intransit.encrypted, findings: s.intransit.findings },
  };
  if (s.tls) doc.tls = s.tls;
  if (s.intransit.tunnel) doc.intransit.tunnel = s.intransit.tunnel;
  return doc;
}
