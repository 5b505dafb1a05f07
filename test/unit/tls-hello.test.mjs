// ClientHello / ServerHello body parsing: every extension the fingerprints and rules read,
// GREASE kept in wire order, ECH, a 1216-byte post-quantum key share, DTLS cookie, SSLv2 hello.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseClientHello, parseServerHello } from '../../agent/dist/protocols/tls/hello.js';
import { parseSsl2ClientHello, parseSsl2ServerHello } from '../../agent/dist/protocols/tls/ssl2.js';
import { EXT, HRR_RANDOM, cat, clientHelloBody, fill, serverHelloBody, ssl2ClientHello, ssl2ServerHello, u16, vec16, ext } from './tls-builder.mjs';

const FULL_EXTENSIONS = [
  EXT.grease(0x0a0a),
  EXT.sni('www.example.com'),
  EXT.extendedMasterSecret(),
  EXT.renegotiationInfo(),
  EXT.groups([0x2a2a, 0x11ec, 0x001d, 0x0017, 0x0018]),
  EXT.pointFormats([0]),
  EXT.sessionTicket(fill(192)),
  EXT.alpn(['h2', 'http/1.1']),
  EXT.sigAlgs([0x0403, 0x0804, 0x0401, 0x0503]),
  EXT.keyShare([[0x2a2a, 1], [0x11ec, 1216], [0x001d, 32]]),
  EXT.pskModes([1]),
  EXT.supportedVersions([0x3a3a, 0x0304, 0x0303]),
  EXT.ech(),
  EXT.quicTp(Buffer.from([1, 2, 3])),
  EXT.grease(0x1a1a),
  EXT.psk(),
];

test('ClientHello with every parsed extension, GREASE, ECH and a 1216-byte ML-KEM share', () => {
  const sid = fill(32, 4);
  const body = clientHelloBody({ sessionId: sid, ciphers: [0x4a4a, 0x1301, 0x1302, 0xc02b], extensions: FULL_EXTENSIONS });
  assert.ok(body.length > 1700, `hello is ${body.length} bytes`);
  const ch = parseClientHello(body, 0, body.length, 'tls');
  assert.is(ch.truncated, false);
  assert.is(ch.malformed, undefined);
  assert.is(ch.legacyVersion, 0x0303);
  assert.equal(ch.random, fill(32, 3));
  assert.equal(ch.sessionId, sid);
  assert.equal(ch.cipherSuites, [0x4a4a, 0x1301, 0x1302, 0xc02b]);
  assert.equal(ch.compressionMethods, [0]);
  assert.equal(ch.extensions.map((e) => e.type), [0x0a0a, 0, 23, 0xff01, 10, 11, 35, 16, 13, 51, 45, 43, 0xfe0d, 0x39, 0x1a1a, 41]);
  assert.is(ch.extensions[6].length, 192);
  assert.is(ch.serverName, 'www.example.com');
  assert.equal(ch.supportedGroups, [0x2a2a, 0x11ec, 0x001d, 0x0017, 0x0018]);
  assert.equal(ch.ecPointFormats, [0]);
  assert.equal(ch.alpn, ['h2', 'http/1.1']);
  assert.equal(ch.signatureAlgorithms, [0x0403, 0x0804, 0x0401, 0x0503]);
  assert.equal(ch.keyShareGroups, [0x2a2a, 0x11ec, 0x001d]);
  assert.equal(ch.keyShareLengths, [1, 1216, 32]);
  assert.equal(ch.supportedVersions, [0x3a3a, 0x0304, 0x0303]);
  assert.equal(ch.pskModes, [1]);
  assert.is(ch.sessionTicket, true);
  assert.is(ch.sessionTicketLength, 192);
  assert.is(ch.pskOffered, true);
  assert.is(ch.echOffered, true);
  assert.equal(ch.quicTransportParameters, Buffer.from([1, 2, 3]));
  assert.is(ch.cookie, null);
  // copies, not views: the caller's buffer may be reused
  body.fill(0);
  assert.is(ch.sessionId[0], sid[0]);
  assert.is(ch.serverName, 'www.example.com');
});

test('ClientHello at an offset inside a larger buffer reads only its slice', () => {
  const body = clientHelloBody({ extensions: [EXT.sni('a.b')] });
  const buf = cat(Buffer.from([9, 9, 9]), body, Buffer.from([0xff, 0xff]));
  const ch = parseClientHello(buf, 3, body.length, 'tls');
  assert.is(ch.serverName, 'a.b');
  assert.is(ch.malformed, undefined);
});

test('DTLS ClientHello reads the cookie after the session id', () => {
  const body = clientHelloBody({ version: 0xfefd, cookie: fill(20, 7), ciphers: [0xc02b], extensions: [EXT.sni('d.example')] });
  const ch = parseClientHello(body, 0, body.length, 'dtls');
  assert.equal(ch.cookie, fill(20, 7));
  assert.equal(ch.cipherSuites, [0xc02b]);
  assert.is(ch.serverName, 'd.example');
  assert.is(ch.format, 'dtls');
});

test('SSLv3-style ClientHello without an extensions block is complete', () => {
  const body = clientHelloBody({ version: 0x0300, ciphers: [0x0004, 0x000a], noExtensions: true });
  const ch = parseClientHello(body, 0, body.length, 'tls');
  assert.is(ch.truncated, false);
  assert.is(ch.malformed, undefined);
  assert.equal(ch.extensions, []);
});

test('non-ASCII ALPN bytes survive (latin1, byte for byte)', () => {
  const body = clientHelloBody({ extensions: [EXT.alpn(['\xab\xcd', 'h2'])] });
  const ch = parseClientHello(body, 0, body.length, 'tls');
  assert.is(ch.alpn[0].charCodeAt(0), 0xab);
  assert.is(ch.alpn[0].charCodeAt(1), 0xcd);
});

test('ServerHello TLS 1.3: supported_versions, key_share, pre_shared_key, ALPN', () => {
  const body = serverHelloBody({
    sessionId: fill(32, 4), cipher: 0x1301,
    extensions: [EXT.supportedVersion(0x0304), EXT.keyShareServer(0x11ec, 1120), EXT.pskServer(0), EXT.alpnServer('h2')],
  });
  const sh = parseServerHello(body, 0, body.length, 'tls');
  assert.is(sh.truncated, false);
  assert.is(sh.legacyVersion, 0x0303);
  assert.is(sh.selectedVersion, 0x0304);
  assert.is(sh.keyShareGroup, 0x11ec);
  assert.is(sh.pskSelected, true);
  assert.is(sh.alpn, 'h2');
  assert.is(sh.cipherSuite, 0x1301);
  assert.is(sh.isHelloRetryRequest, false);
  assert.equal(sh.extensions.map((e) => e.type), [43, 51, 41, 16]);
});

test('HelloRetryRequest: magic random, key_share carries only the selected group', () => {
  const body = serverHelloBody({ random: HRR_RANDOM, cipher: 0x1302, extensions: [EXT.supportedVersion(0x0304), EXT.keyShareHrr(0x0017)] });
  const sh = parseServerHello(body, 0, body.length, 'tls');
  assert.is(sh.isHelloRetryRequest, true);
  assert.is(sh.keyShareGroup, 0x0017);
  assert.is(sh.malformed, undefined);
});

test('ServerHello of a TLS 1.3 draft before 22 has no session id / compression', () => {
  const body = cat(u16(0x7f10), fill(32), u16(0x1303), vec16(cat(EXT.keyShareServer(0x0018, 97))));
  const sh = parseServerHello(body, 0, body.length, 'tls');
  assert.is(sh.cipherSuite, 0x1303);
  assert.is(sh.keyShareGroup, 0x0018);
  assert.is(sh.malformed, undefined);
});

test('ServerHello without extensions (SSLv3 / TLS 1.0)', () => {
  const body = serverHelloBody({ version: 0x0300, cipher: 0x0004, noExtensions: true });
  const sh = parseServerHello(body, 0, body.length, 'tls');
  assert.is(sh.cipherSuite, 0x0004);
  assert.is(sh.truncated, false);
  assert.equal(sh.extensions, []);
});

test('SSLv2 CLIENT-HELLO: 3-byte kinds, TLS ones kept as 16-bit codes, challenge as random', () => {
  const rec = ssl2ClientHello({ version: 0x0301, kinds: [0x00002f, 0x010080, 0x000035, 0x0700c0, 0x00000a] });
  const ch = parseSsl2ClientHello(rec, 3, rec.length - 3);
  assert.is(ch.format, 'ssl2');
  assert.is(ch.legacyVersion, 0x0301);
  assert.equal(ch.cipherSuites, [0x2f, 0x35, 0x0a]);
  assert.equal(ch.ssl2CipherKinds, [0x00002f, 0x010080, 0x000035, 0x0700c0, 0x00000a]);
  assert.equal(ch.random, fill(16, 2));
  assert.is(ch.truncated, false);
});

test('SSLv2 SERVER-HELLO: certificate, first cipher kind, session-id hit', () => {
  const rec = ssl2ServerHello({ hit: 0, kinds: [0x0700c0, 0x010080] });
  const sh = parseSsl2ServerHello(rec, 3, rec.length - 3);
  assert.is(sh.legacyVersion, 0x0002);
  assert.is(sh.cipherSuite, 0x0700c0);
  assert.equal(sh.ssl2Certificate, fill(300, 8));
  assert.is(sh.ssl2SessionIdHit, false);
});

test('extension list with a zero-length server_name and unknown extensions is accepted', () => {
  const body = clientHelloBody({ extensions: [ext(0), ext(0x1234, fill(5)), EXT.sni('x.y')] });
  const ch = parseClientHello(body, 0, body.length, 'tls');
  assert.is(ch.serverName, 'x.y');
  assert.is(ch.malformed, undefined);
});

test.run();
