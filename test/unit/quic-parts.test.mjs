// The QUIC session's parts on their own: varints, transport parameters, Initial frames,
// CRYPTO stream reassembly and its bounds.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readVarint, decodeTransportParameters } from '../../agent/dist/protocols/quic/transport-params.js';
import { parseInitialFrames } from '../../agent/dist/protocols/quic/frames.js';
import { CryptoStream, MAX_CRYPTO_OFFSET } from '../../agent/dist/protocols/quic/crypto-stream.js';
import { cat, F, varint, transportParams } from './quic-builder.mjs';

test('varints (RFC 9000 A.1 examples)', () => {
  const v = (hex) => {
    const b = Buffer.from(hex, 'hex');
    return readVarint(b, 0, b.length);
  };
  assert.is(v('c2197c5eff14e88c'), 151288809941952652);
  assert.is(v('9d7f3e7d'), 494878333);
  assert.is(v('7bbd'), 15293);
  assert.is(v('25'), 37);
  assert.is(v('4025'), 37);
  assert.is(v('3b'), 59);
  assert.is(v('9d7f3e'), -1, 'cut short');
  assert.is(v(''), -1);
});

test('transport parameters: exact large values, preferred address, version information', () => {
  const pa = cat(Buffer.from([192, 0, 2, 1]), Buffer.from([0x01, 0xbb]), Buffer.alloc(15), Buffer.from([1]), Buffer.from([0x01, 0xbc]), Buffer.from([4]), Buffer.from('aabbccdd', 'hex'), Buffer.alloc(16, 9));
  const tp = decodeTransportParameters(transportParams([
    [0x04, Buffer.from('ffffffffffffffff', 'hex')],
    [0x00, Buffer.from('0102', 'hex')],
    [0x02, Buffer.alloc(16, 1)],
    [0x0c, Buffer.alloc(0)],
    [0x0d, pa],
    [0x11, Buffer.from('000000016b3343cf00000001', 'hex')],
    [0x20, varint(65535)],
    [0xff73db, Buffer.alloc(4)],
  ]));
  assert.equal(tp, {
    initial_max_data: '4611686018427387903',
    original_destination_connection_id: '0102',
    stateless_reset_token: true,
    disable_active_migration: true,
    preferred_address: { ipv4: '192.0.2.1:443', ipv6: '[0:0:0:0:0:0:0:1]:444', connection_id: 'aabbccdd' },
    version_information: { chosen: '0x00000001', available: ['0x6b3343cf', '0x00000001'] },
    max_datagram_frame_size: 65535,
    unknown: ['0xff73db'],
  });
});

test('transport parameters: malformed entries are flagged, never thrown', () => {
  assert.equal(decodeTransportParameters(Buffer.from('0105', 'hex')), { malformed: true }, 'length past the end');
  assert.equal(decodeTransportParameters(Buffer.from('040280', 'hex')), { malformed: true }, 'length past the end (2)');
  assert.equal(decodeTransportParameters(Buffer.from('01024005', 'hex')).max_idle_timeout, 5);
  assert.equal(decodeTransportParameters(Buffer.from('0102050505', 'hex')).malformed, true, 'value not one varint');
  assert.equal(decodeTransportParameters(Buffer.from('0d0401020304', 'hex')), { malformed: true }, 'short preferred_address');
  assert.equal(decodeTransportParameters(Buffer.alloc(0)), {});
  const all = Buffer.from('0104800075300f0411223344', 'hex');
  for (let n = 0; n <= all.length; n++) decodeTransportParameters(all.subarray(0, n));
});

test('Initial frames: every kind, and truncation at every length', () => {
  const seen = [];
  const closes = [];
  const sink = { crypto: (at, b, o, l) => seen.push([at, b.toString('hex', o, o + l)]), connectionClose: (c) => closes.push(c) };
  const body = cat(F.padding(5), F.ping(), F.ack(9, { ecn: true, ranges: 2 }), F.crypto(3, Buffer.from('abcd', 'hex')), F.close(0x10a, 6, 'x'), F.appClose(1, 'bye'));
  assert.is(parseInitialFrames(body, 0, body.length, sink), null);
  assert.equal(seen, [[3, 'abcd']]);
  assert.is(closes.length, 2);
  assert.equal(closes[1], { application: true, errorCode: 1, frameType: -1, reason: 'bye' });
  for (let n = 0; n < body.length; n++) {
    const r = parseInitialFrames(body, 0, n, { crypto() {}, connectionClose() {} });
    assert.ok(r === null || r === 'frame-truncated', `length ${n}: ${r}`);
  }
  assert.is(parseInitialFrames(Buffer.from('08', 'hex'), 0, 1, sink), 'frame-type-0x8-in-initial');
  // an ACK claiming more ranges than bytes left
  assert.is(parseInitialFrames(cat(Buffer.from([2]), varint(1), varint(0), varint(1000000), varint(0)), 0, 6, sink), 'frame-truncated');
});

test('CRYPTO stream: in order, out of order, duplicates, overlaps', () => {
  const out = [];
  const s = new CryptoStream((b, o, l) => out.push(b.toString('latin1', o, o + l)));
  const data = Buffer.from('abcdefghijklmnopqrstuvwxyz');
  const push = (a, e) => s.push(a, data, a, e - a);
  push(10, 15);
  push(20, 26);
  assert.equal(out, []);
  assert.ok(s.gap);
  push(0, 5);
  push(0, 3); // retransmission
  push(3, 12); // overlaps the held 10..15
  assert.equal(out.join(''), 'abcdefghijklmno');
  push(14, 21);
  assert.equal(out.join(''), data.toString());
  assert.not.ok(s.gap);
  assert.is(s.next, 26);
});

test('CRYPTO stream: bounded holding; offsets past the limit dropped', () => {
  const s = new CryptoStream(() => {});
  for (let i = 0; i < 40; i++) s.push(1000 + i * 10, Buffer.alloc(5), 0, 5);
  assert.ok(s.overflow, 'too many pieces');
  const t = new CryptoStream(() => {});
  t.push(1, Buffer.alloc(40000), 0, 40000);
  assert.ok(t.overflow, 'too many bytes');
  const u = new CryptoStream(() => {});
  u.push(MAX_CRYPTO_OFFSET - 2, Buffer.alloc(4), 0, 4);
  assert.ok(u.overflow, 'beyond the offset limit');
  assert.is(u.next, 0);
});

test.run();
