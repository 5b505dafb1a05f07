// HTTP/1.x and the HTTP/2 cleartext preface. The client's request line
// "METHOD SP request-target SP HTTP/d.d CRLF" (RFC 9112 §3) or the server's status line
// "HTTP/d.d SP 3DIGIT SP ..." (§4) identifies it; "PRI * HTTP/2.0" is the HTTP/2
// connection preface (RFC 9113 §3.4). The version token is required so that RTSP, SIP
// and other HTTP look-alikes do not match (except for an HTTP/0.9 "GET /path" line).

import {
  NEED_MORE,
  NO,
  YES,
  either,
  isDigit,
  matchAscii,
  more,
  type ProtocolSignature,
  type Verdict,
} from '../signature.js';

/** Registered methods (IANA HTTP Method Registry) clients actually send, WebDAV included. */
const METHODS: ReadonlySet<string> = new Set([
  'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'PRI',
  'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'SEARCH', 'REPORT',
  'MKACTIVITY', 'CHECKOUT', 'CHECKIN', 'UNCHECKOUT', 'MERGE', 'MKWORKSPACE', 'UPDATE', 'LABEL',
  'VERSION-CONTROL', 'BASELINE-CONTROL', 'MKCALENDAR', 'ACL', 'BIND', 'UNBIND', 'REBIND',
  'LINK', 'UNLINK', 'ORDERPATCH', 'MKREDIRECTREF', 'UPDATEREDIRECTREF', 'QUERY', 'PURGE',
]);
const METHOD_LIST = [...METHODS];
const MAX_METHOD = 17;
/** A request line whose target fills this many bytes without ending is taken as a long URL. */
const LONG_TARGET = 256;

function isMethodByte(b: number): boolean {
  return (b >= 0x41 && b <= 0x5a) || b === 0x2d; // upper-case letters and '-'
}

/** "HTTP/d.d" at `off`. */
function versionAt(buf: Buffer, off: number, done: boolean): Verdict {
  const m = matchAscii(buf, off, 'HTTP/');
  if (m !== YES) return m === NEED_MORE ? more(done) : NO;
  const i = off + 5;
  if (i + 3 > buf.length) {
    for (let j = i; j < buf.length; j++) if (!(j === i + 1 ? buf[j] === 0x2e : isDigit(buf[j]))) return NO;
    return more(done);
  }
  return isDigit(buf[i]) && buf[i + 1] === 0x2e && isDigit(buf[i + 2]) ? YES : NO;
}

function requestSide(c: Buffer, done: boolean): Verdict {
  let i = 0;
  while (i < c.length && i < MAX_METHOD && isMethodByte(c[i])) i++;
  if (i === c.length) {
    if (i === 0) return more(done);
    const prefix = c.toString('latin1', 0, i);
    return METHOD_LIST.some((m) => m.startsWith(prefix)) ? more(done) : NO;
  }
  if (c[i] !== 0x20 || !METHODS.has(c.toString('latin1', 0, i))) return NO;
  const method0 = c[0];
  const isGet = i === 3 && method0 === 0x47;
  // request-target: visible bytes (non-ASCII tolerated: some clients send raw UTF-8)
  const start = ++i;
  while (i < c.length && c[i] > 0x20 && c[i] !== 0x7f) i++;
  if (i === start) return i === c.length ? more(done) : NO;
  if (i === c.length) return i - start >= LONG_TARGET ? YES : more(done);
  const b = c[i];
  if (b === 0x20) return versionAt(c, i + 1, done);
  // HTTP/0.9 simple request: "GET /path" CRLF
  if (isGet && c[start] === 0x2f && (b === 0x0d || b === 0x0a)) return YES;
  return NO;
}

function responseSide(s: Buffer, done: boolean): Verdict {
  const v = versionAt(s, 0, done);
  if (v !== YES) return v;
  if (s.length < 12) {
    if (s.length > 8 && s[8] !== 0x20) return NO;
    for (let j = 9; j < s.length; j++) if (!isDigit(s[j])) return NO;
    return more(done);
  }
  if (s[8] !== 0x20 || !isDigit(s[9]) || !isDigit(s[10]) || !isDigit(s[11])) return NO;
  if (s[9] < 0x31 || s[9] > 0x35) return NO; // status classes 1xx..5xx
  if (s.length === 12) return more(done);
  const b = s[12];
  return b === 0x20 || b === 0x0d || b === 0x0a ? YES : NO;
}

export const HTTP: ProtocolSignature = {
  name: 'http',
  transport: 'tcp',
  encrypted: false,
  detect(c, s, cDone, sDone) {
    return either(requestSide(c, cDone), responseSide(s, sDone));
  },
};
