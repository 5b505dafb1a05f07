// QuicSession: Initial packets of both sides opened and their CRYPTO streams reassembled
// into the TLS hellos; coalesced packets, Retry, Version Negotiation, reordering, and the
// reasons a handshake stays unobservable.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { QuicSession } from '../../agent/dist/protocols/quic/session.js';
import { tlsDocument } from '../../agent/dist/protocols/tls/logger.js';
import { RFC, h } from './quic-vectors.mjs';
import {
  V1, V2, cat, F, packet, retry, versionNegotiation, clientHello, serverHello, transportParams, varint,
  DCID, CSCID, SSCID, clientInitial, serverInitial,
} from './quic-builder.mjs';

function run(datagrams) {
  const s = new QuicSession();
  for (const [fromA, d] of datagrams) s.datagram(fromA, d, 0, d.length);
  s.end();
  return s;
}

const CH = clientHello();
const SH = serverHello();

test('builder reproduces the RFC 9001 A.2 client Initial byte for byte', () => {
  const crypto = h(RFC.clientCrypto);
  const p = packet({ dcid: h(RFC.dcid), pn: 2, pnLen: 4, frames: [crypto], minSize: 1200 });
  assert.is(p.toString('hex'), RFC[V1].clientPacket);
});

for (const [name, code] of [['v1', V1], ['v2', V2]]) {
  test(`RFC ${name} client and server Initials: both hellos, transport parameters, done`, () => {
    const s = run([[true, h(RFC[code].clientPacket)], [false, h(RFC[code].serverPacket)]]);
    assert.ok(s.done);
    assert.is(s.tls.clientHello.serverName, 'example.com');
    assert.is(s.tls.serverHello.cipherSuite, 0x1301);
    assert.is(s.tls.clientIsOriginator, true);
    assert.equal(s.unobservable, []);
    const f = s.facts();
    assert.is(f.version, name);
    assert.is(f.client_dcid, RFC.dcid);
    assert.is(f.server_scid, 'f067a5502a4262b5');
    assert.is(f.retry, false);
    assert.equal(f.initial_packets, { client: 1, server: 1 });
    assert.equal(f.client_transport_parameters, {
      initial_max_data: '4611686018427387903',
      initial_max_stream_data_bidi_local: 65535,
      initial_max_stream_data_uni: 65535,
      initial_max_streams_bidi: 16,
      max_idle_timeout: 30000,
      initial_max_streams_uni: 16,
      initial_source_connection_id: '8394c8f03e515708',
      initial_max_stream_data_bidi_remote: 65535,
    });
    const doc = tlsDocument(s.tls, s.fingerprintTransport);
    assert.ok(doc.tls.client.ja4.startsWith('q13d'), doc.tls.client.ja4);
    assert.is(doc.tls.cipher, 'TLS_AES_128_GCM_SHA256');
    assert.is(doc.tls.curve, 'x25519');
  });
}

test('the server side first in the flow (side B is the client)', () => {
  const s = run([[false, h(RFC[V1].clientPacket)], [true, h(RFC[V1].serverPacket)]]);
  assert.is(s.tls.clientIsOriginator, false);
  assert.ok(s.tls.serverHello);
});

test('server Initial captured before the client Initial: held, replayed, opened', () => {
  const s = run([[false, serverInitial([F.ack(0), F.crypto(0, SH)])], [true, clientInitial([F.crypto(0, CH)])]]);
  assert.ok(s.tls.clientHello && s.tls.serverHello);
  assert.is(s.tls.clientIsOriginator, true);
  assert.equal(s.unobservable, []);
});

test('CRYPTO stream split and shuffled over three packets in three datagrams', () => {
  const big = clientHello({ extra: [cat(Buffer.from([0x44, 0x69]), varint(0), Buffer.alloc(0))] });
  const cuts = [0, 50, 51, 200, 333, big.length];
  const pieces = cuts.slice(1).map((end, i) => F.crypto(cuts[i], big.subarray(cuts[i], end)));
  // packet 1: pieces 4 and 2; packet 2: piece 5 then 1; packet 3: piece 3 (plus duplicates)
  const d1 = clientInitial([pieces[3], F.padding(3), pieces[1]], { pn: 0 });
  const d2 = clientInitial([pieces[4], F.ping(), pieces[0]], { pn: 1 });
  const d3 = clientInitial([pieces[0], pieces[2], pieces[3]], { pn: 2 });
  const s = run([[true, d3], [true, d1], [true, d2], [false, serverInitial([F.crypto(0, SH)])]]);
  assert.ok(s.tls.clientHello, 'ClientHello reassembled');
  assert.is(s.tls.clientHello.serverName, 'quic.example.test');
  const whole = run([[true, clientInitial([F.crypto(0, big)])]]);
  assert.equal(s.tls.clientHello.extensions, whole.tls.clientHello.extensions);
  assert.equal(s.facts().initial_packets, { client: 3, server: 1 });
  assert.equal(s.unobservable, []);
});

test('coalesced datagrams: server Initial + Handshake, client Initial + 0-RTT', () => {
  const server = cat(
    serverInitial([F.ack(0, { ecn: true, ranges: 1 }), F.crypto(0, SH)], { pn: 0 }),
    packet({ type: 'handshake', dcid: CSCID, scid: SSCID, frames: [Buffer.alloc(300)] }),
    packet({ type: 'handshake', dcid: CSCID, scid: SSCID, frames: [Buffer.alloc(20)] }),
  );
  const client = cat(
    packet({ dcid: DCID, scid: CSCID, frames: [F.crypto(0, CH)] }),
    packet({ type: '0rtt', dcid: DCID, scid: CSCID, frames: [Buffer.alloc(800)] }),
    Buffer.alloc(40), // datagram padding after the packets
  );
  const s = run([[true, client], [false, server]]);
  assert.ok(s.tls.clientHello && s.tls.serverHello);
  assert.ok(s.done);
  assert.is(s.facts().malformed, undefined);
});

test('Retry, then the client Initial under the Retry SCID: keys derived again', () => {
  const newDcid = Buffer.from('r1r2r3r4r5r6r7r8', 'latin1');
  const s = run([
    [true, clientInitial([F.crypto(0, CH)], { pn: 0 })],
    [false, retry({ dcid: CSCID, scid: newDcid, odcid: DCID })],
    [true, clientInitial([F.crypto(0, CH)], { pn: 1, dcid: newDcid, token: Buffer.from('token') })],
    [false, serverInitial([F.ack(1), F.crypto(0, SH)], { keyDcid: newDcid })],
  ]);
  assert.ok(s.tls.serverHello, 'server Initial opened with keys from the Retry SCID');
  const f = s.facts();
  assert.is(f.retry, true);
  assert.is(f.retry_integrity, true);
  assert.is(f.client_dcid, DCID.toString('hex'));
  assert.equal(f.initial_packets, { client: 2, server: 1 });
  assert.equal(s.unobservable, []);
});

test('Retry with a bad integrity tag is noted', () => {
  const s = run([
    [true, clientInitial([F.crypto(0, CH)])],
    [false, retry({ version: V1, dcid: CSCID, scid: SSCID, odcid: DCID, tagValid: false })],
  ]);
  assert.is(s.facts().retry_integrity, false);
});

test('Version Negotiation, then a new attempt in v2 under a new DCID', () => {
  const dcid2 = Buffer.from('0badcafe0badcafe', 'hex');
  const s = run([
    [true, clientInitial([F.crypto(0, CH)], { version: 0x1a2a3a4a })],
    [false, versionNegotiation({ dcid: CSCID, scid: DCID, versions: [V2, V1, 0x5a6a7a8a] })],
    [true, clientInitial([F.crypto(0, CH)], { version: V2, dcid: dcid2 })],
    [false, serverInitial([F.crypto(0, SH)], { version: V2, keyDcid: dcid2 })],
  ]);
  assert.ok(s.tls.serverHello);
  const f = s.facts();
  assert.is(f.version, 'v2');
  assert.equal(f.version_negotiation, ['v2', 'v1', '0x5a6a7a8a']);
  assert.is(f.client_dcid, dcid2.toString('hex'));
  assert.equal(s.unobservable, []);
});

test('draft-29 Initials (draft salt, 0xffa5 transport parameters)', () => {
  const ch = clientHello({ tpExt: 0xffa5, tp: transportParams([[0x04, varint(65536)]]) });
  const s = run([
    [true, clientInitial([F.crypto(0, ch)], { version: 0xff00001d })],
    [false, serverInitial([F.crypto(0, SH)], { version: 0xff00001d })],
  ]);
  assert.ok(s.tls.serverHello);
  assert.is(s.facts().version, 'draft-29');
  assert.equal(s.facts().client_transport_parameters, { initial_max_data: 65536 });
});

test('transport parameters: known, GREASE, unknown', () => {
  const s = run([[true, clientInitial([F.crypto(0, CH)])]]);
  assert.equal(s.facts().client_transport_parameters, {
    max_idle_timeout: 30000,
    initial_max_data: 1048576,
    max_udp_payload_size: 1472,
    active_connection_id_limit: 4,
    initial_source_connection_id: 'c1c2c3c4',
    grease_quic_bit: true,
    unknown: ['0x3127'],
    grease: 1,
  });
});

test('compatible version negotiation: v1 ClientHello, v2 server Initial', () => {
  const s = run([
    [true, clientInitial([F.crypto(0, CH)])],
    [false, serverInitial([F.crypto(0, SH)], { version: V2 })],
  ]);
  assert.ok(s.tls.serverHello);
  assert.is(s.facts().version, 'v2');
  assert.is(s.facts().client_version, 'v1');
});

test('an Initial that does not authenticate: quic-decryption-failed, no crash', () => {
  const d = clientInitial([F.crypto(0, CH)]);
  d[d.length - 30] ^= 0x40;
  const s = run([[true, d]]);
  assert.is(s.tls.clientHello, null);
  assert.equal(s.unobservable, ['quic-decryption-failed']);
});

test('an Initial cut short (snap length): quic-decryption-failed, packet-truncated noted', () => {
  const d = clientInitial([F.crypto(0, CH)]).subarray(0, 600);
  const s = run([[true, d]]);
  assert.equal(s.unobservable, ['quic-decryption-failed']);
  assert.equal(s.facts().malformed, ['packet-truncated']);
});

test("the server's Initial does not authenticate: quic-decryption-failed", () => {
  const bad = serverInitial([F.crypto(0, SH)]);
  bad[bad.length - 1] ^= 1;
  const s = run([[true, clientInitial([F.crypto(0, CH)])], [false, bad]]);
  assert.ok(s.tls.clientHello);
  assert.equal(s.unobservable, ['quic-decryption-failed']);
});

test('a CRYPTO gap that never fills: quic-crypto-gap', () => {
  const s = run([[true, clientInitial([F.crypto(100, CH.subarray(100))])], [false, serverInitial([F.crypto(0, SH)])]]);
  assert.is(s.tls.clientHello, null);
  assert.equal(s.unobservable, ['quic-crypto-gap']);
  // the missing piece arriving later completes it
  const t = run([[true, clientInitial([F.crypto(100, CH.subarray(100))], { pn: 0 })], [true, clientInitial([F.crypto(0, CH.subarray(0, 100))], { pn: 1 })]]);
  assert.ok(t.tls.clientHello);
});

test('server Initial with only an ACK says nothing is missing', () => {
  const s = run([[true, clientInitial([F.crypto(0, CH)])], [false, serverInitial([F.ack(0)])]]);
  assert.equal(s.unobservable, []);
});

test('unknown version: quic-unknown-version', () => {
  const s = run([[true, clientInitial([F.crypto(0, CH)], { version: 0x1a2a3a4a })]]);
  assert.equal(s.unobservable, ['quic-unknown-version']);
  assert.is(s.facts().version, '0x1a2a3a4a');
});

test('Google QUIC: long header Q050 and legacy Q043 public header are gquic', () => {
  const q050 = Buffer.from('c3513035300850505050505050500000000000', 'hex');
  const s = run([[true, q050]]);
  assert.equal(s.unobservable, ['gquic']);
  assert.is(s.facts().version, 'Q050');
  assert.ok(s.done);
  const legacy = cat(Buffer.from([0x0d]), Buffer.alloc(8, 7), Buffer.from('Q043'), Buffer.alloc(40, 1));
  const t = run([[true, legacy]]);
  assert.equal(t.unobservable, ['gquic']);
  assert.is(t.facts().version, 'Q043');
});

test('only Handshake and 1-RTT packets (flow joined late): quic-no-initial', () => {
  const s = run([
    [true, packet({ type: 'handshake', dcid: DCID, scid: CSCID, frames: [Buffer.alloc(60)] })],
    [false, Buffer.from('4' + '1'.repeat(99), 'hex')],
  ]);
  assert.equal(s.unobservable, ['quic-no-initial']);
});

test('CONNECTION_CLOSE with a TLS alert, and an unexpected frame type', () => {
  const s = run([
    [true, clientInitial([F.crypto(0, CH)])],
    [false, serverInitial([F.ack(0), F.close(0x128, 6, 'no application protocol')])],
    [false, serverInitial([F.crypto(0, SH), F.appClose(7), u8x(0x08)], { pn: 1 })],
  ]);
  const f = s.facts();
  assert.equal(f.connection_close[0], { from: 'server', application: false, error_code: 0x128, frame_type: 6, tls_alert: 40, reason: 'no application protocol' });
  assert.equal(f.connection_close[1], { from: 'server', application: true, error_code: 7 });
  assert.equal(f.malformed, ['frame-type-0x8-in-initial']);
});
const u8x = (n) => Buffer.from([n]);

test('budget: at most 64 datagrams looked at; 1-RTT from both sides ends the work', () => {
  const s = new QuicSession();
  const short = Buffer.from('40' + '11'.repeat(40), 'hex');
  const hs = packet({ type: 'handshake', dcid: CSCID, scid: SSCID, frames: [Buffer.alloc(30)] });
  for (let i = 0; i < 63; i++) s.datagram(i % 2 === 0, hs, 0, hs.length);
  assert.not.ok(s.done);
  s.datagram(true, short, 0, short.length);
  assert.ok(s.done, '64th datagram');
  const t = new QuicSession();
  for (const [fromA, d] of [[true, clientInitial([F.crypto(0, CH)])], [true, short]]) t.datagram(fromA, d, 0, d.length);
  assert.not.ok(t.done);
  const greased = Buffer.from('0a' + '22'.repeat(30), 'hex'); // fixed bit greased (RFC 9287)
  t.datagram(false, greased, 0, greased.length);
  assert.ok(t.done, 'both sides sent 1-RTT');
});

test('at most 16 Initial packets opened per direction', () => {
  const list = [];
  for (let i = 0; i < 20; i++) list.push([true, clientInitial([F.ping()], { pn: i })]);
  const s = run(list);
  assert.is(s.facts().initial_packets.client, 16);
});

test('truncated and corrupted datagrams at every length never throw', () => {
  const client = cat(clientInitial([F.crypto(0, CH)]));
  const server = cat(serverInitial([F.ack(0), F.crypto(0, SH)]), packet({ type: 'handshake', dcid: CSCID, scid: SSCID, frames: [Buffer.alloc(50)] }));
  const vn = versionNegotiation({ dcid: CSCID, scid: DCID, versions: [V1] });
  const rt = retry({ dcid: CSCID, scid: SSCID, odcid: DCID });
  for (const d of [client, server, vn, rt]) {
    for (let n = 0; n <= Math.min(d.length, 300); n++) {
      const s = new QuicSession();
      s.datagram(true, client, 0, client.length);
      s.datagram(false, d, 0, n);
      s.end();
      s.facts();
      void s.unobservable;
    }
  }
  // every single-byte corruption of the header bytes
  for (let i = 0; i < 40; i++) {
    for (const x of [0x01, 0x80, 0xff]) {
      const d = Buffer.from(server);
      d[i] ^= x;
      const s = run([[true, client], [false, d]]);
      s.facts();
    }
  }
  // random garbage
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
  for (let k = 0; k < 200; k++) {
    const d = Buffer.from(Array.from({ length: 1 + (k % 90) }, rnd));
    d[0] |= 0x80;
    run([[k % 2 === 0, d]]).facts();
  }
});

test('decryption failures are bounded: no crash on 50 corrupt Initials', () => {
  const list = [];
  for (let i = 0; i < 50; i++) {
    const d = clientInitial([F.ping()], { pn: i, dcid: Buffer.from([i, 1, 2, 3, 4, 5, 6, 7]) });
    d[d.length - 1] ^= 1;
    list.push([i % 2 === 0, d]);
  }
  const s = run(list);
  assert.equal(s.unobservable, ['quic-decryption-failed']);
});

void SSCID;
test.run();
