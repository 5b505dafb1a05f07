// The text protocol parsers end to end, through the CLI: reference captures from Zeek's
// and FoxIO's test suites (STARTTLS in SMTP/IMAP/POP3/XMPP/IRC/FTP, HTTP CONNECT, FTP
// and POP3 logins) must carry the TLS session of the upgraded stream with the values
// Zeek / JA4 expect, and the bundled STARTTLS captures (captures/gen/starttls.sh, real
// OpenSSL and Python peers) their STARTTLS and credential facts, never a secret.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'agent', 'dist', 'cli.js');
const corpus = '/work/shared/corpus';
const zeekDir = join(corpus, 'zeek', 'pcaps');
const haveCorpus = existsSync(join(corpus, 'zeek', 'expected.json'));
const zeek = haveCorpus ? JSON.parse(readFileSync(join(corpus, 'zeek', 'expected.json'), 'utf8')) : {};
const ja4 = haveCorpus ? JSON.parse(readFileSync(join(corpus, 'ja4', 'expected.json'), 'utf8')) : {};

function replay(file) {
  const out = execFileSync(process.execPath, [cli, 'replay', file, '--ndjson'], { maxBuffer: 1 << 26 }).toString();
  return { out, sessions: out.trim().split('\n').map((l) => JSON.parse(l)).filter((d) => d.event.dataset === 'intransit.session') };
}

const session = (sessions, ip, port) => sessions.find((s) => s.source.ip === ip && s.source.port === port);

const ZEEK_VERSION = { TLSv10: '1.0', TLSv11: '1.1', TLSv12: '1.2', TLSv13: '1.3', SSLv3: '3.0' };

/** The session's TLS fields against Zeek's ssl.log record for the same connection. */
function agreesWithZeek(s, z, where) {
  assert.ok(s, `${where}: session`);
  assert.is(s.intransit.encrypted, true, `${where}: encrypted`);
  assert.ok(s.tls, `${where}: tls.* from the upgraded stream`);
  assert.is(s.tls.version, ZEEK_VERSION[z.version], `${where}: version`);
  assert.is(s.tls.cipher, z.cipher, `${where}: cipher`);
  if (z.curve) assert.is(s.tls.curve, z.curve, `${where}: curve`);
  assert.is(s.tls.client?.server_name ?? null, z.server_name, `${where}: SNI`);
  assert.is(s.tls.established, z.established, `${where}: established`);
  if (Array.isArray(z.cert_chain_fps) && z.cert_chain_fps.length) assert.equal(s.intransit.tls.chain_sha256, z.cert_chain_fps, `${where}: chain`);
}

const STARTTLS_TRACES = {
  'tls__smtp-starttls.pcap': ['smtp', 'server'],
  'tls__imap-starttls.pcap': ['imap', 'server'],
  'tls__pop3-starttls.pcap': ['pop3', 'client'], // STLS without CAPA
  'tls__xmpp-starttls.pcap': ['xmpp', 'server'],
  'tls__xmpp-dialback-starttls.pcap': ['xmpp', 'server'],
  'tls__irc-starttls.pcap': ['irc', 'client'], // STARTTLS without CAP LS
  'ftp__ftp-auth-tls.pcap': ['ftp', 'client'], // FEAT without AUTH TLS
};

for (const [trace, [protocol, offeredBy]] of Object.entries(STARTTLS_TRACES)) {
  test(`zeek ${trace}: ${protocol} STARTTLS, then the TLS session Zeek logged`, () => {
    if (!haveCorpus) return;
    const { sessions } = replay(join(zeekDir, trace));
    for (const z of zeek[trace].ssl) {
      const s = session(sessions, z.orig_h, z.orig_p);
      agreesWithZeek(s, z, trace);
      assert.is(s.network.protocol, protocol);
      assert.equal(s.intransit.starttls, { offered: true, used: true, offered_by: offeredBy }, trace);
    }
  });
}

test('zeek http__connect-with-header.pcap: CONNECT tunnel carrying TLS (Zeek: service http,ssl)', () => {
  if (!haveCorpus) return;
  const { sessions } = replay(join(zeekDir, 'http__connect-with-header.pcap'));
  const c = zeek['http__connect-with-header.pcap'].conn[0];
  const s = session(sessions, c.orig_h, c.orig_p);
  assert.is(s.network.protocol, 'http');
  assert.is(s.intransit.encrypted, true);
  assert.is(s.intransit.tunnel_target, 'secure.newegg.com:443');
  assert.is(s.tls.client.server_name, 'secure.newegg.com');
  assert.equal(s.intransit.http, { method: 'CONNECT', host: 'secure.newegg.com:443', status: 200 });
});

test('zeek http__connect-with-smtp.pcap: CONNECT tunnel carrying SMTP stays cleartext', () => {
  if (!haveCorpus) return;
  const { sessions } = replay(join(zeekDir, 'http__connect-with-smtp.pcap'));
  const c = zeek['http__connect-with-smtp.pcap'].conn[0];
  const s = session(sessions, c.orig_h, c.orig_p);
  assert.is(s.intransit.encrypted, false);
  assert.is(s.intransit.tunnel_target, 'mailin03.sul.t-online.de:25');
  assert.is(s.tls, undefined);
});

test('ja4 https-connect.pcap: the tunnelled ClientHello gives the JA4 the project expects', () => {
  if (!haveCorpus) return;
  const { sessions } = replay(join(corpus, 'ja4', 'pcaps', 'https-connect.pcap'));
  const e = ja4['https-connect.pcap'].find((x) => x.ja4);
  const s = session(sessions, e.src, e.src_port);
  assert.is(s.tls.client.ja4, e.ja4);
  assert.is(s.intransit.tunnel_target, 'ts01-b.cloudsink.net:443');
  assert.is(s.intransit.encrypted, true);
});

test('zeek ftp__ftp-password-pass-command.pcap: FTP login reported, password nowhere', () => {
  if (!haveCorpus) return;
  const { out, sessions } = replay(join(zeekDir, 'ftp__ftp-password-pass-command.pcap'));
  assert.equal(sessions[0].intransit.credentials, [{ kind: 'ftp', user: 'Admin', secret: '[redacted]' }]);
  assert.not.ok(out.includes('qwerty'));
});

test('zeek pop3__pop3.pcap: AUTH PLAIN logins reported, STLS offered and not used, password nowhere', () => {
  if (!haveCorpus) return;
  const { out, sessions } = replay(join(zeekDir, 'pop3__pop3.pcap'));
  const pop3 = sessions.filter((s) => s.network.protocol === 'pop3');
  assert.ok(pop3.length >= 5);
  for (const s of pop3) assert.equal(s.intransit.starttls, { offered: true, used: false, offered_by: 'server' });
  const logins = pop3.filter((s) => s.intransit.credentials);
  assert.ok(logins.length >= 3);
  for (const s of logins) assert.equal(s.intransit.credentials, [{ kind: 'pop3-auth-plain', user: 'digitalinvestigator@networksims.com', secret: '[redacted]' }]);
  assert.not.ok(out.includes('napier'));
  assert.not.ok(out.includes('AGRpZ2l0YWxpbnZlc3RpZ2F0b3JAbmV0d29ya3NpbXMuY29tAG5hcGllcg'));
});

// --- bundled captures -------------------------------------------------------------

const BUNDLED = {
  'smtp-starttls.pcap': ['smtp', 'server', 'mail.intransit.test'],
  'imap-starttls.pcap': ['imap', 'server', 'imap.intransit.test'],
  'pop3-stls.pcap': ['pop3', 'client', 'pop.intransit.test'],
  'ftp-auth-tls.pcap': ['ftp', 'client', 'ftp.intransit.test'],
};

for (const [name, [protocol, offeredBy, sni]] of Object.entries(BUNDLED)) {
  test(`captures/${name}: openssl s_client -starttls ${protocol} against a python ssl server`, () => {
    const file = join(root, 'captures', name);
    if (!existsSync(file)) return;
    const { sessions } = replay(file);
    assert.is(sessions.length, 1);
    const s = sessions[0];
    assert.is(s.network.protocol, protocol);
    assert.is(s.intransit.encrypted, true);
    assert.equal(s.intransit.starttls, { offered: true, used: true, offered_by: offeredBy });
    assert.is(s.tls.version, '1.3');
    assert.is(s.tls.client.server_name, sni);
    assert.is(s.tls.established, true);
    assert.is(s.intransit.credentials, undefined);
  });
}

test('captures/smtp-no-starttls-auth-plain.pcap: STARTTLS offered, not used, AUTH PLAIN user only', () => {
  const file = join(root, 'captures', 'smtp-no-starttls-auth-plain.pcap');
  if (!existsSync(file)) return;
  const { out, sessions } = replay(file);
  const s = sessions[0];
  assert.is(s.intransit.encrypted, false);
  assert.equal(s.intransit.starttls, { offered: true, used: false, offered_by: 'server' });
  assert.equal(s.intransit.credentials, [{ kind: 'smtp-auth-plain', user: 'alice', secret: '[redacted]' }]);
  assert.is(s.tls, undefined);
  assert.not.ok(out.includes('S3cr3t-Never-Shown'));
  assert.not.ok(out.includes(Buffer.from('\0alice\0S3cr3t-Never-Shown').toString('base64').slice(0, 20)));
});

test.run();
