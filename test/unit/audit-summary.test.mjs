// Coverage honesty (assessment levels and reasons), the summary's SEC09 KPIs and the
// endpoint posture table, from sessions the product's engine made of built conversations.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Auditor } from '../../agent/dist/audit/auditor.js';
import { assess } from '../../agent/dist/audit/assessment.js';
import { parsePolicy } from '../../agent/dist/audit/policy.js';
import { Summary } from '../../agent/dist/output/summary.js';
import { makeCert, tcpConversation, tls12, tls13, runEngine, sessionsOf, summaryOf, DAY } from './audit-fixtures.mjs';

const T0 = Date.UTC(2024, 5, 1);
const CA = { cn: 'Summary Test CA', keyKind: 'rsa2048' };
const caCert = makeCert({ cn: CA.cn, sans: [], ca: true, notBefore: T0 - 400 * DAY, notAfter: T0 + 3000 * DAY, serial: 1 });
const leaf = (cn, opts = {}) => makeCert({ cn, sans: [cn], notBefore: T0 - DAY, notAfter: T0 + 60 * DAY, issuer: CA, ...opts });
const HTTP = [[true, Buffer.from('GET / HTTP/1.1\r\nHost: plain.example\r\n\r\n')], [false, Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok')]];
const UNKNOWN = [[true, Buffer.from([0x9f, 0x01, 0x77, 0x00, 0x13, 0x37, 0xfe, 0xed])], [false, Buffer.from([0x42, 0x00, 0x99, 0x88, 0x01, 0x02])]];

let port = 30000;
const conv = (segments, o = {}) => tcpConversation({ cport: port++, ts: T0 / 1000 + port % 100, segments, ...o });
const assessmentOf = (segments, o) => sessionsOf(runEngine([conv(segments, o)]).docs)[0];

test('assessment: a full TLS 1.2 handshake with its certificate is assessed', () => {
  const s = assessmentOf(tls12({ sni: 'a.example', certs: [leaf('a.example'), caCert] }));
  assert.is(s.intransit.assessment, 'assessed');
  assert.equal(s.intransit.assessment_reasons, []);
});

test('assessment: TLS 1.3 and ECH are partial with their reasons', () => {
  const t13 = assessmentOf(tls13({}));
  assert.is(t13.intransit.assessment, 'partial');
  assert.equal(t13.intransit.assessment_reasons, ['tls13-certificate-encrypted']);
  const ech = assessmentOf(tls13({ ech: true }));
  assert.equal(ech.intransit.assessment_reasons, ['ech-inner-name-hidden', 'tls13-certificate-encrypted']);
});

test('assessment: mid-stream without a ClientHello, one direction only, unknown protocol', () => {
  const mid = assessmentOf(tls12({ certs: [leaf('m.example'), caCert] }).slice(3), { midstream: true });
  assert.is(mid.intransit.flow.midstream, true);
  assert.is(mid.intransit.assessment, 'partial');
  assert.ok(mid.intransit.assessment_reasons.includes('midstream'));
  assert.ok(mid.intransit.assessment_reasons.includes('handshake-not-seen'));
  assert.equal(mid.intransit.findings.filter((f) => f.startsWith('cert-') || f === 'tls-deprecated-version'), []);
  const oneWay = assessmentOf(tls12({ certs: [leaf('o.example'), caCert] }), { oneDirection: true });
  assert.ok(oneWay.intransit.assessment_reasons.includes('one-direction'));
  const unknown = assessmentOf(UNKNOWN);
  assert.is(unknown.network.protocol, 'unknown');
  assert.is(unknown.intransit.assessment, 'unobservable');
  assert.equal(unknown.intransit.assessment_reasons, ['protocol-unknown']);
});

test('assessment: snaplen truncation, gaps, QUIC, resumption and an unfinished handshake (document facts)', () => {
  const base = assessmentOf(tls12({ sni: 'b.example', certs: [leaf('b.example'), caCert] }));
  const with_ = (fn) => {
    const d = structuredClone(base);
    fn(d);
    return assess(d);
  };
  assert.equal(with_((d) => (d.intransit.flow.snaplen_truncated = true)).reasons, ['snaplen-truncated']);
  assert.equal(with_((d) => (d.intransit.flow.gaps = 2)).reasons, ['stream-gaps']);
  assert.ok(with_((d) => (d.network.protocol = 'quic')).reasons.includes('quic-certificate-encrypted'));
  const resumed = with_((d) => {
    d.tls.resumed = true;
    delete d.tls.server;
    delete d.intransit.tls.chain;
    delete d.intransit.tls.chain_sha256;
  });
  assert.equal(resumed.reasons, ['resumed-no-certificate']);
  assert.equal(with_((d) => (d.tls.established = false)).reasons, ['handshake-incomplete']);
  assert.equal(with_((d) => (d.intransit.unobservable = ['quic-decryption-failed'])).reasons, ['quic-decryption-failed']);
  assert.is(with_((d) => (d.intransit.encrypted = null)).level, 'unobservable');
});

test('KPIs: encryption shares, TLS shares, certificate findings, passes never include what was not observed', () => {
  const convs = [
    conv(tls12({ sni: 'ok.example', certs: [leaf('ok.example'), caCert] })), // assessed, only info
    conv(tls12({ sni: 'old.example', version: 0x0301, cipher: 0xc014, ciphers: [0xc014], certs: [leaf('old.example', { sig: 'sha1-rsa' }), caCert] })),
    conv(tls13({ sni: 'new.example' })),
    conv(HTTP, { sport: 80 }),
    conv(UNKNOWN, { sport: 9999 }),
  ];
  const { docs } = runEngine(convs);
  const k = summaryOf(docs).intransit.summary.kpi;
  const s = summaryOf(docs).intransit.summary;
  assert.is(k.encrypted_sessions, 3);
  assert.is(k.cleartext_sessions, 1);
  assert.is(k.unidentified_sessions, 1);
  assert.is(k.encrypted_session_share, 0.75, 'of identified sessions');
  assert.is(k.encrypted_session_share_strict, 0.6, 'the unidentified one is not counted as encrypted');
  assert.ok(k.encrypted_byte_share_strict < k.encrypted_byte_share);
  assert.is(k.tls_sessions, 3);
  assert.is(k.tls12plus_share, 0.6667);
  assert.is(k.approved_cipher_share, 0.6667, 'ECDHE-RSA-AES128-GCM and TLS_AES_128_GCM approved, ECDHE-RSA-AES256-CBC-SHA not');
  assert.is(k.certificate_findings, 1, 'the SHA-1 leaf');
  assert.is(k.certificates_seen, 3, 'two leaves and their CA');
  assert.is(k.certificates_with_findings, 1);
  assert.is(k.assessment.assessed, 3, 'the two TLS 1.2 sessions and HTTP');
  assert.is(k.assessment.partial, 1);
  assert.is(k.assessment.unobservable, 1);
  assert.is(k.assessment.assessed_session_share, 0.6);
  assert.is(k.assessment.reasons['protocol-unknown'], 1);
  assert.is(k.passing_sessions, 1, 'only the clean, fully assessed TLS 1.2 session passes (TLS 1.3 is partial)');
  assert.is(s.findings_by_severity.high, 2, 'TLS 1.0 and SHA-1');
  assert.is(s.findings_by_rule['tls-deprecated-version'], 1);
  assert.is(k.findings, Object.values(s.findings_by_rule).reduce((a, b) => a + b, 0));
  // top offenders: highest severity first, info-only servers are not offenders
  assert.equal(k.top_offenders.map((o) => o.sni ?? o.server), ['old.example', '10.0.0.2:80']);
  assert.is(k.top_offenders[0].max_severity, 'high');
  assert.is(k.top_offenders[0].findings['cert-weak-signature'], 1);
});

test('KPIs: mTLS coverage counts unobservable sessions as not covered', () => {
  const policy = parsePolicy('mtls_required:\n  - {name: api, port: 443}\n', 'p.yaml');
  const client = makeCert({ cn: 'client', sans: [], issuer: CA, notBefore: T0 - DAY });
  const convs = [
    conv(tls12({ certs: [leaf('www.example.test'), caCert], certRequest: true, clientCert: [client] })),
    conv(tls12({ certs: [leaf('www.example.test'), caCert] })),
    conv(tls13({})),
    conv(tls13({})),
    conv(HTTP, { sport: 80 }),
  ];
  const { docs } = runEngine(convs, { auditor: new Auditor(policy, { warn: () => {} }) });
  const m = summaryOf(docs).intransit.summary.kpi.mtls;
  assert.equal(m, { required_sessions: 4, verified: 1, missing: 1, unobservable: 2, coverage: 0.25, observed_coverage: 0.5 });
  const sessions = sessionsOf(docs);
  assert.equal(sessions[2].intransit.mtls, { required: true, service: 'api', status: 'unobservable', reason: 'mtls-tls13-encrypted' });
  assert.is(sessions[4].intransit.mtls, undefined);
});

test('endpoint posture: per server ip, port, SNI, with versions, suites, groups, leaf facts, clients and findings', () => {
  const cert = leaf('api.example', { keyKind: 'ec-prime256v1' });
  const convs = [
    conv(tls12({ sni: 'api.example', cipher: 0xc02b, ciphers: [0xc02b], certs: [cert, caCert] }), { client: '10.0.0.7' }),
    conv(tls12({ sni: 'api.example', cipher: 0xc02b, ciphers: [0xc02b], certs: [cert, caCert] }), { client: '10.0.0.8' }),
    conv(tls13({ sni: 'api.example' }), { client: '10.0.0.7' }),
    conv(tls13({ sni: 'other.example' })),
  ];
  const { docs } = runEngine(convs);
  const ep = summaryOf(docs).intransit.summary.endpoints;
  assert.is(ep.count, 2);
  assert.is(ep.dropped_sessions, 0);
  const api = ep.list.find((e) => e.sni === 'api.example');
  assert.equal(api.server, { ip: '10.0.0.2', port: 443 });
  assert.is(api.sessions, 3);
  assert.is(api.clients, 2);
  assert.equal(api.tls.versions, { 'TLS 1.2': 2, 'TLS 1.3': 1 });
  assert.equal(api.tls.ciphers, { TLS_AES_128_GCM_SHA256: 1, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 2 });
  assert.equal(api.tls.groups, { x25519: 3 });
  assert.is(api.certificates.length, 1);
  assert.is(api.certificates[0].subject_cn, 'api.example');
  assert.is(api.certificates[0].key, 'ec 256 prime256v1');
  assert.is(api.certificates[0].sessions, 2);
  assert.is(api.certificates[0].not_after, new Date(T0 + 60 * DAY).toISOString().replace('.000', ''));
  assert.is(api.findings['tls-cipher-not-approved'], 2);
  assert.ok(api.first_seen < api.last_seen);
  assert.equal(api.assessment, { assessed: 2, partial: 1 });
});

test('endpoint posture is bounded: sessions of endpoints past the limit are counted as dropped', () => {
  const auditor = new Auditor();
  const summary = new Summary(auditor, 2);
  const { docs } = runEngine([conv(tls13({ sni: 'e1.example' })), conv(tls13({ sni: 'e2.example' })), conv(tls13({ sni: 'e3.example' })), conv(tls13({ sni: 'e1.example' }))]);
  for (const d of sessionsOf(docs)) summary.addSession(d, auditor.audit(d));
  const ep = summary.document({ first: null, last: null, packets: 0, capturedBytes: 0, wireBytes: 0, undecoded: {}, flows: {}, capture: {} }).intransit.summary.endpoints;
  assert.is(ep.count, 2);
  assert.is(ep.limit, 2);
  assert.is(ep.dropped_sessions, 1);
  assert.equal(ep.list.map((e) => [e.sni, e.sessions]), [['e1.example', 2], ['e2.example', 1]]);
});

test.run();
