// Per-protocol recognisers: the variants real traffic shows, the look-alikes they must
// reject, and truncated/malformed openings.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { identify, SIGNATURES, NEED_MORE, NO, YES, tlsRecordRun } from '../../agent/dist/protocols/identify.js';
import {
  bytes, u16, u24, u32, le16, le24, le32, fill,
  tlsHello, mysqlGreeting, mysqlLogin, pgStartup, pgSslRequest, pgAuthMd5,
  ldapMessage, ldapBind, ldapSearch, ldapStartTls, ldapBindResponse,
  dnsQuery, dnsResponse, dnsName, withLength, rdpRequest, rdpConfirm, smb2,
  quicInitial, quicVersionNegotiation, dtlsRecord, dtlsHandshake, dtlsClientHello, dtlsHelloVerify,
  stunBinding, rtpPacket, prng,
} from './identify-samples.mjs';

const EMPTY = Buffer.alloc(0);
const T = (s) => Buffer.from(s, 'latin1');
const sig = (name, transport = 'tcp') => SIGNATURES.find((s) => s.name === name && (s.transport === transport || s.transport === 'both'));
const id = (transport, c, s, cDone = true, sDone = true) => {
  const r = identify(transport, c, s, cDone, sDone);
  return r === null ? null : r === NEED_MORE ? 'need-more' : r.name;
};
const tcp = (c, s = EMPTY, cDone = true, sDone = true) => id('tcp', c, s, cDone, sDone);
const udp = (c, s = EMPTY, cDone = true, sDone = true) => id('udp', c, s, cDone, sDone);

test('ssh: identification lines, pre-banner text, SSH-1', () => {
  assert.is(tcp(T('SSH-2.0-PuTTY_Release_0.80\r\n')), 'ssh');
  assert.is(tcp(EMPTY, T('SSH-1.99-Cisco-1.25\r\n')), 'ssh');
  assert.is(tcp(T('SSH-1.5-1.2.27\n')), 'ssh');
  assert.is(tcp(EMPTY, T('Welcome to the jump host\r\nUnauthorised access prohibited\r\nSSH-2.0-OpenSSH_9.7\r\n')), 'ssh', 'server may send lines first');
  assert.is(tcp(EMPTY, T('Welcome\r\n'), true, false), 'need-more');
  assert.is(tcp(T('SSH-2.0'), EMPTY, false, false), 'need-more');
  assert.is(tcp(T('SSH-2.0')), null, 'cut short');
  assert.is(tcp(T('SSH-X.0-foo\r\n')), null);
  assert.is(tcp(T('SSH-2.0- foo\r\n')), null, 'empty software version');
  assert.is(sig('ssh').detect(bytes('Hello\r\n', 0, 1, 2, 'SSH-2.0-x\r\n'), EMPTY, true, true), NO, 'client may not send other lines');
  assert.is(sig('ssh').detect(EMPTY, bytes('Hello', 0, 1, 2, '\r\nSSH-2.0-x\r\n'), true, true), NO, 'binary pre-banner');
});

test('http: methods, versions, HTTP/0.9, long targets, look-alikes', () => {
  for (const m of ['GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'PROPFIND', 'MKCOL', 'VERSION-CONTROL'])
    assert.is(tcp(T(`${m} /x HTTP/1.1\r\n`)), 'http', m);
  assert.is(tcp(T('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n')), 'http');
  assert.is(tcp(T('OPTIONS * HTTP/1.1\r\n')), 'http');
  assert.is(tcp(T('GET http://example.com/ HTTP/1.0\r\n')), 'http', 'absolute form (proxy)');
  assert.is(tcp(T('GET /old\r\n')), 'http', 'HTTP/0.9 simple request');
  assert.is(tcp(T(`GET /${'a'.repeat(1200)}`)), 'http', 'request line longer than what we hold');
  assert.is(tcp(T('GET /short')), null, 'a short line cut without a version');
  assert.is(tcp(EMPTY, T('HTTP/1.1 404 Not Found\r\n')), 'http');
  assert.is(tcp(EMPTY, T('HTTP/1.0 200\r\n')), 'http', 'empty reason phrase');
  assert.is(tcp(EMPTY, T('HTTP/1.1 999 x\r\n')), null, 'status class 9');
  assert.is(tcp(T('OPTIONS rtsp://cam/stream RTSP/1.0\r\nCSeq: 1\r\n')), null, 'RTSP');
  assert.is(tcp(T('INVITE sip:bob@example.com SIP/2.0\r\n')), null, 'SIP');
  assert.is(tcp(EMPTY, T('RTSP/1.0 200 OK\r\n')), null);
  assert.is(tcp(T('get / HTTP/1.1\r\n')), null, 'methods are case-sensitive');
  assert.is(tcp(T('FOO / HTTP/1.1\r\n')), null, 'unregistered method');
  assert.is(tcp(T('GET  / HTTP/1.1\r\n')), null, 'double space');
  assert.is(tcp(T('POS'), EMPTY, false, false), 'need-more');
  assert.is(tcp(T('GET / HTTP/1.'), EMPTY, false, false), 'need-more');
  assert.is(tcp(T('GET / HTTX/1.1\r\n')), null);
});

test('ftp and smtp: the 220 greeting, told apart by its words or the client command', () => {
  assert.is(tcp(EMPTY, T('220 (vsFTPd 3.0.5)\r\n')), 'ftp');
  assert.is(tcp(EMPTY, T('220-Microsoft FTP Service\r\n220 ready\r\n')), 'ftp');
  assert.is(tcp(EMPTY, T('220 mail.example.com ESMTP Exim 4.96\r\n')), 'smtp');
  assert.is(tcp(EMPTY, T('220 ftp.example.com ESMTP ready\r\n')), 'smtp', 'host named ftp, but an (E)SMTP greeting');
  assert.is(tcp(EMPTY, T('554 smtp.example.com no SMTP service here\r\n')), 'smtp');
  // a greeting that names neither: the client decides
  assert.is(tcp(EMPTY, T('220 Welcome\r\n'), false, true), 'need-more');
  assert.is(tcp(EMPTY, T('220 Welcome\r\n')), null);
  assert.is(tcp(T('USER bob\r\n'), T('220 Welcome\r\n')), 'ftp');
  assert.is(tcp(T('AUTH TLS\r\n'), T('220 FileZilla Server 1.9.1\r\n')), 'ftp');
  assert.is(tcp(T('EHLO me.example\r\n'), T('220 Welcome\r\n')), 'smtp');
  assert.is(tcp(T('HELO me\r\n')), 'smtp', 'the client greeting alone');
  assert.is(tcp(T('LHLO me\r\n')), 'smtp', 'LMTP');
  assert.is(tcp(T('QUIT\r\n'), T('220 Welcome\r\n')), null, 'ambiguous command');
  assert.is(tcp(T('USER bob\r\n')), null, 'USER without a greeting (POP3 has USER too)');
  assert.is(tcp(EMPTY, T('220 ready')), null, 'greeting line never ended');
  assert.is(tcp(EMPTY, T('22')), null);
  assert.is(tcp(EMPTY, T('230 logged in\r\n')), null, 'not a greeting code');
  assert.is(tcp(EMPTY, bytes('220 ', 1, 2, 3, '\r\n')), null, 'binary in the greeting');
});

test('pop3: +OK greeting versus Redis +OK replies', () => {
  assert.is(tcp(EMPTY, T('+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n')), 'pop3');
  assert.is(tcp(T('USER bob\r\n'), T('+OK\r\n')), 'pop3', 'bare +OK confirmed by a POP3 command');
  assert.is(tcp(T('STLS\r\n'), T('+OK ready\r\n')), 'pop3');
  assert.is(tcp(EMPTY, T('+OK\r\n')), null, 'bare +OK alone');
  assert.is(tcp(T('*1\r\n$4\r\nPING\r\n'), T('+OK\r\n')), 'redis', 'RESP client');
  assert.is(tcp(T('BGSAVE\r\n'), T('+Background saving started\r\n')), null, 'Redis inline command and status reply');
  assert.is(tcp(EMPTY, T('+OKAY then\r\n')), null);
  assert.is(tcp(EMPTY, T('+OK hello'), true, false), 'need-more');
});

test('imap: untagged greeting, tagged commands', () => {
  assert.is(tcp(EMPTY, T('* PREAUTH IMAP4rev2 server logged in as Smith\r\n')), 'imap');
  assert.is(tcp(EMPTY, T('* BYE Autologout; idle for too long\r\n')), 'imap');
  assert.is(tcp(EMPTY, T('* ok ready\r\n')), 'imap', 'case-insensitive');
  assert.is(tcp(T('A001 LOGIN SMITH SESAME\r\n')), 'imap');
  assert.is(tcp(T('. STARTTLS\r\n')), 'imap');
  assert.is(tcp(T('a1 ID ("name" "x")\r\n')), 'imap');
  assert.is(tcp(T('a1 ID NIL\r\n')), 'imap');
  assert.is(tcp(T('a1 ID Q\r\n')), null, 'ID takes a list or NIL');
  assert.is(tcp(T('a1 CAPABILITY now\r\n')), null, 'CAPABILITY takes no argument');
  assert.is(tcp(T('a1 FETCH 1 BODY[]\r\n')), null, 'not an opening command');
  assert.is(tcp(EMPTY, T('* OKAY\r\n')), null);
  assert.is(sig('imap').detect(EMPTY, T('*2\r\n$1\r\na\r\n'), true, true), NO, 'a RESP array is no IMAP greeting');
});

test('irc: registration and server notices', () => {
  assert.is(tcp(T('CAP LS 302\r\nNICK alice\r\n')), 'irc');
  assert.is(tcp(T('PASS secret\r\nNICK alice\r\nUSER a 0 * :A\r\n')), 'irc');
  assert.is(tcp(T('USER alice 0 * :Alice\r\n')), 'irc');
  assert.is(tcp(T('USER alice\r\n')), null, 'FTP/POP3-style USER');
  assert.is(tcp(T('PASS secret\r\n')), null, 'PASS alone');
  assert.is(tcp(EMPTY, T(':irc.libera.chat 001 alice :Welcome to Libera.Chat\r\n')), 'irc');
  assert.is(tcp(EMPTY, T('NOTICE AUTH :*** Looking up your hostname\r\n')), 'irc');
  assert.is(tcp(EMPTY, T('PING :12345\r\n')), 'irc');
  assert.is(tcp(EMPTY, T('001 alice :Welcome\r\n')), null, 'a numeric needs the server prefix');
  assert.is(tcp(EMPTY, T(':1\r\n')), null, 'Redis integer reply');
});

test('telnet: option negotiation', () => {
  assert.is(tcp(bytes(0xff, 0xfd, 0x03)), 'telnet');
  assert.is(tcp(EMPTY, bytes(0xff, 0xfb, 0x01, 0xff, 0xfb, 0x03, 'login: ')), 'telnet');
  assert.is(tcp(bytes(0xff, 0xfa, 0x18, 0x00, 'xterm', 0xff, 0xf0)), 'telnet', 'subnegotiation');
  assert.is(tcp(bytes(0xff, 0xfd, 0x64)), null, 'unassigned option 100');
  assert.is(tcp(bytes(0xff, 0xf1, 0x01)), null, 'not WILL/WONT/DO/DONT/SB');
  assert.is(tcp(bytes(0xff, 0xfb, 0x01, 0xff, 0x00, 0x01)), null, 'a second command that does not parse');
  assert.is(tcp(bytes(0xff, 0xfb), EMPTY, false, false), 'need-more');
  assert.is(tcp(T('login: ')), null, 'no negotiation: nothing to go on');
});

test('redis: RESP arrays, inline PING, refusals', () => {
  assert.is(tcp(T('*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n')), 'redis');
  assert.is(tcp(T('*3\r\n$8\r\nJSON.SET\r\n')), 'redis', 'module command');
  assert.is(tcp(T('PING\r\n')), 'redis');
  assert.is(tcp(EMPTY, T('+PONG\r\n')), 'redis');
  assert.is(tcp(EMPTY, T('-NOAUTH Authentication required.\r\n')), 'redis');
  assert.is(tcp(EMPTY, T('-DENIED Redis is running in protected mode\r\n')), 'redis');
  assert.is(tcp(T('HELLO 3\r\n'), T("-ERR unknown command 'HELLO', with args beginning with: '3'\r\n")), 'redis');
  assert.is(tcp(EMPTY, T('-ERR bad command\r\n')), null, 'a generic -ERR (POP3 says that too)');
  assert.is(tcp(T('*02\r\n$4\r\nPING\r\n')), null, 'leading zero');
  assert.is(tcp(T('*0\r\n')), null);
  assert.is(tcp(T('*1\r\n$4\r\nPI\x00G\r\n')), null, 'binary command name');
  assert.is(tcp(T('*1\r\n$3\r\nPING\r\n')), null, 'bulk length does not match');
  assert.is(tcp(T('*1\r\n$4\r\nPI'), EMPTY, false, false), 'need-more');
  assert.is(tcp(T('*1\r\n$4\r\nPI')), null);
});

test('mysql: greeting, error greeting, client login and SSL request', () => {
  assert.is(tcp(EMPTY, mysqlGreeting('5.5.5-10.11.6-MariaDB-0+deb12u1')), 'mysql');
  assert.is(tcp(EMPTY, mysqlGreeting('5.7.44-log')), 'mysql');
  const refused = bytes(le24(68), 0, 0xff, le16(1130), "Host '10.0.0.9' is not allowed to connect to this MySQL server");
  assert.is(tcp(EMPTY, refused), 'mysql');
  assert.is(tcp(mysqlLogin('app')), 'mysql', 'client side alone');
  const ssl = bytes(le24(32), 1, le32(0x01aaae85), le32(16777216), 0xff, fill(23));
  assert.is(tcp(ssl), 'mysql', 'SSLRequest');
  const mariaCaps = bytes(le24(40), 1, le32(0x01a2a685), le32(16777216), 0x21, fill(19), le32(0x1d), 'root', 0, 0);
  assert.is(tcp(mariaCaps), 'mysql', 'MariaDB extended capabilities in the last 4 filler bytes');
  assert.is(tcp(ssl.subarray(0, 20), EMPTY, false, false), 'need-more');
  const g = Buffer.from(mysqlGreeting());
  g[3] = 1;
  assert.is(tcp(EMPTY, g), null, 'greeting with sequence 1');
  const g2 = Buffer.from(mysqlGreeting());
  g2[4] = 9;
  assert.is(tcp(EMPTY, g2), null, 'protocol 9');
  const noProto41 = bytes(le24(40), 1, le32(0x0005), le32(16777216), 0x21, fill(23), 'root', 0, 0);
  assert.is(tcp(noProto41), null, 'without CLIENT_PROTOCOL_41');
  const dirty = Buffer.from(mysqlLogin());
  dirty[20] = 7;
  assert.is(tcp(dirty), null, 'reserved bytes not zero');
});

test('postgresql: startup, SSLRequest (+ S), GSSENCRequest, CancelRequest, server side', () => {
  assert.is(tcp(pgStartup()), 'postgresql');
  assert.is(tcp(pgStartup({ user: 'u' }, 0x00030002)), 'postgresql', 'protocol 3.2');
  assert.is(tcp(pgSslRequest(), T('S')), 'postgresql');
  assert.is(tcp(bytes(pgSslRequest(), tlsHello(1)), T('S')), 'postgresql', 'SSLRequest then a ClientHello: the upgrade comes later');
  assert.is(tcp(pgSslRequest(), T('N')), 'postgresql');
  assert.is(tcp(bytes(u32(8), u32(80877104))), 'postgresql', 'GSSENCRequest');
  assert.is(tcp(bytes(u32(16), u32(80877102), u32(1234), u32(0xdeadbeef))), 'postgresql', 'CancelRequest');
  assert.is(tcp(EMPTY, pgAuthMd5()), 'postgresql');
  assert.is(tcp(EMPTY, bytes('R', u32(8), u32(0), 'S', u32(25))), 'postgresql', 'AuthenticationOk');
  assert.is(tcp(EMPTY, bytes('R', u32(23), u32(10), 'SCRAM-SHA-256', 0, 0)), 'postgresql', 'SASL');
  assert.is(tcp(EMPTY, bytes('E', u32(100), 'SFATAL', 0, 'VFATAL', 0, 'C28000', 0)), 'postgresql', 'ErrorResponse');
  assert.is(tcp(bytes(u32(9), u32(80877103))), null, 'SSLRequest with a wrong length');
  assert.is(tcp(bytes(u32(8), u32(0x00040000))), null, 'protocol 4.0');
  assert.is(tcp(bytes(u32(9), u32(0x00030000), 0)), null, 'no parameters');
  assert.is(tcp(bytes(u32(50000), u32(0x00030000), 'user', 0, 'x', 0, 0)), null, 'absurd length');
  assert.is(tcp(bytes(u32(20), u32(0x00030000), 'us\x01r', 0, 'x', 0, 0)), null, 'binary parameter name');
  assert.is(tcp(bytes(0, 0, 0), EMPTY, false, false), 'need-more');
  assert.is(tcp(EMPTY, bytes('R', u32(8), u32(4))), null, 'unknown authentication type');
  assert.is(tcp(EMPTY, T('S')), null, "a lone 'S' says nothing");
});

test('ldap: requests and responses, and other BER protocols', () => {
  assert.is(tcp(ldapSearch()), 'ldap');
  assert.is(tcp(ldapStartTls()), 'ldap', 'StartTLS extended request');
  assert.is(tcp(ldapMessage(3, bytes(0x42, 0))), 'ldap', 'unbind');
  assert.is(tcp(EMPTY, ldapBindResponse()), 'ldap');
  assert.is(udp(ldapSearch()), 'ldap', 'CLDAP');
  // long-form lengths (as Windows sends them: 0x84 + 4 bytes)
  const inner = bytes(0x02, 0x02, u16(0x0100), 0x60, 0x84, u32(7), 0x02, 0x01, 0x03, 0x04, 0x00, 0x80, 0x00);
  assert.is(tcp(bytes(0x30, 0x84, u32(inner.length), inner)), 'ldap');
  assert.is(tcp(bytes(0x30, 0x80, 0x02, 0x01, 0x01, 0x60)), null, 'indefinite length');
  assert.is(tcp(bytes(0x30, 0x0c, 0x02, 0x01, 0x01, 0x60, 0x07, 0x02, 0x01, 0x07, 0x04, 0x00, 0x80, 0x00)), null, 'LDAP version 7');
  const response = bytes(0x30, 0x0c, 0x02, 0x01, 0x01, 0x61, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00);
  assert.is(sig('ldap').detect(response, EMPTY, true, true), NO, 'a response from the client');
  assert.is(tcp(EMPTY, response), 'ldap', '... but the server\'s');
  const snmp = bytes(0x30, 0x26, 0x02, 0x01, 0x01, 0x04, 0x06, 'public', 0xa0, 0x19, 0x02, 0x04, u32(1), 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x0b, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x05, 0x00);
  assert.is(udp(snmp), null, 'SNMP GetRequest');
  const krb = bytes(u32(100), 0x6a, 0x81, 0x61, 0x30, 0x81, 0x5e);
  assert.is(tcp(krb), null, 'Kerberos over TCP');
  assert.is(tcp(ldapBind().subarray(0, 6), EMPTY, false, false), 'need-more');
  const bad = Buffer.from(ldapBind());
  bad[1] = 3; // message shorter than its operation
  assert.is(tcp(bad), null);
});

test('dns: UDP and TCP, queries and responses, mDNS, malformed names', () => {
  assert.is(udp(dnsQuery('example.org', 28)), 'dns');
  assert.is(udp(EMPTY, dnsResponse()), 'dns');
  assert.is(udp(dnsQuery('.', 2)), 'dns', 'root priming query');
  assert.is(udp(dnsQuery('_services._dns-sd._udp.local', 12, 0, 0)), 'dns', 'mDNS query');
  const announce = bytes(u16(0), u16(0x8400), u16(0), u16(1), u16(0), u16(0), dnsName('printer.local'), u16(1), u16(0x8001), u32(120), u16(4), [10, 0, 0, 9]);
  assert.is(udp(announce), 'dns', 'mDNS announcement (response without question)');
  assert.is(tcp(withLength(dnsQuery('example.com', 252))), 'dns', 'AXFR over TCP');
  assert.is(udp(withLength(dnsQuery())), null, 'a TCP-framed message on UDP');
  assert.is(tcp(dnsQuery()), null, 'an unframed message on TCP');
  assert.is(udp(dnsQuery('example.com', 1, 1, 0x1900)), null, 'opcode 3');
  assert.is(udp(dnsQuery('example.com', 1, 1, 0x0140)), null, 'Z bit set');
  assert.is(udp(dnsQuery('example.com', 1, 1, 0x0103)), null, 'rcode in a query');
  assert.is(udp(bytes(u16(1), u16(0x0100), u16(1), u16(0), u16(0), u16(0), 0xc0, 0x0c, u16(1), u16(1))), null, 'pointer in the first name');
  assert.is(udp(bytes(u16(1), u16(0x0100), u16(1), u16(0), u16(0), u16(0), 3, 'a', 0, 1, 0, u16(1), u16(1))), null, 'binary label');
  assert.is(udp(bytes(u16(1), u16(0x0100), u16(1), u16(0), u16(0), u16(0), dnsName('example.com'), u16(1), u16(7))), null, 'class 7');
  assert.is(udp(bytes(u16(1), u16(0x0100), u16(200), u16(0), u16(0), u16(0), dnsName('a'), u16(1), u16(1))), null, '200 questions');
  assert.is(udp(dnsQuery().subarray(0, 20), EMPTY, false, false), 'need-more');
  assert.is(udp(dnsQuery().subarray(0, 20)), null);
});

test('xmpp: stream headers with or without a declaration', () => {
  assert.is(tcp(T("<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' to='b.example'>")), 'xmpp');
  assert.is(tcp(bytes([0xef, 0xbb, 0xbf], "<?xml version='1.0'?>\n<stream:stream to='x' version='1.0'>")), 'xmpp', 'UTF-8 BOM');
  assert.is(tcp(T("<?xml version='1.0'?><stream:stream"), EMPTY, false, false), 'need-more');
  assert.is(tcp(T("<?xml version='1.0'?><methodCall><methodName>x</methodName></methodCall>")), null, 'XML-RPC');
  assert.is(tcp(T('<html><body>stream:stream</body></html>')), null, 'the words in text, not a tag');
});

test('socks: 4, 4a and 5 with the server choice', () => {
  assert.is(tcp(bytes(4, 1, u16(443), [0, 0, 0, 1], 'u', 0, 'example.com', 0), bytes(0, 0x5a, u16(0), u32(0))), 'socks', 'SOCKS4a');
  assert.is(tcp(bytes(5, 2, 0, 2), bytes(5, 2, 1, 0)), 'socks', 'username/password chosen');
  assert.is(tcp(bytes(5, 1, 0), bytes(5, 0xff)), 'socks', 'no acceptable method');
  assert.is(tcp(bytes(5, 1, 0, 5, 1, 0, 3, 11, 'example.com', u16(443))), 'socks', 'greeting and request, server unseen');
  assert.is(tcp(bytes(5, 1, 0), bytes(5, 2)), null, 'server chose a method not offered');
  assert.is(tcp(bytes(5, 1, 0)), null, 'a bare 3-byte greeting never answered');
  assert.is(tcp(bytes(5, 1, 0), EMPTY, true, false), 'need-more');
  assert.is(tcp(bytes(5, 0)), null, 'no methods');
  assert.is(tcp(bytes(4, 3, u16(80), u32(1), 0)), null, 'SOCKS4 command 3');
  assert.is(tcp(bytes(4, 1, u16(80), [0, 0, 0, 1], 0, 0)), null, 'SOCKS4a with an empty host name');
  assert.is(tcp(bytes(4, 1, u16(80), [1, 2, 3, 4], 'bob', 0), bytes(1, 0x5a)), null, 'reply version 1');
});

test('rdp: X.224 connection request/confirm, not other ISO-on-TCP users', () => {
  assert.is(tcp(rdpRequest()), 'rdp');
  assert.is(tcp(EMPTY, rdpConfirm()), 'rdp');
  const bare = bytes(3, 0, u16(11), 6, 0xe0, u16(0), u16(0), 0);
  assert.is(tcp(bare), 'rdp', 'no cookie, no negotiation (old clients)');
  const neg = bytes(3, 0, u16(19), 14, 0xe0, u16(0), u16(0), 0, 1, 0, le16(8), le32(11));
  assert.is(tcp(neg), 'rdp', 'RDP_NEG_REQ only');
  const s7 = bytes(3, 0, u16(22), 17, 0xe0, u16(0), u16(1), 0, 0xc0, 1, 0x0a, 0xc1, 2, 1, 0, 0xc2, 2, 1, 2);
  assert.is(tcp(s7), null, 'S7comm COTP connection request');
  const wrongLi = Buffer.from(rdpRequest());
  wrongLi[4] = 3;
  assert.is(tcp(wrongLi), null, 'length indicator does not match');
});

test('smb: SMB1/SMB2/SMB3 transform and NetBIOS session request', () => {
  assert.is(tcp(smb2()), 'smb');
  const smb1 = bytes(0, u24(47), 0xff, 'SMB', 0x72, fill(27), 0, u16(12), 2, 'NT LM 0.12', 0);
  assert.is(tcp(smb1), 'smb');
  const transform = bytes(0, u24(100), 0xfd, 'SMB', fill(48));
  assert.is(tcp(EMPTY, transform), 'smb');
  const nbName = (name) => bytes(0x20, [...name.padEnd(16, ' ')].flatMap((ch) => [0x41 + (ch.charCodeAt(0) >> 4), 0x41 + (ch.charCodeAt(0) & 15)]), 0);
  assert.is(tcp(bytes(0x81, 0, u16(68), nbName('FILESERVER'), nbName('CLIENT'))), 'smb');
  assert.is(tcp(bytes(0, u24(100), 0xfe, 'SMX', fill(60))), null);
  assert.is(tcp(bytes(0, u24(10), 0xfe, 'SMB', fill(6))), null, 'shorter than an SMB header');
});

test('quic: v1, v2, drafts, Retry, Version Negotiation, and what is not QUIC', () => {
  assert.is(udp(quicInitial(0x6b3343cf)), 'quic', 'QUIC v2 Initial (type bits 01)');
  assert.is(udp(quicInitial(0xff00001d)), 'quic', 'draft-29');
  assert.is(udp(quicInitial(1, { token: Buffer.alloc(40, 7) })), 'quic', 'Initial with a Retry token');
  const retry = bytes(0xf0, u32(1), 8, fill(8, 1), 8, fill(8, 2), fill(30, 9), fill(16, 3));
  assert.is(udp(EMPTY, retry), 'quic', 'Retry');
  const dcid = fill(8, 5);
  assert.is(udp(bytes(0xc0, u32(0x1a2a3a4a), 8, dcid, 0, 0, u16(0x4400), fill(600)), quicVersionNegotiation(Buffer.alloc(0), dcid)), 'quic', 'Version Negotiation answering a greased version');
  assert.is(udp(quicInitial(0x00000005)), null, 'unknown version');
  const v2AsInitialTypeBits = Buffer.from(quicInitial(1));
  v2AsInitialTypeBits[0] = 0xd3; // v1 with type bits 01 = 0-RTT: never first
  assert.is(udp(v2AsInitialTypeBits), null, '0-RTT alone');
  const noFixed = Buffer.from(quicInitial(1));
  noFixed[0] &= ~0x40;
  assert.is(udp(noFixed), null, 'fixed bit clear');
  const longCid = bytes(0xc3, u32(1), 21, fill(21), 0, 0, u16(0x4400));
  assert.is(udp(longCid), null, 'connection ID of 21 bytes');
  assert.is(udp(bytes(0x43, fill(40))), null, 'short header: nothing to check');
  assert.is(udp(quicInitial(1).subarray(0, 4), EMPTY, false, false), 'need-more');
});

test('dtls: ClientHello/HelloVerifyRequest, STUN before DTLS, RTP/STUN alone are not DTLS', () => {
  assert.is(udp(dtlsClientHello(0xfefd)), 'dtls', 'DTLS 1.2 record version');
  assert.is(udp(EMPTY, dtlsHelloVerify()), 'dtls');
  assert.is(udp(bytes(stunBinding(), stunBinding()), bytes(stunBinding(0x0101), dtlsClientHello())), 'dtls', 'WebRTC: STUN checks, then the DTLS client is the responder');
  const appData = dtlsRecord(23, 0xfefd, 1, 5, fill(64, 0x33));
  assert.is(udp(appData), 'dtls', 'mid-session application data');
  assert.is(udp(stunBinding(), stunBinding(0x0101)), null, 'STUN only');
  assert.is(udp(rtpPacket(), rtpPacket()), null, 'RTP');
  assert.is(udp(dtlsRecord(22, 0x0303, 0, 0, dtlsHandshake(1, fill(60)))), null, 'TLS version in a DTLS-shaped record');
  assert.is(udp(dtlsRecord(26, 0xfefd, 0, 0, fill(30))), null, 'content type 26');
  assert.is(udp(dtlsRecord(22, 0xfefd, 0, 0, dtlsHandshake(11, fill(60)))), null, 'a Certificate first');
  const fragTooBig = dtlsRecord(22, 0xfeff, 0, 0, bytes(1, u24(100), u16(0), u24(0), u24(200), fill(60)));
  assert.is(udp(fragTooBig), null, 'fragment longer than the record');
  const unified = bytes(0x2c, 0x12, 0x34, u16(40), fill(40, 0x55));
  assert.is(udp(unified, unified), null, 'DTLS 1.3 unified headers alone');
  assert.is(udp(dtlsClientHello().subarray(0, 10), EMPTY, false, false), 'need-more');
});

test('tls: mid-session records, SSLv2 server hello, handshake from either side', () => {
  const app = (n) => bytes(0x17, 0x03, 0x03, u16(n), fill(n, 0x42));
  assert.is(tcp(bytes(app(40), app(30))), 'tls', 'two application data records');
  assert.is(tcp(app(3000).subarray(0, 1024)), 'tls', 'one large record filling what we hold');
  assert.is(tcp(app(40)), 'tls', 'one record that ends with the side');
  assert.is(tcp(app(40).subarray(0, 20), EMPTY, false, false), 'need-more');
  assert.is(tcp(app(40).subarray(0, 20)), null, 'a short record cut off');
  assert.is(tlsRecordRun(bytes(0x17, 0x03, 0x03, u16(0)), true), NO, 'empty record');
  assert.is(tlsRecordRun(bytes(0x18, 0x03, 0x03, u16(4), fill(4)), true), NO, 'heartbeat is no opening');
  assert.is(tcp(EMPTY, tlsHello(2)), 'tls', 'a ServerHello alone');
  assert.is(tcp(tlsHello(2), tlsHello(1)), 'tls', 'originator is the server');
  const v2ServerHello = bytes(0x80 | 0, 40, 4, 0, 1, u16(0x0002), u16(10), u16(3), u16(16), fill(10), [1, 0, 0x80], fill(16));
  assert.is(tcp(EMPTY, v2ServerHello), 'tls');
  const notHello = Buffer.from(tlsHello(1));
  notHello[5] = 11; // Certificate: not an opening, but a capture may start there
  assert.is(tcp(notHello), 'tls');
  const v35 = Buffer.from(tlsHello(1));
  v35[2] = 5;
  assert.is(tcp(v35), null, 'record version 3.5');
});

test('detectors tolerate odd buffers', () => {
  const rnd = prng(11);
  const odd = [EMPTY, Buffer.from([0]), Buffer.from([0xff]), Buffer.alloc(3, 0xff), Buffer.alloc(2000, 0), rnd.bytes(5000), T('\r\n'.repeat(700))];
  for (const s of SIGNATURES) for (const a of odd) for (const b of odd) for (const done of [false, true]) {
    const v = s.detect(a, b, done, done);
    assert.ok(v === YES || v === NO || v === NEED_MORE, s.name);
  }
});

test.run();
