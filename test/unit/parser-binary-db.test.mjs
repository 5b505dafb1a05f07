// PostgreSQL and MySQL parsers: upgrade split offsets (both directions, any chunking),
// refused upgrades, cleartext credentials (user only, never the secret), details.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CAP, b, clientHello, driveAll, drive, my, pg, serverHello, z, be32 } from './parser-binary-builders.mjs';

const C = true;
const S = false;
const noSecret = (facts, secret) => assert.not.ok(JSON.stringify(facts).includes(secret), `secret "${secret}" leaked`);

// ---------------------------------------------------------------- PostgreSQL
test('postgresql: SSLRequest accepted: TLS after the 8-byte request and after the S', () => {
  const ch = clientHello();
  const sh = serverHello();
  const r = driveAll('postgresql', [[C, pg.sslRequest()], [S, b('S')], [C, ch], [S, sh]]);
  assert.equal(r.split, { c: 8, s: 1 });
  assert.equal(r.rest.c, ch);
  assert.equal(r.rest.s, sh);
  assert.is(r.facts.upgrade, 'tls');
  assert.equal(r.facts.starttls, { offered: true, used: true, offeredBy: 'client' });
  assert.is(r.facts.details.ssl, 'accepted');
  assert.ok(r.done);
});

test('postgresql: SSLRequest and ClientHello in one segment, server side unseen', () => {
  const ch = clientHello();
  const r = driveAll('postgresql', [[C, b(pg.sslRequest(), ch)]]);
  assert.is(r.split.c, 8);
  assert.equal(r.rest.c, ch);
  assert.is(r.facts.upgrade, 'tls');
  assert.is(r.facts.starttls.used, true);
});

test('postgresql: refused (N), cleartext password login: credential with the user only', () => {
  const steps = [
    [C, pg.sslRequest()],
    [S, b('N')],
    [C, pg.startup({ user: 'alice', database: 'shop', application_name: 'psql' })],
    [S, pg.auth(3)],
    [C, pg.password('hunter2-secret')],
    [S, b(pg.auth(0), pg.param('server_version', '16.4'), pg.param('TimeZone', 'UTC'), pg.typed('K', b(be32(1), be32(2))), pg.ready())],
    [C, pg.query('select 1')],
  ];
  const r = driveAll('postgresql', steps);
  assert.equal(r.split, { c: null, s: null });
  assert.is(r.facts.upgrade, undefined);
  assert.equal(r.facts.starttls, { offered: true, used: false, offeredBy: 'client' });
  assert.equal(r.facts.credentials, [{ kind: 'postgresql-cleartext', user: 'alice' }]);
  const d = r.facts.details;
  assert.is(d.ssl, 'refused');
  assert.is(d.user, 'alice');
  assert.is(d.database, 'shop');
  assert.is(d.application_name, 'psql');
  assert.is(d.auth, 'cleartext');
  assert.is(d.auth_result, 'ok');
  assert.is(d.server_version, '16.4');
  assert.is(d.protocol, '3.0');
  assert.ok(r.done, 'done at ReadyForQuery');
  noSecret(r.facts, 'hunter2');
});

test('postgresql: no SSLRequest, md5: not a cleartext credential', () => {
  const r = driveAll('postgresql', [
    [C, pg.startup({ user: 'bob', database: 'db' })],
    [S, pg.auth(5, b([1, 2, 3, 4]))],
    [C, pg.password('md5' + 'a'.repeat(32))],
    [S, b(pg.auth(0), pg.ready())],
  ]);
  assert.equal(r.facts.starttls, { offered: false, used: false });
  assert.is(r.facts.details.ssl, 'not-requested');
  assert.is(r.facts.details.auth, 'md5');
  assert.is(r.facts.credentials, undefined);
});

test('postgresql: SCRAM exchange: mechanisms in details, no credential', () => {
  const r = driveAll('postgresql', [
    [C, pg.startup({ user: 'carol' })],
    [S, pg.saslMechs('SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256')],
    [C, pg.saslInitial('SCRAM-SHA-256', Buffer.from('n,,n=,r=abc'))],
    [S, pg.auth(11, Buffer.from('r=abcdef,s=salt,i=4096'))],
    [C, pg.typed('p', Buffer.from('c=biws,r=abcdef,p=proof'))],
    [S, b(pg.auth(12, Buffer.from('v=sig')), pg.auth(0), pg.ready())],
  ]);
  assert.is(r.facts.credentials, undefined);
  assert.equal(r.facts.details.sasl_mechanisms, ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256']);
  assert.is(r.facts.details.sasl_mechanism, 'SCRAM-SHA-256');
  assert.is(r.facts.details.auth, 'sasl');
});

test('postgresql: GSSENCRequest refused, then SSLRequest accepted', () => {
  const r = driveAll('postgresql', [[C, pg.gssRequest()], [S, b('N')], [C, pg.sslRequest()], [S, b('S')], [C, clientHello()], [S, serverHello()]]);
  assert.equal(r.split, { c: 16, s: 2 });
  assert.is(r.facts.details.gssenc, 'refused');
  assert.is(r.facts.details.ssl, 'accepted');
});

test('postgresql: GSSENCRequest accepted: GSSAPI encryption, not TLS, parser stops', () => {
  const r = driveAll('postgresql', [[C, pg.gssRequest()], [S, b('G')], [C, b(be32(40), Buffer.alloc(40, 7))]]);
  assert.is(r.facts.details.gssenc, 'accepted');
  assert.is(r.facts.upgrade, undefined);
  assert.equal(r.split, { c: null, s: null });
  assert.ok(r.done);
});

test('postgresql: a NoticeResponse (N with a length) is not a refusal', () => {
  const r = driveAll('postgresql', [[C, pg.startup({ user: 'dave' })], [S, b(pg.typed('N', b('SNOTICE\0Mhello\0\0')), pg.auth(0), pg.ready())]]);
  assert.is(r.facts.details.ssl, 'not-requested');
  assert.is(r.facts.details.auth, 'trust');
  assert.ok(r.done);
});

test('postgresql: login failure: SQLSTATE in details, done', () => {
  const r = driveAll('postgresql', [[C, pg.startup({ user: 'eve' })], [S, pg.auth(3)], [C, pg.password('wrong')], [S, pg.error('FATAL', '28P01')]]);
  assert.equal(r.facts.details.error, { severity: 'FATAL', code: '28P01' });
  assert.equal(r.facts.credentials, [{ kind: 'postgresql-cleartext', user: 'eve' }]);
  assert.ok(r.done);
});

test('postgresql: empty cleartext password is not a credential', () => {
  const r = driveAll('postgresql', [[C, pg.startup({ user: 'f' })], [S, pg.auth(3)], [C, pg.password('')], [S, pg.error('FATAL', '28P01')]]);
  assert.is(r.facts.credentials, undefined);
});

test('postgresql: client-only capture: a plain password message counts at the end', () => {
  const r = drive('postgresql', [[C, pg.startup({ user: 'gina' })], [C, pg.password('pw-only-client')]]);
  assert.equal(r.facts.credentials, [{ kind: 'postgresql-cleartext', user: 'gina' }]);
  const md5 = drive('postgresql', [[C, pg.startup({ user: 'gina' })], [C, pg.password('md5' + 'f'.repeat(32))]]);
  assert.is(md5.facts.credentials, undefined);
  noSecret(r.facts, 'pw-only-client');
});

test('postgresql: CancelRequest and protocol 2.0 startup', () => {
  const c = driveAll('postgresql', [[C, pg.cancel()]]);
  assert.is(c.facts.details.cancel_request, true);
  assert.ok(c.done);
  const v2 = Buffer.alloc(296);
  v2.writeUInt32BE(296, 0);
  v2.writeUInt32BE(0x00020000, 4);
  v2.write('olddb', 8, 'latin1');
  v2.write('olduser', 72, 'latin1');
  const r = driveAll('postgresql', [[C, v2], [S, pg.auth(0)]]);
  assert.is(r.facts.details.protocol, '2.0');
  assert.is(r.facts.details.user, 'olduser');
  assert.is(r.facts.details.database, 'olddb');
});

// ---------------------------------------------------------------- MySQL
test('mysql: SSLRequest: TLS after the 36-byte request and right after the greeting', () => {
  const greeting = my.greeting({ version: '8.0.36' });
  const ch = clientHello();
  const sh = serverHello();
  const r = driveAll('mysql', [[S, greeting], [C, my.sslRequest()], [C, ch], [S, sh]]);
  assert.equal(r.split, { c: 36, s: greeting.length });
  assert.equal(r.rest.c, ch);
  assert.equal(r.rest.s, sh);
  assert.is(r.facts.upgrade, 'tls');
  assert.equal(r.facts.starttls, { offered: true, used: true, offeredBy: 'server' });
  assert.is(r.facts.details.server_version, '8.0.36');
  assert.is(r.facts.details.auth_plugin, 'caching_sha2_password');
  assert.ok(r.done);
});

test('mysql: server side only: a TLS record after a greeting offering TLS', () => {
  const greeting = my.greeting();
  const r = driveAll('mysql', [[S, greeting], [S, serverHello()]]);
  assert.is(r.split.s, greeting.length);
  assert.is(r.facts.starttls.used, true);
});

test('mysql: cleartext native-password login: user in details, not a credential', () => {
  const r = driveAll('mysql', [
    [S, my.greeting({ plugin: 'mysql_native_password' })],
    [C, my.login({ user: 'root', db: 'shop', attrs: { _client_name: 'libmysql', _client_version: '8.0.36', program_name: 'mysql', _pid: '42' } })],
    [S, my.ok(2)],
    [C, my.query('select 1')],
  ]);
  assert.equal(r.split, { c: null, s: null });
  assert.equal(r.facts.starttls, { offered: true, used: false, offeredBy: 'server' });
  assert.is(r.facts.credentials, undefined);
  const d = r.facts.details;
  assert.is(d.user, 'root');
  assert.is(d.database, 'shop');
  assert.is(d.client_auth_plugin, 'mysql_native_password');
  assert.is(d.client_name, 'libmysql');
  assert.is(d.client_version, '8.0.36');
  assert.is(d.program_name, 'mysql');
  assert.is(d._pid, undefined);
  assert.is(d.auth_result, 'ok');
  assert.ok(r.done);
});

test('mysql: greeting without CLIENT_SSL: starttls not offered', () => {
  const r = driveAll('mysql', [[S, my.greeting({ caps: 0xffffffff & ~CAP.SSL })], [C, my.login({ user: 'u' })], [S, my.ok(2)]]);
  assert.equal(r.facts.starttls, { offered: false, used: false });
});

test('mysql: mysql_clear_password in the HandshakeResponse is a cleartext credential', () => {
  const r = driveAll('mysql', [[S, my.greeting()], [C, my.login({ user: 'app', plugin: 'mysql_clear_password', auth: z('s3cr3t-pw') })], [S, my.ok(2)]]);
  assert.equal(r.facts.credentials, [{ kind: 'mysql-cleartext', user: 'app' }]);
  noSecret(r.facts, 's3cr3t');
});

test('mysql: AuthSwitchRequest to mysql_clear_password, then the password', () => {
  const r = driveAll('mysql', [
    [S, my.greeting()],
    [C, my.login({ user: 'ldapuser' })],
    [S, my.authSwitch(2, 'mysql_clear_password', Buffer.alloc(0))],
    [C, my.packet(3, z('pl41n-text'))],
    [S, my.ok(4)],
  ]);
  assert.is(r.facts.details.auth_switch, 'mysql_clear_password');
  assert.equal(r.facts.credentials, [{ kind: 'mysql-cleartext', user: 'ldapuser' }]);
  noSecret(r.facts, 'pl41n');
});

test('mysql: access denied and host-blocked greeting', () => {
  const r = driveAll('mysql', [[S, my.greeting()], [C, my.login({ user: 'x' })], [S, my.err(2, 1045)]]);
  assert.is(r.facts.details.error_code, 1045);
  assert.ok(r.done);
  const blocked = driveAll('mysql', [[S, my.packet(0, b([0xff], [0x6a, 0x04], "Host '10.0.0.1' is not allowed"))]]);
  assert.is(blocked.facts.details.error_code, 1130);
  assert.ok(blocked.done);
});

test('mysql: pre-4.1 client login', () => {
  const r = driveAll('mysql', [[S, my.greeting()], [C, my.packet(1, b([0x85, 0x24], [0, 0, 1], z('oldie'), 'abcdefgh'))]]);
  assert.is(r.facts.details.user, 'oldie');
  assert.is(r.facts.starttls.used, false);
});

test.run();
