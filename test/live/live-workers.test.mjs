// `intransit live --workers N`: two agents capture the same veth between two network
// namespaces, one with a single engine and one with two (flows sharded over a worker
// thread), while real openssl clients make TLS 1.2 and 1.3 connections. Their documents
// must be the same (sessions with their TLS facts, findings, one summary last with the
// packet count), order and capture times aside; the status line counts the workers' flows.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { runCli, waitForStderr, isRoot, have, makeNamespacePair, makeCert, startServer, sessions, summaryOf } from './helpers.mjs';

// capture times differ between two agents (each stamps what it receives): blanked
const TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z/g;
const untimed = (doc) => JSON.stringify(doc).replace(TIME, '<time>');

const CONNECTIONS = [
  ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES256-GCM-SHA384'],
  ['-tls1_2', '-cipher', 'ECDHE-ECDSA-CHACHA20-POLY1305'],
  ['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-SHA'],
  ['-tls1_3', '-ciphersuites', 'TLS_AES_128_GCM_SHA256'],
  ['-tls1_3', '-ciphersuites', 'TLS_AES_256_GCM_SHA384'],
  ['-tls1_3', '-ciphersuites', 'TLS_CHACHA20_POLY1305_SHA256'],
  ['-tls1_2', '-groups', 'P-256'],
  ['-tls1_3', '-groups', 'P-384'],
];

const netns = isRoot() && have('openssl') && have('ip');
if (!netns) console.log('live-workers: the network-namespace test needs root, ip and openssl: skipped');
(netns ? test : test.skip)('live --workers 2 on a veth: the same documents as one engine, over real openssl TLS', async () => {
  const ns = makeNamespacePair('lw');
  const dir = mkdtempSync(`${tmpdir()}/intransit-live-workers-`);
  let server;
  const agents = [];
  try {
    const { cert, key } = makeCert(dir, 'workers.intransit.test');
    server = await startServer(['ip', 'netns', 'exec', ns.b, 'openssl', 's_server', '-accept', '4433', '-cert', cert, '-key', key, '-www'], ns.a, ns.ipB, 4433);
    for (const extra of [[], ['--workers', '2']]) {
      agents.push(runCli(['live', '-i', ns.va, '--bpf', 'tcp port 4433', '--ndjson', '--stats-interval', '1', ...extra], { prefix: ['ip', 'netns', 'exec', ns.a] }));
    }
    for (const a of agents) await waitForStderr(a, /capturing on/);
    for (const args of CONNECTIONS) {
      const c = spawnSync('ip', ['netns', 'exec', ns.a, 'openssl', 's_client', '-connect', `${ns.ipB}:4433`, '-servername', 'workers.intransit.test', ...args], {
        input: 'GET / HTTP/1.0\r\n\r\n',
        encoding: 'utf8',
        timeout: 10000,
      });
      assert.is(c.status, 0, `${args.join(' ')}: ${c.stderr}`);
    }
    // closed connections linger 5 s in the table: both agents count all of them open,
    // the sharded one adding its worker's flows to its own
    const open = new RegExp(`${CONNECTIONS.length} flows open`);
    for (const a of agents) await waitForStderr(a, open, 5000);
    for (const a of agents) a.child.kill('SIGINT');
    const [one, many] = await Promise.all(agents.map((a) => a.done));
    for (const [name, r] of [['1 engine', one], ['2 engines', many]]) {
      assert.is(r.code, 0, `${name}: ${r.stderr}`);
      const sum = summaryOf(r.docs);
      assert.ok(sum, `${name}: summary written`);
      assert.is(r.docs.at(-1), sum, `${name}: summary last`);
      assert.is(r.docs.filter((d) => d.event.dataset === 'intransit.summary').length, 1, `${name}: one summary`);
      const s = sum.intransit.summary;
      assert.is(s.packets, s.capture.packets, `${name}: every captured packet counted`);
      assert.ok(s.packets >= CONNECTIONS.length * 10, `${name}: ${s.packets} packets`);
      assert.is(s.capture.interface_drops, 0);
      const tls = sessions(r.docs).filter((d) => d.network.protocol === 'tls');
      assert.is(tls.length, CONNECTIONS.length, `${name}: TLS sessions`);
      assert.ok(tls.every((d) => d.tls.established && d.tls.client.server_name === 'workers.intransit.test'));
    }
    // the same packets in both captures: the same documents, the summary included
    assert.is(many.docs.length, one.docs.length, 'document count');
    const a = one.docs.map(untimed).sort();
    const b = many.docs.map(untimed).sort();
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) assert.fixture(b[i], a[i], 'documents with 2 engines');
    const ss = sessions(many.docs);
    assert.equal(ss.map((s) => s.tls.version).sort(), ['1.2', '1.2', '1.2', '1.2', '1.3', '1.3', '1.3', '1.3']);
    assert.ok(ss.some((s) => s.tls.cipher === 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA'));
    assert.ok(ss.some((s) => s.tls.curve === 'secp384r1'));
    assert.ok(many.docs.some((d) => d.event.dataset === 'intransit.finding'), 'findings too');
  } finally {
    server?.kill();
    for (const a of agents) a.child.kill('SIGKILL');
    ns.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--workers 0 / x: one line, exit 2, before any capture starts', async () => {
  for (const [value, re] of [
    ['0', /--workers takes a whole number from 1 to 64, not "0"/],
    ['x', /--workers needs a non-negative number, not "x"/],
  ]) {
    const r = await runCli(['live', '-i', 'lo', '--ndjson', '--workers', value]).done;
    assert.is(r.code, 2, r.stderr);
    assert.is(r.stdout, '');
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, re);
  }
});

test('--workers 2 with an interface that does not exist: one line, exit 2, no worker left behind', async () => {
  const t0 = Date.now();
  const r = await runCli(['live', '-i', 'nosuchif0', '--ndjson', '--workers', '2']).done;
  assert.is(r.code, 2, r.stderr);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /no interface "nosuchif0"/);
  assert.ok(Date.now() - t0 < 10000, 'exited');
});

test('--help documents --workers', async () => {
  const r = await runCli(['live', '--help']).done;
  assert.is(r.code, 0);
  assert.match(r.stdout, /--workers N\s+engines \(default 1\)/);
});

test.run();
