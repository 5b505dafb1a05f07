// IRC (RFC 2812 / modern IRCv3): lines of "[:prefix SP] command params CRLF". A client
// registers with CAP LS/REQ, NICK, or USER <user> <mode> <unused> :<realname>, possibly
// after PASS; a server's first lines are NOTICEs (":irc.example NOTICE * :*** Looking up
// your hostname"), numerics (":irc.example 001 nick :Welcome"), PING or ERROR.
// USER alone is not enough (FTP and POP3 have one-argument USER commands): IRC's takes
// at least three parameters.

import {
  LINE_BAD,
  LINE_OPEN,
  NEED_MORE,
  NO,
  YES,
  either,
  firstWord,
  isDigit,
  isGraph,
  lineContentEnd,
  more,
  textLine,
  type ProtocolSignature,
  type Verdict,
} from '../signature.js';

const MAX_LINE = 512; // RFC 2812 §2.3: 512 bytes including CRLF

/** Number of space-separated parameters in [from, end), a ':' parameter counting as the last one. */
function paramCount(buf: Buffer, from: number, end: number): number {
  let n = 0;
  let i = from;
  while (i < end) {
    while (i < end && buf[i] === 0x20) i++;
    if (i >= end) break;
    n++;
    if (buf[i] === 0x3a) break;
    while (i < end && buf[i] !== 0x20) i++;
  }
  return n;
}

function clientSide(c: Buffer, done: boolean): Verdict {
  let off = 0;
  for (let lines = 0; lines < 4; lines++) {
    const rest = off === 0 ? c : c.subarray(off);
    const w = firstWord(rest, done, 4);
    if (w === NEED_MORE || w === NO) return w;
    const lf = textLine(c, off, MAX_LINE, done);
    if (lf === LINE_OPEN) return NEED_MORE;
    if (lf === LINE_BAD) return NO;
    const end = lineContentEnd(c, lf);
    const params = paramCount(c, off + w.length, end);
    if (w === 'PASS' && params >= 1) {
      off = lf + 1; // the password line is followed by NICK/USER
      if (off >= c.length) return more(done);
      continue;
    }
    if (w === 'NICK' && params >= 1) return YES;
    if (w === 'USER' && params >= 4) return YES;
    if (w === 'CAP' && params >= 1) return YES;
    return NO;
  }
  return NO;
}

const SERVER_COMMANDS: ReadonlySet<string> = new Set(['NOTICE', 'PING', 'ERROR', 'CAP']);

function serverSide(s: Buffer, done: boolean): Verdict {
  if (s.length === 0) return more(done);
  let i = 0;
  let prefixed = false;
  if (s[0] === 0x3a) {
    // ":prefix SP": a server name or nick!user@host
    i = 1;
    while (i < s.length && i < 128 && isGraph(s[i])) i++;
    if (i === s.length) return more(done);
    if (i === 1 || s[i] !== 0x20) return NO;
    i++;
    prefixed = true;
  }
  const start = i;
  while (i < s.length && i - start < 7 && (isDigit(s[i]) || (s[i] >= 0x41 && s[i] <= 0x5a))) i++;
  if (i === s.length) return more(done);
  if (s[i] !== 0x20) return NO;
  const len = i - start;
  const numeric = len === 3 && isDigit(s[start]) && isDigit(s[start + 1]) && isDigit(s[start + 2]);
  if (!(numeric && prefixed) && !SERVER_COMMANDS.has(s.toString('latin1', start, i))) return NO;
  const lf = textLine(s, 0, MAX_LINE, done);
  if (lf === LINE_OPEN) return NEED_MORE;
  return lf === LINE_BAD ? NO : YES;
}

export const IRC: ProtocolSignature = {
  name: 'irc',
  transport: 'tcp',
  encrypted: false,
  detect(c, s, cDone, sDone) {
    return either(clientSide(c, cDone), serverSide(s, sDone));
  },
};
