// A streaming tokenizer for the XML of an XMPP stream (RFC 6120 §11: no DTD, no
// comments, no processing instructions beyond the declaration): splits one direction
// into tags and text, chunk by chunk. A token wholly inside a chunk is read in place;
// one cut by a chunk end is held, bounded by `max` (a longer token is truncated).
// '>' inside a quoted attribute value does not end a tag.

export const TOK_TEXT = 1;
export const TOK_START = 2; // <name ...>
export const TOK_END = 3; // </name>
export const TOK_EMPTY = 4; // <name .../>
export const TOK_OTHER = 5; // <?xml ...?>, <!...>

const LT = 0x3c;
const GT = 0x3e;
const EMPTY = Buffer.alloc(0);

const IDLE = 0;
const IN_TEXT = 1;
const IN_TAG = 2;

export class XmlScanner {
  /** The last token: its kind and bytes tok[start, end) (for tags, what lies between '<' and '>'). */
  kind = 0;
  tok: Buffer = EMPTY;
  start = 0;
  end = 0;
  private mode = IDLE;
  private quote = 0;
  private hold: Buffer | null = null;
  private held = 0;
  private dirty = 0; // held bytes handed out as the last token: wiped on the next call

  constructor(private readonly max = 8192) {}

  /** Between tokens: the next byte starts a new one. */
  get idle(): boolean {
    return this.mode === IDLE;
  }

  /**
   * Reads the token at `pos`: returns the index just past it (the token is in
   * kind/tok/start/end), or -1 when it goes on past `end` (its bytes are held).
   */
  next(buf: Buffer, pos: number, end: number): number {
    if (this.dirty > 0) {
      this.hold!.fill(0, 0, this.dirty);
      this.dirty = 0;
    }
    let from = pos;
    if (this.mode === IDLE) {
      if (buf[pos] === LT) {
        this.mode = IN_TAG;
        this.quote = 0;
        from = ++pos;
      } else {
        this.mode = IN_TEXT;
      }
    }
    let i = pos;
    if (this.mode === IN_TEXT) {
      while (i < end && buf[i] !== LT) i++;
      if (i === end) {
        this.append(buf, from, end);
        return -1;
      }
      this.finishToken(TOK_TEXT, buf, from, i);
      return i;
    }
    let q = this.quote;
    while (i < end) {
      const b = buf[i];
      if (q !== 0) {
        if (b === q) q = 0;
      } else if (b === 0x22 || b === 0x27) q = b;
      else if (b === GT) break;
      i++;
    }
    this.quote = q;
    if (i === end) {
      this.append(buf, from, end);
      return -1;
    }
    this.finishToken(TOK_START, buf, from, i);
    const t = this.tok;
    if (this.end > this.start) {
      const first = t[this.start];
      if (first === 0x2f) this.kind = TOK_END;
      else if (first === 0x3f || first === 0x21) this.kind = TOK_OTHER;
      else if (t[this.end - 1] === 0x2f) this.kind = TOK_EMPTY;
    }
    return i + 1;
  }

  private finishToken(kind: number, buf: Buffer, from: number, to: number): void {
    this.kind = kind;
    this.mode = IDLE;
    if (this.held === 0) {
      this.tok = buf;
      this.start = from;
      this.end = Math.min(to, from + this.max);
      return;
    }
    this.append(buf, from, to);
    this.tok = this.hold!;
    this.start = 0;
    this.end = this.held;
    this.dirty = this.held;
    this.held = 0;
  }

  private append(buf: Buffer, from: number, to: number): void {
    const n = Math.min(to - from, this.max - this.held);
    if (n <= 0) return;
    if (this.hold === null) this.hold = Buffer.allocUnsafe(this.max);
    buf.copy(this.hold, this.held, from, from + n);
    this.held += n;
  }
}

function isNameEnd(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0d || b === 0x0a || b === 0x2f || b === 0x3e;
}

/** Local name of a tag token (prefix dropped): "stream:features" -> "features". */
export function localName(tok: Buffer, start: number, end: number): string {
  let i = start;
  if (i < end && tok[i] === 0x2f) i++;
  let j = i;
  let colon = -1;
  while (j < end && !isNameEnd(tok[j])) {
    if (tok[j] === 0x3a) colon = j;
    j++;
  }
  if (j - i > 64) return '';
  return tok.toString('latin1', colon >= 0 ? colon + 1 : i, j);
}

/** Value of attribute `name` (exact, e.g. "xmlns" or "mechanism") in a tag token, or null. */
export function attribute(tok: Buffer, start: number, end: number, name: string): string | null {
  let i = start;
  while (i < end && !isNameEnd(tok[i])) i++; // element name
  while (i < end) {
    while (i < end && (tok[i] === 0x20 || tok[i] === 0x09 || tok[i] === 0x0d || tok[i] === 0x0a)) i++;
    const ns = i;
    while (i < end && tok[i] !== 0x3d && tok[i] !== 0x20 && tok[i] !== 0x2f) i++;
    const ne = i;
    while (i < end && tok[i] === 0x20) i++;
    if (i >= end || tok[i] !== 0x3d) {
      i++;
      continue;
    }
    i++;
    while (i < end && tok[i] === 0x20) i++;
    const q = tok[i];
    if (q !== 0x22 && q !== 0x27) return null;
    const vs = ++i;
    while (i < end && tok[i] !== q) i++;
    if (ne - ns === name.length && tok.toString('latin1', ns, ne) === name) return tok.toString('utf8', vs, Math.min(i, vs + 512));
    i++;
  }
  return null;
}
