// Redis (RESP2/RESP3) cleartext parser: the client's commands, as arrays of bulk
// strings ("*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n") or inline lines ("AUTH secret"):
//   - AUTH password (requirepass / the default user) and AUTH username password (ACL,
//     Redis 6): credential 'redis', with the user of the two-argument form;
//   - HELLO protover AUTH username password [SETNAME name]: credential 'redis'.
// Only the command name and the user name argument are ever copied; the password
// argument is skipped by its length. Redis has no STARTTLS: TLS is on its own port.
// The server's replies teach nothing here and are not parsed.

import { registerAppParser } from '../app-parser.js';
import { cleanString, decimalAt, skipSpaces, upperWord, wordEnd } from '../text/ascii.js';
import { TextSessionParser } from '../text/session.js';

/** Commands looked at before the parser is done (AUTH comes first in practice). */
const MAX_COMMANDS = 64;
const MAX_ARG = 256;

const TOP = 0; // a command starts: '*' array or an inline line
const BULK_HEADER = 1; // "$len" line of the next argument
const BULK_DATA = 2; // argument bytes and their CRLF

export class RedisParser extends TextSessionParser {
  private state = TOP;
  private argc = 0;
  private argi = 0;
  private bulkLeft = 0;
  private bulkLen = 0;
  private arg: Buffer | null = null; // copy of an argument worth keeping
  private argLen = 0;
  private command = '';
  private helloAuth = false;
  private helloUser: string | null = null;
  private commands = 0;

  constructor() {
    super();
    this.server.stopped = true;
  }

  protected parse(fromClient: boolean, buf: Buffer, pos: number, end: number): number {
    if (!fromClient) return end;
    const r = this.client.reader;
    while (pos < end) {
      if (this.state === BULK_DATA) {
        const n = Math.min(this.bulkLeft, end - pos);
        const a = this.arg;
        if (a !== null) {
          const k = Math.min(n, this.bulkLen - this.argLen, a.length - this.argLen);
          if (k > 0) buf.copy(a, this.argLen, pos, pos + k);
          if (k > 0) this.argLen += k;
        }
        pos += n;
        this.bulkLeft -= n;
        if (this.bulkLeft === 0) this.argumentDone();
        continue;
      }
      const next = r.next(buf, pos, end);
      if (next < 0) return end;
      pos = next;
      const line = r.line;
      const s = r.start;
      const e = r.end;
      if (this.state === TOP) {
        if (e === s) continue;
        if (line[s] === 0x2a) {
          const n = decimalAt(line, s + 1, e);
          if (n <= 0) continue;
          this.argc = n;
          this.argi = 0;
          this.command = '';
          this.helloAuth = false;
          this.helloUser = null;
          this.state = BULK_HEADER;
        } else {
          this.inline(line, s, e);
        }
      } else {
        // BULK_HEADER
        const n = line[s] === 0x24 ? decimalAt(line, s + 1, e) : -1;
        if (n < 0) {
          this.state = TOP; // not RESP after all: resynchronise on the next line
          continue;
        }
        this.bulkLen = n;
        this.bulkLeft = n + 2;
        this.arg = this.keeps(this.argi) ? Buffer.allocUnsafe(Math.min(n, MAX_ARG)) : null;
        this.argLen = 0;
        this.state = BULK_DATA;
      }
    }
    return end;
  }

  /** Whether argument i of the current command is worth a copy (never a password). */
  private keeps(i: number): boolean {
    if (i === 0) return true;
    if (this.command === 'AUTH') return i === 1 && this.argc === 3;
    if (this.command === 'HELLO') return i === 2 || (i === 3 && this.helloAuth);
    return false;
  }

  private argumentDone(): void {
    const i = this.argi++;
    const a = this.arg;
    this.arg = null;
    if (a !== null) this.argument(i, a, 0, this.argLen);
    if (this.argi >= this.argc) {
      this.commandDone();
      this.state = TOP;
    } else {
      this.state = BULK_HEADER;
    }
  }

  private argument(i: number, b: Buffer, s: number, e: number): void {
    if (i === 0) this.command = upperWord(b, s, e, 16);
    else if (this.command === 'AUTH' && i === 1) this.helloUser = cleanString(b.toString('utf8', s, e), MAX_ARG);
    else if (this.command === 'HELLO' && i === 2) this.helloAuth = upperWord(b, s, e, 8) === 'AUTH';
    else if (this.command === 'HELLO' && i === 3 && this.helloAuth) this.helloUser = cleanString(b.toString('utf8', s, e), MAX_ARG);
  }

  private commandDone(): void {
    if (this.command === 'AUTH' && (this.argc === 2 || this.argc === 3)) {
      this.addCredential('redis', this.argc === 3 ? this.helloUser : null);
    } else if (this.command === 'HELLO' && this.helloAuth && this.argc >= 5) {
      this.addCredential('redis', this.helloUser);
    }
    if (++this.commands >= MAX_COMMANDS) this.finish();
  }

  /** An inline command: space-separated words (quoted words are not split). */
  private inline(line: Buffer, s: number, e: number): void {
    const words: [number, number][] = [];
    let i = skipSpaces(line, s, e);
    while (i < e && words.length < 8) {
      let we: number;
      if (line[i] === 0x22 || line[i] === 0x27) {
        const q = line[i];
        we = i + 1;
        while (we < e && line[we] !== q) we += line[we] === 0x5c ? 2 : 1;
        words.push([i + 1, Math.min(we, e)]);
        we++;
      } else {
        we = wordEnd(line, i, e);
        words.push([i, we]);
      }
      i = skipSpaces(line, we, e);
    }
    if (words.length === 0) return;
    this.argc = words.length;
    this.command = '';
    this.helloAuth = false;
    this.helloUser = null;
    for (let k = 0; k < words.length; k++) {
      if (this.keeps(k)) this.argument(k, line, words[k][0], Math.min(words[k][1], words[k][0] + MAX_ARG));
    }
    this.commandDone();
  }
}

registerAppParser('redis', () => new RedisParser());
