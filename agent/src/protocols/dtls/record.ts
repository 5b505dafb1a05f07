// DTLS record layer framing: which records one UDP datagram holds (RFC 6347 §4.1, RFC 9146
// §4, RFC 9147 §4) and what else shares the 5-tuple (RFC 7983 §7, updated by RFC 9443).
//
//  * DTLSPlaintext / DTLS 1.0-1.2 record: type(1) version(2) epoch(2) sequence(6) length(2).
//  * tls12_cid record (type 25, RFC 9146): the same, with the connection id the receiver
//    chose between the sequence number and the length. Its length is not on the wire: it
//    comes from the connection_id extensions of the hellos.
//  * DTLS 1.3 unified header (first byte 0b001CSLEE): C = connection id present, S = 16-bit
//    (else 8-bit) sequence number, L = 16-bit length present (else the record runs to the end
//    of the datagram), EE = the low two bits of the epoch. Always encrypted.
// Several records may share a datagram; a record never spans two. The reader fills one
// reusable header object per record so the hot path allocates nothing.

import { u16 } from '../signature.js';

export const CT_CHANGE_CIPHER_SPEC = 20;
export const CT_ALERT = 21;
export const CT_HANDSHAKE = 22;
export const CT_APPLICATION_DATA = 23;
export const CT_HEARTBEAT = 24;
export const CT_TLS12_CID = 25;
export const CT_ACK = 26;

export const RECORD_HEADER = 13;
/** RFC 6347 §4.1: a record's length MUST NOT exceed 2^14 (+ 2048 of expansion when protected). */
export const MAX_RECORD_LENGTH = 16384 + 2048;

// RFC 7983 §7 / RFC 9443 §3: what the first byte of a datagram on a multiplexed 5-tuple is.
export const MUX_STUN = 0;
export const MUX_ZRTP = 1;
export const MUX_DTLS = 2;
export const MUX_TURN_CHANNEL = 3;
export const MUX_RTP = 4;
export const MUX_OTHER = 5; // QUIC (80..127, 192..255) or unassigned

export function demultiplex(firstByte: number): number {
  if (firstByte <= 3) return MUX_STUN;
  if (firstByte >= 16 && firstByte <= 19) return MUX_ZRTP;
  if (firstByte >= 20 && firstByte <= 63) return MUX_DTLS;
  if (firstByte >= 64 && firstByte <= 79) return MUX_TURN_CHANNEL;
  if (firstByte >= 128 && firstByte <= 191) return MUX_RTP;
  return MUX_OTHER;
}

/** The first byte of a DTLS 1.3 unified header: 0b001xxxxx. */
export function isUnifiedHeader(b: number): boolean {
  return (b & 0xe0) === 0x20;
}

/** Version fields a DTLS record may carry: 0xfeXX (DTLS 1.0 = 0xfeff counting down), 0x0100 (OpenSSL's pre-RFC DTLS). */
export function isDtlsVersion(v: number): boolean {
  return (v & 0xff00) === 0xfe00 || v === 0x0100;
}

/** One record's framing, overwritten by each readRecord() call. */
export class DtlsRecordHeader {
  /** content type; for a unified header, CT_APPLICATION_DATA (the real type is encrypted) */
  type = 0;
  /** version field; 0xfefc for a unified header (DTLS 1.3 has no version on the wire) */
  version = 0;
  /** epoch (a unified header only carries its low two bits) */
  epoch = 0;
  /** sequence number as on the wire (48-bit; a unified header's is 8/16-bit and encrypted) */
  sequence = 0;
  unified = false;
  /** a connection id was present (its length: cidLength) */
  hasCid = false;
  cidLength = 0;
  /** body (fragment) offset and length */
  bodyOffset = 0;
  bodyLength = 0;
  /** why the last call returned -1: a stable kebab-case reason, '' at the clean end of the datagram */
  error = '';

  /** The record is protected: epoch > 0, a tls12_cid record or a unified header. */
  get encrypted(): boolean {
    return this.unified || this.epoch !== 0 || this.type === CT_TLS12_CID;
  }
}

/**
 * Reads the record at buf[pos..end). `cidLength` is the length of the connection id the
 * records from this sender carry (-1: not known). Returns the offset after the record, or -1
 * (h.error says why; '' when pos === end). Never reads outside [pos, end).
 */
export function readRecord(buf: Buffer, pos: number, end: number, cidLength: number, h: DtlsRecordHeader): number {
  h.error = '';
  h.hasCid = false;
  h.cidLength = 0;
  if (pos >= end) return -1;
  const first = buf[pos];
  if (isUnifiedHeader(first)) return readUnified(buf, pos, end, cidLength, h);
  h.unified = false;
  if (end - pos < RECORD_HEADER) return fail(h, 'dtls-record-header-truncated');
  h.type = first;
  h.version = u16(buf, pos + 1);
  if (first < CT_CHANGE_CIPHER_SPEC || first > CT_ACK) return fail(h, 'dtls-record-type-unknown');
  if (!isDtlsVersion(h.version)) return fail(h, 'dtls-record-version-unknown');
  h.epoch = u16(buf, pos + 3);
  h.sequence = u16(buf, pos + 5) * 0x100000000 + buf.readUInt32BE(pos + 7);
  let p = pos + 11;
  if (first === CT_TLS12_CID) {
    if (cidLength < 0) return fail(h, 'dtls-cid-length-unknown');
    h.hasCid = true;
    h.cidLength = cidLength;
    p += cidLength;
    if (p + 2 > end) return fail(h, 'dtls-record-header-truncated');
  }
  const len = u16(buf, p);
  p += 2;
  if (len > MAX_RECORD_LENGTH) return fail(h, 'dtls-record-too-long');
  if (p + len > end) return fail(h, 'dtls-record-past-datagram');
  h.bodyOffset = p;
  h.bodyLength = len;
  return p + len;
}

function readUnified(buf: Buffer, pos: number, end: number, cidLength: number, h: DtlsRecordHeader): number {
  const first = buf[pos];
  h.unified = true;
  h.type = CT_APPLICATION_DATA;
  h.version = 0xfefc;
  h.epoch = first & 0x03;
  let p = pos + 1;
  if (first & 0x10) {
    if (cidLength < 0) return fail(h, 'dtls-cid-length-unknown');
    h.hasCid = true;
    h.cidLength = cidLength;
    p += cidLength;
  }
  const seqBytes = first & 0x08 ? 2 : 1;
  if (p + seqBytes > end) return fail(h, 'dtls-record-header-truncated');
  h.sequence = seqBytes === 2 ? u16(buf, p) : buf[p];
  p += seqBytes;
  let len: number;
  if (first & 0x04) {
    if (p + 2 > end) return fail(h, 'dtls-record-header-truncated');
    len = u16(buf, p);
    p += 2;
    if (len > MAX_RECORD_LENGTH) return fail(h, 'dtls-record-too-long');
    if (p + len > end) return fail(h, 'dtls-record-past-datagram');
  } else len = end - p;
  if (len === 0) return fail(h, 'dtls-record-empty');
  h.bodyOffset = p;
  h.bodyLength = len;
  return p + len;
}

function fail(h: DtlsRecordHeader, reason: string): number {
  h.error = reason;
  return -1;
}

// ---------------------------------------------------------------- handshake fragments

export const HANDSHAKE_HEADER = 12;

/** One handshake fragment header (RFC 6347 §4.2.2), overwritten by each readFragment() call. */
export class DtlsFragmentHeader {
  msgType = 0;
  /** length of the whole message */
  length = 0;
  messageSeq = 0;
  fragmentOffset = 0;
  fragmentLength = 0;
  /** fragment bytes start here */
  dataOffset = 0;
  error = '';
}

/**
 * Reads the handshake fragment at buf[pos..end) (inside one record's body). Returns the
 * offset after it, or -1 (f.error says why; '' when pos === end).
 */
export function readFragment(buf: Buffer, pos: number, end: number, f: DtlsFragmentHeader): number {
  f.error = '';
  if (pos >= end) return -1;
  if (end - pos < HANDSHAKE_HEADER) {
    f.error = 'dtls-handshake-header-truncated';
    return -1;
  }
  f.msgType = buf[pos];
  f.length = (buf[pos + 1] << 16) | u16(buf, pos + 2);
  f.messageSeq = u16(buf, pos + 4);
  f.fragmentOffset = (buf[pos + 6] << 16) | u16(buf, pos + 7);
  f.fragmentLength = (buf[pos + 9] << 16) | u16(buf, pos + 10);
  f.dataOffset = pos + HANDSHAKE_HEADER;
  if (f.dataOffset + f.fragmentLength > end) {
    f.error = 'dtls-fragment-past-record';
    return -1;
  }
  if (f.fragmentOffset + f.fragmentLength > f.length) {
    // the fragment is framed correctly, only its placement is impossible: skip it, keep reading
    f.error = 'dtls-fragment-beyond-message';
  }
  return f.dataOffset + f.fragmentLength;
}
