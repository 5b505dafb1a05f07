// TlsSession state machine: record framing (splits, coalescing), handshake reassembly,
// established / resumed as Zeek's ssl.log has them, HRR, SSLv2, alerts, done.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TlsSession, isTlsStart } from '../../agent/dist/protocols/tls/session.js';
import {
  CT, EXT, HS, HRR_RANDOM, alert, appData, cat, ccs, certificateBody, certificateRequestBody, clientHelloBody, feedChunks, fill,
  fragment, handshake, record, serverHelloBody, skeDhe, skeEcdhe, ssl2ClientHello, ssl2Record, ssl2ServerHello, u8, u16, vec8,
} from './tls-builder.mjs';

const C = true; // from the originator (the client in these tests)
const S = false;
const CERT_A = fill(700, 21);
const CERT_B = fill(900, 22);
const SID = fill(32, 40);

const ch12 = (opts = {}) => handshake(HS.clientHello, clientHelloBody({ ciphers: [0xc02f, 0x009e, 0x002f], extensions: [EXT.sni('shop.example'), EXT.groups([29, 23])], ...opts }));
const sh12 = (opts = {}) => handshake(HS.serverHello, serverHelloBody({ cipher: 0xc02f, extensions: [EXT.renegotiationInfo()], ...opts }));
const encFinished = () => record(CT.handshake, fill(40, 77));
const serverFlight12 = () =>
  record(CT.handshake, cat(sh12(), handshake(HS.certificate, certificateBody([CERT_A, CERT_B])), handshake(HS.serverKeyExchange, skeEcdhe(23)), handshake(HS.serverHelloDone, Buffer.alloc(0))));

function full12(s, { clientFirst = true } = {}) {
  s.feed(C, record(CT.handshake, ch12(), 0x0301), 0, Infinity);
  const sf = serverFlight12();
  s.feed(S, sf, 0, sf.length);
  const cf = cat(record(CT.handshake, handshake(HS.clientKeyExchange, vec8(fill(65)))), ccs(), encFinished());
  if (clientFirst) s.feed(C, cf, 0, cf.length);
  return cf;
}

test('TLS 1.2 full handshake: several messages in one record, established on the server Finished', () => {
  const s = new TlsSession();
  full12(s);
  assert.is(s.clientIsOriginator, true);
  assert.is(s.clientHello.serverName, 'shop.example');
  assert.is(s.clientHello.recordVersion, 0x0301);
  assert.is(s.serverHello.cipherSuite, 0xc02f);
  assert.is(s.negotiatedVersion, 0x0303);
  assert.equal(s.serverCertificates, [CERT_A, CERT_B]);
  assert.is(s.serverKeyExchange.kind, 'ecdhe');
  assert.is(s.serverKeyExchange.namedCurve, 23);
  assert.is(s.serverKeyExchange.signatureAlgorithm, 0x0804);
  assert.equal(s.changeCipherSpec, [true, false]);
  assert.is(s.established, false);
  assert.is(s.done, false);
  const sf = cat(record(CT.handshake, handshake(HS.newSessionTicket, cat(fill(4), u16(16), fill(16)))), ccs());
  s.feed(S, sf, 0, sf.length);
  assert.is(s.established, false, 'CCS alone does not establish');
  const fin = encFinished();
  s.feed(S, fin, 0, fin.length);
  assert.is(s.established, true);
  assert.is(s.resumed, false);
  assert.is(s.done, true);
  assert.is(s.sessionTicketIssued, true);
  assert.equal(s.encryptedHandshake, [true, true]);
  assert.is(s.history, 'CsxknGIti');
  assert.equal(s.malformed, []);
});

test('server chain copied: later reuse of the input buffer does not change it', () => {
  const s = new TlsSession();
  const chr = record(CT.handshake, ch12());
  s.feed(C, chr, 0, chr.length);
  const sf = serverFlight12();
  s.feed(S, sf, 0, sf.length);
  sf.fill(0);
  assert.equal(s.serverCertificates[0], CERT_A);
});

test('ClientHello fed one byte at a time, and split over three records', () => {
  const hello = handshake(HS.clientHello, clientHelloBody({ extensions: [EXT.sni('bytes.example'), EXT.keyShare([[0x11ec, 1216], [29, 32]]), EXT.supportedVersions([0x0304])] }));
  const s1 = new TlsSession();
  feedChunks(s1, C, record(CT.handshake, hello), 1);
  assert.is(s1.clientHello?.serverName, 'bytes.example');
  assert.equal(s1.clientHello.keyShareLengths, [1216, 32]);

  const s2 = new TlsSession();
  const size = Math.ceil(hello.length / 3);
  const three = fragment(hello, size);
  assert.is(three[0], CT.handshake);
  feedChunks(s2, C, three, 7);
  assert.is(s2.clientHello?.serverName, 'bytes.example');
  assert.equal(s2.malformed, []);

  // header split exactly between record header and body
  const s3 = new TlsSession();
  const r = record(CT.handshake, hello);
  s3.feed(C, r, 0, 5);
  s3.feed(C, r, 5, 3);
  s3.feed(C, r, 8, r.length - 8);
  assert.is(s3.clientHello?.serverName, 'bytes.example');
});

test('records coalesced in one segment and a server flight byte by byte', () => {
  const s = new TlsSession();
  const chr = record(CT.handshake, ch12());
  s.feed(C, chr, 0, chr.length);
  feedChunks(s, S, cat(serverFlight12(), ccs(), encFinished()), 1);
  assert.equal(s.serverCertificates.length, 2);
  assert.equal(s.changeCipherSpec, [false, true]);
  assert.is(s.established, false);
  const cf = cat(record(CT.handshake, handshake(HS.clientKeyExchange, vec8(fill(65)))), ccs(), encFinished(), appData());
  s.feed(C, cf, 0, cf.length);
  assert.is(s.established, true);
});

test('resumption by session id: server echoes the id, abbreviated handshake', () => {
  const s = new TlsSession();
  const c1 = record(CT.handshake, ch12({ sessionId: SID }));
  s.feed(C, c1, 0, c1.length);
  const s1 = cat(record(CT.handshake, sh12({ sessionId: SID })), ccs(), encFinished());
  s.feed(S, s1, 0, s1.length);
  assert.is(s.resumed, true);
  assert.is(s.established, false);
  const c2 = cat(ccs(), encFinished());
  s.feed(C, c2, 0, c2.length);
  assert.is(s.established, true);
  assert.is(s.history, 'CsiI');
});

test('a different or all-zero session id is not a resumption', () => {
  for (const [cid, sid] of [[SID, fill(32, 41)], [Buffer.alloc(32), Buffer.alloc(32)]]) {
    const s = new TlsSession();
    const c1 = record(CT.handshake, ch12({ sessionId: cid }));
    s.feed(C, c1, 0, c1.length);
    const s1 = record(CT.handshake, sh12({ sessionId: sid }));
    s.feed(S, s1, 0, s1.length);
    assert.is(s.resumed, false);
  }
});

test('resumption by session ticket: client CCS before any ClientKeyExchange', () => {
  const s = new TlsSession();
  const c1 = record(CT.handshake, ch12({ extensions: [EXT.sessionTicket(fill(160))] }));
  s.feed(C, c1, 0, c1.length);
  const s1 = cat(record(CT.handshake, cat(sh12({ sessionId: fill(32, 3), extensions: [EXT.sessionTicket()] }), handshake(HS.newSessionTicket, cat(fill(4), u16(16), fill(16))))), ccs(), encFinished());
  s.feed(S, s1, 0, s1.length);
  assert.is(s.resumed, false);
  const c2 = cat(ccs(), encFinished());
  s.feed(C, c2, 0, c2.length);
  assert.is(s.resumed, true);
  assert.is(s.established, true);
});

const ch13 = (extra = []) =>
  handshake(HS.clientHello, clientHelloBody({ sessionId: SID, ciphers: [0x1301, 0x1303], extensions: [EXT.sni('tls13.example'), EXT.supportedVersions([0x0304, 0x0303]), EXT.keyShare([[29, 32]]), ...extra] }));
const sh13 = (extra = []) => handshake(HS.serverHello, serverHelloBody({ sessionId: SID, cipher: 0x1301, extensions: [EXT.supportedVersion(0x0304), EXT.keyShareServer(29), ...extra] }));

test('TLS 1.3: CCS ignored, established once type-23 records flowed both ways; echoed id is not resumption', () => {
  const s = new TlsSession();
  const c1 = record(CT.handshake, ch13(), 0x0301);
  s.feed(C, c1, 0, c1.length);
  const s1 = cat(record(CT.handshake, sh13()), ccs(), appData(30), appData(900), appData(80));
  s.feed(S, s1, 0, s1.length);
  assert.is(s.negotiatedVersion, 0x0304);
  assert.is(s.resumed, false);
  const c2 = ccs();
  s.feed(C, c2, 0, c2.length);
  assert.equal(s.changeCipherSpec, [true, true]);
  assert.is(s.established, false);
  const c3 = appData(53);
  s.feed(C, c3, 0, c3.length);
  assert.is(s.established, true);
  assert.is(s.history, 'CsiI');
  assert.equal(s.serverCertificates, []);
});

test('TLS 1.3 with PSK: server pre_shared_key after the client offered one → resumed', () => {
  const s = new TlsSession();
  const c1 = record(CT.handshake, ch13([EXT.pskModes([1]), EXT.psk()]));
  s.feed(C, c1, 0, c1.length);
  const s1 = cat(record(CT.handshake, sh13([EXT.pskServer(0)])), appData(30));
  s.feed(S, s1, 0, s1.length);
  assert.is(s.resumed, true);
  const c2 = appData(40);
  s.feed(C, c2, 0, c2.length);
  assert.is(s.established, true);
});

test('HelloRetryRequest: first ClientHello kept, second stored, final ServerHello taken', () => {
  const s = new TlsSession();
  const first = record(CT.handshake, ch13(), 0x0301);
  s.feed(C, first, 0, first.length);
  const hrr = handshake(HS.serverHello, serverHelloBody({ random: HRR_RANDOM, sessionId: SID, cipher: 0x1302, extensions: [EXT.supportedVersion(0x0304), EXT.keyShareHrr(23)] }));
  const s1 = cat(record(CT.handshake, hrr), ccs());
  s.feed(S, s1, 0, s1.length);
  assert.ok(s.helloRetryRequest);
  assert.is(s.serverHello, null);
  const second = handshake(HS.clientHello, clientHelloBody({ sessionId: SID, ciphers: [0x1302], extensions: [EXT.sni('second.example'), EXT.supportedVersions([0x0304]), EXT.keyShare([[23, 65]])] }));
  const c2 = cat(ccs(), record(CT.handshake, second));
  s.feed(C, c2, 0, c2.length);
  assert.is(s.clientHello.serverName, 'tls13.example');
  assert.is(s.secondClientHello.serverName, 'second.example');
  const fin = handshake(HS.serverHello, serverHelloBody({ sessionId: SID, cipher: 0x1302, extensions: [EXT.supportedVersion(0x0304), EXT.keyShareServer(23, 65)] }));
  const s2 = cat(record(CT.handshake, fin), appData(100));
  s.feed(S, s2, 0, s2.length);
  assert.is(s.serverHello.keyShareGroup, 23);
  assert.is(s.serverHello.cipherSuite, 0x1302);
  const c3 = appData(60);
  s.feed(C, c3, 0, c3.length);
  assert.is(s.established, true);
  assert.is(s.history, 'CjiICs');
});

test('fatal alert before completion: not established, done, alert recorded', () => {
  const s = new TlsSession();
  const c1 = record(CT.handshake, ch12());
  s.feed(C, c1, 0, c1.length);
  const a = alert(2, 40);
  s.feed(S, a, 0, a.length);
  assert.is(s.established, false);
  assert.is(s.done, true);
  assert.equal(s.alerts, [{ fromClient: false, level: 2, description: 40, encrypted: false, beforeEstablished: true }]);
  assert.is(s.history, 'Cl');
});

test('alerts after CCS are encrypted: noted, not decoded', () => {
  const s = new TlsSession();
  full12(s);
  const a = record(CT.alert, fill(26));
  s.feed(C, a, 0, a.length);
  assert.is(s.alerts.length, 1);
  assert.is(s.alerts[0].encrypted, true);
  assert.is(s.alerts[0].description, -1);
});

test('a 2-byte alert in an encrypted direction is a cleartext alert', () => {
  const s = new TlsSession();
  const c1 = record(CT.handshake, ch13());
  s.feed(C, c1, 0, c1.length);
  const s1 = cat(record(CT.handshake, sh13()), appData(300), alert(2, 80));
  s.feed(S, s1, 0, s1.length);
  assert.equal(s.alerts.map((a) => [a.level, a.description, a.encrypted]), [[2, 80, false]]);
  assert.is(s.done, true);
});

test('certificate request, empty client Certificate, DHE prime size', () => {
  const s = new TlsSession();
  const c1 = record(CT.handshake, ch12({ ciphers: [0x009e] }));
  s.feed(C, c1, 0, c1.length);
  const flight = record(CT.handshake, cat(
    sh12({ cipher: 0x009e }), handshake(HS.certificate, certificateBody([CERT_A])),
    handshake(HS.serverKeyExchange, skeDhe(256, { leadingZero: true })),
    handshake(HS.certificateRequest, certificateRequestBody()), handshake(HS.serverHelloDone, Buffer.alloc(0)),
  ));
  s.feed(S, flight, 0, flight.length);
  assert.is(s.serverKeyExchange.kind, 'dhe');
  assert.is(s.serverKeyExchange.dhPrimeBits, 255 * 8, 'the leading zero byte does not count');
  assert.equal(s.certificateRequest, { certificateTypes: [1, 64], signatureAlgorithms: [0x0401, 0x0403] });
  const c2 = record(CT.handshake, cat(handshake(HS.certificate, certificateBody([])), handshake(HS.clientKeyExchange, cat(u16(256), fill(256)))));
  s.feed(C, c2, 0, c2.length);
  assert.equal(s.clientCertificates, []);
  assert.is(s.history, 'CsxkrnXG');
});

test('client certificate sent', () => {
  const s = new TlsSession();
  full12(s, { clientFirst: false });
  const c2 = record(CT.handshake, cat(handshake(HS.certificate, certificateBody([CERT_B])), handshake(HS.clientKeyExchange, vec8(fill(65))), handshake(HS.certificateVerify, cat(u16(0x0804), u16(8), fill(8)))));
  s.feed(C, c2, 0, c2.length);
  assert.equal(s.clientCertificates, [CERT_B]);
  assert.equal(s.serverCertificates, [CERT_A, CERT_B]);
});

test('capture without the SYN: the ClientHello sender is the client even when it is the responder', () => {
  const s = new TlsSession();
  const c1 = record(CT.handshake, ch12());
  s.feed(S, c1, 0, c1.length);
  const sf = serverFlight12();
  s.feed(C, sf, 0, sf.length);
  assert.is(s.clientIsOriginator, false);
  assert.is(s.history, 'CsxknG'.slice(0, 5));
  assert.equal(s.serverCertificates.length, 2);
});

test('SSLv2-compatible ClientHello (2- and 3-byte headers) answered in TLS', () => {
  for (const header of [2, 3]) {
    const s = new TlsSession();
    feedChunks(s, C, ssl2ClientHello({ header }), 1);
    assert.is(s.clientHello?.format, 'ssl2', `header ${header}`);
    assert.equal(s.clientHello.cipherSuites, [0x2f, 0x35]);
    const sf = record(CT.handshake, cat(handshake(HS.serverHello, serverHelloBody({ version: 0x0301, cipher: 0x2f, noExtensions: true })), handshake(HS.certificate, certificateBody([CERT_A])), handshake(HS.serverHelloDone, Buffer.alloc(0))), 0x0301);
    s.feed(S, sf, 0, sf.length);
    const cf = cat(record(CT.handshake, handshake(HS.clientKeyExchange, cat(u16(128), fill(128))), 0x0301), ccs(0x0301), record(CT.handshake, fill(48), 0x0301));
    s.feed(C, cf, 0, cf.length);
    const sf2 = cat(ccs(0x0301), record(CT.handshake, fill(48), 0x0301));
    s.feed(S, sf2, 0, sf2.length);
    assert.is(s.established, true);
    assert.equal(s.malformed, []);
  }
});

test('SSLv2 session: SERVER-HELLO, CLIENT-MASTER-KEY, encrypted records establish', () => {
  const s = new TlsSession();
  const c1 = ssl2ClientHello({ version: 0x0002, kinds: [0x010080, 0x0700c0] });
  s.feed(C, c1, 0, c1.length);
  const s1 = ssl2ServerHello({ kinds: [0x010080] });
  s.feed(S, s1, 0, s1.length);
  assert.is(s.negotiatedVersion, 2);
  assert.is(s.serverHello.cipherSuite, 0x010080);
  assert.equal(s.serverCertificates, [fill(300, 8)]);
  const cmk = ssl2Record(cat(u8(2), Buffer.from([1, 0, 0x80]), u16(0), u16(64), u16(0), fill(64)));
  s.feed(C, cmk, 0, cmk.length);
  assert.is(s.established, false);
  const fin = ssl2Record(fill(33), 2);
  s.feed(C, fin, 0, fin.length);
  assert.is(s.established, true);
  assert.is(s.history, 'CsG');
});

test('gap stops a direction; later bytes are ignored', () => {
  const s = new TlsSession();
  s.gap(C);
  const c1 = record(CT.handshake, ch12());
  s.feed(C, c1, 0, c1.length);
  assert.is(s.clientHello, null);
  assert.is(s.gapSeen, true);
  s.gap(S);
  assert.is(s.done, true);
});

test('application data bodies are skipped without buffering, even huge totals', () => {
  const s = new TlsSession({ maxHandshakeBytes: 4096 });
  full12(s);
  const sf = cat(ccs(), encFinished());
  s.feed(S, sf, 0, sf.length);
  const big = record(CT.appData, Buffer.alloc(16384));
  for (let i = 0; i < 50; i++) feedChunks(s, C, big, 1000);
  assert.equal(s.malformed, []);
});

test('SSLv2 ERROR from the server: fatal, done', () => {
  const s = new TlsSession();
  const c1 = ssl2ClientHello({ version: 0x0002 });
  s.feed(C, c1, 0, c1.length);
  const err = ssl2Record(cat(u8(0), u16(1)));
  s.feed(S, err, 0, err.length);
  assert.is(s.done, true);
  assert.equal(s.alerts[0].ssl2Error, 1);
  assert.is(s.established, false);
});

test('feedHandshake: a QUIC-style CRYPTO stream (no records), split anywhere', () => {
  const s = new TlsSession();
  const hello = ch13([EXT.quicTp(Buffer.from([1, 2, 3, 4]))]);
  for (let p = 0; p < hello.length; p += 100) s.feedHandshake(C, hello, p, Math.min(100, hello.length - p));
  assert.is(s.clientHello.serverName, 'tls13.example');
  assert.equal(s.clientHello.quicTransportParameters, Buffer.from([1, 2, 3, 4]));
  assert.is(s.clientHello.recordVersion, 0);
  const shm = sh13();
  s.feedHandshake(S, shm, 0, shm.length);
  assert.is(s.negotiatedVersion, 0x0304);
  assert.is(s.history, 'Cs');
});

test('datagramRecord: caller-framed records drive CCS / alert / established state', () => {
  const s = new TlsSession({ format: 'dtls' });
  const body = clientHelloBody({ version: 0xfefd, cookie: fill(8), ciphers: [0xc02b], extensions: [EXT.sni('dtls.example')] });
  assert.is(s.datagramRecord(C, CT.handshake, 0xfefd, body, 0, body.length), true, 'cleartext handshake: caller parses');
  s.handshakeMessage(C, HS.clientHello, body, 0, body.length);
  assert.equal(s.clientHello.cookie, fill(8));
  const shb = serverHelloBody({ version: 0xfefd, cipher: 0xc02b });
  s.datagramRecord(S, CT.handshake, 0xfefd, shb, 0, shb.length);
  s.handshakeMessage(S, HS.serverHello, shb, 0, shb.length);
  const one = Buffer.from([1]);
  s.datagramRecord(C, CT.ccs, 0xfefd, one, 0, 1);
  assert.is(s.datagramRecord(C, CT.handshake, 0xfefd, fill(40), 0, 40), false, 'encrypted Finished');
  s.datagramRecord(S, CT.ccs, 0xfefd, one, 0, 1);
  assert.is(s.established, false);
  s.datagramRecord(S, CT.handshake, 0xfefd, fill(40), 0, 40);
  assert.is(s.established, true);
  assert.is(s.history, 'CsIi');
});

test('TLS 1.3 seen from the server side only never completes', () => {
  const s = new TlsSession();
  const c1 = record(CT.handshake, ch13());
  s.feed(C, c1, 0, c1.length);
  const s1 = cat(record(CT.handshake, sh13()), appData(300), appData(300), appData(300));
  s.feed(S, s1, 0, s1.length);
  assert.is(s.established, false);
  assert.is(s.done, false);
});

test('isTlsStart', () => {
  const hello = record(CT.handshake, ch12(), 0x0301);
  assert.ok(isTlsStart(hello, 0, hello.length));
  assert.ok(isTlsStart(hello, 0, 3), 'a handshake header prefix');
  assert.ok(isTlsStart(appData(), 0, 5), 'mid-stream application data');
  assert.ok(isTlsStart(ccs(), 0, 6));
  const v2 = ssl2ClientHello();
  assert.ok(isTlsStart(v2, 0, v2.length));
  const v2b = ssl2ClientHello({ header: 3 });
  assert.ok(isTlsStart(v2b, 0, v2b.length));
  assert.ok(isTlsStart(ssl2ClientHello({ version: 0x0002 }), 0, 20));
  for (const text of ['GET / HTTP/1.1\r\n', 'SSH-2.0-OpenSSH\r\n', '220 smtp ready\r\n']) assert.not.ok(isTlsStart(Buffer.from(text), 0, text.length), text);
  assert.not.ok(isTlsStart(record(CT.handshake, Buffer.alloc(10), 0x0303, 30000), 0, 15), 'length too large');
  assert.not.ok(isTlsStart(Buffer.from([0x16, 0x03]), 0, 2), 'too short to tell');
  assert.not.ok(isTlsStart(Buffer.from([0x16, 0x02, 0x00, 0x00, 0x10]), 0, 5), 'bad version');
});

test.run();
