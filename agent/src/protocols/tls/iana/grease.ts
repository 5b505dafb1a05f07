// GREASE (RFC 8701): reserved code points 0x?A?A with both bytes equal, sent by clients
// to keep peers tolerant of unknown values. They appear in cipher suites, extensions,
// supported groups, supported versions, signature algorithms, ALPN and key shares, and
// every fingerprint (JA3, JA4) drops them.

/** True for the sixteen 16-bit GREASE values 0x0a0a, 0x1a1a, ... 0xfafa. */
export function isGrease(code: number): boolean {
  return (code & 0x0f0f) === 0x0a0a && (code >>> 8) === (code & 0xff) && code <= 0xffff;
}
