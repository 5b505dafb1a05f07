// Every audit rule, firing and not firing, on session documents made by the product's own
// engine from built conversations (real certificates, real TLS handshakes), or on clones
// of those documents with one fact changed — so the shape is always the engine's.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Auditor } from '../../agent/dist/audit/auditor.js';
import { defaultPolicy, parsePolicy } from '../../agent/dist/audit/policy.js';
import { PROFILES } from '../../agent/dist/audit/profiles.js';
import { RULES } from '../../agent/dist/audit/rules.js';
import { certificateCovers, identifierMatches, normalizeHost } from '../../agent/dist/audit/hostname.js';
import { cipherInfo, weakCipherReasons } from '../../agent/dist/audit/cipher-facts.js';
import { makeCert, tcpConversation, tls12, tls13, runEngine, sessionsOf, findingsOf, DAY } from './audit-fixtures.mjs';

const T0 = Date.UTC(2024, 5, 1); // capture time of the built sessions
const TS = T0 / 1000;
const CA = { cn: 'Audit Test Issuing CA', keyKind: 'rsa2048' };
const caCert = makeCert({ cn: CA.cn, sans: [], ca: true, notBefore: T0 - 400 * DAY, notAfter: T0 + 3000 * DAY, serial: 1 });
const leafOf = (opts = {}) => makeCert({ cn: 'www.example.test', sans: ['www.example.test'], notBefore: T0 - 30 * DAY, notAfter: T0 + 60 * DAY, issuer: CA, ...opts });
const LEAF = leafOf();

/** Session documents the engine writes for these conversations' segments. */
function docsOf(segmentsList, { auditor, ts = TS, ports = [] } = {}) {
  const convs = segmentsList.map((segments, i) => tcpConversation({ cport: 40000 + i, sport: ports[i] ?? 443, ts: ts + i, segments }));
  return runEngine(convs, auditor ? { auditor } : {}).docs;
}
const one = (segments, opts) => sessionsOf(docsOf([segments], opts))[0];

const audit = (doc, policy = defaultPolicy(), now = T0) => new Auditor(policy, { now, warn: () => {} }).audit(structuredClone(doc));
const ids = (doc, policy, now) => audit(doc, policy, now).firings.map((f) => f.rule.id);
const msg = (doc, id, policy) => audit(doc, policy).firings.find((f) => f.rule.id === id)?.message;
const fires = (doc, id, policy) => ids(doc, policy).includes(id);
const edit = (doc, fn) => {
  const d = structuredClone(doc);
  fn(d);
  return d;
};
const profile = (name) => defaultPolicy(PROFILES[name]);

const CLEAN = one(tls12({ certs: [LEAF, caCert] }));

test('the registry holds exactly the documented rule ids, each fully described', () => {
  assert.equal(RULES.map((r) => r.id).sort(), [
    'cert-expired', 'cert-expiring-soon', 'cert-name-mismatch', 'cert-not-yet-valid', 'cert-self-signed', 'cert-validity-too-long',
    'cert-weak-key', 'cert-weak-signature', 'cleartext-credentials', 'mtls-missing', 'plaintext-on-tls-port', 'plaintext-protocol',
    'starttls-not-used', 'tls-cipher-not-approved', 'tls-client-legacy-offer', 'tls-deprecated-version', 'tls-handshake-failed',
    'tls-missing-sni', 'tls-no-forward-secrecy', 'tls-pq-not-negotiated', 'tls-weak-cipher', 'tls-weak-dh',
  ]);
  for (const r of RULES) {
    assert.ok(r.name && r.reference, r.id);
    assert.ok(['SEC09-BP01', 'SEC09-BP02', 'SEC09-BP03'].includes(r.category), r.id);
    assert.ok(r.severity >= 1 && r.severity <= 5, r.id);
  }
});

test('a clean TLS 1.2 session (CA-issued RSA-2048 leaf, ECDHE-RSA-AES128-GCM) raises only the PQ info finding', () => {
  assert.is(CLEAN.tls.version, '1.2');
  assert.equal(ids(CLEAN), ['tls-pq-not-negotiated']);
  assert.is(audit(CLEAN).assessment.level, 'assessed');
});

// ---------------------------------------------------------------- cleartext
const POP3 = [[false, '+OK POP3 ready\r\n'], [true, 'CAPA\r\n'], [false, '+OK\r\nSTLS\r\nUSER\r\n.\r\n'], [true, 'USER alice\r\n'], [false, '+OK\r\n'],
  [true, 'PASS S3cr3t-Never-Shown\r\n'], [false, '+OK logged in\r\n'], [true, 'QUIT\r\n'], [false, '+OK bye\r\n']].map(([c, s]) => [c, Buffer.from(s)]);
const POP3_DOCS = docsOf([POP3, POP3], { ports: [110, 995] });
const [POP110, POP995] = sessionsOf(POP3_DOCS);

test('plaintext-protocol fires on an identified cleartext protocol, not on TLS', () => {
  assert.is(POP110.network.protocol, 'pop3');
  assert.ok(fires(POP110, 'plaintext-protocol'));
  assert.match(msg(POP110, 'plaintext-protocol'), 'pop3 to 10.0.0.2:110');
  assert.not.ok(fires(CLEAN, 'plaintext-protocol'));
  assert.not.ok(fires(edit(POP110, (d) => (d.intransit.encrypted = null)), 'plaintext-protocol'));
});

test('cleartext-credentials names the user and never the secret', () => {
  assert.ok(fires(POP110, 'cleartext-credentials'));
  assert.match(msg(POP110, 'cleartext-credentials'), 'user "alice"');
  const all = JSON.stringify(POP3_DOCS);
  assert.not.ok(all.includes('S3cr3t'), 'the password appears nowhere in the output');
  assert.ok(all.includes('[redacted]'));
  assert.not.ok(fires(edit(POP110, (d) => delete d.intransit.credentials), 'cleartext-credentials'));
});

test('starttls-not-used: server offered, client stayed in cleartext', () => {
  assert.equal(POP110.intransit.starttls, { offered: true, used: false, offered_by: 'server' });
  assert.ok(fires(POP110, 'starttls-not-used'));
  assert.not.ok(fires(edit(POP110, (d) => (d.intransit.starttls.used = true)), 'starttls-not-used'));
  assert.not.ok(fires(edit(POP110, (d) => (d.intransit.starttls.offered_by = 'client')), 'starttls-not-used'));
  assert.not.ok(fires(edit(POP110, (d) => delete d.intransit.starttls), 'starttls-not-used'));
});

test('plaintext-on-tls-port: cleartext on 995 (pop3s), not on 110, not when encryption is unknown', () => {
  assert.ok(fires(POP995, 'plaintext-on-tls-port'));
  assert.match(msg(POP995, 'plaintext-on-tls-port'), 'pop3s');
  assert.not.ok(fires(POP110, 'plaintext-on-tls-port'));
  for (const port of [443, 8443, 993, 465, 636, 989, 990, 5061]) assert.ok(fires(edit(POP110, (d) => (d.destination.port = port)), 'plaintext-on-tls-port'), String(port));
  assert.not.ok(fires(edit(POP995, (d) => (d.intransit.encrypted = null)), 'plaintext-on-tls-port'));
});

// ---------------------------------------------------------------- TLS parameters
test('tls-deprecated-version: SSL 3.0, TLS 1.0, 1.1 and DTLS 1.0 fire; TLS 1.2 / DTLS 1.2 do not', () => {
  const tls10 = one(tls12({ version: 0x0301, cipher: 0xc014, ciphers: [0xc014], certs: [LEAF, caCert] }));
  assert.is(tls10.tls.version, '1.0');
  assert.match(msg(tls10, 'tls-deprecated-version'), 'negotiated TLS 1.0');
  const ssl3 = one(tls12({ version: 0x0300, cipher: 0x002f, ciphers: [0x002f], ske: null, certs: [LEAF] }));
  assert.is(ssl3.tls.version_protocol, 'ssl');
  assert.match(msg(ssl3, 'tls-deprecated-version'), 'SSL 3.0');
  assert.ok(fires(edit(CLEAN, (d) => (d.tls.version = '1.1')), 'tls-deprecated-version'));
  assert.ok(fires(edit(CLEAN, (d) => Object.assign(d.tls, { version_protocol: 'dtls', version: '1.0' })), 'tls-deprecated-version'));
  assert.not.ok(fires(edit(CLEAN, (d) => Object.assign(d.tls, { version_protocol: 'dtls', version: '1.2' })), 'tls-deprecated-version'));
  assert.not.ok(fires(CLEAN, 'tls-deprecated-version'));
  assert.not.ok(fires(edit(CLEAN, (d) => delete d.tls.version), 'tls-deprecated-version'), 'no ServerHello: nothing to judge');
});

test('tls-client-legacy-offer: from supported_versions, or a legacy maximum below 1.2', () => {
  const old = one(tls12({ version: 0x0301, clientVersion: 0x0301, cipher: 0xc014, ciphers: [0xc014], certs: [LEAF] }));
  assert.match(msg(old, 'tls-client-legacy-offer'), 'offers TLS 1.0');
  const t13 = one(tls13({}));
  assert.equal(t13.intransit.tls.client.versions, ['1.3', '1.2']);
  assert.not.ok(fires(t13, 'tls-client-legacy-offer'));
  const wide = edit(t13, (d) => (d.intransit.tls.client.versions = ['1.3', '1.2', '1.1', '1.0']));
  assert.match(msg(wide, 'tls-client-legacy-offer'), 'TLS 1.1, TLS 1.0');
  assert.not.ok(fires(CLEAN, 'tls-client-legacy-offer'), 'a 1.2 maximum without supported_versions is not judged');
  const dtls = edit(CLEAN, (d) => {
    d.network.protocol = 'dtls';
    d.tls.version_protocol = 'dtls';
    d.intransit.tls.client.versions = ['1.2', '1.0'];
  });
  assert.match(msg(dtls, 'tls-client-legacy-offer'), 'DTLS 1.0');
});

test('tls-weak-cipher: NULL, anon, EXPORT, RC4, DES, 3DES, RC2, IDEA, MD5; not AES-GCM / ChaCha20', () => {
  const cases = {
    TLS_RSA_WITH_NULL_SHA256: 'NULL encryption',
    TLS_DH_anon_WITH_AES_128_CBC_SHA: 'anonymous',
    TLS_RSA_EXPORT_WITH_RC4_40_MD5: 'EXPORT',
    TLS_RSA_WITH_RC4_128_SHA: 'RC4',
    TLS_RSA_WITH_DES_CBC_SHA: 'single DES',
    TLS_RSA_WITH_3DES_EDE_CBC_SHA: '3DES',
    TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5: 'RC2',
    TLS_RSA_WITH_IDEA_CBC_SHA: 'IDEA',
    TLS_RSA_WITH_RC4_128_MD5: 'MD5 MAC',
    SSL_CK_DES_192_EDE3_CBC_WITH_MD5: '3DES',
    TLS_NULL_WITH_NULL_NULL: 'no key exchange',
  };
  for (const [cipher, why] of Object.entries(cases)) {
    const m = msg(edit(CLEAN, (d) => (d.tls.cipher = cipher)), 'tls-weak-cipher');
    assert.ok(m, cipher);
    assert.match(m, cipher);
    assert.match(m, why);
  }
  const rc4 = one(tls12({ cipher: 0x0005, ciphers: [0x0005], ske: null, certs: [LEAF, caCert] }));
  assert.is(rc4.tls.cipher, 'TLS_RSA_WITH_RC4_128_SHA');
  assert.ok(fires(rc4, 'tls-weak-cipher'));
  for (const ok of ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_RSA_WITH_CAMELLIA_128_CBC_SHA', 'unknown-0xfafa'])
    assert.not.ok(fires(edit(CLEAN, (d) => (d.tls.cipher = ok)), 'tls-weak-cipher'), ok);
  assert.equal(weakCipherReasons(cipherInfo('TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA')), []);
});

test('tls-no-forward-secrecy: static RSA / DH / ECDH / PSK and TLS 1.3 psk_ke fire; (EC)DHE does not', () => {
  const rsa = one(tls12({ cipher: 0x009c, ciphers: [0x009c], ske: null, certs: [LEAF, caCert] }));
  assert.is(rsa.tls.cipher, 'TLS_RSA_WITH_AES_128_GCM_SHA256');
  assert.match(msg(rsa, 'tls-no-forward-secrecy'), 'RSA key exchange');
  for (const c of ['TLS_DH_RSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256', 'TLS_PSK_WITH_AES_128_GCM_SHA256', 'TLS_RSA_PSK_WITH_AES_128_GCM_SHA256'])
    assert.ok(fires(edit(CLEAN, (d) => (d.tls.cipher = c)), 'tls-no-forward-secrecy'), c);
  for (const c of ['TLS_DHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256', 'TLS_AES_128_GCM_SHA256'])
    assert.not.ok(fires(edit(CLEAN, (d) => (d.tls.cipher = c)), 'tls-no-forward-secrecy'), c);
  assert.not.ok(fires(CLEAN, 'tls-no-forward-secrecy'));
  const t13 = one(tls13({}));
  assert.not.ok(fires(t13, 'tls-no-forward-secrecy'));
  assert.match(msg(edit(t13, (d) => (d.intransit.tls.key_exchange = 'psk')), 'tls-no-forward-secrecy'), 'psk_ke');
});

test('tls-cipher-not-approved follows the active profile', () => {
  const ecdsa = edit(CLEAN, (d) => (d.tls.cipher = 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'));
  assert.ok(fires(ecdsa, 'tls-cipher-not-approved', profile('aws-sec09')), 'aws-sec09 lists only the ECDHE-RSA suites');
  assert.not.ok(fires(ecdsa, 'tls-cipher-not-approved', profile('mozilla-intermediate')));
  assert.not.ok(fires(ecdsa, 'tls-cipher-not-approved', profile('nist-800-52r2')));
  assert.not.ok(fires(CLEAN, 'tls-cipher-not-approved', profile('aws-sec09')));
  assert.match(msg(CLEAN, 'tls-cipher-not-approved', profile('mozilla-modern')), 'TLS 1.2 is below its minimum TLS 1.3');
  const t13 = one(tls13({ cipher: 0x1303 }));
  assert.is(t13.tls.cipher, 'TLS_CHACHA20_POLY1305_SHA256');
  assert.not.ok(fires(t13, 'tls-cipher-not-approved', profile('mozilla-modern')));
  assert.match(msg(t13, 'tls-cipher-not-approved', profile('nist-800-52r2')), 'TLS_CHACHA20_POLY1305_SHA256 is not on its list');
  const dhe1024 = one(tls12({ cipher: 0x009e, ciphers: [0x009e], ske: { dhe: 128 }, certs: [LEAF, caCert] }));
  assert.is(dhe1024.intransit.tls.dh_prime_bits, 1024);
  assert.match(msg(dhe1024, 'tls-cipher-not-approved', profile('mozilla-intermediate')), '1024 bits, below 2048');
});

test('tls-weak-dh: DHE prime < 2048, EC group < 224 bits', () => {
  const dhe1024 = one(tls12({ cipher: 0x009e, ciphers: [0x009e], ske: { dhe: 128 }, certs: [LEAF, caCert] }));
  assert.match(msg(dhe1024, 'tls-weak-dh'), '1024-bit DHE prime');
  const dhe2048 = one(tls12({ cipher: 0x009e, ciphers: [0x009e], ske: { dhe: 256 }, certs: [LEAF, caCert] }));
  assert.is(dhe2048.intransit.tls.dh_prime_bits, 2048);
  assert.not.ok(fires(dhe2048, 'tls-weak-dh'));
  assert.match(msg(edit(CLEAN, (d) => (d.tls.curve = 'secp192r1')), 'tls-weak-dh'), 'secp192r1 (192 bits)');
  assert.not.ok(fires(edit(CLEAN, (d) => (d.tls.curve = 'secp224r1')), 'tls-weak-dh'));
  assert.not.ok(fires(CLEAN, 'tls-weak-dh'));
});

test('tls-missing-sni: a ClientHello without server_name', () => {
  const noSni = one(tls12({ sni: null, certs: [LEAF, caCert] }));
  assert.is(noSni.tls.client.server_name, undefined);
  assert.ok(fires(noSni, 'tls-missing-sni'));
  assert.not.ok(fires(CLEAN, 'tls-missing-sni'));
  assert.not.ok(fires(edit(noSni, (d) => delete d.intransit.tls.client), 'tls-missing-sni'), 'no ClientHello seen: nothing to judge');
  assert.not.ok(fires(edit(noSni, (d) => (d.intransit.tls.client.truncated = true)), 'tls-missing-sni'));
});

test('tls-handshake-failed: a fatal alert before completion', () => {
  const failed = one(tls12({ fail: 40 }));
  assert.is(failed.tls.established, false);
  assert.match(msg(failed, 'tls-handshake-failed'), 'handshake_failure');
  assert.match(msg(failed, 'tls-handshake-failed'), 'server sent');
  assert.not.ok(fires(CLEAN, 'tls-handshake-failed'));
  const warning = edit(failed, (d) => (d.intransit.tls.alerts = [{ from: 'client', level: 'warning', description: 'close_notify' }]));
  assert.not.ok(fires(warning, 'tls-handshake-failed'));
  assert.match(msg(edit(failed, (d) => (d.intransit.tls.alerts = [{ from: 'client', encrypted: true }])), 'tls-handshake-failed'), 'encrypted alert');
});

test('tls-pq-not-negotiated: info, and says when the server declined an offered hybrid', () => {
  const declined = one(tls13({ offered: [0x11ec, 0x001d], group: 0x001d }));
  assert.equal(declined.intransit.tls.client.key_share_groups, ['X25519MLKEM768']);
  const m = msg(declined, 'tls-pq-not-negotiated');
  assert.match(m, 'client offered X25519MLKEM768');
  assert.match(m, 'server declined');
  assert.is(audit(declined).firings.find((f) => f.rule.id === 'tls-pq-not-negotiated').severity, 1);
  const pq = one(tls13({ offered: [0x11ec, 0x001d], group: 0x11ec }));
  assert.is(pq.tls.curve, 'X25519MLKEM768');
  assert.not.ok(fires(pq, 'tls-pq-not-negotiated'));
  assert.match(msg(one(tls13({})), 'tls-pq-not-negotiated'), 'neither side offered');
  assert.not.ok(fires(edit(CLEAN, (d) => Object.assign(d.tls, { resumed: true, curve: undefined })), 'tls-pq-not-negotiated'), 'abbreviated resumption: no key exchange');
});

// ---------------------------------------------------------------- certificates
test('cert-weak-key: RSA < 2048 and EC < 256 on the leaf or a chain certificate', () => {
  const rsa1024 = one(tls12({ certs: [leafOf({ keyKind: 'rsa1024' }), caCert] }));
  assert.match(msg(rsa1024, 'cert-weak-key'), 'leaf certificate CN=www.example.test: 1024-bit RSA key');
  const p224 = one(tls12({ certs: [leafOf({ keyKind: 'ec-secp224r1' }), caCert] }));
  assert.match(msg(p224, 'cert-weak-key'), '224-bit EC key');
  const p256 = one(tls12({ certs: [leafOf({ keyKind: 'ec-prime256v1' }), caCert] }));
  assert.not.ok(fires(p256, 'cert-weak-key'));
  const weakCa = { cn: 'Weak CA', keyKind: 'rsa1024' };
  const chain = one(tls12({ certs: [makeCert({ cn: 'www.example.test', notBefore: T0 - DAY, issuer: weakCa }), makeCert({ cn: 'Weak CA', keyKind: 'rsa1024', sans: [], ca: true, notBefore: T0 - DAY, notAfter: T0 + 900 * DAY })] }));
  assert.match(msg(chain, 'cert-weak-key'), 'chain certificate #1 CN=Weak CA: 1024-bit RSA key');
  assert.not.ok(fires(CLEAN, 'cert-weak-key'));
});

test('cert-weak-signature: MD5 / SHA-1, except on a self-signed trust anchor past the leaf', () => {
  const sha1 = one(tls12({ certs: [leafOf({ sig: 'sha1-rsa' }), caCert] }));
  assert.match(msg(sha1, 'cert-weak-signature'), 'sha1WithRSAEncryption');
  const md5 = one(tls12({ certs: [leafOf({ sig: 'md5-rsa' }), caCert] }));
  assert.match(msg(md5, 'cert-weak-signature'), 'md5WithRSAEncryption');
  const selfSignedLeaf = one(tls12({ certs: [makeCert({ cn: 'www.example.test', sig: 'sha1-rsa', notBefore: T0 - DAY })] }));
  assert.ok(fires(selfSignedLeaf, 'cert-weak-signature'), 'a self-signed leaf is still judged');
  const sha1Root = makeCert({ cn: CA.cn, sans: [], ca: true, sig: 'sha1-rsa', notBefore: T0 - 400 * DAY, notAfter: T0 + 3000 * DAY, serial: 1 });
  const withRoot = one(tls12({ certs: [LEAF, sha1Root] }));
  assert.is(withRoot.intransit.tls.chain[1].self_signed, true);
  assert.not.ok(fires(withRoot, 'cert-weak-signature'), 'the trust anchor is trusted by its key, not its signature');
  assert.not.ok(fires(CLEAN, 'cert-weak-signature'));
});

test('cert-expired / cert-not-yet-valid are judged at capture time, not now', () => {
  // a 2013 capture of a certificate valid from 2012 to 2014: fine then, long expired now
  const old = makeCert({ cn: 'www.example.test', notBefore: Date.UTC(2012, 0, 1), notAfter: Date.UTC(2014, 0, 1), issuer: CA });
  const oldCa = makeCert({ cn: CA.cn, sans: [], ca: true, notBefore: Date.UTC(2010, 0, 1), notAfter: Date.UTC(2030, 0, 1), serial: 2 });
  const in2013 = one(tls12({ certs: [old, oldCa] }), { ts: Date.UTC(2013, 5, 1) / 1000 });
  assert.is(in2013['@timestamp'].slice(0, 4), '2013');
  assert.not.ok(fires(in2013, 'cert-expired'));
  assert.not.ok(fires(in2013, 'cert-not-yet-valid'));
  const in2015 = one(tls12({ certs: [old, oldCa] }), { ts: Date.UTC(2015, 0, 1) / 1000 });
  assert.match(msg(in2015, 'cert-expired'), 'expired 2014-01-01T00:00:00Z, before the capture (2015-01-01T00:00:00Z)');
  const in2011 = one(tls12({ certs: [old, oldCa] }), { ts: Date.UTC(2011, 0, 1) / 1000 });
  assert.match(msg(in2011, 'cert-not-yet-valid'), 'valid only from 2012-01-01T00:00:00Z');
  assert.not.ok(fires(in2011, 'cert-expired'));
  assert.not.ok(fires(CLEAN, 'cert-expired'));
});

test('cert-expiring-soon: under 30 days left at capture time (and not once expired)', () => {
  const soon = one(tls12({ certs: [leafOf({ notAfter: T0 + 10 * DAY }), caCert] }));
  assert.match(msg(soon, 'cert-expiring-soon'), '10 days after the capture');
  assert.not.ok(fires(CLEAN, 'cert-expiring-soon'), '60 days left');
  const expired = one(tls12({ certs: [leafOf({ notAfter: T0 - DAY }), caCert] }));
  assert.ok(fires(expired, 'cert-expired'));
  assert.not.ok(fires(expired, 'cert-expiring-soon'));
  const p = parsePolicy('certificates:\n  expiring_soon_days: 90\n', 'p.yaml');
  assert.ok(fires(CLEAN, 'cert-expiring-soon', p));
});

test('cert-validity-too-long: 365 days under aws-sec09, 398 under nist, policy may tighten', () => {
  const y380 = one(tls12({ certs: [leafOf({ notBefore: T0 - DAY, notAfter: T0 + 379 * DAY }), caCert] }));
  assert.match(msg(y380, 'cert-validity-too-long'), 'valid for 380 days');
  assert.match(msg(y380, 'cert-validity-too-long'), '365-day limit of profile aws-sec09');
  assert.not.ok(fires(y380, 'cert-validity-too-long', profile('nist-800-52r2')));
  const yearAndMinutes = one(tls12({ certs: [leafOf({ notBefore: T0 - DAY, notAfter: T0 + 364 * DAY + 10 * 60_000 }), caCert] }));
  assert.match(msg(yearAndMinutes, 'cert-validity-too-long'), 'valid for 365 days 0h10m');
  const y365 = one(tls12({ certs: [leafOf({ notBefore: T0 - DAY, notAfter: T0 + 364 * DAY }), caCert] }));
  assert.not.ok(fires(y365, 'cert-validity-too-long'), 'exactly one year passes aws-sec09');
  assert.ok(fires(CLEAN, 'cert-validity-too-long', parsePolicy('{"certificates": {"max_validity_days": 60}}', 'p.json')));
  assert.not.ok(fires(y380, 'cert-validity-too-long', parsePolicy('certificates: {max_validity_days: 400}', 'p.yaml')));
});

test('cert-self-signed: a leaf that verifies with its own key', () => {
  const self = one(tls12({ certs: [makeCert({ cn: 'www.example.test', notBefore: T0 - DAY })] }));
  assert.match(msg(self, 'cert-self-signed'), 'self-signed leaf certificate CN=www.example.test');
  assert.not.ok(fires(CLEAN, 'cert-self-signed'));
});

test('cert-name-mismatch: SNI against SAN (CN only without SAN), RFC 6125 wildcards', () => {
  const other = one(tls12({ sni: 'other.example.test', certs: [LEAF, caCert] }));
  assert.match(msg(other, 'cert-name-mismatch'), 'do not cover the SNI other.example.test');
  const wild = one(tls12({ sni: 'a.example.test', certs: [leafOf({ sans: ['*.example.test'] }), caCert] }));
  assert.not.ok(fires(wild, 'cert-name-mismatch'));
  for (const sni of ['a.b.example.test', 'example.test'])
    assert.ok(fires(edit(wild, (d) => (d.tls.client.server_name = sni)), 'cert-name-mismatch'), sni);
  const cnOnly = one(tls12({ sni: 'www.example.test', certs: [leafOf({ sans: [] }), caCert] }));
  assert.is(cnOnly.tls.server.x509.alternative_names, undefined);
  assert.not.ok(fires(cnOnly, 'cert-name-mismatch'), 'CN used when there is no SAN');
  const sanWins = one(tls12({ sni: 'www.example.test', certs: [leafOf({ sans: ['api.example.test'] }), caCert] }));
  assert.ok(fires(sanWins, 'cert-name-mismatch'), 'with a SAN the CN is ignored');
  assert.not.ok(fires(edit(other, (d) => delete d.tls.client.server_name), 'cert-name-mismatch'), 'no SNI: nothing to compare');
  assert.not.ok(fires(edit(other, (d) => (d.tls.client.server_name = '192.0.2.7')), 'cert-name-mismatch'), 'IP literal: iPAddress SANs are not in the document');
  assert.not.ok(fires(CLEAN, 'cert-name-mismatch'));
});

test('RFC 6125 identifier matching', () => {
  assert.ok(identifierMatches('a.example.com', '*.example.com'));
  assert.not.ok(identifierMatches('a.b.example.com', '*.example.com'), 'one label only');
  assert.not.ok(identifierMatches('example.com', '*.example.com'));
  assert.not.ok(identifierMatches('www.example.com', 'w*.example.com'), 'no partial wildcards');
  assert.not.ok(identifierMatches('www.example.com', 'www.*.com'), 'left-most label only');
  assert.not.ok(identifierMatches('a.com', '*.com'), 'not on a single-label base');
  assert.is(normalizeHost('WWW.Example.COM.'), 'www.example.com');
  assert.is(normalizeHost('bücher.example'), 'xn--bcher-kva.example');
  assert.ok(certificateCovers('xn--bcher-kva.example', ['bücher.example'], undefined).covered);
  assert.ok(certificateCovers('WWW.EXAMPLE.COM', ['www.example.com'], undefined).covered);
  assert.ok(certificateCovers('a.bücher.example', ['*.xn--bcher-kva.example'], undefined).covered);
  assert.not.ok(certificateCovers('www.example.com', [], undefined).covered);
});

test('certificate rules neither fire nor pass when no certificate was seen (TLS 1.3)', () => {
  const t13 = one(tls13({ sni: 'www.example.test' }));
  assert.equal(ids(t13).filter((id) => id.startsWith('cert-')), []);
  const a = audit(t13);
  assert.is(a.assessment.level, 'partial');
  assert.ok(a.assessment.reasons.includes('tls13-certificate-encrypted'));
});

// ---------------------------------------------------------------- mTLS
const MTLS = parsePolicy('mtls_required:\n  - name: payments\n    cidr: 10.0.0.2/32\n    port: 443\n', 'mtls.yaml');

test('mtls-missing: required service without CertificateRequest or with an empty client Certificate', () => {
  const clientCert = makeCert({ cn: 'client-1', sans: [], issuer: CA, notBefore: T0 - DAY });
  const good = one(tls12({ certs: [LEAF, caCert], certRequest: true, clientCert: [clientCert] }));
  assert.is(good.intransit.tls.client_certificate, 'sent');
  assert.not.ok(fires(good, 'mtls-missing', MTLS));
  assert.equal(audit(good, MTLS).mtls, { service: 'payments', status: 'verified' });
  const noRequest = one(tls12({ certs: [LEAF, caCert] }));
  assert.match(msg(noRequest, 'mtls-missing', MTLS), 'service "payments" but the server sent no CertificateRequest');
  const empty = one(tls12({ certs: [LEAF, caCert], certRequest: true, clientCert: [] }));
  assert.is(empty.intransit.tls.client_certificate, 'empty');
  assert.match(msg(empty, 'mtls-missing', MTLS), 'empty Certificate');
  assert.not.ok(fires(noRequest, 'mtls-missing'), 'no policy: no requirement');
  assert.not.ok(fires(edit(noRequest, (d) => (d.destination.port = 8443)), 'mtls-missing', MTLS), 'outside the service');
});

test('mtls-missing: TLS 1.3 to a required service is unobservable, never a pass', () => {
  const t13 = one(tls13({}));
  const a = audit(t13, MTLS);
  assert.not.ok(a.firings.some((f) => f.rule.id === 'mtls-missing'));
  assert.equal(a.mtls, { service: 'payments', status: 'unobservable', reason: 'mtls-tls13-encrypted' });
  assert.is(a.assessment.level, 'partial');
  assert.ok(a.assessment.reasons.includes('mtls-tls13-encrypted'));
});

test('mtls-missing: cleartext to a required service fires', () => {
  assert.match(msg(edit(POP995, (d) => (d.destination.port = 443)), 'mtls-missing', MTLS), 'in cleartext');
});

test.run();
