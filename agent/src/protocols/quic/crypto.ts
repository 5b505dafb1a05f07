// Initial packet protection (RFC 9001 §5): secrets from the client's first Destination
// Connection ID, AES-128-GCM payload protection, AES-128-ECB header protection, Retry
// integrity tags (§5.8). Node's hkdfSync always runs Extract before Expand, and QUIC needs
// Expand on its own (HKDF-Expand-Label, RFC 8446 §7.1), so both halves are built on HMAC.
// Only Initial packets are ever opened (their keys are public by design): a few per flow.

import { createCipheriv, createDecipheriv, createHmac, type Cipher } from 'node:crypto';
import type { QuicVersion } from './versions.js';

/** HKDF-Extract (RFC 5869 §2.2) with SHA-256. */
export function hkdfExtract(salt: Buffer, ikm: Buffer): Buffer {
  return createHmac('sha256', salt).update(ikm).digest();
}

/** HKDF-Expand (RFC 5869 §2.3) with SHA-256. */
export function hkdfExpand(prk: Buffer, info: Buffer, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let prev = Buffer.alloc(0);
  let done = 0;
  for (let i = 1; done < length; i++) {
    prev = createHmac('sha256', prk).update(prev).update(info).update(Buffer.from([i])).digest();
    done += prev.copy(out, done, 0, Math.min(prev.length, length - done));
  }
  return out;
}

/** The HkdfLabel structure (RFC 8446 §7.1) for `label` with an empty context. */
export function hkdfLabel(label: string, length: number): Buffer {
  const full = Buffer.from('tls13 ' + label, 'latin1');
  const info = Buffer.alloc(2 + 1 + full.length + 1);
  info.writeUInt16BE(length, 0);
  info[2] = full.length;
  full.copy(info, 3);
  info[3 + full.length] = 0; // empty context
  return info;
}

/** HKDF-Expand-Label(secret, label, "", length). */
export function hkdfExpandLabel(secret: Buffer, label: string, length: number): Buffer {
  return hkdfExpand(secret, hkdfLabel(label, length), length);
}

/** One direction's Initial packet protection keys. */
export interface DirectionKeys {
  readonly secret: Buffer;
  readonly key: Buffer;
  readonly iv: Buffer;
  readonly hp: Buffer;
  /** AES-128-ECB with the hp key, no padding: stateless per block, so one object serves every packet */
  readonly hpCipher: Cipher;
}

export interface InitialKeys {
  readonly version: QuicVersion;
  /** the client Destination Connection ID the keys come from */
  readonly dcid: Buffer;
  readonly client: DirectionKeys;
  readonly server: DirectionKeys;
}

function directionKeys(secret: Buffer, prefix: string): DirectionKeys {
  const hp = hkdfExpandLabel(secret, prefix + 'hp', 16);
  const hpCipher = createCipheriv('aes-128-ecb', hp, null);
  hpCipher.setAutoPadding(false);
  return { secret, key: hkdfExpandLabel(secret, prefix + 'key', 16), iv: hkdfExpandLabel(secret, prefix + 'iv', 12), hp, hpCipher };
}

/** Initial secrets and keys of both directions (RFC 9001 §5.2; RFC 9369 §3.3.1-3.3.2). */
export function initialKeys(version: QuicVersion, dcid: Buffer): InitialKeys {
  const initialSecret = hkdfExtract(version.salt, dcid);
  return {
    version,
    dcid: Buffer.from(dcid),
    client: directionKeys(hkdfExpandLabel(initialSecret, 'client in', 32), version.labelPrefix),
    server: directionKeys(hkdfExpandLabel(initialSecret, 'server in', 32), version.labelPrefix),
  };
}

/** The 5-byte header protection mask for a 16-byte sample (RFC 9001 §5.4.3). */
export function headerMask(keys: DirectionKeys, buf: Buffer, sampleOff: number): Buffer {
  return keys.hpCipher.update(buf.subarray(sampleOff, sampleOff + 16));
}

/** Full packet number from its truncated encoding (RFC 9000 §A.3); largest = -1 before any. */
export function decodePacketNumber(largest: number, truncated: number, pnLen: number): number {
  const expected = largest + 1;
  const win = 2 ** (pnLen * 8);
  const hwin = win / 2;
  const candidate = expected - (expected % win) + truncated;
  if (candidate <= expected - hwin && candidate < 2 ** 62 - win) return candidate + win;
  if (candidate > expected + hwin && candidate >= win) return candidate - win;
  return candidate;
}

export interface OpenedPacket {
  /** decrypted frames */
  payload: Buffer;
  packetNumber: number;
}

/**
 * Removes header protection and decrypts one long-header packet in [start, end) whose
 * packet number starts at pnOff. Returns null when the packet is too short or does not
 * authenticate. Never modifies `buf`.
 */
export function openLongPacket(keys: DirectionKeys, buf: Buffer, start: number, pnOff: number, end: number, largest: number): OpenedPacket | null {
  // the sample starts 4 bytes past the packet number; the payload ends with a 16-byte tag
  if (pnOff + 4 + 16 > end) return null;
  const mask = headerMask(keys, buf, pnOff + 4);
  const first = buf[start] ^ (mask[0] & 0x0f);
  const pnLen = (first & 3) + 1;
  if (pnOff + pnLen + 16 > end) return null;
  const header = Buffer.allocUnsafe(pnOff + pnLen - start);
  buf.copy(header, 0, start, pnOff + pnLen);
  header[0] = first;
  let truncated = 0;
  for (let i = 0; i < pnLen; i++) {
    const b = buf[pnOff + i] ^ mask[1 + i];
    header[pnOff - start + i] = b;
    truncated = truncated * 256 + b;
  }
  const pn = decodePacketNumber(largest, truncated, pnLen);
  const nonce = Buffer.from(keys.iv);
  const hi = Math.floor(pn / 0x100000000);
  const lo = pn >>> 0;
  nonce.writeUInt32BE((nonce.readUInt32BE(4) ^ hi) >>> 0, 4);
  nonce.writeUInt32BE((nonce.readUInt32BE(8) ^ lo) >>> 0, 8);
  const tagOff = end - 16;
  try {
    const d = createDecipheriv('aes-128-gcm', keys.key, nonce, { authTagLength: 16 });
    d.setAAD(header);
    d.setAuthTag(buf.subarray(tagOff, end));
    const head = d.update(buf.subarray(pnOff + pnLen, tagOff));
    const tail = d.final();
    return { payload: tail.length ? Buffer.concat([head, tail]) : head, packetNumber: pn };
  } catch {
    return null; // authentication failed
  }
}

/**
 * Checks a Retry packet's integrity tag (RFC 9001 §5.8): AES-128-GCM over the Retry
 * pseudo-packet (original DCID length and value, then the Retry packet without its tag).
 * Returns null when the version has no known Retry key.
 */
export function retryIntegrityValid(version: QuicVersion, originalDcid: Buffer, buf: Buffer, start: number, end: number): boolean | null {
  if (version.retryKey === null || version.retryNonce === null) return null;
  if (end - start < 16 + 7) return false;
  const c = createCipheriv('aes-128-gcm', version.retryKey, version.retryNonce, { authTagLength: 16 });
  c.setAAD(Buffer.concat([Buffer.from([originalDcid.length]), originalDcid, buf.subarray(start, end - 16)]));
  c.final();
  return c.getAuthTag().equals(buf.subarray(end - 16, end));
}
