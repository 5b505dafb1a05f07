// Malformed and truncated input at every nesting level: a stable reason, fields before the cut
// kept, never an exception. Plus a mutation fuzz over a whole conversation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { TlsSession } from '../../agent/dist/protocols/tls/session.js';
import { parseClientHello, parseServerHello } from '../../agent/dist/protocols/tls/hello.js';
import {
  CT, EXT, HS, appData, cat, ccs, certificateBody, clientHelloBody, ext, feedChunks, fill, handshake, record, serverHelloBody, skeEcdhe,
  u8, u16, u24, vec16, vec8,
} from './tls-builder.mjs';

const C = true;
const S = false;

const hello = (opts) => clientHelloBody({ extensions: [EXT.sni('ok.example'), EXT.groups([29])], ...opts });

function chFromSession(bytes) {
  const s = new TlsSession();
  s.feed(C, bytes, 0, bytes.length);
  return s;
}

test('record: declared length past the end of the stream → record-truncated at end()', () => {
  const r = record(CT.handshake, handshake(HS.clientHello, hello()));
  const s = new TlsSession();
  s.feed(C, r, 0, r.length - 10);
  assert.is(s.clientHello, null);
  s.end();
  assert.ok(s.malformed.includes('record-truncated'), s.malformed.join());
});

test('record: length over 2^14+2048, bad content type, bad version → direction stops with a reason', () => {
  for (const [bytes, reason] of [
    [record(CT.appData, Buffer.alloc(20), 0x0303, 18433), 'record-length-too-large'],
    [cat(u8(0x30), u16(0x0303), u16(2), Buffer.alloc(2)), 'record-bad-content-type'],
    [record(CT.handshake, Buffer.alloc(4), 0x0503), 'record-bad-version'],
  ]) {
    const s = new TlsSession();
    const chr = record(CT.handshake, handshake(HS.clientHello, hello()));
    s.feed(C, chr, 0, chr.length);
    s.feed(S, bytes, 0, bytes.length);
    assert.ok(s.malformed.includes(reason), `${reason}: ${s.malformed}`);
    const sh = record(CT.handshake, handshake(HS.serverHello, serverHelloBody()));
    s.feed(S, sh, 0, sh.length);
    assert.is(s.serverHello, null, 'nothing parsed after the direction stopped');
    assert.ok(s.clientHello, 'the other direction is unaffected');
  }
});

test('garbage after a valid record: the record is parsed, then the direction stops', () => {
  const r = cat(record(CT.handshake, handshake(HS.clientHello, hello())), Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  const s = chFromSession(r);
  assert.is(s.clientHello?.serverName, 'ok.example');
  assert.equal(s.malformed, ['record-bad-content-type']);
});

test('handshake: message longer than what follows, then a CCS interleaves → reasons, no throw', () => {
  const body = hello();
  const msg = handshake(HS.clientHello, body, body.length + 50);
  const s = new TlsSession();
  const bytes = cat(record(CT.handshake, msg), ccs());
  s.feed(C, bytes, 0, bytes.length);
  assert.is(s.clientHello, null);
  assert.ok(s.malformed.includes('handshake-message-interleaved'), s.malformed.join());
  assert.ok(s.malformed.includes('handshake-message-truncated'), s.malformed.join());
});

test('handshake: a message larger than maxHandshakeBytes is skipped by length; the next one parses', () => {
  const s = new TlsSession({ maxHandshakeBytes: 1024 });
  const chr = record(CT.handshake, handshake(HS.clientHello, hello({ ciphers: [0xc02f] })));
  s.feed(C, chr, 0, chr.length);
  const flight = cat(
    handshake(HS.serverHello, serverHelloBody({ cipher: 0xc02f })),
    handshake(HS.certificate, certificateBody([fill(3000), fill(2000)])),
    handshake(HS.serverKeyExchange, skeEcdhe(24)),
    handshake(HS.serverHelloDone, Buffer.alloc(0)),
  );
  feedChunks(s, S, cat(record(CT.handshake, flight.subarray(0, 900)), record(CT.handshake, flight.subarray(900, 4000)), record(CT.handshake, flight.subarray(4000))), 333);
  assert.ok(s.malformed.includes('handshake-message-too-large'));
  assert.equal(s.serverCertificates, [], 'DERs over the bound are not kept');
  assert.equal(s.serverChainSha256, [createHash('sha256').update(fill(3000)).digest('hex'), createHash('sha256').update(fill(2000)).digest('hex')]);
  assert.is(s.serverKeyExchange?.namedCurve, 24);
  assert.is(s.history, 'CsxknG'.slice(0, 5));
});

test('ClientHello: handshake length past the record content (stream ends) keeps waiting, then reports', () => {
  const body = hello();
  const s = new TlsSession();
  const r = record(CT.handshake, handshake(HS.clientHello, body, body.length + 10));
  s.feed(C, r, 0, r.length);
  assert.is(s.clientHello, null);
  s.end();
  assert.ok(s.malformed.includes('handshake-message-truncated'));
});

const inner = [
  ['session id', (b) => { b[34] = 40; return b; }, 'client-hello-session-id-past-end'],
  ['cipher suites past end', (b) => { b.writeUInt16BE(0x4000, 35); return b; }, 'client-hello-cipher-suites-past-end'],
];

test('ClientHello: lengths past the end at each field', () => {
  for (const [name, mutate, reason] of inner) {
    const b = mutate(hello());
    const ch = parseClientHello(b, 0, b.length, 'tls');
    assert.is(ch.truncated, true, name);
    assert.ok(ch.malformed?.includes(reason), `${name}: ${ch.malformed}`);
  }
});

test('ClientHello: odd cipher list length → reason, parsing continues', () => {
  const b = cat(u16(0x0303), fill(32), vec8(Buffer.alloc(0)), vec16(Buffer.from([0x13, 0x01, 0xc0])), vec8(Buffer.from([0])), vec16(EXT.sni('odd.example')));
  const ch = parseClientHello(b, 0, b.length, 'tls');
  assert.ok(ch.malformed.includes('client-hello-cipher-suites-odd-length'));
  assert.equal(ch.cipherSuites, [0x1301]);
  assert.is(ch.serverName, 'odd.example');
});

test('ClientHello: extensions block length past the end', () => {
  const exts = cat(EXT.sni('cut.example'), EXT.groups([29, 23]));
  const b = cat(u16(0x0303), fill(32), vec8(Buffer.alloc(0)), vec16(u16(0x1301)), vec8(Buffer.from([0])), u16(exts.length + 30), exts);
  const ch = parseClientHello(b, 0, b.length, 'tls');
  assert.is(ch.truncated, true);
  assert.ok(ch.malformed.includes('client-hello-extensions-past-end'), ch.malformed.join());
  assert.is(ch.serverName, 'cut.example', 'extensions before the cut are kept');
  assert.equal(ch.supportedGroups, [29, 23]);
});

test('ClientHello: one extension longer than the block', () => {
  const bad = cat(u16(10), u16(40), vec16(u16(29)));
  const b = cat(u16(0x0303), fill(32), vec8(Buffer.alloc(0)), vec16(u16(0x1301)), vec8(Buffer.from([0])), vec16(cat(EXT.sni('a.example'), bad)));
  const ch = parseClientHello(b, 0, b.length, 'tls');
  assert.is(ch.truncated, true);
  assert.ok(ch.malformed.includes('client-hello-extension-past-end'), ch.malformed.join());
  assert.is(ch.serverName, 'a.example');
});

test('ClientHello: SNI list / name length past the extension; other extensions still parsed', () => {
  for (const sni of [
    ext(0, cat(u16(40), u8(0), vec16(Buffer.from('x.example')))),
    ext(0, cat(u16(12), u8(0), u16(60), Buffer.from('x.example'))),
  ]) {
    const b = clientHelloBody({ extensions: [sni, EXT.groups([29]), EXT.alpn(['h2'])] });
    const ch = parseClientHello(b, 0, b.length, 'tls');
    assert.ok(ch.malformed?.includes('client-hello-sni-past-end'), String(ch.malformed));
    assert.is(ch.truncated, false);
    assert.equal(ch.supportedGroups, [29]);
    assert.equal(ch.alpn, ['h2']);
  }
});

test('ClientHello: key_share / ALPN / supported_versions inner lengths past the extension', () => {
  const ks = ext(51, cat(u16(100), u16(29), u16(32), fill(32)));
  const alpn = ext(16, cat(u16(3), u8(5), Buffer.from('h2')));
  const sv = ext(43, cat(u8(8), u16(0x0304)));
  const b = clientHelloBody({ extensions: [ks, alpn, sv, EXT.sni('still.example')] });
  const ch = parseClientHello(b, 0, b.length, 'tls');
  for (const r of ['client-hello-key-share-past-end', 'client-hello-alpn-past-end', 'client-hello-supported-versions-past-end']) assert.ok(ch.malformed.includes(r), `${r}: ${ch.malformed}`);
  assert.is(ch.serverName, 'still.example');
});

test('every prefix of a ClientHello / ServerHello parses without throwing', () => {
  const chb = clientHelloBody({ sessionId: fill(32), extensions: [EXT.sni('p.example'), EXT.keyShare([[0x11ec, 1216]]), EXT.alpn(['h2']), EXT.supportedVersions([0x0304])] });
  for (let n = 0; n <= chb.length; n++) {
    const ch = parseClientHello(chb, 0, n, 'tls');
    const noExtensions = n === 2 + 32 + 33 + 2 + 4 + 2; // ends right after compression: a valid extension-less hello
    if (n < chb.length && !noExtensions) assert.is(ch.truncated, true, `prefix ${n}`);
  }
  const shb = serverHelloBody({ extensions: [EXT.supportedVersion(0x0304), EXT.keyShareServer(29)] });
  for (let n = 0; n <= shb.length; n++) parseServerHello(shb, 0, n, 'tls');
  assert.is(parseServerHello(shb, 0, 10, 'tls').malformed[0], 'server-hello-random-past-end');
});

test('Certificate and ServerKeyExchange cut short → reasons, earlier certificates kept', () => {
  const s = new TlsSession();
  const chr = record(CT.handshake, handshake(HS.clientHello, hello({ ciphers: [0xc02f] })));
  s.feed(C, chr, 0, chr.length);
  const certs = certificateBody([fill(100), fill(200)]);
  certs.writeUIntBE(1000, 3 + 3 + 100, 3); // second entry claims 1000 bytes
  const ske = skeEcdhe(23).subarray(0, 3);
  const flight = record(CT.handshake, cat(handshake(HS.serverHello, serverHelloBody({ cipher: 0xc02f })), handshake(HS.certificate, certs), handshake(HS.serverKeyExchange, ske)));
  s.feed(S, flight, 0, flight.length);
  assert.is(s.serverCertificates.length, 1);
  assert.ok(s.malformed.includes('certificate-entry-past-end'), s.malformed.join());
  assert.ok(s.malformed.includes('server-key-exchange-ec-point-past-end'), s.malformed.join());
  assert.is(s.serverKeyExchange.namedCurve, 23);
});

test('mutation fuzz: random byte flips and random chunking never throw', () => {
  const conversation = [
    [C, record(CT.handshake, handshake(HS.clientHello, hello({ extensions: [EXT.sni('f.example'), EXT.keyShare([[29, 32]]), EXT.supportedVersions([0x0304, 0x0303]), EXT.psk()] })))],
    [S, record(CT.handshake, cat(handshake(HS.serverHello, serverHelloBody({ cipher: 0xc02f })), handshake(HS.certificate, certificateBody([fill(300)])), handshake(HS.serverKeyExchange, skeEcdhe(29, 32)), handshake(HS.serverHelloDone, Buffer.alloc(0))))],
    [C, cat(record(CT.handshake, handshake(HS.clientKeyExchange, vec8(fill(32)))), ccs(), record(CT.handshake, fill(40)))],
    [S, cat(ccs(), record(CT.handshake, fill(40)), appData(100))],
  ];
  let seed = 12345;
  const rnd = (n) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let round = 0; round < 400; round++) {
    const s = new TlsSession({ maxHandshakeBytes: 2048 });
    for (const [dir, bytes] of conversation) {
      const b = Buffer.from(bytes);
      for (let k = rnd(4); k >= 0; k--) b[rnd(b.length)] = rnd(256);
      let p = 0;
      while (p < b.length) {
        const n = 1 + rnd(64);
        s.feed(dir, b, p, Math.min(n, b.length - p));
        p += n;
      }
    }
    s.end();
    assert.type(s.done, 'boolean');
  }
});

test.run();
