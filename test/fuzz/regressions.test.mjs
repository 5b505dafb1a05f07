// Every bug the fuzzer found, kept: the captures in regressions/ (built by regressions/build.mjs)
// replay through the fuzz harness with no failure, and each one's specific symptom is checked.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCaptureFile } from '../../agent/dist/capture/index.js';
import { isoTime } from '../../agent/dist/output/format.js';
import { Engine } from '../../agent/dist/engine.js';
import { ArraySink } from '../../agent/dist/output/writer.js';
import { DtlsReassembler } from '../../agent/dist/protocols/dtls/fragments.js';
import { runCase } from './lib/harness.mjs';
import { installFaultHooks } from './lib/faults.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = join(root, 'test', 'fuzz', 'regressions');
const cli = join(root, 'agent', 'dist', 'cli.js');
installFaultHooks();

function records(file) {
  const recs = [];
  readCaptureFile(join(dir, file), (buf, off, caplen, origlen, lt, sec, nsec) => recs.push({ lt, sec, nsec, origlen, data: Buffer.from(buf.subarray(off, off + caplen)) }));
  return recs;
}

function replay(file) {
  const sink = new ArraySink();
  const engine = new Engine(sink);
  readCaptureFile(join(dir, file), engine.packet);
  engine.finish({});
  return sink.docs;
}

function cliRun(file) {
  const r = spawnSync(process.execPath, [cli, 'replay', join(dir, file), '--ndjson'], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, signal: r.signal, err: r.stderr, docs: (r.stdout || '').split('\n').filter(Boolean).map((l) => JSON.parse(l)) };
}

test('every regression capture passes the fuzz invariants (known issues owned elsewhere aside)', () => {
  const files = readdirSync(dir).filter((n) => /\.pcap(ng)?$/.test(n));
  assert.ok(files.length >= 5, files.join());
  for (const f of files) {
    const r = runCase({ records: records(f) }, { overread: true });
    assert.equal(r.failures.map((x) => `${x.type}: ${x.message}`), [], f);
  }
});

test('pcapng time beyond year 9999 (if_tsresol 10^0, 2^63 s): written as 9999-12-31, no crash (was: exit 70, RangeError)', () => {
  const r = cliRun('pcapng-time-out-of-range.pcapng');
  assert.is(r.code, 0, r.err);
  assert.is(r.docs[0]['@timestamp'], '9999-12-31T23:59:59.999999999Z');
  assert.is(r.docs.at(-1).event.dataset, 'intransit.summary');
  // the formatter is total: every number gives a four-digit-year ISO time
  for (const [sec, want] of [[2 ** 63, '9999-12-31T23:59:59.999999999Z'], [-(2 ** 63), '0000-01-01T00:00:00.000000Z'], [NaN, '0000-01-01T00:00:00.000000Z'], [253402300799, '9999-12-31T23:59:59.000000Z'], [0, '1970-01-01T00:00:00.000000Z']]) {
    assert.is(isoTime(sec, 0), want, String(sec));
  }
});

test('an overlapping IPv4 fragment that does not complete the datagram: counted once (buffered), the overlap as an event', () => {
  const docs = replay('ipv4-overlapping-fragment-accounting.pcap');
  const s = docs.at(-1).intransit.summary;
  assert.equal(s.undecoded, { 'ipv4-fragment-buffered': 2, 'fragment-overlap': 1 });
  assert.is(docs[0].source.packets + docs[0].destination.packets, 1); // the datagram, decoded
  assert.is(s.packets, 3); // 1 decoded + 2 buffered: every packet accounted for exactly once
});

test('a certificate whose notBefore is month 13: not_before left out, not an invalid ISO time', () => {
  const docs = replay('x509-invalid-time.pcap');
  const x = docs[0].tls.server.x509;
  assert.is(x.not_before, undefined);
  assert.is(x.not_after, '2024-01-01T00:00:00Z');
  assert.is(x.subject.common_name, 'expired.intransit.test');
});

test('DTLS: a message completed before the first hello, then the hello: the flow ends (was: endless loop in flush)', () => {
  const r = cliRun('dtls-complete-message-behind-hello.pcap');
  assert.is(r.signal, null, 'timed out');
  assert.is(r.code, 0, r.err);
  assert.is(r.docs[0].network.protocol, 'dtls');
  // the reassembler alone: deliver everything, in bounded steps
  const got = [];
  const ra = new DtlsReassembler((type, seq) => got.push(`${type}/${seq}`), 1 << 16, 1 << 20);
  const frag = (msgType, messageSeq, length) => ({ msgType, messageSeq, length, fragmentOffset: 0, fragmentLength: length, dataOffset: 0 });
  ra.fragment(frag(11, 0, 4), Buffer.alloc(4));
  ra.fragment(frag(1, 1, 4), Buffer.alloc(4));
  ra.end();
  assert.equal(got, ['1/1', '11/0']);
});

test('finding messages from a crafted SNI carry its control characters escaped', () => {
  // The SNI "www.example.test\r\nInjected: yes\x1b[31m" must not forge lines or drive a terminal.
  const r = runCase({ records: records('finding-message-sni-control-chars.pcap') });
  assert.equal(r.known, [], JSON.stringify(r.known));
  assert.equal(r.failures ?? [], [], JSON.stringify(r.failures));
});

test.run();
