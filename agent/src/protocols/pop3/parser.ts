// POP3 (RFC 1939) cleartext parser, for the AUTHORIZATION state where STLS (RFC 2595)
// and credentials occur. Replies are paired with commands in order; "+OK" replies to
// CAPA, LIST/UIDL without argument, RETR, TOP and an argument-less AUTH are multi-line
// (ending with "."), whose lines are skipped except CAPA's:
//   - CAPA lines: STLS (offered by the server), SASL mechanisms, USER;
//   - STLS + "+OK": the server's stream is TLS after that line, the client's after its
//     command; "-ERR": refused;
//   - USER name / PASS secret: credential 'pop3' (user from USER);
//   - AUTH PLAIN|LOGIN|XOAUTH2|OAUTHBEARER (RFC 5034): credential from the SASL message;
//   - APOP sends an MD5 digest, not the secret: no credential (noted in details).
// Once a login succeeds the session is in the TRANSACTION state: done.

import { registerAppParser } from '../app-parser.js';
import { cleanString, equalsFold, skipSpaces, startsWithFold, upperWord, wordEnd } from '../text/ascii.js';
import { SaslExchange, cleartextMechanism, mechanismKind } from '../text/sasl.js';
import { LineSessionParser } from '../text/line-session.js';

const CMD_OTHER = 0;
const CMD_MULTI = 1; // "+OK" starts a multi-line reply
const CMD_CAPA = 2;
const CMD_STLS = 3;
const CMD_LOGIN = 4; // PASS, APOP: "+OK" means authenticated
const CMD_AUTH = 5;
const CMD_AUTH_LIST = 6; // AUTH without argument: mechanism list (multi-line)

const MAX_QUEUE = 64;
const ONE_MESSAGE = new Set(['PLAIN', 'XOAUTH2', 'OAUTHBEARER', 'EXTERNAL', 'ANONYMOUS']);

export class Pop3Parser extends LineSessionParser {
  private greeted = false;
  private readonly queue: number[] = [];
  private multi = 0; // command whose multi-line reply is being read, 0 when none
  private capaStls = false;
  private user: string | null = null;
  private readonly sasl = new SaslExchange();
  private saslKind = '';
  private authResponses = false;
  private mechanisms: string[] | null = null;

  protected override atBoundary(fromClient: boolean): boolean {
    return fromClient || this.multi === 0;
  }

  protected clientLine(line: Buffer, s: number, e: number): void {
    if (this.authResponses) {
      const got = this.sasl.response(line, s, e);
      if (got !== null) this.addCredential(this.saslKind, got.user);
      return;
    }
    const w = wordEnd(line, s, e);
    const verb = upperWord(line, s, w, 8);
    const a = skipSpaces(line, w, e);
    const hasArg = a < e;
    let cmd = CMD_OTHER;
    switch (verb) {
      case 'CAPA':
        cmd = CMD_CAPA;
        break;
      case 'STLS':
        cmd = CMD_STLS;
        this.requestUpgrade();
        break;
      case 'USER':
        this.user = hasArg ? cleanString(line.toString('utf8', a, Math.min(e, a + 256))) : null;
        break;
      case 'PASS':
        cmd = CMD_LOGIN;
        if (hasArg) this.addCredential('pop3', this.user);
        break;
      case 'APOP':
        cmd = CMD_LOGIN;
        this.detail('apop', true);
        break;
      case 'AUTH':
        if (!hasArg) cmd = CMD_AUTH_LIST;
        else {
          cmd = CMD_AUTH;
          this.auth(line, a, e);
        }
        break;
      case 'LIST':
      case 'UIDL':
        if (!hasArg) cmd = CMD_MULTI;
        break;
      case 'RETR':
      case 'TOP':
        cmd = CMD_MULTI;
        break;
    }
    if (this.queue.length >= MAX_QUEUE) this.queue.shift();
    this.queue.push(cmd);
  }

  private auth(line: Buffer, m: number, e: number): void {
    const mEnd = wordEnd(line, m, e);
    const mech = upperWord(line, m, mEnd, 40);
    const ir = skipSpaces(line, mEnd, e);
    const known = cleartextMechanism(mech);
    this.saslKind = known ? `pop3-${mechanismKind(known)}` : '';
    const got = this.sasl.begin(mech, line, ir, e);
    if (got !== null) this.addCredential(this.saslKind, got.user);
    this.authResponses = !(ir < e && ONE_MESSAGE.has(mech));
  }

  /** One reply line; true when the server's stream switches to TLS after it. */
  protected serverLine(line: Buffer, s: number, e: number): boolean {
    if (this.multi !== 0) {
      if (e - s === 1 && line[s] === 0x2e) {
        if (this.multi === CMD_CAPA) this.advertised(this.capaStls);
        this.multi = 0;
      } else if (this.multi === CMD_CAPA) this.capability(line, s, e);
      return false;
    }
    const ok = startsWithFold(line, s, e, '+OK');
    const err = !ok && startsWithFold(line, s, e, '-ERR');
    if (!ok && !err) {
      // "+ challenge": the client's next line answers the SASL exchange
      if (e > s && line[s] === 0x2b && this.queue[0] === CMD_AUTH) this.authResponses = true;
      return false;
    }
    if (!this.greeted) {
      // the server speaks first: its first reply is the greeting, even when identification
      // replayed the client's first commands before it
      this.greeted = true;
      return false;
    }
    const head = this.queue.length > 0 ? this.queue.shift()! : CMD_OTHER;
    switch (head) {
      case CMD_MULTI:
      case CMD_AUTH_LIST:
        if (ok) this.multi = head;
        break;
      case CMD_CAPA:
        if (ok) {
          this.multi = CMD_CAPA;
          this.capaStls = false;
        }
        break;
      case CMD_STLS:
        this.detail('starttls_reply', ok ? '+OK' : '-ERR');
        if (ok) {
          this.acceptUpgrade();
          return true;
        }
        this.refuseUpgrade();
        break;
      case CMD_AUTH:
        this.authResponses = false;
        this.sasl.end();
        if (ok) this.finish();
        break;
      case CMD_LOGIN:
        if (ok) this.finish(); // TRANSACTION state
        break;
    }
    return false;
  }

  private capability(line: Buffer, s: number, e: number): void {
    const w = wordEnd(line, s, e);
    if (equalsFold(line, s, w, 'STLS')) this.capaStls = true;
    else if (equalsFold(line, s, w, 'SASL')) {
      const list = (this.mechanisms ??= []);
      let i = w;
      while (i < e && list.length < 16) {
        i = skipSpaces(line, i, e);
        const we = wordEnd(line, i, e);
        const m = upperWord(line, i, we, 40);
        if (m && !list.includes(m)) list.push(m);
        i = we;
      }
      this.detail('auth_mechanisms', list);
    }
  }
}

registerAppParser('pop3', () => new Pop3Parser());
