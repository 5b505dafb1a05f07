// QUIC identification from the first datagram of either side (long headers of known
// versions, Version Negotiation, Retry, Google QUIC), and its limits.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { QUIC, googleQuicLegacyVersion } from '../../agent/dist/protocols/quic/detect.js';
import { NO, YES, NEED_MORE } from '../../agent/dist/protocols/signature.js';
import { RFC, h } from './quic-vectors.mjs';
import { V1, V2, cat, F, packet, retry, versionNegotiation, clientHello, DCID, CSCID, SSCID, serverInitial } from './quic-builder.mjs';

const E = Buffer.alloc(0);
const client = (d, done = true) => QUIC.detect(d, E, done, true);

test('client Initials of v1, v2 and draft-29; server Initial; Handshake; Retry; VN', () => {
  assert.is(client(h(RFC[V1].clientPacket)), YES);
  assert.is(client(h(RFC[V2].clientPacket)), YES);
  assert.is(client(packet({ version: 0xff00001d, dcid: DCID, frames: [F.crypto(0, clientHello())], minSize: 1200 })), YES);
  assert.is(QUIC.detect(E, serverInitial([F.ack(0)]), true, true), YES);
  assert.is(QUIC.detect(E, packet({ type: 'handshake', dcid: CSCID, scid: SSCID, frames: [Buffer.alloc(40)] }), true, true), YES);
  assert.is(QUIC.detect(E, retry({ dcid: CSCID, scid: SSCID, odcid: DCID }), true, true), YES);
  assert.is(QUIC.detect(E, versionNegotiation({ dcid: CSCID, scid: DCID, versions: [V1] }), true, true), YES);
  assert.is(QUIC.detect(E, versionNegotiation({ dcid: CSCID, scid: DCID, versions: [0x0a1a2a3a] }), true, true), YES, 'greased version');
});

test('Google QUIC: Q050 long header, legacy Q043 public header', () => {
  assert.is(client(Buffer.from('c3513035300850505050505050500000000000', 'hex')), YES);
  const legacy = cat(Buffer.from([0x0d]), Buffer.alloc(8, 7), Buffer.from('Q043'), Buffer.alloc(40, 1));
  assert.is(client(legacy), YES);
  assert.is(googleQuicLegacyVersion(legacy, 0, legacy.length), 0x51303433);
  assert.is(client(cat(Buffer.from([0x0d]), Buffer.alloc(8, 7), Buffer.from('X043'))), NO);
  assert.is(client(Buffer.from([0x0d, 1, 2]), false), NEED_MORE);
});

test('not QUIC: unknown versions, short headers, 0-RTT first, oversized connection IDs', () => {
  assert.is(client(packet({ version: 0x1a2a3a4a, dcid: DCID, frames: [Buffer.alloc(40)] })), NO);
  assert.is(client(Buffer.from('4011223344556677889900', 'hex')), NO);
  assert.is(client(packet({ type: '0rtt', dcid: DCID, frames: [Buffer.alloc(40)] })), NO);
  assert.is(client(cat(Buffer.from('c00000000115', 'hex'), Buffer.alloc(40))), NO);
  assert.is(client(Buffer.from('GET / HTTP/1.1\r\n')), NO);
});

test('every prefix of a client Initial: NEED_MORE or YES, never a throw', () => {
  const d = h(RFC[V1].clientPacket);
  for (let n = 0; n <= 40; n++) {
    const v = QUIC.detect(d.subarray(0, n), E, false, false);
    assert.ok(v === NEED_MORE || v === YES, `length ${n}: ${v}`);
    QUIC.detect(d.subarray(0, n), E, true, true);
  }
});

test.run();
