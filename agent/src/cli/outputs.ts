// Where documents go, shared by every command that produces sessions (replay, live,
// mirror): NDJSON on standard output or readable text, the history database
// (--db), and the viewer's server (--serve), which reads the database in a thread of
// its own and pushes what each committed batch adds.

import { DEFAULT_LISTEN } from '@intransit/shared';
import type { DocumentSink } from '../output/writer.js';
import { NdjsonWriter } from '../output/writer.js';
import { TextWriter } from '../output/text-writer.js';
import { UsageError, type FlagSpec } from './args.js';
import { DEFAULT_DB } from '../store/default-path.js';
import type { DB } from '../store/db.js';
import type { StoreSink } from '../store/writer.js';
import type { Retention } from '../store/retention.js';
import { ConfigError, LISTEN_VALUE, SERVER_FLAGS, SERVER_HELP, resolveServerConfig, type ServerConfig } from '../server/config.js';
import type { ServerThread } from '../server/worker.js';

/** A value of `--db` given as the next argument must look like a database file. */
export const DB_VALUE = /\.(db|sqlite3?)$/i;

export const OUTPUT_FLAGS: FlagSpec = {
  ndjson: 'boolean',
  db: { type: 'optional-string', value: DB_VALUE },
  serve: { type: 'optional-string', value: LISTEN_VALUE },
  'retain-days': 'number',
  'retain-mb': 'number',
  'run-id': 'number',
  ...SERVER_FLAGS,
};

export const OUTPUT_HELP = `  --ndjson           one JSON document per line on standard output (ECS field names):
                     sessions, findings, then one summary document
  --db [FILE]        also store the run in the history database FILE (default
                     ${DEFAULT_DB}); a FILE in the next argument must end in .db,
                     .sqlite or .sqlite3, else write --db=FILE
  --serve [ADDR:PORT]
                     store the run (in --db, or the default database) and serve the
                     viewer, the JSON API and the live feed at ADDR:PORT (default
                     ${DEFAULT_LISTEN}); after the input ends the server stays up
                     until interrupted
  --retain-days N    before the run, remove stored runs older than N days
  --retain-mb N      before the run, remove the oldest stored runs while the
                     database holds more than N MB
  --run-id N         write into run N, created beforehand by the server (uploads)
${SERVER_HELP}`;

export interface RunInfo {
  command: string; // 'replay', 'live', 'mirror'
  source: string; // what is read: file names, interface, listen address
}

export interface Outputs {
  sink: DocumentSink;
  /** The stored run's id with --db/--serve. */
  run?: number;
  close(): Promise<void>;
}

/** Documents fan out to every sink, in order. */
export class TeeSink implements DocumentSink {
  constructor(private readonly sinks: DocumentSink[]) {}
  write(doc: object): void {
    for (const s of this.sinks) s.write(doc);
  }
  flush(): void {
    for (const s of this.sinks) s.flush();
  }
  async close(): Promise<void> {
    for (const s of this.sinks) await s.close();
  }
}

function retentionOf(flags: Record<string, string | number | boolean>): Retention | undefined {
  const days = flags['retain-days'] as number | undefined;
  const mb = flags['retain-mb'] as number | undefined;
  return days !== undefined || mb !== undefined ? { days, mb } : undefined;
}

/** Prints how to reach the server: URL, certificate fingerprint, token (once). */
export function announce(config: ServerConfig, url: string): void {
  const lines = [`intransit: serving the viewer at ${url}`];
  if (config.tls) lines.push(`intransit: TLS certificate SHA-256 fingerprint ${config.tls.fingerprint}${config.tls.generatedIn ? ` (self-signed, kept in ${config.tls.generatedIn})` : ''}`);
  if (config.tokenGenerated) lines.push(`intransit: access token (shown once): ${config.token}`, `intransit: open ${url}login?token=${config.token}`);
  else if (config.token) lines.push('intransit: access token: INTRANSIT_TOKEN from the environment');
  process.stderr.write(lines.join('\n') + '\n');
}

/** Resolves after SIGINT or SIGTERM. */
export function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

export async function openOutputs(flags: Record<string, string | number | boolean>, run: RunInfo): Promise<Outputs> {
  const wantsStore = flags.db !== undefined || flags.serve !== undefined || flags['run-id'] !== undefined;
  const sinks: DocumentSink[] = [];
  // with a database, standard output carries NDJSON only when asked: the store is the record
  if (flags.ndjson) sinks.push(new NdjsonWriter());
  else if (!wantsStore) sinks.push(new TextWriter());
  if (!wantsStore) {
    const sink = sinks[0];
    return { sink, close: () => sink.close() };
  }
  const dbFile = typeof flags.db === 'string' ? flags.db : DEFAULT_DB;
  // SQLite and the server are loaded only by the runs that store or serve (start-up time)
  const { openDatabase, StoreError } = await import('../store/db.js');
  const { StoreSink } = await import('../store/writer.js');
  let config: ServerConfig | null = null;
  let db: DB;
  try {
    // the server's settings are checked before anything is opened or written
    if (flags.serve !== undefined) config = resolveServerConfig(flags, flags.serve as string | true, dbFile);
    db = openDatabase(dbFile);
  } catch (e) {
    if (e instanceof ConfigError || e instanceof StoreError) throw new UsageError(e.message);
    throw e;
  }
  let server: ServerThread | null = null;
  let store: StoreSink;
  try {
    store = new StoreSink(
      db,
      {
        command: run.command,
        source: run.source,
        profile: typeof flags.profile === 'string' ? flags.profile : 'aws-sec09',
        existingRun: flags['run-id'] as number | undefined,
      },
      { retention: retentionOf(flags), onCommit: () => server?.committed() },
    );
  } catch (e) {
    db.close();
    if (e instanceof StoreError) throw new UsageError(e.message);
    throw e;
  }
  sinks.push(store);
  if (config) {
    config.liveRun = store.run;
    try {
      const { ServerThread } = await import('../server/worker.js');
      server = await ServerThread.start({ config, retention: retentionOf(flags) });
    } catch (e) {
      store.abandon(`the server could not start: ${(e as Error).message}`);
      db.close();
      throw new UsageError(`cannot serve on ${config.host}:${config.port}: ${(e as Error).message}`);
    }
    announce(config, server.url);
  }
  const sink = sinks.length === 1 ? sinks[0] : new TeeSink(sinks);
  return {
    sink,
    run: store.run,
    close: async () => {
      await sink.close();
      process.stderr.write(`intransit: run ${store.run} stored in ${dbFile}: ${store.sessions} sessions, ${store.findings} findings\n`);
      if (server && run.command !== 'replay') await server.stop();
      else if (server) {
        // a replay's input ends by itself: the viewer stays up for the analyst
        server.committed();
        server.setLiveRun(null);
        process.stderr.write(`intransit: input finished; still serving at ${server.url} (Ctrl-C to stop)\n`);
        await untilSignal();
        await server.stop();
      }
      db.close();
    },
  };
}
