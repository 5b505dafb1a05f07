// SSLv2 hello messages (SSL 2.0 draft, "Client-Hello" / "Server-Hello"; RFC 5246 E.2 for the
// SSLv2-compatible ClientHello of TLS clients). Bodies after the message-type byte; never throw.

import type { ClientHello, ServerHello } from './types.js';
import { copy, emptyClientHello, emptyServerHello, note, u16 } from './hello.js';

/**
 * SSLv2 CLIENT-HELLO body after the message type byte: version, cipher-specs length, session-id
 * length, challenge length, then the three fields. Cipher kinds are 3 bytes; those whose first byte
 * is 0 are TLS cipher suites offered in the SSLv2-compatible format (RFC 5246 E.2).
 */
export function parseSsl2ClientHello(buf: Buffer, off: number, len: number): ClientHello {
  const ch = emptyClientHello('ssl2');
  ch.ssl2CipherKinds = [];
  const b = buf;
  const end = Math.min(off + Math.max(len, 0), b.length);
  const p = off;
  if (p + 8 > end) {
    ch.truncated = true;
    ch.malformed = note(ch.malformed, 'ssl2-client-hello-header-past-end');
    return ch;
  }
  ch.legacyVersion = u16(b, p);
  const csLen = u16(b, p + 2);
  const sidLen = u16(b, p + 4);
  const chalLen = u16(b, p + 6);
  let q = p + 8;
  if (csLen % 3 !== 0) ch.malformed = note(ch.malformed, 'ssl2-client-hello-cipher-specs-length');
  for (let last = Math.min(q + csLen, end) - 2; q < last; q += 3) {
    const kind = (b[q] << 16) | u16(b, q + 1);
    ch.ssl2CipherKinds.push(kind);
    if (b[q] === 0) ch.cipherSuites.push(kind);
  }
  q = p + 8 + csLen;
  if (q + sidLen > end) {
    ch.truncated = true;
    ch.malformed = note(ch.malformed, 'ssl2-client-hello-past-end');
    return ch;
  }
  ch.sessionId = copy(b, q, q + sidLen);
  q += sidLen;
  if (q + chalLen > end) {
    ch.truncated = true;
    ch.malformed = note(ch.malformed, 'ssl2-client-hello-past-end');
    return ch;
  }
  ch.random = copy(b, q, q + chalLen);
  return ch;
}

/**
 * SSLv2 SERVER-HELLO body after the message type byte: session-id-hit, certificate type, version,
 * certificate length, cipher-specs length, connection-id length, then the fields. The first cipher
 * spec (24-bit) is what the session will use.
 */
export function parseSsl2ServerHello(buf: Buffer, off: number, len: number): ServerHello {
  const sh = emptyServerHello();
  const b = buf;
  const end = Math.min(off + Math.max(len, 0), b.length);
  const p = off;
  if (p + 10 > end) {
    sh.truncated = true;
    sh.malformed = note(sh.malformed, 'ssl2-server-hello-header-past-end');
    return sh;
  }
  sh.ssl2SessionIdHit = b[p] !== 0;
  sh.legacyVersion = u16(b, p + 2);
  const certLen = u16(b, p + 4);
  const csLen = u16(b, p + 6);
  const connIdLen = u16(b, p + 8);
  let q = p + 10;
  if (q + certLen + csLen + connIdLen > end) {
    sh.truncated = true;
    sh.malformed = note(sh.malformed, 'ssl2-server-hello-past-end');
  }
  sh.ssl2Certificate = certLen > 0 && q + certLen <= end ? copy(b, q, q + certLen) : null;
  q += certLen;
  if (csLen >= 3 && q + 3 <= end) sh.cipherSuite = (b[q] << 16) | u16(b, q + 1);
  q += csLen;
  if (q + connIdLen <= end) sh.random = copy(b, q, q + connIdLen); // connection-id plays the server random's part
  return sh;
}
