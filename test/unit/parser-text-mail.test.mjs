// SMTP, IMAP and POP3 cleartext parsers: STARTTLS offered/used/refused with the exact
// byte where TLS starts in each direction, credentials (user only, never the secret),
// pipelining, multi-line replies, literals, lower case.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { C, S, assertNoSecret, everyChunking, lengthBefore, play, tlsBytes } from './parser-text-harness.mjs';

const SECRET = 'S3cr3t-Never-Shown';
const b64 = (s) => Buffer.from(s, 'latin1').toString('base64');
const CH = tlsBytes(1, 80);
const SH = tlsBytes(2, 90);

// --- SMTP --------------------------------------------------------------------------

const smtpStarttls = [
  [S, '220-mx.example.com ESMTP ready\r\n220 no UCE\r\n'],
  [C, 'EHLO client.example.org\r\n'],
  [S, '250-mx.example.com at your service\r\n250-SIZE 35882577\r\n250-8BITMIME\r\n250-STARTTLS\r\n250-AUTH LOGIN PLAIN XOAUTH2\r\n250 CHUNKING\r\n'],
  [C, 'STARTTLS\r\n'],
  [S, '220 2.0.0 Ready to start TLS\r\n'],
  [C, CH],
  [S, SH],
];

test('smtp: STARTTLS offered in the EHLO reply and used; TLS starts right after STARTTLS / the 220', () => {
  everyChunking('smtp', smtpStarttls, (r, how) => {
    assert.equal(r.facts.starttls, { offered: true, used: true, offeredBy: 'server' }, how);
    assert.is(r.facts.upgrade, 'tls', how);
    assert.is(r.split.c, lengthBefore(smtpStarttls, C, 5), `client split ${how}`);
    assert.is(r.split.s, lengthBefore(smtpStarttls, S, 6), `server split ${how}`);
    assert.equal(r.rest.c, CH, how);
    assert.equal(r.rest.s, SH, how);
    assert.equal(r.facts.details.auth_mechanisms, ['LOGIN', 'PLAIN', 'XOAUTH2']);
    assert.is(r.facts.details.starttls_reply, 220);
    assert.is(r.facts.credentials, undefined);
  });
});

test('smtp: refused STARTTLS (454), then AUTH PLAIN in cleartext: user kept, secret never', () => {
  const script = [
    [S, '220 mail.example.net ESMTP\r\n'],
    [C, 'ehlo me\r\n'],
    [S, '250-mail.example.net\r\n250-starttls\r\n250 AUTH=PLAIN\r\n'],
    [C, 'starttls\r\n'],
    [S, '454 4.7.0 TLS not available due to temporary reason\r\n'],
    [C, `AUTH PLAIN ${b64(`\0alice@example.net\0${SECRET}`)}\r\n`],
    [S, '235 2.7.0 Authentication successful\r\n'],
    [C, 'MAIL FROM:<a@example.net>\r\n'],
    [S, '250 ok\r\n'],
    [C, 'RCPT TO:<b@example.org>\r\n'],
    [S, '250 ok\r\n'],
    [C, 'DATA\r\n'],
    [S, '354 go ahead\r\n'],
    [C, 'Subject: hi\r\n\r\nSTARTTLS\r\n220 not a reply\r\nAUTH PLAIN AGJvYgB4\r\n.\r\n'],
    [S, '250 queued\r\n'],
    [C, 'QUIT\r\n'],
    [S, '221 bye\r\n'],
  ];
  everyChunking('smtp', script, (r, how) => {
    assert.equal(r.facts.starttls, { offered: true, used: false, offeredBy: 'server' }, how);
    assert.is(r.facts.upgrade, undefined, how);
    assert.is(r.split.c, -1, how);
    assert.is(r.split.s, -1, how);
    assert.equal(r.facts.credentials, [{ kind: 'smtp-auth-plain', user: 'alice@example.net' }], how);
    assert.is(r.facts.details.starttls_reply, 454);
    assertNoSecret(assert, r.facts, SECRET);
  });
});

test('smtp: pipelined EHLO+STARTTLS answered in one segment', () => {
  const script = [
    [S, '220 relay ESMTP\r\n'],
    [C, 'EHLO a\r\nSTARTTLS\r\n'],
    [S, '250-relay\r\n250-PIPELINING\r\n250 STARTTLS\r\n220 go ahead\r\n'],
    [C, CH],
    [S, SH],
  ];
  everyChunking('smtp', script, (r, how) => {
    assert.is(r.split.c, lengthBefore(script, C, 3), how);
    assert.is(r.split.s, lengthBefore(script, S, 3), how);
    assert.is(r.facts.starttls.used, true);
  });
});

test('smtp: the client starts TLS before its 220 is in view: split at the ClientHello', () => {
  const script = [
    [S, '220 x ESMTP\r\n'],
    [C, 'EHLO a\r\n'],
    [S, '250-x\r\n250 STARTTLS\r\n'],
    [C, 'STARTTLS\r\n'],
    [C, CH],
    [S, '220 ready\r\n'],
    [S, SH],
  ];
  everyChunking('smtp', script, (r, how) => {
    assert.is(r.split.c, lengthBefore(script, C, 4), how);
    assert.is(r.split.s, lengthBefore(script, S, 6), how);
  });
});

test('smtp: AUTH LOGIN (user on the first 334 answer), CRAM-MD5 is no cleartext credential', () => {
  const login = [
    [S, '220 x ESMTP\r\n'],
    [C, 'EHLO a\r\n'],
    [S, '250 x\r\n'],
    [C, 'AUTH CRAM-MD5\r\n'],
    [S, '334 PDQxOTI5NDIzNDEuMTI4Mjg0NzJAc291cmNlZm91ci5hbmRyZXcuY211LmVkdT4=\r\n'],
    [C, 'dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n'],
    [S, '535 no\r\n'],
    [C, 'AUTH LOGIN\r\n'],
    [S, '334 VXNlcm5hbWU6\r\n'],
    [C, `${b64('bob')}\r\n`],
    [S, '334 UGFzc3dvcmQ6\r\n'],
    [C, `${b64(SECRET)}\r\n`],
    [S, '235 ok\r\n'],
    [C, 'QUIT\r\n'],
  ];
  everyChunking('smtp', login, (r, how) => {
    assert.equal(r.facts.credentials, [{ kind: 'smtp-auth-login', user: 'bob' }], how);
    assert.equal(r.facts.details.auth_used, ['CRAM-MD5', 'LOGIN']);
    assertNoSecret(assert, r.facts, SECRET);
  });
});

test('smtp: BDAT chunk bytes are data, not commands', () => {
  const chunk = 'STARTTLS\r\nAUTH PLAIN AHgAeQ==\r\n';
  const script = [
    [S, '220 x ESMTP\r\n'],
    [C, 'EHLO a\r\n'],
    [S, '250-x\r\n250 CHUNKING\r\n'],
    [C, `MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT ${chunk.length} LAST\r\n${chunk}QUIT\r\n`],
    [S, '250 ok\r\n250 ok\r\n250 accepted\r\n221 bye\r\n'],
  ];
  everyChunking('smtp', script, (r, how) => {
    assert.is(r.facts.credentials, undefined, how);
    assert.equal(r.facts.starttls, { offered: false, used: false }, how);
  });
});

// --- IMAP --------------------------------------------------------------------------

const imapStarttls = [
  [S, '* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR STARTTLS LOGINDISABLED AUTH=PLAIN] Dovecot ready.\r\n'],
  [C, 'a001 CAPABILITY\r\n'],
  [S, '* CAPABILITY IMAP4rev1 LITERAL+ STARTTLS LOGINDISABLED\r\na001 OK Pre-login capabilities listed.\r\n'],
  [C, 'a002 STARTTLS\r\n'],
  [S, 'a002 OK Begin TLS negotiation now.\r\n'],
  [C, CH],
  [S, SH],
];

test('imap: STARTTLS in the greeting capabilities, tagged OK: exact split', () => {
  everyChunking('imap', imapStarttls, (r, how) => {
    assert.equal(r.facts.starttls, { offered: true, used: true, offeredBy: 'server' }, how);
    assert.is(r.split.c, lengthBefore(imapStarttls, C, 5), how);
    assert.is(r.split.s, lengthBefore(imapStarttls, S, 6), how);
    assert.equal(r.rest.c, CH);
    assert.is(r.facts.details.login_disabled, true);
    assert.equal(r.facts.details.auth_mechanisms, ['PLAIN']);
  });
});

test('imap: refused STARTTLS (NO), then LOGIN with a quoted user and a literal password; done after OK', () => {
  const script = [
    [S, '* OK IMAP4rev1 server ready\r\n'],
    [C, 'A1 STARTTLS\r\n'],
    [S, 'A1 NO STARTTLS unavailable\r\n'],
    [C, `A2 LOGIN "al\\"ice" {${SECRET.length}}\r\n`],
    [S, '+ go ahead\r\n'],
    [C, `${SECRET}\r\n`],
    [S, 'A2 OK LOGIN completed\r\n'],
    [C, 'A3 SELECT INBOX\r\n'],
  ];
  everyChunking('imap', script, (r, how) => {
    assert.equal(r.facts.starttls, { offered: true, used: false, offeredBy: 'client' }, how);
    assert.is(r.split.c, -1);
    assert.equal(r.facts.credentials, [{ kind: 'imap', user: 'al"ice' }], how);
    assert.is(r.doneAfter, 6, how);
    assertNoSecret(assert, r.facts, SECRET);
  });
});

test('imap: LOGIN whose user is a non-synchronizing literal; AUTHENTICATE PLAIN after "+"', () => {
  const script = [
    [S, '* OK ready\r\n'],
    [C, `x LOGIN {3+}\r\nbob {${SECRET.length}+}\r\n${SECRET}\r\n`],
    [S, 'x NO [AUTHENTICATIONFAILED] bad\r\n'],
    [C, 'y AUTHENTICATE PLAIN\r\n'],
    [S, '+ \r\n'],
    [C, `${b64(`\0carol\0${SECRET}`)}\r\n`],
    [S, 'y OK done\r\n'],
  ];
  everyChunking('imap', script, (r, how) => {
    assert.equal(r.facts.credentials, [{ kind: 'imap', user: 'bob' }, { kind: 'imap-auth-plain', user: 'carol' }], how);
    assertNoSecret(assert, r.facts, SECRET);
  });
});

test('imap: a server literal is skipped by count (its content is not a tagged reply)', () => {
  const body = 'a1 OK Begin TLS\r\n';
  const script = [
    [S, '* OK ready\r\n'],
    [C, 'a1 STARTTLS\r\n'],
    [S, `* ID ("name" {${body.length}}\r\n${body})\r\na1 BAD not now\r\n`],
    [C, 'a2 LOGOUT\r\n'],
  ];
  everyChunking('imap', script, (r, how) => {
    assert.is(r.split.s, -1, how);
    assert.is(r.facts.starttls.used, false, how);
  });
});

// --- POP3 --------------------------------------------------------------------------

const pop3Stls = [
  [S, '+OK Dovecot ready. <1896.697170952@dbc.mtview.ca.us>\r\n'],
  [C, 'CAPA\r\n'],
  [S, '+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nSASL PLAIN LOGIN\r\nSTLS\r\nUSER\r\n.\r\n'],
  [C, 'STLS\r\n'],
  [S, '+OK Begin TLS negotiation now.\r\n'],
  [C, CH],
  [S, SH],
];

test('pop3: STLS listed by CAPA, +OK: exact split', () => {
  everyChunking('pop3', pop3Stls, (r, how) => {
    assert.equal(r.facts.starttls, { offered: true, used: true, offeredBy: 'server' }, how);
    assert.is(r.split.c, lengthBefore(pop3Stls, C, 5), how);
    assert.is(r.split.s, lengthBefore(pop3Stls, S, 6), how);
    assert.equal(r.facts.details.auth_mechanisms, ['PLAIN', 'LOGIN']);
  });
});

test('pop3: -ERR to STLS, pipelined USER/PASS, done once logged in; a RETR body is never parsed', () => {
  const script = [
    [S, '+OK POP3 server ready\r\n'],
    [C, 'CAPA\r\n'],
    [S, '+OK Capability list follows\r\nUSER\r\n.\r\n'],
    [C, 'STLS\r\n'],
    [S, '-ERR not supported\r\n'],
    [C, `USER dave\r\nPASS ${SECRET}\r\n`],
    [S, '+OK\r\n+OK maildrop has 1 message\r\n'],
    [C, 'RETR 1\r\n'],
    [S, '+OK\r\nUSER x\r\n.\r\n'],
  ];
  everyChunking('pop3', script, (r, how) => {
    assert.equal(r.facts.starttls, { offered: true, used: false, offeredBy: 'client' }, how);
    assert.equal(r.facts.credentials, [{ kind: 'pop3', user: 'dave' }], how);
    assert.is(r.doneAfter, 6, how);
    assert.is(r.facts.details.starttls_reply, '-ERR');
    assertNoSecret(assert, r.facts, SECRET);
  });
});

test('pop3: AUTH PLAIN answered after "+ ", APOP is not a cleartext secret', () => {
  const script = [
    [S, '+OK ready <1.2@x>\r\n'],
    [C, 'APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n'],
    [S, '-ERR permission denied\r\n'],
    [C, 'AUTH PLAIN\r\n'],
    [S, '+ \r\n'],
    [C, `${b64(`\0erin\0${SECRET}`)}\r\n`],
    [S, '-ERR authentication failed\r\n'],
  ];
  everyChunking('pop3', script, (r, how) => {
    assert.equal(r.facts.credentials, [{ kind: 'pop3-auth-plain', user: 'erin' }], how);
    assert.is(r.facts.details.apop, true);
    assertNoSecret(assert, r.facts, SECRET);
  });
});

test('mail parsers: budget spent, parser done; feeds after done cost nothing', () => {
  const big = 'X'.repeat(1000) + '\r\n';
  const script = [[S, '220 x ESMTP\r\n'], [C, 'EHLO a\r\n'], [S, '250 x\r\n'], [C, 'DATA\r\n'], [S, '354 go\r\n'], [C, big.repeat(100)]];
  const r = play('smtp', script, { maxChunk: 1500 });
  assert.ok(r.parser.done);
});

test.run();
