// Endpoint posture: per server (transport, ip, port, SNI), what it negotiated over the
// capture — versions, suites, groups, leaf certificates — who talked to it, when, and
// what was found. Bounded: past `limit` endpoints, sessions of new endpoints are only
// counted as dropped, so memory stays flat on a capture with millions of servers.

import type { SessionDoc, Severity } from '@intransit/shared';
import type { AuditResult } from './auditor.js';
import { versionName } from './cipher-facts.js';
import { isoMs } from '../output/format.js';

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

/** Where a session's end falls in a whole-capture run (Engine.endOrder): [position, rank]. */
export type EndOrder = readonly [number, number];

function before(a: EndOrder, b: EndOrder): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
}

class Endpoint {
  sessions = 0;
  bytes = 0;
  readonly protocols: Counter = new Map();
  readonly versions: Counter = new Map();
  readonly ciphers: Counter = new Map();
  readonly groups: Counter = new Map();
  readonly certificates: LeafFacts[] = [];
  /** End order of the session that first showed each certificate (merging keeps the first ones). */
  readonly certificateOrder: EndOrder[] = [];
  readonly clients = new Set<string>();
  clientsCapped = false;
  firstMs = Infinity;
  first = '';
  lastMs = -Infinity;
  last = '';
  // end order of the sessions that set first / last (equal milliseconds: the earlier one stays)
  firstOrder: EndOrder = [Infinity, 0];
  lastOrder: EndOrder = [Infinity, 0];
  /** End order of the endpoint's first session: a single run's table holds endpoints in it. */
  created: EndOrder = [Infinity, 0];
  readonly findings: Counter = new Map();
  readonly waived: Counter = new Map();
  readonly assessment: Counter = new Map();
  maxSeverity = 0; // of unwaived findings
  offences = 0; // unwaived findings above info

  constructor(readonly transport: string, readonly ip: string, readonly port: number, readonly sni: string | null) {}

  add(s: SessionDoc, r: AuditResult, order: EndOrder): void {
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
        this.certificateOrder.push(order);
      }
    }
    if (this.clients.size < MAX_CLIENTS) this.clients.add(s.source.ip);
    else if (!this.clients.has(s.source.ip)) this.clientsCapped = true;
    const start = isoMs(s.event.start);
    const end = isoMs(s.event.end);
    if (start < this.firstMs) {
      this.firstMs = start;
      this.first = s.event.start;
      this.firstOrder = order;
    }
    if (end > this.lastMs) {
      this.lastMs = end;
      this.last = s.event.end;
      this.lastOrder = order;
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

  /** Adds what another engine's table gathered for the same endpoint (a sharded run). */
  merge(o: Endpoint): void {
    if (before(o.created, this.created)) this.created = o.created;
    this.sessions += o.sessions;
    this.bytes += o.bytes;
    for (const [mine, theirs] of [
      [this.protocols, o.protocols],
      [this.versions, o.versions],
      [this.ciphers, o.ciphers],
      [this.groups, o.groups],
      [this.findings, o.findings],
      [this.waived, o.waived],
      [this.assessment, o.assessment],
    ] as [Counter, Counter][]) for (const [k, n] of theirs) mine.set(k, (mine.get(k) ?? 0) + n);
    // the certificates a single run would have kept: the first ones shown, in that order
    const all: { leaf: LeafFacts; order: EndOrder }[] = this.certificates.map((leaf, i) => ({ leaf, order: this.certificateOrder[i] }));
    o.certificates.forEach((leaf, i) => {
      const known = all.find((c) => c.leaf.sha256 === leaf.sha256);
      if (!known) all.push({ leaf: { ...leaf }, order: o.certificateOrder[i] });
      else {
        known.leaf.sessions += leaf.sessions;
        if (before(o.certificateOrder[i], known.order)) known.order = o.certificateOrder[i];
      }
    });
    all.sort((a, b) => (before(a.order, b.order) ? -1 : before(b.order, a.order) ? 1 : 0));
    all.length = Math.min(all.length, MAX_CERTS);
    this.certificates.length = 0;
    this.certificateOrder.length = 0;
    for (const c of all) {
      this.certificates.push(c.leaf);
      this.certificateOrder.push(c.order);
    }
    for (const c of o.clients) {
      if (this.clients.size < MAX_CLIENTS) this.clients.add(c);
      else if (!this.clients.has(c)) this.clientsCapped = true;
    }
    if (o.clientsCapped) this.clientsCapped = true;
    if (o.firstMs < this.firstMs || (o.firstMs === this.firstMs && before(o.firstOrder, this.firstOrder))) {
      this.firstMs = o.firstMs;
      this.first = o.first;
      this.firstOrder = o.firstOrder;
    }
    if (o.lastMs > this.lastMs || (o.lastMs === this.lastMs && before(o.lastOrder, this.lastOrder))) {
      this.lastMs = o.lastMs;
      this.last = o.last;
      this.lastOrder = o.lastOrder;
    }
    if (o.maxSeverity > this.maxSeverity) this.maxSeverity = o.maxSeverity;
    this.offences += o.offences;
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

export interface EndpointTableState {
  droppedSessions: number;
  added: number;
  endpoints: [string, object][];
}

export class EndpointTable {
  private readonly map = new Map<string, Endpoint>();
  droppedSessions = 0;
  private added = 0; // sessions added: the default end order

  constructor(readonly limit = 10_000) {}

  /** One audited session; `order` places its end among all sessions (see EndOrder). */
  add(s: SessionDoc, r: AuditResult, order: EndOrder = [this.added, 0]): void {
    this.added++;
    const sni = s.tls?.client?.server_name ?? null;
    const key = `${s.network.transport}|${s.destination.ip}|${s.destination.port}|${sni ?? ''}`;
    let e = this.map.get(key);
    if (!e) {
      if (this.map.size >= this.limit) {
        this.droppedSessions++;
        return;
      }
      e = new Endpoint(s.network.transport, s.destination.ip, s.destination.port, sni);
      e.created = order;
      this.map.set(key, e);
    }
    e.add(s, r, order);
  }

  /** What merge() needs of this table, as structured clone carries it between threads. */
  state(): EndpointTableState {
    return { droppedSessions: this.droppedSessions, added: this.added, endpoints: [...this.map] };
  }

  /**
   * Adds another table's endpoints (a sharded run: each worker kept its own). Exact while
   * neither table reached its limit; past it, each worker's table kept its own first endpoints.
   */
  merge(state: EndpointTableState): void {
    this.droppedSessions += state.droppedSessions;
    this.added += state.added;
    for (const [key, plain] of state.endpoints) {
      const theirs = Object.setPrototypeOf(plain, Endpoint.prototype) as Endpoint;
      const mine = this.map.get(key);
      if (mine) mine.merge(theirs);
      else if (this.map.size < this.limit) this.map.set(key, theirs);
      else this.droppedSessions += theirs.sessions;
    }
    // the order a single run would have created them in (it breaks ties in the sorted lists)
    const entries = [...this.map].sort((a, b) => (before(a[1].created, b[1].created) ? -1 : before(b[1].created, a[1].created) ? 1 : 0));
    this.map.clear();
    for (const [k, e] of entries) this.map.set(k, e);
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
