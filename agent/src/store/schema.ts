// Schema of the history database and its migrations. `PRAGMA user_version` holds the
// number of migrations applied; each step runs in its own transaction, so a database
// is always at one version or the next, never between. Steps are never edited once
// released: a change is a new step.

import type { Database } from 'better-sqlite3';
import { rebuildEndpoints } from './endpoints.js';

export interface Migration {
  version: number;
  name: string;
  up(db: Database): void;
}

const V1 = `
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  command TEXT NOT NULL,
  source TEXT NOT NULL,
  profile TEXT NOT NULL,
  rule_pack_version TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed')),
  pid INTEGER,
  host TEXT,
  started_at INTEGER NOT NULL,      -- wall clock, ms since the epoch
  ended_at INTEGER,
  capture_start INTEGER,            -- capture time of the first session, µs
  capture_end INTEGER,
  sessions INTEGER NOT NULL DEFAULT 0,
  findings INTEGER NOT NULL DEFAULT 0,
  summary TEXT,                     -- JSON: the summary document's intransit.summary
  error TEXT
);
CREATE TABLE sessions (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  ts INTEGER NOT NULL,              -- @timestamp, capture time in µs since the epoch
  ts_end INTEGER NOT NULL,
  src_ip TEXT NOT NULL,
  src_port INTEGER NOT NULL,
  dst_ip TEXT NOT NULL,
  dst_port INTEGER NOT NULL,
  transport TEXT NOT NULL,
  protocol TEXT NOT NULL,
  encrypted INTEGER,                -- 1, 0, or NULL when it cannot be told
  tls_protocol TEXT,
  tls_version TEXT,
  cipher TEXT,
  curve TEXT,
  sni TEXT,
  ja4 TEXT,
  vni INTEGER,
  vlan INTEGER,
  bytes INTEGER NOT NULL,
  packets INTEGER NOT NULL,
  rule_ids TEXT NOT NULL DEFAULT '[]', -- JSON list of intransit.findings
  max_severity INTEGER NOT NULL DEFAULT 0,
  waived INTEGER NOT NULL DEFAULT 0,
  community_id TEXT NOT NULL,
  doc TEXT NOT NULL
);
CREATE TABLE findings (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  session_id INTEGER REFERENCES sessions(id) ON DELETE CASCADE,
  ts INTEGER NOT NULL,              -- µs
  rule_id TEXT NOT NULL,
  severity INTEGER NOT NULL,
  waived INTEGER NOT NULL DEFAULT 0,
  message TEXT NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX sessions_run_ts ON sessions (run_id, ts, id);
CREATE INDEX sessions_ts ON sessions (ts, id);
CREATE INDEX sessions_server ON sessions (dst_ip, dst_port);
CREATE INDEX sessions_sni ON sessions (sni) WHERE sni IS NOT NULL;
CREATE INDEX sessions_vni ON sessions (vni) WHERE vni IS NOT NULL;
CREATE INDEX findings_session ON findings (session_id);
CREATE INDEX findings_rule ON findings (rule_id, session_id);
CREATE INDEX findings_run_ts ON findings (run_id, ts, id);
`;

// v2: coverage (intransit.assessment) becomes a column, and the endpoint posture
// table appears; both are filled from the documents already stored.
const V2 = `
ALTER TABLE sessions ADD COLUMN assessment TEXT;
UPDATE sessions SET assessment = json_extract(doc, '$.intransit.assessment');
CREATE TABLE endpoints (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  ip TEXT NOT NULL,
  port INTEGER NOT NULL,
  sni TEXT NOT NULL DEFAULT '',
  sessions INTEGER NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  posture TEXT NOT NULL,            -- JSON, see endpoints.ts
  PRIMARY KEY (run_id, ip, port, sni)
) WITHOUT ROWID;
CREATE INDEX endpoints_server ON endpoints (ip, port);
`;

export const MIGRATIONS: Migration[] = [
  { version: 1, name: 'runs, sessions, findings', up: (db) => db.exec(V1) },
  {
    version: 2,
    name: 'assessment column, endpoint posture',
    up: (db) => {
      db.exec(V2);
      rebuildEndpoints(db);
    },
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

export class StoreError extends Error {}

/** Applies the missing steps up to `target` (default: all). Returns the versions applied. */
export function migrate(db: Database, target = SCHEMA_VERSION): number[] {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new StoreError(`database schema version ${current} is newer than this agent's (${SCHEMA_VERSION}); upgrade intransit`);
  }
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    if (m.version <= current || m.version > target) continue;
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
    applied.push(m.version);
  }
  return applied;
}
