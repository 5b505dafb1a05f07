// IMAP (RFC 9051 §7.1): the server greets with an untagged "* OK", "* PREAUTH" or
// "* BYE" response; the client's commands are "tag SP command" (tag: atom characters
// other than '+'). Either side alone is conclusive.

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

const GREETINGS = ['OK', 'PREAUTH', 'BYE'];
/**
 * Commands valid in the not-authenticated state (plus the any-state ones): true when
 * they take arguments, false when the line must end right after them.
 */
const OPENING_COMMANDS: ReadonlyMap<string, boolean> = new Map([
  ['CAPABILITY', false], ['STARTTLS', false], ['NOOP', false], ['LOGOUT', false],
  ['LOGIN', true], ['AUTHENTICATE', true], ['ID', true], ['ENABLE', true], ['COMPRESS', true],
]);

function greetingSide(s: Buffer, done: boolean): Verdict {
  const m = matchAscii(s, 0, '* ');
  if (m !== YES) return m === NEED_MORE ? more(done) : NO;
  let pending = false;
  for (const g of GREETINGS) {
    const v = matchAscii(s, 2, g, true);
    if (v === NEED_MORE) pending = true;
    else if (v === YES) {
      const i = 2 + g.length;
      if (i >= s.length) pending = true;
      else if (s[i] === 0x20 || s[i] === 0x0d || s[i] === 0x0a) return YES;
    }
  }
  return pending ? more(done) : NO;
}

/** Tag characters: atom chars without '+' (RFC 9051 §9), restricted to the usual ones. */
function isTagByte(b: number): boolean {
  return isAlpha(b) || isDigit(b) || b === 0x2e || b === 0x2d || b === 0x5f || b === 0x3a || b === 0x2f;
}

function commandSide(c: Buffer, done: boolean): Verdict {
  let i = 0;
  while (i < c.length && i < 32 && isTagByte(c[i])) i++;
  if (i === c.length) return i < 32 ? more(done) : NO;
  if (i === 0 || c[i] !== 0x20) return NO;
  const start = ++i;
  while (i < c.length && i - start < 13 && isAlpha(c[i])) i++;
  if (i === c.length) return more(done);
  const b = c[i];
  const command = c.toString('latin1', start, i).toUpperCase();
  const takesArgs = OPENING_COMMANDS.get(command);
  if (takesArgs === undefined) return NO;
  if (!takesArgs) return b === 0x0d || b === 0x0a ? YES : NO;
  if (b !== 0x20) return NO;
  if (command !== 'ID') return YES;
  // RFC 2971: ID SP ( "(" parameter list ")" / NIL )
  if (i + 1 >= c.length) return more(done);
  if (c[i + 1] === 0x28) return YES;
  const nil = matchAscii(c, i + 1, 'NIL', true);
  return nil === NEED_MORE ? more(done) : nil;
}

export const IMAP: ProtocolSignature = {
  name: 'imap',
  transport: 'tcp',
  encrypted: false,
  detect(c, s, cDone, sDone) {
    return either(greetingSide(s, sDone), commandSide(c, cDone));
  },
};
