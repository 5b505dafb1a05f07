// Byte builders for the binary cleartext protocols (PostgreSQL, MySQL, LDAP, RDP,
// SOCKS) and a driver that feeds an exchange to an app parser the way the flow
// inspector does: per direction, in chunks, stopping a direction at its split and the
// whole parser once it is done. Used by the parser-binary*.test.mjs suites.
import * as assert from 'uvu/assert';
import { createAppParser } from '../../agent/dist/protocols/app-parser.js';
import '../../agent/dist/protocols/binary-parsers.js';
import { CT, HS, cat, clientHelloBody, handshake, record, serverHelloBody, EXT } from './tls-builder.mjs';

export { cat };
export const b = (...parts) => cat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Array.isArray(p) ? Buffer.from(p) : p)));
export const be32 = (n) => Buffer.from([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
export const be16 = (n) => Buffer.from([(n >> 8) & 255, n & 255]);
export const le16 = (n) => Buffer.from([n & 255, (n >> 8) & 255]);
export const le24 = (n) => Buffer.from([n & 255, (n >> 8) & 255, (n >> 16) & 255]);
export const le32 = (n) => Buffer.from([n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255]);
export const z = (s) => b(s, [0]);

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
  return { next, int: (n) => next() % n, bytes: (n) => Buffer.from(Array.from({ length: n }, () => next() & 255)) };
}

// ---- TLS hellos (real ones, so that the TLS parser accepts them)
export const clientHello = (sni = 'db.example') =>
  record(CT.handshake, handshake(HS.clientHello, clientHelloBody({ ciphers: [0xc02f, 0x1301], extensions: [EXT.sni(sni), EXT.groups([29, 23])] })), 0x0301);
export const serverHello = () => record(CT.handshake, handshake(HS.serverHello, serverHelloBody({ cipher: 0xc02f })));

// ---- PostgreSQL
export const pg = {
  sslRequest: () => b(be32(8), be32(80877103)),
  gssRequest: () => b(be32(8), be32(80877104)),
  cancel: () => b(be32(16), be32(80877102), be32(1234), be32(5678)),
  startup(params = { user: 'alice', database: 'shop', application_name: 'psql' }, version = 0x00030000) {
    const body = b(...Object.entries(params).flatMap(([k, v]) => [z(k), z(v)]), [0]);
    return b(be32(8 + body.length), be32(version), body);
  },
  typed: (type, body = Buffer.alloc(0)) => b(type, be32(4 + body.length), body),
  auth: (code, extra = Buffer.alloc(0)) => pg.typed('R', b(be32(code), extra)),
  saslMechs: (...names) => pg.auth(10, b(...names.map(z), [0])),
  password: (pw) => pg.typed('p', z(pw)),
  saslInitial: (mech, data) => pg.typed('p', b(z(mech), be32(data.length), data)),
  error: (severity, code, msg = 'failed') => pg.typed('E', b('S', z(severity), 'V', z(severity), 'C', z(code), 'M', z(msg), [0])),
  param: (name, value) => pg.typed('S', b(z(name), z(value))),
  ready: () => pg.typed('Z', b('I')),
  query: (sql) => pg.typed('Q', z(sql)),
};

// ---- MySQL
export const CAP = {
  CONNECT_WITH_DB: 0x8,
  PROTOCOL_41: 0x200,
  SSL: 0x800,
  SECURE_CONNECTION: 0x8000,
  PLUGIN_AUTH: 0x80000,
  CONNECT_ATTRS: 0x100000,
  LENENC_DATA: 0x200000,
};
const lenencStr = (s) => b([Buffer.byteLength(s, 'latin1')], s);
export const my = {
  packet: (seq, payload) => b(le24(payload.length), [seq], payload),
  greeting({ version = '8.0.36', caps = 0xffffffff, plugin = 'caching_sha2_password' } = {}) {
    const scramble = Buffer.alloc(20, 0x41);
    return my.packet(0, b([10], z(version), le32(77), scramble.subarray(0, 8), [0], le16(caps & 0xffff), [0xff], le16(2), le16(caps >>> 16), [21], Buffer.alloc(10), scramble.subarray(8), [0], z(plugin)));
  },
  sslRequest: (caps = CAP.PROTOCOL_41 | CAP.SSL | CAP.SECURE_CONNECTION | CAP.PLUGIN_AUTH) => my.packet(1, b(le32(caps), le32(1 << 24), [0xff], Buffer.alloc(23))),
  login({ seq = 1, user = 'root', auth = Buffer.alloc(20, 0x5a), db = null, plugin = 'mysql_native_password', attrs = null, caps = CAP.PROTOCOL_41 | CAP.SECURE_CONNECTION | CAP.PLUGIN_AUTH | CAP.LENENC_DATA } = {}) {
    if (db !== null) caps |= CAP.CONNECT_WITH_DB;
    if (attrs !== null) caps |= CAP.CONNECT_ATTRS;
    const authPart = caps & CAP.LENENC_DATA ? b([auth.length], auth) : caps & CAP.SECURE_CONNECTION ? b([auth.length], auth) : b(auth, [0]);
    const attrPart = attrs === null ? [] : (() => {
      const kv = b(...Object.entries(attrs).flatMap(([k, v]) => [lenencStr(k), lenencStr(v)]));
      return b([kv.length], kv);
    })();
    return my.packet(seq, b(le32(caps), le32(1 << 24), [0xff], Buffer.alloc(23), z(user), authPart, db === null ? [] : z(db), caps & CAP.PLUGIN_AUTH ? z(plugin) : [], attrPart));
  },
  ok: (seq) => my.packet(seq, b([0, 0, 0], le16(2), le16(0))),
  err: (seq, code, msg = 'Access denied') => my.packet(seq, b([0xff], le16(code), '#28000', msg)),
  authSwitch: (seq, plugin, data = Buffer.alloc(21, 0x42)) => my.packet(seq, b([0xfe], z(plugin), data)),
  query: (sql) => my.packet(0, b([3], sql)),
};

// ---- LDAP (BER)
export function berLen(n, longForm = false) {
  if (n < 128 && !longForm) return Buffer.from([n]);
  return Buffer.from([0x84, (n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
}
export const tlv = (tag, content = Buffer.alloc(0), longForm = false) => {
  const c = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return b([tag], berLen(c.length, longForm), c);
};
export const berInt = (tag, n) => {
  const bytes = [];
  do {
    bytes.unshift(n & 255);
    n = Math.floor(n / 256);
  } while (n > 0);
  if (bytes[0] & 0x80) bytes.unshift(0);
  return tlv(tag, Buffer.from(bytes));
};
export const STARTTLS_OID = '1.3.6.1.4.1.1466.20037';
export const ldap = {
  message: (id, op, longForm = false) => tlv(0x30, b(berInt(0x02, id), op), longForm),
  result: (code, diag = '') => b(berInt(0x0a, code), tlv(0x04), tlv(0x04, diag)),
  bindSimple: (id, dn, pw, longForm = false) => ldap.message(id, tlv(0x60, b(berInt(0x02, 3), tlv(0x04, dn), tlv(0x80, pw)), longForm), longForm),
  bindSasl: (id, mech, creds = null, dn = '') => ldap.message(id, tlv(0x60, b(berInt(0x02, 3), tlv(0x04, dn), tlv(0xa3, b(tlv(0x04, mech), creds === null ? [] : tlv(0x04, creds)))))),
  bindSicily: (id, tag = 0x8a, token = Buffer.from('NTLMSSP\0')) => ldap.message(id, tlv(0x60, b(berInt(0x02, 3), tlv(0x04, ''), tlv(tag, token)))),
  bindResponse: (id, code, saslCreds = null) => ldap.message(id, tlv(0x61, b(ldap.result(code), saslCreds === null ? [] : tlv(0x87, saslCreds)))),
  startTls: (id) => ldap.message(id, tlv(0x77, tlv(0x80, STARTTLS_OID))),
  extendedResponse: (id, code, name = null) => ldap.message(id, tlv(0x78, b(ldap.result(code), name === null ? [] : tlv(0x8a, name)))),
  search: (id, base = '') => ldap.message(id, tlv(0x63, b(tlv(0x04, base), berInt(0x0a, 0), berInt(0x0a, 0), berInt(0x02, 0), berInt(0x02, 0), tlv(0x01, [0]), tlv(0x87, 'objectClass'), tlv(0x30)))),
  searchEntry(id, dn, attrs) {
    const list = Object.entries(attrs).map(([k, vs]) => tlv(0x30, b(tlv(0x04, k), tlv(0x31, b(...vs.map((v) => tlv(0x04, v)))))));
    return ldap.message(id, tlv(0x64, b(tlv(0x04, dn), tlv(0x30, b(...list)))));
  },
  searchDone: (id) => ldap.message(id, tlv(0x65, ldap.result(0))),
  unbind: (id) => ldap.message(id, b([0x42, 0])),
};

// ---- RDP
export const rdp = {
  tpkt: (x224) => b([3, 0], be16(4 + x224.length), x224),
  request({ cookie = null, requested = 3, neg = true } = {}) {
    const variable = b(cookie === null ? [] : b('Cookie: ', cookie, '\r\n'), neg ? b([1, 0], le16(8), le32(requested)) : []);
    return rdp.tpkt(b([6 + variable.length, 0xe0, 0, 0, 0, 0, 0], variable));
  },
  confirm({ selected = 1, failure = null, neg = true } = {}) {
    const variable = !neg ? Buffer.alloc(0) : failure !== null ? b([3, 0], le16(8), le32(failure)) : b([2, 0x1f], le16(8), le32(selected));
    return rdp.tpkt(b([6 + variable.length, 0xd0, 0, 0, 0x12, 0x34, 0], variable));
  },
  /** MCS Connect-Response carrying server data blocks (core, security with method/level, network). */
  connectResponse(method = 2, level = 2) {
    const blocks = b(le16(0x0c01), le16(12), le32(0x00080004), le32(0), le16(0x0c02), le16(12), le32(method), le32(level), le16(0x0c03), le16(8), le16(1003), le16(0));
    const gcc = b([0, 5, 0, 0x14, 0x7c, 0, 1, 0x2a, 0x14, 0x76, 0x0a, 1, 1, 0, 1, 0xc0, 0], 'McDn', [0x80 | (blocks.length >> 8), blocks.length & 255], blocks);
    const ber = b([0x7f, 0x66], berLen(gcc.length + 20, true), [0x0a, 1, 0, 0x02, 1, 0, 0x30, 0x0a], Buffer.alloc(10, 2), [0x04], berLen(gcc.length, true), gcc);
    return rdp.tpkt(b([2, 0xf0, 0x80], ber));
  },
  mcsInitial: () => rdp.tpkt(b([2, 0xf0, 0x80], [0x7f, 0x65, 0x10], Buffer.alloc(16, 1))),
};

// ---- SOCKS
const ipv4 = (s) => Buffer.from(s.split('.').map(Number));
export const socks = {
  v4request: ({ cmd = 1, port = 443, ip = '93.184.216.34', user = '', host = null } = {}) => b([4, cmd], be16(port), ipv4(host === null ? ip : '0.0.0.1'), z(user), host === null ? [] : z(host)),
  v4reply: (code = 90) => b([0, code], be16(0), [0, 0, 0, 0]),
  greeting: (...methods) => b([5, methods.length], methods),
  method: (m) => b([5, m]),
  auth: (user, pw) => b([1, Buffer.byteLength(user)], user, [Buffer.byteLength(pw)], pw),
  authStatus: (s = 0) => b([1, s]),
  request({ cmd = 1, host = 'www.example.com', ip = null, ip6 = null, port = 443 } = {}) {
    const addr = ip !== null ? b([1], ipv4(ip)) : ip6 !== null ? b([4], ip6) : b([3, host.length], host);
    return b([5, cmd, 0], addr, be16(port));
  },
  reply: (rep = 0) => b([5, rep, 0, 1], [10, 0, 0, 1], be16(50000)),
};

// ---- the driver
/**
 * Feeds `steps` ([fromClient, bytes] in time order) to a new parser for `protocol`,
 * each step cut by `chunker(bytes, fromClient)` into pieces (each handed over inside a
 * larger buffer at an offset, to check off/len handling). Returns the parser, where
 * each direction split (stream offset, or null) and the bytes after the split.
 */
export function drive(protocol, steps, chunker = (x) => [x]) {
  const parser = createAppParser(protocol);
  assert.ok(parser, `no parser registered for ${protocol}`);
  const dirs = { c: { fed: 0, split: null, rest: [], ignored: 0 }, s: { fed: 0, split: null, rest: [], ignored: 0 } };
  for (const [fromClient, bytes] of steps) {
    const d = dirs[fromClient ? 'c' : 's'];
    for (const piece of chunker(bytes, fromClient)) {
      if (piece.length === 0) continue;
      if (d.split !== null) {
        d.rest.push(piece);
        continue;
      }
      if (parser.done) {
        d.ignored += piece.length;
        continue;
      }
      const host = Buffer.concat([Buffer.from([0xee, 0xee, 0xee]), piece, Buffer.from([0xdd, 0xdd])]);
      const used = parser.feed(fromClient, host, 3, piece.length);
      assert.ok(Number.isInteger(used) && used >= 0 && used <= piece.length, `feed returned ${used} for ${piece.length} bytes`);
      if (used < piece.length) {
        d.split = d.fed + used;
        d.rest.push(piece.subarray(used));
      }
      d.fed += piece.length;
    }
  }
  parser.end();
  return { parser, facts: parser.facts, split: { c: dirs.c.split, s: dirs.s.split }, rest: { c: Buffer.concat(dirs.c.rest), s: Buffer.concat(dirs.s.rest) }, done: parser.done };
}

export const whole = (x) => [x];
export const bytewise = (x) => Array.from({ length: x.length }, (_, i) => x.subarray(i, i + 1));
export function randomChunks(seed) {
  const r = prng(seed);
  return (x) => {
    const out = [];
    for (let p = 0; p < x.length; ) {
      const n = 1 + r.int(Math.min(x.length - p, r.int(4) === 0 ? 64 : 7));
      out.push(x.subarray(p, p + n));
      p += n;
    }
    return out;
  };
}

/** Consecutive steps of the same direction joined (several messages per segment). */
export function coalesce(steps) {
  const out = [];
  for (const [dir, bytes] of steps) {
    if (out.length && out[out.length - 1][0] === dir) out[out.length - 1][1] = Buffer.concat([out[out.length - 1][1], bytes]);
    else out.push([dir, bytes]);
  }
  return out;
}

/**
 * Runs an exchange whole, coalesced, byte by byte and in random chunkings; every run
 * must give the same facts, splits and upgraded bytes; returns the first run.
 */
export function driveAll(protocol, steps, seeds = 40) {
  const first = drive(protocol, steps);
  const key = (r) => JSON.stringify({ facts: r.facts, split: r.split, c: r.rest.c.toString('hex'), s: r.rest.s.toString('hex'), done: r.done });
  const want = key(first);
  const runs = [drive(protocol, coalesce(steps)), drive(protocol, steps, bytewise)];
  for (let s = 1; s <= seeds; s++) runs.push(drive(protocol, steps, randomChunks(s)));
  runs.push(drive(protocol, coalesce(steps), randomChunks(999)));
  runs.forEach((r, i) => assert.is(key(r), want, `chunking #${i} differs`));
  return first;
}

/** Where `needle` starts in the concatenation of one direction's steps. */
export function offsetOf(steps, fromClient, needle) {
  const all = Buffer.concat(steps.filter(([d]) => d === fromClient).map(([, x]) => x));
  const i = all.indexOf(needle);
  assert.ok(i >= 0, 'needle not in stream');
  return i;
}
