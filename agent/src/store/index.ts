// The history database: sessions, findings, endpoint posture and runs in SQLite.

export { openDatabase, reapStaleRuns, agentVersion, DEFAULT_DB, StoreError, type DB, type OpenOptions } from './db.js';
export { migrate, MIGRATIONS, SCHEMA_VERSION } from './schema.js';
export { StoreSink, createRun, type StoreRun, type StoreSinkOptions, type CommitInfo } from './writer.js';
export { applyRetention, usedBytes, type Retention } from './retention.js';
export { FilterError, conditions, sessionMatches, findingMatches, checkLiveFilters, parseServer } from './filters.js';
export * from './queries.js';
export { computeKpi, runKpi, stats, listEndpoints } from './analytics.js';
