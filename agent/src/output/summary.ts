// The summary document: what was read, sessions by protocol, the SEC09 KPIs, findings
// (waived ones apart), endpoint posture and everything that could not be decoded.
// Fed one audited session at a time. Nothing that could not be observed counts as a
// pass: shares count only sessions whose relevant fact was seen, and the `_strict`
// shares and the assessment block say how much was not.

import type { SessionDoc, SummaryDoc } from '@intransit/shared';
import { Auditor, type AuditResult } from '../audit/auditor.js';
import { versionRank } from '../audit/cipher-facts.js';
import { EndpointTable, sorted, type EndOrder, type EndpointTableState } from '../audit/endpoints.js';
import { describeScope } from '../audit/scope.js';
import { isoTime } from './format.js';

function share(n: number, d: number): number | null {
  return d === 0 ? null : Math.round((n / d) * 10000) / 10000;
}

const SEV = ['', 'info', 'low', 'medium', 'high', 'critical'];
const TLS_FAMILY = new Set(['tls', 'dtls', 'quic']);
/** Distinct certificates remembered for the certificate KPIs (memory bound on huge captures). */
const MAX_CERTS_TRACKED = 100_000;

export interface SummaryInput {
  first: [number, number] | null;
  last: [number, number] | null;
  packets: number;
  capturedBytes: number;
  wireBytes: number;
  undecoded: Record<string, number>;
  flows: Record<string, number>;
  capture: Record<string, unknown>;
}

type Counts = Record<string, number>;

const NUMBER_FIELDS = [
  'sessions', 'bytes', 'encryptedSessions', 'cleartextSessions', 'unknownSessions', 'encryptedBytes', 'cleartextBytes',
  'unknownBytes', 'assessedBytes', 'passingSessions', 'tlsSessions', 'tlsUnobserved', 'tls12plus', 'approvedVersion',
  'cipherSeen', 'approvedCipher', 'certificateFindings', 'mtlsVerified', 'mtlsMissing', 'mtlsUnobservable',
] as const;
const COUNT_FIELDS = [
  'byProtocol', 'byTransport', 'tlsVersions', 'findings', 'findingsBySeverity', 'waived', 'waivedBySeverity', 'assessment', 'reasons',
] as const;

/** A summary's gathered facts (see Summary.state / merge). */
export interface SummaryState {
  numbers: Record<string, number>;
  counts: Record<string, Counts>;
  certificatesSeen: string[];
  certificatesWithFindings: string[];
  endpoints: EndpointTableState;
}
const bump = (c: Counts, k: string): void => {
  c[k] = (c[k] ?? 0) + 1;
};

export class Summary {
  sessions = 0;
  bytes = 0;
  readonly byProtocol: Counts = Object.create(null);
  readonly byTransport: Counts = Object.create(null);
  readonly tlsVersions: Counts = Object.create(null);
  readonly findings: Counts = Object.create(null);
  readonly findingsBySeverity: Counts = Object.create(null);
  readonly waived: Counts = Object.create(null);
  readonly waivedBySeverity: Counts = Object.create(null);
  readonly assessment: Counts = Object.create(null);
  readonly reasons: Counts = Object.create(null);
  encryptedSessions = 0;
  cleartextSessions = 0;
  unknownSessions = 0;
  encryptedBytes = 0;
  cleartextBytes = 0;
  unknownBytes = 0;
  assessedBytes = 0;
  passingSessions = 0;
  tlsSessions = 0; // sessions with a negotiated version
  tlsUnobserved = 0; // TLS-family sessions whose version was not seen
  tls12plus = 0;
  approvedVersion = 0;
  cipherSeen = 0;
  approvedCipher = 0;
  certificateFindings = 0;
  readonly certificatesSeen = new Set<string>();
  readonly certificatesWithFindings = new Set<string>();
  mtlsVerified = 0;
  mtlsMissing = 0;
  mtlsUnobservable = 0;
  readonly endpoints: EndpointTable;

  constructor(private readonly auditor: Auditor = new Auditor(), endpointLimit = 10_000) {
    this.endpoints = new EndpointTable(endpointLimit);
  }

  /** One audited session; `order` places its end in the capture (see Engine.endOrder). */
  addSession(doc: SessionDoc, result: AuditResult, order?: EndOrder): void {
    const profile = this.auditor.policy.profile;
    this.sessions++;
    bump(this.byProtocol, doc.network.protocol);
    bump(this.byTransport, doc.network.transport);
    const bytes = doc.source.bytes + doc.destination.bytes;
    this.bytes += bytes;
    const enc = doc.intransit.encrypted;
    if (enc === true) {
      this.encryptedSessions++;
      this.encryptedBytes += bytes;
    } else if (enc === false) {
      this.cleartextSessions++;
      this.cleartextBytes += bytes;
    } else {
      this.unknownSessions++;
      this.unknownBytes += bytes;
    }
    bump(this.assessment, result.assessment.level);
    for (const r of result.assessment.reasons) bump(this.reasons, r);
    if (result.assessment.level === 'assessed') this.assessedBytes += bytes;

    const t = doc.tls;
    const rank = versionRank(t?.version_protocol, t?.version);
    if (t?.version !== undefined && rank >= 0) {
      bump(this.tlsVersions, `${t.version_protocol ?? 'tls'} ${t.version}`);
      this.tlsSessions++;
      if (rank >= 4) this.tls12plus++;
      if (rank >= (profile.minVersion === '1.3' ? 5 : 4)) this.approvedVersion++;
      if (t.cipher !== undefined) {
        this.cipherSeen++;
        if (profile.approvedCiphers.has(t.cipher)) this.approvedCipher++;
      }
    } else if (TLS_FAMILY.has(doc.network.protocol)) this.tlsUnobserved++;

    const leaf = t?.server?.hash?.sha256;
    const chain = (doc.intransit.tls as { chain_sha256?: string[] } | undefined)?.chain_sha256 ?? (leaf ? [leaf] : []);
    for (const sha of chain) if (this.certificatesSeen.size < MAX_CERTS_TRACKED) this.certificatesSeen.add(sha);
    let failing = false;
    for (const f of result.firings) {
      const sev = SEV[f.severity];
      if (f.waived) {
        bump(this.waived, f.rule.id);
        bump(this.waivedBySeverity, sev);
        continue;
      }
      bump(this.findings, f.rule.id);
      bump(this.findingsBySeverity, sev);
      if (f.severity > 1) failing = true;
      if (f.rule.id.startsWith('cert-')) {
        this.certificateFindings++;
        const sha = (f.evidence?.certificate_sha256 as string | undefined) ?? leaf;
        if (sha && this.certificatesWithFindings.size < MAX_CERTS_TRACKED) this.certificatesWithFindings.add(sha);
      }
    }
    // a pass is a fully assessed session with no unwaived finding above info
    if (!failing && result.assessment.level === 'assessed') this.passingSessions++;

    const m = result.mtls;
    if (m) {
      if (m.status === 'verified') this.mtlsVerified++;
      else if (m.status === 'missing') this.mtlsMissing++;
      else this.mtlsUnobservable++;
    }
    this.endpoints.add(doc, result, order);
  }

  /** Everything the summary gathered, as structured clone carries it between threads. */
  state(): SummaryState {
    const numbers: Record<string, number> = {};
    const counts: Record<string, Counts> = {};
    for (const k of NUMBER_FIELDS) numbers[k] = this[k];
    for (const k of COUNT_FIELDS) counts[k] = { ...this[k] };
    return {
      numbers,
      counts,
      certificatesSeen: [...this.certificatesSeen],
      certificatesWithFindings: [...this.certificatesWithFindings],
      endpoints: this.endpoints.state(),
    };
  }

  /**
   * Adds another summary's state (a sharded run: one per worker). Counts add up and the KPIs
   * are computed from the merged counts; exact while the bounded tables (endpoints,
   * certificates tracked) stayed below their limits in every worker.
   */
  merge(st: SummaryState): void {
    for (const k of NUMBER_FIELDS) this[k] += st.numbers[k];
    for (const k of COUNT_FIELDS) {
      const mine = this[k];
      for (const [key, n] of Object.entries(st.counts[k])) mine[key] = (mine[key] ?? 0) + n;
    }
    for (const sha of st.certificatesSeen) if (this.certificatesSeen.size < MAX_CERTS_TRACKED) this.certificatesSeen.add(sha);
    for (const sha of st.certificatesWithFindings) if (this.certificatesWithFindings.size < MAX_CERTS_TRACKED) this.certificatesWithFindings.add(sha);
    this.endpoints.merge(st.endpoints);
  }

  private policyDocument(): Record<string, unknown> {
    const p = this.auditor.policy;
    const disabled: string[] = [];
    const overrides: Counts = {};
    for (const [id, s] of p.rules) {
      if (!s.enabled) disabled.push(id);
      else if (s.severity !== undefined) overrides[id] = s.severity;
    }
    const d: Record<string, unknown> = { profile: p.profile.name };
    if (p.source) d.source = p.source;
    if (disabled.length) d.disabled_rules = disabled;
    if (Object.keys(overrides).length) d.severity_overrides = overrides;
    d.cert_max_validity_days = p.maxValidityDays;
    d.cert_expiring_soon_days = p.expiringSoonDays;
    if (p.mtlsServices.length) d.mtls_required = p.mtlsServices.map((s) => `${s.name}: ${describeScope(s.scope)}`);
    d.waivers_active = p.waivers.length - this.auditor.expiredWaivers.length;
    d.waivers_expired = this.auditor.expiredWaivers.length;
    return d;
  }

  document(input: SummaryInput): SummaryDoc {
    const judged = this.encryptedSessions + this.cleartextSessions;
    const judgedBytes = this.encryptedBytes + this.cleartextBytes;
    const allBytes = judgedBytes + this.unknownBytes;
    const end = input.last ? isoTime(input.last[0], input.last[1]) : undefined;
    const mtlsRequired = this.mtlsVerified + this.mtlsMissing + this.mtlsUnobservable;
    const total = (c: Counts): number => Object.values(c).reduce((a, b) => a + b, 0);
    const doc: SummaryDoc = {
      '@timestamp': end ?? new Date(0).toISOString(),
      event: { kind: 'metric', dataset: 'intransit.summary' },
      intransit: {
        summary: {
          packets: input.packets,
          bytes: input.capturedBytes,
          wire_bytes: input.wireBytes,
          sessions: this.sessions,
          sessions_by_protocol: sorted(this.byProtocol),
          sessions_by_transport: sorted(this.byTransport),
          tls_versions: sorted(this.tlsVersions),
          policy: this.policyDocument(),
          kpi: {
            profile: this.auditor.policy.profile.name,
            // shares are of the sessions (bytes) whose protocol could be identified; the
            // unidentified ones are reported beside them, never counted as passes, and the
            // _strict shares count them as not encrypted
            encrypted_sessions: this.encryptedSessions,
            cleartext_sessions: this.cleartextSessions,
            unidentified_sessions: this.unknownSessions,
            encrypted_session_share: share(this.encryptedSessions, judged),
            encrypted_byte_share: share(this.encryptedBytes, judgedBytes),
            encrypted_session_share_strict: share(this.encryptedSessions, this.sessions),
            encrypted_byte_share_strict: share(this.encryptedBytes, allBytes),
            unidentified_byte_share: share(this.unknownBytes, allBytes),
            tls_sessions: this.tlsSessions,
            tls_sessions_unobserved: this.tlsUnobserved,
            tls12plus_share: share(this.tls12plus, this.tlsSessions),
            approved_version_share: share(this.approvedVersion, this.tlsSessions),
            approved_cipher_share: share(this.approvedCipher, this.cipherSeen),
            assessment: {
              ...sorted(this.assessment),
              assessed_session_share: share(this.assessment.assessed ?? 0, this.sessions),
              assessed_byte_share: share(this.assessedBytes, this.bytes),
              reasons: sorted(this.reasons),
            },
            passing_sessions: this.passingSessions,
            passing_session_share: share(this.passingSessions, this.sessions),
            findings: total(this.findings),
            waived_findings: total(this.waived),
            certificate_findings: this.certificateFindings,
            certificates_seen: this.certificatesSeen.size,
            certificates_with_findings: this.certificatesWithFindings.size,
            mtls: {
              required_sessions: mtlsRequired,
              verified: this.mtlsVerified,
              missing: this.mtlsMissing,
              unobservable: this.mtlsUnobservable,
              // unobservable sessions stay in the denominator: they are not shown to comply
              coverage: share(this.mtlsVerified, mtlsRequired),
              observed_coverage: share(this.mtlsVerified, this.mtlsVerified + this.mtlsMissing),
            },
            top_offenders: this.endpoints.topOffenders(10),
          },
          findings_by_rule: sorted(this.findings),
          findings_by_severity: sorted(this.findingsBySeverity),
          waived_findings_by_rule: sorted(this.waived),
          waived_findings_by_severity: sorted(this.waivedBySeverity),
          endpoints: {
            count: this.endpoints.size,
            limit: this.endpoints.limit,
            dropped_sessions: this.endpoints.droppedSessions,
            list: this.endpoints.documents(),
          },
          undecoded: sorted(input.undecoded),
          flows: input.flows,
          capture: input.capture,
        },
      },
    };
    if (input.first) doc.event.start = isoTime(input.first[0], input.first[1]);
    if (end) doc.event.end = end;
    return doc;
  }
}
