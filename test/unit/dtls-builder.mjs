// Byte builders for DTLS test inputs (RFC 6347 records and handshake fragments, RFC 9147 unified
// headers, RFC 8489 STUN messages), on top of the TLS builders for hello bodies and extensions.
import { cat, u8, u16, u24, vec8, vec16, ext, fill } from './tls-builder.mjs';

export const DTLS10 = 0xfeff;
export const DTLS12 = 0xfefd;
export const DTLS13 = 0xfefc;

const u48 = (n) => cat(u16(Math.floor(n / 0x100000000)), Buffer.from([(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]));

/** A DTLSPlaintext / DTLS 1.2 record; `length` overrides the header length. */
export const drecord = (type, body, { version = DTLS12, epoch = 0, seq = 0, length = body.length } = {}) =>
  cat(u8(type), u16(version), u16(epoch), u48(seq), u16(length), body);

/** A tls12_cid record (RFC 9146): the CID sits between the sequence number and the length. */
export const cidRecord = (cid, body, { version = DTLS12, epoch = 1, seq = 0 } = {}) =>
  cat(u8(25), u16(version), u16(epoch), u48(seq), cid, u16(body.length), body);

/**
 * One handshake fragment: 12-byte header + the fragment's bytes of `body`. `msgLen`
 * overrides the message length, `fragLen` the fragment length written in the header.
 */
export function hsFragment(type, seq, body, { off = 0, len = body.length - off, msgLen = body.length, fragLen = len } = {}) {
  return cat(u8(type), u24(msgLen), u16(seq), u24(off), u24(fragLen), body.subarray(off, off + len));
}

/** A whole message as a single fragment. */
export const hsMessage = (type, seq, body) => hsFragment(type, seq, body);

/** DTLS 1.3 unified header record: 0b001CSLEE. */
export function unified(body, { cid = null, seq16 = true, withLength = true, epoch = 3, seq = 1 } = {}) {
  let first = 0x20 | (epoch & 3);
  if (cid) first |= 0x10;
  if (seq16) first |= 0x08;
  if (withLength) first |= 0x04;
  return cat(u8(first), cid ?? [], seq16 ? u16(seq) : u8(seq), withLength ? u16(body.length) : [], body);
}

/** HelloVerifyRequest body: server_version, cookie. */
export const hvrBody = (cookie, version = DTLS10) => cat(u16(version), vec8(cookie));

/** connection_id extension (RFC 9146): cid<0..2^8-1>. */
export const cidExt = (cid) => ext(54, vec8(cid));
/** cookie extension (RFC 8446 4.2.2): cookie<1..2^16-1>. */
export const cookieExt = (cookie) => ext(44, vec16(cookie));

/** A STUN binding message (RFC 8489 §5): type, length, magic cookie, transaction id, attributes. */
export function stun(type = 0x0001, attrs = fill(24, 9)) {
  return cat(u16(type), u16(attrs.length), Buffer.from([0x21, 0x12, 0xa4, 0x42]), fill(12, type), attrs);
}

/** An RTP packet (version 2). */
export const rtp = (n = 40) => cat(Buffer.from([0x80, 0x60]), fill(n, 4));
