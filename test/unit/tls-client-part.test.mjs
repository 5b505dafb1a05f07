// The ClientHello part of session documents is shared by hellos of one kind: hellos that
// differ only in what it does not read (SNI value, random, session id) share it; a difference
// in any field it reads gives another part, with that field's value.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { clientPart } from '../../agent/dist/protocols/tls/client-part.js';

function hello(over = {}) {
  return {
    format: 'tls', recordVersion: 0x0301, legacyVersion: 0x0303, random: Buffer.alloc(32, 1), sessionId: Buffer.alloc(32, 2), cookie: null,
    cipherSuites: [0x0a0a, 0x1301, 0x1302, 0xc02f], compressionMethods: [0],
    extensions: [{ type: 0x0a0a, length: 0 }, { type: 0, length: 14 }, { type: 10, length: 8 }, { type: 13, length: 8 }, { type: 16, length: 5 }, { type: 43, length: 5 }, { type: 51, length: 38 }],
    serverName: 'a.example', alpn: ['h2'], supportedGroups: [0x1d, 0x17], ecPointFormats: [], signatureAlgorithms: [0x0403, 0x0804],
    supportedVersions: [0x0304, 0x0303], keyShareGroups: [0x1d], sessionTicket: false, sessionTicketLength: 0, pskOffered: false, pskModes: [],
    echOffered: false, quicTransportParameters: null, truncated: false,
    ...over,
  };
}

test('hellos of one kind share their part; SNI, random and session id do not matter', () => {
  const a = clientPart(hello(), 't');
  const b = clientPart(hello({ serverName: 'b.example', random: Buffer.alloc(32, 9), sessionId: Buffer.alloc(0) }), 't');
  assert.is(a, b);
  assert.equal(a.supportedCiphers, ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256']);
  assert.match(a.ja4, /^t13d0306h2_/);
});

const variants = {
  cipherSuites: [0x1301, 0x1302],
  extensions: [{ type: 0, length: 14 }, { type: 10, length: 8 }],
  supportedGroups: [0x17],
  ecPointFormats: [0],
  signatureAlgorithms: [0x0804],
  supportedVersions: [0x0303],
  keyShareGroups: [0x17],
  compressionMethods: [1, 0],
  alpn: ['http/1.1'],
  legacyVersion: 0x0301,
  echOffered: true,
  sessionTicket: true,
  pskOffered: true,
  truncated: true,
  format: 'ssl2',
};

for (const [field, value] of Object.entries(variants)) {
  test(`a different ${field} gives another part`, () => {
    const base = clientPart(hello(), 't');
    const other = clientPart(hello({ [field]: value }), 't');
    assert.is.not(other, base);
    assert.is.not(JSON.stringify(other), JSON.stringify(base));
  });
}

test('the transport is part of the kind (JA4 t / q / d)', () => {
  const t = clientPart(hello(), 't');
  const q = clientPart(hello(), 'q');
  assert.is.not(t, q);
  assert.ok(q.ja4.startsWith('q13'));
});

test('many kinds: the table stays bounded and answers stay right', () => {
  for (let i = 0; i < 10000; i++) {
    const code = 0xc000 + (i % 5000);
    const p = clientPart(hello({ cipherSuites: [0x1301, code] }), 't');
    assert.is(p.supportedCiphers.length, code === 0xcaca ? 1 : 2); // 0xcaca is GREASE
  }
  const again = clientPart(hello({ cipherSuites: [0x1301, 0xc02b] }), 't');
  assert.is(again.supportedCiphers[1], 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
});

test.run();
