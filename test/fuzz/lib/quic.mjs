// QUIC Initial packets for the fuzzer: long-header parsing, opening a client Initial with the
// product's own key schedule (agent/dist/protocols/quic/crypto.js), and sealing a payload
// again (AES-128-GCM + header protection, RFC 9001 §5), so that mutations reach the frame and
// CRYPTO-stream parsers behind the packet protection.

import { createCipheriv } from 'node:crypto';
import { initialKeys, openLongPacket } from '../../../agent/dist/protocols/quic/crypto.js';
import { quicVersion } from '../../../agent/dist/protocols/quic/versions.js';
import { cat, u8, u32, varint, readVarint } from './bytes.mjs';

export const V1 = 0x00000001;
export const V2 = 0x6b3343cf;
export const DRAFT29 = 0xff00001d;

/** Long-header packet type bits of an Initial for a version (QUIC v2 permutes them). */
export const initialTypeBits = (version) => (version === V2 ? 1 : 0);

/** Parses the long header at buf[p]; null when it is not one or runs past `end`. */
export function parseLong(buf, p, end) {
  if (p + 7 > end || (buf[p] & 0x80) === 0) return null;
  const first = buf[p];
  const version = buf.readUInt32BE(p + 1);
  let q = p + 5;
  const dcidLen = buf[q];
  if (q + 1 + dcidLen > end) return null;
  const dcid = buf.subarray(q + 1, q + 1 + dcidLen);
  q += 1 + dcidLen;
  if (q >= end) return null;
  const scidLen = buf[q];
  if (q + 1 + scidLen > end) return null;
  const scid = buf.subarray(q + 1, q + 1 + scidLen);
  q += 1 + scidLen;
  if (version === 0) return { p, first, version, dcid, scid, initial: false, next: end };
  const initial = ((first >> 4) & 3) === initialTypeBits(version);
  let token = Buffer.alloc(0);
  if (initial) {
    const t = readVarint(buf, q, end);
    if (!t || q + t[1] + t[0] > end) return null;
    token = buf.subarray(q + t[1], q + t[1] + t[0]);
    q += t[1] + t[0];
  }
  const l = readVarint(buf, q, end);
  if (!l) return null;
  const pnOff = q + l[1];
  return { p, first, version, dcid, scid, token, initial, lenOff: q, lenSize: l[1], length: l[0], pnOff, next: Math.min(end, pnOff + l[0]) };
}

/** Opens a client Initial (keys from its own DCID): {header, payload, pn} or null. */
export function openClientInitial(buf, h) {
  const v = quicVersion(h.version);
  if (!v || !h.initial) return null;
  const keys = initialKeys(v, Buffer.from(h.dcid));
  const opened = openLongPacket(keys.client, buf, h.p, h.pnOff, h.next, -1);
  return opened ? { payload: opened.payload, pn: opened.packetNumber } : null;
}

/**
 * A protected Initial (or, with `type`, a long-header packet of another type with filler
 * payload). `keyDcid` names the connection's Initial keys; `side` 'client' | 'server'.
 * `lengthOverride` writes a wrong Length (the packet is then garbage on purpose).
 */
export function sealLong({ version = V1, dcid, scid = Buffer.alloc(0), token = Buffer.alloc(0), pn = 0, pnLen = 2, payload, keyDcid = dcid, side = 'client', typeBits = initialTypeBits(version), lengthOverride = -1, lengthSize = 0 }) {
  // the header-protection sample needs 4 + 16 bytes after the packet number start
  if (payload.length + pnLen < 4) payload = cat(payload, Buffer.alloc(4 - pnLen - payload.length));
  const length = pnLen + payload.length + 16;
  const initial = typeBits === initialTypeBits(version);
  const pnBytes = Buffer.alloc(pnLen);
  for (let i = 0; i < pnLen; i++) pnBytes[pnLen - 1 - i] = Math.floor(pn / 256 ** i) & 0xff;
  const header = cat(
    u8(0xc0 | (typeBits << 4) | (pnLen - 1)),
    u32(version),
    u8(dcid.length),
    dcid,
    u8(scid.length),
    scid,
    initial ? cat(varint(token.length), token) : [],
    varint(lengthOverride >= 0 ? lengthOverride : length, lengthSize),
    pnBytes,
  );
  const v = quicVersion(version);
  if (!initial || v === null) return cat(header, payload, Buffer.alloc(16, 0x5a));
  const keys = initialKeys(v, Buffer.from(keyDcid))[side];
  const nonce = Buffer.from(keys.iv);
  for (let i = 0; i < 8; i++) nonce[11 - i] ^= Math.floor(pn / 256 ** i) & 0xff;
  const c = createCipheriv('aes-128-gcm', keys.key, nonce);
  c.setAAD(header);
  const out = cat(header, c.update(payload), c.final(), c.getAuthTag());
  const pnOff = header.length - pnLen;
  if (pnOff + 20 > out.length) return out;
  const ecb = createCipheriv('aes-128-ecb', keys.hp, null);
  ecb.setAutoPadding(false);
  const mask = ecb.update(out.subarray(pnOff + 4, pnOff + 20));
  out[0] ^= mask[0] & 0x0f;
  for (let i = 0; i < pnLen; i++) out[pnOff + i] ^= mask[1 + i];
  return out;
}

/** Frames of a decrypted payload: [{type, off, end, fields: [{off, size}]}], stops at the first unknown. */
export function walkFrames(b) {
  const frames = [];
  let p = 0;
  while (p < b.length && frames.length < 256) {
    const t = readVarint(b, p);
    if (!t) break;
    const type = t[0];
    const start = p;
    p += t[1];
    const fields = [];
    const vi = () => {
      const v = readVarint(b, p);
      if (!v) throw new Error('end');
      fields.push({ off: p, size: v[1], value: v[0] });
      p += v[1];
      return v[0];
    };
    try {
      if (type === 0) {
        while (p < b.length && b[p] === 0) p++;
      } else if (type === 1) {
        // PING
      } else if (type === 2 || type === 3) {
        vi();
        vi();
        const ranges = vi();
        vi();
        for (let i = 0; i < ranges && i < 64; i++) {
          vi();
          vi();
        }
        if (type === 3) {
          vi();
          vi();
          vi();
        }
      } else if (type === 6) {
        vi();
        const len = vi();
        p += len;
      } else if (type === 0x1c || type === 0x1d) {
        vi();
        if (type === 0x1c) vi();
        const len = vi();
        p += len;
      } else break;
    } catch {
      break;
    }
    frames.push({ type, off: start, end: Math.min(p, b.length), fields });
  }
  return frames;
}

/** CRYPTO frame. */
export const cryptoFrame = (offset, data, { offsetSize = 0, lengthSize = 0, length = data.length } = {}) => cat(varint(6), varint(offset, offsetSize), varint(length, lengthSize), data);
