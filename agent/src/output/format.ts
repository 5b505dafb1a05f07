// Text forms of capture values for the output documents.

// The span ISO-8601 four-digit years can express, 0000-01-01T00:00:00Z .. 9999-12-31T23:59:59Z.
// A pcapng timestamp is any 64-bit count with any resolution and offset: beyond this span
// Date throws (past +-8.64e15 ms) or writes expanded years ("+275760-...") that ECS consumers
// reject, so such times are written as the nearest end of the span.
const MIN_SEC = -62167219200;
const MAX_SEC = 253402300799;

let lastSec = NaN;
let lastBase = '';

/** ISO-8601 UTC with microseconds, or nanoseconds when the capture has them. */
export function isoTime(sec: number, nsec: number): string {
  if (!(sec >= MIN_SEC)) {
    sec = MIN_SEC;
    nsec = 0;
  } else if (sec > MAX_SEC) {
    sec = MAX_SEC;
    nsec = 999999999;
  }
  // sessions that end together share their second: its text is computed once
  if (sec !== lastSec) {
    lastBase = new Date(sec * 1000).toISOString().slice(0, 19); // YYYY-MM-DDTHH:MM:SS
    lastSec = sec;
  }
  const base = lastBase;
  if (nsec % 1000 === 0) return `${base}.${String(nsec / 1000).padStart(6, '0')}Z`;
  return `${base}.${String(nsec).padStart(9, '0')}Z`;
}

function hex4(w: number): string {
  return (w >>> 0).toString(16);
}

/** IPv4 dotted quad from word 3, or IPv6 in RFC 5952 canonical form from four big-endian words. */
export function ipString(version: number, w0: number, w1: number, w2: number, w3: number): string {
  if (version === 4) return `${w3 >>> 24}.${(w3 >>> 16) & 255}.${(w3 >>> 8) & 255}.${w3 & 255}`;
  const g = [w0 >>> 16, w0 & 0xffff, w1 >>> 16, w1 & 0xffff, w2 >>> 16, w2 & 0xffff, w3 >>> 16, w3 & 0xffff];
  // IPv4-mapped addresses keep the dotted tail, as RFC 5952 section 5 recommends
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff)
    return `::ffff:${w3 >>> 24}.${(w3 >>> 16) & 255}.${(w3 >>> 8) & 255}.${w3 & 255}`;
  // longest run of two or more zero groups, first one on ties, becomes "::"
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestAt < 0) return g.map(hex4).join(':');
  const head = g.slice(0, bestAt).map(hex4).join(':');
  const tail = g.slice(bestAt + bestLen).map(hex4).join(':');
  return `${head}::${tail}`;
}

// Milliseconds of a time as isoTime writes it ("2026-01-01T00:00:00.517244Z"): sessions that
// end close together share their second, whose value is parsed once; the fraction is read
// to the millisecond, as Date.parse reads it. Anything else goes to Date.parse.
let secondText = '';
let secondMs = NaN;
/** Date.parse(s), faster for isoTime's own format. */
export function isoMs(s: string): number {
  const n = s.length;
  const c19 = s.charCodeAt(19);
  if (n < 20 || s.charCodeAt(n - 1) !== 0x5a || (c19 !== 0x2e && c19 !== 0x5a) || (c19 === 0x5a && n !== 20)) return Date.parse(s);
  const second = s.slice(0, 19);
  if (second !== secondText) {
    secondText = second;
    secondMs = Date.parse(`${second}Z`);
  }
  if (c19 === 0x5a) return secondMs;
  let ms = 0;
  let digits = 0;
  for (let i = 20; i < n - 1; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return Date.parse(s);
    if (digits < 3) {
      ms = ms * 10 + d;
      digits++;
    }
  }
  if (digits === 0) return Date.parse(s);
  while (digits < 3) {
    ms *= 10;
    digits++;
  }
  return secondMs + ms;
}
