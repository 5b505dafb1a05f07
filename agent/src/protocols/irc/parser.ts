// IRC (RFC 1459 / RFC 2812, IRCv3) cleartext parser. Messages are lines
// "[@tags ][:prefix ]COMMAND params [:trailing]".
//   - STARTTLS (IRCv3 tls extension) answered by numeric 670 RPL_STARTTLS: the
//     server's stream is TLS after that line, the client's after its command; 691
//     ERR_STARTTLS: refused. "CAP * LS" replies listing "tls": offered by the server;
//   - credentials: PASS (server password; the user is the NICK), SASL AUTHENTICATE
//     PLAIN (IRCv3 sasl, user from the message), NickServ IDENTIFY, OPER name password.

import type { Credential } from '../app-parser.js';
import { registerAppParser } from '../app-parser.js';
import { cleanString, equalsFold, skipSpaces, upperWord, wordEnd } from '../text/ascii.js';
import { SaslExchange } from '../text/sasl.js';
import { LineSessionParser } from '../text/line-session.js';

const MAX_LINE = 8192; // IRCv3 message tags may take 8191 bytes

interface Message {
  command: string; // upper-cased, or a 3-digit numeric
  params: string[]; // at most 16, each bounded
}

/** Splits an IRC line into command and parameters (bounded; the trailing parameter keeps its spaces). */
function parseMessage(line: Buffer, s: number, e: number): Message | null {
  let i = s;
  if (i < e && line[i] === 0x40) i = skipSpaces(line, wordEnd(line, i, e), e); // @tags
  if (i < e && line[i] === 0x3a) i = skipSpaces(line, wordEnd(line, i, e), e); // :prefix
  const ce = wordEnd(line, i, e);
  const command = upperWord(line, i, ce, 16);
  if (command === '') return null;
  const params: string[] = [];
  i = ce;
  while (i < e && params.length < 16) {
    i = skipSpaces(line, i, e);
    if (i >= e) break;
    if (line[i] === 0x3a) {
      params.push(line.toString('utf8', i + 1, Math.min(e, i + 1 + 1024)));
      break;
    }
    const we = wordEnd(line, i, e);
    params.push(line.toString('utf8', i, Math.min(we, i + 512)));
    i = we;
  }
  return { command, params };
}

export class IrcParser extends LineSessionParser {
  private nick: string | null = null;
  private passCredential: Credential | null = null;
  private readonly sasl = new SaslExchange();
  private saslActive = false;
  private saslKind = '';

  constructor() {
    super(undefined, MAX_LINE);
  }

  protected clientLine(line: Buffer, s: number, e: number): void {
    if (e <= s) return; // empty lines carry nothing
    // commands are matched on the line itself first, to avoid splitting every chat line
    const ce = wordEnd(line, s, e);
    const verb = upperWord(line, s, ce, 16);
    switch (verb) {
      case 'STARTTLS':
        this.requestUpgrade();
        return;
      case 'PASS':
        if (skipSpaces(line, ce, e) < e) this.passCredential = this.addCredential('irc', this.nick);
        return;
      case 'NICK': {
        const m = parseMessage(line, s, e);
        if (m && m.params.length > 0) {
          this.nick = cleanString(m.params[0], 64);
          if (this.passCredential && this.passCredential.user === null) this.passCredential.user = this.nick;
        }
        return;
      }
      case 'AUTHENTICATE':
        this.authenticate(line, skipSpaces(line, ce, e), e);
        return;
      case 'OPER': {
        const m = parseMessage(line, s, e);
        if (m && m.params.length >= 2) this.addCredential('irc-oper', cleanString(m.params[0], 64));
        return;
      }
      case 'PRIVMSG': {
        // PRIVMSG NickServ :IDENTIFY [account] password
        const t = skipSpaces(line, ce, e);
        const te = wordEnd(line, t, e);
        if (!equalsFold(line, t, te, 'NICKSERV') && !equalsFold(line, t, te, 'NICKSERV@SERVICES.')) return;
        let x = skipSpaces(line, te, e);
        if (x < e && line[x] === 0x3a) x++;
        this.identify(line, x, e);
        return;
      }
      case 'NICKSERV':
      case 'NS':
        this.identify(line, skipSpaces(line, ce, e), e);
        return;
    }
  }

  /** "IDENTIFY [account] password" sent to NickServ. */
  private identify(line: Buffer, i: number, e: number): void {
    const we = wordEnd(line, i, e);
    if (!equalsFold(line, i, we, 'IDENTIFY')) return;
    const a = skipSpaces(line, we, e);
    if (a >= e) return;
    const ae = wordEnd(line, a, e);
    const two = skipSpaces(line, ae, e) < e;
    this.addCredential('irc-nickserv', two ? cleanString(line.toString('utf8', a, Math.min(ae, a + 64))) : this.nick);
  }

  /** AUTHENTICATE <mechanism> starts an exchange; AUTHENTICATE <base64> / "+" continues it. */
  private authenticate(line: Buffer, a: number, e: number): void {
    const ae = wordEnd(line, a, e);
    if (!this.saslActive) {
      const mech = upperWord(line, a, ae, 40);
      this.sasl.begin(mech);
      this.saslActive = this.sasl.active;
      this.saslKind = `irc-sasl-${mech.toLowerCase()}`;
      return;
    }
    if (ae - a === 1 && line[a] === 0x2b) return; // "+": empty chunk
    const got = this.sasl.response(line, a, ae);
    if (got !== null) this.addCredential(this.saslKind, got.user);
    if (!this.sasl.active) this.saslActive = false;
  }

  /** One server line; true when the server's stream switches to TLS after it. */
  protected serverLine(line: Buffer, s: number, e: number): boolean {
    if (e <= s) return false;
    const m = parseMessage(line, s, e);
    if (m === null) return false;
    switch (m.command) {
      case '670':
        this.detail('starttls_reply', 670);
        this.acceptUpgrade();
        return true;
      case '691':
        this.detail('starttls_reply', 691);
        this.refuseUpgrade();
        return false;
      case 'CAP':
        // :server CAP <target> LS [*] :cap1 cap2=value ...
        if (m.params.length >= 3 && m.params[1].toUpperCase() === 'LS') {
          const more = m.params.length >= 4 && m.params[2] === '*';
          const caps = m.params[m.params.length - 1].split(' ');
          const tls = caps.some((c) => c === 'tls' || c.startsWith('tls='));
          if (tls) this.advertised(true);
          else if (!more) this.advertised(false);
        }
        return false;
      case '903':
      case '904':
      case '905':
      case '906':
      case '907':
        this.saslActive = false; // SASL exchange over
        this.sasl.end();
        return false;
    }
    return false;
  }
}

registerAppParser('irc', () => new IrcParser());
