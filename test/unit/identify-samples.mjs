// Hand-built opening exchanges of every protocol identify() knows, shared by the
// identify*.test.mjs suites. Each sample is what a capture would show as the first
// bytes of each side: { name (expected network.protocol), transport, c, s }.

/** Concatenates bytes, arrays of bytes, latin1 strings and Buffers. */
export function bytes(...parts) {
  const out = [];
  for (const p of parts) {
    if (typeof p === 'number') out.push(Buffer.from([p]));
    else if (typeof p === 'string') out.push(Buffer.from(p, 'latin1'));
    else if (Buffer.isBuffer(p)) out.push(p);
    else out.push(Buffer.from(p));
  }
  return Buffer.concat(out);
}
export const u16 = (n) => [(n >> 8) & 255, n & 255];
export const u24 = (n) => [(n >> 16) & 255, (n >> 8) & 255, n & 255];
export const u32 = (n) => [(n >>> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255];
export const le16 = (n) => [n & 255, (n >> 8) & 255];
export const le24 = (n) => [n & 255, (n >> 8) & 255, (n >> 16) & 255];
export const le32 = (n) => [n & 255, (n >> 8) & 255, (n >> 16) & 255, (n >>> 24) & 255];
export const fill = (n, v = 0) => Buffer.alloc(n, v);
/** Deterministic pseudo-random bytes (xorshift32), so failures reproduce. */
export function prng(seed) {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  return { next, bytes: (n) => Buffer.from(Array.from({ length: n }, () => next() & 255)) };
}
const rnd = prng(7);

// ---- TLS
export function tlsHello(type, recordVersion = 0x0301, helloVersion = 0x0303) {
  const body = type === 1
    ? bytes(u16(helloVersion), rnd.bytes(32), 0, u16(4), u16(0x1301), u16(0xc02f), 1, 0, u16(9), u16(0), u16(5), u16(3), 0, u16(0))
    : bytes(u16(helloVersion), rnd.bytes(32), 0, u16(0xc02f), 0, u16(0));
  const hs = bytes(type, u24(body.length), body);
  return bytes(0x16, u16(recordVersion), u16(hs.length), hs);
}
export function sslv2ClientHello() {
  const specs = bytes([0x01, 0x00, 0x80], [0x00, 0x00, 0x2f], [0x00, 0x00, 0x35]);
  const challenge = rnd.bytes(16);
  const body = bytes(1, u16(0x0301), u16(specs.length), u16(0), u16(challenge.length), specs, challenge);
  return bytes(0x80 | (body.length >> 8), body.length & 255, body);
}

// ---- MySQL
export function mysqlGreeting(version = '8.0.36') {
  const payload = bytes(10, version, 0, le32(42), rnd.bytes(8), 0, le16(0xffff), 0xff, le16(2), le16(0xdfff), 21, fill(10), rnd.bytes(12), 0, 'caching_sha2_password', 0);
  return bytes(le24(payload.length), 0, payload);
}
export function mysqlLogin(user = 'root', caps = 0x01a2a685) {
  const payload = bytes(le32(caps), le32(16777216), 0xff, fill(23), user, 0, 20, rnd.bytes(20), 'mydb', 0, 'caching_sha2_password', 0);
  return bytes(le24(payload.length), 1, payload);
}

// ---- PostgreSQL
export function pgStartup(params = { user: 'alice', database: 'shop', application_name: 'psql' }, version = 0x00030000) {
  const body = bytes(...Object.entries(params).map(([k, v]) => bytes(k, 0, v, 0)), 0);
  return bytes(u32(8 + body.length), u32(version), body);
}
export const pgSslRequest = () => bytes(u32(8), u32(80877103));
export const pgAuthMd5 = () => bytes('R', u32(12), u32(5), rnd.bytes(4));

// ---- LDAP (BER)
function tlv(tag, ...content) {
  const c = bytes(...content);
  const len = c.length < 128 ? [c.length] : c.length < 256 ? [0x81, c.length] : [0x82, ...u16(c.length)];
  return bytes(tag, len, c);
}
export const ldapMessage = (id, op) => tlv(0x30, tlv(0x02, id), op);
export const ldapBind = (dn = 'cn=admin,dc=example,dc=com', pw = 'secret') =>
  ldapMessage(1, tlv(0x60, tlv(0x02, 3), tlv(0x04, dn), tlv(0x80, pw)));
export const ldapBindResponse = () => ldapMessage(1, tlv(0x61, tlv(0x0a, 0), tlv(0x04), tlv(0x04)));
export const ldapSearch = () =>
  ldapMessage(2, tlv(0x63, tlv(0x04, 'dc=example,dc=com'), tlv(0x0a, 2), tlv(0x0a, 0), tlv(0x02, 0), tlv(0x02, 0), tlv(0x01, 0), tlv(0x87, 'objectClass'), tlv(0x30)));
export const ldapStartTls = () => ldapMessage(1, tlv(0x77, tlv(0x80, '1.3.6.1.4.1.1466.20037')));

// ---- DNS
export function dnsName(name) {
  return bytes(...name.split('.').filter(Boolean).map((l) => bytes(l.length, l)), 0);
}
export function dnsQuery(name = 'www.example.com', type = 1, id = 0x1a2b, flags = 0x0100) {
  return bytes(u16(id), u16(flags), u16(1), u16(0), u16(0), u16(0), dnsName(name), u16(type), u16(1));
}
export function dnsResponse(name = 'www.example.com', id = 0x1a2b) {
  return bytes(u16(id), u16(0x8180), u16(1), u16(1), u16(0), u16(0), dnsName(name), u16(1), u16(1),
    [0xc0, 0x0c], u16(1), u16(1), u32(300), u16(4), [93, 184, 216, 34]);
}
export const withLength = (msg) => bytes(u16(msg.length), msg);

// ---- RDP
export const rdpRequest = () => {
  const x224 = bytes(0xe0, u16(0), u16(0), 0, 'Cookie: mstshash=admin\r\n', 1, 0, le16(8), le32(3));
  return bytes(3, 0, u16(4 + 1 + x224.length), x224.length, x224);
};
export const rdpConfirm = () => {
  const x224 = bytes(0xd0, u16(0), u16(0x1234), 0, 2, 0x1f, le16(8), le32(2));
  return bytes(3, 0, u16(4 + 1 + x224.length), x224.length, x224);
};

// ---- SMB2
export function smb2(command = 0, flags = 0) {
  const header = bytes(0xfe, 'SMB', le16(64), le16(0), le32(0), le16(command), le16(1), le32(flags), le32(0), fill(8), fill(4), fill(4), fill(8), fill(16));
  const body = bytes(le16(36), le16(2), le16(1), le16(0), le32(0x7f), rnd.bytes(16), fill(8), le16(0x0210), le16(0x0300));
  const msg = bytes(header, body);
  return bytes(0, u24(msg.length), msg);
}

// ---- QUIC
export function quicInitial(version = 1, { dcid = rnd.bytes(8), scid = rnd.bytes(8), token = Buffer.alloc(0), size = 1200 } = {}) {
  const typeBits = version === 0x6b3343cf ? 1 : 0;
  const first = 0xc0 | (typeBits << 4) | 0x03;
  const head = bytes(first, u32(version), dcid.length, dcid, scid.length, scid, token.length, token);
  const rest = size - head.length - 2;
  return bytes(head, [0x40 | ((rest >> 8) & 0x3f), rest & 255], rnd.bytes(rest));
}
export function quicVersionNegotiation(dcid, scid, versions = [1, 0x6b3343cf]) {
  return bytes(0x80 | (rnd.next() & 0x7f), u32(0), dcid.length, dcid, scid.length, scid, ...versions.map(u32));
}

// ---- DTLS
export function dtlsRecord(ct, version, epoch, seq, fragment) {
  return bytes(ct, u16(version), u16(epoch), [0, 0], u32(seq), u16(fragment.length), fragment);
}
export function dtlsHandshake(type, body, msgSeq = 0) {
  return bytes(type, u24(body.length), u16(msgSeq), u24(0), u24(body.length), body);
}
export function dtlsClientHello(version = 0xfeff, cookie = Buffer.alloc(0)) {
  const body = bytes(u16(0xfefd), rnd.bytes(32), 0, cookie.length, cookie, u16(4), u16(0xc02b), u16(0xc02f), 1, 0);
  return dtlsRecord(22, version, 0, 0, dtlsHandshake(1, body));
}
export function dtlsHelloVerify() {
  return dtlsRecord(22, 0xfeff, 0, 0, dtlsHandshake(3, bytes(u16(0xfeff), 20, rnd.bytes(20))));
}
export function stunBinding(type = 0x0001) {
  const attrs = bytes(u16(0x0006), u16(9), 'abcd:efgh', fill(3), u16(0x8028), u16(4), rnd.bytes(4));
  return bytes(u16(type), u16(attrs.length), u32(0x2112a442), rnd.bytes(12), attrs);
}
export function rtpPacket() {
  return bytes(0x80, 0x60, u16(4711), u32(160000), u32(0xdeadbeef), rnd.bytes(160));
}

const EMPTY = Buffer.alloc(0);
const T = (s) => Buffer.from(s, 'latin1');

/** One opening exchange per protocol (a few protocols have several shapes). */
export const SAMPLES = [
  { name: 'tls', transport: 'tcp', c: tlsHello(1), s: tlsHello(2) },
  { name: 'tls', transport: 'tcp', c: sslv2ClientHello(), s: EMPTY, label: 'SSLv2-format ClientHello' },
  { name: 'ssh', transport: 'tcp', c: T('SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n'), s: T('SSH-2.0-OpenSSH_8.9p1\r\n') },
  { name: 'http', transport: 'tcp', c: T('GET /index.html HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n'), s: T('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi') },
  { name: 'http', transport: 'tcp', c: bytes('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', u24(6), 4, 0, u32(0), u16(3), u32(100)), s: bytes(u24(0), 4, 0, u32(0)), label: 'HTTP/2 preface' },
  { name: 'ftp', transport: 'tcp', c: T('USER anonymous\r\nPASS guest@\r\n'), s: T('220 ProFTPD Server (Debian) [10.0.0.1]\r\n331 Anonymous login ok\r\n') },
  { name: 'smtp', transport: 'tcp', c: T('EHLO client.example.org\r\n'), s: T('220 mx.example.org ESMTP Postfix (Debian/GNU)\r\n250-mx.example.org\r\n') },
  { name: 'pop3', transport: 'tcp', c: T('CAPA\r\n'), s: T('+OK Dovecot ready.\r\n+OK\r\nCAPA\r\n') },
  { name: 'imap', transport: 'tcp', c: T('a1 CAPABILITY\r\n'), s: T('* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] Dovecot ready.\r\n') },
  { name: 'telnet', transport: 'tcp', c: bytes([0xff, 0xfb, 0x18, 0xff, 0xfb, 0x20]), s: bytes([0xff, 0xfd, 0x18, 0xff, 0xfd, 0x20, 0xff, 0xfd, 0x23, 0xff, 0xfd, 0x27]) },
  { name: 'redis', transport: 'tcp', c: T('*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n'), s: T('+OK\r\n') },
  { name: 'mysql', transport: 'tcp', c: mysqlLogin(), s: mysqlGreeting() },
  { name: 'postgresql', transport: 'tcp', c: pgStartup(), s: pgAuthMd5() },
  { name: 'postgresql', transport: 'tcp', c: pgSslRequest(), s: T('S'), label: 'SSLRequest answered S' },
  { name: 'ldap', transport: 'tcp', c: ldapBind(), s: ldapBindResponse() },
  { name: 'dns', transport: 'udp', c: dnsQuery(), s: dnsResponse() },
  { name: 'dns', transport: 'tcp', c: withLength(dnsQuery('example.org', 252)), s: withLength(dnsResponse('example.org')) },
  { name: 'irc', transport: 'tcp', c: T('NICK alice\r\nUSER alice 0 * :Alice Liddell\r\n'), s: T(':irc.example.net NOTICE * :*** Looking up your hostname...\r\n') },
  { name: 'xmpp', transport: 'tcp', c: T("<?xml version='1.0'?><stream:stream to='example.com' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"), s: T("<?xml version='1.0'?><stream:stream from='example.com' id='x1' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>") },
  { name: 'socks', transport: 'tcp', c: bytes([5, 1, 0]), s: bytes([5, 0]) },
  { name: 'socks', transport: 'tcp', c: bytes(4, 1, u16(80), [192, 168, 1, 1], 'bob', 0), s: bytes(0, 0x5a, u16(80), [192, 168, 1, 1]), label: 'SOCKS4' },
  { name: 'rdp', transport: 'tcp', c: rdpRequest(), s: rdpConfirm() },
  { name: 'smb', transport: 'tcp', c: smb2(0), s: smb2(0, 1) },
  { name: 'quic', transport: 'udp', c: quicInitial(1), s: quicInitial(1, { dcid: Buffer.alloc(0), size: 1200 }) },
  { name: 'dtls', transport: 'udp', c: dtlsClientHello(), s: dtlsHelloVerify() },
];
