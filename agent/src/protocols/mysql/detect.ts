// MySQL / MariaDB client/server protocol. Packets are "3-byte little-endian payload
// length, 1-byte sequence id, payload". The server speaks first:
//   Protocol::HandshakeV10: seq 0, 0x0a, NUL-terminated server version ("8.0.36",
//     "5.5.5-10.11.6-MariaDB"), 4-byte thread id, 8 bytes of auth data, a 0x00 filler;
//   or an ERR packet (0xff, error code, message) when it refuses the host.
// The client answers with Protocol::HandshakeResponse41 (or an SSLRequest, its first
// 32 bytes): seq 1, capability flags with CLIENT_PROTOCOL_41, max packet size,
// character set, then 23 reserved zero bytes (MariaDB puts its extended capabilities
// in the last 4), which makes the client side recognisable on its own.

import { NO, YES, either, isDigit, isText, more, type ProtocolSignature, type Verdict } from '../signature.js';

const CLIENT_PROTOCOL_41 = 0x200;
const CLIENT_SSL = 0x800;

function payloadLength(buf: Buffer): number {
  return buf[0] | (buf[1] << 8) | (buf[2] << 16);
}

function greeting(s: Buffer, done: boolean): Verdict {
  if (s.length < 5) return s.length >= 4 && s[3] !== 0 ? NO : more(done);
  const len = payloadLength(s);
  if (s[3] !== 0 || len > 1024) return NO;
  if (s[4] === 0xff) {
    // ERR packet: code (LE16, server errors are 1000..1999), optional "#SQLSTATE", message
    if (len < 12) return NO;
    if (s.length < 15) return more(done);
    const code = s[5] | (s[6] << 8);
    if (code < 1000 || code > 1999) return NO;
    for (let i = 7; i < 15; i++) if (!isText(s[i])) return NO;
    return YES;
  }
  if (s[4] !== 10 || len < 32) return NO;
  // server version: printable, starts with a digit, NUL-terminated within 64 bytes
  let i = 5;
  const end = Math.min(4 + len, 5 + 64);
  for (; i < end && i < s.length && s[i] !== 0; i++) if (s[i] < 0x20 || s[i] > 0x7e) return NO;
  if (i === s.length) return more(done);
  if (i === end || i === 5 || !isDigit(s[5])) return NO;
  const filler = i + 1 + 4 + 8;
  if (filler >= 4 + len) return NO;
  if (filler >= s.length) return more(done);
  return s[filler] === 0 ? YES : NO;
}

function handshakeResponse(c: Buffer, done: boolean): Verdict {
  if (c.length < 4) return more(done);
  const len = payloadLength(c);
  if (c[3] !== 1 || len < 32 || len > 4096) return NO;
  if (c.length < 36) {
    if (c.length >= 6 && !(c[5] & (CLIENT_PROTOCOL_41 >> 8))) return NO;
    for (let i = 13; i < Math.min(c.length, 32); i++) if (c[i] !== 0) return NO;
    return more(done);
  }
  const caps = c[4] | (c[5] << 8);
  if (!(caps & CLIENT_PROTOCOL_41)) return NO;
  for (let i = 13; i < 32; i++) if (c[i] !== 0) return NO;
  if (len === 32) return caps & CLIENT_SSL ? YES : NO; // SSLRequest
  // user name: NUL-terminated text
  let i = 36;
  const end = Math.min(c.length, 4 + len, 36 + 256);
  for (; i < end && c[i] !== 0; i++) if (c[i] < 0x20 || c[i] === 0x7f) return NO;
  if (i < end) return YES;
  return i === c.length ? more(done) : NO;
}

export const MYSQL: ProtocolSignature = {
  name: 'mysql',
  transport: 'tcp',
  encrypted: false,
  detect(c, s, cDone, sDone) {
    return either(greeting(s, sDone), handshakeResponse(c, cDone));
  },
};
