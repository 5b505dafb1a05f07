// PostgreSQL frontend/backend protocol (https://www.postgresql.org/docs/current/protocol-message-formats.html).
// The client speaks first with an untyped message "Int32 length, Int32 code":
//   StartupMessage  code = protocol version 3.0 (0x00030000; 3.2 since PostgreSQL 18; 2.0
//                   from old clients), then "name\0value\0"... pairs and a final \0;
//   SSLRequest      length 8, code 80877103 (the server answers a single 'S' or 'N');
//   GSSENCRequest   length 8, code 80877104;
//   CancelRequest   length 16 (up to 264 with PostgreSQL 18's longer keys), code 80877102.
// SSLRequest counts as PostgreSQL even when TLS follows (STARTTLS-style upgrade).
// Without the client side, the server's first authentication request ('R', length,
// auth type) or ErrorResponse ('E', length, 'S' severity field) identifies it.

import { NO, YES, either, isAlpha, isText, more, u32, type ProtocolSignature, type Verdict } from '../signature.js';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const MAX_STARTUP = 10000; // the server's own limit on a startup packet

function startupSide(c: Buffer, done: boolean): Verdict {
  if (c.length < 8) {
    // the length is a small big-endian number: its top bytes are zero
    if ((c.length > 0 && c[0] !== 0) || (c.length > 1 && c[1] !== 0)) return NO;
    return more(done);
  }
  const len = u32(c, 0);
  const code = u32(c, 4);
  if (code === SSL_REQUEST || code === GSSENC_REQUEST) return len === 8 ? YES : NO;
  if (code === CANCEL_REQUEST) return len >= 16 && len <= 264 ? YES : NO;
  const major = code >>> 16;
  const minor = code & 0xffff;
  if (!((major === 3 && minor <= 0xff) || (major === 2 && minor === 0))) return NO;
  if (len < 9 || len > MAX_STARTUP) return NO;
  // the first parameter name ("user", "database", "application_name", "_pq_.x", ...)
  const end = Math.min(len, c.length);
  let i = 8;
  for (; i < end && c[i] !== 0; i++) {
    const b = c[i];
    if (!(isAlpha(b) || b === 0x5f || b === 0x2e || (b >= 0x30 && b <= 0x39))) return NO;
    if (i - 8 > 64) return NO;
  }
  if (i === c.length) return more(done);
  if (i === len) return NO;
  // a lone terminator (no parameters) is legal for the protocol, but no client sends it
  if (i === 8) return NO;
  // its value: text up to NUL
  for (i++; i < end && c[i] !== 0; i++) if (!isText(c[i])) return NO;
  if (i === c.length) return more(done);
  return i < len ? YES : NO;
}

/** Authentication request codes (AuthenticationOk .. AuthenticationSASLFinal). */
function knownAuth(t: number): boolean {
  return t === 0 || t === 2 || t === 3 || t === 5 || t === 6 || (t >= 7 && t <= 12);
}

function backendSide(s: Buffer, done: boolean): Verdict {
  if (s.length === 0) return more(done);
  const t = s[0];
  if (t !== 0x52 /* 'R' */ && t !== 0x45 /* 'E' */) return NO;
  const need = t === 0x52 ? 9 : 10;
  if (s.length < need) {
    if (s.length > 1 && s[1] !== 0) return NO;
    return more(done);
  }
  const len = u32(s, 1);
  if (t === 0x52) {
    if (len < 8 || len > 2048) return NO;
    return knownAuth(u32(s, 5)) ? YES : NO;
  }
  // ErrorResponse: fields "type byte, text\0"; the first is the severity 'S'
  if (len < 16 || len > 8192 || s[5] !== 0x53) return NO;
  for (let i = 6; i < 10; i++) if (!isAlpha(s[i])) return NO;
  return YES;
}

export const POSTGRESQL: ProtocolSignature = {
  name: 'postgresql',
  transport: 'tcp',
  encrypted: false,
  detect(c, s, cDone, sDone) {
    return either(startupSide(c, cDone), backendSide(s, sDone));
  },
};
