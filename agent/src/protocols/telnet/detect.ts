// Telnet (RFC 854/855): option negotiation "IAC (WILL|WONT|DO|DONT) option" or a
// subnegotiation "IAC SB option ... IAC SE", which most servers and clients send first.
// The option must be an assigned one (0..49, 138..140, 255 EXOPL) and every command in
// the leading run of IAC sequences must parse, which keeps most binary data starting
// with 0xff out.

import { NO, YES, either, more, type ProtocolSignature, type Verdict } from '../signature.js';

const IAC = 0xff;
const SE = 0xf0;
const SB = 0xfa;

function knownOption(o: number): boolean {
  return o <= 49 || (o >= 138 && o <= 140) || o === 255;
}

/** Checks the run of IAC commands at the start of `buf` (up to a few of them). */
function negotiation(buf: Buffer, done: boolean): Verdict {
  if (buf.length === 0) return more(done);
  if (buf[0] !== IAC) return NO;
  let i = 0;
  for (let n = 0; n < 8 && i < buf.length && buf[i] === IAC; n++) {
    if (i + 2 >= buf.length) return n > 0 ? YES : more(done);
    const cmd = buf[i + 1];
    const opt = buf[i + 2];
    if (!knownOption(opt)) return NO;
    if (cmd >= 0xfb && cmd <= 0xfe) {
      i += 3;
    } else if (cmd === SB) {
      // subnegotiation body up to IAC SE (an IAC inside the body is doubled)
      let j = i + 3;
      const end = Math.min(buf.length, j + 256);
      while (j < end && !(buf[j] === IAC && buf[j + 1] === SE)) j += buf[j] === IAC && buf[j + 1] === IAC ? 2 : 1;
      if (j >= end) return j >= buf.length ? (n > 0 ? YES : more(done)) : NO;
      i = j + 2;
    } else {
      return NO;
    }
  }
  return YES;
}

export const TELNET: ProtocolSignature = {
  name: 'telnet',
  transport: 'tcp',
  encrypted: false,
  detect(c, s, cDone, sDone) {
    return either(negotiation(c, cDone), negotiation(s, sDone));
  },
};
