// StoreSink: the documents of one run into the history database. Documents are
// buffered and written in one transaction per batch (every `batchDocs` documents or
// `batchMs` milliseconds, and at the end), so a crash loses at most the open batch
// and the database is never half-written. The run is marked finished in the same
// transaction as its last batch.

import { hostname } from 'node:os';
import type { Statement } from 'better-sqlite3';
import type { DocumentSink } from '../output/writer.js';
import type { FindingDoc, SessionDoc, SummaryDoc } from '@intransit/shared';
import { agentVersion, reapStaleRuns, type DB } from './db.js';
import { sessionColumns, findingWaiver, isoToMicros } from './rows.js';
import { EndpointAccumulator } from './endpoints.js';
import { applyRetention, type Retention } from './retention.js';
import { StoreError } from './schema.js';

export interface StoreRun {
  command: string;
  source: string;
  profile: string;
  /** Write into this run, created beforehand by the server for an upload. */
  existingRun?: number;
}

export interface CommitInfo {
  run: number;
  sessions: number;
  findings: number;
  finished: boolean;
}

export interface StoreSinkOptions {
  batchDocs?: number;
  batchMs?: number;
  retention?: Retention;
  /** Called after each committed batch (the server reads the new rows then). */
  onCommit?: (info: CommitInfo) => void;
  /** Where problems are reported (default: standard error). */
  warn?: (message: string) => void;
}

interface Group {
  session: SessionDoc | null;
  findings: FindingDoc[];
}

/** Creates a run row; returns its id. */
export function createRun(db: DB, run: Omit<StoreRun, 'existingRun'>): number {
  const r = db
    .prepare("INSERT INTO runs (command, source, profile, rule_pack_version, status, pid, host, started_at) VALUES (?, ?, ?, ?, 'running', ?, ?, ?)")
    .run(run.command, run.source, run.profile, agentVersion(), process.pid, hostname(), Date.now());
  return Number(r.lastInsertRowid);
}

export class StoreSink implements DocumentSink {
  readonly run: number;
  sessions = 0;
  findings = 0;
  private pending: Array<SessionDoc | FindingDoc> = [];
  private summary: SummaryDoc | null = null;
  private lastCommit = Date.now();
  private closed = false;
  private failures = 0;
  private readonly batchDocs: number;
  private readonly batchMs: number;
  private readonly timer: NodeJS.Timeout;
  private readonly endpoints: EndpointAccumulator;
  private readonly insertSession: Statement;
  private readonly insertFinding: Statement;
  private readonly updateRun: Statement;
  private readonly warn: (m: string) => void;
  private readonly exitHook = (): void => this.abandon('the agent exited before the run finished');

  constructor(
    private readonly db: DB,
    info: StoreRun,
    private readonly options: StoreSinkOptions = {},
  ) {
    this.batchDocs = options.batchDocs ?? 1000;
    this.batchMs = options.batchMs ?? 200;
    this.warn = options.warn ?? ((m) => process.stderr.write(`intransit: store: ${m}\n`));
    reapStaleRuns(db);
    if (options.retention) applyRetention(db, options.retention, this.warn);
    if (info.existingRun !== undefined) {
      const r = db.prepare('SELECT status FROM runs WHERE id = ?').get(info.existingRun) as { status: string } | undefined;
      if (!r || r.status !== 'running') throw new StoreError(`run ${info.existingRun} does not exist or is not running`);
      db.prepare('UPDATE runs SET pid = ?, host = ? WHERE id = ?').run(process.pid, hostname(), info.existingRun);
      this.run = info.existingRun;
    } else this.run = createRun(db, info);
    this.endpoints = new EndpointAccumulator(db);
    // positional parameters: binding an object by name costs several times more per row
    this.insertSession = db.prepare(
      `INSERT INTO sessions (run_id, ts, ts_end, src_ip, src_port, dst_ip, dst_port, transport, protocol, encrypted, tls_protocol, tls_version,
        cipher, curve, sni, ja4, vni, vlan, bytes, packets, rule_ids, max_severity, waived, assessment, community_id, doc)
       VALUES (${new Array(26).fill('?').join(', ')})`,
    );
    this.insertFinding = db.prepare('INSERT INTO findings (run_id, session_id, ts, rule_id, severity, waived, message, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    this.updateRun = db.prepare(
      `UPDATE runs SET sessions = sessions + ?, findings = findings + ?,
        capture_start = CASE WHEN ? IS NULL THEN capture_start ELSE min(coalesce(capture_start, ?), ?) END,
        capture_end = CASE WHEN ? IS NULL THEN capture_end ELSE max(coalesce(capture_end, ?), ?) END
       WHERE id = ?`,
    );
    // a quiet live capture still commits what it has within batchMs
    this.timer = setInterval(() => {
      if (this.pending.length > 0 && Date.now() - this.lastCommit >= this.batchMs) this.commit();
    }, this.batchMs);
    this.timer.unref();
    process.on('exit', this.exitHook);
  }

  write(doc: object): void {
    if (this.closed) return;
    const dataset = (doc as { event?: { dataset?: string } }).event?.dataset;
    if (dataset === 'intransit.session') {
      // a batch ends before a session, never between a session and its findings
      if (this.pending.length >= this.batchDocs || ((this.pending.length & 63) === 0 && this.pending.length > 0 && Date.now() - this.lastCommit >= this.batchMs)) this.commit();
      this.pending.push(doc as SessionDoc);
    } else if (dataset === 'intransit.finding') this.pending.push(doc as FindingDoc);
    else if (dataset === 'intransit.summary') this.summary = doc as SummaryDoc;
  }

  flush(): void {
    if (!this.closed) this.commit();
  }

  /** Commits what is pending and marks the run finished (in the same transaction). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.commit(() => {
      const s = this.summary?.intransit?.summary as { kpi?: { profile?: string } } | undefined;
      const status = this.failures > 0 ? 'failed' : 'finished';
      const error = this.failures > 0 ? `${this.failures} batch(es) could not be stored` : null;
      this.db
        .prepare('UPDATE runs SET status = ?, ended_at = ?, summary = ?, error = ?, profile = coalesce(?, profile) WHERE id = ?')
        .run(status, Date.now(), s ? JSON.stringify(s) : null, error, s?.kpi?.profile ?? null, this.run);
    }, true);
    this.stop();
  }

  /** Commits what is pending and marks the run failed with `reason`. */
  abandon(reason: string): void {
    if (this.closed) return;
    this.commit(() => {
      this.db.prepare("UPDATE runs SET status = 'failed', ended_at = ?, error = ? WHERE id = ? AND status = 'running'").run(Date.now(), reason, this.run);
    }, true);
    this.stop();
  }

  private stop(): void {
    this.closed = true;
    clearInterval(this.timer);
    process.off('exit', this.exitHook);
  }

  private groups(): Group[] {
    const out: Group[] = [];
    let cur: Group | null = null;
    for (const d of this.pending) {
      if (d.event.dataset === 'intransit.session') {
        cur = { session: d as SessionDoc, findings: [] };
        out.push(cur);
      } else {
        const f = d as FindingDoc;
        // a finding belongs to the session written just before it (the engine writes them together)
        if (cur?.session && cur.session.network?.community_id === f.network?.community_id) cur.findings.push(f);
        else out.push({ session: null, findings: [f] });
      }
    }
    return out;
  }

  private commit(last?: () => void, finished = false): void {
    const groups = this.groups();
    this.pending = [];
    this.lastCommit = Date.now();
    let sessions = 0;
    let findings = 0;
    let first: number | null = null;
    let lastTs: number | null = null;
    const tx = this.db.transaction(() => {
      for (const g of groups) {
        let sessionId: number | null = null;
        let sessionTs = NaN;
        if (g.session) {
          const cols = sessionColumns(g.session);
          sessionTs = cols.ts;
          let maxSeverity = 0;
          let waived = 0;
          for (const f of g.findings) {
            if (findingWaiver(f)) waived++;
            else if ((f.event?.severity ?? 0) > maxSeverity) maxSeverity = f.event.severity;
          }
          const c = cols;
          const r = this.insertSession.run(
            this.run, c.ts, c.ts_end, c.src_ip, c.src_port, c.dst_ip, c.dst_port, c.transport, c.protocol, c.encrypted, c.tls_protocol, c.tls_version,
            c.cipher, c.curve, c.sni, c.ja4, c.vni, c.vlan, c.bytes, c.packets, c.rule_ids, maxSeverity, waived, c.assessment, c.community_id, JSON.stringify(g.session),
          );
          sessionId = Number(r.lastInsertRowid);
          this.endpoints.add(this.run, g.session, g.findings, cols.ts, cols.ts_end);
          sessions++;
          if (first === null || cols.ts < first) first = cols.ts;
          if (lastTs === null || cols.ts_end > lastTs) lastTs = cols.ts_end;
        }
        for (const f of g.findings) {
          const ts = g.session && f['@timestamp'] === g.session['@timestamp'] ? sessionTs : isoToMicros(f['@timestamp']);
          const waived = findingWaiver(f) ? 1 : 0;
          this.insertFinding.run(this.run, sessionId, Number.isFinite(ts) ? ts : 0, String(f.rule?.id ?? ''), f.event?.severity ?? 0, waived, String(f.message ?? ''), JSON.stringify(f));
          findings++;
        }
      }
      this.endpoints.flush();
      if (sessions || findings) this.updateRun.run(sessions, findings, first, first, first, lastTs, lastTs, lastTs, this.run);
      last?.();
    });
    try {
      tx.immediate();
    } catch (e) {
      this.failures++;
      this.endpoints.reset();
      this.warn(`${(e as Error).message}; ${sessions} session(s) and ${findings} finding(s) of run ${this.run} not stored`);
      if (last) {
        // the closing update alone, so the run does not stay 'running'
        try {
          this.db.prepare("UPDATE runs SET status = 'failed', ended_at = ?, error = ? WHERE id = ?").run(Date.now(), (e as Error).message, this.run);
        } catch {
          /* the database is unusable; the next open reaps the run */
        }
      }
      return;
    }
    this.sessions += sessions;
    this.findings += findings;
    if (sessions || findings || finished) this.options.onCommit?.({ run: this.run, sessions: this.sessions, findings: this.findings, finished });
  }
}
