// Small byte-level helpers for the text protocols' parsers: words, case-insensitive
// keyword matches, reply codes and bounded strings, all read in place from a Buffer
// range [start, end) so that a line costs no string unless it matters.

const SP = 0x20;
const HT = 0x09;

export function isSpace(b: number): boolean {
  return b === SP || b === HT;
}

/** Index of the first non-blank byte at or after `i` (or `end`). */
export function skipSpaces(buf: Buffer, i: number, end: number): number {
  while (i < end && isSpace(buf[i])) i++;
  return i;
}

/** Index just past the word starting at `i` (the first blank or `end`). */
export function wordEnd(buf: Buffer, i: number, end: number): number {
  while (i < end && !isSpace(buf[i])) i++;
  return i;
}

/** Whether buf[start, end) equals `upper` (an upper-case ASCII keyword), ignoring ASCII case. */
export function equalsFold(buf: Buffer, start: number, end: number, upper: string): boolean {
  if (end - start !== upper.length) return false;
  for (let k = 0; k < upper.length; k++) {
    let b = buf[start + k];
    if (b >= 0x61 && b <= 0x7a) b -= 0x20;
    if (b !== upper.charCodeAt(k)) return false;
  }
  return true;
}

/** Whether buf[start, end) starts with `upper`, ignoring ASCII case. */
export function startsWithFold(buf: Buffer, start: number, end: number, upper: string): boolean {
  return end - start >= upper.length && equalsFold(buf, start, start + upper.length, upper);
}

/** Index of `upper` in buf[start, end), ignoring ASCII case, or -1. */
export function indexOfFold(buf: Buffer, start: number, end: number, upper: string): number {
  const last = end - upper.length;
  const first = upper.charCodeAt(0);
  for (let i = start; i <= last; i++) {
    let b = buf[i];
    if (b >= 0x61 && b <= 0x7a) b -= 0x20;
    if (b === first && equalsFold(buf, i, i + upper.length, upper)) return i;
  }
  return -1;
}

/** The word buf[start, end) upper-cased when it is at most `max` bytes, else ''. */
export function upperWord(buf: Buffer, start: number, end: number, max = 16): string {
  if (end <= start || end - start > max) return '';
  return buf.toString('latin1', start, end).toUpperCase();
}

/**
 * A reply line's 3-digit code ("250-text", "250 text", "250"), or -1. `sep` receives
 * the byte after the code (0 at the end of the line).
 */
export function replyCodeAt(buf: Buffer, start: number, end: number): number {
  if (end - start < 3) return -1;
  const a = buf[start] - 0x30;
  const b = buf[start + 1] - 0x30;
  const c = buf[start + 2] - 0x30;
  if (a < 0 || a > 9 || b < 0 || b > 9 || c < 0 || c > 9) return -1;
  if (end - start > 3) {
    const s = buf[start + 3];
    if (s !== SP && s !== 0x2d && s !== HT) return -1;
  }
  return a * 100 + b * 10 + c;
}

/** Whether a reply line with a code continues a multi-line reply ("250-..."). */
export function isContinuation(buf: Buffer, start: number, end: number): boolean {
  return end - start > 3 && buf[start + 3] === 0x2d;
}

/** A decimal number of at most 15 digits filling buf[start, end), or -1. */
export function decimalAt(buf: Buffer, start: number, end: number): number {
  if (end <= start || end - start > 15) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const d = buf[i] - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** Printable text of buf[start, end), at most `max` characters, control bytes replaced by '?'. */
export function cleanText(buf: Buffer, start: number, end: number, max = 256): string {
  if (end - start > max) end = start + max;
  let s = buf.toString('utf8', start, end);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(s)) s = s.replace(/[\u0000-\u001f\u007f]/g, '?');
  return s;
}

/** The same for a string (a decoded user name): bounded, no control characters, null when empty. */
export function cleanString(s: string | null | undefined, max = 256): string | null {
  if (s === null || s === undefined || s.length === 0) return null;
  if (s.length > max) s = s.slice(0, max);
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f]/g, '?');
}

/**
 * Whether a stream position holds the start of a TLS record (or an SSLv2-format hello):
 * a handshake record 0x16 0x03 0x00..0x04. With fewer than three bytes in view the
 * first byte decides (no text protocol line starts with 0x16).
 */
export function looksLikeTls(buf: Buffer, pos: number, end: number): boolean {
  if (pos >= end) return false;
  const b0 = buf[pos];
  if (end - pos < 3) return b0 === 0x16;
  if (b0 === 0x16) return buf[pos + 1] === 0x03 && buf[pos + 2] <= 0x04;
  // SSLv2-format ClientHello: 2-byte length with the high bit, message type 1, version 0x0002 / 0x03xx
  if ((b0 & 0x80) !== 0 && end - pos >= 5) return buf[pos + 2] === 1 && (buf[pos + 3] === 0x03 || (buf[pos + 3] === 0 && buf[pos + 4] === 2));
  return false;
}
