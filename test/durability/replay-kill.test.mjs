// Durability of the real CLI: `intransit replay ... --db FILE` killed with SIGKILL at
// seeded random moments, 20 times over the same database. After every kill the
// database opens, PRAGMA integrity_check is ok, and every run it reports finished is
// complete: its stored sessions and findings are exactly those its summary counts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'agent', 'dist', 'cli.js');
const captures = join(root, 'captures');
const dir = mkdtempSync(join(tmpdir(), 'intransit-kill-'));
const db = join(dir, 'runs.db');

// a deterministic PRNG (mulberry32) so a failure can be replayed
function prng(seed) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// several passes over the bundled captures make a run long enough to be killed mid-write
const inputs = [];
const names = readdirSync(captures).filter((n) => /\.(pcap|pcapng)$/.test(n)).sort();
for (let i = 0; i < 6; i++) for (const n of names) inputs.push(join(captures, n));

function replayKilledAfter(ms) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, 'replay', ...inputs, '--db', db, '--no-progress'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

function checkDatabase(label) {
  const d = new Database(db, { readonly: true });
  try {
    assert.is(d.prepare('PRAGMA integrity_check').get().integrity_check, 'ok', `${label}: integrity_check`);
    const finished = d.prepare("SELECT id, sessions, findings, summary FROM runs WHERE status = 'finished'").all();
    for (const r of finished) {
      const s = d.prepare('SELECT count(*) AS n FROM sessions WHERE run_id = ?').get(r.id).n;
      const f = d.prepare('SELECT count(*) AS n FROM findings WHERE run_id = ?').get(r.id).n;
      assert.is(s, r.sessions, `${label}: finished run ${r.id} holds all its sessions`);
      assert.is(f, r.findings, `${label}: finished run ${r.id} holds all its findings`);
      const summary = JSON.parse(r.summary);
      assert.is(s, summary.sessions, `${label}: finished run ${r.id} matches its summary`);
    }
    return finished.length;
  } finally {
    d.close();
  }
}

test('20 replays killed with SIGKILL at random moments: the database stays sound and finished runs complete', async () => {
  // one complete run first: it must survive every later kill untouched
  const r = spawnSync(process.execPath, [cli, 'replay', captures, '--db', db, '--no-progress'], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  assert.is(checkDatabase('first run'), 1);
  // how long an uninterrupted run takes, to spread the kills over it
  const t0 = Date.now();
  const full = await replayKilledAfter(600_000);
  assert.is(full.code, 0, 'an uninterrupted long run finishes');
  const span = Math.max(200, Date.now() - t0);
  const random = prng(20261130);
  let killedMidRun = 0;
  for (let i = 0; i < 20; i++) {
    const at = Math.floor(50 + random() * span);
    const { signal } = await replayKilledAfter(at);
    if (signal === 'SIGKILL') killedMidRun++;
    checkDatabase(`kill ${i + 1} at ${at} ms`);
  }
  assert.ok(killedMidRun >= 15, `most tries were killed mid-run (${killedMidRun} of 20)`);
  // a later run still works on the same database and is reported finished
  const again = spawnSync(process.execPath, [cli, 'replay', captures, '--db', db, '--no-progress'], { encoding: 'utf8' });
  assert.is(again.status, 0, again.stderr);
  const finished = checkDatabase('after the kills');
  assert.ok(finished >= 3, `finished runs: ${finished}`);
  console.log(`  durability: 20 kills (${killedMidRun} mid-run), ${finished} finished runs intact, integrity_check ok each time`);
});

test.run();
