// The binary parsers inside the flow: AppInspector hands the upgraded bytes to the TLS
// parser (STARTTLS-style splits and SOCKS tunnels), and the CLI on the reference
// captures (Zeek / JA4 corpora) ends with the expected TLS facts, credentials (user
// names only, never the secret) and starttls. The corpus part skips when it is absent.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppInspector } from '../../agent/dist/flow/inspector.js';
import '../../agent/dist/protocols/parsers.js';
import { b, clientHello, ldap, my, pg, randomChunks, rdp, serverHello, socks } from './parser-binary-builders.mjs';

const A = true; // side A: the client
const B = false;

/** Feeds [fromA, bytes] steps to a fresh inspector, each cut by `chunker`. */
function inspect(steps, chunker = (x) => [x]) {
  const insp = new AppInspector('tcp', 0);
  for (const [fromA, bytes] of steps) for (const piece of chunker(bytes)) insp.data(fromA, piece, 0, piece.length);
  insp.end();
  return insp;
}

const FLOWS = {
  postgresql: [[A, pg.sslRequest()], [B, b('S')], [A, clientHello('pg.example')], [B, serverHello()]],
  mysql: [[B, my.greeting()], [A, my.sslRequest()], [A, clientHello('mysql.example')], [B, serverHello()]],
  ldap: [[A, ldap.startTls(1)], [B, ldap.extendedResponse(1, 0)], [A, clientHello('ldap.example')], [B, serverHello()]],
  rdp: [[A, rdp.request({ cookie: 'mstshash=bob', requested: 3 })], [B, rdp.confirm({ selected: 1 })], [A, clientHello('rdp.example')], [B, serverHello()]],
  socks: [[A, b(socks.greeting(0), socks.request({ host: 'www.example.com' }))], [B, b(socks.method(0), socks.reply(0))], [A, clientHello('www.example.com')], [B, serverHello()]],
};

for (const [name, steps] of Object.entries(FLOWS)) {
  test(`inspector: ${name} hands the upgraded stream to the TLS parser`, () => {
    for (const chunker of [undefined, randomChunks(11), randomChunks(12)]) {
      const insp = inspect(steps, chunker);
      assert.is(insp.protocol?.name, name);
      assert.ok(insp.sawTls, 'TLS seen');
      assert.is(insp.tls.clientHello.serverName, `${name === 'socks' ? 'www' : name === 'postgresql' ? 'pg' : name}.example${name === 'socks' ? '.com' : ''}`);
      assert.ok(insp.tls.serverHello, 'ServerHello seen');
      assert.is(insp.parser.facts.upgrade, name === 'socks' ? 'tunnel' : 'tls');
    }
  });
}

test('inspector: a refused upgrade leaves the flow in cleartext', () => {
  const insp = inspect([[A, pg.sslRequest()], [B, b('N')], [A, pg.startup({ user: 'zed' })], [B, pg.auth(3)], [A, pg.password('zzz-secret')], [B, b(pg.auth(0), pg.ready())]]);
  assert.is(insp.protocol.name, 'postgresql');
  assert.not.ok(insp.sawTls);
  assert.equal(insp.parser.facts.credentials, [{ kind: 'postgresql-cleartext', user: 'zed' }]);
  assert.ok(insp.done);
});

// ---------------------------------------------------------------- corpus through the CLI
const CORPUS = '/work/shared/corpus';
const root = fileURLToPath(new URL('../..', import.meta.url));
const haveCorpus = existsSync(join(CORPUS, 'zeek', 'expected.json'));
const zeek = haveCorpus ? JSON.parse(readFileSync(join(CORPUS, 'zeek', 'expected.json'), 'utf8')) : {};
const ja4 = haveCorpus ? JSON.parse(readFileSync(join(CORPUS, 'ja4', 'expected.json'), 'utf8')) : {};
const ZEEK_VERSION = { TLSv10: '1.0', TLSv11: '1.1', TLSv12: '1.2', TLSv13: '1.3' };

function replay(path) {
  const out = execFileSync(process.execPath, [join(root, 'agent/dist/cli.js'), 'replay', path, '--ndjson'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { raw: out, sessions: out.split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((d) => d.event.dataset === 'intransit.session') };
}

/** Sessions of a Zeek trace checked against its ssl.log records (version, cipher, SNI). */
function checkZeekTls(file, protocol) {
  const { sessions } = replay(join(CORPUS, 'zeek', 'pcaps', file));
  const records = zeek[file].ssl;
  assert.ok(records.length > 0);
  for (const rec of records) {
    const s = sessions.find((d) => d.source.port === rec.orig_p && d.destination.port === rec.resp_p);
    assert.ok(s, `${file}: session ${rec.orig_p}->${rec.resp_p}`);
    assert.is(s.network.protocol, protocol, file);
    assert.is(s.intransit.encrypted, true, file);
    assert.is(s.tls?.version, ZEEK_VERSION[rec.version], `${file} version`);
    assert.is(s.tls.cipher, rec.cipher, `${file} cipher`);
    if (rec.server_name) assert.is(s.tls.client.server_name, rec.server_name, `${file} sni`);
    assert.is(s.intransit.starttls?.used, true, `${file} starttls.used`);
  }
  return sessions;
}

test('corpus: PostgreSQL sslmode=require ends in TLS; sslmode=disable stays cleartext', () => {
  if (!haveCorpus) return;
  for (const f of ['postgresql__psql-aws-ssl-require.pcap', 'postgresql__psql-aws-ssl-require-15432.pcap']) checkZeekTls(f, 'postgresql');
  for (const f of ['postgresql__psql-aws-ssl-disable.pcap', 'postgresql__psql-aws-ssl-disable-15432.pcap']) {
    const [s] = replay(join(CORPUS, 'zeek', 'pcaps', f)).sessions;
    assert.is(s.intransit.encrypted, false);
    assert.is(s.tls, undefined);
    assert.equal(s.intransit.starttls, { offered: false, used: false });
    assert.is(s.intransit.postgresql.user, 'zeek');
    assert.is(s.intransit.postgresql.auth, 'md5');
    assert.is(s.intransit.credentials, undefined, 'md5 is not a cleartext password');
  }
  const [refused] = replay(join(CORPUS, 'zeek', 'pcaps', 'postgresql__psql-select-now.pcap')).sessions;
  assert.equal(refused.intransit.starttls, { offered: true, used: false, offered_by: 'client' });
  assert.is(refused.intransit.postgresql.ssl, 'refused');
});

test('corpus: MySQL SSLRequest captures end in TLS', () => {
  if (!haveCorpus) return;
  for (const f of ['mysql__encrypted.pcap', 'mysql__tls-12-amazon-rds.pcap', 'mysql__tls-13-amazon-rds.pcap']) {
    const [s] = checkZeekTls(f, 'mysql');
    assert.is(s.intransit.starttls.offered_by, 'server');
  }
});

test('corpus: LDAP StartTLS, simple binds (user only), SASL binds (no credential)', () => {
  if (!haveCorpus) return;
  checkZeekTls('ldap__ldap-starttls.pcap', 'ldap');
  for (const f of ['ldap__simpleauth.pcap', 'ldap__simpleauth-diff-port.pcap']) {
    const { raw, sessions } = replay(join(CORPUS, 'zeek', 'pcaps', f));
    assert.equal(sessions[0].intransit.credentials, [
      { kind: 'ldap-simple', user: 'xxxxxxxxxxx@xx.xxx.xxxxx.net', secret: '[redacted]' },
      { kind: 'ldap-simple', user: 'CN=xxxxxxxx,OU=Users,OU=Accounts,DC=xx,DC=xxx,DC=xxxxx,DC=net', secret: '[redacted]' },
    ]);
    assert.not.ok(raw.includes('passwor8d1'), 'the bind password is never written');
    assert.ok(sessions[0].intransit.findings.includes('cleartext-credentials'));
  }
  for (const f of ['ldap__sasl-ntlm.pcap', 'ldap__sasl-scram-sha-512.pcap', 'ldap__sasl-srp-who-am-i.pcap']) {
    const [s] = replay(join(CORPUS, 'zeek', 'pcaps', f)).sessions;
    assert.is(s.intransit.credentials, undefined, f);
    assert.ok(s.intransit.ldap.binds.every((x) => x.method === 'sasl'), f);
  }
  const [sealed] = replay(join(CORPUS, 'zeek', 'pcaps', 'ldap__krb5-sign-seal-01.pcap')).sessions;
  assert.is(sealed.intransit.ldap.sasl_security_layer, true);
});

test('corpus: RDP Enhanced Security ends in TLS', () => {
  if (!haveCorpus) return;
  const sessions = checkZeekTls('rdp__rdp-to-ssl.pcap', 'rdp');
  assert.is(sessions[0].intransit.rdp.mstshash, 'AWAKECODI');
  const [s] = checkZeekTls('rdp__rdp-no-cookie-mstshash.pcap', 'rdp');
  assert.is(s.intransit.rdp.mstshash, undefined);
  assert.is(s.intransit.rdp.selected_protocol, 'hybrid_ex');
});

test('corpus: SOCKS tunnels: the tunnelled TLS is parsed (JA4 as expected), RFC 1929 user only', () => {
  if (!haveCorpus) return;
  const { sessions } = replay(join(CORPUS, 'ja4', 'pcaps', 'socks-https-example.pcap'));
  const expected = ja4['socks-https-example.pcap'].filter((r) => r.ja4);
  assert.is(expected.length, 3);
  for (const rec of expected) {
    const s = sessions.find((d) => d.source.port === rec.src_port);
    assert.is(s.network.protocol, 'socks');
    assert.is(s.tls.client.ja4, rec.ja4);
    assert.is(s.tls.client.server_name, rec.tls_server_name);
    assert.ok(['93.184.216.119:443', 'www.example.com:443'].includes(s.intransit.tunnel_target));
  }
  const socks4 = replay(join(CORPUS, 'ja4', 'pcaps', 'socks4-https.pcap')).sessions[0];
  assert.is(socks4.intransit.tunnel_target, 'login.live.com:443');
  assert.is(socks4.intransit.socks.userid, 'fd7bcf7b5c9e1d');
  const auth = replay(join(CORPUS, 'zeek', 'pcaps', 'socks-auth-10080.pcap'));
  const s = auth.sessions.find((d) => d.network.protocol === 'socks');
  assert.equal(s.intransit.credentials, [{ kind: 'socks5-password', user: 'bob', secret: '[redacted]' }]);
  assert.is(s.intransit.tunnel_target, '192.168.0.2:22');
  assert.not.ok(auth.raw.includes('alice'), 'the SOCKS password is never written');
});

test('bundled captures: a real PostgreSQL server, sslmode=require and sslmode=disable', () => {
  const require_ = join(root, 'captures', 'postgresql-ssl-require.pcap');
  const disable = join(root, 'captures', 'postgresql-ssl-disable.pcap');
  if (!existsSync(require_) || !existsSync(disable)) return;
  const [tls] = replay(require_).sessions;
  assert.is(tls.network.protocol, 'postgresql');
  assert.is(tls.intransit.encrypted, true);
  assert.is(tls.tls.version, '1.3');
  assert.equal(tls.intransit.starttls, { offered: true, used: true, offered_by: 'client' });
  assert.is(tls.intransit.postgresql.ssl, 'accepted');
  const clear = replay(disable);
  const [s] = clear.sessions;
  assert.is(s.intransit.encrypted, false);
  assert.is(s.tls, undefined);
  assert.equal(s.intransit.credentials, [{ kind: 'postgresql-cleartext', user: 'auditor', secret: '[redacted]' }]);
  assert.is(s.intransit.postgresql.application_name, 'intransit-sample');
  assert.is(s.intransit.postgresql.auth, 'cleartext');
  assert.not.ok(clear.raw.includes('S3cr3t'), 'the password is never written');
});

test.run();
