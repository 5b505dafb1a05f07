// Finding documents: one per (session, rule) that fired, carrying the session's
// @timestamp, endpoints, network and tls fields so each stands on its own in a SIEM.
// A waived finding is still written, with intransit.waived saying who accepted it,
// why and until when.

import { escapeControl } from './sanitize.js';
import { shared } from './writer.js';
import type { FindingDoc, SessionDoc } from '@intransit/shared';
import type { AuditFiring } from '../audit/auditor.js';

/** The finding documents of one session, in the order of its firings. */
export function findingDocuments(s: SessionDoc, firings: readonly AuditFiring[]): FindingDoc[] {
  const docs: FindingDoc[] = [];
  // the findings of a session share its intransit facts (one object, encoded once by the
  // writer) unless a finding adds its own evidence or waiver
  let common: FindingDoc['intransit'] | null = null;
  for (const f of firings) {
    let it: FindingDoc['intransit'];
    if (f.evidence || f.waived) {
      it = intransitOf(s);
      if (f.evidence) it.evidence = f.evidence;
      if (f.waived) it.waived = f.waived;
    } else it = common ??= intransitOf(s);
    const doc: FindingDoc = {
      '@timestamp': s['@timestamp'],
      event: { kind: 'alert', dataset: 'intransit.finding', severity: f.severity, start: s.event.start, end: s.event.end },
      source: s.source,
      destination: s.destination,
      network: s.network,
      rule: ruleDoc(f.rule),
      message: escapeControl(f.message),
      intransit: it,
    };
    if (s.tls) doc.tls = s.tls;
    docs.push(doc);
  }
  return docs;
}

function intransitOf(s: SessionDoc): FindingDoc['intransit'] {
  const it: FindingDoc['intransit'] = { encrypted: s.intransit.encrypted, findings: s.intransit.findings };
  if (s.intransit.tunnel) it.tunnel = s.intransit.tunnel;
  if (s.intransit.assessment !== undefined) {
    it.assessment = s.intransit.assessment;
    it.assessment_reasons = s.intransit.assessment_reasons;
  }
  return it;
}

// one rule object per rule, shared by all its findings (and encoded once by the writer)
const ruleDocs = new WeakMap<AuditFiring['rule'], FindingDoc['rule']>();

function ruleDoc(r: AuditFiring['rule']): FindingDoc['rule'] {
  let d = ruleDocs.get(r);
  if (d === undefined) {
    d = shared({ id: r.id, name: r.name, category: r.category, reference: r.reference });
    ruleDocs.set(r, d);
  }
  return d;
}
