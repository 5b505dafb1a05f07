// Messages after the hellos: Certificate (TLS 1.2 and 1.3 layouts, streaming hash of an
// oversized one), ServerKeyExchange for every key-exchange family, CertificateRequest.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { CertificateStream, bitLength, parseCertificateRequest, parseCertificates, parseServerKeyExchange } from '../../agent/dist/protocols/tls/messages.js';
import { cat, certificateBody, certificateRequestBody, fill, skeDhe, skeEcdhe, u8, u16, u24, vec16, vec24, vec8 } from './tls-builder.mjs';

const sha = (b) => createHash('sha256').update(b).digest('hex');
const CERTS = [fill(1000, 1), fill(10, 2), fill(3000, 3)];
const tls13Body = (certs) => cat(vec8(Buffer.alloc(0)), vec24(cat(certs.map((c, i) => cat(vec24(c), vec16(i === 0 ? fill(7) : Buffer.alloc(0)))))));

test('Certificate: TLS 1.2 and TLS 1.3 layouts', () => {
  const b12 = certificateBody(CERTS);
  assert.equal(parseCertificates(b12, 0, b12.length, false), { value: CERTS, malformed: null });
  const b13 = tls13Body(CERTS);
  assert.equal(parseCertificates(b13, 0, b13.length, true), { value: CERTS, malformed: null });
  const empty = certificateBody([]);
  assert.equal(parseCertificates(empty, 0, empty.length, false), { value: [], malformed: null });
});

test('CertificateStream: same hashes as the buffered parser, whatever the chunking; DERs kept up to maxDer', () => {
  for (const [tls13, body] of [[false, certificateBody(CERTS)], [true, tls13Body(CERTS)]]) {
    for (const chunk of [1, 3, 100, 7000]) {
      const cs = new CertificateStream(tls13, 2000);
      for (let p = 0; p < body.length; p += chunk) cs.feed(body, p, Math.min(chunk, body.length - p));
      cs.finish();
      assert.is(cs.malformed, null, `tls13=${tls13} chunk=${chunk}`);
      assert.equal(cs.sha256, CERTS.map(sha));
      assert.equal(cs.der, [CERTS[0], CERTS[1], null]);
    }
  }
  const cut = certificateBody(CERTS).subarray(0, 1500);
  const cs = new CertificateStream(false, 5000);
  cs.feed(cut, 0, cut.length);
  cs.finish();
  assert.is(cs.malformed, 'certificate-list-past-end');
  assert.equal(cs.sha256, [sha(CERTS[0]), sha(CERTS[1])]);
});

test('ServerKeyExchange: ECDHE named curve and TLS 1.2 signature scheme', () => {
  const b = skeEcdhe(29, 32, 0x0403);
  const r = parseServerKeyExchange(b, 0, b.length, 'ECDHE', true, false);
  assert.equal(r, { value: { kind: 'ecdhe', namedCurve: 29, dhPrimeBits: 0, rsaModulusBits: 0, signatureAlgorithm: 0x0403 }, malformed: null });
  const r11 = parseServerKeyExchange(b, 0, b.length, 'ECDHE', false, false);
  assert.is(r11.value.signatureAlgorithm, -1, 'TLS 1.0/1.1 have no SignatureAndHashAlgorithm');
});

test('ServerKeyExchange: explicit curve, ECDHE_PSK and DHE_PSK (identity hint first)', () => {
  const explicit = cat(u8(1), fill(40));
  assert.is(parseServerKeyExchange(explicit, 0, explicit.length, 'ECDHE', true, false).value.namedCurve, -1);
  const epsk = cat(vec16(Buffer.from('hint')), u8(3), u16(23), vec8(fill(65)));
  assert.equal(parseServerKeyExchange(epsk, 0, epsk.length, 'ECDHE_PSK', true, false).value.namedCurve, 23);
  const p = fill(256);
  p[0] = 0xc0;
  const dpsk = cat(vec16(Buffer.alloc(0)), vec16(p), vec16(u8(2)), vec16(fill(256)));
  const r = parseServerKeyExchange(dpsk, 0, dpsk.length, 'DHE_PSK', true, false);
  assert.is(r.value.kind, 'dhe');
  assert.is(r.value.dhPrimeBits, 2048);
  assert.is(r.malformed, null);
});

test('ServerKeyExchange: DHE prime bits, anonymous DH, export RSA, PSK, SRP, unknown', () => {
  const dhe = skeDhe(192);
  assert.is(parseServerKeyExchange(dhe, 0, dhe.length, 'DHE', true, false).value.dhPrimeBits, 1536);
  const anon = skeDhe(64).subarray(0, 2 + 64 + 3 + 2 + 64);
  const ra = parseServerKeyExchange(anon, 0, anon.length, 'DH', true, true);
  assert.is(ra.value.dhPrimeBits, 512);
  assert.is(ra.value.signatureAlgorithm, -1);
  assert.is(ra.malformed, null);
  const mod = fill(64);
  mod[0] = 0x80;
  const rsa = cat(vec16(mod), vec16(Buffer.from([1, 0, 1])), vec16(fill(64)));
  const rr = parseServerKeyExchange(rsa, 0, rsa.length, 'RSA', false, false);
  assert.is(rr.value.kind, 'rsa');
  assert.is(rr.value.rsaModulusBits, 512);
  const psk = vec16(Buffer.from('identity hint'));
  assert.is(parseServerKeyExchange(psk, 0, psk.length, 'PSK', true, false).value.kind, 'psk');
  assert.is(parseServerKeyExchange(psk, 0, psk.length, 'SRP', true, false).value.kind, 'srp');
  assert.is(parseServerKeyExchange(psk, 0, psk.length, undefined, true, false).value.kind, 'unknown');
  const cut = dhe.subarray(0, 100);
  assert.is(parseServerKeyExchange(cut, 0, cut.length, 'DHE', true, false).malformed, 'server-key-exchange-dh-p-past-end');
});

test('bitLength ignores leading zero bytes and bits', () => {
  assert.is(bitLength(Buffer.from([0, 0, 0x01, 0x00]), 0, 4), 9);
  assert.is(bitLength(Buffer.from([0xff]), 0, 1), 8);
  assert.is(bitLength(Buffer.from([0, 0]), 0, 2), 0);
});

test('CertificateRequest: TLS 1.2 with signature algorithms, TLS 1.0 without, TLS 1.3 extensions', () => {
  const b12 = certificateRequestBody([1, 64], [0x0804, 0x0403]);
  assert.equal(parseCertificateRequest(b12, 0, b12.length, 0x0303, false), { value: { certificateTypes: [1, 64], signatureAlgorithms: [0x0804, 0x0403] }, malformed: null });
  const b10 = certificateRequestBody([1], [], false);
  assert.equal(parseCertificateRequest(b10, 0, b10.length, 0x0301, false), { value: { certificateTypes: [1], signatureAlgorithms: [] }, malformed: null });
  const b13 = cat(vec8(Buffer.alloc(0)), vec16(cat(u16(13), u16(6), vec16(cat(u16(0x0804), u16(0x0503))))));
  assert.equal(parseCertificateRequest(b13, 0, b13.length, 0x0304, true).value.signatureAlgorithms, [0x0804, 0x0503]);
  const cut = b12.subarray(0, 5);
  assert.is(parseCertificateRequest(cut, 0, cut.length, 0x0303, false).malformed, 'certificate-request-signature-algorithms-past-end');
});

test('Certificate entry past the end keeps what came before', () => {
  const b = cat(u24(2000), vec24(fill(100)), u24(5000), fill(10));
  const r = parseCertificates(b, 0, b.length, false);
  assert.equal(r.value, [fill(100)]);
  assert.is(r.malformed, 'certificate-entry-past-end');
});

test.run();
