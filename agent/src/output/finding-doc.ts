// Finding documents: one per (session, rule) that fired, carrying the session's
// @timestamp, endpoints, network and tls fields so each stands on its own in a SIEM.
// A waived finding is still written, with intransit.waived saying who accepted it,
// why and until when.

import { escapeControl } from './sanitize.js';
import type { FindingDoc, SessionDoc } from '@intransit/shared';
import type { AuditFiring } from '../audit/auditor.js';

export function findingDocument(s: SessionDoc, f: AuditFiring): FindingDoc {
  const it: FindingDoc['intransit'] = { encrypted: s.intransit.encrypted, findings: s.intransit.findings };
  if (s.intransit.tunnel) it.tunnel = s.intransit.tunnel;
  if (s.intransit.assessment !== undefined) {
    it.assessment = s.intransit.assessment;
    it.assessment_reasons = s.intransit.assessment_reasons;
  }
  if (f.evidence) it.evidence = f.evidence;
  if (f.waived) it.waived = f.waived;
  const doc: FindingDoc = {
    '@timestamp': s['@timestamp'],
    event: { kind: 'alert', dataset: 'intransit.finding', severity: f.severity, start: s.event.start, end: s.event.end },
    source: s.source,
    destination: s.destination,
    network: s.network,
    rule: { id: f.rule.id, name: f.rule.name, category: f.rule.category, reference: f.rule.reference },
    message: escapeControl(f.message),
    intransit: it,
  };
  if (s.tls) doc.tls = s.tls;
  return doc;
}
