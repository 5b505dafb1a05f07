// `intransit serve`: the viewer, the JSON API and the live feed over a history
// database, without capturing anything itself. Runs written into the same database
// by other agents (or uploaded from the viewer) appear live.

import { DEFAULT_LISTEN } from '@intransit/shared';
import { parseArgs, UsageError } from './args.js';
import { announce, untilSignal } from './outputs.js';
import { openDatabase, DEFAULT_DB, StoreError } from '../store/db.js';
import { applyRetention } from '../store/retention.js';
import { ConfigError, LISTEN_VALUE, SERVER_FLAGS, SERVER_HELP, resolveServerConfig } from '../server/config.js';
import { startServer } from '../server/index.js';

export const SERVE_HELP = `usage: intransit serve [--db FILE] [--listen ADDR:PORT] [options]

Serves the viewer, the JSON API (/api/...) and the live WebSocket feed (/ws) over
the history database, and replays captures uploaded from the viewer into it.

options:
  --db FILE          history database (default ${DEFAULT_DB}); must exist
  --listen ADDR:PORT where to listen (default ${DEFAULT_LISTEN}; port 0 picks one)
  --retain-days N    remove runs older than N days (now and hourly)
  --retain-mb N      remove the oldest runs while the database holds more than N MB
${SERVER_HELP}  -h, --help         this help

exit status: 0 stopped by SIGINT/SIGTERM, 2 usage error or refused configuration.
`;

export async function serve(argv: string[]): Promise<number> {
  const { positional, flags } = parseArgs(argv, {
    db: 'string',
    listen: { type: 'optional-string', value: LISTEN_VALUE },
    'retain-days': 'number',
    'retain-mb': 'number',
    ...SERVER_FLAGS,
    help: 'boolean',
  });
  if (flags.help) {
    process.stdout.write(SERVE_HELP);
    return 0;
  }
  if (positional.length) throw new UsageError(`serve takes no arguments ("${positional[0]}"); see intransit serve --help`);
  const dbFile = typeof flags.db === 'string' ? flags.db : DEFAULT_DB;
  const retention = flags['retain-days'] !== undefined || flags['retain-mb'] !== undefined ? { days: flags['retain-days'] as number | undefined, mb: flags['retain-mb'] as number | undefined } : undefined;
  let config;
  let db;
  try {
    config = resolveServerConfig(flags, flags.listen as string | true | undefined, dbFile);
    db = openDatabase(dbFile, { mustExist: typeof flags.db === 'string' });
  } catch (e) {
    if (e instanceof ConfigError || e instanceof StoreError) throw new UsageError(e.message);
    throw e;
  }
  if (retention) {
    const removed = applyRetention(db, retention, (m) => process.stderr.write(`intransit: retention: ${m}\n`));
    if (removed.length) process.stderr.write(`intransit: retention removed run(s) ${removed.join(', ')}\n`);
  }
  let server;
  try {
    server = await startServer(config, { db, retention });
  } catch (e) {
    db.close();
    throw new UsageError(`cannot serve on ${config.host}:${config.port}: ${(e as Error).message}`);
  }
  announce(config, server.url);
  await untilSignal();
  await server.close();
  db.close();
  return 0;
}
