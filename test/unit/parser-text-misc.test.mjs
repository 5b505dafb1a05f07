// FTP, XMPP, IRC, telnet and Redis cleartext parsers: upgrades with the exact byte
// where TLS starts, refusals, credentials (user only, never the secret).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { C, S, assertNoSecret, everyChunking, lengthBefore, play, tlsBytes } from './parser-text-harness.mjs';

const SECRET = 'S3cr3t-Never-Shown';
const b64 = (s) => Buffer.from(s, 'latin1').toString('base64');
const CH = tlsBytes(1, 80);
const SH = tlsBytes(2, 90);

// --- FTP ---------------------------------------------------------------------------

test('ftp: FEAT lists AUTH TLS, AUTH TLS + 234: exact split', () => {
  const script = [
    [S, '220-FileZilla Server 1.9.1\r\n220 Please visit https://filezilla-project.org/\r\n'],
    [C, 'FEAT\r\n'],
    [S, '211-Features:\r\n MDTM\r\n REST STREAM\r\n AUTH SSL;TLS\r\n UTF8\r\n211 End\r\n'],
    [C, 'AUTH TLS\r\n'],
    [S, '234 Using authentication type TLS.\r\n'],
    [C, CH],
    [S, SH],
  ];
  everyChunking('ftp', script, (r, how) => {
    assert.equal(r.facts.starttls, { offered: true, used: true, offeredBy: 'server' }, how);
    assert.is(r.split.c, lengthBefore(script, C, 5), how);
    assert.is(r.split.s, lengthBefore(script, S, 6), how);
    assert.is(r.facts.details.starttls_reply, 234);
  });
});

test('ftp: AUTH TLS refused, then USER/PASS in cleartext; anonymous logins are their own kind', () => {
  const script = [
    [S, '220 (vsFTPd 3.0.5)\r\n'],
    [C, 'FEAT\r\n'],
    [S, '211-Features:\r\n EPSV\r\n PASV\r\n211 End\r\n'],
    [C, 'AUTH TLS\r\n'],
    [S, '530 Please login with USER and PASS.\r\n'],
    [C, 'USER Admin\r\n'],
    [S, '331 Please, specify the password.\r\n'],
    [C, `PASS ${SECRET}\r\n`],
    [S, '530 Login incorrect.\r\n'],
    [C, 'user anonymous\r\n'],
    [S, '331 ok\r\n'],
    [C, 'pass guest@example.com\r\n'],
    [S, '230 Login successful.\r\n'],
  ];
  everyChunking('ftp', script, (r, how) => {
    assert.equal(r.facts.starttls, { offered: true, used: false, offeredBy: 'client' }, how);
    assert.is(r.split.c, -1, how);
    assert.equal(r.facts.credentials, [{ kind: 'ftp', user: 'Admin' }, { kind: 'ftp-anonymous', user: 'anonymous' }], how);
    assert.is(r.facts.details.login_success, true);
    assertNoSecret(assert, r.facts, SECRET);
  });
});

// --- XMPP --------------------------------------------------------------------------

const xmppStarttls = [
  [C, "<?xml version='1.0'?><stream:stream to='example.com' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"],
  [S, "<?xml version='1.0'?><stream:stream from='example.com' id='t7AMCin9zjMNwQKDnplntZPIDEI=' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"],
  [S, "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism></mechanisms><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='a>b' ver='x'/></stream:features>"],
  [C, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"],
  [S, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"],
  [C, CH],
  [S, SH],
];

test('xmpp: <starttls> required in the features, <proceed/>: exact split', () => {
  everyChunking('xmpp', xmppStarttls, (r, how) => {
    assert.equal(r.facts.starttls, { offered: true, used: true, offeredBy: 'server' }, how);
    assert.is(r.split.c, lengthBefore(xmppStarttls, C, 5), how);
    assert.is(r.split.s, lengthBefore(xmppStarttls, S, 6), how);
    assert.is(r.facts.details.starttls_required, true);
    assert.equal(r.facts.details.auth_mechanisms, ['SCRAM-SHA-1', 'PLAIN']);
  });
});

test('xmpp: whitespace keepalives around <starttls/> / <proceed/> stay cleartext', () => {
  const script = [
    [C, "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"],
    [S, "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' id='z' version='1.0'>\n<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>\n"],
    [C, " \n<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"],
    [S, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'></proceed>"],
    [C, ' \n'],
    [C, CH],
    [S, SH],
  ];
  everyChunking('xmpp', script, (r, how) => {
    assert.is(r.split.c, lengthBefore(script, C, 5), how);
    assert.is(r.split.s, lengthBefore(script, S, 6), how);
    assert.is(r.facts.starttls.used, true);
  });
});

test('xmpp: <failure/> refuses; SASL PLAIN <auth> gives the user; done after <success/>', () => {
  const script = [
    [C, "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='im.example' version='1.0'>"],
    [S, "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='1' version='1.0'><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>"],
    [C, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"],
    [S, "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"],
    [C, `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${b64(`\0juliet\0${SECRET}`)}</auth>`],
    [S, "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"],
    [C, "<stream:stream xmlns='jabber:client' to='im.example' version='1.0'>"],
  ];
  everyChunking('xmpp', script, (r, how) => {
    assert.equal(r.facts.starttls, { offered: true, used: false, offeredBy: 'server' }, how);
    assert.is(r.split.c, -1, how);
    assert.equal(r.facts.credentials, [{ kind: 'xmpp-plain', user: 'juliet' }], how);
    assert.is(r.doneAfter, 5, how);
    assertNoSecret(assert, r.facts, SECRET);
  });
});

test('xmpp: legacy jabber:iq:auth with a plaintext <password>', () => {
  const script = [
    [C, "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='old.example'>"],
    [S, "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='x' from='old.example'>"],
    [C, `<iq type='set' id='auth2'><query xmlns='jabber:iq:auth'><username>bill</username><password>${SECRET}</password><resource>globe</resource></query></iq>`],
  ];
  everyChunking('xmpp', script, (r, how) => {
    assert.equal(r.facts.credentials, [{ kind: 'xmpp-iq-auth', user: 'bill' }], how);
    assertNoSecret(assert, r.facts, SECRET);
  });
});

// --- IRC ---------------------------------------------------------------------------

test('irc: CAP LS lists tls, STARTTLS + 670: exact split', () => {
  const script = [
    [C, 'CAP LS 302\r\n'],
    [S, ':irc.example.net CAP * LS * :multi-prefix sasl=PLAIN,EXTERNAL\r\n:irc.example.net CAP * LS :tls account-notify\r\n'],
    [C, 'STARTTLS\r\n'],
    [S, ':irc.example.net 670 * :STARTTLS successful, proceed with TLS handshake\r\n'],
    [C, CH],
    [S, SH],
  ];
  everyChunking('irc', script, (r, how) => {
    assert.equal(r.facts.starttls, { offered: true, used: true, offeredBy: 'server' }, how);
    assert.is(r.split.c, lengthBefore(script, C, 4), how);
    assert.is(r.split.s, lengthBefore(script, S, 5), how);
  });
});

test('irc: 691 refuses; PASS then NICK names the credential; SASL PLAIN, NickServ IDENTIFY, OPER', () => {
  const script = [
    [C, 'STARTTLS\r\n'],
    [S, ':irc.example.net 691 * :STARTTLS failed\r\n'],
    [C, `PASS ${SECRET}\r\nNICK zoe\r\nUSER zoe 0 * :Zoe\r\nCAP REQ :sasl\r\nAUTHENTICATE PLAIN\r\n`],
    [S, ':irc.example.net CAP zoe ACK :sasl\r\nAUTHENTICATE +\r\n'],
    [C, `AUTHENTICATE ${b64(`zoe\0zoe\0${SECRET}`)}\r\n`],
    [S, ':irc.example.net 903 zoe :SASL authentication successful\r\n:irc.example.net 001 zoe :Welcome\r\n'],
    [C, `PRIVMSG NickServ :IDENTIFY zaccount ${SECRET}\r\nOPER root ${SECRET}\r\nPRIVMSG #chan :PASS is a word\r\n`],
  ];
  everyChunking('irc', script, (r, how) => {
    assert.equal(r.facts.starttls, { offered: true, used: false, offeredBy: 'client' }, how);
    assert.is(r.split.c, -1, how);
    assert.equal(
      r.facts.credentials,
      [
        { kind: 'irc', user: 'zoe' },
        { kind: 'irc-sasl-plain', user: 'zoe' },
        { kind: 'irc-nickserv', user: 'zaccount' },
        { kind: 'irc-oper', user: 'root' },
      ],
      how,
    );
    assertNoSecret(assert, r.facts, SECRET);
  });
});

// --- telnet ------------------------------------------------------------------------

const IAC = 255;
const bytes = (...xs) => Buffer.from(xs.flatMap((x) => (typeof x === 'string' ? [...Buffer.from(x, 'latin1')] : [x])));

test('telnet: negotiation skipped, login prompt + typed user (echoed), password prompt: credential, no secret', () => {
  const script = [
    [S, bytes(IAC, 253, 24, IAC, 253, 32, IAC, 251, 3, IAC, 251, 1)],
    [C, bytes(IAC, 251, 24, IAC, 252, 32, IAC, 253, 3, IAC, 253, 1)],
    [S, bytes(IAC, 250, 24, 1, IAC, 240, 'Debian GNU/Linux 12\r\nhost login: ')],
    [C, bytes(IAC, 250, 24, 0, 'xterm', IAC, 240)],
  ];
  for (const ch of 'rooX') {
    script.push([C, ch]);
    script.push([S, ch]); // echo
  }
  script.push([C, bytes(0x7f)], [S, bytes(8, 32, 8)], [C, 't'], [S, 't'], [C, '\r\0'], [S, '\r\n'], [S, 'Password: ']);
  for (const ch of SECRET) script.push([C, ch]);
  script.push([C, '\r\n'], [S, '\r\nLast login: today\r\n$ '], [C, 'ls\r\n']);
  everyChunking('telnet', script, (r, how) => {
    assert.equal(r.facts.credentials, [{ kind: 'telnet', user: 'root' }], how);
    assert.is(r.split.c, -1, how);
    assertNoSecret(assert, r.facts, SECRET);
  });
});

test('telnet: START_TLS option: each side switches after its FOLLOWS subnegotiation', () => {
  const script = [
    [S, bytes(IAC, 253, 46)],
    [C, bytes(IAC, 251, 46)],
    [S, bytes(IAC, 250, 46, 1, IAC, 240)],
    [C, bytes(IAC, 250, 46, 1, IAC, 240)],
    [C, CH],
    [S, SH],
  ];
  everyChunking('telnet', script, (r, how) => {
    assert.equal(r.facts.starttls, { offered: true, used: true, offeredBy: 'server' }, how);
    assert.is(r.split.c, lengthBefore(script, C, 4), how);
    assert.is(r.split.s, lengthBefore(script, S, 5), how);
  });
});

// --- Redis -------------------------------------------------------------------------

const resp = (...args) => `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');

test('redis: AUTH password, AUTH user password, HELLO 3 AUTH, inline AUTH; bulk data is not parsed', () => {
  const value = `AUTH x\r\n${resp('AUTH', 'u', SECRET)}`;
  const script = [
    [C, resp('SET', 'k', value) + resp('AUTH', SECRET)],
    [S, '-WRONGPASS invalid username-password pair\r\n'],
    [C, resp('AUTH', 'appuser', SECRET)],
    [S, '+OK\r\n'],
    [C, resp('HELLO', '3', 'AUTH', 'helloer', SECRET, 'SETNAME', 'c1')],
    [C, `AUTH "inline user" ${SECRET}\r\n`],
  ];
  everyChunking('redis', script, (r, how) => {
    assert.equal(
      r.facts.credentials,
      [
        { kind: 'redis', user: null },
        { kind: 'redis', user: 'appuser' },
        { kind: 'redis', user: 'helloer' },
        { kind: 'redis', user: 'inline user' },
      ],
      how,
    );
    assertNoSecret(assert, r.facts, SECRET);
  });
});

test.run();
