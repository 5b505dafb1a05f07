import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { openDatabase, SCHEMA_VERSION, StoreSink, listSessions, listFindings, getSession, applyRetention, usedBytes, reapStaleRuns, computeKpi, listEndpoints, stats } from '../../agent/dist/store/index.js';
import { session, finding, summary, writeAll } from './docs.mjs';
import { tempDir } from './helpers.mjs';

const dir = tempDir();
let n = 0;
const fresh = () => openDatabase(join(dir, `t${n++}.db`));
const run = (db, opts) => new StoreSink(db, { command: 'replay', source: 'test', profile: 'aws-sec09' }, opts);

test('sessions, findings and endpoint posture of a run are stored and linked', async () => {
  const db = fresh();
  const sink = run(db);
  const s1 = session({ ts: '2026-01-01T00:00:01.000001Z', sni: 'a.example', cert: 'aa'.repeat(32), firstPacket: 7 });
  const f1 = finding(s1, 'tls-deprecated-version', 4);
  const f2 = finding(s1, 'tls-weak-cipher', 2, { justification: 'legacy', owner: 'ops', expires: '2027-01-01' });
  const s2 = session({ ts: '2026-01-01T00:00:02Z', sni: 'a.example', version: '1.2', cipher: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', cert: 'bb'.repeat(32) });
  const s3 = session({ ts: '2026-01-01T00:00:03Z', protocol: 'http', encrypted: false, dport: 80 });
  const f3 = finding(s3, 'plaintext-protocol', 3);
  await writeAll(sink, [s1, f1, f2, s2, s3, f3, summary({ encrypted_session_share: 0.6667 })]);
  const r = db.prepare('SELECT * FROM runs').get();
  assert.is(r.status, 'finished');
  assert.is(r.sessions, 3);
  assert.is(r.findings, 3);
  assert.is(JSON.parse(r.summary).kpi.encrypted_session_share, 0.6667);
  assert.is(r.capture_start, Date.UTC(2026, 0, 1, 0, 0, 1) * 1000 + 1);
  const rows = db.prepare('SELECT id, max_severity, waived, rule_ids, sni, tls_version, encrypted FROM sessions ORDER BY id').all();
  assert.equal(rows.map((x) => x.max_severity), [4, 0, 3], 'max severity ignores the waived finding');
  assert.equal(rows.map((x) => x.waived), [1, 0, 0]);
  assert.equal(JSON.parse(rows[0].rule_ids), ['tls-deprecated-version', 'tls-weak-cipher']);
  assert.equal(rows.map((x) => x.encrypted), [1, 1, 0]);
  const fs = db.prepare('SELECT session_id, rule_id, waived FROM findings ORDER BY id').all();
  assert.equal(fs.map((f) => f.session_id), [rows[0].id, rows[0].id, rows[2].id]);
  assert.equal(fs.map((f) => f.waived), [0, 1, 0]);
  const detail = getSession(db, rows[0].id);
  assert.is(detail.doc['@timestamp'], '2026-01-01T00:00:01.000001Z');
  assert.is(detail.session.ts, '2026-01-01T00:00:01.000001Z');
  assert.is(detail.findings.length, 2);
  assert.is(detail.findings[1].waived.owner, 'ops');
  assert.is(detail.findings[0].first_packet, 7, "a finding's first packet is its session's");
  const ep = listEndpoints(db, { run: r.id });
  assert.is(ep.total, 2);
  const a = ep.items.find((e) => e.sni === 'a.example');
  assert.is(a.sessions, 2);
  assert.equal(a.versions, { 'tls 1.3': 1, 'tls 1.2': 1 });
  assert.equal(a.findings, { 'tls-deprecated-version': 1 }, 'waived findings do not count against the posture');
  assert.is(a.max_severity, 4);
  assert.equal(a.drift, ['version', 'cipher', 'certificate']);
  assert.is(a.certificates.length, 2);
  db.close();
});

test('batches commit every N documents, never between a session and its findings', async () => {
  const db = fresh();
  const commits = [];
  const sink = run(db, { batchDocs: 3, onCommit: (i) => commits.push({ ...i }) });
  const docs = [];
  for (let i = 0; i < 10; i++) {
    const s = session({ ts: `2026-01-01T00:00:${String(i).padStart(2, '0')}Z` });
    docs.push(s);
    for (let k = 0; k < i % 4; k++) docs.push(finding(s, `rule-${k}`, 2));
  }
  for (const d of docs) sink.write(d);
  assert.ok(commits.length >= 3, `committed in batches (${commits.length})`);
  assert.is(db.prepare('SELECT status FROM runs').get().status, 'running', 'not finished before close');
  const orphans = db.prepare('SELECT count(*) AS n FROM findings WHERE session_id IS NULL').get().n;
  assert.is(orphans, 0);
  await sink.close();
  assert.is(commits.at(-1).finished, true);
  assert.is(db.prepare('SELECT count(*) AS n FROM findings WHERE session_id IS NULL').get().n, 0);
  assert.is(db.prepare('SELECT count(*) AS n FROM findings').get().n, docs.length - 10);
  const r = db.prepare('SELECT status, sessions, findings FROM runs').get();
  assert.equal(r, { status: 'finished', sessions: 10, findings: docs.length - 10 });
  db.close();
});

test('a time-based batch commits while a replay keeps the event loop busy', async () => {
  const db = fresh();
  let commits = 0;
  const sink = run(db, { batchDocs: 1_000_000, batchMs: 20, onCommit: () => commits++ });
  const end = Date.now() + 500;
  let i = 0;
  while (Date.now() < end) sink.write(session({ ts: '2026-01-01T00:00:00Z', cid: `x${i++}` }));
  assert.ok(commits >= 2, `committed ${commits} times during a synchronous loop of ${i} sessions`);
  await sink.close();
  db.close();
});

test('migration ladder: a database created by migration 1 is migrated on open', () => {
  const file = join(dir, 'v1.db');
  const v1 = openDatabase(file, { targetVersion: 1 });
  assert.is(v1.pragma('user_version', { simple: true }), 1);
  const cols = v1.prepare('PRAGMA table_info(sessions)').all().map((c) => c.name);
  assert.not.ok(cols.includes('assessment'));
  v1.prepare("INSERT INTO runs (id, command, source, profile, rule_pack_version, status, started_at, sessions, findings) VALUES (1, 'replay', 'old.pcap', 'aws-sec09', '0.0.1', 'finished', 1, 2, 1)").run();
  const docs = [session({ sni: 'old.example', assessment: 'partial', reasons: ['midstream'] }), session({ sni: 'old.example', version: '1.2' })];
  const f = finding(docs[0], 'tls-pq-not-negotiated', 1);
  const ins = v1.prepare(
    "INSERT INTO sessions (run_id, ts, ts_end, src_ip, src_port, dst_ip, dst_port, transport, protocol, encrypted, bytes, packets, community_id, doc) VALUES (1, 1, 1, '10.0.0.1', 1, '10.0.0.2', 443, 'tcp', 'tls', 1, 300, 5, 'c', ?)",
  );
  const id = Number(ins.run(JSON.stringify(docs[0])).lastInsertRowid);
  ins.run(JSON.stringify(docs[1]));
  v1.prepare("INSERT INTO findings (run_id, session_id, ts, rule_id, severity, message, doc) VALUES (1, ?, 1, 'tls-pq-not-negotiated', 1, 'm', ?)").run(id, JSON.stringify(f));
  v1.close();

  const db = openDatabase(file);
  assert.is(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  assert.equal(db.prepare('SELECT assessment FROM sessions ORDER BY id').all().map((r) => r.assessment), ['partial', null], 'assessment filled from the stored documents');
  const ep = db.prepare('SELECT * FROM endpoints').all();
  assert.is(ep.length, 1, 'endpoint posture rebuilt from the stored sessions');
  assert.is(ep[0].sessions, 2);
  assert.equal(JSON.parse(ep[0].posture).findings, { 'tls-pq-not-negotiated': 1 });
  assert.is(db.prepare("PRAGMA integrity_check").get().integrity_check, 'ok');
  db.close();
  // opening again applies nothing
  const again = openDatabase(file);
  assert.is(again.prepare('SELECT count(*) AS n FROM endpoints').get().n, 1);
  again.close();
});

test('refuses a newer schema, a foreign SQLite database and a file that is no database', () => {
  const newer = join(dir, 'newer.db');
  const d = openDatabase(newer);
  d.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  d.close();
  assert.throws(() => openDatabase(newer), /newer than this agent/);
  const foreign = join(dir, 'foreign.db');
  const f = new Database(foreign);
  f.exec('CREATE TABLE customers (id INTEGER)');
  f.close();
  assert.throws(() => openDatabase(foreign), /not an intransit database/);
  const junk = join(dir, 'junk.db');
  writeFileSync(junk, Buffer.alloc(8192, 0x41));
  assert.throws(() => openDatabase(junk), /not an SQLite database|not a database|file is not a database/);
  assert.throws(() => openDatabase(join(dir, 'missing.db'), { mustExist: true }), /no such database/);
});

async function populated(count = 250) {
  const db = fresh();
  const sink = run(db);
  const docs = [];
  for (let i = 0; i < count; i++) {
    const s = session({
      ts: new Date(Date.UTC(2026, 0, 1) + Math.floor(i / 2) * 1000).toISOString().replace('Z', '000Z'),
      dst: i % 5 === 0 ? '2001:db8::5' : `10.0.1.${i % 4}`,
      dport: i % 3 === 0 ? 8443 : 443,
      sni: i % 7 === 0 ? null : `h${i % 6}.example.com`,
      version: i % 10 === 0 ? '1.0' : i % 2 ? '1.3' : '1.2',
      proto: i % 25 === 0 ? 'dtls' : 'tls',
      vni: i % 4 === 0 ? 4242 : undefined,
      protocol: i % 9 === 0 ? 'http' : 'tls',
      encrypted: i % 9 === 0 ? false : i % 11 === 0 ? null : true,
    });
    docs.push(s);
    if (i % 10 === 0 && s.tls) docs.push(finding(s, 'tls-deprecated-version', 4));
    if (i % 9 === 0) docs.push(finding(s, 'plaintext-protocol', 3));
  }
  await writeAll(sink, docs);
  return { db, docs, run: sink.run };
}

test('cursor paging visits every session once, in order, and is stable while sessions arrive', async () => {
  const { db } = await populated();
  for (const order of ['desc', 'asc']) {
    const seen = [];
    let cursor;
    let pages = 0;
    const total = listSessions(db, {}).total;
    do {
      const p = listSessions(db, { limit: 37, order, cursor });
      if (pages === 0) assert.is(p.total, total);
      seen.push(...p.items);
      cursor = p.next_cursor ?? undefined;
      if (pages === 1) {
        // new sessions arrive meanwhile (later capture time): pages already handed out do not shift
        const sink = run(db);
        sink.write(session({ ts: '2030-01-01T00:00:00Z' }));
        await sink.close();
      }
      pages++;
    } while (cursor);
    const ids = seen.map((s) => s.id);
    assert.is(new Set(ids).size, ids.length, `${order}: no duplicates`);
    const keys = seen.map((s) => [s.ts, s.id]);
    const sorted = [...keys].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
    if (order === 'desc') sorted.reverse();
    assert.equal(keys, sorted, `${order}: ordered by time then id`);
    if (order === 'desc') assert.is(ids.length, 250, 'desc: the session added after the first page is not in this walk');
    else assert.is(ids.length, 252, 'asc: both sessions added during the walks come last');
  }
  assert.throws(() => listSessions(db, { cursor: 'bm90IGEgY3Vyc29y' }), /cursor/);
  db.close();
});

test('offset paging, limits and totals', async () => {
  const { db } = await populated();
  const all = listSessions(db, { limit: 1000, order: 'asc' }).items.map((s) => s.id);
  const page = listSessions(db, { limit: 10, offset: 100, order: 'asc' });
  assert.equal(page.items.map((s) => s.id), all.slice(100, 110));
  assert.is(listSessions(db, { limit: 5000 }).items.length, 250, 'limit capped at 1000, here all 250');
  assert.is(listSessions(db, {}).items.length, 100, 'default limit');
  db.close();
});

test('every filter selects exactly the matching sessions', async () => {
  const { db, docs } = await populated();
  const sessions = docs.filter((d) => d.event.dataset === 'intransit.session');
  const count = (q) => listSessions(db, { limit: 1000, ...q }).total;
  const expect = (pred) => sessions.filter(pred).length;
  assert.is(count({ rule: 'plaintext-protocol' }), expect((s) => s.intransit.findings.includes('plaintext-protocol')));
  assert.is(count({ severity: 4 }), expect((s) => s.intransit.findings.includes('tls-deprecated-version')));
  assert.is(count({ severity: 3 }), expect((s) => s.intransit.findings.length > 0));
  assert.is(count({ version: '1.0' }), expect((s) => s.tls?.version === '1.0'));
  assert.is(count({ version: 'dtls 1.0' }), expect((s) => s.tls?.version === '1.0' && s.tls.version_protocol === 'dtls'));
  assert.is(count({ version: 'none' }), expect((s) => !s.tls));
  assert.is(count({ server: '10.0.1.2' }), expect((s) => s.destination.ip === '10.0.1.2'));
  assert.is(count({ server: '10.0.1.2:8443' }), expect((s) => s.destination.ip === '10.0.1.2' && s.destination.port === 8443));
  assert.is(count({ server: '[2001:db8::5]:443' }), expect((s) => s.destination.ip === '2001:db8::5' && s.destination.port === 443));
  assert.is(count({ server: '2001:db8::5' }), expect((s) => s.destination.ip === '2001:db8::5'));
  assert.is(count({ sni: 'h3.example.com' }), expect((s) => s.tls?.client?.server_name === 'h3.example.com'));
  assert.is(count({ sni: 'H3.EXAMPLE.COM' }), expect((s) => s.tls?.client?.server_name === 'h3.example.com'), 'SNI is case-insensitive');
  assert.is(count({ sni: '*.example.com' }), expect((s) => !!s.tls?.client?.server_name));
  assert.is(count({ sni: 'h_.example.com' }), 0, 'LIKE wildcards in a value are literal');
  assert.is(count({ vni: 4242 }), expect((s) => s.intransit.tunnel?.[0]?.vni === 4242));
  assert.is(count({ protocol: 'http' }), expect((s) => s.network.protocol === 'http'));
  assert.is(count({ encrypted: 'false' }), expect((s) => s.intransit.encrypted === false));
  assert.is(count({ encrypted: 'unknown' }), expect((s) => s.intransit.encrypted === null));
  const from = '2026-01-01T00:00:10Z';
  const to = String(Date.UTC(2026, 0, 1, 0, 0, 20));
  assert.is(count({ from, to }), expect((s) => s['@timestamp'] >= '2026-01-01T00:00:10' && s['@timestamp'] < '2026-01-01T00:00:20'));
  assert.is(count({ vni: 4242, version: '1.2', server: '10.0.1.0' }), expect((s) => s.intransit.tunnel?.[0]?.vni === 4242 && s.tls?.version === '1.2' && s.destination.ip === '10.0.1.0'));
  // findings: own rule/severity, session-side filters through the join
  const fcount = (q) => listFindings(db, { limit: 1000, ...q }).total;
  const findings = docs.filter((d) => d.event.dataset === 'intransit.finding');
  assert.is(fcount({}), findings.length);
  assert.is(fcount({ rule: 'plaintext-protocol' }), findings.filter((f) => f.rule.id === 'plaintext-protocol').length);
  const sessionOf = (f) => sessions.find((s) => s.network === f.network);
  assert.is(fcount({ severity: 4, vni: 4242 }), findings.filter((f) => f.event.severity >= 4 && sessionOf(f).intransit.tunnel?.[0]?.vni === 4242).length);
  assert.throws(() => listSessions(db, { version: '1.2.3' }), /version/);
  assert.throws(() => listSessions(db, { server: 'a b' }), /server/);
  const st = stats(db, { version: '1.3' });
  assert.equal(Object.keys(st.versions).sort(), ['dtls 1.3', 'tls 1.3'], 'a bare version matches every protocol');
  assert.is(st.timeline.buckets.reduce((n, b) => n + b.sessions, 0), st.sessions);
  db.close();
});

test('SQL injection attempts in filters are values, never SQL', async () => {
  const { db } = await populated(50);
  const attempts = ["' OR 1=1 --", "x'; DROP TABLE sessions; --", '1) OR (1=1', '" OR ""="', "*' UNION SELECT * FROM runs --", '%'];
  for (const a of attempts) {
    assert.is(listSessions(db, { sni: a }).total, 0, `sni ${a}`);
    assert.is(listSessions(db, { rule: a }).total, 0, `rule ${a}`);
    assert.is(listSessions(db, { protocol: a }).total, 0, `protocol ${a}`);
    assert.is(listFindings(db, { rule: a }).total, 0);
    assert.is(listEndpoints(db, { sni: a }).total, 0);
  }
  assert.is(db.prepare('SELECT count(*) AS n FROM sessions').get().n, 50, 'tables intact');
  db.close();
});

test('retention removes whole runs by age and by size, never a running one', async () => {
  const db = fresh();
  const ids = [];
  for (let r = 0; r < 4; r++) {
    const sink = run(db);
    for (let i = 0; i < 300; i++) sink.write(session({ ts: '2026-01-01T00:00:00Z', sni: `r${r}-${i}.example` }));
    await sink.close();
    ids.push(sink.run);
  }
  const day = 86_400_000;
  db.prepare('UPDATE runs SET started_at = ? WHERE id = ?').run(Date.now() - 40 * day, ids[0]);
  const running = run(db);
  db.prepare('UPDATE runs SET started_at = ? WHERE id = ?').run(Date.now() - 50 * day, running.run);
  assert.equal(applyRetention(db, { days: 30 }), [ids[0]]);
  assert.is(db.prepare('SELECT count(*) AS n FROM sessions WHERE run_id = ?').get(ids[0]).n, 0, 'its sessions went with it');
  assert.is(db.prepare('SELECT count(*) AS n FROM endpoints WHERE run_id = ?').get(ids[0]).n, 0);
  const before = usedBytes(db);
  const limitMb = (before * 0.6) / 1048576;
  const removed = applyRetention(db, { mb: limitMb });
  assert.equal(removed, [ids[1], ids[2]].slice(0, removed.length));
  assert.ok(removed.length >= 1 && usedBytes(db) <= limitMb * 1048576, `within ${limitMb.toFixed(2)} MB`);
  assert.ok(db.prepare('SELECT 1 FROM runs WHERE id = ?').get(running.run), 'the running run stays');
  running.abandon('test over');
  db.close();
});

test('a run left running by a process that is gone is marked failed', () => {
  const db = fresh();
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const pid = Number(dead.stdout);
  db.prepare("INSERT INTO runs (command, source, profile, rule_pack_version, status, pid, host, started_at) VALUES ('live', 'eth0', 'aws-sec09', '0', 'running', ?, ?, 1)").run(pid, hostname());
  db.prepare("INSERT INTO runs (command, source, profile, rule_pack_version, status, pid, host, started_at) VALUES ('live', 'eth1', 'aws-sec09', '0', 'running', ?, ?, 1)").run(process.pid, hostname());
  assert.is(reapStaleRuns(db), 1);
  const rows = db.prepare('SELECT source, status, error FROM runs ORDER BY id').all();
  assert.is(rows[0].status, 'failed');
  assert.match(rows[0].error, new RegExp(`pid ${pid}`));
  assert.is(rows[1].status, 'running', 'a live process keeps its run');
  db.close();
});

test('computed KPIs count like the definitions (shares of judged sessions, waived findings apart)', async () => {
  const db = fresh();
  const sink = run(db);
  const a = session({ version: '1.3', cipher: 'TLS_AES_128_GCM_SHA256', bytes: 900, assessment: 'assessed' });
  const b = session({ version: '1.0', cipher: 'TLS_RSA_WITH_AES_128_CBC_SHA', bytes: 100, assessment: 'partial' });
  const c = session({ protocol: 'http', encrypted: false, bytes: 1000, assessment: 'assessed' });
  const d = session({ protocol: 'unknown', encrypted: null, version: null, bytes: 50, assessment: 'unobservable' });
  const fa = finding(b, 'tls-deprecated-version', 4);
  const fb = finding(c, 'plaintext-protocol', 3, { owner: 'x', justification: 'y', expires: '2099-01-01' });
  await writeAll(sink, [a, b, fa, c, fb, d]);
  const k = computeKpi(db, sink.run, 'aws-sec09');
  assert.is(k.sessions, 4);
  assert.is(k.encrypted_session_share, 0.6667, '2 of the 3 judged sessions');
  assert.is(k.unidentified_sessions, 1);
  const bytes = (x) => x.source.bytes + x.destination.bytes;
  assert.is(k.encrypted_byte_share, Math.round(((bytes(a) + bytes(b)) / (bytes(a) + bytes(b) + bytes(c))) * 10000) / 10000);
  assert.is(k.tls_sessions, 2);
  assert.is(k.tls12plus_share, 0.5);
  assert.is(k.approved_cipher_share, 0.5);
  assert.is(k.assessed_session_share, 0.5);
  assert.is(k.findings, 2);
  assert.is(k.waived_findings, 1);
  assert.equal(k.findings_by_severity, { 4: 1 });
  db.close();
});

test.run();
