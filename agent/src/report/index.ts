// `intransit report`: index.html (self-contained), report.json (the same data) and
// findings.csv (every finding of the run, one line each) for one stored run.

import { mkdirSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import type { FindingDoc, SessionDoc } from '@intransit/shared';
import type { DB } from '../store/db.js';
import { findingWaiver, firstPacket } from '../store/rows.js';
import { buildReport, type ReportModel } from './model.js';
import { renderHtml } from './html.js';
import { offendingValue, certificateOf } from './evidence.js';

export { buildReport, type ReportModel } from './model.js';
export { renderHtml } from './html.js';

export const CSV_COLUMNS = [
  'finding_id', 'session_id', 'capture_time', 'first_packet', 'rule_id', 'rule_name', 'category', 'severity', 'waived', 'waiver_owner',
  'waiver_expires', 'waiver_justification', 'client', 'server', 'sni', 'protocol', 'tls_version', 'cipher', 'offending_value', 'certificate_sha256', 'message',
];

/** One CSV field (RFC 4180), with spreadsheet formulas defused: capture data is untrusted. */
export function csvField(v: unknown): string {
  let s = v === null || v === undefined ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function endpoint(ip: string | undefined, port: number | undefined): string {
  return ip?.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** Streams findings.csv in capture-time order. */
export function writeFindingsCsv(db: DB, run: number, file: string): number {
  const fd = openSync(file, 'w');
  let n = 0;
  try {
    writeSync(fd, CSV_COLUMNS.join(',') + '\r\n');
    const page = db.prepare(
      'SELECT f.id, f.session_id, f.ts, f.doc, s.doc AS sdoc FROM findings f LEFT JOIN sessions s ON s.id = f.session_id WHERE f.run_id = ? AND (f.ts > ? OR (f.ts = ? AND f.id > ?)) ORDER BY f.ts, f.id LIMIT 2000',
    );
    for (let ts = -1, id = 0; ; ) {
      const rows = page.all(run, ts, ts, id) as { id: number; session_id: number | null; ts: number; doc: string; sdoc: string | null }[];
      if (rows.length === 0) break;
      const lines: string[] = [];
      for (const r of rows) {
        const d = JSON.parse(r.doc) as FindingDoc;
        const s = r.sdoc ? (JSON.parse(r.sdoc) as SessionDoc) : null;
        const w = findingWaiver(d);
        lines.push(
          [
            r.id, r.session_id, d['@timestamp'], s ? firstPacket(s as { intransit?: Record<string, unknown> }) : null, d.rule?.id, d.rule?.name, d.rule?.category, d.event?.severity,
            w ? 'yes' : 'no', w?.owner, w?.expires, w?.justification, endpoint(d.source?.ip, d.source?.port), endpoint(d.destination?.ip, d.destination?.port),
            d.tls?.client?.server_name, d.network?.protocol, d.tls?.version ? `${d.tls.version_protocol ?? 'tls'} ${d.tls.version}` : null, d.tls?.cipher,
            offendingValue(d, s), certificateOf(d), d.message,
          ].map(csvField).join(','),
        );
        n++;
      }
      writeSync(fd, lines.join('\r\n') + '\r\n');
      ts = rows[rows.length - 1].ts;
      id = rows[rows.length - 1].id;
    }
  } finally {
    closeSync(fd);
  }
  return n;
}

export interface WrittenReport {
  dir: string;
  model: ReportModel;
  files: string[];
}

export function writeReport(db: DB, run: number, dir: string, generatedAt = new Date()): WrittenReport {
  mkdirSync(dir, { recursive: true });
  const model = buildReport(db, run, generatedAt);
  const html = join(dir, 'index.html');
  const json = join(dir, 'report.json');
  const csv = join(dir, 'findings.csv');
  writeFileSync(html, renderHtml(model));
  writeFileSync(json, JSON.stringify(model, null, 2) + '\n');
  writeFindingsCsv(db, run, csv);
  return { dir, model, files: [html, json, csv] };
}
