// The server in-process over a real database: JSON API, static files, live feed,
// WebSocket protocol errors, uploads.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { mkdirSync, writeFileSync, symlinkSync, readFileSync } from 'node:fs';
import net from 'node:net';
import WebSocket from 'ws';
import { openDatabase, StoreSink } from '../../agent/dist/store/index.js';
import { startServer, resolveServerConfig } from '../../agent/dist/server/index.js';
import { session, finding, writeAll } from './docs.mjs';
import { tempDir, request, CAPTURES } from './helpers.mjs';

const dir = tempDir();

/** Resolves when `p` rejects with a message matching `re`; fails when it resolves. */
async function rejects(p, re, what = '') {
  try {
    const v = await p;
    v?.ws?.close();
  } catch (e) {
    assert.match(e.message, re, what);
    return;
  }
  assert.unreachable(`expected a rejection ${what}`);
}
const ui = join(dir, 'ui');
mkdirSync(join(ui, 'assets'), { recursive: true });
writeFileSync(join(ui, 'index.html'), '<!doctype html><title>viewer</title><script type="module" src="/assets/app.js"></script>');
writeFileSync(join(ui, 'assets', 'app.js'), 'console.log(1)');
writeFileSync(join(dir, 'secret.txt'), 'TOP SECRET');
symlinkSync(join(dir, 'secret.txt'), join(ui, 'leak.txt'));

const dbFile = join(dir, 'history.db');
const db = openDatabase(dbFile);
const seed = new StoreSink(db, { command: 'replay', source: 'seed.pcap', profile: 'aws-sec09' });
const seedDocs = [];
for (let i = 0; i < 30; i++) {
  const s = session({ ts: `2026-01-01T00:00:${String(i).padStart(2, '0')}Z`, sni: i % 2 ? 'odd.example' : 'even.example', version: i % 5 ? '1.3' : '1.1' });
  seedDocs.push(s);
  if (i % 5 === 0) seedDocs.push(finding(s, 'tls-deprecated-version', 4));
}
await writeAll(seed, seedDocs);

const config = resolveServerConfig({ ui, 'upload-max-mb': 1 }, '127.0.0.1:0', dbFile);
const server = await startServer(config, { db, limits: { maxMessageBytes: 1024 } });
const base = `http://127.0.0.1:${server.port}`;

/** A WebSocket client collecting messages; `next(type)` waits for one of that type. */
function wsClient(headers = {}, path = '/ws') {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}${path}`, { headers });
    const messages = [];
    const waiters = [];
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString());
      messages.push(m);
      for (const w of [...waiters]) if (w.pred(m)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    });
    const next = (pred, ms = 5000) =>
      new Promise((res, rej) => {
        const p = typeof pred === 'string' ? (m) => m.type === pred : pred;
        const have = messages.find(p);
        if (have) {
          messages.splice(messages.indexOf(have), 1);
          return res(have);
        }
        const t = setTimeout(() => rej(new Error(`no message within ${ms} ms; got ${JSON.stringify(messages.map((m) => m.type))}`)), ms);
        waiters.push({ pred: (m) => (p(m) ? (clearTimeout(t), messages.splice(messages.indexOf(m), 1), true) : false), resolve: res });
      });
    ws.on('open', () => resolve({ ws, messages, next }));
    ws.on('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode })));
    ws.on('error', reject);
  });
}

test('API: info, runs, sessions with paging and filters, one session, findings, KPIs, stats, endpoints', async () => {
  const info = await request(`${base}/api/info`);
  assert.is(info.status, 200);
  assert.is(info.json.auth, 'none');
  assert.is(info.json.upload.max_bytes, 1048576);
  const runs = await request(`${base}/api/runs`);
  assert.is(runs.json.items[0].id, seed.run);
  assert.is(runs.json.items[0].status, 'finished');
  const run = await request(`${base}/api/runs/${seed.run}`);
  assert.is(run.json.sessions, 30);
  const p1 = await request(`${base}/api/sessions?run=${seed.run}&limit=10&order=asc`);
  assert.is(p1.json.total, 30);
  assert.is(p1.json.items.length, 10);
  assert.is(p1.json.items[0].ts, '2026-01-01T00:00:00.000000Z');
  const p2 = await request(`${base}/api/sessions?run=${seed.run}&limit=10&order=asc&cursor=${p1.json.next_cursor}`);
  assert.is(p2.json.items[0].ts, '2026-01-01T00:00:10.000000Z');
  const f = await request(`${base}/api/sessions?sni=odd.example&version=1.3&severity=low`);
  assert.is(f.json.total, 0, 'odd sessions on 1.3 raised nothing');
  const g = await request(`${base}/api/sessions?rule=tls-deprecated-version&sni=*.example`);
  assert.is(g.json.total, 6);
  const one = await request(`${base}/api/sessions/${g.json.items[0].id}`);
  assert.is(one.json.findings[0].rule, 'tls-deprecated-version');
  assert.is(one.json.doc.tls.version, '1.1');
  assert.is((await request(`${base}/api/sessions/999999`)).status, 404);
  assert.is((await request(`${base}/api/sessions/abc`)).status, 404);
  const fl = await request(`${base}/api/findings?severity=high`);
  assert.is(fl.json.total, 6);
  const kpi = await request(`${base}/api/kpi?run=${seed.run}`);
  assert.is(kpi.json.kpi.sessions, 30);
  assert.is(kpi.json.kpi.tls12plus_share, 0.8);
  const st = await request(`${base}/api/stats?run=${seed.run}`);
  assert.equal(st.json.versions, { 'tls 1.3': 24, 'tls 1.1': 6 });
  const ep = await request(`${base}/api/endpoints?run=${seed.run}&drift=true`);
  assert.is(ep.json.total, 2, 'both names saw 1.3 and 1.1');
  assert.equal(ep.json.items[0].drift, ['version']);
  assert.is((await request(`${base}/api/endpoints?run=${seed.run}&sni=odd.example`)).json.items[0].versions['tls 1.1'], 3);
});

test('API: malformed and hostile parameters are answered 400, never run as SQL', async () => {
  for (const q of ['severity=extreme', 'limit=-1', 'run=1.5', 'from=yesterday', 'order=sideways', 'bogus=1', 'version=1.2.3', 'server=a%20b', `sni=${'x'.repeat(300)}`, 'cursor=Zm9v']) {
    const r = await request(`${base}/api/sessions?${q}`);
    assert.is(r.status, 400, q);
    assert.ok(r.json.error, q);
  }
  for (const v of ["' OR 1=1 --", "x'); DROP TABLE sessions; --", '1 UNION SELECT doc FROM sessions']) {
    const r = await request(`${base}/api/sessions?sni=${encodeURIComponent(v)}&rule=${encodeURIComponent(v)}`);
    assert.is(r.status, 200);
    assert.is(r.json.total, 0, v);
  }
  assert.is((await request(`${base}/api/sessions`)).json.total, 30, 'still all there');
  assert.is((await request(`${base}/api/sessions`, { method: 'DELETE' })).status, 405);
  assert.is((await request(`${base}/api/nothing`)).status, 404);
});

test('every answer carries the security headers; no inline script allowed', async () => {
  for (const path of ['/', '/api/info', '/api/nothing', '/assets/app.js']) {
    const r = await request(`${base}${path}`);
    const csp = r.headers['content-security-policy'];
    assert.ok(csp, path);
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.not.match(csp, /unsafe-inline|unsafe-eval/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.is(r.headers['x-content-type-options'], 'nosniff');
    assert.is(r.headers['referrer-policy'], 'no-referrer');
    assert.is(r.headers['x-frame-options'], 'DENY');
    assert.is(r.headers['strict-transport-security'], undefined, 'HSTS only over TLS');
  }
});

/** A raw request line, so the path reaches the server exactly as written. */
function rawGet(path, host = `127.0.0.1:${server.port}`) {
  return new Promise((resolve, reject) => {
    const s = net.connect(server.port, '127.0.0.1', () => s.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
    let data = '';
    s.on('data', (d) => (data += d));
    s.on('end', () => resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(data)?.[1]), body: data }));
    s.on('error', reject);
  });
}

test('static files: the viewer, its client-side routes, and no way out of its directory', async () => {
  const index = await request(`${base}/`);
  assert.is(index.status, 200);
  assert.match(index.body, /<title>viewer<\/title>/);
  const route = await request(`${base}/sessions/42`);
  assert.match(route.body, /<title>viewer<\/title>/, 'unknown routes without extension get index.html');
  const js = await request(`${base}/assets/app.js`);
  assert.is(js.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.match(js.headers['cache-control'], /immutable/);
  const attempts = ['/../secret.txt', '/..%2fsecret.txt', '/%2e%2e/secret.txt', '/%2e%2e%2fsecret.txt', '/assets/../../secret.txt', '/..\\secret.txt', '/%5c..%5csecret.txt', '/%00index.html', '/leak.txt', '//etc/passwd', '/%2fetc%2fpasswd', '/....//secret.txt'];
  for (const a of attempts) {
    const r = await rawGet(a);
    assert.not.match(r.body, /TOP SECRET|root:x:/, a);
    assert.ok([400, 404].includes(r.status) || (r.status === 200 && /<title>viewer/.test(r.body)), `${a}: ${r.status}`);
  }
  assert.is((await rawGet('/leak.txt')).status, 404, 'a symlink out of the directory is not followed');
  assert.is((await request(`${base}/nope.js`)).status, 404);
});

test('a loopback agent answers only to loopback host names (DNS rebinding)', async () => {
  assert.is((await rawGet('/api/info', 'attacker.example')).status, 421);
  assert.is((await rawGet('/api/info', 'localhost:1234')).status, 200);
  assert.is((await rawGet('/api/info', '[::1]')).status, 200);
  await rejects(wsClient({ Host: 'rebind.example' }), /421/);
});

test('live feed: hello, then sessions and findings committed after connecting, filtered by subscribe', async () => {
  const c = await wsClient();
  const hello = await c.next('hello');
  assert.is(hello.protocol, 1);
  assert.is(hello.run.id, seed.run);
  assert.is(hello.kpi.sessions, 30);
  const filtered = await wsClient();
  await filtered.next('hello');
  filtered.ws.send(JSON.stringify({ type: 'subscribe', filters: { sni: '*.wanted.example', severity: 3 } }));
  await new Promise((r) => setTimeout(r, 50));
  const sink = new StoreSink(db, { command: 'live', source: 'eth0', profile: 'aws-sec09' }, { onCommit: () => server.poke() });
  const run = await c.next('run');
  assert.is(run.run.id, sink.run);
  const a = session({ ts: '2026-03-01T00:00:00Z', sni: 'x.wanted.example', version: '1.0' });
  const fa = finding(a, 'tls-deprecated-version', 4);
  const b = session({ ts: '2026-03-01T00:00:01Z', sni: 'other.example' });
  await writeAll(sink, [a, fa, b]);
  const s1 = await c.next('session');
  const f1 = await c.next('finding');
  const s2 = await c.next('session');
  assert.is(s1.session.sni, 'x.wanted.example');
  assert.is(f1.finding.session, s1.session.id, 'a finding follows its session');
  assert.is(s2.session.sni, 'other.example');
  // KPIs go at most once a second per run, and at once when it finishes: the last ones count both
  const kpi = await c.next((m) => m.type === 'kpi' && m.run === sink.run && m.kpi.sessions === 2, 4000);
  assert.is(kpi.kpi.tls_sessions, 2);
  await c.next((m) => m.type === 'run' && m.run.status === 'finished');
  const only = await filtered.next('session');
  assert.is(only.session.sni, 'x.wanted.example');
  await filtered.next('finding');
  await new Promise((r) => setTimeout(r, 300));
  assert.not.ok(filtered.messages.some((m) => m.type === 'session'), 'the other session was filtered out');
  c.ws.close();
  filtered.ws.close();
});

test('WebSocket: malformed, oversized, binary and unknown messages get errors; the connection stays', async () => {
  const c = await wsClient();
  await c.next('hello');
  const cases = [
    ['not json {', 'bad-json'],
    [JSON.stringify({ type: 'subscribe', filters: { sni: 'a'.repeat(2000) } }), 'too-large'],
    [JSON.stringify({ type: 'hack' }), 'unknown-type'],
    [JSON.stringify(['subscribe']), 'unknown-type'],
    ['null', 'unknown-type'],
    [JSON.stringify({ type: 'subscribe', filters: { nope: 1 } }), 'bad-filters'],
    [JSON.stringify({ type: 'subscribe', filters: { severity: 9 } }), 'bad-filters'],
    [JSON.stringify({ type: 'subscribe', filters: { server: 'a b' } }), 'bad-filters'],
    [JSON.stringify({ type: 'subscribe', filters: { run: '1; DROP TABLE runs' } }), 'bad-filters'],
    [JSON.stringify({ type: 'subscribe', filters: 'all' }), 'bad-filters'],
  ];
  for (const [text, code] of cases) {
    c.ws.send(text);
    const e = await c.next('error');
    assert.is(e.code, code, text.slice(0, 40));
  }
  c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
  assert.is((await c.next('error')).code, 'binary');
  c.ws.send(JSON.stringify({ type: 'subscribe', filters: {} }));
  await new Promise((r) => setTimeout(r, 100));
  assert.is(c.ws.readyState, WebSocket.OPEN, 'still connected');
  // beyond the hard limit (16x) the connection is closed by the protocol layer with 1009
  const closed = new Promise((r) => c.ws.on('close', (code) => r(code)));
  c.ws.send('x'.repeat(1024 * 16 + 1));
  assert.is(await closed, 1009);
  assert.is((await request(`${base}/api/info`)).status, 200, 'the server is unharmed');
  await rejects(wsClient({}, '/elsewhere'), /404/);
});

test('WebSocket: a cross-origin page is refused, a same-origin one accepted', async () => {
  await rejects(wsClient({ Origin: 'http://evil.example' }), /403/);
  await rejects(wsClient({ Origin: 'null' }), /403/);
  await rejects(wsClient({ Origin: `https://127.0.0.1:${server.port}` }), /403/, 'scheme differs');
  const ok = await wsClient({ Origin: `http://127.0.0.1:${server.port}` });
  await ok.next('hello');
  ok.ws.close();
});

test('uploads: type, magic number and size are checked; a capture replays into a new run', async () => {
  const pcap = readFileSync(join(CAPTURES, 'tls12-ecdhe-rsa.pcap'));
  const up = (body, type = 'application/octet-stream', extra = {}) => request(`${base}/api/upload?name=t.pcap`, { method: 'POST', headers: { 'Content-Type': type, ...extra }, body });
  assert.is((await up(pcap, 'text/html')).status, 415);
  assert.is((await up(Buffer.from('<html>not a capture</html>'))).status, 415);
  assert.is((await up(Buffer.from([0xa1]))).status, 415);
  assert.is((await up(Buffer.alloc(2 * 1024 * 1024, 0))).status, 413, 'declared length over the limit');
  const chunked = await new Promise((resolve, reject) => {
    // no Content-Length: the limit is enforced while the body streams
    const req = (async () => {
      const http = await import('node:http');
      const r = http.request({ host: '127.0.0.1', port: server.port, method: 'POST', path: '/api/upload', headers: { 'Content-Type': 'application/octet-stream', 'Transfer-Encoding': 'chunked' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      });
      r.on('error', reject);
      r.write(pcap.subarray(0, 24));
      for (let i = 0; i < 20; i++) r.write(Buffer.alloc(64 * 1024));
      r.end();
    })();
    void req;
  });
  assert.is(chunked, 413, 'streamed body over the limit');
  assert.is((await request(`${base}/api/upload`)).status, 405);
  const c = await wsClient();
  await c.next('hello');
  const ok = await up(pcap);
  assert.is(ok.status, 202);
  assert.is(ok.json.format, 'pcap');
  const s = await c.next((m) => m.type === 'session' && m.session.run === ok.json.run, 15000);
  assert.is(s.session.tls_version, '1.2');
  const done = await c.next((m) => m.type === 'run' && m.run.id === ok.json.run && m.run.status !== 'running', 15000);
  assert.is(done.run.status, 'finished');
  assert.is(done.run.command, 'upload');
  assert.is(done.run.source, 'upload:t.pcap');
  // a capture that has the magic but is junk after it: the run fails with the replay's reason
  const junk = Buffer.concat([pcap.subarray(0, 4), Buffer.alloc(100, 0xff)]);
  const bad = await up(junk);
  assert.is(bad.status, 202);
  const failed = await c.next((m) => m.type === 'run' && m.run.id === bad.json.run && m.run.status !== 'running', 15000);
  assert.ok(['failed', 'finished'].includes(failed.run.status));
  c.ws.close();
});

test.after(async () => {
  await server.close();
  db.close();
});

test.run();
