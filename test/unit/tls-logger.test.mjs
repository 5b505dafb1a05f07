// tlsDocument: the contract's tls.* fields (nested, no nulls) and intransit.tls facts, from
// sessions built with the TLS test builder. Certificates are generated with openssl when it is
// available (real X.509 facts), else a placeholder DER (hash-only checks).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TlsSession } from '../../agent/dist/protocols/tls/session.js';
import { tlsDocument } from '../../agent/dist/protocols/tls/logger.js';
import {
  CT, EXT, HS, HRR_RANDOM, alert, appData, cat, ccs, certificateBody, clientHelloBody, fill, handshake, record, serverHelloBody,
  skeDhe, skeEcdhe, ssl2ClientHello, ssl2Record, ssl2ServerHello, u8, u16, vec8,
} from './tls-builder.mjs';

const C = true;
const S = false;
const sha = (b) => createHash('sha256').update(b).digest('hex');

function makeCert(cn) {
  const dir = mkdtempSync(join(tmpdir(), 'tls-logger-'));
  try {
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'k.pem'),
      '-subj', `/CN=${cn}`, '-addext', `subjectAltName=DNS:${cn},DNS:www.${cn}`, '-days', '30', '-outform', 'DER', '-out', join(dir, 'c.der')], { encoding: 'utf8' });
    if (r.status !== 0) return null;
    return readFileSync(join(dir, 'c.der'));
  } catch {
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const REAL = makeCert('shop.example');
const LEAF = REAL ?? fill(500, 3);
const CA = fill(400, 4);

/** Fails on any null / undefined / empty string / empty array anywhere in the document. */
function noEmpty(o, path = '') {
  for (const [k, v] of Object.entries(o)) {
    const p = `${path}.${k}`;
    assert.ok(v !== null && v !== undefined && v !== '', `${p} is empty`);
    if (Array.isArray(v)) assert.ok(v.length > 0, `${p} is an empty list`);
    else if (typeof v === 'object') noEmpty(v, p);
  }
}

function tls12(s, { cipher = 0xc02f, ske = handshake(HS.serverKeyExchange, skeEcdhe(23)) } = {}) {
  const ch = record(CT.handshake, handshake(HS.clientHello, clientHelloBody({
    ciphers: [0x0a0a, 0xc02f, 0x009e, 0x00ff],
    extensions: [EXT.grease(0x1a1a), EXT.sni('shop.example'), EXT.groups([0x2a2a, 29, 23]), EXT.pointFormats([0]), EXT.alpn(['h2', 'http/1.1']), EXT.sigAlgs([0x0403, 0x0804]), EXT.sessionTicket()],
  })), 0x0301);
  s.feed(C, ch, 0, ch.length);
  const sf = record(CT.handshake, cat(
    handshake(HS.serverHello, serverHelloBody({ cipher, extensions: [EXT.alpnServer('h2'), EXT.renegotiationInfo()] })),
    handshake(HS.certificate, certificateBody([LEAF, CA])), ske, handshake(HS.serverHelloDone, Buffer.alloc(0)),
  ));
  s.feed(S, sf, 0, sf.length);
  const cf = cat(record(CT.handshake, handshake(HS.clientKeyExchange, vec8(fill(65)))), ccs(), record(CT.handshake, fill(40)));
  s.feed(C, cf, 0, cf.length);
  const sf2 = cat(ccs(), record(CT.handshake, fill(40)));
  s.feed(S, sf2, 0, sf2.length);
}

test('TLS 1.2 ECDHE: contract fields, nested, no nulls', () => {
  const s = new TlsSession();
  tls12(s);
  const d = tlsDocument(s, 't');
  noEmpty(d.tls);
  noEmpty(d.intransitTls);
  const t = d.tls;
  assert.is(t.version_protocol, 'tls');
  assert.is(t.version, '1.2');
  assert.is(t.cipher, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
  assert.is(t.curve, 'secp256r1');
  assert.is(t.established, true);
  assert.is(t.resumed, false);
  assert.is(t.next_protocol, 'h2');
  assert.is(t.client.server_name, 'shop.example');
  assert.equal(t.client.supported_ciphers, ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_EMPTY_RENEGOTIATION_INFO_SCSV']);
  assert.match(t.client.ja3, /^[0-9a-f]{32}$/);
  assert.match(t.client.ja4, /^t12d0\d{3}h2_[0-9a-f]{12}_[0-9a-f]{12}$/);
  assert.match(t.server.ja3s, /^[0-9a-f]{32}$/);
  assert.is(t.server.hash.sha256, sha(LEAF));
  if (REAL) {
    assert.is(t.server.x509.subject.common_name, 'shop.example');
    assert.is(t.server.x509.issuer.common_name, 'shop.example');
    assert.equal(t.server.x509.alternative_names, ['shop.example', 'www.shop.example']);
    assert.is(t.server.x509.public_key_curve, 'prime256v1');
    assert.is(t.server.x509.public_key_size, 256);
    assert.ok(Date.parse(t.server.x509.not_after) > Date.parse(t.server.x509.not_before));
  }
  const it = d.intransitTls;
  assert.equal(it.chain_sha256, [sha(LEAF), sha(CA)]);
  assert.is(it.chain.length, REAL ? 2 : it.chain.length);
  assert.is(it.key_exchange, 'ecdhe');
  assert.is(it.key_exchange_signature, 'rsa_pss_rsae_sha256');
  assert.is(it.hello_retry, false);
  assert.is(it.certificate_requested, false);
  assert.is(it.client_certificate, 'none');
  assert.equal(it.client.versions, ['1.2']);
  assert.equal(it.client.groups, ['x25519', 'secp256r1']);
  assert.equal(it.client.alpn, ['h2', 'http/1.1']);
  assert.equal(it.client.extensions, [0x1a1a, 0, 10, 11, 16, 13, 35]);
  assert.is(it.client.session_ticket, true);
  assert.is(it.client.ech, false);
  assert.is(it.history, 'CsxknGIi');
  assert.is(it.malformed, undefined);
});

test('TLS 1.2 DHE: no curve, prime size, key exchange dhe', () => {
  const s = new TlsSession();
  tls12(s, { cipher: 0x009e, ske: handshake(HS.serverKeyExchange, skeDhe(128)) });
  const d = tlsDocument(s, 't');
  assert.is(d.tls.curve, undefined);
  assert.is(d.intransitTls.dh_prime_bits, 1024);
  assert.is(d.intransitTls.key_exchange, 'dhe');
  noEmpty(d.tls);
});

test('TLS 1.3 after HRR: version from supported_versions, curve from the final key_share, PSK', () => {
  const s = new TlsSession();
  const sid = fill(32, 9);
  const exts = [EXT.sni('h.example'), EXT.supportedVersions([0x5a5a, 0x0304, 0x0303]), EXT.groups([0x11ec, 29, 24]), EXT.keyShare([[0x11ec, 1216], [29, 32]]), EXT.pskModes([1]), EXT.ech(), EXT.psk()];
  const ch1 = record(CT.handshake, handshake(HS.clientHello, clientHelloBody({ sessionId: sid, ciphers: [0x1301, 0x1302], extensions: exts })), 0x0301);
  s.feed(C, ch1, 0, ch1.length);
  const hrr = record(CT.handshake, handshake(HS.serverHello, serverHelloBody({ random: HRR_RANDOM, sessionId: sid, cipher: 0x1302, extensions: [EXT.supportedVersion(0x0304), EXT.keyShareHrr(24)] })));
  s.feed(S, hrr, 0, hrr.length);
  const ch2 = record(CT.handshake, handshake(HS.clientHello, clientHelloBody({ sessionId: sid, ciphers: [0x1302], extensions: [EXT.sni('h.example'), EXT.supportedVersions([0x0304]), EXT.keyShare([[24, 133]]), EXT.pskModes([1]), EXT.psk()] })));
  s.feed(C, ch2, 0, ch2.length);
  const sh = cat(record(CT.handshake, handshake(HS.serverHello, serverHelloBody({ sessionId: sid, cipher: 0x1302, extensions: [EXT.supportedVersion(0x0304), EXT.keyShareServer(24, 133), EXT.pskServer(0)] }))), appData(90));
  s.feed(S, sh, 0, sh.length);
  const fin = appData(50);
  s.feed(C, fin, 0, fin.length);
  const d = tlsDocument(s, 't');
  noEmpty(d.tls);
  assert.is(d.tls.version, '1.3');
  assert.is(d.tls.cipher, 'TLS_AES_256_GCM_SHA384');
  assert.is(d.tls.curve, 'secp384r1');
  assert.is(d.tls.established, true);
  assert.is(d.tls.resumed, true);
  assert.is(d.tls.server.hash, undefined, 'TLS 1.3 certificates are encrypted');
  assert.match(d.tls.server.ja3s, /^[0-9a-f]{32}$/);
  assert.is(d.intransitTls.chain_sha256, undefined);
  assert.is(d.intransitTls.hello_retry, true);
  assert.equal(d.intransitTls.client.versions, ['1.3', '1.2']);
  assert.equal(d.intransitTls.client.key_share_groups, ['X25519MLKEM768', 'x25519']);
  assert.is(d.intransitTls.client.ech, true);
  assert.is(d.intransitTls.client.psk, true);
  assert.is(d.intransitTls.key_exchange, 'ecdhe');
  assert.match(d.tls.client.ja4, /^t13d/);
});

test('SSLv2 session: ssl 2.0, SSLv2 cipher kind names, key exchange rsa', () => {
  const s = new TlsSession();
  const c1 = ssl2ClientHello({ version: 0x0002, kinds: [0x010080, 0x0700c0, 0x000035] });
  s.feed(C, c1, 0, c1.length);
  const s1 = ssl2ServerHello({ kinds: [0x0700c0], cert: LEAF });
  s.feed(S, s1, 0, s1.length);
  const cmk = cat(ssl2Record(cat(u8(2), Buffer.from([7, 0, 0xc0]), u16(0), u16(64), u16(0), fill(64))), ssl2Record(fill(33)));
  s.feed(C, cmk, 0, cmk.length);
  const d = tlsDocument(s, 't');
  noEmpty(d.tls);
  assert.is(d.tls.version_protocol, 'ssl');
  assert.is(d.tls.version, '2.0');
  assert.is(d.tls.cipher, 'SSL_CK_DES_192_EDE3_CBC_WITH_MD5');
  assert.equal(d.tls.client.supported_ciphers, ['SSL_CK_RC4_128_WITH_MD5', 'SSL_CK_DES_192_EDE3_CBC_WITH_MD5', 'TLS_RSA_WITH_AES_256_CBC_SHA']);
  assert.is(d.tls.established, true);
  assert.is(d.tls.server.hash.sha256, sha(LEAF));
  assert.is(d.intransitTls.key_exchange, 'rsa');
  assert.is(d.intransitTls.client.sslv2_hello, true);
});

test('alerts, client certificate and certificate request in intransit.tls', () => {
  const s = new TlsSession();
  const ch = record(CT.handshake, handshake(HS.clientHello, clientHelloBody({ ciphers: [0xc02f], extensions: [EXT.sni('m.example')] })));
  s.feed(C, ch, 0, ch.length);
  const sf = record(CT.handshake, cat(
    handshake(HS.serverHello, serverHelloBody({ cipher: 0xc02f })), handshake(HS.certificate, certificateBody([CA])),
    handshake(HS.serverKeyExchange, skeEcdhe(29, 32)), handshake(HS.certificateRequest, cat(vec8(Buffer.from([1])), u16(2), u16(0x0401), u16(0))),
    handshake(HS.serverHelloDone, Buffer.alloc(0)),
  ));
  s.feed(S, sf, 0, sf.length);
  const cf = record(CT.handshake, cat(handshake(HS.certificate, certificateBody([LEAF])), handshake(HS.clientKeyExchange, vec8(fill(32)))));
  s.feed(C, cf, 0, cf.length);
  const a = alert(2, 42);
  s.feed(S, a, 0, a.length);
  const d = tlsDocument(s, 't');
  noEmpty(d.tls);
  noEmpty(d.intransitTls);
  assert.is(d.tls.established, false);
  assert.is(d.tls.curve, 'x25519');
  assert.is(d.tls.client.hash.sha256, sha(LEAF));
  if (REAL) assert.is(d.tls.client.x509.subject.common_name, 'shop.example');
  assert.is(d.intransitTls.certificate_requested, true);
  assert.is(d.intransitTls.client_certificate, 'sent');
  assert.equal(d.intransitTls.alerts, [{ from: 'server', level: 'fatal', description: 'bad_certificate' }]);
});

test('only a ClientHello: client facts, no version / cipher; nothing at all → null', () => {
  const s = new TlsSession();
  assert.is(tlsDocument(s, 't'), null);
  const ch = record(CT.handshake, handshake(HS.clientHello, clientHelloBody({ ciphers: [0x1301], extensions: [EXT.sni('q.example'), EXT.supportedVersions([0x0304]), EXT.alpn(['h3'])] })));
  s.feed(C, ch, 0, ch.length);
  const d = tlsDocument(s, 'q');
  noEmpty(d.tls);
  assert.is(d.tls.version, undefined);
  assert.is(d.tls.cipher, undefined);
  assert.is(d.tls.established, false);
  assert.match(d.tls.client.ja4, /^q13d/);
  assert.is(d.intransitTls.client_certificate, 'none');
});

test('malformed reasons reach intransit.tls.malformed', () => {
  const s = new TlsSession();
  const ch = cat(record(CT.handshake, handshake(HS.clientHello, clientHelloBody({ extensions: [EXT.sni('g.example')] }))), Buffer.from('garbage!'));
  s.feed(C, ch, 0, ch.length);
  const d = tlsDocument(s, 't');
  assert.equal(d.intransitTls.malformed, ['record-bad-content-type']);
});

test.run();
