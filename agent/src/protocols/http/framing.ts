// HTTP/1.x message framing of one direction (RFC 9112 §6): start line, header
// fields, then a body delimited by Content-Length, by chunked transfer coding, or (a
// response only) by the end of the connection. What the messages mean is the sink's
// business; this only finds their parts, with bounded memory (a header line over the
// line limit is truncated, a body is skipped by count).

import { decimalAt, equalsFold, isSpace, skipSpaces } from '../text/ascii.js';
import type { LineReader } from '../text/lines.js';

/** headersDone() results besides a byte count. */
export const BODY_CHUNKED = -1;
/** The body runs to the end of the connection: nothing after it to parse. */
export const BODY_TO_CLOSE = -2;
/** The stream stops being HTTP right after this header block (CONNECT 2xx): parse() returns there. */
export const BODY_SWITCH = -3;
/** Stop parsing this direction (101 Switching Protocols, not HTTP...). */
export const BODY_STOP = -4;

export interface HttpSink {
  /** A start line; false when it is not one (the direction stops). */
  startLine(line: Buffer, s: number, e: number): boolean;
  /** A header field; name and value bounds (value trimmed). */
  header(line: Buffer, ns: number, ne: number, vs: number, ve: number): void;
  /** End of the header block: the body length (>= 0), or one of the BODY_* values. */
  headersDone(): number;
  body(buf: Buffer, s: number, e: number): void;
  /** The message (with its body) is complete. */
  messageDone(): void;
  /** At the start of a message: whether the stream stops being HTTP here (an upgrade). */
  boundary(buf: Buffer, pos: number, end: number): boolean;
}

const START = 0;
const HEADERS = 1;
const BODY = 2;
const CHUNK_SIZE = 3;
const CHUNK_DATA = 4;
const CHUNK_END = 5; // the CRLF after chunk data
const TRAILERS = 6;
const DEAD = 7;

export class HttpFraming {
  private state = START;
  private left = 0; // body or chunk bytes still to come

  constructor(
    private readonly reader: LineReader,
    private readonly sink: HttpSink,
  ) {}

  /** Nothing more can be parsed in this direction. */
  get dead(): boolean {
    return this.state === DEAD;
  }

  /** Parses buf[pos, end); returns where HTTP stops (end, or the position of a switch). */
  parse(buf: Buffer, pos: number, end: number): number {
    const r = this.reader;
    const sink = this.sink;
    while (pos < end && this.state !== DEAD) {
      const st = this.state;
      if (st === BODY || st === CHUNK_DATA) {
        const n = Math.min(this.left, end - pos);
        sink.body(buf, pos, pos + n);
        pos += n;
        this.left -= n;
        if (this.left === 0) {
          if (st === BODY) this.done();
          else this.state = CHUNK_END;
        }
        continue;
      }
      if (st === START && !r.midLine && sink.boundary(buf, pos, end)) return pos;
      const next = r.next(buf, pos, end);
      if (next < 0) return end;
      pos = next;
      const line = r.line;
      const s = r.start;
      const e = r.end;
      switch (st) {
        case START:
          if (e === s) break; // empty lines before a request are ignored (RFC 9112 §2.2)
          if (sink.startLine(line, s, e)) this.state = HEADERS;
          else this.state = DEAD;
          break;
        case HEADERS:
          if (e === s) {
            const body = sink.headersDone();
            if (body === BODY_SWITCH) {
              this.state = START;
              return pos;
            }
            this.startBody(body);
          } else if (!isSpace(line[s])) {
            // (an obs-fold continuation line, starting with a blank, is ignored)
            let c = s;
            while (c < e && line[c] !== 0x3a) c++;
            if (c < e) {
              let ve = e;
              while (ve > c + 1 && isSpace(line[ve - 1])) ve--;
              sink.header(line, s, c, skipSpaces(line, c + 1, ve), ve);
            }
          }
          break;
        case CHUNK_SIZE: {
          let k = s;
          let size = 0;
          while (k < e && k - s < 12) {
            const h = hexValue(line[k]);
            if (h < 0) break;
            size = size * 16 + h;
            k++;
          }
          if (k === s) {
            this.state = DEAD;
            break;
          }
          if (size === 0) this.state = TRAILERS;
          else {
            this.left = size;
            this.state = CHUNK_DATA;
          }
          break;
        }
        case CHUNK_END:
          this.state = CHUNK_SIZE;
          break;
        case TRAILERS:
          if (e === s) this.done();
          break;
      }
    }
    return end;
  }

  private startBody(body: number): void {
    if (body === BODY_STOP || body === BODY_TO_CLOSE) {
      this.state = DEAD;
      if (body === BODY_TO_CLOSE) this.sink.messageDone();
    } else if (body === BODY_CHUNKED) this.state = CHUNK_SIZE;
    else if (body > 0) {
      this.left = body;
      this.state = BODY;
    } else this.done();
  }

  private done(): void {
    this.state = START;
    this.sink.messageDone();
  }
}

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  const l = b | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/** Content-Length value (a single decimal, or a list of equal ones), -1 when invalid. */
export function contentLength(line: Buffer, vs: number, ve: number): number {
  let v = -1;
  let i = vs;
  while (i < ve) {
    let j = i;
    while (j < ve && line[j] !== 0x2c) j++;
    const a = skipSpaces(line, i, j);
    let b = j;
    while (b > a && isSpace(line[b - 1])) b--;
    const n = decimalAt(line, a, b);
    if (n < 0 || (v >= 0 && n !== v)) return -1;
    v = n;
    i = j + 1;
  }
  return v;
}

/** Whether a Transfer-Encoding value ends with the chunked coding. */
export function endsChunked(line: Buffer, vs: number, ve: number): boolean {
  let e = ve;
  while (e > vs && (isSpace(line[e - 1]) || line[e - 1] === 0x2c)) e--;
  return e - vs >= 7 && equalsFold(line, e - 7, e, 'CHUNKED');
}
