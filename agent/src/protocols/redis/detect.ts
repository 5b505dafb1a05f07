// Redis (RESP, https://redis.io/docs/latest/develop/reference/protocol-spec/): the
// client speaks first, sending a command as an array of bulk strings
// "*<n>\r\n$<len>\r\n<COMMAND>\r\n..." or, from a terminal, an inline command (only PING
// is taken: other inline words are too generic). The server's answer identifies it as
// well when it is Redis-specific: "+PONG", "-NOAUTH", "-WRONGPASS", "-DENIED" (protected
// mode), or Redis's wording of "-ERR unknown command" / "wrong number of arguments".

import {
  NEED_MORE,
  NO,
  YES,
  either,
  isAlpha,
  isDigit,
  matchAscii,
  more,
  type ProtocolSignature,
  type Verdict,
} from '../signature.js';

/** Parses "<digits>\r\n" at `off`: the value (> 0), NEED_MORE when cut short, NO when malformed or zero. */
function decimalLine(buf: Buffer, off: number, maxDigits: number): number {
  if (off < buf.length && buf[off] === 0x30) return NO; // RESP lengths have no leading zeros
  let i = off;
  let v = 0;
  while (i < buf.length && i - off < maxDigits && isDigit(buf[i])) v = v * 10 + buf[i++] - 0x30;
  if (i + 2 > buf.length) {
    if (i === buf.length) return i - off < maxDigits ? NEED_MORE : NO;
    return buf[i] === 0x0d && i > off ? NEED_MORE : NO;
  }
  if (i === off || buf[i] !== 0x0d || buf[i + 1] !== 0x0a) return NO;
  return v;
}

/** Command names: letters, then letters/digits and the '.', '_', '|', '-' of module commands. */
function isCommandByte(b: number, first: boolean): boolean {
  if (isAlpha(b)) return true;
  return !first && (isDigit(b) || b === 0x2e || b === 0x5f || b === 0x7c || b === 0x2d);
}

function respCommand(c: Buffer, done: boolean): Verdict {
  const n = decimalLine(c, 1, 7);
  if (n === NEED_MORE) return more(done);
  if (n < 1) return NO;
  let i = 1 + String(n).length + 2;
  if (i >= c.length) return more(done);
  if (c[i] !== 0x24 /* '$' */) return NO;
  const len = decimalLine(c, i + 1, 3);
  if (len === NEED_MORE) return more(done);
  if (len < 1 || len > 64) return NO;
  i += 1 + String(len).length + 2;
  const end = i + len;
  for (let j = i; j < end; j++) {
    if (j >= c.length) return more(done);
    if (!isCommandByte(c[j], j === i)) return NO;
  }
  if (end + 2 > c.length) {
    if (end < c.length && c[end] !== 0x0d) return NO;
    return more(done);
  }
  return c[end] === 0x0d && c[end + 1] === 0x0a ? YES : NO;
}

function clientSide(c: Buffer, done: boolean): Verdict {
  if (c.length === 0) return more(done);
  if (c[0] === 0x2a /* '*' */) return respCommand(c, done);
  const m = matchAscii(c, 0, 'PING', true);
  if (m !== YES) return m === NEED_MORE ? more(done) : NO;
  if (c.length === 4) return more(done);
  return c[4] === 0x0d || c[4] === 0x0a ? YES : NO;
}

// Redis's own wording: a POP3 server's "-ERR" replies do not read like these
const SERVER_REPLIES = ['+PONG\r\n', '-NOAUTH ', '-WRONGPASS ', '-DENIED ', '-ERR unknown command ', '-ERR wrong number of arguments '];

function serverSide(s: Buffer, done: boolean): Verdict {
  let pending = false;
  for (const r of SERVER_REPLIES) {
    const v = matchAscii(s, 0, r);
    if (v === YES) return YES;
    if (v === NEED_MORE) pending = true;
  }
  return pending ? more(done) : NO;
}

export const REDIS: ProtocolSignature = {
  name: 'redis',
  transport: 'tcp',
  encrypted: false,
  detect(c, s, cDone, sDone) {
    return either(clientSide(c, cDone), serverSide(s, sDone));
  },
};
