// pcapng reader: sections and byte orders, interfaces with their own link type and timestamp
// resolution/offset, every packet block type, skipped blocks, corrupt and cut-short input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CaptureError } from '../../agent/dist/capture/index.js';
import { Resolution, Timestamp, convertTimestamp } from '../../agent/dist/capture/timestamp.js';
import { block, epb, frame, idb, pb, readAllWays, shb, spb } from '../fixtures/capture/bytes.mjs';

const hex = (b) => b.toString('hex');
const pkt = (p) => [p.data, p.caplen, p.origlen, p.linktype, p.tsSec, p.tsNsec];

for (const le of [true, false]) {
  test(`pcapng ${le ? 'little' : 'big'}-endian: two interfaces, different link types and resolutions`, async () => {
    const a = frame(1, 60);
    const b = frame(2, 61); // padded to 64 in the block
    const bytes = Buffer.concat([
      shb({ le }),
      idb({ le, linktype: 1, snaplen: 65535, name: 'eth0' }), // default resolution: microseconds
      idb({ le, linktype: 101, snaplen: 0, tsresol: 9, name: 'tun0' }), // raw IP, nanoseconds
      epb({ le, ifid: 0, ts: 1700000000123456n, data: a }),
      epb({ le, ifid: 1, ts: 1700000000123456789n, data: b, origlen: 1500, comment: 'hello' }),
    ]);
    const r = await readAllWays(bytes);
    assert.is(r.error, undefined);
    assert.equal(r.stats, { format: 'pcapng', packets: 2, capturedBytes: 121, fileBytes: bytes.length, skippedBlocks: 0, truncated: false, warnings: [] });
    assert.equal(r.packets.map(pkt), [
      [hex(a), 60, 60, 1, 1700000000, 123456000],
      [hex(b), 61, 1500, 101, 1700000000, 123456789],
    ]);
  });
}

test('pcapng: if_tsresol 2^-10 and if_tsoffset (positive and negative)', async () => {
  const bytes = Buffer.concat([
    shb(),
    idb({ linktype: 1, tsresol: 0x8a, tsoffset: 1000 }),
    idb({ linktype: 1, tsresol: 6, tsoffset: -5 }),
    epb({ ifid: 0, ts: 10n * 1024n + 512n, data: frame(1) }), // 10.5 s
    epb({ ifid: 0, ts: 1n, data: frame(2) }), // 1/1024 s = 976562.5 ns, truncated
    epb({ ifid: 1, ts: 20n * 1000000n + 7n, data: frame(3) }),
  ]);
  const r = await readAllWays(bytes);
  assert.equal(r.packets.map((p) => [p.tsSec, p.tsNsec]), [
    [1010, 500000000],
    [1000, 976562],
    [15, 7000],
  ]);
});

test('pcapng: nanosecond timestamps beyond 2^53 are exact', async () => {
  const cases = [1700000000123456789n, 1700000000999999999n, 4102444800000000001n, 18446744073709551615n, 9007199254740993n];
  const bytes = Buffer.concat([shb({ le: false }), idb({ le: false, tsresol: 9 }), ...cases.map((ts, i) => epb({ le: false, ts, data: frame(i) }))]);
  const r = await readAllWays(bytes);
  assert.equal(
    r.packets.map((p) => [p.tsSec, p.tsNsec]),
    cases.map((v) => [Number(v / 1000000000n), Number(v % 1000000000n)]),
  );
  assert.equal(r.packets[0].tsSec + '.' + String(r.packets[0].tsNsec).padStart(9, '0'), '1700000000.123456789');
});

test('timestamp conversion matches exact BigInt arithmetic for every kind of resolution', () => {
  let seed = 12345;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0), seed);
  const codes = [0, 3, 6, 9, 12, 19, 0x80, 0x8a, 0x94, 0x97, 0x98, 0x9e, 0xa0];
  const out = new Timestamp();
  for (const code of codes) {
    const res = Resolution.fromByte(code);
    const n = BigInt(code & 0x7f);
    const units = code & 0x80 ? 1n << n : 10n ** n;
    for (let i = 0; i < 3000; i++) {
      // spread over small values, values near 2^53 and the whole 64-bit range
      const hi = i % 3 === 0 ? rnd() >>> 11 : i % 3 === 1 ? (0x1fffff + (rnd() & 3)) >>> 0 : rnd();
      const lo = rnd();
      const v = (BigInt(hi) << 32n) | BigInt(lo);
      const sec = v / units;
      const want = [Number(sec) + 7, Number(((v - sec * units) * 1000000000n) / units)];
      convertTimestamp(hi, lo, res, 7, out);
      if (sec > 2n ** 53n) continue; // seconds themselves beyond double precision: not meaningful
      if (out.sec !== want[0] || out.nsec !== want[1]) assert.unreachable(`code ${code} v ${v}: got ${out.sec}.${out.nsec}, want ${want.join('.')}`);
    }
  }
});

test('pcapng: simple packet blocks (interface 0, length bounded by snaplen/origlen/block) and obsolete packet blocks', async () => {
  const bytes = Buffer.concat([
    shb(),
    idb({ linktype: 113, snaplen: 64, tsresol: 9 }),
    idb({ linktype: 1 }),
    epb({ ifid: 0, ts: 5000000123n, data: frame(1, 40) }),
    spb({ data: frame(2, 100), origlen: 100 }), // snaplen 64 wins
    spb({ data: frame(3, 40), origlen: 38 }), // origlen wins, padding ignored
    spb({ data: frame(4, 20), origlen: 1500 }), // block body wins
    pb({ ifid: 1, ts: 7000001n, data: frame(5, 50), origlen: 60 }),
  ]);
  const r = await readAllWays(bytes);
  assert.equal(r.stats.packets, 5);
  assert.equal(r.stats.skippedBlocks, 0);
  assert.equal(r.packets.map(pkt), [
    [hex(frame(1, 40)), 40, 40, 113, 5, 123],
    [hex(frame(2, 100).subarray(0, 64)), 64, 100, 113, 5, 123], // no timestamp: the previous packet's
    [hex(frame(3, 38)), 38, 38, 113, 5, 123],
    [hex(frame(4, 20)), 20, 1500, 113, 5, 123],
    [hex(frame(5, 50)), 50, 60, 1, 7, 1000],
  ]);
});

test('pcapng: NRB, ISB, DSB, custom and unknown blocks are skipped and counted', async () => {
  const bytes = Buffer.concat([
    shb(),
    block(4, Buffer.from([1, 0, 4, 0, 10, 0, 0, 1, 0, 0, 0, 0])), // NRB with one IPv4 record + end
    idb(),
    epb({ ts: 1n, data: frame(1) }),
    block(5, Buffer.alloc(12)), // ISB
    block(0x0a, Buffer.alloc(16)), // DSB
    block(0x00000bad, Buffer.alloc(8)), // custom, copiable
    block(0x40000bad, Buffer.alloc(8)), // custom, not copiable
    block(0x1234567, Buffer.alloc(0)), // unknown, empty body
    epb({ ts: 2n, data: frame(2) }),
  ]);
  const r = await readAllWays(bytes);
  assert.is(r.stats.packets, 2);
  assert.is(r.stats.skippedBlocks, 6);
  assert.equal(r.stats.warnings, []);
});

test('pcapng: a second section switches byte order and starts a new interface list', async () => {
  const bytes = Buffer.concat([
    shb({ le: true }),
    idb({ le: true, linktype: 1 }),
    idb({ le: true, linktype: 1 }),
    epb({ le: true, ifid: 1, ts: 1000000n, data: frame(1) }),
    shb({ le: false }),
    idb({ le: false, linktype: 276, tsresol: 9 }),
    epb({ le: false, ifid: 0, ts: 2000000001n, data: frame(2) }),
    epb({ le: false, ifid: 1, ts: 3n, data: frame(3) }), // interface 1 belonged to section 1
    epb({ le: false, ifid: 1, ts: 4n, data: frame(4) }),
  ]);
  const r = await readAllWays(bytes);
  assert.equal(r.packets.map((p) => [p.data.slice(0, 2), p.linktype, p.tsSec, p.tsNsec]), [
    ['01', 1, 1, 0],
    ['02', 276, 2, 1],
  ]);
  assert.is(r.stats.skippedBlocks, 2);
  assert.is(r.stats.warnings.length, 1, 'one warning for the missing interface');
  assert.match(r.stats.warnings[0], /byte offset \d+ refers to interface 1, which has no interface description block/);
});

test('pcapng: packet block clamps a captured length running past the block; too-short blocks skipped with a warning', async () => {
  const bytes = Buffer.concat([
    shb(),
    idb(),
    epb({ data: frame(1, 40), caplen: 4000 }),
    block(6, Buffer.alloc(16)), // 28-byte EPB: no room for its fields
    epb({ data: frame(2, 44) }),
  ]);
  const r = await readAllWays(bytes);
  assert.equal(r.packets.map((p) => [p.caplen, p.data]), [
    [40, hex(frame(1, 40))],
    [44, hex(frame(2, 44))],
  ]);
  assert.is(r.stats.skippedBlocks, 1);
  assert.match(r.stats.warnings[0], /^enhanced packet block at byte offset \d+ is 28 bytes, shorter than its 32-byte minimum; skipped$/);
});

function goodStart() {
  return Buffer.concat([shb(), idb(), epb({ ts: 1n, data: frame(1) })]);
}

test('pcapng: block length not a multiple of 4 stops reading there, earlier packets kept', async () => {
  const head = goodStart();
  const bytes = Buffer.concat([head, block(6, Buffer.alloc(40), true, { length: 54 }), epb({ data: frame(2) })]);
  const r = await readAllWays(bytes);
  assert.is(r.packets.length, 1);
  assert.is(r.stats.truncated, true);
  assert.equal(r.stats.warnings, [`corrupt record at byte offset ${head.length}: block of type 0x00000006 has an invalid length 54`]);
});

test('pcapng: block length below 12, above the bound, or not matching its trailer', async () => {
  const head = goodStart();
  for (const [bad, reason] of [
    [block(6, Buffer.alloc(0), true, { length: 8 }), 'block of type 0x00000006 has an invalid length 8'],
    [block(6, Buffer.alloc(0), true, { length: 0x80000000 }), 'block of type 0x00000006 has an invalid length 2147483648'],
    [Buffer.concat([block(6, Buffer.alloc(40)).subarray(0, 48), Buffer.from([0, 1, 0, 0])]), 'block length 52 does not match its trailing copy 256'],
  ]) {
    const r = await readAllWays(Buffer.concat([head, bad, epb({ data: frame(2) })]));
    assert.is(r.packets.length, 1);
    assert.equal(r.stats.warnings, [`corrupt record at byte offset ${head.length}: ${reason}`]);
  }
});

test('pcapng: corrupt first block, bad byte-order magic, unknown version, short section header: unusable input', async () => {
  let r = await readAllWays(Buffer.concat([shb(), block(1, Buffer.alloc(8), true, { length: 22 })]));
  assert.instance(r.error, CaptureError);
  assert.is(r.error.message, 'corrupt record at byte offset 28: block of type 0x00000001 has an invalid length 22');
  const badBom = shb();
  badBom.writeUInt32LE(0x11223344, 8);
  r = await readAllWays(badBom);
  assert.is(r.error.message, 'corrupt record at byte offset 0: section header block with a bad byte-order magic 0x11223344');
  r = await readAllWays(Buffer.concat([shb({ major: 2 }), idb()]));
  assert.is(r.error.message, 'corrupt record at byte offset 0: section header block of unsupported pcapng version 2.0');
  r = await readAllWays(shb().subarray(0, 20));
  assert.instance(r.error, CaptureError);
  assert.is(r.error.message, 'file shorter than its pcapng section header block (20 of 28 bytes)');
});

test('pcapng: cut mid-block keeps earlier packets and warns', async () => {
  const head = goodStart();
  const cut = Buffer.concat([head, epb({ data: frame(2, 100) }).subarray(0, 50)]);
  const r = await readAllWays(cut);
  assert.is(r.packets.length, 1);
  assert.is(r.stats.truncated, true);
  assert.equal(r.stats.warnings, [`capture cut short: record at byte offset ${head.length} needs 132 bytes, file ends after 50`]);
});

test('pcapng: a section with interfaces but no packets', async () => {
  const r = await readAllWays(Buffer.concat([shb(), idb(), block(5, Buffer.alloc(12))]));
  assert.is(r.stats.packets, 0);
  assert.is(r.stats.skippedBlocks, 1);
  assert.is(r.stats.truncated, false);
});

test.run();
