// IMAP (RFC 9051 / RFC 3501) cleartext parser, for the not-authenticated state, the
// only one where STARTTLS and credentials occur:
//   - capabilities from "* CAPABILITY ..." or a "[CAPABILITY ...]" response code (in the
//     greeting or a tagged OK): STARTTLS, LOGINDISABLED, AUTH=<mechanism>;
//   - "tag STARTTLS" answered by "tag OK": the server's stream is TLS after that line,
//     the client's after its command (it must wait for the answer); NO/BAD: refused;
//   - "tag LOGIN user password" (atoms, quoted strings or literals {n} / {n+}, RFC 7888);
//     "tag AUTHENTICATE PLAIN|LOGIN|XOAUTH2|OAUTHBEARER [initial response]" (RFC 4959).
// Literals are followed by byte count on both sides (an APPEND's message, a FETCH's
// body), so their content is never mistaken for commands. Once the session is
// authenticated (PREAUTH greeting, tagged OK to LOGIN/AUTHENTICATE) nothing more can
// be learned and the parser is done.

import { registerAppParser } from '../app-parser.js';
import { cleanString, equalsFold, skipSpaces, startsWithFold, upperWord, wordEnd } from '../text/ascii.js';
import { SaslExchange, cleartextMechanism, mechanismKind } from '../text/sasl.js';
import { LineSessionParser } from '../text/line-session.js';

const CMD_OTHER = 0;
const CMD_LOGIN = 1;
const ONE_MESSAGE = new Set(['PLAIN', 'XOAUTH2', 'OAUTHBEARER', 'EXTERNAL', 'ANONYMOUS']);
const MAX_TAG = 64;
const MAX_USER = 256;

interface Literal {
  size: number;
  sync: boolean; // "{n}": the client waits for the server's "+" before sending it
  at: number; // index of the '{' (or '~' of a literal8)
}

/** A literal announced at the end of a line ("... {12}", "{12+}", "~{12}"), or null. */
function trailingLiteral(line: Buffer, s: number, e: number): Literal | null {
  if (e - s < 3 || line[e - 1] !== 0x7d) return null;
  let i = e - 2;
  let sync = true;
  if (line[i] === 0x2b) {
    sync = false;
    i--;
  }
  const digitsEnd = i + 1;
  while (i >= s && line[i] >= 0x30 && line[i] <= 0x39) i--;
  if (i < s || line[i] !== 0x7b || i + 1 === digitsEnd || digitsEnd - i - 1 > 12) return null;
  const size = Number(line.toString('latin1', i + 1, digitsEnd));
  const at = i > s && line[i - 1] === 0x7e ? i - 1 : i;
  return { size, sync, at };
}

export class ImapParser extends LineSessionParser {
  // client: a command continued after a literal
  private cont = false;
  private contCmd = CMD_OTHER;
  private contArgs = 0;
  private contTag = '';
  private literalLeft = 0;
  private literalSize = 0;
  private literalSync = false;
  private capture: Buffer | null = null; // the LOGIN user sent as a literal
  private captured = 0;
  private loginUser: string | null = null;
  private serverLiteralLeft = 0;
  private starttlsTag: string | null = null;
  private authTag: string | null = null;
  private authResponses = false;
  private readonly sasl = new SaslExchange();
  private saslKind = '';
  private mechanisms: string[] | null = null;

  /** The rest of a literal ({n} then n bytes): data, not lines; a LOGIN user name is kept. */
  protected override skip(fromClient: boolean, buf: Buffer, pos: number, end: number): number {
    if (!fromClient) {
      if (this.serverLiteralLeft === 0) return 0;
      const n = Math.min(this.serverLiteralLeft, end - pos);
      this.serverLiteralLeft -= n;
      return n;
    }
    if (this.literalLeft === 0) return 0;
    const n = Math.min(this.literalLeft, end - pos);
    if (this.capture !== null) {
      const k = Math.min(n, this.capture.length - this.captured);
      if (k > 0) buf.copy(this.capture, this.captured, pos, pos + k);
      this.captured += k;
    }
    this.literalLeft -= n;
    if (this.literalLeft === 0 && this.capture !== null) {
      this.loginUser = cleanString(this.capture.toString('utf8', 0, this.captured));
      this.capture = null;
    }
    return n;
  }

  protected override atBoundary(fromClient: boolean): boolean {
    return !fromClient || !this.cont;
  }

  protected clientLine(line: Buffer, s: number, e: number): void {
    if (this.authResponses && !this.cont) {
      const got = this.sasl.response(line, s, e);
      if (got !== null) this.addCredential(this.saslKind, got.user);
      return;
    }
    let cmd = CMD_OTHER;
    let tag = this.contTag;
    let i = s;
    if (this.cont) {
      cmd = this.contCmd;
      this.cont = false;
    } else {
      const tEnd = wordEnd(line, s, e);
      tag = line.toString('latin1', s, Math.min(tEnd, s + MAX_TAG));
      const c = skipSpaces(line, tEnd, e);
      const cEnd = wordEnd(line, c, e);
      const verb = upperWord(line, c, cEnd, 16);
      i = cEnd;
      this.contArgs = 0;
      if (verb === 'STARTTLS') {
        this.starttlsTag = tag;
        this.requestUpgrade();
      } else if (verb === 'LOGIN') {
        cmd = CMD_LOGIN;
        this.authTag = tag;
        this.loginUser = null;
      } else if (verb === 'AUTHENTICATE') {
        this.authenticate(tag, line, cEnd, e);
        return;
      }
    }
    const lit = trailingLiteral(line, s, e);
    if (cmd === CMD_LOGIN) this.loginArgs(line, i, lit === null ? e : lit.at, lit !== null);
    if (lit !== null) {
      this.cont = true;
      this.contCmd = cmd;
      this.contTag = tag;
      this.literalLeft = this.literalSize = lit.size;
      this.literalSync = lit.sync;
    }
  }

  /** LOGIN arguments on one line: userid SP password (a literal may end the line). */
  private loginArgs(line: Buffer, i: number, e: number, literalFollows: boolean): void {
    let n = this.contArgs;
    i = skipSpaces(line, i, e);
    while (i < e) {
      let value: string | null = null;
      if (line[i] === 0x22) {
        // quoted string with \" and \\ escapes
        let j = i + 1;
        const parts: number[] = [];
        while (j < e && line[j] !== 0x22) {
          if (line[j] === 0x5c && j + 1 < e) j++;
          if (n === 0 && parts.length < MAX_USER) parts.push(line[j]);
          j++;
        }
        if (n === 0) value = cleanString(Buffer.from(parts).toString('utf8'));
        i = j + 1;
      } else {
        const we = wordEnd(line, i, e);
        if (n === 0) value = cleanString(line.toString('utf8', i, Math.min(we, i + MAX_USER)));
        i = we;
      }
      this.loginArg(n++, value);
      i = skipSpaces(line, i, e);
    }
    if (literalFollows) {
      if (n === 0) {
        this.capture = Buffer.allocUnsafe(MAX_USER);
        this.captured = 0;
      }
      this.loginArg(n++, null);
    }
    this.contArgs = n;
  }

  private loginArg(index: number, value: string | null): void {
    if (index === 0) this.loginUser = value;
    else if (index === 1) this.addCredential('imap', this.loginUser);
  }

  private authenticate(tag: string, line: Buffer, i: number, e: number): void {
    const m = skipSpaces(line, i, e);
    const mEnd = wordEnd(line, m, e);
    const mech = upperWord(line, m, mEnd, 40);
    const ir = skipSpaces(line, mEnd, e);
    const known = cleartextMechanism(mech);
    this.saslKind = known ? `imap-${mechanismKind(known)}` : '';
    this.authTag = tag;
    const got = this.sasl.begin(mech, line, ir, e);
    if (got !== null) this.addCredential(this.saslKind, got.user);
    this.authResponses = !(ir < e && ONE_MESSAGE.has(mech));
  }

  /** One response line; true when the server's stream switches to TLS after it. */
  protected serverLine(line: Buffer, s: number, e: number): boolean {
    const lit = trailingLiteral(line, s, e);
    if (lit !== null) this.serverLiteralLeft = lit.size;
    if (e <= s) return false;
    if (line[s] === 0x2b) return false; // "+ ...": continuation request (the client sends its literal / SASL response)
    const tEnd = wordEnd(line, s, e);
    const st = skipSpaces(line, tEnd, e);
    const stEnd = wordEnd(line, st, e);
    if (line[s] === 0x2a && tEnd === s + 1) {
      // untagged
      if (equalsFold(line, st, stEnd, 'CAPABILITY')) this.capabilities(line, stEnd, e);
      else if (equalsFold(line, st, stEnd, 'OK')) this.responseCode(line, stEnd, e);
      else if (equalsFold(line, st, stEnd, 'PREAUTH')) {
        this.responseCode(line, stEnd, e);
        this.finish(); // already authenticated: no STARTTLS, no credentials
      }
      return false;
    }
    const tag = line.toString('latin1', s, Math.min(tEnd, s + MAX_TAG));
    const ok = equalsFold(line, st, stEnd, 'OK');
    if (ok) this.responseCode(line, stEnd, e);
    if (this.cont && this.literalSync && this.literalLeft === this.literalSize && tag === this.contTag) {
      // the server refused the command before the client sent its literal
      this.cont = false;
      this.literalLeft = 0;
      this.capture = null;
    }
    if (tag === this.starttlsTag) {
      this.starttlsTag = null;
      this.detail('starttls_reply', upperWord(line, st, stEnd, 8) || null);
      if (ok) {
        this.acceptUpgrade();
        return true;
      }
      this.refuseUpgrade();
    } else if (tag === this.authTag) {
      this.authTag = null;
      this.authResponses = false;
      this.sasl.end();
      if (ok) this.finish();
    }
    return false;
  }

  /** "[CAPABILITY ...]" at the start of a response's text. */
  private responseCode(line: Buffer, i: number, e: number): void {
    i = skipSpaces(line, i, e);
    if (i < e && line[i] === 0x5b && startsWithFold(line, i + 1, e, 'CAPABILITY ')) {
      let close = i + 1;
      while (close < e && line[close] !== 0x5d) close++;
      this.capabilities(line, i + 11, close);
    }
  }

  private capabilities(line: Buffer, i: number, e: number): void {
    let starttls = false;
    while (i < e) {
      i = skipSpaces(line, i, e);
      const we = wordEnd(line, i, e);
      if (equalsFold(line, i, we, 'STARTTLS')) starttls = true;
      else if (equalsFold(line, i, we, 'LOGINDISABLED')) this.detail('login_disabled', true);
      else if (startsWithFold(line, i, we, 'AUTH=')) {
        const list = (this.mechanisms ??= []);
        const m = upperWord(line, i + 5, we, 40);
        if (m && !list.includes(m) && list.length < 16) list.push(m);
        this.detail('auth_mechanisms', list);
      }
      i = we;
    }
    this.advertised(starttls);
  }
}

registerAppParser('imap', () => new ImapParser());
