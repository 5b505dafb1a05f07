// The fuzzer in npm test: a short seeded pass over mutated real captures and generated
// structures (>= 20 000 mutated packets, well under a minute), and the harness's own checks:
// that each invariant it relies on can actually fail.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runFuzz } from './lib/runner.mjs';
import { seedDirectories, loadSeeds } from './lib/seeds.mjs';
import { buildCase, runCase } from './lib/harness.mjs';
import { checkDocuments } from './lib/check.mjs';
import { installFaultHooks } from './lib/faults.mjs';
import { locateFields } from './lib/locate.mjs';
import { Rng } from './lib/rng.mjs';
import { cat, u8, u16, vec8, vec16, eth, ipv4, tcp, TH } from './lib/bytes.mjs';
import { handshake } from './lib/tls-gen.mjs';
import { TlsSession } from '../../agent/dist/protocols/tls/session.js';
import { AppInspector } from '../../agent/dist/flow/inspector.js';
import { Engine } from '../../agent/dist/engine.js';
import { ArraySink } from '../../agent/dist/output/writer.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dirs = seedDirectories(root);
const SEED = 20260601;
const out = mkdtempSync(join(tmpdir(), 'intransit-fuzz-test-'));
installFaultHooks();
const material = loadSeeds(dirs);

test('seeded pass: at least 20 000 mutated packets, no crash, hang, slow packet, bad document or lost packet', async () => {
  const started = Date.now();
  const t = await runFuzz({ seed: SEED, iterations: 2600, dirs, outDir: out, minimizeRuns: 60, log: (l) => console.log(`  ${l}`) });
  const secs = (Date.now() - started) / 1000;
  const known = Object.entries(t.known).map(([k, n]) => `${k} x${n}`).join(', ') || 'none';
  console.log(`  fuzz seed ${SEED}: ${t.cases} cases, ${t.packets} packets (${t.mutated} mutated, ${t.generated} generated), ${t.fileCases} capture files, slowest packet ${t.slowest.toFixed(1)} ms, peak heap ${(t.peakHeap / 1048576).toFixed(0)} MB, ${secs.toFixed(1)} s; known issues owned elsewhere: ${known}`);
  assert.equal(t.harnessErrors.map((h) => h.message), []);
  assert.equal(
    t.failures.flatMap((f) => f.failures.map((x) => `case ${f.index}: ${x.type}: ${x.message}`)),
    [],
    `failing cases saved in ${out}`,
  );
  assert.ok(t.mutated >= 20000, `${t.mutated} mutated packets`);
  assert.ok(t.slowest < 50, `slowest packet ${t.slowest} ms`);
  assert.ok(t.peakHeap < 512 * 1048576);
  assert.ok(secs < 60, `${secs} s`);
  for (const kind of ['packets', 'file', 'tls', 'quic', 'dtls', 'tunnel', 'pcapng']) assert.ok(t.byKind[kind] > 0, `no ${kind} case ran`);
});

test('cases are deterministic by seed and case number', () => {
  const bytes = (c) => (c.records ? Buffer.concat(c.records.map((r) => r.data)) : c.file);
  for (const i of [0, 1, 17, 400]) {
    const a = buildCase(material, SEED, i);
    const b = buildCase(material, SEED, i);
    assert.is(a.kind, b.kind);
    assert.ok(bytes(a).equals(bytes(b)), `case ${i}`);
  }
  assert.not.ok(bytes(buildCase(material, SEED, 5)).equals(bytes(buildCase(material, SEED + 1, 5))));
});

test('the document checks fail on broken output', () => {
  const sink = new ArraySink();
  const engine = new Engine(sink);
  const frame = eth(0x0800, ipv4(0x0a000001, 0x0a000002, 6, tcp(40000, 443, 1, 0, TH.SYN)));
  engine.packet(frame, 0, frame.length, frame.length, 1, 1700000000, 0);
  engine.packet(frame, 0, 10, frame.length, 1, 1700000000, 0); // truncated Ethernet: undecoded
  engine.finish({});
  assert.equal(checkDocuments(sink.docs, 2), []);
  assert.match(checkDocuments(sink.docs, 3).join('\n'), /summary.packets 2, 3 handed/);
  const docs = structuredClone(sink.docs);
  docs[0].network.community_id = 'nope';
  docs[0].source.port = 70000;
  docs[0]['@timestamp'] = '2023-13-01T00:00:00.000000Z';
  docs[0].intransit.tls = { malformed: ['internal-parse-error'] };
  docs[1].intransit.summary.undecoded['truncated-ethernet'] = 0;
  const bad = checkDocuments(docs, 2).join('\n');
  for (const m of [/community_id/, /source.port 70000/, /@timestamp/, /internal error/, /packets unaccounted for/]) assert.match(bad, m);
  assert.match(checkDocuments(docs.slice(0, 1), 2).join('\n'), /no summary/);
  const finding = { ...structuredClone(sink.docs[0]), event: { ...sink.docs[0].event, kind: 'alert', dataset: 'intransit.finding', severity: 9 }, rule: { id: 'x', name: 'x', category: 'SEC10', reference: 'r' }, message: 'a\nb' };
  const fb = checkDocuments([finding, sink.docs[1]], 2).join('\n');
  for (const m of [/event.severity 9/, /rule.category SEC10/, /control characters/]) assert.match(fb, m);
});

test('an exception swallowed by a parser guard is reported as a fault', () => {
  const c = buildCase(material, SEED, 3, { tls: 1 });
  const orig = TlsSession.prototype.addHistory;
  TlsSession.prototype.addHistory = function () {
    throw new Error('planted');
  };
  let r;
  try {
    r = runCase(c);
  } finally {
    TlsSession.prototype.addHistory = orig;
  }
  assert.ok(r.failures.some((f) => f.type === 'fault' && /planted/.test(f.message)), JSON.stringify(r.failures.slice(0, 2)));
  assert.equal(runCase(c).failures, []);
});

test('output that depends on bytes past the captured length is reported as an over-read', () => {
  const c = buildCase(material, SEED, 3, { tls: 1 });
  const orig = AppInspector.prototype.data;
  AppInspector.prototype.data = function (fromA, buf, off, len) {
    // planted bug: reads one byte past the segment and lets it decide
    return orig.call(this, fromA, buf, off, buf[off + len] === 0xa5 ? Math.max(0, len - 1) : len);
  };
  let r;
  try {
    r = runCase(c, { overread: true });
  } finally {
    AppInspector.prototype.data = orig;
  }
  assert.ok(r.failures.some((f) => f.type === 'overread'), JSON.stringify(r.failures.slice(0, 2)));
});

test('the locator finds the length fields of a TLS ClientHello frame', () => {
  const exts = cat(u16(0), vec16(vec16(cat(u8(0), vec16(Buffer.from('a.example'))))), u16(16), vec16(vec16(vec8(Buffer.from('h2')))), u16(51), vec16(vec16(cat(u16(29), vec16(Buffer.alloc(32))))));
  const body = cat(u16(0x0303), Buffer.alloc(32), vec8(Buffer.alloc(0)), vec16(u16(0x1301)), vec8(u8(0)), vec16(exts));
  const rec = cat(u8(22), u16(0x0301), vec16(handshake(1, body)));
  const frame = eth(0x0800, ipv4(1, 2, 6, tcp(1000, 443, 1, 0, TH.ACK, rec)));
  const names = locateFields(frame, 1).map((f) => f.name);
  for (const n of ['ipv4.ihl', 'ipv4.total_length', 'tcp.data_offset', 'tls.record_length', 'hs.length', 'hello.session_id_length', 'hello.cipher_suites_length', 'hello.compression_length', 'hello.extensions_length', 'ext.0.length', 'sni.name_length', 'alpn.name_length', 'key_share.entry_length']) {
    assert.ok(names.includes(n), `${n} not found in ${names}`);
  }
  const f = locateFields(frame, 1).find((x) => x.name === 'tls.record_length');
  assert.is(f.value, rec.length - 5);
});

test('generated QUIC Initials open with the real Initial keys; DTLS and tunnels reach their parsers', () => {
  const seen = { quic: 0, dtls: 0, tunnel: 0 };
  for (const kind of Object.keys(seen)) {
    for (let i = 0; i < 40; i++) {
      const c = buildCase(material, SEED, i, { [kind]: 1 });
      const sink = new ArraySink();
      const engine = new Engine(sink);
      for (const r of c.records) engine.packet(r.data, 0, r.data.length, r.origlen, r.lt, r.sec, r.nsec);
      engine.finish({});
      for (const d of sink.docs) {
        if (d.event.dataset !== 'intransit.session') continue;
        if (kind === 'quic' && d.tls?.client?.ja4?.startsWith('q')) seen.quic++;
        if (kind === 'dtls' && d.tls?.client?.ja4?.startsWith('d')) seen.dtls++;
        if (kind === 'tunnel' && d.intransit.tunnel?.length && d.tls?.client) seen.tunnel++;
      }
    }
  }
  assert.ok(seen.quic >= 10, `QUIC ClientHellos read: ${seen.quic}`);
  assert.ok(seen.dtls >= 10, `DTLS ClientHellos read: ${seen.dtls}`);
  assert.ok(seen.tunnel >= 5, `tunnelled ClientHellos read: ${seen.tunnel}`);
});

test('the runner stops a hanging case and a case that exhausts the heap, reports and resumes', async () => {
  const logs = [];
  const t = await runFuzz({ seed: SEED, iterations: 6, dirs: [join(root, 'captures')], hangMs: 1500, heapLimitMb: 64, inject: { hang: 1, oom: 3 }, minimizeRuns: 0, log: (l) => logs.push(l) });
  const types = t.failures.map((f) => `${f.index}:${f.failures[0].type}`);
  assert.equal(types, ['1:hang', '3:heap']);
  assert.ok(t.cases >= 4, `${t.cases} cases`);
});

test('the random generator: uniform enough and reproducible', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const counts = new Array(8).fill(0);
  for (let i = 0; i < 80000; i++) {
    const x = a.int(8);
    assert.is(x, b.int(8));
    counts[x]++;
  }
  for (const c of counts) assert.ok(c > 9000 && c < 11000, String(counts));
});

test.run();
