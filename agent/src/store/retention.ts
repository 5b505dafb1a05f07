// Retention: whole runs are removed, oldest first, when older than `days` or while
// the database holds more than `mb` megabytes. A running run is never removed; its
// sessions, findings and endpoint rows go with their run (ON DELETE CASCADE).

import type { DB } from './db.js';

export interface Retention {
  days?: number;
  mb?: number;
}

/** Bytes of the database's pages in use (the file may be larger until vacuumed). */
export function usedBytes(db: DB): number {
  const pages = db.pragma('page_count', { simple: true }) as number;
  const free = db.pragma('freelist_count', { simple: true }) as number;
  const size = db.pragma('page_size', { simple: true }) as number;
  return (pages - free) * size;
}

export function applyRetention(db: DB, r: Retention, warn: (m: string) => void = () => {}, now = Date.now()): number[] {
  const removed: number[] = [];
  const del = db.prepare('DELETE FROM runs WHERE id = ?');
  if (r.days !== undefined && r.days > 0) {
    const cutoff = now - r.days * 86_400_000;
    const old = db.prepare("SELECT id FROM runs WHERE status != 'running' AND started_at < ? ORDER BY id").all(cutoff) as { id: number }[];
    for (const { id } of old) {
      db.transaction(() => del.run(id)).immediate();
      removed.push(id);
    }
  }
  if (r.mb !== undefined && r.mb > 0) {
    const limit = r.mb * 1024 * 1024;
    const oldest = db.prepare("SELECT id FROM runs WHERE status != 'running' ORDER BY id LIMIT 1");
    while (usedBytes(db) > limit) {
      const row = oldest.get() as { id: number } | undefined;
      if (!row) {
        warn(`the database holds ${(usedBytes(db) / 1048576).toFixed(1)} MB, above --retain-mb ${r.mb}, in running runs only`);
        break;
      }
      db.transaction(() => del.run(row.id)).immediate();
      removed.push(row.id);
    }
  }
  if (removed.length > 0) {
    // hand the freed pages back to the file system (auto_vacuum = INCREMENTAL)
    db.pragma('incremental_vacuum');
    db.pragma('wal_checkpoint(TRUNCATE)');
  }
  return removed;
}
