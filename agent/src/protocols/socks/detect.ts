// SOCKS proxies. SOCKS4/4a: the client sends VN=4, CD=1 (CONNECT) or 2 (BIND), port,
// IPv4 address, a NUL-terminated user id and, for 4a (address 0.0.0.x), a
// NUL-terminated host name; the server answers VN=0, CD=90..93. SOCKS5 (RFC 1928): the
// client greets with VER=5, NMETHODS, METHODS; the server picks one (or 0xFF). The
// client's greeting is short and generic, so SOCKS5 needs the server's choice to be one
// the client offered (or, when the server never answered, the greeting followed by a
// well-formed request).

import { NEED_MORE, NO, YES, isText, more, type ProtocolSignature, type Verdict } from '../signature.js';

/** End of a NUL-terminated text field at `off` (index after the NUL), NEED_MORE, or NO. */
function cString(buf: Buffer, off: number, done: boolean): number {
  const end = Math.min(buf.length, off + 256);
  for (let i = off; i < end; i++) {
    if (buf[i] === 0) return i + 1;
    if (!isText(buf[i]) || buf[i] === 0x20) return NO;
  }
  return end === buf.length && !done ? NEED_MORE : NO;
}

function socks4(c: Buffer, s: Buffer, cDone: boolean, sDone: boolean): Verdict {
  if (c.length < 9) {
    if (c.length > 1 && c[1] !== 1 && c[1] !== 2) return NO;
    return more(cDone);
  }
  if (c[1] !== 1 && c[1] !== 2) return NO;
  const port = (c[2] << 8) | c[3];
  if (port === 0 && c[1] === 1) return NO;
  let end = cString(c, 8, cDone);
  if (end <= 0) return end as Verdict;
  if (c[4] === 0 && c[5] === 0 && c[6] === 0 && c[7] !== 0) {
    const host = end;
    end = cString(c, host, cDone); // SOCKS4a host name
    if (end <= 0) return end as Verdict;
    if (end === host + 1) return NO; // empty host name
  }
  if (s.length === 0) return sDone ? YES : NEED_MORE;
  if (s[0] !== 0) return NO;
  if (s.length < 2) return more(sDone);
  return s[1] >= 90 && s[1] <= 93 ? YES : NO;
}

function isMethod(m: number): boolean {
  return m <= 9 || (m >= 0x80 && m <= 0xfe); // IANA-assigned, or private methods
}

function socks5(c: Buffer, s: Buffer, cDone: boolean, sDone: boolean): Verdict {
  if (c.length < 2) return more(cDone);
  const n = c[1];
  if (n === 0 || n > 32) return NO;
  const greetingEnd = 2 + n;
  for (let i = 2; i < Math.min(greetingEnd, c.length); i++) if (!isMethod(c[i])) return NO;
  if (c.length < greetingEnd) return more(cDone);
  // whatever the client sent next: username/password auth (RFC 1929, VER=1) or a request (VER=5, CMD 1..3, RSV 0)
  let requestFollows = false;
  if (c.length > greetingEnd) {
    const v = c[greetingEnd];
    if (v !== 1 && v !== 5) return NO;
    if (v === 5 && c.length >= greetingEnd + 4) {
      const cmd = c[greetingEnd + 1];
      const atyp = c[greetingEnd + 3];
      if (cmd < 1 || cmd > 3 || c[greetingEnd + 2] !== 0 || (atyp !== 1 && atyp !== 3 && atyp !== 4)) return NO;
      requestFollows = true;
    }
  }
  if (s.length === 0) return sDone ? (requestFollows ? YES : NO) : NEED_MORE;
  if (s[0] !== 5) return NO;
  if (s.length < 2) return more(sDone);
  const chosen = s[1];
  if (chosen === 0xff) return YES; // no acceptable method
  for (let i = 2; i < greetingEnd; i++) if (c[i] === chosen) return YES;
  return NO; // the server picked a method the client did not offer
}

export const SOCKS: ProtocolSignature = {
  name: 'socks',
  transport: 'tcp',
  encrypted: false,
  detect(c, s, cDone, sDone) {
    if (c.length === 0) return more(cDone);
    if (c[0] === 4) return socks4(c, s, cDone, sDone);
    if (c[0] === 5) return socks5(c, s, cDone, sDone);
    return NO;
  },
};
