// Random but well-framed TLS handshake messages: ClientHellos with random extensions (known
// ones with plausible bodies, unknown and GREASE ones, duplicates), ServerHellos, Certificate
// messages (harvested real certificates, mutated ones, or random DER trees), and the other
// cleartext messages. Every length is right unless the caller corrupts it afterwards.

import { cat, u8, u16, u24, vec8, vec16, vec24, varint } from './bytes.mjs';

const GREASE = [0x0a0a, 0x1a1a, 0x2a2a, 0x3a3a, 0x4a4a, 0x5a5a, 0x6a6a, 0x7a7a, 0x8a8a, 0x9a9a, 0xaaaa, 0xbaba, 0xcaca, 0xdada, 0xeaea, 0xfafa];
const CIPHERS = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035, 0x000a, 0x0005, 0x0004, 0x0000, 0x00ff, 0x5600, 0x0016, 0x0033, 0xc009, 0xc00a];
const GROUPS = [0x001d, 0x0017, 0x0018, 0x0019, 0x001e, 0x0100, 0x0101, 0x11ec, 0x6399, 0x0200, 0xfe30];
const SIGALGS = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601, 0x0201, 0x0203, 0x0807, 0x0808];
const VERSIONS = [0x0304, 0x0303, 0x0302, 0x0301, 0x0300, 0x7f1c, 0xfefc, 0xfefd, 0xfeff, 0x0002];
const ALPN = ['h2', 'http/1.1', 'h3', 'acme-tls/1', 'spdy/3', 'imap', 'smtp', 'dot', 'xmpp-client', '\u00ff\u0000', ''];
const HOSTS = ['example.com', 'a.b.c.d.e.f.example.org', 'xn--bcher-kva.example', 'localhost', '192.0.2.1', '', 'UPPER.Example.COM', 'with space.test', 'trailing.dot.', '\u0000nul.example', '\u00e9t\u00e9.fr'];

const u16list = (l) => cat(l.map(u16));

function randomList(rng, pool, max, grease = true) {
  const n = rng.size(max);
  const out = [];
  for (let i = 0; i < n; i++) out.push(grease && rng.chance(0.1) ? rng.pick(GREASE) : rng.chance(0.85) ? rng.pick(pool) : rng.u32() & 0xffff);
  return out;
}

function host(rng) {
  if (rng.chance(0.2)) return rng.bytes(rng.size(300));
  if (rng.chance(0.1)) return Buffer.from('x'.repeat(rng.range(60, 300)) + '.example');
  return Buffer.from(rng.pick(HOSTS), 'latin1');
}

const ext = (type, body) => cat(u16(type), vec16(body));

/** One random extension for a ClientHello (`quic`: may carry transport parameters). */
function clientExtension(rng, quic) {
  const kind = rng.int(22);
  switch (kind) {
    case 0:
      return ext(0, vec16(cat(u8(rng.chance(0.9) ? 0 : rng.int(256)), vec16(host(rng)))));
    case 1:
      return ext(10, vec16(u16list(randomList(rng, GROUPS, 12))));
    case 2:
      return ext(11, vec8(Buffer.from([0, 1, 2].slice(0, rng.range(0, 3)))));
    case 3:
      return ext(13, vec16(u16list(randomList(rng, SIGALGS, 20, false))));
    case 4:
      return ext(16, vec16(cat(Array.from({ length: rng.size(6) }, () => vec8(Buffer.from(rng.pick(ALPN), 'latin1'))))));
    case 5:
      return ext(43, vec8(u16list(randomList(rng, VERSIONS, 6))));
    case 6:
      return ext(51, vec16(cat(Array.from({ length: rng.size(4) }, () => cat(u16(rng.chance(0.8) ? rng.pick(GROUPS) : rng.pick(GREASE)), vec16(rng.bytes(rng.pick([1, 32, 65, 97, 1120, 1216]))))))));
    case 7:
      return ext(45, vec8(Buffer.from([1, 0].slice(0, rng.range(0, 2)))));
    case 8:
      return ext(41, cat(vec16(cat(vec16(rng.bytes(rng.size(64))), u32le(rng.u32()))), vec16(vec8(rng.bytes(32)))));
    case 9:
      return ext(23, Buffer.alloc(0));
    case 10:
      return ext(35, rng.bytes(rng.size(200)));
    case 11:
      return ext(0xff01, vec8(rng.bytes(rng.size(12))));
    case 12:
      return ext(21, Buffer.alloc(rng.size(512)));
    case 13:
      return ext(0xfe0d, cat(u8(rng.int(2)), u16(1), u16(1), u8(rng.int(256)), vec16(rng.bytes(32)), vec16(rng.bytes(rng.size(300)))));
    case 14:
      return ext(rng.pick(GREASE), rng.chance(0.5) ? Buffer.alloc(0) : u8(0));
    case 15:
      return ext(quic ? rng.pick([57, 0xffa5]) : rng.u32() & 0xffff, quic ? transportParameters(rng) : rng.bytes(rng.size(64)));
    case 16:
      return ext(5, cat(u8(1), vec16(rng.bytes(rng.size(8))), vec16(rng.bytes(rng.size(8)))));
    case 17:
      return ext(28, u16(rng.pick([16385, 512, 0, 65535])));
    case 18:
      return ext(27, vec8(u16list([1, 2, 3].slice(0, rng.range(0, 3)))));
    case 19:
      return ext(17513, vec16(cat(Array.from({ length: rng.size(3) }, () => vec8(Buffer.from(rng.pick(ALPN), 'latin1'))))));
    case 20:
      return ext(44, vec16(rng.bytes(rng.range(1, 64))));
    default:
      return ext(rng.u32() & 0xffff, rng.bytes(rng.size(40)));
  }
}

function u32le(n) {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

/** QUIC transport parameters: a random mix of known and unknown ids. */
export function transportParameters(rng) {
  const parts = [];
  const n = rng.size(16);
  for (let i = 0; i < n; i++) {
    const id = rng.chance(0.7) ? rng.pick([0, 1, 3, 4, 5, 6, 7, 8, 9, 0xa, 0xb, 0xc, 0xd, 0xe, 0xf, 0x10, 0x20, 0x2ab2, 0xff04de1b]) : rng.u32() & 0x3fffffff;
    const body = rng.chance(0.6) ? varint(rng.u32() & 0x3fffffff) : rng.bytes(rng.size(40));
    parts.push(varint(id), varint(body.length), body);
  }
  return cat(parts);
}

/** A ClientHello message (4-byte handshake header included). `dtls` adds the cookie field. */
export function clientHello(rng, { dtls = false, quic = false } = {}) {
  const version = dtls ? rng.pick([0xfefd, 0xfeff, 0xfefc]) : rng.chance(0.8) ? 0x0303 : rng.pick(VERSIONS);
  const ciphers = randomList(rng, CIPHERS, 40);
  if (ciphers.length === 0 && rng.chance(0.7)) ciphers.push(0x1301);
  const exts = [];
  const n = rng.size(24);
  for (let i = 0; i < n; i++) exts.push(clientExtension(rng, quic));
  if (rng.chance(0.1) && exts.length) exts.push(rng.pick(exts)); // a duplicate extension
  const body = cat(
    u16(version),
    rng.bytes(32),
    vec8(rng.bytes(rng.chance(0.5) ? 32 : rng.size(32))),
    dtls ? vec8(rng.bytes(rng.chance(0.6) ? 0 : rng.size(32))) : [],
    vec16(u16list(ciphers)),
    vec8(Buffer.from(rng.chance(0.9) ? [0] : [1, 0])),
    rng.chance(0.95) ? vec16(cat(exts)) : [],
  );
  return handshake(1, body, dtls);
}

/** A ServerHello (TLS 1.2 or 1.3 layout, or an HRR). */
export function serverHello(rng, { dtls = false } = {}) {
  const tls13 = rng.chance(0.5);
  const exts = [];
  if (tls13) exts.push(ext(43, u16(dtls ? 0xfefc : rng.chance(0.9) ? 0x0304 : rng.pick(VERSIONS))));
  if (tls13 || rng.chance(0.3)) exts.push(ext(51, rng.chance(0.2) ? u16(rng.pick(GROUPS)) : cat(u16(rng.pick(GROUPS)), vec16(rng.bytes(rng.pick([32, 65, 1120]))))));
  if (rng.chance(0.3)) exts.push(ext(16, vec16(vec8(Buffer.from(rng.pick(ALPN), 'latin1')))));
  if (rng.chance(0.2)) exts.push(ext(41, u16(rng.int(3))));
  if (rng.chance(0.2)) exts.push(ext(0xff01, vec8(Buffer.alloc(0))));
  if (rng.chance(0.2)) exts.push(ext(rng.u32() & 0xffff, rng.bytes(rng.size(20))));
  const random = rng.chance(0.1) ? Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex') : rng.bytes(32);
  const body = cat(
    u16(dtls ? 0xfefd : rng.chance(0.85) ? 0x0303 : rng.pick(VERSIONS)),
    random,
    vec8(rng.bytes(rng.chance(0.5) ? 32 : rng.size(32))),
    u16(rng.chance(0.8) ? rng.pick(CIPHERS) : rng.u32() & 0xffff),
    u8(rng.chance(0.95) ? 0 : 1),
    exts.length || rng.chance(0.5) ? vec16(cat(exts)) : [],
  );
  return handshake(2, body, dtls);
}

/** A random DER tree (SEQUENCE / SET / INTEGER / OID / strings / BIT STRING, nested). */
export function randomDer(rng, depth = 0) {
  const leaf = depth > 5 || rng.chance(0.35);
  if (leaf) {
    const tag = rng.pick([0x02, 0x06, 0x0c, 0x13, 0x16, 0x17, 0x18, 0x03, 0x04, 0x05, 0x01, 0x1e, 0x80, 0x82, 0x86, 0x87]);
    let body;
    if (tag === 0x06) body = Buffer.from(rng.pick(['2a864886f70d010101', '2a864886f70d01010b', '550403', '551d11', '2a8648ce3d0201', '2a8648ce3d030107', '2b6570', '06']), 'hex');
    else if (tag === 0x17) body = Buffer.from(rng.pick(['250101000000Z', '991231235959Z', '000000000000Z', 'garbage', '49123123595Z']), 'latin1');
    else if (tag === 0x18) body = Buffer.from(rng.pick(['20500101000000Z', '99991231235959Z', '00000000000000Z', '2024']), 'latin1');
    else if (tag === 0x05) body = Buffer.alloc(0);
    else body = rng.bytes(rng.size(rng.chance(0.05) ? 600 : 40));
    return der(tag, body);
  }
  const tag = rng.pick([0x30, 0x31, 0xa0, 0xa3, 0x30, 0x30]);
  const n = rng.size(8);
  return der(tag, cat(Array.from({ length: n }, () => randomDer(rng, depth + 1))));
}

export function der(tag, body) {
  const n = body.length;
  const len = n < 0x80 ? u8(n) : n < 0x100 ? cat(u8(0x81), u8(n)) : n < 0x10000 ? cat(u8(0x82), u16(n)) : cat(u8(0x83), u24(n));
  return cat(u8(tag), len, body);
}

/** A TLS 1.2 Certificate message of the given DER certificates. */
export function certificateMessage(ders, { tls13 = false, dtls = false } = {}) {
  const entries = ders.map((d) => (tls13 ? cat(vec24(d), vec16(Buffer.alloc(0))) : vec24(d)));
  return handshake(11, cat(tls13 ? vec8(Buffer.alloc(0)) : [], vec24(cat(entries))), dtls);
}

/** One of the other cleartext handshake messages, random body. */
export function otherMessage(rng, dtls = false) {
  const type = rng.pick([0, 4, 8, 12, 13, 14, 15, 16, 20, 22, 24, 254, rng.int(256)]);
  let body;
  if (type === 12) body = rng.chance(0.5) ? cat(u8(3), u16(rng.pick(GROUPS)), vec8(rng.bytes(rng.pick([32, 65]))), u16(0x0804), vec16(rng.bytes(256))) : cat(vec16(rng.bytes(rng.size(512))), vec16(u8(2)), vec16(rng.bytes(rng.size(256))));
  else if (type === 13) body = cat(vec8(Buffer.from([1, 64])), vec16(u16list(randomList(rng, SIGALGS, 10, false))), vec16(rng.bytes(rng.size(100))));
  else if (type === 14) body = Buffer.alloc(0);
  else if (type === 22) body = cat(u8(1), vec24(rng.bytes(rng.size(300))));
  else body = rng.bytes(rng.size(200));
  return handshake(type, body, dtls);
}

/** Handshake header: TLS (4 bytes) or DTLS (12 bytes, one whole fragment, message_seq 0). */
export function handshake(type, body, dtls = false) {
  if (!dtls) return cat(u8(type), vec24(body));
  return cat(u8(type), u24(body.length), u16(0), u24(0), u24(body.length), body);
}

/** Handshake bytes packed into TLS records of random sizes (record layer fragmentation). */
export function recordsOf(rng, type, bytes, version = 0x0303) {
  const out = [];
  let p = 0;
  const maxRec = rng.chance(0.5) ? 16384 : rng.range(1, 600);
  do {
    const n = Math.min(bytes.length - p, rng.range(1, maxRec));
    out.push(cat(u8(type), u16(version), vec16(bytes.subarray(p, p + n))));
    p += n;
  } while (p < bytes.length);
  return cat(out);
}
