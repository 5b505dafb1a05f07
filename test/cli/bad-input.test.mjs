// The contract's exit codes and messages for bad input, through the real CLI.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'agent', 'dist', 'cli.js');
const tmp = mkdtempSync(join(tmpdir(), 'intransit-bad-'));

function run(args, input) {
  const r = spawnSync(process.execPath, [cli, ...args], { input, encoding: 'utf8' });
  const docs = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  return { code: r.status, docs, err: r.stderr };
}
function file(name, bytes) {
  const p = join(tmp, name);
  writeFileSync(p, bytes);
  return p;
}

// -- a small valid capture: Ethernet/IPv4/TCP SYN, SYN-ACK, then a ClientHello
function pcapHeader(linktype = 1, snaplen = 65535) {
  const h = Buffer.alloc(24);
  h.writeUInt32LE(0xa1b2c3d4, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeUInt32LE(snaplen, 16);
  h.writeUInt32LE(linktype, 20);
  return h;
}
function record(frame, ts = 1700000000, caplen = frame.length, origlen = frame.length) {
  const h = Buffer.alloc(16);
  h.writeUInt32LE(ts, 0);
  h.writeUInt32LE(0, 4);
  h.writeUInt32LE(caplen, 8);
  h.writeUInt32LE(origlen, 12);
  return Buffer.concat([h, frame.subarray(0, caplen)]);
}
function tcpFrame(src, dst, sport, dport, seq, ack, flags, payload = Buffer.alloc(0)) {
  const eth = Buffer.from('0200000000020200000000010800', 'hex');
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + 20 + payload.length, 2);
  ip[8] = 64;
  ip[9] = 6;
  Buffer.from(src.split('.').map(Number)).copy(ip, 12);
  Buffer.from(dst.split('.').map(Number)).copy(ip, 16);
  const tcp = Buffer.alloc(20);
  tcp.writeUInt16BE(sport, 0);
  tcp.writeUInt16BE(dport, 2);
  tcp.writeUInt32BE(seq >>> 0, 4);
  tcp.writeUInt32BE(ack >>> 0, 8);
  tcp[12] = 5 << 4;
  tcp[13] = flags;
  tcp.writeUInt16BE(65535, 14);
  return Buffer.concat([eth, ip, tcp, payload]);
}
function clientHello(sni, { lie = 0 } = {}) {
  const name = Buffer.from(sni);
  const sniExt = Buffer.alloc(9 + name.length);
  sniExt.writeUInt16BE(0, 0);
  sniExt.writeUInt16BE(5 + name.length, 2);
  sniExt.writeUInt16BE(3 + name.length, 4);
  sniExt[6] = 0;
  sniExt.writeUInt16BE(name.length, 7);
  name.copy(sniExt, 9);
  const body = Buffer.concat([
    Buffer.from([3, 3]),
    Buffer.alloc(32, 7),
    Buffer.from([0]),
    Buffer.from([0, 4, 0xc0, 0x2f, 0x13, 0x01]),
    Buffer.from([1, 0]),
    Buffer.from([(sniExt.length >> 8) & 255, sniExt.length & 255]),
    sniExt,
  ]);
  const hs = Buffer.concat([Buffer.from([1, 0, (body.length + lie) >> 8, (body.length + lie) & 255]), body]);
  return Buffer.concat([Buffer.from([0x16, 3, 1, hs.length >> 8, hs.length & 255]), hs]);
}
function tlsCapture(hello) {
  return Buffer.concat([
    pcapHeader(),
    record(tcpFrame('10.0.0.1', '10.0.0.2', 40000, 443, 100, 0, 0x02)),
    record(tcpFrame('10.0.0.2', '10.0.0.1', 443, 40000, 900, 101, 0x12)),
    record(tcpFrame('10.0.0.1', '10.0.0.2', 40000, 443, 101, 901, 0x18, hello)),
  ]);
}

test('a valid capture: one session with the SNI, then the summary; exit 0', () => {
  const r = run(['replay', file('ok.pcap', tlsCapture(clientHello('www.example.test'))), '--ndjson']);
  assert.is(r.code, 0, r.err);
  assert.is(r.docs.length, 2);
  assert.is(r.docs[0].event.dataset, 'intransit.session');
  assert.is(r.docs[0].source.ip, '10.0.0.1');
  assert.is(r.docs[0].destination.port, 443);
  assert.is(r.docs[0].network.protocol, 'tls');
  assert.is(r.docs[0].tls.client.server_name, 'www.example.test');
  assert.is(r.docs[1].event.dataset, 'intransit.summary');
});

test('standard input reads the same capture', () => {
  const r = run(['replay', '-', '--ndjson'], tlsCapture(clientHello('stdin.example.test')));
  assert.is(r.code, 0, r.err);
  assert.is(r.docs[0].tls.client.server_name, 'stdin.example.test');
});

test('an empty file: exit 2 and one line', () => {
  const r = run(['replay', file('empty.pcap', Buffer.alloc(0)), '--ndjson']);
  assert.is(r.code, 2);
  assert.is(r.docs.length, 0);
  assert.is(r.err.trim().split('\n').length, 1);
  assert.match(r.err, /empty/);
});

test('a text file: exit 2 and one line', () => {
  const r = run(['replay', file('notes.txt', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'), '--ndjson']);
  assert.is(r.code, 2);
  assert.is(r.err.trim().split('\n').length, 1);
  assert.match(r.err, /not a pcap/);
});

test('a missing file: exit 2', () => {
  const r = run(['replay', join(tmp, 'nope.pcap'), '--ndjson']);
  assert.is(r.code, 2);
  assert.match(r.err, /nope\.pcap/);
});

test('a capture cut mid-record: read up to the cut, warned, exit 0', () => {
  const whole = tlsCapture(clientHello('cut.example.test'));
  const r = run(['replay', file('cut.pcap', whole.subarray(0, whole.length - 30)), '--ndjson']);
  assert.is(r.code, 0, r.err);
  assert.match(r.err, /cut short/);
  const summary = r.docs.at(-1);
  assert.is(summary.event.dataset, 'intransit.summary');
  assert.is(summary.intransit.summary.packets, 2);
  assert.is(r.docs[0].event.dataset, 'intransit.session');
});

test('a ClientHello whose lengths point past the end: session kept, no crash', () => {
  const r = run(['replay', file('lie.pcap', tlsCapture(clientHello('lie.example.test', { lie: 4000 }))), '--ndjson']);
  assert.is(r.code, 0, r.err);
  assert.is(r.docs[0].event.dataset, 'intransit.session');
  assert.is(r.docs.at(-1).event.dataset, 'intransit.summary');
});

test('packets truncated by snaplen are decoded as far as they go', () => {
  const hello = clientHello('snap.example.test');
  const frames = [
    record(tcpFrame('10.0.0.1', '10.0.0.2', 40001, 443, 100, 0, 0x02)),
    record(tcpFrame('10.0.0.2', '10.0.0.1', 443, 40001, 900, 101, 0x12)),
  ];
  const f = tcpFrame('10.0.0.1', '10.0.0.2', 40001, 443, 101, 901, 0x18, hello);
  frames.push(record(f, 1700000001, 64, f.length));
  const r = run(['replay', file('snap.pcap', Buffer.concat([pcapHeader(1, 64), ...frames])), '--ndjson']);
  assert.is(r.code, 0, r.err);
  const s = r.docs[0];
  assert.is(s.source.packets, 2);
  assert.is(s.intransit.flow.snaplen_truncated, true);
});

test('usage errors exit 2; --help exits 0', () => {
  assert.is(run(['replay']).code, 2);
  assert.is(run(['replay', '--bogus', 'x']).code, 2);
  assert.is(run(['frobnicate']).code, 2);
  const h = spawnSync(process.execPath, [cli, 'replay', '--help'], { encoding: 'utf8' });
  assert.is(h.status, 0);
  assert.match(h.stdout, /usage: intransit replay/);
});

test.run();
