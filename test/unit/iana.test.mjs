// IANA tables: names Zeek logged in the corpus, Wireshark's own value strings (when tshark
// is installed), properties derived from suite names, GREASE, versions, groups, signature
// schemes, extensions and alerts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  cipherSuiteName, cipherSuiteInfo, sslv2CipherName, sslv2CipherInfo, isKnownCipherSuite, isSignalingCipherSuite, cipherSuiteInfoByName,
} from '../../agent/dist/protocols/tls/iana/ciphers.js';
import { groupName, groupInfo } from '../../agent/dist/protocols/tls/iana/groups.js';
import { versionInfo, versionName, versionRank } from '../../agent/dist/protocols/tls/iana/versions.js';
import { isGrease } from '../../agent/dist/protocols/tls/iana/grease.js';
import { signatureSchemeName, signatureSchemeWeakHash } from '../../agent/dist/protocols/tls/iana/sigschemes.js';
import { extensionName } from '../../agent/dist/protocols/tls/iana/extensions.js';
import { alertName, alertLevelName } from '../../agent/dist/protocols/tls/iana/alerts.js';

const ZEEK = '/work/shared/corpus/zeek/expected.json';
const ALL = Array.from({ length: 0x10000 }, (_, i) => i);

test('GREASE: exactly the sixteen RFC 8701 values', () => {
  const g = ALL.filter(isGrease);
  assert.equal(g, [0x0a0a, 0x1a1a, 0x2a2a, 0x3a3a, 0x4a4a, 0x5a5a, 0x6a6a, 0x7a7a, 0x8a8a, 0x9a9a, 0xaaaa, 0xbaba, 0xcaca, 0xdada, 0xeaea, 0xfafa]);
  assert.not.ok(isGrease(0x1a0a) || isGrease(0x0a1a) || isGrease(0x10a0a));
});

test('cipher names: registry spellings, unknown format, SSLv2 kinds', () => {
  assert.is(cipherSuiteName(0xc02f), 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
  assert.is(cipherSuiteName(0x00ff), 'TLS_EMPTY_RENEGOTIATION_INFO_SCSV');
  assert.is(cipherSuiteName(0x5600), 'TLS_FALLBACK_SCSV');
  assert.is(cipherSuiteName(0x1301), 'TLS_AES_128_GCM_SHA256');
  assert.is(cipherSuiteName(0xc0b4), 'TLS_SHA256_SHA256');
  assert.is(cipherSuiteName(0x00c6), 'TLS_SM4_GCM_SM3');
  assert.is(cipherSuiteName(0xc102), 'TLS_GOSTR341112_256_WITH_28147_CNT_IMIT');
  assert.is(cipherSuiteName(0xc06a), 'TLS_PSK_WITH_ARIA_128_GCM_SHA256');
  assert.is(cipherSuiteName(0xc0ab), 'TLS_PSK_DHE_WITH_AES_256_CCM_8');
  assert.is(cipherSuiteName(0x0034), 'TLS_DH_anon_WITH_AES_128_CBC_SHA');
  assert.is(cipherSuiteName(0xd005), 'TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256');
  // Non-registry code points named as Zeek names them.
  assert.is(cipherSuiteName(0xcc13), 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256_OLD');
  assert.is(cipherSuiteName(0x0081), 'TLS_GOSTR341001_WITH_28147_CNT_IMIT');
  assert.is(cipherSuiteName(0xfeff), 'SSL_RSA_FIPS_WITH_3DES_EDE_CBC_SHA');
  assert.is(cipherSuiteName(0xffe1), 'SSL_RSA_FIPS_WITH_DES_CBC_SHA_2');
  assert.is(cipherSuiteName(0x1234), 'unknown-0x1234');
  assert.is(cipherSuiteName(0x0a0a), 'unknown-0x0a0a');
  assert.is(cipherSuiteName(0x0000), 'TLS_NULL_WITH_NULL_NULL');
  assert.is(sslv2CipherName(0x010080), 'SSL_CK_RC4_128_WITH_MD5');
  assert.is(sslv2CipherName(0x0700c0), 'SSL_CK_DES_192_EDE3_CBC_WITH_MD5');
  assert.is(sslv2CipherName(0x000004), 'TLS_RSA_WITH_RC4_128_MD5');
  assert.is(sslv2CipherName(0xff0800), 'unknown-0xff0800');
  assert.is(ALL.filter(isKnownCipherSuite).length, 390);
});

test('every Zeek-logged cipher / curve / version in the corpus is named the same', () => {
  if (!existsSync(ZEEK)) return console.log('  (skipped: corpus absent)');
  const exp = JSON.parse(readFileSync(ZEEK, 'utf8'));
  const cipherNames = new Set(ALL.map(cipherSuiteName));
  const groupNames = new Set(ALL.map(groupName));
  let n = 0;
  for (const e of Object.values(exp)) {
    for (const r of e.ssl || []) {
      if (r.cipher) assert.ok(cipherNames.has(r.cipher), r.cipher);
      if (r.curve) assert.ok(groupNames.has(r.curve), r.curve);
      if (r.version) {
        const m = /^(TLS|DTLS)v1(\d)(?:-draft(\d+))?$|^SSLv(\d)$|^unknown-(\d+)$/.exec(r.version);
        assert.ok(m, r.version);
        if (m[5]) assert.is(versionInfo(Number(m[5])), undefined, r.version);
      }
      n++;
    }
  }
  assert.ok(n > 80);
  // Zeek's draft naming: 0x7f00 | n.
  assert.equal(versionInfo(0x7f17), { protocol: 'tls', version: '1.3', draft: 23 });
  assert.equal(versionInfo(0x7f0e), { protocol: 'tls', version: '1.3', draft: 14 });
});

test('cipher and group names agree with Wireshark\'s value strings', () => {
  if (spawnSync('tshark', ['--version']).status !== 0) return console.log('  (skipped: tshark absent)');
  const values = execFileSync('tshark', ['-G', 'values'], { encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
  const table = (field) => {
    const m = new Map();
    for (const line of values.split('\n')) {
      const c = line.split('\t');
      if (c[0] === 'V' && c[1] === field) m.set(Number(c[2]), c[3]);
    }
    return m;
  };
  const ws = table('tls.handshake.ciphersuite');
  assert.ok(ws.size > 300);
  // Where the two differ by design: Zeek's spelling of two non-registry groups of code points.
  const zeekSpelling = new Set([0xcc13, 0xcc14, 0xcc15, 0xffe0, 0xffe1]);
  let same = 0;
  for (const [code, name] of ws) {
    if (isGrease(code) || zeekSpelling.has(code)) continue;
    if (!isKnownCipherSuite(code)) {
      // Wireshark also knows Chinese GM/T and Salsa20 drafts and EC J-PAKE, none registered.
      assert.ok(code >= 0xe000 || code === 0xc0ff, `${code.toString(16)} ${name} missing`);
      continue;
    }
    assert.is(cipherSuiteName(code), name, code.toString(16));
    same++;
  }
  assert.ok(same > 350);
  const wg = table('tls.handshake.extensions_supported_group');
  for (const code of [...ALL.slice(1, 42), 0x100, 0x101, 0x102, 0x103, 0x104, 0xff01, 0xff02]) {
    if (wg.has(code)) assert.is(groupName(code), wg.get(code), code.toString(16));
  }
  const wsig = table('tls.handshake.sig_hash_alg');
  for (const [code, name] of wsig) if (code < 0xfe00) assert.is(signatureSchemeName(code), name, code.toString(16));
});

test('cipher properties derived from every name', () => {
  for (const code of ALL.filter(isKnownCipherSuite)) {
    const info = cipherSuiteInfo(code);
    if (isSignalingCipherSuite(code)) {
      assert.is(info, undefined);
      continue;
    }
    assert.ok(info, cipherSuiteName(code));
    assert.ok(info.kx && info.auth && info.enc && info.mac, info.name);
    assert.ok(info.encKeyBits >= 0 && info.encKeyBits <= 256, info.name);
    assert.is(info.aead, info.mac === 'AEAD', info.name);
    if (info.kx === 'TLS13') assert.is(info.minVersion, 0x0304, info.name);
  }
  const i = (c) => cipherSuiteInfo(c);
  assert.equal(i(0xc02f), { name: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', kx: 'ECDHE', auth: 'RSA', enc: 'AES_128_GCM', mac: 'AEAD', prfHash: 'SHA256', export: false, encKeyBits: 128, aead: true, forwardSecrecy: true, minVersion: 0x0303 });
  assert.equal(i(0x000a), { name: 'TLS_RSA_WITH_3DES_EDE_CBC_SHA', kx: 'RSA', auth: 'RSA', enc: '3DES_EDE_CBC', mac: 'SHA', export: false, encKeyBits: 112, aead: false, forwardSecrecy: false });
  assert.equal(i(0x0014), { name: 'TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA', kx: 'DHE', auth: 'RSA', enc: 'DES40_CBC', mac: 'SHA', export: true, encKeyBits: 40, aead: false, forwardSecrecy: true });
  assert.equal([i(0x0018).kx, i(0x0018).auth, i(0x0018).enc, i(0x0018).mac], ['DH', 'anon', 'RC4_128', 'MD5']);
  assert.equal([i(0xc016).kx, i(0xc016).auth], ['ECDH', 'anon']);
  assert.equal([i(0xc004).kx, i(0xc004).auth, i(0xc004).forwardSecrecy], ['ECDH', 'ECDSA', false]);
  assert.equal([i(0x0030).kx, i(0x0030).auth], ['DH', 'DSS']);
  assert.equal([i(0x0002).enc, i(0x0002).mac, i(0x0002).encKeyBits], ['NULL', 'SHA', 0]);
  assert.equal([i(0x0000).kx, i(0x0000).auth, i(0x0000).enc, i(0x0000).mac], ['NULL', 'NULL', 'NULL', 'NULL']);
  assert.equal([i(0x00b4).kx, i(0x00b4).enc, i(0x00b4).mac, i(0x00b4).minVersion], ['DHE_PSK', 'NULL', 'SHA256', 0x0303]);
  assert.equal([i(0x0092).kx, i(0x0092).auth], ['RSA_PSK', 'RSA']);
  assert.equal([i(0xc0aa).kx, i(0xc0aa).auth, i(0xc0aa).enc], ['DHE_PSK', 'PSK', 'AES_128_CCM_8']);
  assert.equal([i(0xccac).kx, i(0xccac).auth, i(0xccac).forwardSecrecy], ['ECDHE_PSK', 'PSK', true]);
  assert.equal([i(0x008a).kx, i(0x008a).forwardSecrecy], ['PSK', false]);
  assert.equal([i(0xc01e).kx, i(0xc01e).auth], ['SRP', 'RSA']);
  assert.equal([i(0x0020).kx, i(0x0020).auth], ['KRB5', 'KRB5']);
  assert.equal([i(0x0029).export, i(0x0029).enc, i(0x0029).encKeyBits], [true, 'DES_CBC_40', 40]);
  assert.equal([i(0x0062).export, i(0x0062).encKeyBits], [true, 56]);
  assert.equal([i(0x0009).enc, i(0x0009).encKeyBits], ['DES_CBC', 56]);
  assert.equal([i(0xc09c).prfHash, i(0xc09c).minVersion], ['SHA256', 0x0303]);
  assert.equal([i(0xc0b0).kx, i(0xc0b1).prfHash], ['ECCPWD', 'SHA384']);
  assert.equal([i(0xc0b4).enc, i(0xc0b4).mac, i(0xc0b4).aead, i(0xc0b4).kx], ['NULL', 'SHA256', false, 'TLS13']);
  assert.equal([i(0x1303).enc, i(0x1303).encKeyBits, i(0x1305).enc], ['CHACHA20_POLY1305', 256, 'AES_128_CCM_8']);
  assert.equal([i(0x1307).enc, i(0x1307).encKeyBits], ['AEGIS_128L', 128]);
  assert.equal([i(0xc100).kx, i(0xc100).enc, i(0xc100).mac, i(0xc100).minVersion], ['GOSTR341112_256', 'KUZNYECHIK_CTR', 'OMAC', 0x0303]);
  assert.equal([i(0xc105).kx, i(0xc105).enc, i(0xc105).aead], ['TLS13', 'KUZNYECHIK_MGM_S', true]);
  assert.equal([i(0x0082).enc, i(0x0082).mac], ['NULL', 'GOSTR3411']);
  assert.equal([i(0x0079).mac, i(0xcc14).auth, i(0xcc14).enc], ['RMD', 'ECDSA', 'CHACHA20_POLY1305']);
  assert.equal([i(0x16b9).kx, i(0x16b9).auth], ['CECPQ1', 'RSA']);
  assert.equal([i(0x001d).kx, i(0x001d).enc, i(0x001d).encKeyBits], ['FORTEZZA_KEA', 'FORTEZZA_CBC', 80]);
  assert.is(i(0x0041).minVersion, undefined); // CAMELLIA_128_CBC_SHA: any version
  assert.equal(sslv2CipherInfo(0x020080), { name: 'SSL_CK_RC4_128_EXPORT40_WITH_MD5', kx: 'RSA', auth: 'RSA', enc: 'RC4_40', mac: 'MD5', export: true, encKeyBits: 40, aead: false, forwardSecrecy: false, minVersion: 2 });
  assert.is(sslv2CipherInfo(0x0700c0).encKeyBits, 112);
  assert.is(sslv2CipherInfo(0x060040).encKeyBits, 56);
  assert.is(sslv2CipherInfo(0x00002f).name, 'TLS_RSA_WITH_AES_128_CBC_SHA');
  assert.is(cipherSuiteInfo(0x1234), undefined);
  for (const code of ALL.filter(isKnownCipherSuite)) assert.is(cipherSuiteInfoByName(cipherSuiteName(code)), cipherSuiteInfo(code));
  assert.is(cipherSuiteInfoByName('SSL_CK_RC4_128_WITH_MD5').enc, 'RC4_128');
  assert.is(cipherSuiteInfoByName('unknown-0x1234'), undefined);
});

test('groups: names, unknown format, kinds and post-quantum flags', () => {
  assert.is(groupName(23), 'secp256r1');
  assert.is(groupName(29), 'x25519');
  assert.is(groupName(0x11ec), 'X25519MLKEM768');
  assert.is(groupName(0x11eb), 'SecP256r1MLKEM768');
  assert.is(groupName(0x11ed), 'SecP384r1MLKEM1024');
  assert.is(groupName(0x6399), 'X25519Kyber768Draft00');
  assert.is(groupName(0x0201), 'MLKEM768');
  assert.is(groupName(31), 'brainpoolP256r1tls13');
  assert.is(groupName(0x100), 'ffdhe2048');
  assert.is(groupName(0xff01), 'arbitrary_explicit_prime_curves');
  assert.is(groupName(0x0a0a), 'unknown-0x0a0a');
  assert.is(groupName(0x1234), 'unknown-0x1234');
  assert.equal(groupInfo(0x11ec), { name: 'X25519MLKEM768', bits: 255, securityBits: 192, pq: true, kind: 'hybrid' });
  assert.equal(groupInfo(0x0202), { name: 'MLKEM1024', bits: 1024, securityBits: 256, pq: true, kind: 'pq' });
  assert.equal(groupInfo(0x101), { name: 'ffdhe3072', bits: 3072, securityBits: 128, pq: false, kind: 'ff' });
  assert.equal(groupInfo(25), { name: 'secp521r1', bits: 521, securityBits: 256, pq: false, kind: 'ec' });
  assert.ok(groupInfo(1).securityBits < 112); // sect163k1: weak
  assert.is(groupInfo(0x1234), undefined);
});

test('versions: info, names, rank', () => {
  assert.equal(versionInfo(0x0002), { protocol: 'ssl', version: '2.0' });
  assert.equal(versionInfo(0x0300), { protocol: 'ssl', version: '3.0' });
  assert.equal(versionInfo(0x0303), { protocol: 'tls', version: '1.2' });
  assert.equal(versionInfo(0xfefc), { protocol: 'dtls', version: '1.3' });
  assert.equal(versionInfo(0x0100), { protocol: 'dtls', version: '1.0' });
  assert.is(versionInfo(0x7f00), undefined);
  assert.is(versionInfo(0xfb17), undefined);
  assert.is(versionInfo(0x0a0a), undefined);
  assert.is(versionName(0x0301), 'TLS 1.0');
  assert.is(versionName(0xfefd), 'DTLS 1.2');
  assert.is(versionName(0x7f1c), 'TLS 1.3 draft 28');
  assert.is(versionName(0x7e01), 'unknown-0x7e01');
  const order = [0x0002, 0x0300, 0x0301, 0x0302, 0x0303, 0x7f17, 0x0304];
  for (let k = 1; k < order.length; k++) assert.ok(versionRank(order[k]) > versionRank(order[k - 1]), order[k].toString(16));
  assert.ok(versionRank(0xfefc) > versionRank(0xfefd) && versionRank(0xfefd) > versionRank(0xfeff));
  assert.is(versionRank(0x1234), 0);
});

test('signature schemes, extensions, alerts', () => {
  assert.is(signatureSchemeName(0x0403), 'ecdsa_secp256r1_sha256');
  assert.is(signatureSchemeName(0x0804), 'rsa_pss_rsae_sha256');
  assert.is(signatureSchemeName(0x0807), 'ed25519');
  assert.is(signatureSchemeName(0x0904), 'mldsa44');
  assert.is(signatureSchemeName(0x0906), 'mldsa87');
  assert.is(signatureSchemeName(0x081b), 'ecdsa_brainpoolP384r1tls13_sha384');
  assert.is(signatureSchemeName(0x0202), 'dsa_sha1');
  assert.is(signatureSchemeName(0x0101), 'rsa_pkcs1_md5');
  assert.is(signatureSchemeName(0x0301), 'rsa_pkcs1_sha224');
  assert.is(signatureSchemeName(0x0420), 'rsa_pkcs1_sha256_legacy');
  assert.is(signatureSchemeName(0xeeee), 'unknown-0xeeee');
  assert.is(signatureSchemeName(0x0a0a), 'unknown-0x0a0a');
  assert.equal([0x0201, 0x0203, 0x0202, 0x0101, 0x0401, 0x0804].map(signatureSchemeWeakHash), ['sha1', 'sha1', 'sha1', 'md5', null, null]);
  assert.is(extensionName(0), 'server_name');
  assert.is(extensionName(16), 'application_layer_protocol_negotiation');
  assert.is(extensionName(35), 'session_ticket');
  assert.is(extensionName(43), 'supported_versions');
  assert.is(extensionName(0xfe0d), 'encrypted_client_hello');
  assert.is(extensionName(0xff01), 'renegotiation_info');
  assert.is(extensionName(0x4469), 'application_settings');
  assert.is(extensionName(0x2a2a), 'grease');
  assert.is(extensionName(0x1234), 'unknown-0x1234');
  assert.is(alertName(40), 'handshake_failure');
  assert.is(alertName(0), 'close_notify');
  assert.is(alertName(86), 'inappropriate_fallback');
  assert.is(alertName(116), 'certificate_required');
  assert.is(alertName(200), 'unknown-200');
  assert.equal([1, 2, 3].map(alertLevelName), ['warning', 'fatal', 'unknown-3']);
});

test.run();
