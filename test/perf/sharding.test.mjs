// `replay --workers N` shards flows over worker threads: its documents must be exactly those
// of one engine (order aside; the summary, merged from the workers', last). Checked on the
// bundled captures, on generated ones (make-bench-pcap: handshakes, and VXLAN-wrapped for the
// tunnel part of the shard key), on a capture whose IPv4 datagrams were fragmented (the
// reassembled packets travel decoded), and on several inputs in one run.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'agent/dist/cli.js');
const captures = join(root, 'captures');
const generator = join(root, '../shared/tools/make-bench-pcap.mjs');
const tmp = mkdtempSync(join(tmpdir(), 'intransit-sharding-'));

function replay(files, extra = []) {
  const r = spawnSync(process.execPath, [cli, 'replay', ...files, '--ndjson', '--no-progress', ...extra], { encoding: 'utf8', maxBuffer: 512 << 20 });
  assert.is(r.status, 0, `replay ${files.join(' ')} ${extra.join(' ')}: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l.length > 0);
}

/** Same documents, any order, the summary last. */
function assertSameDocuments(files, workers) {
  const one = replay(files);
  const many = replay(files, ['--workers', String(workers)]);
  assert.is(many.length, one.length, `${files.join(' ')}: document count with ${workers} workers`);
  assert.ok(JSON.parse(many[many.length - 1]).event.dataset === 'intransit.summary', 'summary last');
  assert.is(many[many.length - 1], one[one.length - 1], `${files.join(' ')}: summary with ${workers} workers`);
  const a = [...one].sort();
  const b = [...many].sort();
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) assert.fixture(b[i], a[i], `${files.join(' ')}: documents with ${workers} workers`);
  return one.length;
}

test('bundled captures: the same documents with 2 workers', () => {
  const files = readdirSync(captures).filter((n) => /\.pcap(ng)?$/.test(n)).sort();
  assert.ok(files.length > 10, 'bundled captures present');
  let docs = 0;
  for (const f of files) docs += assertSameDocuments([join(captures, f)], 2);
  assert.ok(docs > files.length * 2);
});

test('several inputs in one run: the same documents with 3 workers', () => {
  const files = readdirSync(captures).filter((n) => /\.pcap$/.test(n)).sort().slice(0, 6).map((n) => join(captures, n));
  assertSameDocuments(files, 3);
});

/** Rewrites a classic little-endian Ethernet pcap, splitting IPv4 datagrams over `mtu` into fragments. */
function fragmentPcap(src, dst, mtu) {
  const b = readFileSync(src);
  assert.is(b.readUInt32LE(0), 0xa1b2c3d4, 'little-endian microsecond pcap');
  assert.is(b.readUInt32LE(20) & 0xffff, 1, 'Ethernet');
  const out = [b.subarray(0, 24)];
  let fragmented = 0;
  const record = (hdr, frame) => {
    const h = Buffer.from(hdr);
    h.writeUInt32LE(frame.length, 8);
    h.writeUInt32LE(frame.length, 12);
    out.push(h, frame);
  };
  for (let p = 24; p + 16 <= b.length; ) {
    const caplen = b.readUInt32LE(p + 8);
    const hdr = b.subarray(p, p + 16);
    const frame = b.subarray(p + 16, p + 16 + caplen);
    p += 16 + caplen;
    const ip = 14;
    if (frame.length < ip + 20 || frame.readUInt16BE(12) !== 0x0800 || frame[ip] >> 4 !== 4) {
      record(hdr, frame);
      continue;
    }
    const hlen = (frame[ip] & 15) * 4;
    const total = frame.readUInt16BE(ip + 2);
    const payload = frame.subarray(ip + hlen, ip + total);
    if (payload.length <= mtu || frame.readUInt16BE(ip + 6) & 0x3fff) {
      record(hdr, frame);
      continue;
    }
    fragmented++;
    const step = mtu & ~7;
    for (let off = 0; off < payload.length; off += step) {
      const part = payload.subarray(off, Math.min(off + step, payload.length));
      const f = Buffer.alloc(ip + hlen + part.length);
      frame.copy(f, 0, 0, ip + hlen);
      part.copy(f, ip + hlen);
      f.writeUInt16BE(hlen + part.length, ip + 2);
      const more = off + step < payload.length ? 0x2000 : 0;
      f.writeUInt16BE(more | (off >> 3), ip + 6);
      record(hdr, f);
    }
  }
  writeFileSync(dst, Buffer.concat(out));
  return fragmented;
}

test('fragmented datagrams (reassembled on the reading thread): the same documents with 2 workers', () => {
  const names = ['curl-https.pcap', 'http-cleartext.pcap', 'smtp-starttls.pcap'].filter((n) => existsSync(join(captures, n)));
  assert.ok(names.length > 0);
  let fragmented = 0;
  for (const n of names) {
    const dst = join(tmp, `frag-${n}`);
    const k = fragmentPcap(join(captures, n), dst, 256);
    fragmented += k;
    if (k > 0) assert.match(replay([dst]).pop(), /ipv4-fragment-buffered/);
    assertSameDocuments([dst], 2);
  }
  assert.ok(fragmented > 0, 'some datagrams fragmented');
});

test('generated captures (handshakes, VXLAN): the same documents with 2 and 3 workers', () => {
  if (!existsSync(generator)) {
    console.log(`  (skipped: ${generator} not found)`);
    return;
  }
  const gen = (name, args) => {
    const file = join(tmp, name);
    const r = spawnSync(process.execPath, [generator, ...args, '--seed', '7', '-o', file], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    return file;
  };
  const hs = gen('handshake.pcap', ['--profile', 'handshake', '--size-mb', '6']);
  assert.ok(assertSameDocuments([hs], 2) > 500);
  assertSameDocuments([hs], 3);
  const vx = gen('mixed-vxlan.pcap', ['--profile', 'mixed', '--size-mb', '12', '--vxlan', '4242']);
  assertSameDocuments([vx], 2);
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));

test.run();
