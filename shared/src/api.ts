// The viewer's interface to the agent: JSON API routes and response shapes, the
// query parameters that filter them, and the WebSocket messages. The agent's server
// (agent/src/server) and the React viewer (ui/) both import these, so a change here
// is a change of both sides. Field names are snake_case like the documents'.

import type { FindingDoc, SessionDoc, SummaryDoc } from './index.js';

/** Version of the WebSocket message set, sent in `hello`. */
export const API_PROTOCOL = 1;

/** Default address of `--serve` and `intransit serve`: loopback only. */
export const DEFAULT_LISTEN = '127.0.0.1:7443';

/** Routes. All `/api/*` answer JSON; errors are `ApiError` with a 4xx/5xx status. */
export const ROUTES = {
  /** GET → `InfoResponse`: versions, auth mode, live run, limits. */
  info: '/api/info',
  /** GET → `HealthResponse`: process memory and queue figures (authenticated too). */
  health: '/api/health',
  /** GET → `RunsResponse`, newest first. */
  runs: '/api/runs',
  /** GET `/api/runs/:id` → `RunDetail` (the row and its summary document). */
  run: '/api/runs/',
  /** GET with `SessionQuery` → `Page<SessionRow>`. */
  sessions: '/api/sessions',
  /** GET `/api/sessions/:id` → `SessionDetail`. */
  session: '/api/sessions/',
  /** GET with `FindingQuery` → `Page<FindingRow>`. */
  findings: '/api/findings',
  /** GET with `EndpointQuery` → `EndpointsResponse`. */
  endpoints: '/api/endpoints',
  /** GET with `run` (default: the newest run) → `KpiResponse`. */
  kpi: '/api/kpi',
  /** GET with `SessionQuery` filters (no paging) → `StatsResponse` (chart data). */
  stats: '/api/stats',
  /**
   * POST a capture as the raw request body (`Content-Type: application/octet-stream`,
   * `application/vnd.tcpdump.pcap` or `application/x-pcapng`), file name in `?name=`.
   * Only classic pcap / pcapng magic numbers are accepted (415 otherwise), at most
   * `InfoResponse.upload.max_bytes` (413). It is replayed into a new run whose
   * sessions stream over the WebSocket like any other: 202 → `UploadResponse`.
   * 429 while `InfoResponse.upload.max_concurrent` uploads are replaying.
   */
  upload: '/api/upload',
  /** GET `/login?token=T`: sets the `intransit_token` cookie (HttpOnly, SameSite=Strict) and redirects to `/`. */
  login: '/login',
  /** WebSocket endpoint (same origin only; token cookie or `Authorization: Bearer`). */
  ws: '/ws',
} as const;

/** Cookie set by `/login`, accepted in place of the `Authorization: Bearer` header. */
export const TOKEN_COOKIE = 'intransit_token';

// ---------------------------------------------------------------------------
// Query parameters

/**
 * Filters shared by sessions, findings, stats and the live subscription. In a URL
 * each is one query parameter of the same name; absent means "any".
 */
export interface Filters {
  /** Run id; absent: every run (the live subscription: every new session). */
  run?: number;
  /** Rule id (`tls-deprecated-version`): sessions that raised it / findings of it. */
  rule?: string;
  /** Minimum severity, 1 info .. 5 critical (names accepted in URLs: `high`). */
  severity?: number;
  /** Negotiated version: `1.3`, `1.2`, ... (any protocol), `dtls 1.2` / `ssl 3.0` (exact), or `none`. */
  version?: string;
  /** Server (destination) `ip`, `ip:port`, or `[v6]:port`. */
  server?: string;
  /** SNI, exact; `*` matches any run of characters (`*.example.com`). */
  sni?: string;
  /** Tunnel network identifier (VXLAN/GENEVE VNI) of the session's outermost tunnel that has one. */
  vni?: number;
  /** `network.protocol` (`tls`, `http`, ...). */
  protocol?: string;
  /** `true`, `false` or `unknown` (`intransit.encrypted` null). */
  encrypted?: 'true' | 'false' | 'unknown';
  /** Capture time (`@timestamp`) bounds, ISO-8601 or epoch milliseconds; `from` inclusive, `to` exclusive. */
  from?: string;
  to?: string;
}

/** Paging: either `cursor` (from the previous page's `next_cursor`) or `offset`. */
export interface Paging {
  /** Rows per page, default 100, at most 1000. */
  limit?: number;
  /** Opaque keyset cursor; stable while new rows arrive. */
  cursor?: string;
  /** Row offset, for jumping (virtualised scrolling); ignored when `cursor` is given. */
  offset?: number;
  /** By capture time then id: `desc` (newest first, default) or `asc`. */
  order?: 'asc' | 'desc';
}

export type SessionQuery = Filters & Paging;
/** Findings also filter on waiver state: `true` only waived, `false` only unwaived. */
export type FindingQuery = Filters & Paging & { waived?: 'true' | 'false' };
export interface EndpointQuery {
  run?: number;
  server?: string;
  sni?: string;
  /** Only endpoints whose posture changed within the run(s): `true`. */
  drift?: 'true';
  limit?: number;
}

export { FILTER_KEYS, toQuery, parseQuery, timeBound } from './query.js';

// ---------------------------------------------------------------------------
// Responses

/** Every 4xx/5xx answer. */
export interface ApiError {
  error: string;
  /** Per-parameter problems of a 400. */
  errors?: string[];
}

export interface Page<T> {
  items: T[];
  /** Rows matching the filters (all pages). */
  total: number;
  /** Cursor of the next page, null on the last one. */
  next_cursor: string | null;
}

export type RunStatus = 'running' | 'finished' | 'failed';

/** One replay, live or mirror run (or upload). Times: wall clock of the agent, ISO. */
export interface RunRow {
  id: number;
  command: string;
  source: string;
  profile: string;
  /** Version of the rules that judged the run (the agent's package version). */
  rule_pack_version: string;
  status: RunStatus;
  started_at: string;
  ended_at: string | null;
  /** Capture time of the first and last session seen (ISO), null before any. */
  capture_start: string | null;
  capture_end: string | null;
  sessions: number;
  findings: number;
  /** Why a failed run failed. */
  error: string | null;
}

/** A run with the engine's summary (`intransit.summary` of its summary document; null until it finished). */
export interface RunDetail extends RunRow {
  summary: Record<string, unknown> | null;
}

/** SEC09 KPIs. Shares are 0..1 or null when nothing could be judged. */
export interface Kpi {
  profile: string;
  sessions: number;
  encrypted_sessions: number;
  cleartext_sessions: number;
  unidentified_sessions: number;
  encrypted_session_share: number | null;
  encrypted_byte_share: number | null;
  unidentified_byte_share: number | null;
  tls_sessions: number;
  tls12plus_share: number | null;
  approved_cipher_share: number | null;
  /** Sessions whose `intransit.assessment` is `assessed`, of all sessions (null when the engine does not report it). */
  assessed_session_share: number | null;
  findings: number;
  waived_findings: number;
  findings_by_severity: Record<string, number>;
  [extra: string]: unknown;
}

/** SEC09 targets for the KPI shares (the report's KPI table, the viewer's tiles). */
export const KPI_TARGETS: Record<string, { target: number; label: string }> = {
  encrypted_session_share: { target: 1, label: 'Sessions encrypted in transit' },
  encrypted_byte_share: { target: 1, label: 'Bytes encrypted in transit' },
  tls12plus_share: { target: 1, label: 'TLS sessions on 1.2 or later' },
  approved_cipher_share: { target: 1, label: 'TLS sessions on approved cipher suites' },
  assessed_session_share: { target: 1, label: 'Sessions fully assessed' },
};

export interface KpiResponse {
  run: number | null;
  /** `summary`: the finished run's own summary document; `computed`: from its stored sessions so far. */
  source: 'summary' | 'computed';
  kpi: Kpi | null;
}

/** A session in a list: the columns filters and tables use. */
export interface SessionRow {
  id: number;
  run: number;
  /** `@timestamp` and `event.end`, ISO capture time. */
  ts: string;
  end: string;
  src_ip: string;
  src_port: number;
  dst_ip: string;
  dst_port: number;
  transport: string;
  protocol: string;
  encrypted: boolean | null;
  /** `tls.version_protocol` and `tls.version`, null without a ServerHello. */
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
  /** Rule ids raised on the session. */
  findings: string[];
  /** Highest severity among its unwaived findings, 0 when none. */
  max_severity: number;
  waived: number;
  assessment: string | null;
  community_id: string;
}

export interface FindingRow {
  id: number;
  run: number;
  /** Id of the session it was raised on (null if it could not be linked). */
  session: number | null;
  ts: string;
  rule: string;
  name: string;
  category: string;
  reference: string;
  severity: number;
  message: string;
  /** The waiver that applies (`intransit.waived` of the document), or null. */
  waived: Record<string, unknown> | null;
  src_ip: string;
  src_port: number;
  dst_ip: string;
  dst_port: number;
  sni: string | null;
  protocol: string;
  tls_version: string | null;
  cipher: string | null;
  /** `intransit.flow.first_packet`: packet number (within the run's input) of the session's first packet. */
  first_packet: number | null;
}

export interface SessionDetail {
  session: SessionRow;
  /** The stored session document, exactly as the engine wrote it. */
  doc: SessionDoc;
  findings: Array<FindingRow & { doc: FindingDoc }>;
}

/** Posture of one server (ip, port, SNI) within a run, or merged over runs. */
export interface EndpointRow {
  run: number | null;
  ip: string;
  port: number;
  sni: string | null;
  protocols: Record<string, number>;
  sessions: number;
  first_seen: string;
  last_seen: string;
  /** Counts by `tls 1.2`-style version, by cipher, by group. */
  versions: Record<string, number>;
  ciphers: Record<string, number>;
  groups: Record<string, number>;
  /** Leaf certificates seen (by SHA-256) with their facts. */
  certificates: Array<{ sha256: string; subject_cn: string | null; issuer_cn: string | null; not_after: string | null; key: string | null; signature: string | null; sessions: number }>;
  findings: Record<string, number>;
  max_severity: number;
  /** What varied: `version`, `cipher`, `group`, `certificate`, `encryption` (empty: stable). */
  drift: string[];
}

export interface EndpointsResponse {
  items: EndpointRow[];
  total: number;
}

export interface RunsResponse {
  items: RunRow[];
}

/** Chart data for the filtered sessions. */
export interface StatsResponse {
  sessions: number;
  versions: Record<string, number>;
  ciphers: Record<string, number>;
  groups: Record<string, number>;
  protocols: Record<string, number>;
  findings_by_rule: Record<string, number>;
  findings_by_severity: Record<string, number>;
  /** Sessions per capture-time bucket, by version, and findings per bucket. */
  timeline: { bucket_ms: number; buckets: Array<{ t: string; sessions: number; findings: number; versions: Record<string, number> }> };
}

export interface InfoResponse {
  name: 'intransit';
  version: string;
  rule_pack_version: string;
  protocol: number;
  /** The run being written by this agent now (replay/live/mirror with --serve), or null. */
  live_run: number | null;
  auth: 'none' | 'token';
  tls: boolean;
  upload: { enabled: boolean; max_bytes: number; max_concurrent: number };
  /** WebSocket limits: client messages above `max_message_bytes` are refused. */
  ws: { max_message_bytes: number; queue_messages: number; queue_bytes: number };
}

export interface HealthResponse {
  status: 'ok';
  uptime_s: number;
  rss_bytes: number;
  heap_used_bytes: number;
  clients: number;
  /** Messages dropped (coalesced) and clients disconnected for being too slow, since start. */
  coalesced: number;
  disconnected_slow: number;
  last_session_id: number;
}

export interface UploadResponse {
  run: number;
  name: string;
  bytes: number;
  format: 'pcap' | 'pcapng';
}

/** The finished run's summary document as written by the engine. */
export type RunSummary = SummaryDoc['intransit']['summary'];

// ---------------------------------------------------------------------------
// WebSocket messages (JSON text frames)

/** What the live feed carries: sessions and findings matching these filters (run, rule, ...). */
export type LiveFilters = Omit<Filters, 'from' | 'to'>;

/** First message after the upgrade. */
export interface HelloMessage {
  type: 'hello';
  protocol: number;
  server: InfoResponse;
  /** The live run if there is one, else the newest run, else null. */
  run: RunRow | null;
  kpi: Kpi | null;
}

/** A session committed to the store (after `subscribe`, only those matching its filters). */
export interface SessionMessage {
  type: 'session';
  session: SessionRow;
}

export interface FindingMessage {
  type: 'finding';
  finding: FindingRow;
}

/** KPIs of a run that received sessions, at most a few per second. */
export interface KpiMessage {
  type: 'kpi';
  run: number;
  kpi: Kpi;
}

/** A run started, finished or failed. */
export interface RunMessage {
  type: 'run';
  run: RunRow;
}

/**
 * The client read too slowly: this many messages were dropped instead of queued.
 * Refetch through the API; a `kpi` with the latest figures follows.
 */
export interface CoalescedMessage {
  type: 'coalesced';
  dropped: { session: number; finding: number; run: number };
}

/** A client message was refused (the connection stays open). */
export interface ErrorMessage {
  type: 'error';
  code: 'bad-json' | 'too-large' | 'unknown-type' | 'bad-filters' | 'binary';
  error: string;
}

/** Sent before the server closes the connection (close code 1008 policy, 1013 too slow, 1001 going away). */
export interface ByeMessage {
  type: 'bye';
  reason: string;
  code: number;
}

export type ServerMessage = HelloMessage | SessionMessage | FindingMessage | KpiMessage | RunMessage | CoalescedMessage | ErrorMessage | ByeMessage;

/** Replaces the live filters (an empty object: everything). Answered by nothing, or an `error`. */
export interface SubscribeMessage {
  type: 'subscribe';
  filters: LiveFilters;
}

export type ClientMessage = SubscribeMessage;
