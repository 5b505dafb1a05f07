// QUIC long-header packets (RFC 8999 invariants, RFC 9000 §17.2, QUIC v2 RFC 9369 §3.2).
// First byte: header form bit (0x80) and fixed bit (0x40) set; a 32-bit version;
// destination and source connection IDs of at most 20 bytes each. Known versions: 1,
// v2 (0x6b3343cf), IETF drafts (0xff0000xx) and mvfst's (0xfaceb00x). The client's first
// packet must be an Initial (token length and a Length large enough for a packet
// number and an AEAD tag); the server's may be an Initial, a Retry, a Handshake packet,
// or a Version Negotiation packet (version 0, fixed bit arbitrary, a list of versions).
// The originator of a UDP flow is whoever sent first in the capture, which need not be
// the QUIC client: both sides are checked against both roles.
// Google QUIC is QUIC too (identified, not opened): Q046+ long headers carry a 'Q0xx' or
// 'T0xx' version; older ones (<= Q043) a public header whose flags byte announces a version
// (0x01) and an 8-byte connection ID (0x08), the version following the connection ID.

import { NO, YES, either, more, u32, type ProtocolSignature, type Verdict } from '../signature.js';
import { isGoogleQuicVersion } from './versions.js';

const V1 = 0x00000001;
const V2 = 0x6b3343cf;

function knownVersion(v: number): boolean {
  return v === V1 || v === V2 || (v >>> 8 === 0xff0000 && (v & 0xff) >= 1 && (v & 0xff) <= 0x22) || (v >>> 4 === 0xfaceb00);
}

/** Greased versions (RFC 9000 §15: 0x?a?a?a?a) may be offered in Version Negotiation. */
function greasedVersion(v: number): boolean {
  return (v & 0x0f0f0f0f) === 0x0a0a0a0a;
}

const TYPE_INITIAL = 0;
const TYPE_0RTT = 1;
const TYPE_HANDSHAKE = 2;
const TYPE_RETRY = 3;

/** Long-header packet type in v1 terms (QUIC v2 permutes the codes). */
function packetType(first: number, version: number): number {
  const t = (first >>> 4) & 3;
  return version === V2 ? (t + 3) & 3 : t;
}

/** Variable-length integer (RFC 9000 §16) at `off`: value, or -1 when cut short. Sets varintEnd. */
let varintEnd = 0;
function varint(buf: Buffer, off: number): number {
  if (off >= buf.length) return -1;
  const n = 1 << (buf[off] >>> 6);
  if (off + n > buf.length) return -1;
  let v = buf[off] & 0x3f;
  for (let i = 1; i < n; i++) v = v * 256 + buf[off + i];
  varintEnd = off + n;
  return v;
}

/** Legacy Google QUIC public header (<= Q043) with a version: that version, else -1. */
export function googleQuicLegacyVersion(buf: Buffer, off: number, end: number): number {
  if (end - off < 13 || (buf[off] & 0x89) !== 0x09) return -1;
  const v = buf.readUInt32BE(off + 9);
  return isGoogleQuicVersion(v) ? v : -1;
}

function longHeader(buf: Buffer, done: boolean): Verdict {
  if (buf.length === 0) return more(done);
  const first = buf[0];
  if (!(first & 0x80)) {
    if ((first & 0x89) !== 0x09) return NO;
    if (buf.length < 13) return more(done);
    return googleQuicLegacyVersion(buf, 0, buf.length) >= 0 ? YES : NO;
  }
  if (buf.length < 7) return more(done);
  const version = u32(buf, 1);
  const dcidLen = buf[5];
  if (version === 0) return versionNegotiation(buf, done, dcidLen);
  if (isGoogleQuicVersion(version)) return first & 0x40 ? YES : NO;
  if (!(first & 0x40) || !knownVersion(version) || dcidLen > 20) return NO;
  const scidOff = 6 + dcidLen;
  if (scidOff >= buf.length) return more(done);
  const scidLen = buf[scidOff];
  if (scidLen > 20) return NO;
  const type = packetType(first, version);
  if (type === TYPE_0RTT) return NO; // never a flow's first packet
  if (type === TYPE_RETRY) return YES; // token and integrity tag follow: nothing more to check cheaply
  let i = scidOff + 1 + scidLen;
  if (type === TYPE_INITIAL) {
    const tokenLen = varint(buf, i);
    if (tokenLen < 0) return more(done);
    if (tokenLen > 1024) return NO;
    i = varintEnd + tokenLen;
  } else if (type !== TYPE_HANDSHAKE) {
    return NO;
  }
  const length = varint(buf, i);
  if (length < 0) return more(done);
  // packet number (1..4 bytes) plus at least 16 bytes of AEAD tag; a datagram holds at most 64 KiB
  return length >= 20 && length <= 65527 ? YES : NO;
}

function versionNegotiation(buf: Buffer, done: boolean, dcidLen: number): Verdict {
  const scidOff = 6 + dcidLen;
  if (scidOff >= buf.length) return more(done);
  const listOff = scidOff + 1 + buf[scidOff];
  if (listOff + 4 > buf.length) return more(done);
  const v = u32(buf, listOff);
  return knownVersion(v) || greasedVersion(v) ? YES : NO;
}

export const QUIC: ProtocolSignature = {
  name: 'quic',
  transport: 'udp',
  encrypted: true,
  detect(c, s, cDone, sDone) {
    return either(longHeader(c, cDone), longHeader(s, sDone));
  },
};
