// Opening the history database: WAL journal (readers never block the writer, a
// crash loses at most the uncommitted batch), foreign keys, a busy timeout for the
// several processes that may share one file, and the schema migrations.

import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { hostname } from 'node:os';
import Database from 'better-sqlite3';
import type { Database as DB } from 'better-sqlite3';
import { migrate, StoreError } from './schema.js';

export { StoreError } from './schema.js';
export type { Database as DB } from 'better-sqlite3';

/** Where history goes when `--db` names no file. */
export { DEFAULT_DB } from './default-path.js';

let version: string | null = null;

/** The agent's package version: also the version of its rule pack. */
export function agentVersion(): string {
  if (version === null) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
      version = pkg.version ?? '0.0.0';
    } catch {
      version = '0.0.0';
    }
  }
  return version;
}

export interface OpenOptions {
  /** Refuse to create a missing file (`intransit serve`, `report`). */
  mustExist?: boolean;
  /** Schema version to migrate to (tests of the migration ladder). */
  targetVersion?: number;
}

export function openDatabase(file: string, options: OpenOptions = {}): DB {
  const memory = file === ':memory:';
  if (!memory && !options.mustExist) mkdirSync(dirname(resolve(file)), { recursive: true });
  let db: DB;
  try {
    db = new Database(file, { fileMustExist: options.mustExist === true });
  } catch (e) {
    const err = e as { code?: string; message: string };
    if (err.code === 'SQLITE_CANTOPEN' || /does not exist/.test(err.message)) throw new StoreError(`${file}: no such database`);
    throw new StoreError(`${file}: cannot open: ${err.message}`);
  }
  try {
    const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number };
    const userVersion = db.pragma('user_version', { simple: true }) as number;
    if (userVersion === 0 && tables.n > 0) throw new StoreError(`${file}: not an intransit database (it has tables of its own)`);
    // a fresh file: pages freed by retention can be handed back to the file system
    if (tables.n === 0) db.pragma('auto_vacuum = INCREMENTAL');
    if (!memory) db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a committed transaction survives the process being killed;
    // only a power loss can take the last ones back (never corrupts)
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 10000');
    // 16 MiB of page cache: the indexes of a large run stay in memory while it is written
    db.pragma('cache_size = -16384');
    migrate(db, options.targetVersion);
  } catch (e) {
    db.close();
    const err = e as { code?: string; message: string };
    if (err.code === 'SQLITE_NOTADB') throw new StoreError(`${file}: not an SQLite database`);
    if (e instanceof StoreError) throw e;
    throw new StoreError(`${file}: ${err.message}`);
  }
  return db;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs left 'running' by an agent of this host that no longer exists (killed, or
 * crashed) become 'failed': what they committed stays, marked as incomplete.
 */
export function reapStaleRuns(db: DB): number {
  const host = hostname();
  const stale = (db.prepare("SELECT id, pid FROM runs WHERE status = 'running' AND host = ?").all(host) as { id: number; pid: number | null }[]).filter(
    (r) => r.pid !== null && r.pid !== process.pid && !alive(r.pid),
  );
  const mark = db.prepare("UPDATE runs SET status = 'failed', ended_at = ?, error = ? WHERE id = ? AND status = 'running'");
  for (const r of stale) mark.run(Date.now(), `the agent (pid ${r.pid}) stopped before the run finished; sessions committed before that are kept`, r.id);
  return stale.length;
}
