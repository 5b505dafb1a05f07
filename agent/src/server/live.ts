// The live feed. The hub tails the database for rows committed after the last ones
// it saw (by this process's writer, an upload's child process, or any other agent
// writing the same file) and fans them out to the WebSocket clients. Reading from
// the store rather than holding pushed documents means the agent never keeps more
// than one page of rows for the feed, however fast sessions arrive.

import type { IncomingMessage } from 'node:http';
import type { WebSocket, RawData } from 'ws';
import type { FindingRow, InfoResponse, LiveFilters, RunRow, SessionRow } from '@intransit/shared';
import { API_PROTOCOL } from '@intransit/shared';
import type { DB } from '../store/db.js';
import { sessionsAfter, findingsAfter, lastIds, listRuns, getRun, defaultRunId } from '../store/queries.js';
import { runKpi } from '../store/analytics.js';
import { checkLiveFilters, findingMatches, FilterError, sessionMatches } from '../store/filters.js';
import { LiveClient, type ClientLimits, type HubCounters } from './client.js';

const PAGE = 500;
const POLL_MS = 500;
const TICK_MS = 100;
const KPI_MS = 1000;

const FILTER_TYPES: Record<string, 'string' | 'number'> = {
  run: 'number',
  rule: 'string',
  severity: 'number',
  version: 'string',
  server: 'string',
  sni: 'string',
  vni: 'number',
  protocol: 'string',
  encrypted: 'string',
};

/** Checks a `subscribe` message's filters: known keys, right types, meaningful values. */
export function validateFilters(f: unknown): LiveFilters {
  if (f === undefined || f === null) return {};
  if (typeof f !== 'object' || Array.isArray(f)) throw new FilterError('filters: an object');
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f)) {
    const type = FILTER_TYPES[k];
    if (!type) throw new FilterError(`filters.${k}: unknown filter`);
    if (v === undefined || v === null || v === '') continue;
    if (typeof v !== type || (type === 'string' && (v as string).length > 256) || (type === 'number' && !Number.isSafeInteger(v))) throw new FilterError(`filters.${k}: a ${type}`);
    out[k] = v;
  }
  if (out.encrypted !== undefined && !['true', 'false', 'unknown'].includes(out.encrypted as string)) throw new FilterError('filters.encrypted: true, false or unknown');
  if (out.severity !== undefined && ((out.severity as number) < 1 || (out.severity as number) > 5)) throw new FilterError('filters.severity: 1..5');
  const lf = out as LiveFilters;
  checkLiveFilters(lf);
  return lf;
}

export class Hub {
  readonly clients = new Set<LiveClient>();
  readonly counters: HubCounters = { coalesced: 0, disconnectedSlow: 0 };
  private lastSession: number;
  private lastFinding: number;
  private runs = new Map<number, string>(); // id → status|sessions, to see changes
  private kpiDue = new Map<number, number>(); // run → time its KPIs were last sent
  private kpiPending = new Set<number>();
  private tailing = false;
  private stopped = false;
  private again = false;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly db: DB,
    private readonly limits: ClientLimits,
    private readonly info: () => InfoResponse,
  ) {
    const ids = lastIds(db);
    this.lastSession = ids.session;
    this.lastFinding = ids.finding;
    for (const r of listRuns(db, 50)) this.runs.set(r.id, `${r.status}|${r.sessions}`);
  }

  get lastSessionId(): number {
    return this.lastSession;
  }

  start(): void {
    this.timers.push(setInterval(() => this.poke(), POLL_MS));
    this.timers.push(
      setInterval(() => {
        const now = Date.now();
        for (const c of this.clients) c.tick(now);
        this.sendDueKpis(now);
      }, TICK_MS),
    );
  }

  stop(reason: string): void {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    for (const c of this.clients) c.bye(reason, 1001);
    this.clients.clear();
  }

  /** New rows may be there: tail now (coalesced if a tail is running). */
  poke(): void {
    if (this.stopped) return;
    if (this.tailing) {
      this.again = true;
      return;
    }
    this.tailing = true;
    setImmediate(() => this.tail());
  }

  private tail(): void {
    if (this.stopped) return;
    let more = false;
    try {
      more = this.tailOnce();
    } catch (e) {
      process.stderr.write(`intransit: live feed: ${(e as Error).message}\n`);
    }
    if (more || this.again) {
      this.again = false;
      // one page per turn of the event loop: HTTP requests are served in between; a
      // client that reads but lags gets a moment to drain before the next page (the
      // database keeps the rows; a stalled client is coalescing and waits for no one)
      const lagging = [...this.clients].some((c) => !c.isCoalescing && c.queued > this.limits.queueMessages / 4);
      if (lagging) setTimeout(() => this.tail(), 20);
      else setImmediate(() => this.tail());
    } else this.tailing = false;
  }

  private tailOnce(): boolean {
    const listening = this.clients.size > 0;
    const sessions = sessionsAfter(this.db, this.lastSession, PAGE);
    const upTo = sessions.length ? sessions[sessions.length - 1].id : this.lastSession;
    const bySession = new Map<number, SessionRow>();
    for (const s of sessions) {
      bySession.set(s.id, s);
      this.kpiPending.add(s.run);
      if (listening) this.broadcastSession(s);
    }
    this.lastSession = upTo;
    // findings of the sessions seen so far only: a session always goes out before its findings
    let findings = findingsAfter(this.db, this.lastFinding, PAGE * 4);
    const fullPage = findings.length === PAGE * 4;
    const cut = findings.findIndex((f) => f.session !== null && f.session > upTo);
    if (cut >= 0) findings = findings.slice(0, cut);
    for (const f of findings) {
      this.lastFinding = f.id;
      if (listening) this.broadcastFinding(f, bySession.get(f.session ?? -1));
    }
    this.checkRuns();
    return sessions.length === PAGE || (fullPage && cut < 0);
  }

  private broadcastSession(s: SessionRow): void {
    let text: string | null = null;
    for (const c of this.clients) {
      if (!sessionMatches(c.filters, s)) continue;
      text ??= JSON.stringify({ type: 'session', session: s });
      c.send('session', text);
    }
  }

  private broadcastFinding(f: FindingRow, s: SessionRow | undefined): void {
    let text: string | null = null;
    for (const c of this.clients) {
      if (!findingMatches(c.filters, f, s)) continue;
      text ??= JSON.stringify({ type: 'finding', finding: f });
      c.send('finding', text);
    }
  }

  private checkRuns(): void {
    for (const r of listRuns(this.db, 50)) {
      const key = `${r.status}|${r.sessions}`;
      const had = this.runs.get(r.id);
      if (had === key) continue;
      this.runs.set(r.id, key);
      const statusChanged = had === undefined || had.split('|')[0] !== r.status;
      if (statusChanged) {
        this.kpiPending.add(r.id);
        this.kpiDue.delete(r.id); // a finished run's final KPIs go at once
        this.broadcastRun(r);
      }
    }
  }

  private broadcastRun(r: RunRow): void {
    const text = JSON.stringify({ type: 'run', run: r });
    for (const c of this.clients) if (c.filters.run === undefined || c.filters.run === r.id) c.send('run', text);
  }

  private sendDueKpis(now: number): void {
    if (this.kpiPending.size === 0) return;
    if (this.clients.size === 0) {
      this.kpiPending.clear();
      return;
    }
    for (const run of this.kpiPending) {
      if (now - (this.kpiDue.get(run) ?? 0) < KPI_MS) continue;
      this.kpiPending.delete(run);
      this.kpiDue.set(run, now);
      const k = runKpi(this.db, run);
      if (!k.kpi) continue;
      const text = JSON.stringify({ type: 'kpi', run, kpi: k.kpi });
      for (const c of this.clients) if (c.filters.run === undefined || c.filters.run === run) c.send('kpi', text, run);
    }
  }

  /** A new WebSocket connection (already authenticated and origin-checked). */
  connect(ws: WebSocket, _req: IncomingMessage): LiveClient {
    const client = new LiveClient(ws, this.limits, this.counters);
    this.clients.add(client);
    const info = this.info();
    const runId = info.live_run ?? defaultRunId(this.db);
    const run = runId === null ? null : getRun(this.db, runId);
    const kpi = runId === null ? null : runKpi(this.db, runId).kpi;
    client.send('control', JSON.stringify({ type: 'hello', protocol: API_PROTOCOL, server: info, run, kpi }));
    ws.on('message', (data: RawData, isBinary: boolean) => this.message(client, data, isBinary));
    ws.on('close', () => {
      client.closed = true;
      this.clients.delete(client);
    });
    ws.on('error', () => {
      client.closed = true;
      this.clients.delete(client);
    });
    return client;
  }

  private message(client: LiveClient, data: RawData, isBinary: boolean): void {
    const error = (code: string, message: string): void => client.send('control', JSON.stringify({ type: 'error', code, error: message }));
    const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : (data as Buffer | ArrayBuffer).byteLength;
    if (isBinary) return error('binary', 'binary messages are not part of the protocol');
    if (size > this.limits.maxMessageBytes) return error('too-large', `messages are limited to ${this.limits.maxMessageBytes} bytes`);
    let msg: unknown;
    try {
      msg = JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString('utf8'));
    } catch {
      return error('bad-json', 'not JSON');
    }
    const type = msg !== null && typeof msg === 'object' ? (msg as { type?: unknown }).type : undefined;
    if (type !== 'subscribe') return error('unknown-type', `unknown message type ${JSON.stringify(type ?? null).slice(0, 40)}`);
    try {
      client.filters = validateFilters((msg as { filters?: unknown }).filters);
    } catch (e) {
      if (e instanceof FilterError) return error('bad-filters', e.message);
      throw e;
    }
  }
}
