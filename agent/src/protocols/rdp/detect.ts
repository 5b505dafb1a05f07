// RDP connection start (MS-RDPBCGR §2.2.1.1/§2.2.1.2): a TPKT header (RFC 1006: version
// 3, reserved 0, length) carrying an X.224 Connection Request (0xE0) from the client or
// a Connection Confirm (0xD0) from the server, class 0. What follows the fixed X.224
// part tells RDP from other ISO-on-TCP users (S7comm, MMS... carry COTP parameters
// 0xC0-0xC2 there): nothing, a "Cookie: mstshash=" / routing token line, or an
// RDP_NEG_REQ (type 1) / RDP_NEG_RSP (2) / RDP_NEG_FAILURE (3) structure of length 8.
// Standard RDP Security (RC4, possibly none) or TLS/CredSSP is negotiated next, so
// whether the session is encrypted cannot be told from the protocol alone.

import { NO, YES, either, matchAscii, more, u16, type ProtocolSignature, type Verdict } from '../signature.js';

const X224_CR = 0xe0;
const X224_CC = 0xd0;

function tpdu(buf: Buffer, done: boolean, code: number): Verdict {
  if (buf.length === 0) return more(done);
  if (buf[0] !== 3) return NO;
  if (buf.length < 11) {
    if (buf.length > 1 && buf[1] !== 0) return NO;
    if (buf.length > 5 && buf[5] !== code) return NO;
    return more(done);
  }
  const len = u16(buf, 2);
  if (buf[1] !== 0 || len < 11 || len > 4096) return NO;
  if (buf[4] !== len - 5 || buf[5] !== code) return NO; // length indicator covers the rest of the TPDU
  if (code === X224_CR && u16(buf, 6) !== 0) return NO; // DST-REF is zero in a request
  if (buf[10] !== 0) return NO; // class 0, no options
  if (len === 11) return YES;
  if (buf.length === 11) return more(done);
  const v = buf[11];
  if (code === X224_CR && v === 0x43 /* 'C' */) {
    const m = matchAscii(buf, 11, 'Cookie: ');
    return m === YES ? YES : m === NO ? NO : more(done);
  }
  const negType = code === X224_CR ? v === 1 || v === 6 : v === 2 || v === 3;
  if (!negType) return NO;
  if (buf.length < 14) return more(done);
  return buf[13] === 8 || buf[13] === 36 ? YES : NO; // structure length (LE16): 8, or 36 for correlation info
}

export const RDP: ProtocolSignature = {
  name: 'rdp',
  transport: 'tcp',
  encrypted: null,
  detect(c, s, cDone, sDone) {
    return either(tpdu(c, cDone, X224_CR), tpdu(s, sDone, X224_CC));
  },
};
