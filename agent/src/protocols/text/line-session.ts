// Text protocols of command lines and reply lines (SMTP, IMAP, POP3, FTP, IRC): each
// direction is cut into lines, handed to clientLine / serverLine, up to where the direction
// switches to the upgraded stream (session.ts: at a line boundary after the client's
// request, or right after the server's accepting reply).

import { TextSessionParser } from './session.js';

export abstract class LineSessionParser extends TextSessionParser {
  protected parse(fromClient: boolean, buf: Buffer, pos: number, end: number): number {
    const r = fromClient ? this.client.reader : this.server.reader;
    while (pos < end) {
      const skipped = this.skip(fromClient, buf, pos, end);
      if (skipped > 0) {
        pos += skipped;
        continue;
      }
      if (!r.midLine && this.atBoundary(fromClient) && (fromClient ? this.clientSwitchesHere(buf, pos, end) : this.serverSwitchesHere(buf, pos, end))) return pos;
      const next = r.next(buf, pos, end);
      if (next < 0) return end;
      pos = next;
      if (fromClient) this.clientLine(r.line, r.start, r.end);
      else if (this.serverLine(r.line, r.start, r.end)) return pos;
    }
    return end;
  }

  /**
   * Bytes at buf[pos, end) that are not lines (an IMAP literal, an SMTP BDAT chunk) and are
   * consumed before the next line; 0 when none.
   */
  protected skip(_fromClient: boolean, _buf: Buffer, _pos: number, _end: number): number {
    return 0;
  }

  /**
   * The direction may switch at this line boundary: false inside a multi-line reply or a
   * command continuation, whose lines belong to the cleartext protocol whatever they hold.
   */
  protected atBoundary(_fromClient: boolean): boolean {
    return true;
  }

  /** One client line, line[s, e) without its end of line. */
  protected abstract clientLine(line: Buffer, s: number, e: number): void;

  /** One server line; true when the server's stream switches to the upgraded one after it. */
  protected abstract serverLine(line: Buffer, s: number, e: number): boolean;
}
