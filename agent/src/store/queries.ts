// Read side of the store: what the JSON API and the report ask. Filters become bound
// parameters (filters.ts); pages are keyset-paged on (capture time, id) so a page
// stays stable while new sessions arrive.

import type { FindingDoc, FindingQuery, FindingRow, Page, RunDetail, RunRow, SessionDetail, SessionDoc, SessionQuery, SessionRow } from '@intransit/shared';
import type { DB } from './db.js';
import { conditions, FilterError, whereSql } from './filters.js';
import { findingRow, runRow, sessionRow, SESSION_SELECT, FINDING_SELECT, FINDING_FROM, type FindingRecord, type RunRecord, type SessionRecord } from './rows.js';

export const MAX_LIMIT = 1000;
export const DEFAULT_LIMIT = 100;

function encodeCursor(ts: number, id: number): string {
  return Buffer.from(`${ts}:${id}`).toString('base64url');
}

function decodeCursor(cursor: string): { ts: number; id: number } {
  const m = /^(\d{1,17}):(\d{1,17})$/.exec(Buffer.from(cursor, 'base64url').toString('latin1'));
  if (!m) throw new FilterError('cursor: not one this server issued');
  return { ts: Number(m[1]), id: Number(m[2]) };
}

function limitOf(q: { limit?: number }): number {
  return Math.max(1, Math.min(q.limit ?? DEFAULT_LIMIT, MAX_LIMIT));
}

interface Keyset {
  extra: string[];
  params: unknown[];
  order: string;
}

function keyset(q: SessionQuery, alias: string): Keyset {
  const desc = q.order !== 'asc';
  const order = `ORDER BY ${alias}.ts ${desc ? 'DESC' : 'ASC'}, ${alias}.id ${desc ? 'DESC' : 'ASC'}`;
  if (!q.cursor) return { extra: [], params: [], order };
  const c = decodeCursor(q.cursor);
  const op = desc ? '<' : '>';
  return { extra: [`(${alias}.ts ${op} ? OR (${alias}.ts = ? AND ${alias}.id ${op} ?))`], params: [c.ts, c.ts, c.id], order };
}

export function listRuns(db: DB, limit = 200): RunRow[] {
  return (db.prepare('SELECT * FROM runs ORDER BY id DESC LIMIT ?').all(limit) as RunRecord[]).map(runRow);
}

export function getRun(db: DB, id: number): RunRow | null {
  const r = db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRecord | undefined;
  return r ? runRow(r) : null;
}

export function getRunDetail(db: DB, id: number): RunDetail | null {
  const r = getRunRecord(db, id);
  return r ? { ...runRow(r), summary: r.summary ? (JSON.parse(r.summary) as Record<string, unknown>) : null } : null;
}

export function getRunRecord(db: DB, id: number): RunRecord | null {
  return (db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRecord | undefined) ?? null;
}

/** The run a view shows by default: one still running, else the newest. */
export function defaultRunId(db: DB): number | null {
  const r = (db.prepare("SELECT id FROM runs ORDER BY status = 'running' DESC, id DESC LIMIT 1").get() as { id: number } | undefined) ?? null;
  return r ? r.id : null;
}

export function listSessions(db: DB, q: SessionQuery): Page<SessionRow> {
  const c = conditions(q, 'sessions');
  const k = keyset(q, 's');
  const limit = limitOf(q);
  const offset = q.cursor ? 0 : (q.offset ?? 0);
  const rows = db
    .prepare(`SELECT ${SESSION_SELECT} FROM sessions s ${whereSql(c, k.extra)} ${k.order} LIMIT ? OFFSET ?`)
    .all(...c.params, ...k.params, limit + 1, offset) as SessionRecord[];
  const total = (db.prepare(`SELECT count(*) AS n FROM sessions s ${whereSql(c)}`).get(...c.params) as { n: number }).n;
  const more = rows.length > limit;
  if (more) rows.pop();
  const last = rows[rows.length - 1];
  return { items: rows.map(sessionRow), total, next_cursor: more && last ? encodeCursor(last.ts, last.id) : null };
}

export function getSession(db: DB, id: number): SessionDetail | null {
  const r = db.prepare(`SELECT ${SESSION_SELECT}, s.doc FROM sessions s WHERE s.id = ?`).get(id) as (SessionRecord & { doc: string }) | undefined;
  if (!r) return null;
  const findings = (db.prepare(`SELECT ${FINDING_SELECT}, f.doc AS fdoc ${FINDING_FROM} WHERE f.session_id = ? ORDER BY f.id`).all(id) as (FindingRecord & { fdoc: string })[]).map(
    ({ fdoc, ...f }) => ({ ...findingRow(f), doc: JSON.parse(fdoc) as FindingDoc }),
  );
  return { session: sessionRow(r), doc: JSON.parse(r.doc) as SessionDoc, findings };
}

export function listFindings(db: DB, q: FindingQuery): Page<FindingRow> {
  const c = conditions(q, 'findings');
  const k = keyset(q, 'f');
  const limit = limitOf(q);
  const offset = q.cursor ? 0 : (q.offset ?? 0);
  const rows = db
    .prepare(`SELECT ${FINDING_SELECT} ${FINDING_FROM} ${whereSql(c, k.extra)} ${k.order} LIMIT ? OFFSET ?`)
    .all(...c.params, ...k.params, limit + 1, offset) as FindingRecord[];
  const total = (db.prepare(`SELECT count(*) AS n ${FINDING_FROM} ${whereSql(c)}`).get(...c.params) as { n: number }).n;
  const more = rows.length > limit;
  if (more) rows.pop();
  const last = rows[rows.length - 1];
  return { items: rows.map(findingRow), total, next_cursor: more && last ? encodeCursor(last.ts, last.id) : null };
}

/** Sessions and findings committed after the given ids (the live feed's tail), in id order. */
export function sessionsAfter(db: DB, afterId: number, limit: number): SessionRow[] {
  return (db.prepare(`SELECT ${SESSION_SELECT} FROM sessions s WHERE s.id > ? ORDER BY s.id LIMIT ?`).all(afterId, limit) as SessionRecord[]).map(sessionRow);
}

export function findingsAfter(db: DB, afterId: number, limit: number): FindingRow[] {
  return (db.prepare(`SELECT ${FINDING_SELECT} ${FINDING_FROM} WHERE f.id > ? ORDER BY f.id LIMIT ?`).all(afterId, limit) as FindingRecord[]).map(findingRow);
}

export function lastIds(db: DB): { session: number; finding: number } {
  const s = db.prepare('SELECT coalesce(max(id), 0) AS n FROM sessions').get() as { n: number };
  const f = db.prepare('SELECT coalesce(max(id), 0) AS n FROM findings').get() as { n: number };
  return { session: s.n, finding: f.n };
}
