// DTLS record framing (record.ts), identification (detect.ts) and the flow inspector routing a
// WebRTC flow (STUN first, then DTLS) to the DTLS session.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as R from '../../agent/dist/protocols/dtls/record.js';
import { DTLS } from '../../agent/dist/protocols/dtls/detect.js';
import { AppInspector } from '../../agent/dist/flow/inspector.js';
import { cat, fill, CT, HS, EXT, clientHelloBody, serverHelloBody } from './tls-builder.mjs';
import { DTLS12, DTLS13, drecord, cidRecord, hsFragment, hsMessage, unified, hvrBody, stun, rtp } from './dtls-builder.mjs';

const read = (buf, cid = -1, pos = 0) => {
  const h = new R.DtlsRecordHeader();
  const next = R.readRecord(buf, pos, buf.length, cid, h);
  return { next, h };
};
const CH = clientHelloBody({ version: DTLS12, cookie: Buffer.alloc(0), extensions: [EXT.sni('a.example')] });

test('RFC 7983 demultiplexing by first byte', () => {
  const expect = [[0, R.MUX_STUN], [3, R.MUX_STUN], [16, R.MUX_ZRTP], [19, R.MUX_ZRTP], [20, R.MUX_DTLS], [63, R.MUX_DTLS], [64, R.MUX_TURN_CHANNEL], [79, R.MUX_TURN_CHANNEL], [128, R.MUX_RTP], [191, R.MUX_RTP], [4, R.MUX_OTHER], [80, R.MUX_OTHER], [192, R.MUX_OTHER]];
  for (const [b, k] of expect) assert.is(R.demultiplex(b), k, String(b));
});

test('plaintext record header: type, version, epoch, 48-bit sequence, body', () => {
  const body = fill(30);
  const buf = cat(drecord(CT.handshake, body, { epoch: 2, seq: 0x123456789abc }), drecord(CT.alert, Buffer.from([1, 0])));
  const { next, h } = read(buf);
  assert.is(next, 13 + 30);
  assert.is(h.type, 22);
  assert.is(h.version, DTLS12);
  assert.is(h.epoch, 2);
  assert.is(h.sequence, 0x123456789abc);
  assert.is(h.bodyOffset, 13);
  assert.is(h.bodyLength, 30);
  assert.is(h.encrypted, true);
  const second = read(buf, -1, next);
  assert.is(second.h.type, 21);
  assert.is(second.h.encrypted, false);
  assert.is(second.next, buf.length);
  // the end of the datagram: -1 without an error
  const end = read(buf, -1, buf.length);
  assert.is(end.next, -1);
  assert.is(end.h.error, '');
});

test('tls12_cid record: CID of the negotiated length before the length field', () => {
  const buf = cidRecord(fill(5, 2), fill(20));
  assert.is(read(buf, -1).h.error, 'dtls-cid-length-unknown');
  const { next, h } = read(buf, 5);
  assert.is(next, buf.length);
  assert.is(h.hasCid, true);
  assert.is(h.cidLength, 5);
  assert.is(h.bodyLength, 20);
  assert.is(h.encrypted, true);
});

test('unified header: C, S, L bits and epoch bits', () => {
  const cid = fill(4, 3);
  for (const seq16 of [true, false])
    for (const withLength of [true, false])
      for (const withCid of [true, false]) {
        const rec = unified(fill(25), { cid: withCid ? cid : null, seq16, withLength, epoch: 2, seq: 0x41 });
        const { next, h } = read(rec, withCid ? 4 : -1);
        const what = `seq16=${seq16} length=${withLength} cid=${withCid}`;
        assert.is(next, rec.length, what);
        assert.is(h.unified, true);
        assert.is(h.epoch, 2);
        assert.is(h.sequence, 0x41, what);
        assert.is(h.bodyLength, 25, what);
        assert.is(h.hasCid, withCid);
        assert.is(h.version, DTLS13);
      }
  // several unified records in one datagram, the last one without a length
  const two = cat(unified(fill(10)), unified(fill(12), { withLength: false }));
  const first = read(two);
  assert.is(first.next, 1 + 2 + 2 + 10);
  assert.is(read(two, -1, first.next).h.bodyLength, 12);
});

test('malformed record headers: -1 with a reason, never a read past the end', () => {
  const cases = [
    [Buffer.from([22, 0xfe, 0xfd, 0, 0, 0]), 'dtls-record-header-truncated'],
    [drecord(CT.handshake, fill(10), { length: 11 }), 'dtls-record-past-datagram'],
    [drecord(CT.handshake, fill(10), { length: 0xffff }), 'dtls-record-too-long'],
    [drecord(CT.handshake, fill(10), { version: 0x0303 }), 'dtls-record-version-unknown'],
    [Buffer.from([30, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), 'dtls-record-type-unknown'],
    [Buffer.from([0x2c, 0]), 'dtls-record-header-truncated'], // 16-bit sequence cut
    [Buffer.from([0x24, 1, 0]), 'dtls-record-header-truncated'], // length cut
    [Buffer.from([0x24, 1, 0, 9, 1]), 'dtls-record-past-datagram'],
    [Buffer.from([0x20, 1]), 'dtls-record-empty'],
  ];
  for (const [buf, reason] of cases) {
    const { next, h } = read(buf);
    assert.is(next, -1, reason);
    assert.is(h.error, reason);
  }
  // a header claiming more than the caller's end, inside a larger buffer
  const big = cat(drecord(CT.handshake, fill(10)), fill(50));
  const h = new R.DtlsRecordHeader();
  assert.is(R.readRecord(big, 0, 20, -1, h), -1);
  assert.is(h.error, 'dtls-record-past-datagram');
});

test('handshake fragment header', () => {
  const body = fill(100);
  const frag = hsFragment(HS.certificate, 7, body, { off: 40, len: 30 });
  const f = new R.DtlsFragmentHeader();
  assert.is(R.readFragment(frag, 0, frag.length, f), frag.length);
  assert.is(f.msgType, 11);
  assert.is(f.length, 100);
  assert.is(f.messageSeq, 7);
  assert.is(f.fragmentOffset, 40);
  assert.is(f.fragmentLength, 30);
  assert.is(f.dataOffset, 12);
  assert.is(f.error, '');
  const beyond = hsFragment(HS.certificate, 7, body, { off: 90, len: 10, msgLen: 95 });
  assert.is(R.readFragment(beyond, 0, beyond.length, f), beyond.length, 'framing intact: the next fragment can be read');
  assert.is(f.error, 'dtls-fragment-beyond-message');
  const past = hsFragment(HS.certificate, 7, body, { off: 0, len: 10, fragLen: 11 });
  assert.is(R.readFragment(past, 0, past.length, f), -1);
  assert.is(f.error, 'dtls-fragment-past-record');
  assert.is(R.readFragment(past, 0, 11, f), -1);
  assert.is(f.error, 'dtls-handshake-header-truncated');
});

// ------------------------------------------------------------------ identification

const detect = (c, s, done = false) => DTLS.detect(c, s, done, done);

test('detect: ClientHello, ServerHello, HelloVerifyRequest, a protected record; not TLS or noise', () => {
  const ch = drecord(CT.handshake, hsMessage(HS.clientHello, 0, CH));
  assert.is(detect(ch, Buffer.alloc(0)), 1);
  assert.is(detect(Buffer.alloc(0), drecord(CT.handshake, hsMessage(HS.serverHello, 0, serverHelloBody({ version: DTLS12 })))), 1);
  assert.is(detect(Buffer.alloc(0), drecord(CT.handshake, hsMessage(3, 0, hvrBody(fill(20))))), 1);
  assert.is(detect(drecord(CT.appData, fill(40), { epoch: 1 }), Buffer.alloc(0)), 1);
  // fragment of a ClientHello that is not the first one still identifies (offset > 0)
  assert.is(detect(drecord(CT.handshake, hsFragment(HS.clientHello, 0, CH, { off: 20 })), Buffer.alloc(0)), 1);
  assert.is(detect(Buffer.from([22, 3, 3, 0, 10]), Buffer.alloc(0), true), 0);
  assert.is(detect(fill(64), fill(64), true), 0);
  assert.is(detect(ch.subarray(0, 8), Buffer.alloc(0)), -1, 'needs more');
});

test('detect: STUN messages before the DTLS records are skipped (WebRTC)', () => {
  const a = cat(stun(1), stun(1), stun(0x0101), drecord(CT.handshake, hsMessage(HS.clientHello, 0, CH)));
  assert.is(detect(a, Buffer.alloc(0)), 1);
  assert.is(detect(cat(stun(1), stun(1)), cat(stun(0x101)), false), -1, 'only STUN so far: wait');
  assert.is(detect(cat(stun(1), stun(1)), cat(stun(0x101)), true), 0, 'only STUN: not DTLS');
  assert.is(detect(cat(stun(1), rtp()), Buffer.alloc(0), true), 0);
});

test('inspector: a WebRTC flow with 6 STUN datagrams per side before DTLS is identified and parsed', () => {
  const insp = new AppInspector('udp', -1);
  const feed = (fromA, d) => insp.data(fromA, d, 0, d.length);
  for (let i = 0; i < 6; i++) {
    feed(true, stun(0x0001, fill(40 + 4 * i, i)));
    feed(false, stun(0x0101, fill(32, i)));
  }
  assert.is(insp.protocol, null);
  assert.is(insp.unidentifiable, false);
  feed(false, drecord(CT.handshake, hsMessage(HS.clientHello, 0, CH)));
  assert.is(insp.protocol?.name, 'dtls');
  const ds = insp.datagramSession;
  assert.ok(ds, 'datagram session created');
  assert.is(ds.tls.clientHello.serverName, 'a.example');
  assert.is(ds.tls.clientIsOriginator, false, 'the DTLS client is side B');
  assert.equal(ds.facts().multiplexed, { stun: 12 });
  feed(true, drecord(CT.handshake, hsMessage(HS.serverHello, 0, serverHelloBody({ version: DTLS12 }))));
  assert.is(ds.tls.history, 'Cs');
  insp.end();
});

test.run();
