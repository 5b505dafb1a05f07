// Durability: an agent killed with SIGKILL in the middle of writing leaves a database
// that opens, passes PRAGMA integrity_check, keeps every committed run intact, and
// holds exactly the batches of the killed run that committed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { openDatabase, StoreSink, reapStaleRuns } from '../../agent/dist/store/index.js';
import { session, finding, writeAll } from './docs.mjs';
import { tempDir, ROOT } from './helpers.mjs';

const dir = tempDir();
const storeUrl = pathToFileURL(join(ROOT, 'agent/dist/store/index.js')).href;
const docsUrl = pathToFileURL(join(ROOT, 'test/backend/docs.mjs')).href;

/** A writer that never stops: batches of 100 documents, each commit reported on stdout. */
const WRITER = `
import { writeSync } from 'node:fs';
import { openDatabase, StoreSink } from '${storeUrl}';
import { session, finding } from '${docsUrl}';
const db = openDatabase(process.argv[1]);
const sink = new StoreSink(db, { command: 'live', source: 'crash-test', profile: 'aws-sec09' }, {
  batchDocs: 100,
  onCommit: (i) => writeSync(1, 'committed ' + i.sessions + ' ' + i.findings + '\\n'),
});
for (let i = 0; ; i++) {
  const s = session({ ts: '2026-02-01T00:00:00Z', sni: 'crash' + (i % 50) + '.example', cid: 'k' + i });
  sink.write(s);
  if (i % 3 === 0) sink.write(finding(s, 'tls-pq-not-negotiated', 1));
}
`;

function killMidWrite(file, afterCommits) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', WRITER, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let last = null;
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (d) => {
      out += d;
      const lines = out.trim().split('\n');
      const m = /committed (\d+) (\d+)/.exec(lines[lines.length - 1]);
      if (m) last = { sessions: Number(m[1]), findings: Number(m[2]) };
      if (lines.length >= afterCommits && !child.killed) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve({ last, pid: child.pid }) : reject(new Error(`writer exited ${code}: ${err}`))));
  });
}

test('SIGKILL mid-write: the database reopens intact, committed runs whole, the killed run consistent', async () => {
  const file = join(dir, 'crash.db');
  const db0 = openDatabase(file);
  const first = new StoreSink(db0, { command: 'replay', source: 'before.pcap', profile: 'aws-sec09' });
  const docs = [];
  for (let i = 0; i < 500; i++) {
    const s = session({ ts: '2026-01-01T00:00:00Z', cid: `a${i}` });
    docs.push(s);
    if (i % 2) docs.push(finding(s, 'tls-weak-cipher', 4));
  }
  await writeAll(first, docs);
  db0.close();

  for (const after of [3, 17, 41]) {
    const { last } = await killMidWrite(file, after);
    assert.ok(last && last.sessions > 0, 'the writer had committed batches before it was killed');
    const db = openDatabase(file);
    assert.is(db.prepare('PRAGMA integrity_check').get().integrity_check, 'ok');
    assert.equal(db.prepare('PRAGMA foreign_key_check').all(), []);
    const r1 = db.prepare('SELECT * FROM runs WHERE id = ?').get(first.run);
    assert.is(r1.status, 'finished');
    assert.is(db.prepare('SELECT count(*) AS n FROM sessions WHERE run_id = ?').get(first.run).n, 500, 'the finished run is whole');
    assert.is(db.prepare('SELECT count(*) AS n FROM findings WHERE run_id = ?').get(first.run).n, 250);
    const killed = db.prepare("SELECT * FROM runs WHERE source = 'crash-test' ORDER BY id DESC LIMIT 1").get();
    assert.is(killed.status, 'running', 'killed before it could finish');
    assert.is(reapStaleRuns(db), 1, 'the next open marks it');
    const k = db.prepare('SELECT status, error, sessions, findings FROM runs WHERE id = ?').get(killed.id);
    assert.is(k.status, 'failed');
    assert.match(k.error, /stopped before the run finished/);
    const stored = db.prepare('SELECT count(*) AS n FROM sessions WHERE run_id = ?').get(killed.id).n;
    const storedFindings = db.prepare('SELECT count(*) AS n FROM findings WHERE run_id = ?').get(killed.id).n;
    assert.is(stored, k.sessions, 'the run counter moved in the same transactions as its rows');
    assert.is(storedFindings, k.findings);
    assert.ok(stored >= last.sessions, `every reported commit is there (${stored} >= ${last.sessions})`);
    assert.is(db.prepare('SELECT count(*) AS n FROM findings WHERE run_id = ? AND session_id IS NULL').get(killed.id).n, 0);
    db.close();
  }
});

test.run();
