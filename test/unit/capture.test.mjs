// Classic pcap reader, the file/stream drivers, gzip input and unusable input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { readCaptureFile, CaptureError } from '../../agent/dist/capture/index.js';
import { frame, pcapHeader, pcapRecord, readAllWays, readFile, readStream, tmpFile } from '../fixtures/capture/bytes.mjs';

const hex = (b) => b.toString('hex');

function threePackets({ le = true, ns = false, linktype = 1 } = {}) {
  const f = [frame(1, 60), frame(2, 1514), frame(3, 42)];
  const bytes = Buffer.concat([
    pcapHeader({ le, ns, linktype }),
    pcapRecord({ le, sec: 1700000000, frac: ns ? 123456789 : 123456, data: f[0] }),
    pcapRecord({ le, sec: 1700000001, frac: ns ? 999999999 : 999999, data: f[1], origlen: 1600 }),
    pcapRecord({ le, sec: 4294967295, frac: 0, data: f[2] }),
  ]);
  return { bytes, f };
}

for (const le of [true, false]) {
  for (const ns of [false, true]) {
    test(`pcap ${le ? 'little' : 'big'}-endian ${ns ? 'nanosecond' : 'microsecond'}: packets, lengths, link type, exact timestamps`, async () => {
      const { bytes, f } = threePackets({ le, ns, linktype: 113 });
      const r = await readAllWays(bytes);
      assert.is(r.error, undefined);
      assert.equal(r.stats, {
        format: 'pcap',
        packets: 3,
        capturedBytes: 60 + 1514 + 42,
        fileBytes: bytes.length,
        skippedBlocks: 0,
        truncated: false,
        warnings: [],
      });
      assert.equal(
        r.packets.map((p) => [p.data, p.caplen, p.origlen, p.linktype, p.tsSec, p.tsNsec]),
        [
          [hex(f[0]), 60, 60, 113, 1700000000, ns ? 123456789 : 123456000],
          [hex(f[1]), 1514, 1600, 113, 1700000001, 999999999 + (ns ? 0 : -999)],
          [hex(f[2]), 42, 42, 113, 4294967295, 0],
        ],
      );
    });
  }
}

test('pcap: Kuznetzov variant (24-byte record headers) and FCS bits of the link-type field', async () => {
  const bytes = Buffer.concat([
    pcapHeader({ kuznetzov: true, linktype: 0x14000001 }), // FCS length 1 (x 16 bits), present bit set
    pcapRecord({ kuznetzov: true, sec: 5, frac: 6, data: frame(9, 70) }),
    pcapRecord({ kuznetzov: true, sec: 7, frac: 8, data: frame(10, 80) }),
  ]);
  const r = await readAllWays(bytes);
  assert.equal(r.packets.map((p) => [p.data, p.linktype, p.tsSec, p.tsNsec]), [
    [hex(frame(9, 70)), 1, 5, 6000],
    [hex(frame(10, 80)), 1, 7, 8000],
  ]);
});

test('pcap: caplen above snaplen or origlen is accepted; a microsecond fraction past 1 s carries', async () => {
  const bytes = Buffer.concat([
    pcapHeader({ snaplen: 64 }),
    pcapRecord({ sec: 10, frac: 2500000, data: frame(1, 100), origlen: 50 }),
  ]);
  const r = await readAllWays(bytes);
  assert.equal(r.packets.map((p) => [p.caplen, p.origlen, p.tsSec, p.tsNsec]), [[100, 50, 12, 500000000]]);
  assert.equal(r.stats.warnings, []);
});

test('pcap: header only gives zero packets and no warning', async () => {
  const r = await readAllWays(pcapHeader());
  assert.is(r.stats.packets, 0);
  assert.is(r.stats.truncated, false);
  assert.equal(r.stats.warnings, []);
});

test('pcap: a record larger than the read buffer grows it and arrives intact', async () => {
  const big = frame(7, 200000);
  const bytes = Buffer.concat([pcapHeader({ snaplen: 262144 }), pcapRecord({ data: frame(1, 60) }), pcapRecord({ data: big }), pcapRecord({ data: frame(2, 60) })]);
  const r = readFile(tmpFile(bytes), { chunkBytes: 100 });
  assert.equal(r.packets.map((p) => p.caplen), [60, 200000, 60]);
  assert.is(r.packets[1].data, hex(big));
  await readAllWays(bytes); // every driver agrees
});

test('unusable input: empty file', async () => {
  const r = await readAllWays(Buffer.alloc(0));
  assert.instance(r.error, CaptureError);
  assert.is(r.error.message, 'empty file');
});

test('unusable input: a text file names its first bytes', async () => {
  const r = await readAllWays(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
  assert.instance(r.error, CaptureError);
  assert.is(r.error.message, 'not a pcap or pcapng capture (starts with 0x48545450)');
});

test('unusable input: fewer bytes than a magic number, and a pcap shorter than its global header', async () => {
  let r = await readAllWays(Buffer.from([0xd4, 0xc3]));
  assert.is(r.error.message, 'not a pcap or pcapng capture (only 2 bytes)');
  r = await readAllWays(pcapHeader().subarray(0, 20));
  assert.instance(r.error, CaptureError);
  assert.is(r.error.message, 'file shorter than the pcap global header (20 of 24 bytes)');
});

test('unusable input: missing file and directory', () => {
  assert.throws(() => readCaptureFile('/nonexistent/x.pcap', () => {}), (e) => e instanceof CaptureError && /cannot open \/nonexistent\/x\.pcap: ENOENT/.test(e.message));
  const d = tmpFile(Buffer.alloc(0), 'dir-placeholder') + '.d';
  mkdirSync(d);
  assert.throws(() => readCaptureFile(d, () => {}), (e) => e instanceof CaptureError && /directory/.test(e.message));
});

test('cut short mid-record: earlier packets delivered, truncated, warning names the offset', async () => {
  const { bytes } = threePackets();
  // record 3 starts at 24 + (16+60) + (16+1514) = 1630 and needs 16 + 42 bytes; keep 20 of them
  const r = await readAllWays(bytes.subarray(0, 1630 + 20));
  assert.is(r.error, undefined);
  assert.is(r.packets.length, 2);
  assert.is(r.stats.truncated, true);
  assert.equal(r.stats.warnings, ['capture cut short: record at byte offset 1630 needs 58 bytes, file ends after 20']);
  // cut inside the record header
  const h = await readAllWays(bytes.subarray(0, 1630 + 5));
  assert.is(h.packets.length, 2);
  assert.equal(h.stats.warnings, ['capture cut short: record at byte offset 1630 needs 16 bytes, file ends after 5']);
});

test('corrupt record length 2^31: stop there with a warning, keep earlier packets', async () => {
  const bytes = Buffer.concat([pcapHeader(), pcapRecord({ data: frame(1, 60) }), pcapRecord({ data: frame(2, 60), caplen: 0x80000000 }), pcapRecord({ data: frame(3, 60) })]);
  const r = await readAllWays(bytes);
  assert.is(r.packets.length, 1);
  assert.is(r.stats.truncated, true);
  assert.equal(r.stats.warnings, ['corrupt record at byte offset 100: captured length 2147483648 is larger than 268435456']);
});

test('corrupt very first record: unusable input', async () => {
  const bytes = Buffer.concat([pcapHeader(), pcapRecord({ data: frame(2, 60), caplen: 0x80000000 })]);
  const r = await readAllWays(bytes);
  assert.instance(r.error, CaptureError);
  assert.is(r.error.message, 'corrupt record at byte offset 24: captured length 2147483648 is larger than 268435456');
});

test('stream driver fed one byte at a time delivers what the file driver delivers', async () => {
  const { bytes } = threePackets({ le: false, ns: true });
  const path = tmpFile(bytes);
  const a = readFile(path);
  const b = await readStream(bytes, 1);
  assert.equal(b.packets, a.packets);
  assert.equal(b.stats, a.stats);
  assert.is(a.packets.length, 3);
});

test('progress callback reaches the file size', () => {
  const { bytes } = threePackets();
  const calls = [];
  readCaptureFile(tmpFile(bytes), () => {}, { chunkBytes: 256, onProgress: (d, t) => calls.push([d, t]) });
  assert.ok(calls.length > 1);
  assert.equal(calls[calls.length - 1], [bytes.length, bytes.length]);
});

test('gzip-compressed capture: file and stream drivers decompress it', async () => {
  const { bytes } = threePackets();
  const plain = readFile(tmpFile(bytes));
  const gz = gzipSync(bytes);
  const r = await readAllWays(gz);
  assert.equal(r.packets, plain.packets);
  assert.is(r.stats.packets, 3);
  assert.is(r.stats.fileBytes, bytes.length);
});

test('gzip-compressed capture cut short: packets before the cut, truncated, warned', async () => {
  const { bytes } = threePackets();
  const big = Buffer.concat([bytes, ...Array.from({ length: 200 }, (_, i) => pcapRecord({ sec: i, data: frame(i & 0xff, 300 + i) }))]);
  const gz = gzipSync(big, { level: 1 });
  const cut = gz.subarray(0, gz.length >> 1);
  for (const r of [readFile(tmpFile(cut)), await readStream(cut, 1000)]) {
    assert.is(r.error, undefined);
    assert.ok(r.packets.length > 3 && r.packets.length < 203, `got ${r.packets.length}`);
    assert.is(r.stats.truncated, true);
    assert.ok(r.stats.warnings.includes('gzip stream cut short'), r.stats.warnings.join('|'));
  }
});

test('gzip member that is not a capture: unusable input', async () => {
  const r = await readAllWays(gzipSync(Buffer.from('hello world, not a capture')));
  assert.instance(r.error, CaptureError);
  assert.is(r.error.message, 'not a pcap or pcapng capture (starts with 0x68656c6c)');
});

test.run();
