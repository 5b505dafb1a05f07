// Sample packet protection from RFC 9001 Appendix A (QUIC v1) and RFC 9369 Appendix A
// (QUIC v2): Initial secrets, keys, header protection, the client and server Initial
// packets, the Retry integrity tag, and the key schedule of the ChaCha20 example (A.5).
// Shared with the session tests through quic-vectors.mjs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hkdfExtract, hkdfExpandLabel, hkdfLabel, initialKeys, openLongPacket, headerMask, decodePacketNumber, retryIntegrityValid } from '../../agent/dist/protocols/quic/crypto.js';
import { quicVersion, versionName, V1, V2 } from '../../agent/dist/protocols/quic/versions.js';
import { RFC, h } from './quic-vectors.mjs';

for (const [name, code] of [['RFC 9001 (v1)', V1], ['RFC 9369 (v2)', V2]]) {
  const r = RFC[code];
  const version = quicVersion(code);

  test(`${name} A.1: HKDF labels`, () => {
    assert.is(hkdfLabel('client in', 32).toString('hex'), '00200f746c73313320636c69656e7420696e00');
    assert.is(hkdfLabel('server in', 32).toString('hex'), '00200f746c7331332073657276657220696e00');
    assert.is(hkdfLabel(version.labelPrefix + 'key', 16).toString('hex'), r.labels.key);
    assert.is(hkdfLabel(version.labelPrefix + 'iv', 12).toString('hex'), r.labels.iv);
    assert.is(hkdfLabel(version.labelPrefix + 'hp', 16).toString('hex'), r.labels.hp);
  });

  test(`${name} A.1: initial secret and keys`, () => {
    assert.is(hkdfExtract(version.salt, h(RFC.dcid)).toString('hex'), r.initialSecret);
    const k = initialKeys(version, h(RFC.dcid));
    assert.is(k.client.secret.toString('hex'), r.client.secret);
    assert.is(k.client.key.toString('hex'), r.client.key);
    assert.is(k.client.iv.toString('hex'), r.client.iv);
    assert.is(k.client.hp.toString('hex'), r.client.hp);
    assert.is(k.server.secret.toString('hex'), r.server.secret);
    assert.is(k.server.key.toString('hex'), r.server.key);
    assert.is(k.server.iv.toString('hex'), r.server.iv);
    assert.is(k.server.hp.toString('hex'), r.server.hp);
  });

  test(`${name} A.2: client Initial header protection and payload`, () => {
    const k = initialKeys(version, h(RFC.dcid));
    const pkt = h(r.clientPacket);
    assert.is(pkt.length, 1200);
    assert.is(headerMask(k.client, pkt, 22).subarray(0, 5).toString('hex'), r.clientMask);
    const before = Buffer.from(pkt);
    const opened = openLongPacket(k.client, pkt, 0, 18, 1200, -1);
    assert.ok(opened, 'authenticates');
    assert.ok(pkt.equals(before), 'input untouched');
    assert.is(opened.packetNumber, 2);
    assert.is(opened.payload.length, 1162);
    const crypto = h(RFC.clientCrypto);
    assert.is(opened.payload.subarray(0, crypto.length).toString('hex'), crypto.toString('hex'));
    assert.ok(opened.payload.subarray(crypto.length).every((b) => b === 0), 'PADDING to 1162 bytes');
  });

  test(`${name} A.3: server Initial`, () => {
    const k = initialKeys(version, h(RFC.dcid));
    const pkt = h(r.serverPacket);
    const opened = openLongPacket(k.server, pkt, 0, 18, pkt.length, -1);
    assert.ok(opened);
    assert.is(opened.packetNumber, 1);
    assert.is(opened.payload.toString('hex'), RFC.serverPayload);
    assert.is(headerMask(k.server, pkt, 22).subarray(0, 5).toString('hex'), r.serverMask);
    // the server's keys do not open the client's packet, nor the client's the server's
    assert.is(openLongPacket(k.client, pkt, 0, 18, pkt.length, -1), null);
    assert.is(openLongPacket(k.server, h(r.clientPacket), 0, 18, 1200, -1), null);
  });

  test(`${name} A.4: Retry integrity tag`, () => {
    const pkt = h(r.retry);
    assert.is(retryIntegrityValid(version, h(RFC.dcid), pkt, 0, pkt.length), true);
    const other = h(RFC.dcid);
    other[0] ^= 1;
    assert.is(retryIntegrityValid(version, other, pkt, 0, pkt.length), false);
    const bad = Buffer.from(pkt);
    bad[bad.length - 1] ^= 0x80;
    assert.is(retryIntegrityValid(version, h(RFC.dcid), bad, 0, bad.length), false);
  });

  test(`${name} A.5: ChaCha20 packet keys from a secret`, () => {
    const secret = h(RFC.chachaSecret);
    assert.is(hkdfExpandLabel(secret, version.labelPrefix + 'key', 32).toString('hex'), r.chacha.key);
    assert.is(hkdfExpandLabel(secret, version.labelPrefix + 'iv', 12).toString('hex'), r.chacha.iv);
    assert.is(hkdfExpandLabel(secret, version.labelPrefix + 'hp', 32).toString('hex'), r.chacha.hp);
    assert.is(hkdfExpandLabel(secret, version.labelPrefix + 'ku', 32).toString('hex'), r.chacha.ku);
  });
}

test('a flipped byte anywhere in the protected packet fails authentication', () => {
  const version = quicVersion(V1);
  const k = initialKeys(version, h(RFC.dcid));
  const pkt = h(RFC[V1].clientPacket);
  for (const i of [0, 5, 17, 18, 21, 22, 100, 600, 1183, 1199]) {
    const bad = Buffer.from(pkt);
    bad[i] ^= 0x01;
    assert.is(openLongPacket(k.client, bad, 0, 18, 1200, -1), null, `byte ${i}`);
  }
  // too short for a sample or a tag
  assert.is(openLongPacket(k.client, pkt, 0, 18, 37, -1), null);
  assert.is(openLongPacket(k.client, pkt, 0, 18, 18, -1), null);
});

test('packet number decoding (RFC 9000 A.3)', () => {
  assert.is(decodePacketNumber(0xa82f30ea, 0x9b32, 2), 0xa82f9b32);
  assert.is(decodePacketNumber(-1, 0, 1), 0);
  assert.is(decodePacketNumber(-1, 2, 4), 2);
  assert.is(decodePacketNumber(255, 1, 1), 257);
  assert.is(decodePacketNumber(300, 0xff, 1), 255);
  assert.is(decodePacketNumber(2 ** 40, 5, 4), 2 ** 40 + 5 - 2 ** 32 + 2 ** 32);
});

test('version names and salts', () => {
  assert.is(versionName(V1), 'v1');
  assert.is(versionName(V2), 'v2');
  assert.is(versionName(0xff00001d), 'draft-29');
  assert.is(versionName(0xff000022), 'draft-34');
  assert.is(versionName(0x51303530), 'Q050');
  assert.is(versionName(0x1a2a3a4a), '0x1a2a3a4a');
  assert.is(quicVersion(0xff00001d).salt.toString('hex'), 'afbfec289993d24c9e9786f19c6111e04390a899');
  assert.is(quicVersion(0xff000020).salt.toString('hex'), 'afbfec289993d24c9e9786f19c6111e04390a899');
  assert.ok(quicVersion(0xff000021).salt.equals(quicVersion(V1).salt), 'draft-33 took the v1 salt');
  assert.is(quicVersion(0xff00001c).salt.toString('hex'), 'c3eef712c72ebb5a11a7d2432bb46365bef9f502');
  assert.is(quicVersion(0x1a2a3a4a), null);
  assert.is(quicVersion(0x51303530), null);
});

test.run();
