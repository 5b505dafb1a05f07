// Aggregates over stored sessions: the SEC09 KPIs of a run (from its own summary
// document once finished, computed from its rows while it runs), chart data for the
// viewer, and the endpoint inventory.

import type { EndpointQuery, EndpointRow, Filters, Kpi, KpiResponse, StatsResponse } from '@intransit/shared';
import { PROFILES, DEFAULT_PROFILE, versionAtLeast } from '../audit/profiles.js';
import type { DB } from './db.js';
import { conditions, parseServer, whereSql } from './filters.js';
import { endpointRow, mergePosture, drift, type Posture } from './endpoints.js';
import { getRunRecord } from './queries.js';
import { microsToIso } from './rows.js';

function share(n: number, d: number): number | null {
  return d === 0 ? null : Math.round((n / d) * 10000) / 10000;
}

const VERSIONS = ['2.0', '3.0', '1.0', '1.1', '1.2', '1.3'];

interface KpiCounts {
  sessions: number;
  enc: number;
  clear: number;
  unk: number;
  enc_bytes: number;
  clear_bytes: number;
  unk_bytes: number;
  tls: number;
  tls12: number;
  cipher_seen: number;
  approved: number;
  assessed: number;
  with_assessment: number;
}

/** KPIs from the run's stored sessions and findings, judged against `profileName`. */
export function computeKpi(db: DB, run: number, profileName: string): Kpi {
  const profile = PROFILES[profileName] ?? DEFAULT_PROFILE;
  const okVersions = VERSIONS.filter((v) => versionAtLeast(v, profile.minVersion));
  const ciphers = [...profile.approvedCiphers];
  const marks = (n: number): string => (n ? new Array(n).fill('?').join(', ') : 'NULL');
  const c = db
    .prepare(
      `SELECT count(*) AS sessions,
        coalesce(sum(encrypted = 1), 0) AS enc, coalesce(sum(encrypted = 0), 0) AS clear, coalesce(sum(encrypted IS NULL), 0) AS unk,
        coalesce(sum(CASE WHEN encrypted = 1 THEN bytes END), 0) AS enc_bytes,
        coalesce(sum(CASE WHEN encrypted = 0 THEN bytes END), 0) AS clear_bytes,
        coalesce(sum(CASE WHEN encrypted IS NULL THEN bytes END), 0) AS unk_bytes,
        coalesce(sum(tls_version IS NOT NULL), 0) AS tls,
        coalesce(sum(tls_version IS NOT NULL AND tls_protocol != 'ssl' AND tls_version IN (${marks(okVersions.length)})), 0) AS tls12,
        coalesce(sum(cipher IS NOT NULL), 0) AS cipher_seen,
        coalesce(sum(cipher IN (${marks(ciphers.length)})), 0) AS approved,
        coalesce(sum(assessment = 'assessed'), 0) AS assessed,
        coalesce(sum(assessment IS NOT NULL), 0) AS with_assessment
       FROM sessions WHERE run_id = ?`,
    )
    .get(...okVersions, ...ciphers, run) as KpiCounts;
  const bySeverity: Record<string, number> = {};
  let findings = 0;
  let waived = 0;
  for (const r of db.prepare('SELECT severity, waived, count(*) AS n FROM findings WHERE run_id = ? GROUP BY severity, waived ORDER BY severity').all(run) as {
    severity: number;
    waived: number;
    n: number;
  }[]) {
    findings += r.n;
    if (r.waived) waived += r.n;
    else bySeverity[String(r.severity)] = (bySeverity[String(r.severity)] ?? 0) + r.n;
  }
  return {
    profile: profile.name,
    sessions: c.sessions,
    encrypted_sessions: c.enc,
    cleartext_sessions: c.clear,
    unidentified_sessions: c.unk,
    encrypted_session_share: share(c.enc, c.enc + c.clear),
    encrypted_byte_share: share(c.enc_bytes, c.enc_bytes + c.clear_bytes),
    unidentified_byte_share: share(c.unk_bytes, c.enc_bytes + c.clear_bytes + c.unk_bytes),
    tls_sessions: c.tls,
    tls12plus_share: share(c.tls12, c.tls),
    approved_cipher_share: share(c.approved, c.cipher_seen),
    assessed_session_share: c.with_assessment ? share(c.assessed, c.sessions) : null,
    findings,
    waived_findings: waived,
    findings_by_severity: bySeverity,
  };
}

/** A run's KPIs: its summary's when it finished with one, else computed from its rows. */
export function runKpi(db: DB, run: number): KpiResponse {
  const r = getRunRecord(db, run);
  if (!r) return { run: null, source: 'computed', kpi: null };
  const computed = computeKpi(db, run, r.profile);
  if (r.status !== 'finished' || !r.summary) return { run, source: 'computed', kpi: computed };
  const summary = JSON.parse(r.summary) as { kpi?: Record<string, unknown> };
  const k = summary.kpi ?? {};
  const assessment = k.assessment as { assessed_session_share?: number | null } | undefined;
  const kpi: Kpi = { ...computed, ...k, sessions: computed.sessions, findings: computed.findings, waived_findings: computed.waived_findings, findings_by_severity: computed.findings_by_severity };
  if (assessment && assessment.assessed_session_share !== undefined) kpi.assessed_session_share = assessment.assessed_session_share;
  return { run, source: 'summary', kpi };
}

/** A bucket size near `span / 60` among round values. */
function bucketSize(spanMs: number): number {
  const steps = [1, 5, 10, 30, 60, 300, 600, 1800, 3600, 6 * 3600, 86400, 7 * 86400].map((s) => s * 1000);
  for (const s of steps) if (spanMs / s <= 60) return s;
  return steps[steps.length - 1];
}

function counts(rows: { k: string | null; n: number }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) out[r.k ?? 'none'] = r.n;
  return out;
}

export function stats(db: DB, f: Filters): StatsResponse {
  const c = conditions(f, 'sessions');
  const where = whereSql(c);
  const group = (expr: string, extra = ''): Record<string, number> =>
    counts(db.prepare(`SELECT ${expr} AS k, count(*) AS n FROM sessions s ${whereSql(c, extra ? [extra] : [])} GROUP BY k ORDER BY n DESC, k LIMIT 50`).all(...c.params) as { k: string | null; n: number }[]);
  const total = (db.prepare(`SELECT count(*) AS n, min(s.ts) AS lo, max(s.ts) AS hi FROM sessions s ${where}`).get(...c.params) as { n: number; lo: number | null; hi: number | null });
  // findings of the filtered sessions (a rule/severity filter selects sessions; their findings count whole)
  const fj = `FROM findings f JOIN sessions s ON s.id = f.session_id ${whereSql(c, ['f.waived = 0'])}`;
  const findingsByRule = counts(db.prepare(`SELECT f.rule_id AS k, count(*) AS n ${fj} GROUP BY k ORDER BY n DESC, k`).all(...c.params) as { k: string; n: number }[]);
  const findingsBySeverity = counts(db.prepare(`SELECT CAST(f.severity AS TEXT) AS k, count(*) AS n ${fj} GROUP BY k ORDER BY k`).all(...c.params) as { k: string; n: number }[]);
  const buckets: StatsResponse['timeline']['buckets'] = [];
  let bucketMs = 1000;
  if (total.lo !== null && total.hi !== null) {
    bucketMs = bucketSize((total.hi - total.lo) / 1000);
    const bu = bucketMs * 1000;
    const index = new Map<number, StatsResponse['timeline']['buckets'][number]>();
    const at = (b: number): StatsResponse['timeline']['buckets'][number] => {
      let e = index.get(b);
      if (!e) {
        e = { t: microsToIso(b * bu), sessions: 0, findings: 0, versions: {} };
        index.set(b, e);
      }
      return e;
    };
    for (const r of db
      .prepare(`SELECT s.ts / ? AS b, coalesce(s.tls_protocol || ' ' || s.tls_version, 'none') AS k, count(*) AS n FROM sessions s ${where} GROUP BY b, k`)
      .all(bu, ...c.params) as { b: number; k: string; n: number }[]) {
      const e = at(Math.floor(r.b));
      e.sessions += r.n;
      e.versions[r.k] = r.n;
    }
    for (const r of db.prepare(`SELECT f.ts / ? AS b, count(*) AS n ${fj} GROUP BY b`).all(bu, ...c.params) as { b: number; n: number }[]) at(Math.floor(r.b)).findings += r.n;
    buckets.push(...[...index.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]));
  }
  return {
    sessions: total.n,
    versions: group("coalesce(s.tls_protocol || ' ' || s.tls_version, 'none')"),
    ciphers: group('s.cipher', 's.cipher IS NOT NULL'),
    groups: group('s.curve', 's.curve IS NOT NULL'),
    protocols: group('s.protocol'),
    findings_by_rule: findingsByRule,
    findings_by_severity: findingsBySeverity,
    timeline: { bucket_ms: bucketMs, buckets },
  };
}

interface EndpointRecord {
  run_id: number;
  ip: string;
  port: number;
  sni: string;
  sessions: number;
  first_seen: number;
  last_seen: number;
  posture: string;
}

/** Endpoint inventory of one run, or of all runs merged per (ip, port, SNI). */
export function listEndpoints(db: DB, q: EndpointQuery): { items: EndpointRow[]; total: number } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (q.run !== undefined) {
    clauses.push('run_id = ?');
    params.push(q.run);
  }
  if (q.server !== undefined) {
    const s = parseServer(q.server);
    clauses.push('ip = ?');
    params.push(s.ip);
    if (s.port !== null) {
      clauses.push('port = ?');
      params.push(s.port);
    }
  }
  if (q.sni !== undefined) {
    clauses.push(q.sni.includes('*') ? "sni LIKE ? ESCAPE '\\'" : 'sni = ? COLLATE NOCASE');
    params.push(q.sni.includes('*') ? q.sni.replace(/[\\%_]/g, (x) => `\\${x}`).replace(/\*/g, '%') : q.sni);
  }
  const where = clauses.length ? `WHERE ${clauses.join(' AND ')}` : '';
  const merged = new Map<string, { r: EndpointRecord; p: Posture }>();
  for (const r of db.prepare(`SELECT * FROM endpoints ${where} ORDER BY ip, port, sni, run_id LIMIT 200000`).all(...params) as EndpointRecord[]) {
    const key = `${r.ip}\u0000${r.port}\u0000${r.sni}`;
    const p = JSON.parse(r.posture) as Posture;
    const have = merged.get(key);
    if (!have) merged.set(key, { r: { ...r }, p });
    else {
      mergePosture(have.p, p);
      have.r.sessions += r.sessions;
      have.r.first_seen = Math.min(have.r.first_seen, r.first_seen);
      have.r.last_seen = Math.max(have.r.last_seen, r.last_seen);
    }
  }
  let rows = [...merged.values()];
  if (q.drift === 'true') rows = rows.filter((e) => drift(e.p).length > 0);
  // worst first, then busiest
  rows.sort((a, b) => b.p.max_severity - a.p.max_severity || b.r.sessions - a.r.sessions || a.r.ip.localeCompare(b.r.ip) || a.r.port - b.r.port || a.r.sni.localeCompare(b.r.sni));
  const limit = Math.max(1, Math.min(q.limit ?? 1000, 10000));
  return {
    total: rows.length,
    items: rows.slice(0, limit).map(({ r, p }) => endpointRow(q.run ?? null, r.ip, r.port, r.sni, r.sessions, r.first_seen, r.last_seen, p)),
  };
}
