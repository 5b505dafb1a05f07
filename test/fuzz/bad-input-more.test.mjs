// Bad files and streams through the real CLI, beyond test/cli/bad-input.test.mjs: every input
// kind the contract names (pcap in both byte orders, micro- and nanoseconds, pcapng in both
// byte orders, each required link type, standard input, gzip, directories), and the broken
// ones: a record length of 2^31, a pcapng block length not a multiple of 4, standard input
// that stops mid-record, unreadable paths, unsupported link types, a reader that closes the
// pipe. Exit codes and messages per /work/shared/spec/CONTRACT.md: 0 when the capture was
// read (a cut is warned about), 1 for --fail-on, 2 for unusable input with one line on stderr.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { cat, u8, u16, vec8, vec16, ipv4, ipv6, tcp, TH, pcapngBlock } from './lib/bytes.mjs';
import { handshake } from './lib/tls-gen.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'agent', 'dist', 'cli.js');
const tmp = mkdtempSync(join(tmpdir(), 'intransit-bad-more-'));
const T = 1700000000;

function run(args, input) {
  const r = spawnSync(process.execPath, [cli, ...args], { input, encoding: 'utf8', timeout: 30_000 });
  const docs = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  return { code: r.status, docs, err: r.stderr, out: r.stdout };
}
function file(name, bytes) {
  const p = join(tmp, name);
  writeFileSync(p, bytes);
  return p;
}
const oneLine = (err) => err.trim().split('\n').length === 1;
const summaryOf = (docs) => docs.at(-1).intransit.summary;
const sessions = (docs) => docs.filter((d) => d.event.dataset === 'intransit.session');

// ---------------------------------------------------------------- building captures

function clientHello(sni) {
  const exts = cat(u16(0), vec16(vec16(cat(u8(0), vec16(Buffer.from(sni))))));
  const body = cat(u16(0x0303), Buffer.alloc(32, 5), vec8(Buffer.alloc(0)), vec16(cat(u16(0x1301), u16(0xc02f))), vec8(u8(0)), vec16(exts));
  return cat(u8(22), u16(0x0301), vec16(handshake(1, body)));
}

/** The IP packets of a TLS connection: SYN, SYN-ACK, ClientHello (IPv4 or IPv6). */
function ipPackets(sni, v6 = false) {
  const A = v6 ? Buffer.from('20010db8000000000000000000000001', 'hex') : 0x0a000001;
  const B = v6 ? Buffer.from('20010db8000000000000000000000002', 'hex') : 0x0a000002;
  const ip = v6 ? ipv6 : ipv4;
  return [
    ip(A, B, 6, tcp(40000, 443, 100, 0, TH.SYN)),
    ip(B, A, 6, tcp(443, 40000, 900, 101, TH.SYN | TH.ACK)),
    ip(A, B, 6, tcp(40000, 443, 101, 901, TH.ACK | TH.PSH, clientHello(sni))),
  ];
}

/** Wraps an IP packet for a link type. */
function frameFor(linktype, ipPkt) {
  const v6 = ipPkt[0] >> 4 === 6;
  const etype = v6 ? 0x86dd : 0x0800;
  switch (linktype) {
    case 1:
      return cat(Buffer.from('020000000002020000000001', 'hex'), u16(etype), ipPkt);
    case 113: // Linux SLL: packet type, ARPHRD_ETHER, address length, address (8), protocol
      return cat(u16(0), u16(1), u16(6), Buffer.from('0200000000010000', 'hex'), u16(etype), ipPkt);
    case 276: // SLL2: protocol, reserved, ifindex, ARPHRD_ETHER, packet type, address length, address (8)
      return cat(u16(etype), u16(0), Buffer.from([0, 0, 0, 2]), u16(1), u8(0), u8(6), Buffer.from('0200000000010000', 'hex'), ipPkt);
    case 0: // BSD null: address family in the capturing host's byte order (little-endian here)
      return cat(Buffer.from([v6 ? 30 : 2, 0, 0, 0]), ipPkt);
    case 108: // OpenBSD loop: address family in network byte order
      return cat(Buffer.from([0, 0, 0, v6 ? 24 : 2]), ipPkt);
    default: // raw IP (101, 228, 229)
      return ipPkt;
  }
}

/** Classic pcap: byte order, microsecond or nanosecond magic. */
function pcap(frames, { linktype = 1, le = true, nano = false, major = 2 } = {}) {
  const w32 = (b, v, o) => (le ? b.writeUInt32LE(v >>> 0, o) : b.writeUInt32BE(v >>> 0, o));
  const w16 = (b, v, o) => (le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
  const h = Buffer.alloc(24);
  w32(h, nano ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  w16(h, major, 4);
  w16(h, 4, 6);
  w32(h, 262144, 16);
  w32(h, linktype, 20);
  const parts = [h];
  frames.forEach((f, i) => {
    const r = Buffer.alloc(16);
    w32(r, T, 0);
    w32(r, nano ? i * 1000 + 7 : i, 4);
    w32(r, f.length, 8);
    w32(r, f.length, 12);
    parts.push(r, f);
  });
  return Buffer.concat(parts);
}

function pcapng(frames, { linktype = 1, le = true } = {}) {
  const b32 = (v) => {
    const x = Buffer.alloc(4);
    if (le) x.writeUInt32LE(v >>> 0);
    else x.writeUInt32BE(v >>> 0);
    return x;
  };
  const b16 = (v) => {
    const x = Buffer.alloc(2);
    if (le) x.writeUInt16LE(v);
    else x.writeUInt16BE(v);
    return x;
  };
  const shb = cat(b32(0x1a2b3c4d), b16(1), b16(0), Buffer.alloc(8, 0xff));
  const idb = cat(b16(linktype), b16(0), b32(262144));
  const blocks = [pcapngBlock(0x0a0d0d0a, shb, le), pcapngBlock(1, idb, le)];
  frames.forEach((f, i) => {
    const ts = BigInt(T) * 1000000n + BigInt(i);
    blocks.push(pcapngBlock(6, cat(b32(0), b32(Number(ts >> 32n)), b32(Number(ts & 0xffffffffn)), b32(f.length), b32(f.length), f), le));
  });
  return Buffer.concat(blocks);
}

const tlsFrames = (sni, linktype = 1, v6 = false) => ipPackets(sni, v6).map((p) => frameFor(linktype, p));

// ---------------------------------------------------------------- every kind the contract reads

for (const [name, opts] of [
  ['pcap little-endian microseconds', { le: true }],
  ['pcap big-endian microseconds', { le: false }],
  ['pcap little-endian nanoseconds', { le: true, nano: true }],
  ['pcap big-endian nanoseconds', { le: false, nano: true }],
]) {
  test(`${name}: read, exit 0`, () => {
    const r = run(['replay', file(`${name.replaceAll(' ', '-')}.pcap`, pcap(tlsFrames('order.example'), opts)), '--ndjson']);
    assert.is(r.code, 0, r.err);
    assert.is(r.err, '');
    assert.is(sessions(r.docs)[0].tls.client.server_name, 'order.example');
    if (opts.nano) assert.is(sessions(r.docs)[0].event.end, '2023-11-14T22:13:20.000002007Z');
  });
}

for (const le of [true, false]) {
  test(`pcapng ${le ? 'little' : 'big'}-endian: read, exit 0`, () => {
    const r = run(['replay', file(`ng-${le}.pcapng`, pcapng(tlsFrames('ng.example'), { le })), '--ndjson']);
    assert.is(r.code, 0, r.err);
    assert.is(sessions(r.docs)[0].tls.client.server_name, 'ng.example');
  });
}

for (const [lt, name, v6] of [
  [1, 'Ethernet', false],
  [113, 'Linux SLL', false],
  [276, 'Linux SLL2', true],
  [101, 'raw IP (IPv4)', false],
  [101, 'raw IP (IPv6)', true],
  [228, 'IPv4', false],
  [229, 'IPv6', true],
  [0, 'BSD null/loopback (IPv4)', false],
  [0, 'BSD null/loopback (IPv6)', true],
  [108, 'OpenBSD loop', false],
]) {
  test(`link type ${lt} (${name}): the connection is decoded`, () => {
    const r = run(['replay', file(`lt-${lt}-${v6}.pcap`, pcap(tlsFrames(`lt${lt}.example`, lt, v6), { linktype: lt })), '--ndjson']);
    assert.is(r.code, 0, r.err);
    const s = sessions(r.docs);
    assert.is(s.length, 1);
    assert.is(s[0].network.type, v6 ? 'ipv6' : 'ipv4');
    assert.is(s[0].tls.client.server_name, `lt${lt}.example`);
    assert.equal(summaryOf(r.docs).undecoded, {});
  });
}

test('an unsupported link type: read (exit 0), every packet counted as undecoded by reason', () => {
  const r = run(['replay', file('lt-147.pcap', pcap(tlsFrames('x'), { linktype: 147 })), '--ndjson']);
  assert.is(r.code, 0, r.err);
  assert.is(sessions(r.docs).length, 0);
  assert.equal(summaryOf(r.docs).undecoded, { 'unsupported-linktype-147': 3 });
});

test('a pcap of an unknown major version: warned, read as 2.4', () => {
  const r = run(['replay', file('v3.pcap', pcap(tlsFrames('v3.example'), { major: 3 })), '--ndjson']);
  assert.is(r.code, 0, r.err);
  assert.match(r.err, /unusual pcap format version 3/);
  assert.is(sessions(r.docs)[0].tls.client.server_name, 'v3.example');
});

test('a pcap header and no record: exit 0, an empty summary', () => {
  const r = run(['replay', file('header-only.pcap', pcap([])), '--ndjson']);
  assert.is(r.code, 0, r.err);
  assert.is(r.docs.length, 1);
  assert.is(summaryOf(r.docs).packets, 0);
});

// ---------------------------------------------------------------- broken framing

test('a pcap record whose captured length is 2^31 after good records: kept up to it, warned, exit 0', () => {
  const good = pcap(tlsFrames('before.example'));
  const bad = Buffer.alloc(16 + 64);
  bad.writeUInt32LE(T, 0);
  bad.writeUInt32LE(0x80000000, 8);
  bad.writeUInt32LE(0x80000000, 12);
  const r = run(['replay', file('len-2-31.pcap', cat(good, bad)), '--ndjson']);
  assert.is(r.code, 0, r.err);
  assert.match(r.err, /corrupt record at byte offset \d+: captured length 2147483648/);
  assert.is(summaryOf(r.docs).packets, 3);
  assert.is(sessions(r.docs)[0].tls.client.server_name, 'before.example');
  assert.is(summaryOf(r.docs).capture.files[0].truncated, true);
});

test('a pcap whose first record has captured length 2^31: unusable, exit 2, one line', () => {
  const bad = Buffer.alloc(16 + 64);
  bad.writeUInt32LE(0x80000000, 8);
  const r = run(['replay', file('first-2-31.pcap', cat(pcap([]), bad)), '--ndjson']);
  assert.is(r.code, 2);
  assert.is(r.docs.length, 0);
  assert.ok(oneLine(r.err), r.err);
  assert.match(r.err, /captured length 2147483648/);
});

test('a pcapng block whose length is not a multiple of 4 after good blocks: kept up to it, warned, exit 0', () => {
  const good = pcapng(tlsFrames('ng-before.example'));
  const odd = pcapngBlock(6, Buffer.alloc(40));
  odd.writeUInt32LE(odd.length - 2, 4); // 2 bytes short of its real length, not a multiple of 4
  const r = run(['replay', file('odd-block.pcapng', cat(good, odd)), '--ndjson']);
  assert.is(r.code, 0, r.err);
  assert.match(r.err, /invalid length \d+/);
  assert.is(summaryOf(r.docs).packets, 3);
  assert.is(sessions(r.docs)[0].tls.client.server_name, 'ng-before.example');
});

test('a pcapng whose section header block length is not a multiple of 4: unusable, exit 2, one line', () => {
  const bytes = pcapng(tlsFrames('x'));
  bytes.writeUInt32LE(30, 4);
  const r = run(['replay', file('odd-shb.pcapng', bytes), '--ndjson']);
  assert.is(r.code, 2);
  assert.ok(oneLine(r.err), r.err);
  assert.match(r.err, /invalid length 30/);
});

test('a pcapng block whose trailing length disagrees: kept up to it, warned, exit 0', () => {
  const good = pcapng(tlsFrames('trailer.example'));
  const block = pcapngBlock(6, Buffer.alloc(40));
  block.writeUInt32LE(12345, block.length - 4);
  const r = run(['replay', file('trailer.pcapng', cat(good, block)), '--ndjson']);
  assert.is(r.code, 0, r.err);
  assert.match(r.err, /does not match its trailing copy 12345/);
  assert.is(summaryOf(r.docs).packets, 3);
});

test('a capture of 3 bytes, and gzip holding no capture: unusable, exit 2, one line each', () => {
  for (const [name, bytes, re] of [
    ['three.pcap', Buffer.from([0xd4, 0xc3, 0xb2]), /only 3 bytes/],
    ['text.pcap.gz', gzipSync(Buffer.from('hello, not a capture\n')), /not a pcap/],
    ['broken.gz', Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8]), /./],
  ]) {
    const r = run(['replay', file(name, bytes), '--ndjson']);
    assert.is(r.code, 2, `${name}: ${r.err}`);
    assert.ok(oneLine(r.err), `${name}: ${r.err}`);
    assert.match(r.err, re);
    assert.is(r.out, '');
  }
});

test('a gzip-compressed capture cut mid-record: read up to the cut, warned, exit 0', () => {
  const whole = gzipSync(pcap(tlsFrames('gz.example')));
  const r = run(['replay', file('cut.pcap.gz', whole.subarray(0, whole.length - 60)), '--ndjson']);
  assert.is(r.code, 0, r.err);
  assert.match(r.err, /warning/);
  assert.ok(summaryOf(r.docs).packets >= 1);
});

test('unreadable paths: exit 2 with the path and the reason, nothing on standard output', () => {
  mkdirSync(join(tmp, 'empty-dir'), { recursive: true });
  for (const [p, re] of [
    [join(tmp, 'header-only.pcap', 'inside'), /ENOTDIR/],
    [join(tmp, 'empty-dir'), /directory holds no capture files/],
    [join(tmp, 'no-such.pcap'), /ENOENT/],
  ]) {
    const r = run(['replay', p, '--ndjson']);
    assert.is(r.code, 2, p);
    assert.ok(oneLine(r.err), r.err);
    assert.ok(r.err.includes(p), r.err);
    assert.match(r.err, re);
    assert.is(r.out, '');
  }
});

test('a directory holding a good and an unusable capture: the good one read, the other reported, exit 0', () => {
  const d = join(tmp, 'mixed');
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'a-good.pcap'), pcap(tlsFrames('dir.example')));
  writeFileSync(join(d, 'b-text.pcap'), 'not a capture at all\n');
  const r = run(['replay', d, '--ndjson']);
  assert.is(r.code, 0, r.err);
  assert.match(r.err, /b-text\.pcap: not a pcap or pcapng capture/);
  assert.is(sessions(r.docs)[0].tls.client.server_name, 'dir.example');
  const files = summaryOf(r.docs).capture.files;
  assert.is(files.length, 2);
  assert.match(files[1].error, /not a pcap/);
});

test('--fail-on: exit 1 when a finding reaches the severity, 0 below it, 2 for a bad value', () => {
  // TLS 1.0 offered only: tls-deprecated-version
  const body = cat(u16(0x0301), Buffer.alloc(32, 5), vec8(Buffer.alloc(0)), vec16(u16(0x002f)), vec8(u8(0)));
  const old = cat(u8(22), u16(0x0301), vec16(handshake(1, body)));
  const A = 0x0a000001;
  const B = 0x0a000002;
  const frames = [ipv4(A, B, 6, tcp(1, 443, 1, 0, TH.SYN)), ipv4(B, A, 6, tcp(443, 1, 9, 2, TH.SYN | TH.ACK)), ipv4(A, B, 6, tcp(1, 443, 2, 10, TH.ACK, old))].map((p) => frameFor(1, p));
  const f = file('old.pcap', pcap(frames));
  const r = run(['replay', f, '--ndjson']);
  assert.is(r.code, 0, r.err);
  const max = Math.max(...r.docs.filter((d) => d.event.dataset === 'intransit.finding').map((d) => d.event.severity));
  assert.ok(max >= 2, String(max));
  const names = ['info', 'low', 'medium', 'high', 'critical'];
  assert.is(run(['replay', f, '--ndjson', '--fail-on', names[max - 1]]).code, 1);
  if (max < 5) assert.is(run(['replay', f, '--ndjson', '--fail-on', names[max]]).code, 0);
  const bad = run(['replay', f, '--ndjson', '--fail-on', 'severe']);
  assert.is(bad.code, 2);
  assert.ok(oneLine(bad.err));
});

// ---------------------------------------------------------------- standard input

/** Runs the CLI on `-`, writing `chunks` to its standard input with pauses, then closing it. */
function runStdin(chunks, pauseMs = 30) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'replay', '-', '--ndjson'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, err, out, docs: out.split('\n').filter(Boolean).map((l) => JSON.parse(l)) }));
    child.stdin.on('error', () => {}); // the CLI may stop reading first
    let i = 0;
    const next = () => {
      if (i >= chunks.length) {
        child.stdin.end();
        return;
      }
      child.stdin.write(chunks[i++]);
      setTimeout(next, pauseMs);
    };
    next();
  });
}

test('standard input that stops mid-record (written in pieces): read up to the cut, warned, exit 0', async () => {
  const whole = pcap(tlsFrames('stdin-cut.example'));
  const cut = whole.subarray(0, whole.length - 25); // inside the ClientHello record
  const pieces = [cut.subarray(0, 10), cut.subarray(10, 100), cut.subarray(100, 101), cut.subarray(101)];
  const r = await runStdin(pieces);
  assert.is(r.code, 0, r.err);
  assert.match(r.err, /standard input: capture cut short: record at byte offset \d+ needs \d+ bytes, file ends after \d+/);
  assert.is(summaryOf(r.docs).packets, 2);
  assert.is(summaryOf(r.docs).capture.files[0].truncated, true);
  assert.is(sessions(r.docs).length, 1);
});

test('standard input: pcapng cut mid-block, and a cut inside the first header', async () => {
  const ng = pcapng(tlsFrames('stdin-ng.example'));
  const r = await runStdin([ng.subarray(0, 50), ng.subarray(50, ng.length - 9)]);
  assert.is(r.code, 0, r.err);
  assert.match(r.err, /cut short/);
  assert.is(summaryOf(r.docs).packets, 2);
  const h = await runStdin([pcap([]).subarray(0, 10)]);
  assert.is(h.code, 2);
  assert.ok(oneLine(h.err), h.err);
  assert.match(h.err, /standard input: file shorter than the pcap global header \(10 of 24 bytes\)/);
});

test('standard input: empty, or not a capture: exit 2, one line', async () => {
  const e = await runStdin([]);
  assert.is(e.code, 2);
  assert.ok(oneLine(e.err), e.err);
  assert.match(e.err, /standard input: empty/);
  const t = await runStdin([Buffer.from('GET / HTTP/1.1\r\n\r\n')]);
  assert.is(t.code, 2);
  assert.match(t.err, /standard input: not a pcap or pcapng capture/);
});

test('standard input, gzip-compressed, in pieces: read like a file', async () => {
  const gz = gzipSync(pcap(tlsFrames('stdin-gz.example')));
  const r = await runStdin([gz.subarray(0, 7), gz.subarray(7, 40), gz.subarray(40)]);
  assert.is(r.code, 0, r.err);
  assert.is(sessions(r.docs)[0].tls.client.server_name, 'stdin-gz.example');
});

test('a reader that closes the pipe early (| head -1): the CLI ends quietly, exit 0', async () => {
  const frames = [];
  for (let i = 0; i < 3000; i++) frames.push(frameFor(1, ipv4(0x0b000000 + i, 0x0a000001, 6, tcp(1000, 443, i, 0, TH.SYN))));
  const f = file('many.pcap', pcap(frames));
  const r = await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'replay', f, '--ndjson'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    let first = null;
    child.stdout.on('data', (d) => {
      if (first === null) {
        first = String(d).split('\n')[0];
        child.stdout.destroy();
      }
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, err, first }));
  });
  assert.is(r.code, 0, r.err);
  assert.is(r.err, '');
  assert.is(JSON.parse(r.first).event.dataset, 'intransit.session');
});

test.run();
