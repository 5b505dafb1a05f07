// The JSON API's routes (shapes in shared/src/api.ts). Every filter value reaches
// SQLite as a bound parameter; malformed ones are answered 400 with the reasons.

import type { IncomingMessage } from 'node:http';
import { parseQuery, ROUTES, type InfoResponse, type HealthResponse } from '@intransit/shared';
import type { DB } from '../store/db.js';
import { FilterError } from '../store/filters.js';
import { listRuns, getRunDetail, listSessions, getSession, listFindings, defaultRunId } from '../store/queries.js';
import { runKpi, stats, listEndpoints } from '../store/analytics.js';
import type { Hub } from './live.js';
import type { Uploads } from './upload.js';

export type Reply = (status: number, body: unknown, headers?: Record<string, string>) => void;

export interface ApiContext {
  db: DB;
  hub: Hub;
  uploads: Uploads;
  info(): InfoResponse;
  started: number;
}

function idFrom(pathname: string, prefix: string): number | null {
  const rest = pathname.slice(prefix.length);
  return /^\d{1,15}$/.test(rest) ? Number(rest) : null;
}

export function health(ctx: ApiContext): HealthResponse {
  const m = process.memoryUsage();
  return {
    status: 'ok',
    uptime_s: Math.round((Date.now() - ctx.started) / 1000),
    rss_bytes: m.rss,
    heap_used_bytes: m.heapUsed,
    clients: ctx.hub.clients.size,
    coalesced: ctx.hub.counters.coalesced,
    disconnected_slow: ctx.hub.counters.disconnectedSlow,
    last_session_id: ctx.hub.lastSessionId,
  };
}

export function handleApi(ctx: ApiContext, req: IncomingMessage, url: URL, reply: Reply): void {
  const path = url.pathname;
  if (path === ROUTES.upload) {
    if (req.method !== 'POST') return reply(405, { error: 'POST a capture' }, { Allow: 'POST' });
    return ctx.uploads.handle(req, url, reply);
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, { error: 'read-only' }, { Allow: 'GET, HEAD' });
  const { query, errors } = parseQuery(url.searchParams);
  if (errors.length) return reply(400, { error: 'bad query', errors });
  try {
    if (path === ROUTES.info) return reply(200, ctx.info());
    if (path === ROUTES.health) return reply(200, health(ctx));
    if (path === ROUTES.runs) return reply(200, { items: listRuns(ctx.db) });
    if (path.startsWith(ROUTES.run)) {
      const id = idFrom(path, ROUTES.run);
      const run = id === null ? null : getRunDetail(ctx.db, id);
      return run ? reply(200, run) : reply(404, { error: 'no such run' });
    }
    if (path === ROUTES.sessions) return reply(200, listSessions(ctx.db, query));
    if (path.startsWith(ROUTES.session)) {
      const id = idFrom(path, ROUTES.session);
      const s = id === null ? null : getSession(ctx.db, id);
      return s ? reply(200, s) : reply(404, { error: 'no such session' });
    }
    if (path === ROUTES.findings) return reply(200, listFindings(ctx.db, query));
    if (path === ROUTES.endpoints) return reply(200, listEndpoints(ctx.db, query));
    if (path === ROUTES.kpi) {
      const run = query.run ?? ctx.info().live_run ?? defaultRunId(ctx.db);
      return reply(200, run === null ? { run: null, source: 'computed', kpi: null } : runKpi(ctx.db, run));
    }
    if (path === ROUTES.stats) return reply(200, stats(ctx.db, query));
  } catch (e) {
    if (e instanceof FilterError) return reply(400, { error: 'bad query', errors: [e.message] });
    throw e;
  }
  reply(404, { error: 'no such API route' });
}
