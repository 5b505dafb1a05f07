// FTP control connection (RFC 959) cleartext parser: AUTH TLS (RFC 4217 / RFC 2228)
// and USER/PASS credentials. Each command gets one reply; 1yz replies are preliminary
// (another reply follows); a multi-line reply starts with "xyz-" and ends with the
// first line starting "xyz " with the same code (lines between may be anything).
//   - FEAT (RFC 2389) reply listing "AUTH TLS" (or SSL, TLS-C, TLS-P): offered by the server;
//   - AUTH TLS|SSL|TLS-C|TLS-P + 234: the server's stream is TLS after that reply, the
//     client's after its command; another reply: refused (AUTH GSSAPI and its ADAT
//     exchange, 334, is not TLS);
//   - USER name, PASS secret: credential 'ftp' ('ftp-anonymous' for the anonymous
//     account, whose "password" is by convention an e-mail address).

import { registerAppParser } from '../app-parser.js';
import { cleanString, equalsFold, replyCodeAt, skipSpaces, upperWord, wordEnd } from '../text/ascii.js';
import { LineSessionParser } from '../text/line-session.js';

const CMD_OTHER = 0;
const CMD_FEAT = 1;
const CMD_AUTH_TLS = 2;
const CMD_PASS = 3;

const MAX_QUEUE = 64;
const TLS_MECHANISMS = new Set(['TLS', 'SSL', 'TLS-C', 'TLS-P']);

export class FtpParser extends LineSessionParser {
  private greeted = false;
  private readonly queue: number[] = [];
  private multiCode = -1; // code of the multi-line reply being read
  private featTls = false;
  private user: string | null = null;

  protected override atBoundary(fromClient: boolean): boolean {
    return fromClient || this.multiCode < 0;
  }

  protected clientLine(line: Buffer, s: number, e: number): void {
    // Telnet IP/Synch sequences may precede ABOR: skip any IAC bytes at the start
    while (s < e && line[s] >= 0xf0) s++;
    const w = wordEnd(line, s, e);
    const verb = upperWord(line, s, w, 8);
    const a = skipSpaces(line, w, e);
    let cmd = CMD_OTHER;
    switch (verb) {
      case 'FEAT':
        cmd = CMD_FEAT;
        break;
      case 'AUTH': {
        const mech = upperWord(line, a, wordEnd(line, a, e), 8);
        if (TLS_MECHANISMS.has(mech)) {
          cmd = CMD_AUTH_TLS;
          this.detail('auth', mech);
          this.requestUpgrade();
        }
        break;
      }
      case 'USER':
        this.user = a < e ? cleanString(line.toString('utf8', a, Math.min(e, a + 256))) : null;
        break;
      case 'PASS': {
        cmd = CMD_PASS;
        const u = this.user;
        const anonymous = u !== null && (u.toLowerCase() === 'anonymous' || u.toLowerCase() === 'ftp');
        if (a < e) this.addCredential(anonymous ? 'ftp-anonymous' : 'ftp', u); // an empty password exposes nothing
        break;
      }
    }
    if (this.queue.length >= MAX_QUEUE) this.queue.shift();
    this.queue.push(cmd);
  }

  /** One reply line; true when the server's stream switches to TLS after it. */
  protected serverLine(line: Buffer, s: number, e: number): boolean {
    const code = replyCodeAt(line, s, e);
    const head = this.queue.length > 0 ? this.queue[0] : -1;
    if (this.multiCode >= 0) {
      // inside a multi-line reply: it ends at "xyz " with its code
      if (code === this.multiCode && (e - s === 3 || line[s + 3] === 0x20)) {
        this.multiCode = -1;
      } else {
        if (head === CMD_FEAT && this.greeted) this.feature(line, s, e);
        return false;
      }
    } else {
      if (code < 0) return false;
      if (e - s > 3 && line[s + 3] === 0x2d) {
        this.multiCode = code;
        return false;
      }
    }
    if (code < 200) return false; // 1yz: preliminary, the final reply follows
    if (!this.greeted) {
      this.greeted = true;
      if (head === -1 || code === 220 || code === 421) return false; // the greeting
    }
    this.queue.shift();
    switch (head) {
      case CMD_FEAT:
        if (code >= 200 && code < 300) this.advertised(this.featTls);
        this.featTls = false;
        break;
      case CMD_AUTH_TLS:
        this.detail('starttls_reply', code);
        if (code === 234) {
          this.acceptUpgrade();
          return true;
        }
        this.refuseUpgrade();
        break;
      case CMD_PASS:
        if (code === 230) this.detail('login_success', true);
        break;
    }
    return false;
  }

  /** A FEAT line: " AUTH TLS", " AUTH TLS;TLS-C;SSL", " AUTH SSL TLS" ... */
  private feature(line: Buffer, s: number, e: number): void {
    s = skipSpaces(line, s, e);
    const w = wordEnd(line, s, e);
    if (!equalsFold(line, s, w, 'AUTH')) return;
    let i = w;
    while (i < e) {
      i = skipSpaces(line, i, e);
      let j = i;
      while (j < e && line[j] !== 0x3b && line[j] !== 0x20 && line[j] !== 0x09) j++;
      if (TLS_MECHANISMS.has(upperWord(line, i, j, 8))) this.featTls = true;
      i = j + 1;
    }
  }
}

registerAppParser('ftp', () => new FtpParser());
