// Policy files (JSON and YAML): profiles, severity overrides, disabled rules, mTLS
// services, waivers (CIDR v4/v6, port, SNI glob, rule; expiry judged at run time with one
// warning per waiver), strict validation with line numbers, and the CLI's exit 2.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Auditor } from '../../agent/dist/audit/auditor.js';
import { parsePolicy, PolicyError } from '../../agent/dist/audit/policy.js';
import { ipInCidr, parseCidr, globToRegExp } from '../../agent/dist/audit/scope.js';
import { makeCert, tcpConversation, tls12, runEngine, sessionsOf, findingsOf, summaryOf, DAY } from './audit-fixtures.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'agent', 'dist', 'cli.js');
const tmp = mkdtempSync(join(tmpdir(), 'intransit-policy-'));
const file = (name, text) => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};

const T0 = Date.UTC(2024, 5, 1);
const NOW = Date.UTC(2025, 0, 15, 12); // the run's wall clock in these tests
const CA = { cn: 'Policy Test CA', keyKind: 'rsa2048' };
const caCert = makeCert({ cn: CA.cn, sans: [], ca: true, notBefore: T0 - 400 * DAY, notAfter: T0 + 3000 * DAY, serial: 1 });
// RSA key exchange: tls-no-forward-secrecy (3) and tls-cipher-not-approved (2) fire on it
const rsaKx = (sni = 'legacy.corp.example') =>
  tls12({ sni, cipher: 0x009c, ciphers: [0x009c], ske: null, certs: [makeCert({ cn: sni, notBefore: T0 - DAY, notAfter: T0 + 60 * DAY, issuer: CA }), caCert] });

function run(policyText, { name = 'p.yaml', now = NOW, conversations } = {}) {
  const warnings = [];
  const policy = parsePolicy(policyText, name);
  const auditor = new Auditor(policy, { now, warn: (m) => warnings.push(m) });
  const { docs, engine } = runEngine(conversations, { auditor });
  return { docs, engine, warnings, sessions: sessionsOf(docs), findings: findingsOf(docs), summary: summaryOf(docs).intransit.summary };
}

const convs = () => [
  tcpConversation({ client: '10.1.0.5', server: '10.0.0.10', cport: 41000, sport: 443, ts: T0 / 1000, segments: rsaKx('legacy.corp.example') }),
  tcpConversation({ client: '10.1.0.5', server: '10.0.1.10', cport: 41001, sport: 8443, ts: T0 / 1000 + 1, segments: rsaKx('api.other.example') }),
  tcpConversation({ client: 'fd00:1::5', server: 'fd00:2::10', cport: 41002, sport: 443, ts: T0 / 1000 + 2, segments: rsaKx('v6.corp.example') }),
];
const waived = (r) => r.findings.filter((f) => f.intransit.waived).map((f) => `${f.destination.ip}:${f.rule.id}`).sort();

const waiver = (scope, expires = '2025-12-31') => `waivers:\n  - scope: ${scope}\n    justification: legacy appliance, replacement ordered\n    owner: netops@corp.example\n    expires: ${expires}\n`;

test('without waivers nothing is waived and the findings count', () => {
  const r = run('profile: aws-sec09\n', { conversations: convs() });
  assert.equal(waived(r), []);
  assert.is(r.summary.findings_by_rule['tls-no-forward-secrecy'], 3);
  assert.is(r.engine.maxSeverity, 3);
});

test('waiver by IPv4 CIDR', () => {
  const r = run(waiver('{cidr: 10.0.0.0/24}'), { conversations: convs() });
  assert.equal(waived(r), ['10.0.0.10:tls-cipher-not-approved', '10.0.0.10:tls-no-forward-secrecy', '10.0.0.10:tls-pq-not-negotiated']);
  const f = r.findings.find((x) => x.intransit.waived);
  assert.equal(f.intransit.waived, { justification: 'legacy appliance, replacement ordered', owner: 'netops@corp.example', expires: '2025-12-31' });
  const s = r.sessions.find((x) => x.destination.ip === '10.0.0.10');
  assert.equal(s.intransit.waived_findings, ['tls-no-forward-secrecy', 'tls-cipher-not-approved', 'tls-pq-not-negotiated']);
  assert.equal(s.intransit.findings, ['tls-no-forward-secrecy', 'tls-cipher-not-approved', 'tls-pq-not-negotiated'], 'still raised');
});

test('waiver by IPv6 CIDR', () => {
  const r = run(waiver('{cidr: "fd00:2::/64", rule: tls-no-forward-secrecy}'), { conversations: convs() });
  assert.equal(waived(r), ['fd00:2::10:tls-no-forward-secrecy']);
});

test('waiver by port, by SNI glob, by rule id, and a list of values', () => {
  assert.equal(waived(run(waiver('{port: 8443, rule: tls-no-forward-secrecy}'), { conversations: convs() })), ['10.0.1.10:tls-no-forward-secrecy']);
  assert.equal(waived(run(waiver('{sni: "*.corp.example", rule: tls-no-forward-secrecy}'), { conversations: convs() })).length, 2);
  assert.equal(waived(run(waiver('{sni: "LEGACY.corp.*", rule: [tls-no-forward-secrecy, tls-cipher-not-approved]}'), { conversations: convs() })),
    ['10.0.0.10:tls-cipher-not-approved', '10.0.0.10:tls-no-forward-secrecy']);
  assert.equal(waived(run(waiver('{rule: tls-pq-not-negotiated}'), { conversations: convs() })).length, 3);
  assert.equal(waived(run(waiver('{cidr: [10.9.0.0/16, "fd00:2::/64"], port: [443, 8443], rule: tls-no-forward-secrecy}'), { conversations: convs() })), ['fd00:2::10:tls-no-forward-secrecy']);
  assert.equal(waived(run(waiver('{client_cidr: 10.1.0.0/16, rule: tls-no-forward-secrecy}'), { conversations: convs() })).length, 2);
  assert.equal(waived(run(waiver('{cidr: 192.168.0.0/16}'), { conversations: convs() })), [], 'a scope that matches nothing waives nothing');
});

test('waived findings are excluded from the KPI failures and from --fail-on', () => {
  const r = run(waiver('{rule: [tls-no-forward-secrecy, tls-cipher-not-approved, tls-pq-not-negotiated]}'), { conversations: convs() });
  const s = r.summary;
  assert.equal(s.findings_by_rule, {});
  assert.equal(s.waived_findings_by_rule, { 'tls-cipher-not-approved': 3, 'tls-no-forward-secrecy': 3, 'tls-pq-not-negotiated': 3 });
  assert.equal(s.waived_findings_by_severity, { info: 3, low: 3, medium: 3 });
  assert.is(s.kpi.findings, 0);
  assert.is(s.kpi.waived_findings, 9);
  assert.equal(s.kpi.top_offenders, []);
  assert.is(r.engine.maxSeverity, 0);
  assert.is(r.findings.length, 9, 'waived findings are still written');
});

test('an expired waiver stops applying and warns once, however many sessions it would cover', () => {
  const r = run(waiver('{rule: tls-no-forward-secrecy}', '2025-01-14'), { conversations: convs() });
  assert.equal(waived(r), []);
  assert.is(r.summary.findings_by_rule['tls-no-forward-secrecy'], 3);
  assert.is(r.warnings.length, 1);
  assert.match(r.warnings[0], 'waiver #1');
  assert.match(r.warnings[0], 'expired 2025-01-14');
  assert.is(r.summary.policy.waivers_expired, 1);
  // a bare date is valid through that whole day (UTC) of the run's clock
  const today = run(waiver('{rule: tls-no-forward-secrecy}', '2025-01-15'), { conversations: convs() });
  assert.is(today.warnings.length, 0);
  assert.is(waived(today).length, 3);
  // expiry is judged at run time, not capture time: the 2024 capture does not keep it alive
  const stamp = run(waiver('{rule: tls-no-forward-secrecy}', '2025-01-15T11:00:00Z'), { conversations: convs() });
  assert.is(stamp.warnings.length, 1);
});

test('severity overrides and disabled rules', () => {
  const r = run('rules:\n  tls-no-forward-secrecy: {severity: critical}\n  tls-pq-not-negotiated: {enabled: false}\n  tls-cipher-not-approved:\n    severity: 1\n', { conversations: convs() });
  const sev = Object.fromEntries(r.findings.map((f) => [f.rule.id, f.event.severity]));
  assert.equal(sev, { 'tls-no-forward-secrecy': 5, 'tls-cipher-not-approved': 1 });
  assert.is(r.engine.maxSeverity, 5);
  assert.equal(r.summary.policy.disabled_rules, ['tls-pq-not-negotiated']);
});

test('the profile switch changes tls-cipher-not-approved and the approved-suite KPI', () => {
  const ecdsa = () => [tcpConversation({ ts: T0 / 1000, segments: tls12({ cipher: 0xc02b, ciphers: [0xc02b], certs: [makeCert({ cn: 'www.example.test', keyKind: 'ec-prime256v1', notBefore: T0 - DAY, issuer: CA }), caCert] }) })];
  const aws = run('profile: aws-sec09\n', { conversations: ecdsa() });
  assert.ok(aws.sessions[0].intransit.findings.includes('tls-cipher-not-approved'));
  assert.is(aws.summary.kpi.approved_cipher_share, 0);
  const moz = run('profile: mozilla-intermediate\n', { conversations: ecdsa() });
  assert.not.ok(moz.sessions[0].intransit.findings.includes('tls-cipher-not-approved'));
  assert.is(moz.summary.kpi.approved_cipher_share, 1);
  assert.is(moz.summary.kpi.profile, 'mozilla-intermediate');
  const modern = run('profile: mozilla-modern\n', { conversations: ecdsa() });
  assert.is(modern.summary.kpi.approved_version_share, 0);
  assert.is(modern.summary.kpi.tls12plus_share, 1);
});

test('JSON and YAML forms of one policy are equal', () => {
  const y = parsePolicy(`profile: nist-800-52r2
rules:
  plaintext-protocol: {severity: high}
certificates: {max_validity_days: 200, expiring_soon_days: 14}
mtls_required:
  - {name: api, cidr: 10.0.0.0/8, port: [443, 8443], sni: "*.internal"}
${waiver('{cidr: "10.0.0.0/8", rule: plaintext-protocol}').trim()}
`, 'p.yaml');
  const j = parsePolicy(JSON.stringify({
    profile: 'nist-800-52r2', rules: { 'plaintext-protocol': { severity: 4 } }, certificates: { max_validity_days: 200, expiring_soon_days: 14 },
    mtls_required: [{ name: 'api', cidr: '10.0.0.0/8', port: [443, 8443], sni: '*.internal' }],
    waivers: [{ scope: { cidr: '10.0.0.0/8', rule: 'plaintext-protocol' }, justification: 'legacy appliance, replacement ordered', owner: 'netops@corp.example', expires: '2025-12-31' }],
  }, null, 2), 'p.json');
  const norm = (p) => JSON.parse(JSON.stringify({ ...p, source: null, rules: [...p.rules], profile: p.profile.name },
    (k, v) => (k === 'line' ? undefined : v instanceof RegExp ? String(v) : v instanceof Uint8Array ? [...v] : v)));
  assert.equal(norm(y), norm(j));
  assert.is(y.maxValidityDays, 200);
  assert.is(y.mtlsServices[0].name, 'api');
});

const err = (text, name = 'p.yaml') => {
  try {
    parsePolicy(text, name);
  } catch (e) {
    assert.instance(e, PolicyError);
    return e.message;
  }
  assert.unreachable(`accepted: ${text}`);
};

test('malformed YAML and JSON: one error with the line', () => {
  assert.match(err('profile: aws-sec09\nrules:\n  a: [1, 2\nwaivers: x\n'), /^policy p\.yaml:\d+:\d+: /);
  assert.match(err('profile: aws-sec09\nprofile: nist-800-52r2\n'), /^policy p\.yaml:2:1: .*unique/);
  assert.match(err('{\n  "profile": "aws-sec09",\n  "rules": {,}\n}\n', 'p.json'), /^policy p\.json:3:13: expected a "quoted" key/);
  assert.match(err('{\n  "profile": "aws-sec09"\n  "rules": {}\n}\n', 'p.json'), /^policy p\.json:3:3: expected ',' or '}'/);
  assert.match(err('{"profile": "aws-sec09",', 'p.json'), /^policy p\.json:1:25: .*end of input/);
  assert.match(err('{"a": 1, "a": 2}', 'p.json'), /^policy p\.json:1:10: duplicate key "a"/);
});

test('unknown keys, rule ids, profiles and bad values are errors with their line', () => {
  assert.match(err('profile: aws-sec09\nwaiver:\n  - {}\n'), /^policy p\.yaml:2:1: unknown key "waiver" in the policy/);
  assert.match(err(waiver('{cidr: 10.0.0.0/8, prot: 443}')), /^policy p\.yaml:2:\d+: unknown key "prot" in waivers\[1\]\.scope/);
  assert.match(err('rules:\n  tls-weak-ciphers: {enabled: false}\n'), /^policy p\.yaml:2:3: unknown rule id "tls-weak-ciphers"/);
  assert.match(err('rules:\n  tls-weak-cipher: {enable: false}\n'), /^policy p\.yaml:2:\d+: unknown key "enable"/);
  assert.match(err('profile: aws\n'), /^policy p\.yaml:1:10: unknown profile "aws"/);
  assert.match(err(waiver('{cidr: 10.0.0.0/33}')), /not an IPv4 or IPv6 address or CIDR/);
  assert.match(err(waiver('{rule: no-such-rule}')), /unknown rule id "no-such-rule"/);
  assert.match(err(waiver('{}')), /must name at least one of/);
  assert.match(err(waiver('{port: 70000}')), /port must be a whole number from 0 to 65535/);
  assert.match(err(waiver('{port: 443}', 'next week')), /expires must be a date/);
  assert.match(err('waivers:\n  - scope: {port: 443}\n    justification: x\n    expires: 2030-01-01\n'), /^policy p\.yaml:2:5: waivers\[1\] needs "owner"/);
  assert.match(err('rules:\n  plaintext-protocol: {severity: urgent}\n'), /severity must be 1-5 or info/);
  assert.match(err('mtls_required:\n  - {name: x}\n'), /must name at least one of cidr/);
  assert.match(err('- 1\n'), /the policy must be a mapping/);
  assert.match(err('{"profile": "aws-sec09", "extra": true}', 'p.json'), /^policy p\.json:1:26: unknown key "extra"/);
});

test('CIDR and glob matching', () => {
  assert.ok(ipInCidr('10.1.2.3', parseCidr('10.0.0.0/8')));
  assert.not.ok(ipInCidr('11.1.2.3', parseCidr('10.0.0.0/8')));
  assert.ok(ipInCidr('192.168.1.130', parseCidr('192.168.1.128/25')));
  assert.not.ok(ipInCidr('192.168.1.127', parseCidr('192.168.1.128/25')));
  assert.ok(ipInCidr('1.2.3.4', parseCidr('0.0.0.0/0')));
  assert.ok(ipInCidr('::ffff:10.0.0.1', parseCidr('10.0.0.0/8')), 'IPv4-mapped IPv6');
  assert.not.ok(ipInCidr('10.0.0.1', parseCidr('::/0')), 'an IPv6 CIDR never covers IPv4');
  assert.ok(ipInCidr('2001:db8::1', parseCidr('2001:db8::/32')));
  assert.ok(ipInCidr('2001:db8:ffff::1', parseCidr('2001:db8:8000::/33')));
  assert.not.ok(ipInCidr('2001:db8:7fff::1', parseCidr('2001:db8:8000::/33')));
  assert.ok(ipInCidr('fe80::1', parseCidr('fe80::1')), 'a bare address is a /128');
  assert.ok(ipInCidr('fe80::1%eth0', parseCidr('fe80::/10')), 'zone index ignored');
  assert.ok(ipInCidr('1:2:3:4:5:6:7:8', parseCidr('1:2:3:4::/64')));
  for (const bad of ['256.1.1.1', '1.2.3', '1::2::3', ':::', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', 'g::1', '12345::', '1.2.3.4.5'])
    assert.not.ok(ipInCidr(bad, parseCidr('0.0.0.0/0')) || ipInCidr(bad, parseCidr('::/0')), bad);
  for (const bad of ['10.0.0.0/33', '10.0.0/8', 'fd00::/129', 'host.example', '10.0.0.0/-1', '10.0.0.0/', '1::2::3/64'])
    assert.is(parseCidr(bad), null, bad);
  assert.ok(globToRegExp('*.corp.example').test('a.b.corp.example'));
  assert.not.ok(globToRegExp('*.corp.example').test('corp.example'));
  assert.ok(globToRegExp('db?.corp.example').test('db1.corp.example'));
  assert.not.ok(globToRegExp('db?.corp.example').test('dbx1.corp.example'));
  assert.not.ok(globToRegExp('a.b').test('axb'), 'dots are literal');
});

// ---------------------------------------------------------------- through the CLI
function cliRun(args) {
  const r = spawnSync(process.execPath, [cli, 'replay', ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
// a tiny capture: the smallest one shipped with the tests of bad input is enough here
function capture() {
  const frames = tcpConversation({ ts: T0 / 1000, segments: rsaKx() });
  const h = Buffer.alloc(24);
  h.writeUInt32LE(0xa1b2c3d4, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeUInt32LE(65535, 16);
  h.writeUInt32LE(1, 20);
  const recs = frames.map(({ frame, ts }) => {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(Math.floor(ts), 0);
    r.writeUInt32LE(Math.round((ts % 1) * 1e6), 4);
    r.writeUInt32LE(frame.length, 8);
    r.writeUInt32LE(frame.length, 12);
    return Buffer.concat([r, frame]);
  });
  return file('rsa.pcap', Buffer.concat([h, ...recs]));
}

test('CLI: a malformed policy file is exit 2 with one line naming file and line', () => {
  const pcap = capture();
  for (const [name, text, line] of [['bad.yaml', 'profile: aws-sec09\nwaivers:\n  - scope: {port: 443\n', 3], ['bad.json', '{\n  "profile": "aws-sec09",\n  "waivers": [\n}\n', 4], ['typo.yaml', 'profile: aws-sec09\nrulez: {}\n', 2]]) {
    const r = cliRun([pcap, '--ndjson', '--policy', file(name, text)]);
    assert.is(r.code, 2, name);
    assert.is(r.out, '', `${name}: nothing on standard output`);
    const lines = r.err.trim().split('\n');
    assert.is(lines.length, 1, r.err);
    assert.match(lines[0], new RegExp(`^intransit: policy .*${name.replace('.', '\\.')}:${line}:\\d+: `));
  }
  const missing = cliRun([pcap, '--ndjson', '--policy', join(tmp, 'nope.yaml')]);
  assert.is(missing.code, 2);
  assert.match(missing.err, 'cannot read: ENOENT');
  const badProfile = cliRun([pcap, '--ndjson', '--profile', 'mozilla-old']);
  assert.is(badProfile.code, 2);
  assert.match(badProfile.err, 'unknown profile "mozilla-old"');
});

test('CLI: --policy and --profile drive the output; expired waiver warns on stderr once', () => {
  const pcap = capture();
  const pol = file('ok.yaml', `profile: mozilla-intermediate\nrules:\n  tls-pq-not-negotiated: {enabled: false}\n${waiver('{rule: tls-no-forward-secrecy}', '2020-01-01').replace('waivers:\n', 'waivers:\n').trimEnd()}\n  - scope: {rule: tls-cipher-not-approved}\n    justification: migration\n    owner: alice\n    expires: 2999-01-01\n`);
  const r = cliRun([pcap, '--ndjson', '--policy', pol, '--fail-on', 'low']);
  const docs = r.out.trim().split('\n').map((l) => JSON.parse(l));
  const summary = docs.at(-1).intransit.summary;
  assert.is(summary.kpi.profile, 'mozilla-intermediate');
  assert.equal(summary.findings_by_rule, { 'tls-no-forward-secrecy': 1 });
  assert.equal(summary.waived_findings_by_rule, { 'tls-cipher-not-approved': 1 });
  assert.is(r.err.split('\n').filter((l) => l.includes('expired 2020-01-01')).length, 1);
  assert.is(r.code, 1, 'the unwaived medium finding trips --fail-on low');
  const override = cliRun([pcap, '--ndjson', '--policy', pol, '--profile', 'nist-800-52r2']);
  assert.is(JSON.parse(override.out.trim().split('\n').at(-1)).intransit.summary.kpi.profile, 'nist-800-52r2');
  const onlyWaived = file('w.yaml', waiver('{rule: [tls-no-forward-secrecy, tls-cipher-not-approved]}', '2999-01-01'));
  assert.is(cliRun([pcap, '--ndjson', '--policy', onlyWaived, '--fail-on', 'low']).code, 0, 'waived findings do not trip --fail-on');
});

test.run();
