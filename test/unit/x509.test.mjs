// x509Facts: certificates made here with openssl (RSA 1024/2048, RSA-PSS, EC P-256/384/521,
// Ed25519/Ed448, DSA, SHA-1 and MD5 signatures, SANs with IP/e-mail/wildcard, a v1 cert
// expired in 2011, dates past 2049, odd serials, escaped and UTF-8 names, CA-issued and
// self-issued-but-not-self-signed leaves) compared field by field with what
// `openssl x509` prints; the Zeek corpus's x509.log rows; and malformed input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash, X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { x509Facts } from '../../agent/dist/protocols/tls/x509.js';

const haveOpenssl = spawnSync('openssl', ['version'], { encoding: 'utf8' }).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'x509-test-'));
const ossl = (args) => execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const der = (pem) => new X509Certificate(readFileSync(join(dir, pem))).raw;

/** The facts `openssl x509` states about a PEM certificate, in x509Facts' terms. */
function opensslView(pem) {
  const p = join(dir, pem);
  const lines = ossl(['x509', '-in', p, '-noout', '-serial', '-subject', '-issuer', '-startdate', '-enddate', '-nameopt', 'RFC2253,-esc_msb', '-fingerprint', '-sha256']).split('\n');
  const val = (k) => {
    const l = lines.find((x) => x.startsWith(k + '='));
    return l ? l.slice(k.length + 1) : null;
  };
  const text = ossl(['x509', '-in', p, '-noout', '-text']);
  const bits = /Public-Key: \((\d+) bit\)/.exec(text);
  const san = /X509v3 Subject Alternative Name:.*\n\s*(.*)/.exec(text);
  const bc = /X509v3 Basic Constraints:.*\n\s*CA:(TRUE|FALSE)/.exec(text);
  return {
    serialNumber: val('serial'),
    subject: val('subject'),
    issuer: val('issuer'),
    notBefore: new Date(val('notBefore')).toISOString().replace('.000', ''),
    notAfter: new Date(val('notAfter')).toISOString().replace('.000', ''),
    sha256: val('sha256 Fingerprint').replace(/:/g, '').toLowerCase(),
    signatureAlgorithm: /Signature Algorithm: (.*)/.exec(text)[1].trim(),
    publicKeySize: bits ? Number(bits[1]) : undefined,
    publicKeyCurve: /ASN1 OID: (\S+)/.exec(text)?.[1] ?? null,
    alternativeNames: san ? san[1].split(', ').filter((x) => x.startsWith('DNS:')).map((x) => x.slice(4)) : [],
    isCA: bc ? bc[1] === 'TRUE' : null,
  };
}

function check(pem, expect) {
  const f = x509Facts(der(pem));
  const o = opensslView(pem);
  for (const k of ['serialNumber', 'subject', 'issuer', 'notBefore', 'notAfter', 'sha256', 'signatureAlgorithm', 'publicKeyCurve', 'alternativeNames', 'isCA']) {
    assert.equal(f[k], o[k], `${pem} ${k}`);
  }
  if (o.publicKeySize !== undefined) assert.is(f.publicKeySize, o.publicKeySize, `${pem} publicKeySize`);
  for (const [k, v] of Object.entries(expect)) assert.equal(f[k], v, `${pem} ${k}`);
  assert.is(f.parseError, null, pem);
  return f;
}

const req = (out, key, subj, ...extra) => ossl(['req', '-x509', '-newkey', key, '-nodes', '-keyout', `${out}.key`, '-out', out, '-subj', subj, '-days', '30', ...extra]);

test('RSA 2048 / SHA-256 with SAN (DNS, IP, wildcard, e-mail) and an escaped comma', () => {
  if (!haveOpenssl) return;
  req('rsa2048.pem', 'rsa:2048', '/C=US/O=Acme, Inc./CN=www.example.com', '-sha256', '-set_serial', '0x0B6771',
    '-addext', 'subjectAltName=DNS:www.example.com,IP:192.0.2.1,DNS:*.example.com,email:a@b.c,DNS:example.org');
  const f = check('rsa2048.pem', {
    publicKeyAlgorithm: 'rsa', publicKeySize: 2048, serialNumber: '0B6771', subject: 'CN=www.example.com,O=Acme\\, Inc.,C=US',
    subjectCommonName: 'www.example.com', issuerCommonName: 'www.example.com', selfIssued: true, selfSigned: true, isCA: true,
    alternativeNames: ['www.example.com', '*.example.com', 'example.org'], signatureAlgorithm: 'sha256WithRSAEncryption',
  });
  assert.is(f.sha256, createHash('sha256').update(der('rsa2048.pem')).digest('hex'));
});

test('RSA 1024 / SHA-1 and RSA / MD5 signatures, serial 1', () => {
  if (!haveOpenssl) return;
  req('rsa1024.pem', 'rsa:1024', '/CN=old', '-sha1', '-set_serial', '1');
  check('rsa1024.pem', { publicKeySize: 1024, signatureAlgorithm: 'sha1WithRSAEncryption', serialNumber: '01', alternativeNames: [] });
  req('md5.pem', 'rsa:1024', '/CN=older', '-md5');
  check('md5.pem', { signatureAlgorithm: 'md5WithRSAEncryption' });
});

test('RSA-PSS key and signature', () => {
  if (!haveOpenssl) return;
  req('pss.pem', 'rsa-pss', '/CN=pss', '-pkeyopt', 'rsa_keygen_bits:2048', '-sha256');
  check('pss.pem', { publicKeyAlgorithm: 'rsa-pss', publicKeySize: 2048, signatureAlgorithm: 'rsassaPss', selfSigned: true });
});

test('EC P-256 / P-384 / P-521 / secp256k1: curve names and order bits', () => {
  if (!haveOpenssl) return;
  for (const [curve, bits, md] of [['prime256v1', 256, 'sha256'], ['secp384r1', 384, 'sha384'], ['secp521r1', 521, 'sha512'], ['secp256k1', 256, 'sha256']]) {
    req(`${curve}.pem`, 'ec', `/CN=${curve}`, '-pkeyopt', `ec_paramgen_curve:${curve}`, `-${md}`);
    check(`${curve}.pem`, { publicKeyAlgorithm: 'ec', publicKeyCurve: curve, publicKeySize: bits, signatureAlgorithm: `ecdsa-with-${md.toUpperCase()}`, selfSigned: true });
  }
});

test('Ed25519 / Ed448 (EVP_PKEY_bits 253 / 456), UTF-8 and multi-valued RDNs', () => {
  if (!haveOpenssl) return;
  req('ed25519.pem', 'ed25519', '/CN=caf\u00e9+UID=x/O=Test\\+Plus', '-multivalue-rdn', '-utf8');
  const f = check('ed25519.pem', { publicKeyAlgorithm: 'ed25519', publicKeySize: 253, signatureAlgorithm: 'ED25519', selfSigned: true, subjectCommonName: 'caf\u00e9' });
  assert.ok(f.subject.includes('O=Test\\+Plus'), f.subject);
  req('ed448.pem', 'ed448', '/CN=ed448');
  check('ed448.pem', { publicKeyAlgorithm: 'ed448', publicKeySize: 456, signatureAlgorithm: 'ED448' });
});

test('DSA 2048 / SHA-256', () => {
  if (!haveOpenssl) return;
  ossl(['genpkey', '-genparam', '-algorithm', 'DSA', '-pkeyopt', 'dsa_paramgen_bits:2048', '-out', 'dsap.pem']);
  req('dsa.pem', 'dsa:dsap.pem', '/CN=dsa', '-sha256');
  check('dsa.pem', { publicKeyAlgorithm: 'dsa', publicKeySize: 2048, signatureAlgorithm: 'dsa_with_SHA256', selfSigned: true });
});

test('dates: GeneralizedTime after 2049; a v1 certificate that expired in 2011', () => {
  if (!haveOpenssl) return;
  req('long.pem', 'ec', '/CN=long', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-days', '36500');
  const f = check('long.pem', {});
  assert.ok(Number(f.notAfter.slice(0, 4)) >= 2050);
  // openssl ca can backdate; with no extension section it writes a v1 certificate.
  writeFileSync(join(dir, 'ca.cnf'), '[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\ndefault_md=sha256\npolicy=p\nunique_subject=no\n[p]\ncommonName=supplied\n');
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '80F1\n');
  ossl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'old.key', '-out', 'old.csr', '-subj', '/CN=expired.example']);
  ossl(['ca', '-batch', '-config', 'ca.cnf', '-selfsign', '-keyfile', 'old.key', '-in', 'old.csr', '-out', 'old.pem', '-notext', '-startdate', '20100101000000Z', '-enddate', '20110101000000Z']);
  check('old.pem', { notBefore: '2010-01-01T00:00:00Z', notAfter: '2011-01-01T00:00:00Z', isCA: null, serialNumber: '80F1', selfSigned: true });
});

test('CA-issued leaf (high-bit and zero serials, CA:FALSE) and a self-issued leaf signed by another key', () => {
  if (!haveOpenssl) return;
  req('ca.pem', 'ec', '/O=Test CA/CN=Test Root', '-pkeyopt', 'ec_paramgen_curve:secp384r1', '-sha384');
  ossl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=leaf.example', '-addext', 'basicConstraints=CA:FALSE', '-addext', 'subjectAltName=DNS:leaf.example']);
  writeFileSync(join(dir, 'leaf.ext'), 'basicConstraints=CA:FALSE\nsubjectAltName=DNS:leaf.example,DNS:*.leaf.example\n');
  ossl(['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.pem.key', '-set_serial', '0x80112233445566778899', '-days', '10', '-sha256', '-extfile', 'leaf.ext', '-out', 'leaf.pem']);
  check('leaf.pem', { selfIssued: false, selfSigned: false, isCA: false, serialNumber: '80112233445566778899', issuerCommonName: 'Test Root', signatureAlgorithm: 'ecdsa-with-SHA256', publicKeySize: 2048 });
  ossl(['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.pem.key', '-set_serial', '0', '-days', '10', '-out', 'zero.pem']);
  check('zero.pem', { serialNumber: '00', isCA: null });
  // Same name as its issuer, but signed by the issuer's (different) key.
  ossl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'same.key', '-out', 'same.csr', '-subj', '/O=Test CA/CN=Test Root']);
  ossl(['x509', '-req', '-in', 'same.csr', '-CA', 'ca.pem', '-CAkey', 'ca.pem.key', '-set_serial', '7', '-days', '10', '-out', 'same.pem']);
  check('same.pem', { selfIssued: true, selfSigned: false });
});

test('Zeek corpus x509.log rows (tshark-extracted DER)', () => {
  const C = '/work/shared/corpus/zeek';
  if (!existsSync(join(C, 'expected.json')) || spawnSync('tshark', ['--version']).status !== 0) return console.log('  (skipped: corpus or tshark absent)');
  const exp = JSON.parse(readFileSync(join(C, 'expected.json'), 'utf8'));
  const KEY = { rsa: 'rsa', ecdsa: 'ec', dsa: 'dsa', 'ML-DSA-44': 'ml-dsa-44' };
  let compared = 0;
  let total = 0;
  for (const [pcap, e] of Object.entries(exp)) {
    if (!e.x509?.length) continue;
    total += e.x509.length;
    const out = execFileSync('tshark', ['-r', join(C, 'pcaps', pcap), '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=/s',
      '-e', 'tls.handshake.certificate', '-e', 'dtls.handshake.certificate'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const facts = new Map();
    for (const hex of out.split(/\s+/).filter(Boolean)) {
      const f = x509Facts(Buffer.from(hex.replace(/:/g, ''), 'hex'));
      facts.set(f.sha256, f);
    }
    for (const x of e.x509) {
      const f = facts.get(x.sha256);
      if (!f) continue; // tshark does not see every trace's TLS (non-standard ports)
      const w = `${pcap} ${x.sha256.slice(0, 12)}`;
      assert.is(f.serialNumber, x.serial, w);
      assert.is(f.publicKeySize, x.key_length, w);
      assert.is(f.publicKeyCurve, x.curve, w);
      assert.is(f.signatureAlgorithm, x.sig_alg, w);
      assert.is(f.publicKeyAlgorithm, KEY[x.key_type], w);
      assert.equal(f.alternativeNames, x.san_dns, w);
      assert.is(f.isCA, x.basic_constraints_ca, w);
      assert.is(Date.parse(f.notBefore), Date.parse(x.not_before), w);
      assert.is(Date.parse(f.notAfter), Date.parse(x.not_after), w);
      if (!e.x509_canonifier) {
        // Zeek's ASCII log doubles the backslash of OpenSSL's RFC 2253 escapes.
        assert.is(f.subject, x.subject.replace(/\\\\/g, '\\'), w);
        assert.is(f.issuer, x.issuer.replace(/\\\\/g, '\\'), w);
      }
      compared++;
    }
  }
  assert.ok(compared >= 40, `${compared} of ${total} certificates compared`);
  console.log(`  corpus: ${compared} of ${total} certificates compared`);
});

test('malformed input never throws', () => {
  const cases = [Buffer.alloc(0), Buffer.from([0x30]), Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), Buffer.from('not a certificate'), Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01])];
  if (haveOpenssl) {
    const d = der('rsa2048.pem');
    for (const cut of [10, 100, 300, d.length - 1]) cases.push(d.subarray(0, cut));
    const flipped = Buffer.from(d);
    flipped[d.length - 10] ^= 0xff; // corrupt the signature: still parses, no longer self-signed
    const f = x509Facts(flipped);
    assert.is(f.selfSigned, false);
    assert.is(f.subjectCommonName, 'www.example.com');
  }
  for (const c of cases) {
    const f = x509Facts(c);
    assert.type(f.parseError, 'string', `len ${c.length}`);
    assert.is(f.sha256, createHash('sha256').update(c).digest('hex'));
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
