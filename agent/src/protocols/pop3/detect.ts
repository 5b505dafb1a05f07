// POP3 (RFC 1939): the server speaks first with "+OK greeting". Redis answers "+OK" to
// client commands too, but a Redis client always speaks first, in RESP ("*N") or with an
// inline command that is not a POP3 one; so the greeting counts when the client has
// said nothing yet or has sent a POP3 command. A bare "+OK" with no greeting text
// needs the client's POP3 command to confirm.

import {
  LINE_BAD,
  LINE_OPEN,
  NEED_MORE,
  NO,
  YES,
  commandIn,
  lineContentEnd,
  matchAscii,
  more,
  textLine,
  type ProtocolSignature,
  type Verdict,
} from '../signature.js';

const POP3_COMMANDS: ReadonlySet<string> = new Set([
  'USER', 'PASS', 'APOP', 'CAPA', 'STLS', 'AUTH', 'QUIT', 'STAT', 'LIST', 'RETR', 'UIDL', 'TOP',
  'NOOP', 'DELE', 'RSET', 'UTF8',
]);

export const POP3: ProtocolSignature = {
  name: 'pop3',
  transport: 'tcp',
  encrypted: false,
  detect(c, s, cDone, sDone) {
    const m = matchAscii(s, 0, '+OK');
    if (m !== YES) return m === NEED_MORE ? more(sDone) : NO;
    const lf = textLine(s, 0, 512, sDone);
    if (lf === LINE_OPEN) return NEED_MORE;
    if (lf === LINE_BAD) return NO;
    const end = lineContentEnd(s, lf);
    if (end > 3 && s[3] !== 0x20) return NO; // "+OKAY" is not a status indicator
    const client: Verdict = commandIn(c, cDone, POP3_COMMANDS);
    if (client === YES) return YES;
    if (c.length > 0) return client; // the client said something that is not POP3 (yet)
    return end > 4 ? YES : more(cDone);
  },
};
