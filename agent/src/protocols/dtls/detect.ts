// DTLS (RFC 6347 §4.1, RFC 9147 §4). A plaintext record header is 13 bytes: content
// type (20..25), version (0xfeff DTLS 1.0, 0xfefd 1.2, 0xfefc 1.3, 0x0100 for OpenSSL's
// pre-RFC DTLS), epoch, 48-bit sequence number, length. The handshake starts in epoch 0
// with a ClientHello from the client and a HelloVerifyRequest/ServerHello (or an alert)
// from the server, each carrying a 12-byte handshake header whose fragment must fit the
// record. DTLS 1.3's encrypted records use a unified header (first byte 001xxxxx) that
// has too little structure to be told from noise, so it never identifies DTLS alone.
// The first-byte ranges keep STUN (0..3), ZRTP (16..19), TURN channels (64..79) and
// RTP/RTCP (128..191) apart (RFC 7983 §7), and QUIC long headers (192..255). WebRTC
// peers exchange STUN connectivity checks on the same 5-tuple before the DTLS
// handshake: leading STUN messages (RFC 8489 §5: magic cookie, 4-byte-aligned length)
// are skipped, which relies on a side's bytes being its datagrams laid end to end.

import { NO, YES, either, more, u16, u24, u32, type ProtocolSignature, type Verdict } from '../signature.js';

const RECORD_HEADER = 13;
const HANDSHAKE_HEADER = 12;
const CT_HANDSHAKE = 22;

function knownVersion(v: number): boolean {
  return v === 0xfeff || v === 0xfefd || v === 0xfefc || v === 0x0100;
}

const STUN_HEADER = 20;
const STUN_COOKIE = 0x2112a442;

/** Offset past the STUN messages at the start of `buf`, or -1 when one is cut short. */
function skipStun(buf: Buffer): number {
  let off = 0;
  for (let n = 0; n < 64 && off < buf.length && buf[off] < 4; n++) {
    if (off + STUN_HEADER > buf.length) return -1;
    const len = u16(buf, off + 2);
    if (u32(buf, off + 4) !== STUN_COOKIE || len & 3) return off;
    off += STUN_HEADER + len;
  }
  return off > buf.length ? -1 : off;
}

function record(buf: Buffer, done: boolean): Verdict {
  const o = skipStun(buf);
  if (o < 0) return more(done);
  const r = o === 0 ? buf : buf.subarray(o);
  return plaintextRecord(r, done);
}

function plaintextRecord(buf: Buffer, done: boolean): Verdict {
  if (buf.length === 0) return more(done);
  const ct = buf[0];
  if (ct < 20 || ct > 25) return NO;
  if (buf.length < 3) return more(done);
  if (!knownVersion(u16(buf, 1))) return NO;
  if (buf.length < RECORD_HEADER) return more(done);
  const epoch = u16(buf, 3);
  const len = u16(buf, 11);
  if (len === 0 || len > 16384 + 2048) return NO;
  // a capture that starts mid-session: a protected record of a later epoch (the type,
  // version and length checks above are all there is to check)
  if (epoch !== 0) return epoch < 0x100 && ct !== 24 ? YES : NO;
  if (ct !== CT_HANDSHAKE) return NO; // an epoch-0 alert alone says too little: the other side decides
  if (buf.length < RECORD_HEADER + HANDSHAKE_HEADER) return more(done);
  const h = RECORD_HEADER;
  // a ClientHello, ServerHello or HelloVerifyRequest: from either side, since in WebRTC
  // the DTLS client is whichever peer the signalling made it, not the flow's originator
  const type = buf[h];
  if (type !== 1 && type !== 2 && type !== 3) return NO;
  const msgLen = u24(buf, h + 1);
  const fragOff = u24(buf, h + 6);
  const fragLen = u24(buf, h + 9);
  if (fragLen + HANDSHAKE_HEADER > len || fragOff + fragLen > msgLen) return NO;
  if (fragOff === 0 && msgLen < (type === 3 ? 3 : 38)) return NO; // version + random + ... at least
  return YES;
}

export const DTLS: ProtocolSignature = {
  name: 'dtls',
  transport: 'udp',
  encrypted: true,
  detect(c, s, cDone, sDone) {
    return either(record(c, cDone), record(s, sDone));
  },
};
