// Byte builders for QUIC test inputs: varints, frames, protected long-header packets (Initial
// protection done here with Node's crypto, keys from the product's initialKeys(), which
// quic-rfc-vectors.test.mjs checks against the RFCs), Retry, Version Negotiation, and
// TLS hellos carrying QUIC transport parameters.
import { createCipheriv } from 'node:crypto';
import { initialKeys } from '../../agent/dist/protocols/quic/crypto.js';
import { quicVersion, V1, V2 } from '../../agent/dist/protocols/quic/versions.js';
import { cat, u8, EXT, HS, handshake, clientHelloBody, serverHelloBody, fill } from './tls-builder.mjs';

export { V1, V2, cat };

export function varint(n) {
  if (n < 0x40) return Buffer.from([n]);
  if (n < 0x4000) return Buffer.from([0x40 | (n >> 8), n & 0xff]);
  if (n < 0x40000000) return Buffer.from([0x80 | (n >>> 24), (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n) | (3n << 62n));
  return b;
}

export const F = {
  padding: (n) => Buffer.alloc(n),
  ping: () => u8(1),
  crypto: (offset, data) => cat(varint(6), varint(offset), varint(data.length), data),
  ack: (largest, { ecn = false, ranges = 0 } = {}) =>
    cat(u8(ecn ? 3 : 2), varint(largest), varint(3), varint(ranges), varint(0), Array.from({ length: ranges }, () => cat(varint(0), varint(0))), ecn ? cat(varint(1), varint(2), varint(3)) : []),
  close: (code, frameType = 6, reason = '') => cat(u8(0x1c), varint(code), varint(frameType), varint(Buffer.byteLength(reason)), Buffer.from(reason)),
  appClose: (code, reason = '') => cat(u8(0x1d), varint(code), varint(Buffer.byteLength(reason)), Buffer.from(reason)),
};

const TYPES_V1 = { initial: 0, '0rtt': 1, handshake: 2, retry: 3 };
const TYPES_V2 = { initial: 1, '0rtt': 2, handshake: 3, retry: 0 };
const typeBits = (version, type) => (version === V2 ? TYPES_V2 : TYPES_V1)[type];

/**
 * A protected long-header packet. Initial: real packet protection with the keys of
 * `keyDcid` (default: dcid) for `side` ('client' | 'server'). Other types get filler bytes
 * of the right Length (a passive observer cannot open them anyway).
 * `minSize` pads the frames with PADDING so that the packet reaches that size.
 */
export function packet({ version = V1, type = 'initial', dcid, scid = Buffer.alloc(0), token = Buffer.alloc(0), pn = 0, pnLen = 2, frames = [], keyDcid = dcid, side = 'client', minSize = 0 }) {
  let payload = cat(frames);
  const headLen = (len) => 1 + 4 + 1 + dcid.length + 1 + scid.length + (type === 'initial' ? varint(token.length).length + token.length : 0) + varint(len).length;
  // room for the header protection sample: packet number + payload >= 4 + 16 - tag
  const minPayload = Math.max(4 - pnLen, 0);
  if (payload.length < minPayload) payload = cat(payload, Buffer.alloc(minPayload - payload.length));
  for (;;) {
    const total = headLen(pnLen + payload.length + 16) + pnLen + payload.length + 16;
    if (total >= minSize) break;
    payload = cat(payload, Buffer.alloc(minSize - total));
  }
  const length = pnLen + payload.length + 16;
  const first = 0xc0 | (typeBits(version, type) << 4) | (pnLen - 1);
  const vb = Buffer.alloc(4);
  vb.writeUInt32BE(version >>> 0);
  const pnBytes = Buffer.alloc(pnLen);
  for (let i = 0; i < pnLen; i++) pnBytes[pnLen - 1 - i] = Math.floor(pn / 256 ** i) & 0xff;
  const header = cat(u8(first), vb, u8(dcid.length), dcid, u8(scid.length), scid, type === 'initial' ? cat(varint(token.length), token) : [], varint(length), pnBytes);
  // other packet types, and versions without known Initial keys: filler of the right Length
  if (type !== 'initial' || quicVersion(version) === null) return cat(header, fill(payload.length + 16, 77));
  const keys = initialKeys(quicVersion(version), keyDcid)[side];
  const nonce = Buffer.from(keys.iv);
  for (let i = 0; i < 8; i++) nonce[11 - i] ^= Math.floor(pn / 256 ** i) & 0xff;
  const c = createCipheriv('aes-128-gcm', keys.key, nonce);
  c.setAAD(header);
  const ct = cat(c.update(payload), c.final(), c.getAuthTag());
  const out = cat(header, ct);
  const pnOff = header.length - pnLen;
  const ecb = createCipheriv('aes-128-ecb', keys.hp, null);
  ecb.setAutoPadding(false);
  const mask = ecb.update(out.subarray(pnOff + 4, pnOff + 20));
  out[0] ^= mask[0] & 0x0f;
  for (let i = 0; i < pnLen; i++) out[pnOff + i] ^= mask[1 + i];
  return out;
}

const RETRY_KEYS = {
  [V1]: ['be0c690b9f66575a1d766b54e368c84e', '461599d35d632bf2239825bb'],
  [V2]: ['8fb4b01b56ac48e260fbcbcead7ccc92', 'd86969bc2d7c6d9990efb04a'],
};

/** A Retry packet answering a client Initial sent to `odcid`; `tagValid: false` corrupts the tag. */
export function retry({ version = V1, dcid, scid, token = Buffer.from('token'), odcid, tagValid = true }) {
  const vb = Buffer.alloc(4);
  vb.writeUInt32BE(version >>> 0);
  const body = cat(u8(0xc0 | (typeBits(version, 'retry') << 4)), vb, u8(dcid.length), dcid, u8(scid.length), scid, token);
  const [key, nonce] = RETRY_KEYS[version];
  const c = createCipheriv('aes-128-gcm', Buffer.from(key, 'hex'), Buffer.from(nonce, 'hex'));
  c.setAAD(cat(u8(odcid.length), odcid, body));
  c.final();
  const tag = c.getAuthTag();
  if (!tagValid) tag[0] ^= 1;
  return cat(body, tag);
}

/** A Version Negotiation packet (server to client: dcid/scid are the client's scid/dcid). */
export function versionNegotiation({ dcid, scid, versions }) {
  return cat(u8(0x80 | 0x2a), Buffer.alloc(4), u8(dcid.length), dcid, u8(scid.length), scid, versions.map((v) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v >>> 0);
    return b;
  }));
}

/** Transport parameters body from [id, valueBuffer] pairs. */
export const transportParams = (entries) => cat(entries.map(([id, v]) => cat(varint(id), varint(v.length), v)));
export const TP_DEFAULT = transportParams([
  [0x01, varint(30000)],
  [0x04, varint(1048576)],
  [0x03, varint(1472)],
  [0x0e, varint(4)],
  [0x0f, Buffer.from('c1c2c3c4', 'hex')],
  [0x2ab2, Buffer.alloc(0)],
  [27 + 31 * 5, Buffer.from('ab', 'hex')], // GREASE
  [0x3127, Buffer.from('01', 'hex')], // unknown
]);

/** A QUIC ClientHello handshake message (SNI, ALPN h3, TLS 1.3, x25519, transport parameters). */
export function clientHello({ sni = 'quic.example.test', tp = TP_DEFAULT, tpExt = 0x39, extra = [] } = {}) {
  return handshake(HS.clientHello, clientHelloBody({
    ciphers: [0x1301, 0x1302, 0x1303],
    extensions: [
      EXT.sni(sni), EXT.groups([0x1d, 0x17]), EXT.sigAlgs([0x0403, 0x0804]), EXT.alpn(['h3']),
      EXT.supportedVersions([0x0304]), EXT.keyShare([[0x1d, 32]]), EXT.pskModes([1]),
      tpExt === 0x39 ? EXT.quicTp(tp) : cat(Buffer.from([tpExt >> 8, tpExt & 0xff]), Buffer.from([tp.length >> 8, tp.length & 0xff]), tp),
      ...extra,
    ],
  }));
}

/** A TLS 1.3 ServerHello handshake message (cipher TLS_AES_128_GCM_SHA256, x25519). */
export function serverHello({ cipher = 0x1301, group = 0x1d } = {}) {
  return handshake(HS.serverHello, serverHelloBody({ cipher, extensions: [EXT.supportedVersion(0x0304), EXT.keyShareServer(group)] }));
}

export const DCID = Buffer.from('0001020304050607', 'hex');
export const CSCID = Buffer.from('c1c2c3c4', 'hex');
export const SSCID = Buffer.from('5a5b5c5d5e5f', 'hex');

/** The client's first Initial datagram (1200 bytes) carrying `frames`. */
export const clientInitial = (frames, opts = {}) => packet({ dcid: DCID, scid: CSCID, frames, minSize: 1200, ...opts });
/** A server Initial carrying `frames` (keys from the client's DCID). */
export const serverInitial = (frames, opts = {}) => packet({ dcid: CSCID, scid: SSCID, keyDcid: DCID, side: 'server', frames, ...opts });
