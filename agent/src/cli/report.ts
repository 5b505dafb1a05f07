// `intransit report --db FILE [--run ID] --out DIR`: the auditor's report of a stored run.

import { parseArgs, UsageError } from './args.js';
import { openDatabase, DEFAULT_DB, StoreError } from '../store/db.js';
import { getRun } from '../store/queries.js';
import { writeReport } from '../report/index.js';

export const REPORT_HELP = `usage: intransit report [--db FILE] [--run ID] --out DIR

Writes the auditor's report of a stored run into DIR:
  index.html    self-contained (inline CSS and SVG charts; no script, no network):
                SEC09 KPIs against targets, findings by rule and by server with their
                evidence (capture time, first packet number, offending value),
                waivers applied, coverage, profile and rule-pack version
  report.json   the same data
  findings.csv  every finding of the run, one line each

options:
  --db FILE     history database (default ${DEFAULT_DB})
  --run ID      the run to report (default: the newest finished run)
  --out DIR     where to write (created if missing)
  -h, --help    this help

The same database and options give the same files, apart from the generation time.
exit status: 0 written, 2 usage error, no such database or run.
`;

export async function report(argv: string[]): Promise<number> {
  const { positional, flags } = parseArgs(argv, { db: 'string', run: 'number', out: 'string', help: 'boolean' });
  if (flags.help) {
    process.stdout.write(REPORT_HELP);
    return 0;
  }
  if (positional.length) throw new UsageError(`report takes no arguments ("${positional[0]}"); see intransit report --help`);
  if (typeof flags.out !== 'string') throw new UsageError('report needs --out DIR');
  const dbFile = typeof flags.db === 'string' ? flags.db : DEFAULT_DB;
  let db;
  try {
    db = openDatabase(dbFile, { mustExist: true });
  } catch (e) {
    if (e instanceof StoreError) throw new UsageError(e.message);
    throw e;
  }
  try {
    let run = flags.run as number | undefined;
    if (run === undefined) {
      const r = (db.prepare("SELECT id FROM runs WHERE status = 'finished' ORDER BY id DESC LIMIT 1").get() ?? db.prepare('SELECT id FROM runs ORDER BY id DESC LIMIT 1').get()) as { id: number } | undefined;
      if (!r) throw new UsageError(`${dbFile} holds no run yet`);
      run = r.id;
    } else if (!getRun(db, run)) throw new UsageError(`${dbFile} has no run ${run}`);
    const out = writeReport(db, run, flags.out);
    const r = out.model.run;
    if (r.status !== 'finished') process.stderr.write(`intransit: warning: run ${run} is ${r.status}${r.error ? ` (${r.error})` : ''}; the report covers what was stored\n`);
    process.stderr.write(`intransit: report of run ${run} written to ${out.dir} (${out.files.map((f) => f.slice(out.dir.length + 1)).join(', ')})\n`);
    return 0;
  } finally {
    db.close();
  }
}
