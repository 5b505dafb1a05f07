// Byte builders for TLS/SSL test inputs: records, handshake messages, hellos and their
// extensions, the messages after the hellos, SSLv2 hellos. Every function returns a Buffer;
// lengths are computed unless a test overrides them to build malformed input.
// Reused by the TLS, QUIC and DTLS unit tests.

export const HRR_RANDOM = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');

export const u8 = (n) => Buffer.from([n & 0xff]);
export const u16 = (n) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
export const u24 = (n) => Buffer.from([(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
export const cat = (...parts) => Buffer.concat(parts.flat().map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p))));
export const vec8 = (body) => cat(u8(body.length), body);
export const vec16 = (body) => cat(u16(body.length), body);
export const vec24 = (body) => cat(u24(body.length), body);
export const u16list = (values) => cat(values.map(u16));
/** `n` bytes of a repeating pattern (deterministic, non-zero). */
export const fill = (n, seed = 1) => Buffer.from(Array.from({ length: n }, (_, i) => (seed + i * 7) & 0xff || 1));

// ---- content types, handshake types
export const CT = { ccs: 20, alert: 21, handshake: 22, appData: 23, heartbeat: 24 };
export const HS = {
  helloRequest: 0, clientHello: 1, serverHello: 2, newSessionTicket: 4, encryptedExtensions: 8, certificate: 11,
  serverKeyExchange: 12, certificateRequest: 13, serverHelloDone: 14, certificateVerify: 15, clientKeyExchange: 16,
  finished: 20, certificateStatus: 22,
};

/** A TLS record: type, version (default 0x0303), body. `length` overrides the header length. */
export const record = (type, body, version = 0x0303, length = body.length) => cat(u8(type), u16(version), u16(length), body);
/** A handshake message: 4-byte header + body. `length` overrides the declared length. */
export const handshake = (type, body, length = body.length) => cat(u8(type), u24(length), body);
/** Handshake bytes split into records of at most `size` bytes each. */
export const fragment = (bytes, size, version = 0x0303) => {
  const out = [];
  for (let p = 0; p < bytes.length; p += size) out.push(record(CT.handshake, bytes.subarray(p, p + size), version));
  return cat(out);
};

// ---- extensions
export const ext = (type, body = Buffer.alloc(0)) => cat(u16(type), u16(body.length), body);
export const EXT = {
  sni: (host) => ext(0, vec16(cat(u8(0), vec16(Buffer.from(host))))),
  groups: (list) => ext(10, vec16(u16list(list))),
  pointFormats: (list) => ext(11, vec8(Buffer.from(list))),
  sigAlgs: (list) => ext(13, vec16(u16list(list))),
  alpn: (names) => ext(16, vec16(cat(names.map((n) => vec8(Buffer.from(n, 'latin1')))))),
  alpnServer: (name) => ext(16, vec16(vec8(Buffer.from(name)))),
  extendedMasterSecret: () => ext(23),
  sessionTicket: (ticket = Buffer.alloc(0)) => ext(35, ticket),
  psk: (identity = fill(32), binder = fill(32, 9)) => ext(41, cat(vec16(cat(vec16(identity), u16(0), u16(0))), vec16(vec8(binder)))),
  pskServer: (index = 0) => ext(41, u16(index)),
  supportedVersions: (list) => ext(43, vec8(u16list(list))),
  supportedVersion: (v) => ext(43, u16(v)),
  pskModes: (list) => ext(45, vec8(Buffer.from(list))),
  keyShare: (entries) => ext(51, vec16(cat(entries.map(([g, n]) => cat(u16(g), vec16(fill(n, g))))))),
  keyShareServer: (group, n = 32) => ext(51, cat(u16(group), vec16(fill(n, group)))),
  keyShareHrr: (group) => ext(51, u16(group)),
  renegotiationInfo: () => ext(0xff01, vec8(Buffer.alloc(0))),
  ech: () => ext(0xfe0d, cat(u8(0), u16(1), u16(1), u8(7), vec16(fill(32)), vec16(fill(144)))),
  quicTp: (body) => ext(0x39, body),
  grease: (g) => ext(g, Buffer.alloc(0)),
};

// ---- hellos (bodies, without the handshake header)
export function clientHelloBody({
  version = 0x0303, random = fill(32, 3), sessionId = Buffer.alloc(0), cookie = null,
  ciphers = [0x1301, 0xc02f], compression = [0], extensions = [], noExtensions = false,
} = {}) {
  return cat(
    u16(version), random, vec8(sessionId), cookie === null ? [] : vec8(cookie),
    vec16(u16list(ciphers)), vec8(Buffer.from(compression)),
    noExtensions ? [] : vec16(cat(extensions)),
  );
}

export function serverHelloBody({
  version = 0x0303, random = fill(32, 5), sessionId = Buffer.alloc(0), cipher = 0xc02f, compression = 0,
  extensions = [], noExtensions = false,
} = {}) {
  return cat(u16(version), random, vec8(sessionId), u16(cipher), u8(compression), noExtensions ? [] : vec16(cat(extensions)));
}

// ---- other handshake messages
/** Certificate (TLS <= 1.2): certificate_list of DER blobs. */
export const certificateBody = (certs) => vec24(cat(certs.map(vec24)));
/** ServerKeyExchange for ECDHE with a named curve, then a TLS 1.2 signature. */
export const skeEcdhe = (curve, pointLen = 65, sigalg = 0x0804) => cat(u8(3), u16(curve), vec8(fill(pointLen)), u16(sigalg), vec16(fill(256)));
/** ServerKeyExchange for DHE: p of `pBytes` bytes (top bit set unless `leadingZero`), g, Ys, signature. */
export const skeDhe = (pBytes, { leadingZero = false, sigalg = 0x0401 } = {}) => {
  const p = fill(pBytes);
  p[0] = leadingZero ? 0 : 0xff;
  if (leadingZero) p[1] = 0xff;
  return cat(vec16(p), vec16(u8(2)), vec16(fill(pBytes, 4)), u16(sigalg), vec16(fill(256)));
};
export const certificateRequestBody = (types = [1, 64], sigalgs = [0x0401, 0x0403], withSigalgs = true) =>
  cat(vec8(Buffer.from(types)), withSigalgs ? vec16(u16list(sigalgs)) : [], vec16(Buffer.alloc(0)));
export const alert = (level, description) => record(CT.alert, Buffer.from([level, description]));
export const ccs = (version = 0x0303) => record(CT.ccs, Buffer.from([1]), version);
export const appData = (n = 40, version = 0x0303) => record(CT.appData, fill(n, 11), version);

// ---- SSLv2
/** SSLv2 CLIENT-HELLO record: `header` 2 or 3 bytes; cipher kinds are 24-bit numbers. */
export function ssl2ClientHello({ version = 0x0301, kinds = [0x00002f, 0x010080, 0x000035], sessionId = Buffer.alloc(0), challenge = fill(16, 2), header = 2 } = {}) {
  const specs = cat(kinds.map((k) => Buffer.from([(k >> 16) & 0xff, (k >> 8) & 0xff, k & 0xff])));
  const body = cat(u8(1), u16(version), u16(specs.length), u16(sessionId.length), u16(challenge.length), specs, sessionId, challenge);
  return ssl2Record(body, header);
}
export function ssl2ServerHello({ hit = 0, version = 0x0002, cert = fill(300, 8), kinds = [0x010080], connectionId = fill(16, 6) } = {}) {
  const specs = cat(kinds.map((k) => Buffer.from([(k >> 16) & 0xff, (k >> 8) & 0xff, k & 0xff])));
  const body = cat(u8(4), u8(hit), u8(1), u16(version), u16(cert.length), u16(specs.length), u16(connectionId.length), cert, specs, connectionId);
  return ssl2Record(body, 2);
}
export function ssl2Record(body, header = 2) {
  if (header === 2) return cat(u16(0x8000 | body.length), body);
  return cat(Buffer.from([(body.length >> 8) & 0x3f, body.length & 0xff, 0]), body);
}

/** Feeds `bytes` to a session in chunks of `size` (1 = byte by byte). */
export function feedChunks(session, fromOriginator, bytes, size = bytes.length) {
  for (let p = 0; p < bytes.length; p += size) session.feed(fromOriginator, bytes, p, Math.min(size, bytes.length - p));
}
