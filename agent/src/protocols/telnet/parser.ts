// Telnet (RFC 854/855) cleartext parser. Option negotiation (IAC WILL/WONT/DO/DONT
// opt, IAC SB ... IAC SE) is stripped from both directions; what is left is the
// terminal text:
//   - a server prompt ending in "login:" / "username:" makes the client's next line
//     the user name (typed characters, backspace/DEL honoured, ended by CR or LF);
//   - a prompt ending in "password:" makes the client's next line a password: a
//     'telnet' credential (its characters are counted, never kept; the server does
//     not echo them, so they appear nowhere else);
//   - START_TLS (option 46, draft-altman-telnet-starttls): the server's IAC DO START_TLS
//     offers it, the client's IAC WILL START_TLS asks for it, and each side's
//     IAC SB START_TLS FOLLOWS IAC SE is the last cleartext it sends.

import { registerAppParser } from '../app-parser.js';
import { cleanString } from '../text/ascii.js';
import { DIRECTION_BUDGET, TextSessionParser } from '../text/session.js';

const IAC = 0xff;
const SB = 0xfa;
const SE = 0xf0;
const WILL = 0xfb;
const DO = 0xfd;
const START_TLS = 46;
const FOLLOWS = 1;

const DATA = 0;
const GOT_IAC = 1;
const GOT_CMD = 2; // WILL/WONT/DO/DONT: option byte next
const IN_SB = 3;
const SB_IAC = 4;

const EXPECT_NONE = 0;
const EXPECT_USER = 1;
const EXPECT_PASSWORD = 2;

const PROMPT_WINDOW = 64;
const MAX_USER = 128;
const USER_PROMPT = /(?:login|user ?name|user)\s*:\s*$/i;
const PASSWORD_PROMPT = /(?:password|passcode|pass phrase|passphrase)\s*:\s*$/i;

class Side {
  state = DATA;
  cmd = 0;
  sbOption = -1;
  sbFirst = -1; // first byte of the subnegotiation body
  sbLen = 0;
}

export class TelnetParser extends TextSessionParser {
  private readonly c = new Side();
  private readonly s = new Side();
  /** The server's text since its last line break (bounded): where prompts are found. */
  private prompt = '';
  private expect = EXPECT_NONE;
  private typed: number[] = [];
  private typedCount = 0;
  private user: string | null = null;
  private serverBytes = 0;

  protected parse(fromClient: boolean, buf: Buffer, pos: number, end: number): number {
    const side = fromClient ? this.c : this.s;
    for (let i = pos; i < end; i++) {
      const b = buf[i];
      switch (side.state) {
        case DATA:
          if (b === IAC) side.state = GOT_IAC;
          else if (fromClient) this.clientByte(b);
          else this.serverByte(b);
          break;
        case GOT_IAC:
          if (b === IAC) {
            side.state = DATA; // escaped 0xff data byte
          } else if (b >= WILL) {
            side.cmd = b;
            side.state = GOT_CMD;
          } else if (b === SB) {
            side.state = IN_SB;
            side.sbOption = -1;
            side.sbFirst = -1;
            side.sbLen = 0;
          } else side.state = DATA; // NOP, GA, AYT, ...
          break;
        case GOT_CMD:
          side.state = DATA;
          if (b === START_TLS) this.negotiation(fromClient, side.cmd);
          break;
        case IN_SB:
          if (b === IAC) side.state = SB_IAC;
          else if (side.sbOption < 0) side.sbOption = b;
          else {
            if (side.sbLen === 0) side.sbFirst = b;
            side.sbLen++;
          }
          break;
        case SB_IAC:
          if (b === SE) {
            side.state = DATA;
            if (side.sbOption === START_TLS && side.sbFirst === FOLLOWS && side.sbLen === 1) {
              // the last cleartext this side sends: TLS follows
              if (fromClient) this.switchClient();
              else this.acceptUpgrade();
              return i + 1;
            }
          } else {
            side.state = IN_SB; // IAC IAC inside a subnegotiation
            side.sbLen++;
          }
          break;
      }
    }
    if (!fromClient) {
      this.serverBytes += end - pos;
      this.checkPrompt();
      // past the budget the session is a shell: nothing more to learn
      if (this.serverBytes >= DIRECTION_BUDGET && this.expect === EXPECT_NONE) this.finish();
    }
    return end;
  }

  private negotiation(fromClient: boolean, cmd: number): void {
    if (!fromClient && cmd === DO) this.advertised(true);
    else if (fromClient && cmd === WILL) this.requestUpgrade();
  }

  private serverByte(b: number): void {
    if (b === 0x0d || b === 0x0a) {
      this.prompt = '';
      return;
    }
    if (b < 0x20 || b === 0x7f) return;
    if (this.prompt.length >= PROMPT_WINDOW) this.prompt = this.prompt.slice(PROMPT_WINDOW / 2);
    this.prompt += String.fromCharCode(b);
  }

  /** At the end of what the server sent: is it waiting at a prompt? */
  private checkPrompt(): void {
    if (this.prompt.length === 0) return;
    if (PASSWORD_PROMPT.test(this.prompt)) this.startTyping(EXPECT_PASSWORD);
    else if (USER_PROMPT.test(this.prompt)) this.startTyping(EXPECT_USER);
  }

  private startTyping(what: number): void {
    this.expect = what;
    this.typed = [];
    this.typedCount = 0;
    this.prompt = '';
  }

  private clientByte(b: number): void {
    if (this.expect === EXPECT_NONE) return;
    if (b === 0x0d || b === 0x0a) {
      if (this.typedCount === 0) return; // the LF (or NUL) of a CR LF, or an empty line
      if (this.expect === EXPECT_USER) {
        this.user = cleanString(Buffer.from(this.typed).toString('utf8'), MAX_USER);
      } else {
        this.addCredential('telnet', this.user);
      }
      this.expect = EXPECT_NONE;
      this.typed = [];
      this.typedCount = 0;
      return;
    }
    if (b === 0x08 || b === 0x7f) {
      if (this.typedCount > 0) this.typedCount--;
      if (this.expect === EXPECT_USER) this.typed.pop();
      return;
    }
    if (b === 0) return;
    this.typedCount++;
    if (this.expect === EXPECT_USER && this.typed.length < MAX_USER) this.typed.push(b);
  }
}

registerAppParser('telnet', () => new TelnetParser());
