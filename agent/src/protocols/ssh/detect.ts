// SSH (RFC 4253 §4.2): both sides open with an identification line
// "SSH-protoversion-softwareversion [SP comments] CR LF" (protoversion "2.0", or
// "1.99"/"1.5" for SSH-1 compatible peers). The server MAY send other text lines before
// its identification line; the client may not, so the client's first bytes decide
// when the server's banner is buried under a long greeting.

import {
  INSPECT_LIMIT,
  LINE_BAD,
  LINE_OPEN,
  NEED_MORE,
  NO,
  YES,
  either,
  isDigit,
  isGraph,
  matchAscii,
  more,
  textLine,
  type ProtocolSignature,
  type Verdict,
} from '../signature.js';

/** Checks "SSH-<digits>.<digits>-<software>" at `off`. */
function identificationAt(buf: Buffer, off: number, done: boolean): Verdict {
  const m = matchAscii(buf, off, 'SSH-');
  if (m !== YES) return m === NEED_MORE ? more(done) : NO;
  let i = off + 4;
  for (let part = 0; part < 2; part++) {
    const start = i;
    while (i < buf.length && i - start < 3 && isDigit(buf[i])) i++;
    if (i === buf.length) return more(done);
    if (i === start) return NO;
    const sep = part === 0 ? 0x2e : 0x2d; // '.' then '-'
    if (buf[i] !== sep) return NO;
    i++;
  }
  if (i === buf.length) return more(done);
  // softwareversion: printable US-ASCII without spaces or '-'... RFC allows '-' inside; require one visible char
  return isGraph(buf[i]) ? YES : NO;
}

/** The server side: identification line, possibly after other text lines. */
function serverSide(s: Buffer, done: boolean): Verdict {
  let off = 0;
  for (let lines = 0; lines < 32 && off < INSPECT_LIMIT; lines++) {
    if (off >= s.length) return more(done);
    if (s[off] === 0x53 /* 'S' */) {
      const v = identificationAt(s, off, done);
      if (v !== NO) return v;
    }
    const lf = textLine(s, off, INSPECT_LIMIT - off, done);
    if (lf === LINE_OPEN) return NEED_MORE;
    if (lf === LINE_BAD) return NO;
    off = lf + 1;
  }
  return NO;
}

export const SSH: ProtocolSignature = {
  name: 'ssh',
  transport: 'tcp',
  encrypted: true,
  detect(c, s, cDone, sDone) {
    return either(identificationAt(c, 0, cDone), serverSide(s, sDone));
  },
};
