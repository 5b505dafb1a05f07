// SMTP (RFC 5321) cleartext parser: STARTTLS (RFC 3207), AUTH (RFC 4954).
// Commands and replies are paired in order (RFC 2920 pipelining allowed): each
// command gets exactly one final reply (2yz/4yz/5yz, possibly multi-line "250-"
// ... "250 "), 3yz replies are intermediate (334 SASL challenge, 354 send data).
//   - EHLO reply keywords: STARTTLS (offered by the server), AUTH mechanisms;
//   - STARTTLS + 220: the server's stream is TLS right after its reply line, the
//     client's right after its STARTTLS line (RFC 3207 §4: no pipelining after it);
//     454/5yz: refused, the session goes on in cleartext;
//   - AUTH PLAIN / LOGIN / XOAUTH2 / OAUTHBEARER: the secret travels base64-encoded,
//     the user is taken from it; CRAM-MD5 and other challenge-response mechanisms
//     send no reusable secret and are not credentials.
// The message body (DATA up to ".", BDAT chunks by size) is skipped.

import { registerAppParser } from '../app-parser.js';
import { equalsFold, isContinuation, replyCodeAt, skipSpaces, startsWithFold, upperWord, wordEnd, decimalAt } from '../text/ascii.js';
import { SaslExchange, cleartextMechanism, mechanismKind } from '../text/sasl.js';
import { LineSessionParser } from '../text/line-session.js';

const CMD_OTHER = 0;
const CMD_HELLO = 1; // EHLO / LHLO (extended hello: keyword reply)
const CMD_HELO = 2;
const CMD_STARTTLS = 3;
const CMD_AUTH = 4;
const CMD_DATA = 5;
const CMD_BDAT = 6;

/** Commands awaiting their reply that are remembered (a client that never reads its replies is not worth more). */
const MAX_QUEUE = 64;

/** SASL mechanisms whose initial response completes the client's part. */
const ONE_MESSAGE = new Set(['PLAIN', 'XOAUTH2', 'OAUTHBEARER', 'EXTERNAL', 'ANONYMOUS']);

export class SmtpParser extends LineSessionParser {
  private greeted = false;
  private readonly queue: number[] = [];
  // extended hello reply being read: STARTTLS seen in it
  private helloStarttls = false;
  private mechanisms: string[] | null = null;
  private readonly sasl = new SaslExchange();
  private saslKind = '';
  /** An AUTH is outstanding and the client may still send responses to it. */
  private authResponses = false;
  private inData = false;
  private bdatLeft = 0;
  private readonly mechanismsUsed: string[] = [];

  /** The rest of a BDAT chunk (RFC 3030): message bytes, not lines. */
  protected override skip(fromClient: boolean, _buf: Buffer, pos: number, end: number): number {
    if (!fromClient || this.bdatLeft === 0) return 0;
    const n = Math.min(this.bdatLeft, end - pos);
    this.bdatLeft -= n;
    return n;
  }

  protected clientLine(line: Buffer, s: number, e: number): void {
    if (this.inData) {
      if (e - s === 1 && line[s] === 0x2e) this.inData = false; // "." ends the message
      return;
    }
    if (this.authResponses) {
      const got = this.sasl.response(line, s, e);
      if (got !== null) this.addCredential(this.saslKind, got.user);
      if (e - s === 1 && line[s] === 0x2a) this.authResponses = false; // "*" cancels
      return;
    }
    const w = wordEnd(line, s, e);
    const verb = upperWord(line, s, w, 10);
    let cmd = CMD_OTHER;
    switch (verb) {
      case 'EHLO':
      case 'LHLO':
        cmd = CMD_HELLO;
        break;
      case 'HELO':
        cmd = CMD_HELO;
        break;
      case 'STARTTLS':
        cmd = CMD_STARTTLS;
        this.requestUpgrade();
        break;
      case 'AUTH':
        cmd = CMD_AUTH;
        this.auth(line, w, e);
        break;
      case 'DATA':
        cmd = CMD_DATA;
        this.inData = true; // until the reply refuses it, or "."
        break;
      case 'BDAT': {
        cmd = CMD_BDAT;
        const a = skipSpaces(line, w, e);
        const size = decimalAt(line, a, wordEnd(line, a, e));
        if (size > 0) this.bdatLeft = size;
        break;
      }
    }
    if (this.queue.length >= MAX_QUEUE) this.queue.shift();
    this.queue.push(cmd);
  }

  private auth(line: Buffer, w: number, e: number): void {
    const m = skipSpaces(line, w, e);
    const mEnd = wordEnd(line, m, e);
    const mech = upperWord(line, m, mEnd, 40);
    const ir = skipSpaces(line, mEnd, e);
    const known = cleartextMechanism(mech);
    this.saslKind = known ? `smtp-${mechanismKind(known)}` : '';
    const got = this.sasl.begin(mech, line, ir, e);
    if (got !== null) this.addCredential(this.saslKind, got.user);
    // with an initial response a one-message mechanism is complete; otherwise responses follow
    this.authResponses = !(ir < e && ONE_MESSAGE.has(mech));
    if (mech && !this.mechanismsUsed.includes(mech) && this.mechanismsUsed.length < 4) this.mechanismsUsed.push(mech);
    this.detail('auth_used', this.mechanismsUsed);
  }

  /** One reply line; true when the server's stream switches to TLS after it. */
  protected serverLine(line: Buffer, s: number, e: number): boolean {
    const code = replyCodeAt(line, s, e);
    if (code < 0) return false; // not a reply line
    const head = this.queue.length > 0 ? this.queue[0] : -1;
    if (code === 250 && (head === CMD_HELLO || head === -1) && this.greeted) this.helloKeyword(line, s + 4, e);
    if (isContinuation(line, s, e)) return false;
    if (!this.greeted) {
      this.greeted = true;
      // the greeting; when the client's commands were seen first, a 220/421/554 is still the greeting
      if (head === -1 || code === 220 || code === 421 || code === 554) return false;
    }
    if (code >= 300 && code < 400) {
      if (code === 334 && head === CMD_AUTH) this.authResponses = true;
      return false;
    }
    this.queue.shift();
    switch (head) {
      case CMD_HELLO:
        if (code >= 200 && code < 300) {
          this.advertised(this.helloStarttls);
          if (this.mechanisms) this.detail('auth_mechanisms', this.mechanisms);
        }
        this.helloStarttls = false;
        break;
      case CMD_STARTTLS:
        this.detail('starttls_reply', code);
        if (code >= 200 && code < 300) {
          this.acceptUpgrade();
          return true;
        }
        this.refuseUpgrade();
        break;
      case CMD_AUTH:
        this.authResponses = false;
        this.sasl.end();
        if (code === 235) this.detail('auth_success', true);
        break;
      case CMD_DATA:
        this.inData = false; // refused, or the message was accepted / rejected after "."
        break;
    }
    return false;
  }

  /** A keyword line of an EHLO reply ("250-STARTTLS", "250-AUTH PLAIN LOGIN", "250-AUTH=LOGIN"). */
  private helloKeyword(line: Buffer, s: number, e: number): void {
    if (s >= e) return;
    const w = wordEnd(line, s, e);
    if (equalsFold(line, s, w, 'STARTTLS')) {
      this.helloStarttls = true;
      return;
    }
    if (startsWithFold(line, s, w, 'AUTH') && (w - s === 4 || line[s + 4] === 0x3d)) {
      const list = (this.mechanisms ??= []);
      let i = w - s === 4 ? w : s + 5;
      while (i < e && list.length < 16) {
        i = skipSpaces(line, i, e);
        const we = wordEnd(line, i, e);
        const m = upperWord(line, i, we, 40);
        if (m && !list.includes(m)) list.push(m);
        i = we;
      }
    }
  }
}

registerAppParser('smtp', () => new SmtpParser());
