// LDAP, RDP and SOCKS parsers: StartTLS / Enhanced RDP Security / tunnel split offsets
// in any chunking, refusals, credentials (user only), details.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { STARTTLS_OID, b, clientHello, drive, driveAll, ldap, rdp, serverHello, socks, tlv } from './parser-binary-builders.mjs';

const C = true;
const S = false;
const noSecret = (facts, secret) => assert.not.ok(JSON.stringify(facts).includes(secret), `secret "${secret}" leaked`);

// ---------------------------------------------------------------- LDAP
test('ldap: StartTLS accepted (response without a name): TLS after both messages', () => {
  const req = ldap.startTls(1);
  const resp = ldap.extendedResponse(1, 0);
  const ch = clientHello();
  const sh = serverHello();
  const r = driveAll('ldap', [[C, req], [S, resp], [C, ch], [S, sh]]);
  assert.equal(r.split, { c: req.length, s: resp.length });
  assert.equal(r.rest.c, ch);
  assert.equal(r.rest.s, sh);
  assert.is(r.facts.upgrade, 'tls');
  assert.equal(r.facts.starttls, { offered: true, used: true, offeredBy: 'client' });
  assert.is(r.facts.details.starttls, 'accepted');
  assert.ok(r.done);
});

test('ldap: StartTLS after a search, response carrying the responseName', () => {
  const pre = [ldap.search(1), ldap.searchDone(1)];
  const r = driveAll('ldap', [[C, pre[0]], [S, pre[1]], [C, ldap.startTls(2)], [S, ldap.extendedResponse(2, 0, STARTTLS_OID)], [C, clientHello()], [S, serverHello()]]);
  assert.equal(r.split, { c: pre[0].length + ldap.startTls(2).length, s: pre[1].length + ldap.extendedResponse(2, 0, STARTTLS_OID).length });
});

test('ldap: StartTLS refused: cleartext continues, simple bind is a credential', () => {
  const r = driveAll('ldap', [
    [C, ldap.startTls(1)],
    [S, ldap.extendedResponse(1, 52, STARTTLS_OID)],
    [C, ldap.bindSimple(2, 'cn=admin,dc=example,dc=com', 'Pa55word!')],
    [S, ldap.bindResponse(2, 0)],
    [C, ldap.unbind(3)],
  ]);
  assert.equal(r.split, { c: null, s: null });
  assert.is(r.facts.upgrade, undefined);
  assert.equal(r.facts.starttls, { offered: true, used: false, offeredBy: 'client' });
  assert.is(r.facts.details.starttls, 'refused');
  assert.is(r.facts.details.starttls_result, 52);
  assert.equal(r.facts.credentials, [{ kind: 'ldap-simple', user: 'cn=admin,dc=example,dc=com' }]);
  assert.equal(r.facts.details.binds, [{ id: 2, method: 'simple', dn: 'cn=admin,dc=example,dc=com', result: 0 }]);
  noSecret(r.facts, 'Pa55word');
});

test('ldap: root DSE advertising StartTLS, client binds in cleartext: offered by the server', () => {
  const entry = ldap.searchEntry(1, '', { supportedExtension: ['1.3.6.1.4.1.4203.1.11.1', STARTTLS_OID], namingContexts: ['dc=example,dc=com'] });
  const r = driveAll('ldap', [[C, ldap.search(1)], [S, b(entry, ldap.searchDone(1))], [C, ldap.bindSimple(2, 'uid=u,dc=example,dc=com', 'x')], [S, ldap.bindResponse(2, 49)]]);
  assert.equal(r.facts.starttls, { offered: true, used: false, offeredBy: 'server' });
  assert.is(r.facts.details.binds[0].result, 49);
  const used = driveAll('ldap', [[C, ldap.search(1)], [S, b(entry, ldap.searchDone(1))], [C, ldap.startTls(2)], [S, ldap.extendedResponse(2, 0)], [C, clientHello()]]);
  assert.equal(used.facts.starttls, { offered: true, used: true, offeredBy: 'both' });
});

test('ldap: long-form lengths (Active Directory style)', () => {
  const bind = ldap.bindSimple(7, 'user@corp.example', 'Winter2024', true);
  assert.is(bind[1], 0x84);
  const r = driveAll('ldap', [[C, bind], [S, ldap.message(7, tlv(0x61, ldap.result(0), true), true)]]);
  assert.equal(r.facts.credentials, [{ kind: 'ldap-simple', user: 'user@corp.example' }]);
  assert.is(r.facts.details.binds[0].result, 0);
  noSecret(r.facts, 'Winter2024');
});

test('ldap: anonymous and unauthenticated binds are not credentials', () => {
  const r = driveAll('ldap', [[C, ldap.bindSimple(1, '', '')], [S, ldap.bindResponse(1, 0)], [C, ldap.bindSimple(2, 'cn=x', '')], [S, ldap.bindResponse(2, 53)]]);
  assert.is(r.facts.credentials, undefined);
  assert.equal(r.facts.details.binds.map((x) => x.method), ['anonymous', 'unauthenticated']);
});

test('ldap: SASL PLAIN carries a password; DIGEST-MD5 and sicily NTLM do not', () => {
  const plain = driveAll('ldap', [[C, ldap.bindSasl(1, 'PLAIN', b('admin-z', [0], 'jdoe', [0], 'plainPW'))], [S, ldap.bindResponse(1, 0)]]);
  assert.equal(plain.facts.credentials, [{ kind: 'ldap-sasl-plain', user: 'jdoe' }]);
  noSecret(plain.facts, 'plainPW');
  const noPw = drive('ldap', [[C, ldap.bindSasl(1, 'PLAIN', b([0], 'jdoe', [0]))]]);
  assert.is(noPw.facts.credentials, undefined);
  const digest = driveAll('ldap', [[C, ldap.bindSasl(1, 'DIGEST-MD5')], [S, ldap.bindResponse(1, 14, 'nonce="x"')], [C, ldap.bindSasl(2, 'DIGEST-MD5', 'username="u",response=abc')]]);
  assert.is(digest.facts.credentials, undefined);
  assert.equal(digest.facts.details.binds.map((x) => x.mechanism), ['DIGEST-MD5', 'DIGEST-MD5']);
  const ntlm = driveAll('ldap', [[C, ldap.bindSicily(1, 0x8a)], [S, ldap.bindResponse(1, 0)]]);
  assert.is(ntlm.facts.credentials, undefined);
  assert.is(ntlm.facts.details.binds[0].method, 'ntlm');
});

test('ldap: SASL security layer after a GSSAPI bind: noted, direction stops, no upgrade', () => {
  const wrapped = b([0, 0, 0, 0x20], Buffer.alloc(0x20, 0x99));
  const r = driveAll('ldap', [[C, ldap.bindSasl(1, 'GSSAPI', Buffer.alloc(40, 1))], [S, ldap.bindResponse(1, 0, Buffer.alloc(20, 2))], [C, wrapped], [S, wrapped]]);
  assert.is(r.facts.details.sasl_security_layer, true);
  assert.is(r.facts.upgrade, undefined);
  assert.equal(r.split, { c: null, s: null });
  assert.ok(r.done);
  // the same garbage without a SASL bind is not called a security layer
  const g = driveAll('ldap', [[C, ldap.search(1)], [C, wrapped]]);
  assert.is(g.facts.details, undefined);
});

test('ldap: server side only: a StartTLS response then a ServerHello', () => {
  const named = ldap.extendedResponse(4, 0, STARTTLS_OID);
  const r = driveAll('ldap', [[S, named], [S, serverHello()]]);
  assert.is(r.split.s, named.length);
  const unnamed = ldap.extendedResponse(4, 0);
  const u = driveAll('ldap', [[S, unnamed], [S, serverHello()]]);
  assert.is(u.split.s, unnamed.length);
  // an unrelated successful extended response followed by more LDAP is not an upgrade
  const whoami = drive('ldap', [[S, unnamed], [S, ldap.searchDone(5)], [S, serverHello()]]);
  assert.is(whoami.split.s, null);
});

test('ldap: search results larger than what is held are skipped; StartTLS after them is seen', () => {
  const big = ldap.searchEntry(1, 'cn=big', { jpegPhoto: [Buffer.alloc(40000, 0x41).toString('latin1')] });
  const req = ldap.startTls(2);
  const resp = ldap.extendedResponse(2, 0);
  const r = driveAll('ldap', [[C, ldap.search(1)], [S, b(big, ldap.searchDone(1))], [C, req], [S, resp], [C, clientHello()], [S, serverHello()]], 10);
  assert.is(r.split.s, big.length + ldap.searchDone(1).length + resp.length);
  assert.is(r.split.c, ldap.search(1).length + req.length);
});

// ---------------------------------------------------------------- RDP
test('rdp: CredSSP selected: TLS after the CR and after the CC; mstshash in details', () => {
  const cr = rdp.request({ cookie: 'mstshash=alice', requested: 3 });
  const cc = rdp.confirm({ selected: 2 });
  const r = driveAll('rdp', [[C, cr], [S, cc], [C, clientHello()], [S, serverHello()]]);
  assert.equal(r.split, { c: cr.length, s: cc.length });
  assert.is(r.facts.upgrade, 'tls');
  assert.equal(r.facts.starttls, { offered: true, used: true, offeredBy: 'client' });
  assert.equal(r.facts.details, { mstshash: 'alice', requested_protocols: ['ssl', 'hybrid'], selected_protocol: 'hybrid', security: 'enhanced' });
  assert.is(r.facts.credentials, undefined);
});

test('rdp: client side only: the ClientHello after the CR', () => {
  const cr = rdp.request({ requested: 0xb });
  const r = driveAll('rdp', [[C, cr], [C, clientHello()]]);
  assert.is(r.split.c, cr.length);
  assert.equal(r.facts.details.requested_protocols, ['ssl', 'hybrid', 'hybrid_ex']);
});

test('rdp: Standard RDP Security: no TLS, encryption method and level from the MCS response', () => {
  const r = driveAll('rdp', [[C, rdp.request({ cookie: 'msts=3640205228.15629.0000', requested: 0 })], [S, rdp.confirm({ selected: 0 })], [C, rdp.mcsInitial()], [S, rdp.connectResponse(2, 2)]]);
  assert.equal(r.split, { c: null, s: null });
  assert.is(r.facts.upgrade, undefined);
  assert.equal(r.facts.starttls, { offered: false, used: false });
  assert.is(r.facts.details.routing_token, true);
  assert.is(r.facts.details.security, 'standard');
  assert.is(r.facts.details.selected_protocol, 'rdp');
  assert.is(r.facts.details.encryption_method, '128bit');
  assert.is(r.facts.details.encryption_level, 'client-compatible');
  assert.ok(r.done);
  const none = driveAll('rdp', [[C, rdp.request({ neg: false })], [S, rdp.confirm({ neg: false })], [C, rdp.mcsInitial()], [S, rdp.connectResponse(0, 0)]]);
  assert.equal(none.facts.details.requested_protocols, ['rdp']);
  assert.is(none.facts.details.encryption_method, 'none');
  assert.is(none.facts.details.encryption_level, 'none');
});

test('rdp: TLS requested but Standard Security selected; negotiation failure', () => {
  const r = driveAll('rdp', [[C, rdp.request({ requested: 1 })], [S, rdp.confirm({ selected: 0 })], [C, rdp.mcsInitial()]]);
  assert.equal(r.facts.starttls, { offered: true, used: false, offeredBy: 'client' });
  assert.equal(r.split, { c: null, s: null });
  const f = driveAll('rdp', [[C, rdp.request({ requested: 0 })], [S, rdp.confirm({ failure: 1 })]]);
  assert.is(f.facts.details.failure, 'ssl_required_by_server');
  assert.ok(f.done);
});

// ---------------------------------------------------------------- SOCKS
test('socks4: CONNECT granted: tunnel after the request and after the 8-byte reply', () => {
  const req = socks.v4request({ user: 'fred' });
  const r = driveAll('socks', [[C, req], [S, socks.v4reply(90)], [C, clientHello()], [S, serverHello()]]);
  assert.equal(r.split, { c: req.length, s: 8 });
  assert.is(r.facts.upgrade, 'tunnel');
  assert.is(r.facts.tunnelTarget, '93.184.216.34:443');
  assert.equal(r.facts.details, { version: '4', command: 'connect', userid: 'fred', reply: 'granted' });
  assert.is(r.facts.credentials, undefined);
});

test('socks4a: host name target; rejected request does not open the server side', () => {
  const req = socks.v4request({ host: 'www.example.com', port: 8443 });
  const r = driveAll('socks', [[C, req], [S, socks.v4reply(91)]]);
  assert.is(r.facts.tunnelTarget, 'www.example.com:8443');
  assert.is(r.facts.details.version, '4a');
  assert.is(r.facts.details.reply, 'rejected');
  assert.is(r.split.s, null);
  assert.ok(r.done);
});

test('socks5: no authentication, domain CONNECT, pipelined greeting and request', () => {
  const g = socks.greeting(0);
  const req = socks.request({ host: 'www.example.com', port: 443 });
  const reply = socks.reply(0);
  const ch = clientHello();
  const r = driveAll('socks', [[C, b(g, req)], [S, b(socks.method(0), reply)], [C, ch], [S, serverHello()]]);
  assert.equal(r.split, { c: g.length + req.length, s: 2 + reply.length });
  assert.equal(r.rest.c, ch);
  assert.is(r.facts.tunnelTarget, 'www.example.com:443');
  assert.equal(r.facts.details, { version: '5', methods: ['none'], method: 'none', command: 'connect', reply: 'succeeded' });
});

test('socks5: username/password (RFC 1929) is a credential with the user only; IPv6 target', () => {
  const ip6 = Buffer.from('20010db8000000000000000000000001', 'hex');
  const steps = [[C, socks.greeting(0, 2)], [S, socks.method(2)], [C, socks.auth('bob', 'sw0rdfish')], [S, socks.authStatus(0)], [C, socks.request({ ip6, port: 8443 })], [S, socks.reply(0)]];
  const r = driveAll('socks', steps);
  assert.equal(r.facts.credentials, [{ kind: 'socks5-password', user: 'bob' }]);
  assert.is(r.facts.tunnelTarget, '[2001:db8::1]:8443');
  assert.is(r.facts.details.auth, 'success');
  noSecret(r.facts, 'sw0rdfish');
});

test('socks5: refusals: no acceptable method, failed auth, failed CONNECT', () => {
  const none = driveAll('socks', [[C, socks.greeting(2)], [S, socks.method(0xff)]]);
  assert.is(none.facts.details.method, 'no-acceptable');
  assert.ok(none.done);
  assert.is(none.facts.upgrade, undefined);
  const bad = driveAll('socks', [[C, socks.greeting(2)], [S, socks.method(2)], [C, socks.auth('bob', 'nope')], [S, socks.authStatus(1)]]);
  assert.is(bad.facts.details.auth, 'failure');
  assert.ok(bad.done);
  const refused = driveAll('socks', [[C, socks.greeting(0)], [S, socks.method(0)], [C, socks.request({ ip: '10.1.2.3', port: 22 })], [S, socks.reply(5)]]);
  assert.is(refused.facts.details.reply, 'connection-refused');
  assert.is(refused.facts.tunnelTarget, '10.1.2.3:22');
  assert.is(refused.split.s, null);
});

test('socks5: BIND opens after the second reply; UDP ASSOCIATE opens nothing', () => {
  const steps = [[C, socks.greeting(0)], [S, socks.method(0)], [C, socks.request({ cmd: 2, ip: '10.0.0.9', port: 20 })], [S, socks.reply(0)], [S, socks.reply(0)], [S, serverHello()]];
  const r = driveAll('socks', steps);
  assert.is(r.split.s, 2 + 10 + 10);
  const udp = driveAll('socks', [[C, socks.greeting(0)], [S, socks.method(0)], [C, socks.request({ cmd: 3, ip: '0.0.0.0', port: 0 })], [S, socks.reply(0)]]);
  assert.is(udp.facts.upgrade, undefined);
  assert.equal(udp.split, { c: null, s: null });
  assert.ok(udp.done);
});

test.run();
