// What a protocol recogniser is, and the byte-level helpers the recognisers share.
// Recognisers look at the first bytes each side of a connection sent (a short prefix,
// held by the flow table) and answer YES, NO or NEED_MORE; they never convert a whole
// buffer to a string nor run a regex over it: at most a short token is decoded.

export const NEED_MORE = -1;
export const NO = 0;
export const YES = 1;
export type Verdict = -1 | 0 | 1;

export interface ProtocolSignature {
  /** network.protocol value: 'tls', 'ssh', 'http', ... */
  name: string;
  transport: 'tcp' | 'udp' | 'both';
  /** what intransit.encrypted becomes when this protocol is identified (null: cannot tell from the protocol alone) */
  encrypted: boolean | null;
  /** c = first bytes the originator sent (stream order, up to ~1 KiB), s = first bytes the responder sent; either may be empty. */
  detect(c: Buffer, s: Buffer, cDone: boolean, sDone: boolean): Verdict;
}

/** No recogniser looks further than this into either side. */
export const INSPECT_LIMIT = 1024;

/** Combines the verdicts of the two sides when either side alone is conclusive. */
export function either(a: Verdict, b: Verdict): Verdict {
  if (a === YES || b === YES) return YES;
  if (a === NEED_MORE || b === NEED_MORE) return NEED_MORE;
  return NO;
}

/** The answer for bytes that are consistent so far but not conclusive. */
export function more(done: boolean): Verdict {
  return done ? NO : NEED_MORE;
}

export function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

export function isAlpha(b: number): boolean {
  const l = b | 0x20;
  return l >= 0x61 && l <= 0x7a;
}

/** Printable ASCII (no space, no control). */
export function isGraph(b: number): boolean {
  return b > 0x20 && b < 0x7f;
}

/** A byte that may appear inside a text line: printable ASCII, space, tab, or non-ASCII (UTF-8/Latin-1 banners). */
export function isText(b: number): boolean {
  return b === 0x09 || (b >= 0x20 && b !== 0x7f);
}

export function u16(buf: Buffer, off: number): number {
  return (buf[off] << 8) | buf[off + 1];
}

export function u24(buf: Buffer, off: number): number {
  return (buf[off] << 16) | (buf[off + 1] << 8) | buf[off + 2];
}

export function u32(buf: Buffer, off: number): number {
  return ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
}

/**
 * Compares buf[off..] with ASCII `text` (case-insensitively when `fold`): YES when it
 * matches, NEED_MORE when the buffer ends before a mismatch, NO on a mismatch.
 */
export function matchAscii(buf: Buffer, off: number, text: string, fold = false): Verdict {
  for (let i = 0; i < text.length; i++) {
    if (off + i >= buf.length) return NEED_MORE;
    let b = buf[off + i];
    let t = text.charCodeAt(i);
    if (fold && isAlpha(b) && isAlpha(t)) {
      b |= 0x20;
      t |= 0x20;
    }
    if (b !== t) return NO;
  }
  return YES;
}

/** Whether ASCII `needle` occurs in buf[from, end), case-insensitively. */
export function containsAsciiFold(buf: Buffer, from: number, end: number, needle: string): boolean {
  const last = Math.min(end, buf.length) - needle.length;
  const first = needle.charCodeAt(0) | 0x20;
  for (let i = from; i <= last; i++) {
    if ((buf[i] | 0x20) === first && matchAscii(buf, i, needle, true) === YES) return true;
  }
  return false;
}

/** Line status codes returned by textLine() besides a line end. */
export const LINE_OPEN = -1; // the line goes on past the bytes we hold: need more
export const LINE_BAD = -2; // not a text line (control/binary bytes, too long, or the side ended mid-line)

/**
 * Index of the LF ending the text line that starts at `from` (a CR may precede it),
 * LINE_OPEN while the line is still being received, or LINE_BAD.
 */
export function textLine(buf: Buffer, from: number, maxLen: number, done: boolean): number {
  const end = Math.min(buf.length, from + maxLen);
  for (let i = from; i < end; i++) {
    const b = buf[i];
    if (b === 0x0a) return i;
    if (b === 0x0d) {
      if (i + 1 < buf.length && buf[i + 1] !== 0x0a) return LINE_BAD;
      continue;
    }
    if (!isText(b)) return LINE_BAD;
  }
  if (end === from + maxLen) return LINE_BAD;
  return done ? LINE_BAD : LINE_OPEN;
}

/** End of the line content (excludes the CR of a CRLF) for a line whose LF is at `lf`. */
export function lineContentEnd(buf: Buffer, lf: number): number {
  return lf > 0 && buf[lf - 1] === 0x0d ? lf - 1 : lf;
}

/** Result of firstWord(): the word upper-cased, or NEED_MORE / NO. */
export type Word = string | typeof NEED_MORE | typeof NO;

/**
 * The first word of a command line: 1..maxLen ASCII letters at the start of `buf`,
 * followed by a space or the end of the line, upper-cased. NEED_MORE while the word is
 * still arriving, NO when the bytes cannot start such a line.
 */
export function firstWord(buf: Buffer, done: boolean, maxLen = 12): Word {
  let i = 0;
  while (i < buf.length && i <= maxLen && isAlpha(buf[i])) i++;
  if (i === buf.length) return i <= maxLen && !done ? NEED_MORE : NO;
  if (i === 0 || i > maxLen) return NO;
  const b = buf[i];
  if (b !== 0x20 && b !== 0x0d && b !== 0x0a) return NO;
  return buf.toString('latin1', 0, i).toUpperCase();
}

/** Verdict for a side whose first word must be one of `words` (and whose first line is text). */
export function commandIn(buf: Buffer, done: boolean, words: ReadonlySet<string>): Verdict {
  const w = firstWord(buf, done);
  if (w === NEED_MORE || w === NO) return w;
  if (!words.has(w)) return NO;
  const lf = textLine(buf, 0, 512, done);
  if (lf === LINE_OPEN) return NEED_MORE;
  return lf === LINE_BAD ? NO : YES;
}

/**
 * The 3-digit code of a text reply line ("220 text" / "220-text" / "220" CRLF) at the
 * start of `buf`, checked to be a complete text line: the code, or NEED_MORE / NO.
 */
export function replyCode(buf: Buffer, done: boolean): number {
  for (let i = 0; i < 3; i++) {
    if (i >= buf.length) return done ? NO : NEED_MORE;
    if (!isDigit(buf[i])) return NO;
  }
  if (buf.length === 3) return done ? NO : NEED_MORE;
  const sep = buf[3];
  if (sep !== 0x20 && sep !== 0x2d && sep !== 0x0d && sep !== 0x0a) return NO;
  const lf = textLine(buf, 0, 512, done);
  if (lf === LINE_OPEN) return NEED_MORE;
  if (lf === LINE_BAD) return NO;
  return (buf[0] - 0x30) * 100 + (buf[1] - 0x30) * 10 + (buf[2] - 0x30);
}
