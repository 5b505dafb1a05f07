// `intransit mirror --workers N`: the flows of the mirrored traffic sharded over engines in
// worker threads. Two agents on loopback receive the same VXLAN datagrams, one with a single
// engine and one with two: their documents must be the same (sessions with their TLS facts,
// findings, the summary last), order and receive times aside. Also: flows of quiet shards
// idle out on the wall clock (the health counters include the workers'), and usage errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import dgram from 'node:dgram';
import { readdirSync } from 'node:fs';
import { framesOf, vxlan, mirrorDatagrams, runCli, waitForStderr, CAPTURES, sessions, summaryOf } from './helpers.mjs';

/** Sends every datagram to each port in turn, one at a time (loopback keeps their order). */
async function sendAll(ports, datagrams) {
  const s = dgram.createSocket('udp4');
  for (const d of datagrams) for (const port of ports) await new Promise((r) => s.send(d, port, '127.0.0.1', r));
  s.close();
}

/** Starts a mirror agent; resolves { run, port, health }. */
async function startAgent(extra) {
  const run = runCli(['mirror', '--listen', '127.0.0.1:0', '--health', '127.0.0.1:0', '--ndjson', '--stats-interval', '0', ...extra]);
  const port = Number((await waitForStderr(run, /receiving vxlan on 127\.0\.0\.1:(\d+)/))[1]);
  const health = (await waitForStderr(run, /health endpoint on (http:\S+)/))[1];
  const agent = { run, port, health, stdout: '' };
  run.child.stdout.on('data', (d) => (agent.stdout += d));
  return agent;
}

/** Resolves once the agent wrote `n` session documents on standard output. */
function sessionLines(agent, n, ms) {
  const count = () => (agent.stdout.match(/"dataset":"intransit.session"/g) ?? []).length;
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const poll = setInterval(() => {
      if (count() >= n) resolve(clearInterval(poll));
      else if (Date.now() - t0 > ms) reject(new Error(`${count()} of ${n} session documents written after ${ms} ms`), clearInterval(poll));
    }, 50);
  });
}

const healthOf = async (agent) => (await fetch(agent.health)).json();

/** Polls both agents' health until `done(h)` holds for each (or throws after `ms`). */
async function until(agents, done, ms, what) {
  const t0 = Date.now();
  let last = [];
  while (Date.now() - t0 < ms) {
    last = await Promise.all(agents.map(healthOf));
    if (last.every(done)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)}`);
}

// receive times differ between two agents: the contract's timestamps (and those quoted in
// finding messages) carry fractions of a second, certificate dates do not: those are blanked
const TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z/g;
const untimed = (doc) => JSON.stringify(doc).replace(TIME, '<time>');

/** The summary without what belongs to one process (its port, CPU time, socket reads). */
function comparableSummary(doc) {
  const d = JSON.parse(untimed(doc));
  const s = d.intransit.summary;
  delete s.capture.listen;
  delete s.capture.cpu_seconds;
  delete s.capture.drained;
  delete s.mirror.udp_rcvbuf_errors; // the host's counter, shared by both agents
  // senders are known only of datagrams that came as events, not of those drained in a burst
  for (const m of s.mirror.sessions) delete m.outer_sources;
  return d;
}

/** Same documents, any order; the summary last in each, equal but for per-process fields. */
function assertSameDocuments(one, many, datagrams) {
  for (const [name, r] of [['1 engine', one], ['2 engines', many]]) {
    assert.is(r.code, 0, `${name}: ${r.stderr}`);
    const sum = summaryOf(r.docs);
    assert.ok(sum, `${name}: summary written`);
    assert.is(r.docs.at(-1), sum, `${name}: summary last`);
    assert.is(r.docs.filter((d) => d.event.dataset === 'intransit.summary').length, 1, `${name}: one summary`);
    assert.is(sum.intransit.summary.packets, datagrams, `${name}: packets`);
    assert.is(sum.intransit.summary.capture.datagrams, datagrams, `${name}: datagrams`);
    assert.is(sum.intransit.summary.mirror.drops, 0, `${name}: no socket drops`);
  }
  const a = one.docs.slice(0, -1).map(untimed).sort();
  const b = many.docs.slice(0, -1).map(untimed).sort();
  assert.is(b.length, a.length, 'document count');
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) assert.fixture(b[i], a[i], 'documents with 2 engines');
  assert.equal(comparableSummary(many.docs.at(-1)), comparableSummary(one.docs.at(-1)), 'summary with 2 engines');
}

test('--workers 2: the same sessions, findings and summary as one engine (every bundled capture, a VNI each)', async () => {
  const files = readdirSync(CAPTURES).filter((n) => n.endsWith('.pcap')).sort();
  const datagrams = [];
  files.forEach((f, i) => {
    for (const { frame, linktype } of framesOf(CAPTURES + f)) if (linktype === 1) datagrams.push(vxlan(frame, 1000 + i));
  });
  // the same handshakes again on other client ports: many flows, so both shards get some
  datagrams.push(...mirrorDatagrams([CAPTURES + 'tls13-openssl.pcap', CAPTURES + 'cert-expired.pcap'], 12, 2000));
  const one = await startAgent([]);
  const many = await startAgent(['--workers', '2']);
  try {
    await sendAll([one.port, many.port], datagrams);
    await until([one, many], (h) => h.packets === datagrams.length, 15000, 'every datagram');
    one.run.child.kill('SIGTERM');
    many.run.child.kill('SIGTERM');
    const [r1, r2] = await Promise.all([one.run.done, many.run.done]);
    assertSameDocuments(r1, r2, datagrams.length);
    const ss = sessions(r2.docs);
    assert.ok(ss.length > 60, `${ss.length} sessions`);
    assert.ok(ss.some((s) => s.tls?.version === '1.3' && s.tls.established));
    assert.ok(ss.some((s) => s.network.protocol === 'quic'), 'UDP flows too');
    const findings = r2.docs.filter((d) => d.event.dataset === 'intransit.finding');
    assert.ok(findings.some((f) => f.rule.id === 'cert-expired'));
    assert.ok(findings.some((f) => f.rule.id === 'cleartext-http' || f.intransit.encrypted === false), 'a cleartext finding');
  } finally {
    one.run.child.kill('SIGKILL');
    many.run.child.kill('SIGKILL');
  }
});

test('--workers 2: closed flows idle out on the wall clock in every shard, counted by the health endpoint', async () => {
  // handshakes that close (FIN both ways): they end 5 s (closed timeout) after their last packet
  // (one connection in each capture, 10 times over: 20 flows)
  const datagrams = mirrorDatagrams([CAPTURES + 'tls13-openssl.pcap', CAPTURES + 'tls12-rsa-kx.pcap'], 10, 300);
  const one = await startAgent([]);
  const many = await startAgent(['--workers', '2']);
  try {
    await sendAll([one.port, many.port], datagrams);
    await until([one, many], (h) => h.packets === datagrams.length, 15000, 'every datagram');
    // the workers' counts come with the next slot they take (handed over within 150 ms)
    const [h1, h2] = await until([one, many], (h) => h.flows === 20, 3000, 'flows open over every engine');
    assert.is(h2.sessions, h1.sessions);
    // no more traffic: only the wall clock can end them
    const idle = await until([one, many], (h) => h.flows === 0, 15000, 'the flows to idle out');
    assert.is(idle[1].sessions, idle[0].sessions);
    assert.is(idle[1].sessions, 20);
    // their documents come out while the agents run (the workers' batches are handed on)
    for (const agent of [one, many]) await sessionLines(agent, 20, 5000);
    one.run.child.kill('SIGTERM');
    many.run.child.kill('SIGTERM');
    const [r1, r2] = await Promise.all([one.run.done, many.run.done]);
    assertSameDocuments(r1, r2, datagrams.length);
    const ss = sessions(r2.docs);
    assert.is(ss.length, 20);
    // ended by the closed-flow timeout (before the stop, which would say "end")
    assert.ok(ss.every((s) => s.intransit.flow.end_reason === 'closed'), JSON.stringify(ss.map((s) => s.intransit.flow.end_reason)));
  } finally {
    one.run.child.kill('SIGKILL');
    many.run.child.kill('SIGKILL');
  }
});

test('--workers 0 / x / 65: one line, exit 2, nothing on standard output', async () => {
  for (const [value, re] of [
    ['0', /--workers takes a whole number from 1 to 64, not "0"/],
    ['65', /--workers takes a whole number from 1 to 64, not "65"/],
    ['1.5', /--workers takes a whole number from 1 to 64, not "1.5"/],
    ['x', /--workers needs a non-negative number, not "x"/],
  ]) {
    const r = await runCli(['mirror', '--listen', '127.0.0.1:0', '--ndjson', '--workers', value]).done;
    assert.is(r.code, 2, r.stderr);
    assert.is(r.stdout, '');
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, re);
  }
});

test('--help documents --workers', async () => {
  const r = await runCli(['mirror', '--help']).done;
  assert.is(r.code, 0);
  assert.match(r.stdout, /--workers N\s+engines \(default 1\)/);
});

test.run();
