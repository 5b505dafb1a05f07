// JA4 (TLS client) against FoxIO's published values: the spec's worked example, every
// record of the conformance corpus that carries the Python tool's raw strings (ClientHellos
// rebuilt from JA4_ro), and hand-built edge cases (no extensions, no ciphers, SSLv2-format
// hello, QUIC / DTLS, GREASE, non-ASCII and one-character ALPN, > 99 entries).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { ja4, ja4Raw, ja4Original } from '../../agent/dist/protocols/tls/fingerprint/ja4.js';

const CORPUS = '/work/shared/corpus/ja4/expected.json';

function hello(over = {}) {
  const ch = {
    format: 'tls', recordVersion: 0x0301, legacyVersion: 0x0303, random: null, sessionId: Buffer.alloc(0),
    cookie: null, cipherSuites: [], compressionMethods: [0], extensions: [], serverName: null, alpn: [],
    supportedGroups: [], ecPointFormats: [], signatureAlgorithms: [], supportedVersions: [], keyShareGroups: [],
    sessionTicket: false, sessionTicketLength: 0, pskOffered: false, pskModes: [], echOffered: false,
    quicTransportParameters: null, truncated: false, ...over,
  };
  if (over.extTypes) ch.extensions = over.extTypes.map((type) => ({ type, length: 0 }));
  return ch;
}

const sha12 = (s) => createHash('sha256').update(s).digest('hex').slice(0, 12);

// The spec's example (technical_details/JA4.md) and its published hashes.
const SPEC_CIPHERS = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035];
const SPEC_EXTS = [0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015];
const SPEC_SIGS = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601];
const specHello = (over = {}) => hello({
  cipherSuites: [0x0a0a, ...SPEC_CIPHERS], extTypes: [0x2a2a, ...SPEC_EXTS, 0x3a3a], signatureAlgorithms: SPEC_SIGS,
  supportedVersions: [0x6a6a, 0x0304, 0x0303], alpn: ['h2', 'http/1.1'], serverName: 'example.com', ...over,
});

test('spec example: JA4, JA4_r, JA4_o, JA4_ro', () => {
  const ch = specHello();
  assert.is(ja4(ch, 't'), 't13d1516h2_8daaf6152771_e5627efa2ab1');
  assert.is(ja4Raw(ch, 't'), 't13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601');
  assert.is(ja4Original(ch, 't'), 't13d1516h2_acb858a92679_18f69afefd3d');
  assert.is(ja4Raw(ch, 't', true), 't13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015_0403,0804,0401,0503,0805,0501,0806,0601');
});

test('spec example without signature algorithms: no trailing underscore (6d807ffa2a79)', () => {
  const ch = specHello({ signatureAlgorithms: [] });
  assert.is(ja4(ch, 't').split('_')[2], '6d807ffa2a79');
  assert.ok(ja4Raw(ch, 't').endsWith('4469,ff01'));
});

test('QUIC and DTLS prefixes and DTLS version codes', () => {
  assert.ok(ja4(specHello(), 'q').startsWith('q13d1516h2_'));
  const d = (sv, legacy = 0xfefd) => ja4(hello({ format: 'dtls', legacyVersion: legacy, supportedVersions: sv, extTypes: sv.length ? [0x002b] : [] }), 'd').slice(1, 3);
  assert.is(d([]), 'd2');
  assert.is(d([], 0xfeff), 'd1');
  assert.is(d([0xfefc, 0xfefd]), 'd3'); // newest DTLS version, although numerically smallest
  assert.is(d([0xfefd, 0xfefc, 0x2a2a]), 'd3');
  assert.is(d([0xfefd]), 'd2');
});

test('versions: supported_versions wins only when the extension is present; unknown → 00', () => {
  const v = (over) => ja4(hello(over), 't').slice(1, 3);
  assert.is(v({ legacyVersion: 0x0301 }), '10');
  assert.is(v({ legacyVersion: 0x0300 }), 's3');
  assert.is(v({ legacyVersion: 0x0002 }), 's2');
  assert.is(v({ legacyVersion: 0x0303, supportedVersions: [0x0304], extTypes: [] }), '12');
  assert.is(v({ legacyVersion: 0x0303, supportedVersions: [0x0304, 0x7f17], extTypes: [0x002b] }), '00'); // draft is numerically highest
  assert.is(v({ legacyVersion: 0x0303, supportedVersions: [0x0a0a], extTypes: [0x002b] }), '12'); // only GREASE: legacy
  assert.is(v({ legacyVersion: 0x1234 }), '00');
});

test('no extensions, no ciphers: zero hashes, counts 00, IP destination', () => {
  const ch = hello({ legacyVersion: 0x0303 });
  assert.is(ja4(ch, 't'), 't12i000000_000000000000_000000000000');
  assert.is(ja4Raw(ch, 't'), 't12i000000__');
  // SNI and ALPN only: the hashed extension list is empty too.
  const sniOnly = hello({ cipherSuites: [0x002f], extTypes: [0x0000, 0x0010], alpn: ['h2'] });
  assert.is(ja4(sniOnly, 't'), `t12d0102h2_${sha12('002f')}_000000000000`);
  // JA4_o keeps SNI/ALPN in its list, but c is zeros whenever the list without them is
  // empty (FoxIO Python; corpus https3-301-get.pcap JA4_o).
  assert.is(ja4Original(sniOnly, 't').split('_')[2], '000000000000');
  assert.is(ja4Original(hello({ extTypes: [0x0000, 0x0017] }), 't').split('_')[2], sha12('0000,0017'));
});

test('SSLv2-format hello: client_version, 16-bit suites only, no extensions', () => {
  const ch = hello({ format: 'ssl2', recordVersion: 0, legacyVersion: 0x0301, cipherSuites: [0x0039, 0x0038, 0x0035, 0x0016, 0x0013, 0x000a, 0x0033, 0x0032, 0x002f, 0x0005, 0x0004, 0x0015, 0x0012, 0x0009, 0x0014, 0x0011, 0x0008, 0x0006, 0x0003, 0x00ff] });
  assert.is(ja4Raw(ch, 't'), 't10i200000_0003,0004,0005,0006,0008,0009,000a,0011,0012,0013,0014,0015,0016,002f,0032,0033,0035,0038,0039,00ff_');
  assert.is(ja4(ch, 't').split('_')[2], '000000000000');
  assert.is(ja4(hello({ format: 'ssl2', legacyVersion: 0x0002, cipherSuites: [0x0004] }), 't').slice(0, 4), 'ts2i');
});

test('GREASE is ignored in ciphers, extensions, versions and signature algorithms', () => {
  const plain = specHello();
  const greased = specHello({ signatureAlgorithms: [0x1a1a, ...SPEC_SIGS], cipherSuites: [0xfafa, ...SPEC_CIPHERS, 0xdada] });
  assert.is(ja4(greased, 't'), ja4(plain, 't'));
});

test('counts cap at 99, SCSVs count', () => {
  const many = Array.from({ length: 120 }, (_, i) => 0x0100 + i);
  const ch = hello({ cipherSuites: [...many, 0x00ff, 0x5600], extTypes: Array.from({ length: 130 }, (_, i) => 0x0100 + i) });
  assert.is(ja4(ch, 't').slice(4, 8), '9999');
  assert.is(ja4(hello({ cipherSuites: [0x00ff, 0x5600, 0x0a0a] }), 't').slice(4, 6), '02');
});

test('ALPN characters: reference mode (corpus) and spec mode', () => {
  const a = (alpn, mode) => ja4(hello({ alpn, extTypes: [0x0010] }), 't', mode ? { alpn: mode } : undefined).slice(8, 10);
  assert.is(a(['http/1.1']), 'h1');
  assert.is(a(['h2', 'http/1.1']), 'h2');
  assert.is(a([]), '00');
  assert.is(a(['']), '00');
  assert.is(a(['\xba\xad', 'http/1.1']), '99'); // tls-non-ascii-alpn.pcapng expectation
  assert.is(a(['\ufffd\ufffd']), '99'); // same bytes decoded lossily as UTF-8
  assert.is(a(['x\xff']), 'x9');
  assert.is(a(['h']), 'h0'); // reference implementations: no last character
  assert.is(a(['spdy/3.1']), 's1');
  // Spec text (JA4.md): hex of the whole value when an end byte is not alphanumeric.
  assert.is(a(['\xab'], 'spec'), 'ab');
  assert.is(a(['\xab\xcd'], 'spec'), 'ad');
  assert.is(a(['0\xab'], 'spec'), '3b');
  assert.is(a(['01\xab\xcd'], 'spec'), '3d');
  assert.is(a(['0\xab\xcd1'], 'spec'), '01');
  assert.is(a(['\xba\xad'], 'spec'), 'bd');
  assert.is(a(['h'], 'spec'), 'hh');
  assert.is(a(['h2'], 'spec'), 'h2');
});

// Rebuild a ClientHello from the Python tool's JA4_ro: a-part, wire-order ciphers,
// wire-order extensions (SNI and ALPN kept), signature algorithms.
const VERSIONS = { 13: 0x0304, 12: 0x0303, 11: 0x0302, 10: 0x0301, s3: 0x0300, s2: 0x0002, d1: 0xfeff, d2: 0xfefd, d3: 0xfefc };
function fromRawOriginal(ro) {
  const [a, c, e, s] = ro.split('_');
  const hex = (l) => (l ? l.split(',').map((x) => parseInt(x, 16)) : []);
  const extTypes = hex(e);
  const version = VERSIONS[a.slice(1, 3)] ?? 0x1234;
  const alpnChars = a.slice(8, 10);
  const alpn = alpnChars === '00' ? [] : alpnChars === '99' ? ['\xba\xad'] : [alpnChars];
  const hasSv = extTypes.includes(0x002b);
  return {
    transport: a[0],
    ch: hello({ cipherSuites: hex(c), extTypes, signatureAlgorithms: hex(s), alpn, legacyVersion: hasSv ? 0x0303 : version, supportedVersions: hasSv ? [version] : [] }),
  };
}

test('corpus: every record with FoxIO Python raw strings (JA4, JA4_r, JA4_o, JA4_ro)', () => {
  if (!existsSync(CORPUS)) {
    console.log('  (skipped: corpus absent)');
    return;
  }
  const exp = JSON.parse(readFileSync(CORPUS, 'utf8'));
  let n = 0;
  for (const [pcap, recs] of Object.entries(exp)) {
    for (const r of recs) {
      if (!r.python || !r.ja4) continue;
      const p = r.python;
      const { transport, ch } = fromRawOriginal(p.JA4_ro);
      const where = `${pcap} stream ${r.stream}`;
      assert.is(ja4Raw(ch, transport, true), p.JA4_ro, where);
      assert.is(ja4Raw(ch, transport), p.JA4_r, where);
      assert.is(ja4Original(ch, transport), p.JA4_o, where);
      assert.is(ja4(ch, transport), p.JA4, where);
      assert.is(ja4(ch, transport), r.ja4, where); // Rust snapshot
      n++;
    }
  }
  assert.ok(n >= 150, `only ${n} records checked`);
});

test.run();
