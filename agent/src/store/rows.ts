// Documents ↔ table rows: the columns the viewer filters and sorts on are taken out
// of each document once, at insert; the document itself is kept whole beside them.

import type { FindingDoc, FindingRow, RunRow, SessionDoc, SessionRow } from '@intransit/shared';

const DAYS_BEFORE_MONTH = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

function digits(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return n;
}

/**
 * ISO-8601 time → microseconds since the epoch (sub-microsecond digits dropped); NaN
 * if unparsable. The engine's own form (`YYYY-MM-DDTHH:MM:SS.ffffff[fff]Z`) is read
 * by hand, on every stored document; anything else goes through Date.parse.
 */
export function isoToMicros(iso: string): number {
  if (iso.length >= 20 && iso.charCodeAt(iso.length - 1) === 90 /* Z */ && iso[10] === 'T' && iso[4] === '-' && iso[7] === '-' && iso[13] === ':' && iso[16] === ':') {
    const y = digits(iso, 0, 4);
    const mo = digits(iso, 5, 7);
    const d = digits(iso, 8, 10);
    const h = digits(iso, 11, 13);
    const mi = digits(iso, 14, 16);
    const sec = digits(iso, 17, 19);
    let frac = 0;
    if (iso.length > 20) {
      if (iso[19] !== '.') return NaN;
      const end = Math.min(iso.length - 1, 26);
      frac = digits(iso, 20, end) * 10 ** (26 - end);
      if (iso.length - 1 > 26 && Number.isNaN(digits(iso, 26, iso.length - 1))) return NaN;
    }
    if (mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 && sec < 61 && !Number.isNaN(y + frac)) {
      // days from the civil date (proleptic Gregorian), as Date.UTC does
      const leap = mo > 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 1 : 0;
      const yy = y - 1;
      const days = 365 * (y - 1970) + (Math.floor(yy / 4) - Math.floor(yy / 100) + Math.floor(yy / 400) - 477) + DAYS_BEFORE_MONTH[mo - 1] + leap + d - 1;
      return ((days * 24 + h) * 60 + mi) * 60e6 + sec * 1e6 + frac;
    }
    return NaN;
  }
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t * 1000 : NaN;
}

/** Microseconds since the epoch → ISO-8601 with microseconds. */
export function microsToIso(us: number): string {
  const ms = Math.floor(us / 1000);
  const micros = us - Math.floor(us / 1e6) * 1e6;
  return `${new Date(ms).toISOString().slice(0, 19)}.${String(micros).padStart(6, '0')}Z`;
}

export function msToIso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

type Json = Record<string, unknown>;

function obj(v: unknown): Json | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** First VNI among the session's tunnel layers (outermost first). */
export function sessionVni(doc: SessionDoc): number | null {
  for (const t of doc.intransit?.tunnel ?? []) if (typeof t.vni === 'number') return t.vni;
  return null;
}

/** Column values of a session document, in the order of `SESSION_COLUMNS`. */
export interface SessionColumns {
  ts: number;
  ts_end: number;
  src_ip: string;
  src_port: number;
  dst_ip: string;
  dst_port: number;
  transport: string;
  protocol: string;
  encrypted: number | null;
  tls_protocol: string | null;
  tls_version: string | null;
  cipher: string | null;
  curve: string | null;
  sni: string | null;
  ja4: string | null;
  vni: number | null;
  vlan: number | null;
  bytes: number;
  packets: number;
  rule_ids: string;
  assessment: string | null;
  community_id: string;
}

export function sessionColumns(doc: SessionDoc): SessionColumns {
  const ts = isoToMicros(doc['@timestamp']);
  const end = isoToMicros(doc.event?.end ?? doc['@timestamp']);
  const tls = doc.tls;
  const enc = doc.intransit?.encrypted;
  return {
    ts: Number.isFinite(ts) ? ts : 0,
    ts_end: Number.isFinite(end) ? end : Number.isFinite(ts) ? ts : 0,
    src_ip: String(doc.source?.ip ?? ''),
    src_port: num(doc.source?.port) ?? 0,
    dst_ip: String(doc.destination?.ip ?? ''),
    dst_port: num(doc.destination?.port) ?? 0,
    transport: String(doc.network?.transport ?? ''),
    protocol: String(doc.network?.protocol ?? 'unknown'),
    encrypted: enc === true ? 1 : enc === false ? 0 : null,
    tls_protocol: tls?.version ? (tls.version_protocol ?? 'tls') : null,
    tls_version: str(tls?.version),
    cipher: str(tls?.cipher),
    curve: str(tls?.curve),
    sni: str(tls?.client?.server_name),
    ja4: str(tls?.client?.ja4),
    vni: sessionVni(doc),
    vlan: num(doc.network?.vlan?.id),
    bytes: (num(doc.source?.bytes) ?? 0) + (num(doc.destination?.bytes) ?? 0),
    packets: (num(doc.source?.packets) ?? 0) + (num(doc.destination?.packets) ?? 0),
    rule_ids: JSON.stringify(Array.isArray(doc.intransit?.findings) ? doc.intransit.findings : []),
    assessment: str(doc.intransit?.assessment),
    community_id: String(doc.network?.community_id ?? ''),
  };
}

/** The waiver applied to a finding (`intransit.waived`), or null. */
export function findingWaiver(doc: FindingDoc): Json | null {
  const w = (doc.intransit as Json | undefined)?.waived;
  if (w === undefined || w === null || w === false) return null;
  return obj(w) ?? { waived: w };
}

/** `intransit.flow.first_packet` of a session or finding document. */
export function firstPacket(doc: { intransit?: Json }): number | null {
  return num(obj(doc.intransit?.flow)?.first_packet);
}

/** Row of the `sessions` table as read by the queries (`SESSION_SELECT`). */
export interface SessionRecord extends Omit<SessionColumns, 'rule_ids'> {
  id: number;
  run_id: number;
  rule_ids: string;
  max_severity: number;
  waived: number;
}

export const SESSION_SELECT =
  's.id, s.run_id, s.ts, s.ts_end, s.src_ip, s.src_port, s.dst_ip, s.dst_port, s.transport, s.protocol, s.encrypted, s.tls_protocol, s.tls_version, s.cipher, s.curve, s.sni, s.ja4, s.vni, s.vlan, s.bytes, s.packets, s.rule_ids, s.max_severity, s.waived, s.assessment, s.community_id';

export function sessionRow(r: SessionRecord): SessionRow {
  return {
    id: r.id,
    run: r.run_id,
    ts: microsToIso(r.ts),
    end: microsToIso(r.ts_end),
    src_ip: r.src_ip,
    src_port: r.src_port,
    dst_ip: r.dst_ip,
    dst_port: r.dst_port,
    transport: r.transport,
    protocol: r.protocol,
    encrypted: r.encrypted === null ? null : r.encrypted === 1,
    tls_protocol: r.tls_protocol,
    tls_version: r.tls_version,
    cipher: r.cipher,
    curve: r.curve,
    sni: r.sni,
    ja4: r.ja4,
    vni: r.vni,
    vlan: r.vlan,
    bytes: r.bytes,
    packets: r.packets,
    findings: JSON.parse(r.rule_ids) as string[],
    max_severity: r.max_severity,
    waived: r.waived,
    assessment: r.assessment,
    community_id: r.community_id,
  };
}

/**
 * A finding as the queries read it: its own columns, a few fields of its document
 * extracted by SQLite (no document is parsed in JavaScript to list findings), and
 * its session's columns.
 */
export interface FindingRecord {
  id: number;
  run_id: number;
  session_id: number | null;
  ts: number;
  rule_id: string;
  severity: number;
  message: string;
  name: string | null;
  category: string | null;
  reference: string | null;
  waiver: string | null;
  src_ip: string | null;
  src_port: number | null;
  dst_ip: string | null;
  dst_port: number | null;
  sni: string | null;
  protocol: string | null;
  tls_version: string | null;
  cipher: string | null;
  first_packet: number | null;
}

/** Selects a FindingRecord from `findings f LEFT JOIN sessions s ON s.id = f.session_id`. */
export const FINDING_SELECT = `f.id, f.run_id, f.session_id, f.ts, f.rule_id, f.severity, f.message,
  json_extract(f.doc, '$.rule.name') AS name, json_extract(f.doc, '$.rule.category') AS category,
  json_extract(f.doc, '$.rule.reference') AS reference,
  CASE WHEN f.waived THEN json_extract(f.doc, '$.intransit.waived') END AS waiver,
  coalesce(s.src_ip, json_extract(f.doc, '$.source.ip')) AS src_ip, coalesce(s.src_port, json_extract(f.doc, '$.source.port')) AS src_port,
  coalesce(s.dst_ip, json_extract(f.doc, '$.destination.ip')) AS dst_ip, coalesce(s.dst_port, json_extract(f.doc, '$.destination.port')) AS dst_port,
  CASE WHEN s.id IS NULL THEN json_extract(f.doc, '$.tls.client.server_name') ELSE s.sni END AS sni,
  coalesce(s.protocol, json_extract(f.doc, '$.network.protocol')) AS protocol,
  CASE WHEN s.id IS NULL THEN json_extract(f.doc, '$.tls.version') ELSE s.tls_version END AS tls_version,
  CASE WHEN s.id IS NULL THEN json_extract(f.doc, '$.tls.cipher') ELSE s.cipher END AS cipher,
  json_extract(s.doc, '$.intransit.flow.first_packet') AS first_packet`;

export const FINDING_FROM = 'FROM findings f LEFT JOIN sessions s ON s.id = f.session_id';

export function findingRow(r: FindingRecord): FindingRow {
  let waived: Json | null = null;
  if (r.waiver !== null) {
    try {
      const w: unknown = JSON.parse(r.waiver);
      waived = obj(w) ?? { waived: w };
    } catch {
      waived = { waived: r.waiver };
    }
  }
  return {
    id: r.id,
    run: r.run_id,
    session: r.session_id,
    ts: microsToIso(r.ts),
    rule: r.rule_id,
    name: r.name ?? r.rule_id,
    category: r.category ?? '',
    reference: r.reference ?? '',
    severity: r.severity,
    message: r.message,
    waived,
    src_ip: String(r.src_ip ?? ''),
    src_port: r.src_port ?? 0,
    dst_ip: String(r.dst_ip ?? ''),
    dst_port: r.dst_port ?? 0,
    sni: r.sni,
    protocol: String(r.protocol ?? ''),
    tls_version: r.tls_version,
    cipher: r.cipher,
    first_packet: r.first_packet,
  };
}

/** Row of the `runs` table. */
export interface RunRecord {
  id: number;
  command: string;
  source: string;
  profile: string;
  rule_pack_version: string;
  status: 'running' | 'finished' | 'failed';
  pid: number | null;
  host: string | null;
  started_at: number;
  ended_at: number | null;
  capture_start: number | null;
  capture_end: number | null;
  sessions: number;
  findings: number;
  summary: string | null;
  error: string | null;
}

export function runRow(r: RunRecord): RunRow {
  return {
    id: r.id,
    command: r.command,
    source: r.source,
    profile: r.profile,
    rule_pack_version: r.rule_pack_version,
    status: r.status,
    started_at: new Date(r.started_at).toISOString(),
    ended_at: msToIso(r.ended_at),
    capture_start: r.capture_start === null ? null : microsToIso(r.capture_start),
    capture_end: r.capture_end === null ? null : microsToIso(r.capture_end),
    sessions: r.sessions,
    findings: r.findings,
    error: r.error,
  };
}
