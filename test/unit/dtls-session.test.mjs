// DtlsSession on hand-built datagrams: DTLS 1.0/1.2 handshakes with HelloVerifyRequest,
// fragmented / reordered / retransmitted handshake messages, several records per datagram,
// DTLS 1.3 with HelloRetryRequest, unified headers and connection ids, WebRTC multiplexing,
// and malformed input (never throws).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { DtlsSession } from '../../agent/dist/protocols/dtls/session.js';
import { tlsDocument } from '../../agent/dist/protocols/tls/logger.js';
import { cat, fill, u8, CT, HS, EXT, HRR_RANDOM, clientHelloBody, serverHelloBody, certificateBody, skeEcdhe } from './tls-builder.mjs';
import { DTLS10, DTLS12, DTLS13, drecord, cidRecord, hsFragment, hsMessage, unified, hvrBody, cidExt, cookieExt, stun, rtp } from './dtls-builder.mjs';

const A = true; // the flow's first sender (the DTLS client in these tests unless said otherwise)
const B = false;
const send = (s, fromA, ...records) => {
  const d = cat(records);
  s.datagram(fromA, d, 0, d.length);
};
const sha256 = (b) => createHash('sha256').update(b).digest('hex');

const CIPHERS = [0xc02b, 0xc02f, 0xc00a, 0x002f];
const chBody = (cookie = Buffer.alloc(0), version = DTLS12, extra = []) =>
  clientHelloBody({ version, cookie, ciphers: CIPHERS, extensions: [EXT.sni('dtls.example'), EXT.groups([23, 29]), EXT.pointFormats([0]), EXT.sigAlgs([0x0403, 0x0804]), ...extra] });
const CERT = fill(420, 3);

/** A DTLS <= 1.2 handshake with a HelloVerifyRequest; returns the session. */
function handshake12(version, { fragmentSecondHello = false } = {}) {
  const s = new DtlsSession();
  const rec = (type, body, o = {}) => drecord(type, body, { version, ...o });
  send(s, A, rec(CT.handshake, hsMessage(HS.clientHello, 0, chBody(Buffer.alloc(0), version))));
  send(s, B, rec(CT.handshake, hsMessage(3, 0, hvrBody(fill(20, 6)))));
  const ch2 = chBody(fill(20, 6), version);
  if (fragmentSecondHello) {
    // three fragments, out of order, the middle one retransmitted
    const third = Math.floor(ch2.length / 3);
    const f1 = hsFragment(HS.clientHello, 1, ch2, { off: 0, len: third });
    const f2 = hsFragment(HS.clientHello, 1, ch2, { off: third, len: third });
    const f3 = hsFragment(HS.clientHello, 1, ch2, { off: 2 * third });
    send(s, A, rec(CT.handshake, f3, { seq: 1 }));
    send(s, A, rec(CT.handshake, f2, { seq: 2 }));
    send(s, A, rec(CT.handshake, f2, { seq: 3 }));
    assert.is(s.tls.history, 'Cv', 'not delivered before complete');
    send(s, A, rec(CT.handshake, f1, { seq: 4 }));
  } else send(s, A, rec(CT.handshake, hsMessage(HS.clientHello, 1, ch2), { seq: 1 }));
  // the server's flight: four records in one datagram
  send(
    s,
    B,
    rec(CT.handshake, hsMessage(HS.serverHello, 1, serverHelloBody({ version, cipher: 0xc02f, extensions: [EXT.renegotiationInfo()] })), { seq: 1 }),
    rec(CT.handshake, hsMessage(HS.certificate, 2, certificateBody([CERT])), { seq: 2 }),
    rec(CT.handshake, hsMessage(HS.serverKeyExchange, 3, skeEcdhe(23)), { seq: 3 }),
    rec(CT.handshake, hsMessage(HS.serverHelloDone, 4, Buffer.alloc(0)), { seq: 4 }),
  );
  send(
    s,
    A,
    rec(CT.handshake, hsMessage(HS.clientKeyExchange, 2, cat(u8(65), fill(65, 2))), { seq: 5 }),
    rec(CT.ccs, Buffer.from([1]), { seq: 6 }),
    rec(CT.handshake, fill(64, 8), { epoch: 1, seq: 0 }),
  );
  assert.is(s.tls.established, false);
  send(s, B, rec(CT.ccs, Buffer.from([1]), { seq: 5 }), rec(CT.handshake, fill(64, 9), { epoch: 1, seq: 0 }));
  return s;
}

test('DTLS 1.2: HelloVerifyRequest, second ClientHello, server flight in one datagram, established', () => {
  const s = handshake12(DTLS12);
  assert.is(s.tls.established, true);
  assert.is(s.done, true);
  assert.is(s.tls.history, 'CvCsxknGIi');
  const doc = tlsDocument(s.tls, 'd');
  assert.is(doc.tls.version_protocol, 'dtls');
  assert.is(doc.tls.version, '1.2');
  assert.is(doc.tls.cipher, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
  assert.is(doc.tls.curve, 'secp256r1');
  assert.is(doc.tls.client.server_name, 'dtls.example');
  assert.ok(doc.tls.client.ja4.startsWith('dd2d0404'), doc.tls.client.ja4);
  assert.is(doc.tls.server.hash.sha256, sha256(CERT));
  // the first ClientHello (no cookie) is the one logged and fingerprinted
  assert.is(s.tls.clientHello.cookie.length, 0);
  const f = s.facts();
  assert.equal(f.hello_verify_request, true);
  assert.is(f.cookie_length, 20);
  assert.is(f.connection_id, false);
  assert.equal(f.records, { client: 5, server: 7 });
  assert.equal(f.encrypted_records, { client: 1, server: 1 });
  assert.equal(s.unobservable, []);
});

test('DTLS 1.0: version_protocol dtls, version 1.0, JA4 d1', () => {
  const s = handshake12(DTLS10);
  const doc = tlsDocument(s.tls, 'd');
  assert.is(doc.tls.version_protocol, 'dtls');
  assert.is(doc.tls.version, '1.0');
  assert.ok(doc.tls.client.ja4.startsWith('dd1d'), doc.tls.client.ja4);
  assert.is(s.tls.established, true);
});

test('fragmented second ClientHello: 3 fragments out of order, one retransmitted', () => {
  const whole = handshake12(DTLS12);
  const s = handshake12(DTLS12, { fragmentSecondHello: true });
  assert.is(s.tls.history, whole.tls.history);
  assert.is(s.tls.established, true);
  assert.is(s.facts().handshake_retransmissions, undefined, 'a repeated middle fragment is not a retransmitted message start');
  assert.equal(s.unobservable, []);
});

test('fragmented first ClientHello: reassembled by offset, parsed, retransmitted message ignored', () => {
  const s = new DtlsSession();
  const ch = chBody();
  const q = Math.floor(ch.length / 4);
  const parts = [
    hsFragment(HS.clientHello, 0, ch, { off: 3 * q }),
    hsFragment(HS.clientHello, 0, ch, { off: 0, len: 2 * q }),
    hsFragment(HS.clientHello, 0, ch, { off: q, len: 2 * q + 1 }), // overlaps both neighbours
  ];
  for (const [i, p] of parts.entries()) send(s, A, drecord(CT.handshake, p, { seq: i }));
  assert.ok(s.tls.clientHello, 'complete once the ranges cover the message');
  assert.is(s.tls.clientHello.serverName, 'dtls.example');
  assert.equal(s.tls.clientHello.cipherSuites, CIPHERS);
  // the whole flight again (timer expiry): same message_seq, not a second hello
  send(s, A, drecord(CT.handshake, hsMessage(HS.clientHello, 0, ch), { seq: 3 }));
  assert.is(s.tls.history, 'C');
  assert.is(s.facts().handshake_retransmissions, 1);
  // both fragments of one message in one record
  const t = new DtlsSession();
  send(t, A, drecord(CT.handshake, cat(hsFragment(HS.clientHello, 0, ch, { off: 0, len: 10 }), hsFragment(HS.clientHello, 0, ch, { off: 10 }))));
  assert.is(t.tls.clientHello.serverName, 'dtls.example');
});

test('server flight reordered across datagrams is delivered in message_seq order', () => {
  const s = new DtlsSession();
  send(s, A, drecord(CT.handshake, hsMessage(HS.clientHello, 0, chBody())));
  const ske = hsMessage(HS.serverKeyExchange, 2, skeEcdhe(29, 32));
  const sh = hsMessage(HS.serverHello, 0, serverHelloBody({ version: DTLS12, cipher: 0xc02b }));
  const cert = certificateBody([CERT]);
  send(s, B, drecord(CT.handshake, ske, { seq: 3 }));
  send(s, B, drecord(CT.handshake, hsFragment(HS.certificate, 1, cert, { off: 200 }), { seq: 2 }));
  send(s, B, drecord(CT.handshake, sh, { seq: 0 }));
  assert.is(s.tls.history, 'Cs', 'Certificate incomplete: the ServerKeyExchange waits');
  send(s, B, drecord(CT.handshake, hsFragment(HS.certificate, 1, cert, { off: 0, len: 200 }), { seq: 1 }));
  assert.is(s.tls.history, 'Csxk');
  assert.is(s.tls.serverKeyExchange.namedCurve, 29, 'parsed after the ServerHello told the cipher');
  assert.is(tlsDocument(s.tls, 'd').tls.curve, 'x25519');
});

test('a lost handshake message: later ones are delivered at the ChangeCipherSpec, the gap is reported', () => {
  const s = new DtlsSession();
  send(s, A, drecord(CT.handshake, hsMessage(HS.clientHello, 0, chBody())));
  send(s, B, drecord(CT.handshake, hsMessage(HS.serverHello, 0, serverHelloBody({ version: DTLS12 }))));
  // Certificate (seq 1) never seen; ServerKeyExchange and ServerHelloDone wait behind it
  send(s, B, drecord(CT.handshake, hsMessage(HS.serverKeyExchange, 2, skeEcdhe(23))), drecord(CT.handshake, hsMessage(HS.serverHelloDone, 3, Buffer.alloc(0))));
  assert.is(s.tls.history, 'Cs');
  send(s, A, drecord(CT.handshake, hsMessage(HS.clientKeyExchange, 1, fill(66))), drecord(CT.ccs, Buffer.from([1])), drecord(CT.handshake, fill(48), { epoch: 1 }));
  send(s, B, drecord(CT.ccs, Buffer.from([1])), drecord(CT.handshake, fill(48), { epoch: 1 }));
  assert.is(s.tls.history, 'CsknGIi');
  assert.is(s.tls.established, true);
  assert.ok(s.unobservable.includes('dtls-fragment-gap'));
});

test('peers that do not count on after a HelloVerifyRequest: reused message_seq with a new hello', () => {
  const s = new DtlsSession();
  const ch1 = chBody();
  send(s, A, drecord(CT.handshake, hsMessage(HS.clientHello, 0, ch1)));
  send(s, B, drecord(CT.handshake, hsMessage(3, 0, hvrBody(fill(16, 6)))));
  // the cookie-bearing ClientHello and the ServerHello both keep message_seq 0
  send(s, A, drecord(CT.handshake, hsMessage(HS.clientHello, 0, chBody(fill(16, 6))), { seq: 1 }));
  send(s, B, drecord(CT.handshake, hsMessage(HS.serverHello, 0, serverHelloBody({ version: DTLS12 }))));
  assert.is(s.tls.history, 'CvCs');
  assert.is(s.tls.negotiatedVersion, DTLS12);
  // a retransmission of the first ClientHello is still recognised as one
  send(s, A, drecord(CT.handshake, hsMessage(HS.clientHello, 0, ch1), { seq: 2 }));
  assert.is(s.tls.history, 'CvCs');
  assert.is(s.facts().handshake_retransmissions, 1);
});

test('a message moved past is delivered late when the retransmitted flight brings it', () => {
  const s = new DtlsSession();
  send(s, A, drecord(CT.handshake, hsMessage(HS.clientHello, 0, chBody())));
  const sh = drecord(CT.handshake, hsMessage(HS.serverHello, 0, serverHelloBody({ version: DTLS12 })));
  const cert = drecord(CT.handshake, hsMessage(HS.certificate, 1, certificateBody([CERT])));
  const done = drecord(CT.handshake, hsMessage(HS.serverHelloDone, 2, Buffer.alloc(0)));
  send(s, B, sh, done); // Certificate lost on the way to the capture point
  send(s, A, drecord(CT.handshake, hsMessage(HS.clientHello, 0, chBody()))); // the client times out: retransmits
  assert.is(s.tls.history, 'Csn', 'the peer answered: ServerHelloDone delivered past the hole');
  assert.ok(s.unobservable.includes('dtls-fragment-gap'));
  send(s, B, sh, cert, done); // the server retransmits its whole flight
  assert.is(s.tls.history, 'Csnx');
  assert.is(s.tls.serverCertificates.length, 1);
  assert.ok(!s.unobservable.includes('dtls-fragment-gap'), 'nothing missing any more');
});

test('reassembly bounds: many incomplete messages, far message_seq, oversized message', () => {
  const s = new DtlsSession();
  const body = fill(100);
  for (let seq = 0; seq < 20; seq++) send(s, A, drecord(CT.handshake, hsFragment(HS.certificate, seq, body, { off: 0, len: 10 })));
  send(s, A, drecord(CT.handshake, hsMessage(HS.clientHello, 0, chBody())));
  send(s, A, drecord(CT.handshake, hsMessage(HS.clientKeyExchange, 60000, fill(10))));
  // a message longer than the buffering bound: its fragments are tracked, its body is not kept
  const t = new DtlsSession();
  send(t, A, drecord(CT.handshake, hsMessage(HS.clientHello, 0, chBody())));
  send(t, B, drecord(CT.handshake, hsMessage(HS.serverHello, 0, serverHelloBody({ version: DTLS12 }))));
  const huge = fill(70 * 1024);
  for (let off = 0; off < huge.length; off += 1200)
    send(t, B, drecord(CT.handshake, hsFragment(HS.certificate, 1, huge, { off, len: Math.min(1200, huge.length - off) })));
  send(t, B, drecord(CT.handshake, hsMessage(HS.serverHelloDone, 2, Buffer.alloc(0))));
  assert.is(t.tls.history, 'Csxn', 'the Certificate counts, without its body');
  assert.ok(t.unobservable.includes('dtls-handshake-message-too-large'));
  t.end();
  s.end();
  assert.ok(s.unobservable.includes('dtls-fragment-gap'));
});

test('an incomplete message at the end is reported; no hello at all is reported', () => {
  const s = new DtlsSession();
  const ch = chBody();
  send(s, A, drecord(CT.handshake, hsFragment(HS.clientHello, 0, ch, { off: 0, len: 50 })));
  s.end();
  assert.is(s.tls.clientHello, null);
  assert.ok(s.unobservable.includes('dtls-fragment-gap'));
  assert.ok(s.unobservable.includes('dtls-no-hello'));
  // a capture that starts after the handshake: only protected records
  const t = new DtlsSession();
  send(t, A, drecord(CT.appData, fill(40), { epoch: 1, seq: 9 }));
  send(t, B, drecord(CT.appData, fill(40), { epoch: 1, seq: 7 }));
  t.end();
  assert.equal(t.unobservable, ['dtls-no-hello']);
  assert.equal(t.facts().encrypted_records, { client: 1, server: 1 });
});

test('cleartext flight retransmitted after the ChangeCipherSpec changes nothing', () => {
  const s = new DtlsSession();
  send(s, A, drecord(CT.handshake, hsMessage(HS.clientHello, 0, chBody())));
  send(s, B, drecord(CT.handshake, hsMessage(HS.serverHello, 0, serverHelloBody({ version: DTLS12 }))), drecord(CT.handshake, hsMessage(HS.serverHelloDone, 1, Buffer.alloc(0))));
  const flight = [drecord(CT.handshake, hsMessage(HS.clientKeyExchange, 1, fill(66))), drecord(CT.ccs, Buffer.from([1])), drecord(CT.handshake, fill(48), { epoch: 1 })];
  send(s, A, ...flight);
  const before = s.tls.history;
  send(s, A, ...flight);
  assert.is(s.tls.history, before);
  assert.is(s.tls.established, false);
  assert.equal(s.tls.changeCipherSpec, [true, false]);
});

test('protected record without a ChangeCipherSpec (lost): encryption still starts, reported', () => {
  const s = new DtlsSession();
  send(s, A, drecord(CT.handshake, hsMessage(HS.clientHello, 0, chBody())));
  send(s, B, drecord(CT.handshake, hsMessage(HS.serverHello, 0, serverHelloBody({ version: DTLS12 }))));
  send(s, A, drecord(CT.handshake, fill(48), { epoch: 1 }));
  send(s, B, drecord(CT.ccs, Buffer.from([1])), drecord(CT.handshake, fill(48), { epoch: 1 }));
  assert.is(s.tls.established, true);
  assert.ok(s.unobservable.includes('dtls-change-cipher-spec-unseen'));
});

test('fatal alert in epoch 0 ends the handshake', () => {
  const s = new DtlsSession();
  send(s, A, drecord(CT.handshake, hsMessage(HS.clientHello, 0, chBody())));
  assert.is(s.done, false);
  send(s, B, drecord(CT.alert, Buffer.from([2, 40])));
  assert.is(s.done, true);
  const doc = tlsDocument(s.tls, 'd');
  assert.equal(doc.intransitTls.alerts, [{ from: 'server', level: 'fatal', description: 'handshake_failure' }]);
});

// ------------------------------------------------------------------ DTLS 1.3

function dtls13({ clientCid = null, serverCid = null } = {}) {
  const s = new DtlsSession();
  const sv = [EXT.supportedVersions([DTLS13, DTLS12])];
  const cidc = clientCid ? [cidExt(clientCid)] : [];
  const cids = serverCid ? [cidExt(serverCid)] : [];
  const ch1 = clientHelloBody({ version: DTLS12, cookie: Buffer.alloc(0), ciphers: [0x1301, 0x1302], extensions: [...sv, EXT.groups([23, 29]), EXT.sigAlgs([0x0403]), EXT.keyShare([[29, 32]]), ...cidc] });
  send(s, A, drecord(CT.handshake, hsMessage(HS.clientHello, 0, ch1)));
  const hrr = serverHelloBody({ version: DTLS12, random: HRR_RANDOM, cipher: 0x1301, extensions: [EXT.supportedVersion(DTLS13), EXT.keyShareHrr(23), cookieExt(fill(67, 2))] });
  send(s, B, drecord(CT.handshake, hsMessage(HS.serverHello, 0, hrr)));
  const ch2 = clientHelloBody({ version: DTLS12, cookie: Buffer.alloc(0), ciphers: [0x1301, 0x1302], extensions: [...sv, EXT.groups([23, 29]), EXT.sigAlgs([0x0403]), EXT.keyShare([[23, 65]]), cookieExt(fill(67, 2)), ...cidc] });
  send(s, A, drecord(CT.handshake, hsMessage(HS.clientHello, 1, ch2), { seq: 1 }));
  const sh = serverHelloBody({ version: DTLS12, cipher: 0x1301, extensions: [EXT.supportedVersion(DTLS13), EXT.keyShareServer(23, 65), ...cids] });
  send(s, B, drecord(CT.handshake, hsMessage(HS.serverHello, 1, sh), { seq: 1 }));
  return s;
}

test('DTLS 1.3: HelloRetryRequest with cookie, unified headers, established', () => {
  const s = dtls13();
  assert.is(s.tls.history, 'CjCs');
  // server: EncryptedExtensions..Finished in unified records, two in one datagram (8-bit seq, then no length)
  send(s, B, unified(fill(300, 1), { seq16: false }), unified(fill(80, 2), { withLength: false }));
  assert.is(s.tls.established, false);
  // the client's Finished: both sides now encrypt
  send(s, A, unified(fill(60, 3), { epoch: 2 }));
  assert.is(s.tls.established, true);
  assert.is(s.done, true);
  const doc = tlsDocument(s.tls, 'd');
  assert.is(doc.tls.version_protocol, 'dtls');
  assert.is(doc.tls.version, '1.3');
  assert.is(doc.tls.cipher, 'TLS_AES_128_GCM_SHA256');
  assert.is(doc.tls.curve, 'secp256r1');
  assert.ok(doc.tls.client.ja4.startsWith('dd3i0204'), doc.tls.client.ja4);
  assert.is(doc.intransitTls.hello_retry, true);
  const f = s.facts();
  assert.is(f.cookie_length, 67);
  assert.is(f.hello_verify_request, false);
  assert.equal(f.encrypted_records, { client: 1, server: 2 });
  assert.equal(f.records, { client: 3, server: 4 });
});

test('DTLS 1.3 connection ids: unified headers with the CID each side asked for', () => {
  const clientCid = Buffer.from('I am a client CID');
  const serverCid = Buffer.from('server');
  const s = dtls13({ clientCid, serverCid });
  // to the client: the client's CID; to the server: the server's CID
  send(s, B, unified(fill(100, 1), { cid: clientCid }), unified(fill(50, 1), { cid: clientCid, withLength: false }));
  send(s, A, unified(fill(100, 1), { cid: serverCid }));
  assert.is(s.tls.established, true);
  const f = s.facts();
  assert.is(f.connection_id, true);
  assert.equal(f.encrypted_records, { client: 1, server: 2 });
  assert.equal(s.malformed, []);
});

test('DTLS 1.2 tls12_cid records (RFC 9146)', () => {
  const s = new DtlsSession();
  const cid = fill(8, 5);
  send(s, A, drecord(CT.handshake, hsMessage(HS.clientHello, 0, chBody(Buffer.alloc(0), DTLS12, [cidExt(Buffer.alloc(0))]))));
  send(s, B, drecord(CT.handshake, hsMessage(HS.serverHello, 0, serverHelloBody({ version: DTLS12, extensions: [cidExt(cid)] }))), drecord(CT.handshake, hsMessage(HS.serverHelloDone, 1, Buffer.alloc(0))));
  send(s, A, drecord(CT.handshake, hsMessage(HS.clientKeyExchange, 1, fill(66))), drecord(CT.ccs, Buffer.from([1])), cidRecord(cid, fill(40)));
  send(s, B, drecord(CT.ccs, Buffer.from([1])), drecord(CT.handshake, fill(40), { epoch: 1 }));
  assert.is(s.tls.established, true);
  assert.is(s.facts().connection_id, true);
  assert.equal(s.malformed, []);
});

test('CID record whose length was never negotiated: counted, reported, no throw', () => {
  const s = new DtlsSession();
  send(s, A, unified(fill(40), { cid: fill(4) }));
  send(s, A, cidRecord(fill(4), fill(40)));
  assert.ok(s.unobservable.includes('dtls-cid-length-unknown'));
  assert.equal(s.facts().encrypted_records, { client: 2, server: 0 });
});

// ------------------------------------------------------------------ multiplexing

test('WebRTC: STUN and RTP on the same flow are skipped and counted; the DTLS client may be side B', () => {
  const s = new DtlsSession();
  send(s, A, stun(0x0001));
  send(s, B, stun(0x0101));
  send(s, B, drecord(CT.handshake, hsMessage(HS.clientHello, 0, chBody())));
  send(s, A, stun(0x0001));
  send(s, A, drecord(CT.handshake, hsMessage(HS.serverHello, 0, serverHelloBody({ version: DTLS12 }))));
  send(s, A, rtp());
  assert.is(s.tls.clientIsOriginator, false);
  assert.is(s.tls.history, 'Cs');
  const f = s.facts();
  assert.equal(f.multiplexed, { stun: 3, rtp: 1 });
  assert.equal(f.records, { client: 1, server: 1 });
});

// ------------------------------------------------------------------ malformed input

test('malformed records and fragments: no throw, reasons noted, parsing stays sane', () => {
  const s = new DtlsSession();
  const ch = chBody();
  const cases = [
    drecord(CT.handshake, hsMessage(HS.clientHello, 0, ch), { length: ch.length + 500 }), // record past the datagram
    drecord(CT.handshake, hsFragment(HS.clientHello, 0, ch, { off: 10, len: 20, msgLen: 25 })), // fragment beyond message
    drecord(CT.handshake, hsFragment(HS.clientHello, 0, ch, { off: 0, len: 20, fragLen: 200 })), // fragment past record
    drecord(CT.handshake, Buffer.from([1, 0, 0])), // handshake header cut
    Buffer.from([22, 0xfe, 0xfd, 0, 0]), // record header cut
    Buffer.from([22, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]), // TLS version in a DTLS record
    Buffer.from([27, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), // unknown type
    unified(fill(10)).subarray(0, 3), // unified header cut
    Buffer.from([0x2c]), // unified header, nothing after it
    drecord(CT.alert, Buffer.from([1])), // short alert
  ];
  for (const c of cases) send(s, A, c);
  for (const r of ['dtls-record-past-datagram', 'dtls-fragment-beyond-message', 'dtls-fragment-past-record', 'dtls-handshake-header-truncated', 'dtls-record-header-truncated', 'dtls-record-version-unknown', 'dtls-record-type-unknown'])
    assert.ok(s.malformed.includes(r), r);
  assert.is(s.tls.clientHello, null);
  // a fragment whose header disagrees with the first one for that message_seq is dropped
  send(s, A, drecord(CT.handshake, hsFragment(HS.clientHello, 0, ch, { off: 0, len: 30 })));
  send(s, A, drecord(CT.handshake, hsFragment(HS.clientHello, 0, ch, { off: 30, msgLen: ch.length + 1 })));
  assert.ok(s.malformed.includes('dtls-fragment-inconsistent'));
  send(s, A, drecord(CT.handshake, hsFragment(HS.clientHello, 0, ch, { off: 30 })));
  assert.is(s.tls.clientHello.serverName, 'dtls.example', 'the consistent fragment completes it');
  s.end();
});

test('fuzz: truncations and byte flips of a valid exchange never throw', () => {
  const good = [
    drecord(CT.handshake, hsMessage(HS.clientHello, 0, chBody(fill(20)))),
    cat(drecord(CT.handshake, hsMessage(HS.serverHello, 0, serverHelloBody({ version: DTLS12 }))), drecord(CT.handshake, hsMessage(HS.certificate, 1, certificateBody([CERT])))),
    unified(fill(50), { cid: fill(3) }),
    stun(),
  ];
  let seed = 7;
  const rnd = (n) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  for (let i = 0; i < 3000; i++) {
    const s = new DtlsSession();
    for (const g of good) {
      const d = Buffer.from(g);
      for (let k = rnd(4); k > 0; k--) d[rnd(d.length)] = rnd(256);
      const cut = rnd(3) === 0 ? rnd(d.length + 1) : d.length;
      s.datagram(rnd(2) === 0, d, 0, cut);
    }
    s.end();
    s.facts();
    void s.unobservable;
    tlsDocument(s.tls, 'd');
  }
  assert.ok(true);
});

test('inspection stops when nothing more can change (budget on a handshake that never settles)', () => {
  const s = new DtlsSession();
  send(s, A, drecord(CT.handshake, hsMessage(HS.clientHello, 0, chBody())));
  let n = 0;
  while (!s.done && n < 5000) {
    send(s, A, drecord(CT.appData, fill(30), { epoch: 1, seq: n }));
    n++;
  }
  assert.ok(s.done && n < 1000, `done after ${n}`);
});

test.run();
