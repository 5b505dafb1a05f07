// Endpoint posture: per server (transport, ip, port, SNI), what it negotiated over the
// capture — versions, suites, groups, leaf certificates — who talked to it, when, and
// what was found. Bounded: past `limit` endpoints, sessions of new endpoints are only
// counted as dropped, so memory stays flat on a capture with millions of servers.

import type { SessionDoc, Severity } from '@intransit/shared';
import type { AuditResult } from './auditor.js';
import { versionName } from './cipher-facts.js';

const SEVERITY_NAMES = ['', 'info', 'low', 'medium', 'high', 'critical'];
const MAX_CLIENTS = 1000; // distinct client addresses kept per endpoint
const MAX_CERTS = 5; // distinct leaf certificates kept per endpoint

type Counts = Record<string, number>;
type Counter = Map<string, number>;

function bump(c: Counter, k: string): void {
  c.set(k, (c.get(k) ?? 0) + 1);
}

interface LeafFacts {
  sha256: string;
  subject_cn?: string;
  issuer_cn?: string;
  not_before?: string;
  not_after?: string;
  key?: string;
  signature_algorithm?: string;
  sessions: number;
}

class Endpoint {
  sessions = 0;
  bytes = 0;
  readonly protocols: Counter = new Map();
  readonly versions: Counter = new Map();
  readonly ciphers: Counter = new Map();
  readonly groups: Counter = new Map();
  readonly certificates: LeafFacts[] = [];
  readonly clients = new Set<string>();
  clientsCapped = false;
  firstMs = Infinity;
  first = '';
  lastMs = -Infinity;
  last = '';
  readonly findings: Counter = new Map();
  readonly waived: Counter = new Map();
  readonly assessment: Counter = new Map();
  maxSeverity = 0; // of unwaived findings
  offences = 0; // unwaived findings above info

  constructor(readonly transport: string, readonly ip: string, readonly port: number, readonly sni: string | null) {}

  add(s: SessionDoc, r: AuditResult): void {
    this.sessions++;
    this.bytes += s.source.bytes + s.destination.bytes;
    bump(this.protocols, s.network.protocol);
    const t = s.tls;
    if (t?.version) bump(this.versions, versionName(t.version_protocol, t.version));
    if (t?.cipher) bump(this.ciphers, t.cipher);
    if (t?.curve) bump(this.groups, t.curve);
    const sha = t?.server?.hash?.sha256;
    if (sha) {
      const known = this.certificates.find((c) => c.sha256 === sha);
      if (known) known.sessions++;
      else if (this.certificates.length < MAX_CERTS) {
        const x = t.server?.x509;
        const leaf: LeafFacts = { sha256: sha, sessions: 1 };
        if (x?.subject?.common_name) leaf.subject_cn = x.subject.common_name;
        if (x?.issuer?.common_name) leaf.issuer_cn = x.issuer.common_name;
        if (x?.not_before) leaf.not_before = x.not_before;
        if (x?.not_after) leaf.not_after = x.not_after;
        if (x?.public_key_algorithm) leaf.key = `${x.public_key_algorithm}${x.public_key_size ? ` ${x.public_key_size}` : ''}${x.public_key_curve ? ` ${x.public_key_curve}` : ''}`;
        if (x?.signature_algorithm) leaf.signature_algorithm = x.signature_algorithm;
        this.certificates.push(leaf);
      }
    }
    if (this.clients.size < MAX_CLIENTS) this.clients.add(s.source.ip);
    else if (!this.clients.has(s.source.ip)) this.clientsCapped = true;
    const start = Date.parse(s.event.start);
    const end = Date.parse(s.event.end);
    if (start < this.firstMs) {
      this.firstMs = start;
      this.first = s.event.start;
    }
    if (end > this.lastMs) {
      this.lastMs = end;
      this.last = s.event.end;
    }
    bump(this.assessment, r.assessment.level);
    for (const f of r.firings) {
      if (f.waived) {
        bump(this.waived, f.rule.id);
        continue;
      }
      bump(this.findings, f.rule.id);
      if (f.severity > this.maxSeverity) this.maxSeverity = f.severity;
      if (f.severity > 1) this.offences++;
    }
  }

  get server(): string {
    return this.ip.includes(':') ? `[${this.ip}]:${this.port}` : `${this.ip}:${this.port}`;
  }

  document(): Record<string, unknown> {
    const d: Record<string, unknown> = { server: { ip: this.ip, port: this.port }, transport: this.transport };
    if (this.sni !== null) d.sni = this.sni;
    d.sessions = this.sessions;
    d.bytes = this.bytes;
    d.protocols = sorted(this.protocols);
    const tls: Record<string, unknown> = {};
    if (this.versions.size) tls.versions = sorted(this.versions);
    if (this.ciphers.size) tls.ciphers = sorted(this.ciphers);
    if (this.groups.size) tls.groups = sorted(this.groups);
    if (Object.keys(tls).length) d.tls = tls;
    if (this.certificates.length) d.certificates = this.certificates;
    d.clients = this.clients.size;
    if (this.clientsCapped) d.clients_capped = true;
    d.first_seen = this.first;
    d.last_seen = this.last;
    d.assessment = sorted(this.assessment);
    d.findings = sorted(this.findings);
    if (this.waived.size) d.waived_findings = sorted(this.waived);
    if (this.maxSeverity) d.max_severity = SEVERITY_NAMES[this.maxSeverity];
    return d;
  }
}

/** Counts as a plain object with sorted keys (from a Map or an object). */
export function sorted(o: Counts | Counter): Counts {
  const r: Counts = {};
  if (o instanceof Map) for (const k of [...o.keys()].sort()) r[k] = o.get(k)!;
  else for (const k of Object.keys(o).sort()) r[k] = o[k];
  return r;
}

export class EndpointTable {
  private readonly map = new Map<string, Endpoint>();
  droppedSessions = 0;

  constructor(readonly limit = 10_000) {}

  add(s: SessionDoc, r: AuditResult): void {
    const sni = s.tls?.client?.server_name ?? null;
    const key = `${s.network.transport}|${s.destination.ip}|${s.destination.port}|${sni ?? ''}`;
    let e = this.map.get(key);
    if (!e) {
      if (this.map.size >= this.limit) {
        this.droppedSessions++;
        return;
      }
      e = new Endpoint(s.network.transport, s.destination.ip, s.destination.port, sni);
      this.map.set(key, e);
    }
    e.add(s, r);
  }

  get size(): number {
    return this.map.size;
  }

  /** Every endpoint, ordered by server address, port and SNI. */
  documents(): Record<string, unknown>[] {
    const list = [...this.map.values()];
    list.sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : a.port - b.port || ((a.sni ?? '') < (b.sni ?? '') ? -1 : (a.sni ?? '') > (b.sni ?? '') ? 1 : 0)));
    return list.map((e) => e.document());
  }

  /**
   * The servers with the worst unwaived findings: highest severity first, then most
   * findings above info. Endpoints with only info findings are not offenders.
   */
  topOffenders(n = 10): Record<string, unknown>[] {
    const list = [...this.map.values()].filter((e) => e.offences > 0);
    list.sort((a, b) => b.maxSeverity - a.maxSeverity || b.offences - a.offences || (a.server < b.server ? -1 : a.server > b.server ? 1 : 0));
    return list.slice(0, n).map((e) => {
      const d: Record<string, unknown> = { server: e.server };
      if (e.sni !== null) d.sni = e.sni;
      d.sessions = e.sessions;
      d.max_severity = SEVERITY_NAMES[e.maxSeverity as Severity];
      d.findings = sorted(e.findings);
      return d;
    });
  }
}
