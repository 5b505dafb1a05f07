// Endpoint posture: per run and server (ip, port, SNI), what was negotiated with it
// (versions, suites, groups, certificates), what fired, first and last seen. Kept
// up to date per session by the writer, so the viewer's inventory is one lookup.

import type { Database, Statement } from 'better-sqlite3';
import type { EndpointRow, FindingDoc, SessionDoc } from '@intransit/shared';
import { findingWaiver, isoToMicros, microsToIso } from './rows.js';

type Counts = Record<string, number>;

interface CertFacts {
  subject_cn: string | null;
  issuer_cn: string | null;
  not_after: string | null;
  key: string | null;
  signature: string | null;
  sessions: number;
}

export interface Posture {
  protocols: Counts;
  versions: Counts;
  ciphers: Counts;
  groups: Counts;
  certificates: Record<string, CertFacts>;
  findings: Counts;
  max_severity: number;
  encrypted: Counts; // 'true' | 'false' | 'unknown'
}

interface Entry {
  run: number;
  ip: string;
  port: number;
  sni: string;
  sessions: number;
  first: number;
  last: number;
  posture: Posture;
}

function bump(c: Counts, k: string, n = 1): void {
  c[k] = (c[k] ?? 0) + n;
}

function emptyPosture(): Posture {
  return { protocols: {}, versions: {}, ciphers: {}, groups: {}, certificates: {}, findings: {}, max_severity: 0, encrypted: {} };
}

/** Adds one session (and the findings raised on it) to a posture. */
export function addToPosture(p: Posture, s: SessionDoc, findings: FindingDoc[]): void {
  bump(p.protocols, s.network?.protocol ?? 'unknown');
  const enc = s.intransit?.encrypted;
  bump(p.encrypted, enc === true ? 'true' : enc === false ? 'false' : 'unknown');
  const t = s.tls;
  if (t?.version) bump(p.versions, `${t.version_protocol ?? 'tls'} ${t.version}`);
  if (t?.cipher) bump(p.ciphers, t.cipher);
  if (t?.curve) bump(p.groups, t.curve);
  const sha = t?.server?.hash?.sha256;
  if (sha) {
    const x = t?.server?.x509;
    const c = (p.certificates[sha] ??= {
      subject_cn: x?.subject?.common_name ?? null,
      issuer_cn: x?.issuer?.common_name ?? null,
      not_after: x?.not_after ?? null,
      key: x?.public_key_algorithm ? `${x.public_key_algorithm}${x.public_key_size ? ` ${x.public_key_size}` : ''}${x.public_key_curve ? ` ${x.public_key_curve}` : ''}` : null,
      signature: x?.signature_algorithm ?? null,
      sessions: 0,
    });
    c.sessions++;
  }
  for (const f of findings) {
    if (findingWaiver(f)) continue;
    bump(p.findings, f.rule?.id ?? 'unknown');
    const sev = f.event?.severity ?? 0;
    if (sev > p.max_severity) p.max_severity = sev;
  }
}

export function mergePosture(into: Posture, p: Posture): void {
  for (const k of ['protocols', 'versions', 'ciphers', 'groups', 'findings', 'encrypted'] as const) for (const [key, n] of Object.entries(p[k])) bump(into[k], key, n);
  for (const [sha, c] of Object.entries(p.certificates)) {
    const have = into.certificates[sha];
    if (have) have.sessions += c.sessions;
    else into.certificates[sha] = { ...c };
  }
  if (p.max_severity > into.max_severity) into.max_severity = p.max_severity;
}

/** What varied at this endpoint: more than one version, suite, group or certificate, or both cleartext and encrypted. */
export function drift(p: Posture): string[] {
  const d: string[] = [];
  if (Object.keys(p.versions).length > 1) d.push('version');
  if (Object.keys(p.ciphers).length > 1) d.push('cipher');
  if (Object.keys(p.groups).length > 1) d.push('group');
  if (Object.keys(p.certificates).length > 1) d.push('certificate');
  if (p.encrypted.true && p.encrypted.false) d.push('encryption');
  return d;
}

export function endpointRow(run: number | null, ip: string, port: number, sni: string, sessions: number, first: number, last: number, p: Posture): EndpointRow {
  return {
    run,
    ip,
    port,
    sni: sni === '' ? null : sni,
    protocols: p.protocols,
    sessions,
    first_seen: microsToIso(first),
    last_seen: microsToIso(last),
    versions: p.versions,
    ciphers: p.ciphers,
    groups: p.groups,
    certificates: Object.entries(p.certificates)
      .map(([sha256, c]) => ({ sha256, ...c }))
      .sort((a, b) => b.sessions - a.sessions || a.sha256.localeCompare(b.sha256)),
    findings: p.findings,
    max_severity: p.max_severity,
    drift: drift(p),
  };
}

const CACHE_LIMIT = 20_000;

/**
 * Accumulates postures for the sessions of a batch and writes the changed ones in
 * the batch's transaction. A bounded cache spares re-reading hot endpoints; a miss
 * reads the stored row, so nothing depends on the cache's size but speed.
 */
export class EndpointAccumulator {
  private readonly cache = new Map<string, Entry>();
  private readonly dirty = new Set<Entry>();
  private readonly read: Statement;
  private readonly write: Statement;

  constructor(db: Database) {
    this.read = db.prepare('SELECT sessions, first_seen, last_seen, posture FROM endpoints WHERE run_id = ? AND ip = ? AND port = ? AND sni = ?');
    this.write = db.prepare(
      `INSERT INTO endpoints (run_id, ip, port, sni, sessions, first_seen, last_seen, posture) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id, ip, port, sni) DO UPDATE SET sessions = excluded.sessions, first_seen = excluded.first_seen,
       last_seen = excluded.last_seen, posture = excluded.posture`,
    );
  }

  /** `start`/`end`: the session's first and last packet times in µs, when the caller parsed them already. */
  add(run: number, s: SessionDoc, findings: FindingDoc[], start = isoToMicros(s['@timestamp']) || 0, end = isoToMicros(s.event?.end ?? s['@timestamp']) || start): void {
    const ip = String(s.destination?.ip ?? '');
    const port = s.destination?.port ?? 0;
    const sni = s.tls?.client?.server_name ?? '';
    const key = `${run}\u0000${ip}\u0000${port}\u0000${sni}`;
    let e = this.cache.get(key);
    if (!e) {
      const r = this.read.get(run, ip, port, sni) as { sessions: number; first_seen: number; last_seen: number; posture: string } | undefined;
      e = r
        ? { run, ip, port, sni, sessions: r.sessions, first: r.first_seen, last: r.last_seen, posture: JSON.parse(r.posture) as Posture }
        : { run, ip, port, sni, sessions: 0, first: Number.MAX_SAFE_INTEGER, last: 0, posture: emptyPosture() };
      if (this.cache.size >= CACHE_LIMIT) this.evictClean();
      this.cache.set(key, e);
    }
    e.sessions++;
    if (start < e.first) e.first = start;
    if (end > e.last) e.last = end;
    addToPosture(e.posture, s, findings);
    this.dirty.add(e);
  }

  /** Writes the changed postures; call inside the batch's transaction. */
  flush(): void {
    for (const e of this.dirty) this.write.run(e.run, e.ip, e.port, e.sni, e.sessions, e.first, e.last, JSON.stringify(e.posture));
    this.dirty.clear();
  }

  /** Forgets cached entries (after a rolled-back batch the cache may be ahead of the table). */
  reset(): void {
    this.cache.clear();
    this.dirty.clear();
  }

  private evictClean(): void {
    for (const [k, e] of this.cache) if (!this.dirty.has(e)) this.cache.delete(k);
  }
}

/** Recomputes every posture from the stored documents (migration to v2). */
export function rebuildEndpoints(db: Database): void {
  db.exec('DELETE FROM endpoints');
  const acc = new EndpointAccumulator(db);
  const findingsOf = db.prepare('SELECT doc FROM findings WHERE session_id = ? ORDER BY id');
  const page = db.prepare('SELECT id, run_id, doc FROM sessions WHERE id > ? ORDER BY id LIMIT 1000');
  // pages, not an open iterator: the connection writes between them
  for (let after = 0; ; ) {
    const rows = page.all(after) as { id: number; run_id: number; doc: string }[];
    if (rows.length === 0) break;
    for (const r of rows) {
      const findings = (findingsOf.all(r.id) as { doc: string }[]).map((f) => JSON.parse(f.doc) as FindingDoc);
      acc.add(r.run_id, JSON.parse(r.doc) as SessionDoc, findings);
    }
    acc.flush();
    after = rows[rows.length - 1].id;
  }
  acc.flush();
}
