// --db and --serve on replay (the outputs every session-producing command shares),
// and the optional-value flags they use.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { parseArgs } from '../../agent/dist/cli/args.js';
import { OUTPUT_FLAGS } from '../../agent/dist/cli/outputs.js';
import { tempDir, runCli, startCli, request, CAPTURES } from './helpers.mjs';

const dir = tempDir();
const capture = join(CAPTURES, 'tls12-ecdhe-rsa.pcap');

test('optional-value flags take the next argument only when it looks like their value', () => {
  const p = (argv) => parseArgs(argv, OUTPUT_FLAGS);
  assert.equal(p(['--db', 'out.db', 'a.pcap']), { positional: ['a.pcap'], flags: { db: 'out.db' } });
  assert.equal(p(['--db', 'a.pcap']), { positional: ['a.pcap'], flags: { db: true } });
  assert.equal(p(['--db=a.pcap']).flags, { db: 'a.pcap' });
  assert.equal(p(['a.pcap', '--db']), { positional: ['a.pcap'], flags: { db: true } });
  assert.equal(p(['--serve', '127.0.0.1:9000', 'captures']), { positional: ['captures'], flags: { serve: '127.0.0.1:9000' } });
  assert.equal(p(['--serve', '[::1]:9000']).flags, { serve: '[::1]:9000' });
  assert.equal(p(['--serve', '9000']).flags, { serve: '9000' });
  assert.equal(p(['--serve', 'captures']), { positional: ['captures'], flags: { serve: true } });
  assert.equal(p(['--serve', '--ndjson']).flags, { serve: true, ndjson: true });
});

test('replay --db stores the run and prints no per-session text; --ndjson still writes NDJSON', async () => {
  const db = join(dir, 'a.db');
  const quiet = await runCli(['replay', capture, '--db', db, '--no-progress']);
  assert.is(quiet.code, 0, quiet.stderr);
  assert.is(quiet.stdout, '');
  assert.match(quiet.stderr, /run 1 stored in .*a\.db: \d+ sessions, \d+ findings/);
  const both = await runCli(['replay', capture, `--db=${db}`, '--ndjson', '--no-progress']);
  const lines = both.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.is(lines.at(-1).event.dataset, 'intransit.summary');
  const d = new Database(db, { readonly: true });
  const runs = d.prepare('SELECT id, status, sessions FROM runs ORDER BY id').all();
  assert.equal(runs.map((r) => r.status), ['finished', 'finished']);
  assert.is(runs[1].sessions, lines.filter((l) => l.event.dataset === 'intransit.session').length);
  d.close();
});

test('an unusable capture with --db leaves a failed run, not a running one', async () => {
  const db = join(dir, 'b.db');
  const junk = join(dir, 'junk.pcap');
  writeFileSync(junk, 'this is not a capture at all, not even close');
  const r = await runCli(['replay', junk, `--db=${db}`, '--no-progress']);
  assert.is(r.code, 2);
  const d = new Database(db, { readonly: true });
  const run = d.prepare('SELECT status, error FROM runs').get();
  d.close();
  assert.is(run.status, 'failed');
  assert.match(run.error, /exited before the run finished/);
  const bad = await runCli(['replay', capture, `--db=${db}`, '--run-id', '99']);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /run 99 does not exist or is not running/);
  const missing = await runCli(['serve', '--db', join(dir, 'nope.db')]);
  assert.is(missing.code, 2);
  assert.match(missing.stderr, /no such database/);
});

test('replay --serve: the viewer and API answer, the run is finished, SIGTERM stops it cleanly', async () => {
  const db = join(dir, 'c.db');
  const { child, match } = await startCli(['replay', CAPTURES, `--db=${db}`, '--serve', '127.0.0.1:0', '--no-progress'], /still serving at (http:\/\/\S+)/);
  const url = match[1];
  const runs = await request(`${url}api/runs`);
  assert.is(runs.status, 200);
  assert.is(runs.json.items[0].status, 'finished');
  assert.ok(runs.json.items[0].sessions > 30);
  const info = await request(`${url}api/info`);
  assert.is(info.json.live_run, null, 'the replay ended: no live run any more');
  const sessions = await request(`${url}api/sessions?sni=www.intransit.test&limit=5`);
  assert.ok(sessions.json.total > 0);
  const exit = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
  child.kill('SIGTERM');
  assert.equal(await exit, { code: 0, signal: null });
});

test.run();
