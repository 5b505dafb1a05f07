// Test-local builders for the audit tests: real X.509 certificates (DER written here,
// signed with node:crypto keys, any dates and names), TCP conversations fed frame by frame
// into the product's Engine, and TLS 1.2 / 1.3 handshakes from tls-builder.mjs. The
// session documents the tests judge are therefore the engine's own, not imitations.
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { Engine } from '../../agent/dist/engine.js';
import { ArraySink } from '../../agent/dist/output/writer.js';
import {
  cat, u16, vec16, record, handshake, HS, CT, EXT, clientHelloBody, serverHelloBody, certificateBody,
  skeEcdhe, skeDhe, certificateRequestBody, alert, ccs, appData, fill,
} from './tls-builder.mjs';

// ------------------------------------------------------------------ DER
const len = (n) => (n < 128 ? Buffer.from([n]) : n < 256 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 255]));
export const der = (tag, ...parts) => {
  const body = Buffer.concat(parts.flat());
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
};
const seq = (...p) => der(0x30, ...p);
const set = (...p) => der(0x31, ...p);
const int = (n) => {
  let hex = n.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  let b = Buffer.from(hex, 'hex');
  if (b[0] & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
  return der(0x02, b);
};
const oid = (text) => {
  const p = text.split('.').map(Number);
  const out = [40 * p[0] + p[1]];
  for (const v of p.slice(2)) {
    const bytes = [v & 0x7f];
    for (let x = Math.floor(v / 128); x > 0; x = Math.floor(x / 128)) bytes.unshift((x & 0x7f) | 0x80);
    out.push(...bytes);
  }
  return der(0x06, Buffer.from(out));
};
const utf8 = (s) => der(0x0c, Buffer.from(s, 'utf8'));
const time = (ms) => {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  const two = (n) => String(n).padStart(2, '0');
  const rest = `${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}Z`;
  return y >= 1950 && y < 2050 ? der(0x17, Buffer.from(`${two(y % 100)}${rest}`)) : der(0x18, Buffer.from(`${y}${rest}`));
};
const name = (cn, o = 'intransit audit test') => seq(set(seq(oid('2.5.4.3'), utf8(cn))), set(seq(oid('2.5.4.10'), utf8(o))));

const SIG = {
  'sha256-rsa': { oid: '1.2.840.113549.1.1.11', hash: 'sha256', params: true },
  'sha1-rsa': { oid: '1.2.840.113549.1.1.5', hash: 'sha1', params: true },
  'md5-rsa': { oid: '1.2.840.113549.1.1.4', hash: 'md5', params: true },
  'sha256-ecdsa': { oid: '1.2.840.10045.4.3.2', hash: 'sha256', params: false },
  'sha1-ecdsa': { oid: '1.2.840.10045.4.1', hash: 'sha1', params: false },
};

const keys = new Map();
/** A cached key pair: 'rsa1024', 'rsa2048', 'ec-prime256v1', 'ec-secp224r1', ... */
export function key(kind) {
  let k = keys.get(kind);
  if (!k) {
    k = kind.startsWith('rsa')
      ? generateKeyPairSync('rsa', { modulusLength: Number(kind.slice(3)) })
      : generateKeyPairSync('ec', { namedCurve: kind.slice(3) });
    keys.set(kind, k);
  }
  return k;
}

const DAY = 86_400_000;

/**
 * A DER certificate. Self-signed unless `issuer` ({ cn, key }) is given.
 * notBefore / notAfter in ms; sans: DNS names (none when empty); sig: see SIG.
 */
export function makeCert({
  cn = 'www.example.test', sans = [cn], notBefore = Date.UTC(2024, 0, 1), notAfter = notBefore + 90 * DAY,
  keyKind = 'rsa2048', sig, issuer = null, ca = false, serial = 0x1001,
} = {}) {
  const subjectKey = key(keyKind);
  const signerKind = issuer ? issuer.keyKind : keyKind;
  const signer = key(signerKind);
  sig ??= signerKind.startsWith('ec') ? 'sha256-ecdsa' : 'sha256-rsa';
  const alg = SIG[sig];
  const algId = alg.params ? seq(oid(alg.oid), der(0x05)) : seq(oid(alg.oid));
  const exts = [];
  if (sans.length) exts.push(seq(oid('2.5.29.17'), der(0x04, seq(...sans.map((n) => der(0x82, Buffer.from(n)))))));
  if (ca) exts.push(seq(oid('2.5.29.19'), der(0x01, Buffer.from([0xff])), der(0x04, seq(der(0x01, Buffer.from([0xff]))))));
  const tbs = seq(
    der(0xa0, int(2)),
    int(serial),
    algId,
    name(issuer ? issuer.cn : cn),
    seq(time(notBefore), time(notAfter)),
    name(cn),
    subjectKey.publicKey.export({ type: 'spki', format: 'der' }),
    exts.length ? der(0xa3, seq(...exts)) : [],
  );
  const signature = sign(alg.hash, tbs, signer.privateKey);
  return seq(tbs, algId, der(0x03, Buffer.from([0]), signature));
}

export const sha256 = (b) => createHash('sha256').update(b).digest('hex');

// ------------------------------------------------------------------ frames
const mac = Buffer.from('020000000001020000000002', 'hex');
function ipv4(src, dst, proto, payload) {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + payload.length, 2);
  h[8] = 64;
  h[9] = proto;
  Buffer.from(src.split('.').map(Number)).copy(h, 12);
  Buffer.from(dst.split('.').map(Number)).copy(h, 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += h.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  h.writeUInt16BE(~sum & 0xffff, 10);
  return cat(mac, u16(0x0800), h, payload);
}
function v6bytes(ip) {
  const [head, tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const g = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return Buffer.from(g.map((x) => x.padStart(4, '0')).join(''), 'hex');
}
function ipv6(src, dst, proto, payload) {
  const h = Buffer.alloc(40);
  h[0] = 0x60;
  h.writeUInt16BE(payload.length, 4);
  h[6] = proto;
  h[7] = 64;
  v6bytes(src).copy(h, 8);
  v6bytes(dst).copy(h, 24);
  return cat(mac, u16(0x86dd), h, payload);
}
function tcp(sport, dport, seqNo, ackNo, flags, payload = Buffer.alloc(0)) {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt32BE(seqNo >>> 0, 4);
  h.writeUInt32BE(ackNo >>> 0, 8);
  h[12] = 5 << 4;
  h[13] = flags;
  h.writeUInt16BE(65535, 14);
  return cat(h, payload);
}

/**
 * One TCP connection as frames: handshake (unless midstream), `segments` as
 * [fromClient, bytes] in order, then FINs. Returns [{ frame, ts }].
 */
export function tcpConversation({ client = '10.0.0.1', server = '10.0.0.2', cport = 50000, sport = 443, ts = Date.UTC(2024, 5, 1) / 1000, segments = [], midstream = false, oneDirection = false }) {
  const v6 = client.includes(':');
  const ip = (fromClient, payload) => (v6 ? ipv6 : ipv4)(fromClient ? client : server, fromClient ? server : client, 6, payload);
  const frames = [];
  let cseq = 1000;
  let sseq = 5000;
  let t = ts;
  const push = (fromClient, flags, payload = Buffer.alloc(0)) => {
    if (oneDirection && !fromClient) return;
    const seg = fromClient ? tcp(cport, sport, cseq, sseq, flags, payload) : tcp(sport, cport, sseq, cseq, flags, payload);
    frames.push({ frame: ip(fromClient, seg), ts: t });
    t += 0.001;
  };
  if (!midstream) {
    push(true, 0x02);
    cseq++;
    push(false, 0x12);
    sseq++;
    push(true, 0x10);
  }
  for (const [fromClient, bytes] of segments) {
    push(fromClient, 0x18, bytes);
    if (fromClient) cseq += bytes.length;
    else sseq += bytes.length;
  }
  push(true, 0x11);
  cseq++;
  push(false, 0x11);
  sseq++;
  push(true, 0x10);
  return frames;
}

/** Runs the product's Engine over conversations (frames) and returns its documents. */
export function runEngine(conversations, options = {}) {
  const sink = new ArraySink();
  const engine = new Engine(sink, options);
  const frames = conversations.flat().sort((a, b) => a.ts - b.ts);
  for (const { frame, ts } of frames) {
    const sec = Math.floor(ts);
    engine.packet(frame, 0, frame.length, frame.length, 1, sec, Math.round((ts - sec) * 1e6) * 1000);
  }
  engine.finish({});
  return { docs: sink.docs, engine };
}

export const sessionsOf = (docs) => docs.filter((d) => d.event.dataset === 'intransit.session');
export const findingsOf = (docs) => docs.filter((d) => d.event.dataset === 'intransit.finding');
export const summaryOf = (docs) => docs.find((d) => d.event.dataset === 'intransit.summary');

// ------------------------------------------------------------------ TLS handshakes
const hs = (type, body, v = 0x0303) => record(CT.handshake, handshake(type, body), v);

/**
 * A TLS 1.2 (or older) full handshake as [fromClient, bytes] segments.
 *   certs: DER list the server sends; ske: 'ecdhe' (x25519), { dhe: bytes }, or null (RSA kx)
 *   certRequest: server asks for a client certificate; clientCert: null | [] (empty) | [der]
 *   fail: server answers the ClientHello with this fatal alert instead
 */
export function tls12({
  sni = 'www.example.test', version = 0x0303, clientVersion = version, cipher = 0xc02f, ciphers = [0xc02f, 0xc030, 0x009c],
  groups = [0x001d, 0x0017], certs = [], ske = 'ecdhe', certRequest = false, clientCert = null, fail = 0,
  clientExtensions = null, serverExtensions = [],
} = {}) {
  const exts = clientExtensions ?? [sni ? EXT.sni(sni) : [], EXT.groups(groups), EXT.sigAlgs([0x0804, 0x0401])].filter((e) => e.length);
  const out = [[true, hs(HS.clientHello, clientHelloBody({ version: clientVersion, ciphers, extensions: exts }), 0x0301)]];
  if (fail) {
    out.push([false, alert(2, fail)]);
    return out;
  }
  const flight = [hs(HS.serverHello, serverHelloBody({ version, cipher, extensions: serverExtensions }), version)];
  if (certs.length) flight.push(hs(HS.certificate, certificateBody(certs), version));
  if (ske === 'ecdhe') flight.push(hs(HS.serverKeyExchange, skeEcdhe(0x001d, 32), version));
  else if (ske && ske.dhe) flight.push(hs(HS.serverKeyExchange, skeDhe(ske.dhe), version));
  if (certRequest) flight.push(hs(HS.certificateRequest, certificateRequestBody(), version));
  flight.push(hs(HS.serverHelloDone, Buffer.alloc(0), version));
  out.push([false, cat(flight)]);
  const client = [];
  if (clientCert !== null) client.push(hs(HS.certificate, certificateBody(clientCert), version));
  client.push(hs(HS.clientKeyExchange, vec16(fill(64)), version));
  client.push(ccs(version), record(CT.handshake, fill(40, 13), version));
  out.push([true, cat(client)]);
  out.push([false, cat(ccs(version), record(CT.handshake, fill(40, 17), version))]);
  out.push([true, appData(60, version)]);
  out.push([false, appData(80, version)]);
  return out;
}

/** A TLS 1.3 handshake (certificates encrypted), optional ECH, client key shares and chosen group. */
export function tls13({ sni = 'www.example.test', group = 0x001d, offered = [0x001d, 0x0017], ech = false, cipher = 0x1301 } = {}) {
  const exts = [sni ? EXT.sni(sni) : [], EXT.groups(offered), EXT.sigAlgs([0x0804]), EXT.supportedVersions([0x0304, 0x0303]),
    EXT.keyShare(offered.slice(0, 1).map((g) => [g, g === 0x11ec ? 1216 : 32])), ech ? EXT.ech() : []].filter((e) => e.length);
  return [
    [true, record(CT.handshake, handshake(HS.clientHello, clientHelloBody({ ciphers: [0x1301, 0x1302, 0xc02f], extensions: exts })), 0x0301)],
    [false, cat(hs(HS.serverHello, serverHelloBody({ cipher, extensions: [EXT.supportedVersion(0x0304), EXT.keyShareServer(group, group === 0x11ec ? 1120 : 32)] })), ccs(), appData(900))],
    [true, cat(ccs(), appData(60))],
    [false, appData(200)],
    [true, appData(100)],
  ];
}

export const cleartext = (request, response) => [[true, Buffer.from(request)], [false, Buffer.from(response)]];

export { DAY, fill };
