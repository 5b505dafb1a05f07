// The audit on real captures (captures/*.pcap, made by captures/generate.sh with openssl,
// gnutls, curl and friends — see captures/README.md): the exact rule ids raised on every
// session of every capture, so each rule is seen firing where the capture was made to
// provoke it and staying silent on the clean ones. Rules no bundled capture provokes
// (a certificate not yet valid) are checked on the read-only reference corpus when it is
// present; mtls-missing needs a policy naming the service.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = join(root, 'captures');
const cli = join(root, 'agent', 'dist', 'cli.js');
const corpus = '/work/shared/corpus/zeek/pcaps';

function replay(file, ...args) {
  const out = execFileSync(process.execPath, [cli, 'replay', file, '--ndjson', '--no-progress', ...args], { maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  return out.trim().split('\n').map((l) => JSON.parse(l));
}
const sessions = (docs) => docs.filter((d) => d.event.dataset === 'intransit.session');
const findingSets = (docs) => sessions(docs).map((s) => [...s.intransit.findings].sort()).sort((a, b) => (a.join() < b.join() ? -1 : a.join() > b.join() ? 1 : 0));

const PQ = 'tls-pq-not-negotiated'; // info: every classical key exchange
const LEGACY_OFFER = 'tls-client-legacy-offer'; // openssl s_client / curl list TLS 1.1 and 1.0 in supported_versions
const WEAK_SUITE = ['tls-cipher-not-approved', 'tls-no-forward-secrecy', PQ, 'tls-weak-cipher']; // gnutls RSA-kx weak suites

// capture → the sorted rule ids of each session (sessions sorted), under the default profile aws-sec09
const EXPECTED = {
  'cert-ec-p256.pcap': [['tls-cipher-not-approved', PQ]], // ECDHE-ECDSA is not on aws-sec09's list
  'cert-expired.pcap': [['cert-expired', PQ]],
  'cert-not-yet-valid.pcap': [['cert-not-yet-valid', PQ]],
  'cert-long-validity.pcap': [['cert-validity-too-long', PQ]],
  'cert-name-mismatch.pcap': [['cert-name-mismatch', PQ]],
  'cert-selfsigned-sha1-rsa1024.pcap': [['cert-self-signed', 'cert-weak-key', 'cert-weak-signature', PQ]],
  'curl-https.pcap': [[LEGACY_OFFER, PQ], [LEGACY_OFFER, PQ]],
  'dtls10-openssl.pcap': [['cert-expiring-soon', 'cert-self-signed', 'tls-cipher-not-approved', LEGACY_OFFER, 'tls-deprecated-version', PQ]],
  'dtls12-mtu-openssl.pcap': [['cert-expiring-soon', 'cert-self-signed', PQ], ['cert-expiring-soon', 'cert-self-signed', PQ]], // 30-day self-signed
  'dtls12-openssl.pcap': [[PQ]],
  'ftp-auth-tls.pcap': [[LEGACY_OFFER, PQ]], // AUTH TLS before USER/PASS: nothing in cleartext
  'ftp-cleartext.pcap': [['cleartext-credentials', 'plaintext-protocol']],
  'imap-starttls.pcap': [[LEGACY_OFFER, PQ]], // upgraded: encrypted, no cleartext finding
  'pop3-stls.pcap': [[LEGACY_OFFER, PQ]],
  'smtp-no-starttls-auth-plain.pcap': [['cleartext-credentials', 'plaintext-protocol', 'starttls-not-used']],
  'smtp-starttls.pcap': [[LEGACY_OFFER, PQ]],
  'http-cleartext.pcap': [['cleartext-credentials', 'plaintext-protocol'], ['plaintext-protocol']], // the second carries Basic auth
  'http-on-443.pcap': [['plaintext-on-tls-port', 'plaintext-protocol']],
  'postgresql-ssl-disable.pcap': [['cleartext-credentials', 'plaintext-protocol']],
  'postgresql-ssl-require.pcap': [['tls-missing-sni', PQ]], // SSLRequest then TLS 1.3, no SNI (host given as an address)
  'quic-ngtcp2.pcap': [[PQ], [PQ]],
  'tls-handshake-failure.pcap': [['tls-handshake-failed']],
  'tls-no-sni.pcap': [[LEGACY_OFFER, 'tls-missing-sni', PQ]],
  'tls-null-gnutls.pcap': [WEAK_SUITE],
  'tls-on-8080.pcap': [[LEGACY_OFFER, PQ]],
  'tls-rc4-gnutls.pcap': [WEAK_SUITE],
  'tls10-legacy.pcap': [['tls-cipher-not-approved', LEGACY_OFFER, 'tls-deprecated-version', PQ]],
  'tls11-legacy.pcap': [['tls-cipher-not-approved', LEGACY_OFFER, 'tls-deprecated-version', PQ]],
  'tls12-3des-gnutls.pcap': [WEAK_SUITE],
  'tls12-dhe-1024.pcap': [['tls-cipher-not-approved', PQ, 'tls-weak-dh']],
  'tls12-dhe-2048.pcap': [['tls-cipher-not-approved', PQ]], // DHE is not on aws-sec09's list, 2048 bits is not weak
  'tls12-ecdhe-rsa.pcap': [[], [], [PQ], [PQ]], // two resumptions: no key exchange, no certificate to judge
  'tls12-mtls.pcap': [[PQ], [PQ]],
  'tls12-rsa-kx.pcap': [['tls-cipher-not-approved', 'tls-no-forward-secrecy', PQ]],
  'tls13-geneve.pcap': [[PQ]],
  'tls13-gre.pcap': [[PQ]],
  'tls13-hrr.pcap': [[PQ]],
  'tls13-nanosec.pcap': [[PQ]],
  'tls13-openssl.pcap': [[PQ]],
  'tls13-rawip.pcap': [[PQ]],
  'tls13-resumption.pcap': [[PQ], [PQ]],
  'tls13-sll.pcap': [[PQ]],
  'tls13-sll2.pcap': [[PQ]],
  'tls13-vlan.pcap': [[PQ]],
  'tls13-vxlan.pcap': [[PQ]],
  'tls13.pcapng': [[PQ]],
};

const names = readdirSync(dir).filter((n) => /\.(pcap|pcapng)$/.test(n)).sort();
const seen = new Set();

test('every bundled capture has its expected findings listed here', () => {
  assert.equal(names.filter((n) => !(n in EXPECTED)), []);
});

for (const name of names) {
  if (!(name in EXPECTED)) continue;
  test(`findings on ${name}`, () => {
    const docs = replay(join(dir, name));
    const got = findingSets(docs);
    const want = EXPECTED[name].map((f) => [...f].sort()).sort((a, b) => (a.join() < b.join() ? -1 : a.join() > b.join() ? 1 : 0));
    assert.equal(got, want);
    for (const f of got.flat()) seen.add(f);
    // one finding document per (session, rule), after its session
    const findings = docs.filter((d) => d.event.dataset === 'intransit.finding');
    assert.is(findings.length, got.flat().length);
    for (const f of findings) {
      assert.ok(f.message.length > 20 && f.rule.reference && /^SEC09-BP0[123]$/.test(f.rule.category), f.rule.id);
      assert.ok(f.event.severity >= 1 && f.event.severity <= 5);
    }
  });
}

test('coverage honesty on the captures: TLS 1.3 and QUIC hide certificates, resumptions show none', () => {
  const reasons = (name) => sessions(replay(join(dir, name))).map((s) => [s.intransit.assessment, ...s.intransit.assessment_reasons]);
  assert.equal(reasons('tls13-openssl.pcap'), [['partial', 'tls13-certificate-encrypted']]);
  assert.equal(reasons('quic-ngtcp2.pcap'), [['partial', 'quic-certificate-encrypted'], ['partial', 'quic-certificate-encrypted']]);
  assert.equal(reasons('tls12-ecdhe-rsa.pcap').filter((r) => r[0] === 'partial'), [['partial', 'resumed-no-certificate'], ['partial', 'resumed-no-certificate']]);
  assert.equal(reasons('cert-expired.pcap'), [['assessed']]);
  assert.equal(reasons('http-cleartext.pcap'), [['assessed'], ['assessed']]);
});

test('the cleartext credentials are named by user only: the password never appears', () => {
  for (const name of ['http-cleartext.pcap', 'ftp-cleartext.pcap', 'smtp-no-starttls-auth-plain.pcap']) {
    const text = JSON.stringify(replay(join(dir, name)));
    const raw = readFileSync(join(dir, name)).toString('latin1');
    // the secret as typed, and as the protocol carried it (SMTP AUTH PLAIN / HTTP Basic: base64)
    const carried = [...raw.matchAll(/(?:AUTH PLAIN|Authorization: Basic) ([A-Za-z0-9+/=]{8,})/g)].map((m) => m[1]);
    for (const secret of ['S3cr3t-Never-Shown', ...carried]) assert.not.ok(text.includes(secret), `${name}: ${secret}`);
    assert.ok(text.includes('[redacted]'), name);
  }
});

test('mtls-missing on tls12-mtls.pcap with a policy requiring client certificates on :443', () => {
  const policy = join(mkdtempSync(join(tmpdir(), 'intransit-mtls-')), 'mtls.yaml');
  writeFileSync(policy, 'mtls_required:\n  - name: www\n    cidr: 10.99.0.0/24\n    port: 443\n');
  const docs = replay(join(dir, 'tls12-mtls.pcap'), '--policy', policy);
  const ss = sessions(docs);
  assert.equal(ss.map((s) => s.intransit.mtls.status).sort(), ['missing', 'verified']);
  const missing = ss.find((s) => s.intransit.mtls.status === 'missing');
  assert.ok(missing.intransit.findings.includes('mtls-missing'));
  assert.is(missing.intransit.tls.client_certificate, 'empty');
  const k = docs.at(-1).intransit.summary.kpi.mtls;
  assert.equal([k.verified, k.missing, k.unobservable, k.coverage], [1, 1, 0, 0.5]);
  seen.add('mtls-missing');
  // TLS 1.3 to the same service: unobservable, not a pass
  const t13 = replay(join(dir, 'tls13-openssl.pcap'), '--policy', policy);
  assert.equal(sessions(t13)[0].intransit.mtls, { required: true, service: 'www', status: 'unobservable', reason: 'mtls-tls13-encrypted' });
  assert.is(t13.at(-1).intransit.summary.kpi.mtls.coverage, 0);
});

test('rules no bundled capture provokes, on the reference corpus', () => {
  if (!existsSync(corpus)) return;
  const pop3 = sessions(replay(join(corpus, 'pop3__pop3.pcap'))).filter((s) => s.network.protocol === 'pop3');
  assert.ok(pop3.length > 0 && pop3.every((s) => s.intransit.findings.includes('starttls-not-used')));
  const mldsa = sessions(replay(join(corpus, 'tls__ml-dsa-44-cert.pcap')));
  assert.ok(mldsa[0].intransit.findings.includes('cert-not-yet-valid'), 'certificate from 2026 in a 2023 capture');
  const used = sessions(replay(join(corpus, 'tls__smtp-starttls.pcap')));
  assert.ok(used.length > 0 && used.every((s) => !s.intransit.findings.includes('starttls-not-used')), 'STARTTLS taken');
  seen.add('cert-not-yet-valid');
});

test('every rule fires on some capture', async () => {
  const { RULES } = await import('../agent/dist/audit/rules.js');
  const missing = RULES.map((r) => r.id).filter((id) => !seen.has(id));
  if (!existsSync(corpus)) assert.equal(missing.filter((id) => id !== 'cert-not-yet-valid'), []);
  else assert.equal(missing, []);
});

test.run();
