// What the auditor's report says about one stored run, as data (report.json); the
// HTML and CSV are renderings of it. Everything comes from the database in a fixed
// order, so the same database and options give the same report; the generation time
// is the only thing that differs between two runs of `intransit report`.

import { KPI_TARGETS, type FindingDoc, type Kpi, type RunRow, type SessionDoc } from '@intransit/shared';
import type { DB } from '../store/db.js';
import { getRun, getRunRecord } from '../store/queries.js';
import { runKpi } from '../store/analytics.js';
import { findingWaiver, firstPacket } from '../store/rows.js';
import { agentVersion } from '../store/db.js';
import { SCHEMA_VERSION } from '../store/schema.js';
import { certificateOf, offendingValue } from './evidence.js';

export const EVIDENCE_PER_RULE = 1000;

export interface Evidence {
  finding: number;
  session: number | null;
  time: string;
  first_packet: number | null;
  client: string;
  server: string;
  sni: string | null;
  value: string | null;
  certificate: string | null;
  message: string;
  waived: Record<string, unknown> | null;
}

export interface RuleGroup {
  id: string;
  name: string;
  category: string;
  reference: string;
  severity: number;
  findings: number;
  waived: number;
  servers: number;
  evidence: Evidence[];
  evidence_omitted: number;
}

export interface ServerGroup {
  server: string;
  sni: string[];
  findings: number;
  waived: number;
  max_severity: number;
  rules: Record<string, number>;
}

export interface KpiLine {
  key: string;
  label: string;
  value: number | null;
  target: number;
  met: boolean | null;
}

export interface ReportModel {
  generated_at: string;
  tool: { name: 'intransit'; version: string; schema_version: number };
  run: RunRow;
  profile: string;
  rule_pack_version: string;
  policy: Record<string, unknown> | null;
  kpi_source: 'summary' | 'computed';
  kpis: KpiLine[];
  kpi: Kpi | null;
  totals: { sessions: number; findings: number; waived_findings: number; packets: number | null; bytes: number | null };
  mix: { versions: Record<string, number>; ciphers: Record<string, number>; groups: Record<string, number>; protocols: Record<string, number> };
  rules: RuleGroup[];
  servers: ServerGroup[];
  waivers: Array<{ rule: string; justification: string; owner: string; expires: string; findings: number }>;
  coverage: {
    assessment: Record<string, number>;
    reasons: Record<string, number>;
    undecoded: Record<string, number>;
    files: Array<Record<string, unknown>>;
  };
}

function counts(rows: { k: string | null; n: number }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) out[r.k ?? 'none'] = r.n;
  return out;
}

interface Joined {
  id: number;
  session_id: number | null;
  doc: string;
  sdoc: string | null;
}

export function buildReport(db: DB, runId: number, generatedAt = new Date()): ReportModel {
  const run = getRun(db, runId);
  const rec = getRunRecord(db, runId);
  if (!run || !rec) throw new Error(`no run ${runId} in the database`);
  const summary = rec.summary ? (JSON.parse(rec.summary) as Record<string, unknown>) : null;
  const k = runKpi(db, runId);
  const kpis: KpiLine[] = Object.entries(KPI_TARGETS).map(([key, t]) => {
    const v = (k.kpi?.[key] ?? null) as number | null;
    return { key, label: t.label, value: v, target: t.target, met: v === null ? null : v >= t.target };
  });
  const q = (sql: string): Record<string, number> => counts(db.prepare(sql).all(runId) as { k: string | null; n: number }[]);
  const mix = {
    versions: q("SELECT coalesce(tls_protocol || ' ' || tls_version, 'none') AS k, count(*) AS n FROM sessions WHERE run_id = ? GROUP BY k ORDER BY n DESC, k"),
    ciphers: q('SELECT cipher AS k, count(*) AS n FROM sessions WHERE run_id = ? AND cipher IS NOT NULL GROUP BY k ORDER BY n DESC, k'),
    groups: q('SELECT curve AS k, count(*) AS n FROM sessions WHERE run_id = ? AND curve IS NOT NULL GROUP BY k ORDER BY n DESC, k'),
    protocols: q('SELECT protocol AS k, count(*) AS n FROM sessions WHERE run_id = ? GROUP BY k ORDER BY n DESC, k'),
  };
  const rules = new Map<string, RuleGroup & { serverSet: Set<string> }>();
  const servers = new Map<string, ServerGroup & { sniSet: Set<string> }>();
  const waivers = new Map<string, { rule: string; justification: string; owner: string; expires: string; findings: number }>();
  let total = 0;
  let waivedTotal = 0;
  const rows = db.prepare(
    'SELECT f.id, f.session_id, f.doc, s.doc AS sdoc FROM findings f LEFT JOIN sessions s ON s.id = f.session_id WHERE f.run_id = ? AND f.id > ? ORDER BY f.id LIMIT 5000',
  );
  // pages in id order; evidence is sorted by capture time afterwards
  for (let after = 0; ; ) {
    const page = rows.all(runId, after) as Joined[];
    if (page.length === 0) break;
    after = page[page.length - 1].id;
    for (const r of page) {
      const doc = JSON.parse(r.doc) as FindingDoc;
      const session = r.sdoc ? (JSON.parse(r.sdoc) as SessionDoc) : null;
      const waiver = findingWaiver(doc);
      const sev = doc.event?.severity ?? 0;
      const id = doc.rule?.id ?? 'unknown';
      const server = doc.destination?.ip?.includes(':') ? `[${doc.destination.ip}]:${doc.destination.port}` : `${doc.destination?.ip}:${doc.destination?.port}`;
      const sni = doc.tls?.client?.server_name ?? null;
      total++;
      if (waiver) waivedTotal++;
      let g = rules.get(id);
      if (!g) {
        g = { id, name: doc.rule?.name ?? id, category: doc.rule?.category ?? '', reference: doc.rule?.reference ?? '', severity: 0, findings: 0, waived: 0, servers: 0, evidence: [], evidence_omitted: 0, serverSet: new Set() };
        rules.set(id, g);
      }
      g.findings++;
      if (waiver) g.waived++;
      if (sev > g.severity) g.severity = sev;
      g.serverSet.add(server);
      g.evidence.push({
        finding: r.id,
        session: r.session_id,
        time: doc['@timestamp'],
        first_packet: session ? firstPacket(session as { intransit?: Record<string, unknown> }) : null,
        client: doc.source?.ip?.includes(':') ? `[${doc.source.ip}]:${doc.source.port}` : `${doc.source?.ip}:${doc.source?.port}`,
        server,
        sni,
        value: offendingValue(doc, session),
        certificate: certificateOf(doc),
        message: doc.message ?? '',
        waived: waiver,
      });
      let s = servers.get(server);
      if (!s) {
        s = { server, sni: [], findings: 0, waived: 0, max_severity: 0, rules: {}, sniSet: new Set() };
        servers.set(server, s);
      }
      if (sni) s.sniSet.add(sni);
      if (waiver) s.waived++;
      else {
        s.findings++;
        s.rules[id] = (s.rules[id] ?? 0) + 1;
        if (sev > s.max_severity) s.max_severity = sev;
      }
      if (waiver) {
        const w = { rule: id, justification: String(waiver.justification ?? ''), owner: String(waiver.owner ?? ''), expires: String(waiver.expires ?? '') };
        const key = JSON.stringify(w);
        const have = waivers.get(key);
        if (have) have.findings++;
        else waivers.set(key, { ...w, findings: 1 });
      }
    }
  }
  const ruleList = [...rules.values()]
    .sort((a, b) => b.severity - a.severity || b.findings - a.findings || a.id.localeCompare(b.id))
    .map(({ serverSet, ...g }) => {
      g.evidence.sort((a, b) => a.time.localeCompare(b.time) || a.finding - b.finding);
      const omitted = Math.max(0, g.evidence.length - EVIDENCE_PER_RULE);
      return { ...g, servers: serverSet.size, evidence: g.evidence.slice(0, EVIDENCE_PER_RULE), evidence_omitted: omitted };
    });
  const serverList = [...servers.values()]
    .sort((a, b) => b.max_severity - a.max_severity || b.findings - a.findings || a.server.localeCompare(b.server))
    .map(({ sniSet, ...s }) => ({ ...s, sni: [...sniSet].sort(), rules: Object.fromEntries(Object.entries(s.rules).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) }));
  const capture = (summary?.capture as { files?: Array<Record<string, unknown>> } | undefined)?.files ?? [];
  return {
    generated_at: generatedAt.toISOString(),
    tool: { name: 'intransit', version: agentVersion(), schema_version: SCHEMA_VERSION },
    run,
    profile: (k.kpi?.profile as string | undefined) ?? run.profile,
    rule_pack_version: run.rule_pack_version,
    policy: (summary?.policy as Record<string, unknown> | undefined) ?? null,
    kpi_source: k.source,
    kpis,
    kpi: k.kpi,
    totals: {
      sessions: run.sessions,
      findings: total,
      waived_findings: waivedTotal,
      packets: typeof summary?.packets === 'number' ? summary.packets : null,
      bytes: typeof summary?.bytes === 'number' ? summary.bytes : null,
    },
    mix,
    rules: ruleList,
    servers: serverList,
    waivers: [...waivers.values()].sort((a, b) => a.rule.localeCompare(b.rule) || a.owner.localeCompare(b.owner) || a.expires.localeCompare(b.expires)),
    coverage: {
      assessment: q("SELECT coalesce(assessment, 'not reported') AS k, count(*) AS n FROM sessions WHERE run_id = ? GROUP BY k ORDER BY k"),
      reasons: q("SELECT j.value AS k, count(*) AS n FROM sessions s, json_each(s.doc, '$.intransit.assessment_reasons') j WHERE s.run_id = ? GROUP BY k ORDER BY n DESC, k"),
      undecoded: (summary?.undecoded as Record<string, number> | undefined) ?? {},
      files: capture.map((f) => ({ file: f.file, format: f.format, packets: f.packets, truncated: f.truncated, warnings: f.warnings, error: f.error })),
    },
  };
}
