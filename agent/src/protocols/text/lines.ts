// Line assembly for the text protocols (SMTP, IMAP, POP3, FTP, IRC, HTTP headers...):
// finds the lines of one direction's stream chunk by chunk. A line that lies wholly
// inside the chunk is handed out in place (no copy); only a line cut by a chunk end is
// copied, into a buffer bounded by `max`: a longer line keeps its first `max` bytes
// and is flagged `truncated`, the rest is dropped, so a peer that never sends a line
// end costs at most `max` bytes.

const LF = 0x0a;
const CR = 0x0d;
const EMPTY = Buffer.alloc(0);

/** Longest line kept by default (bytes, without the line end). */
export const MAX_LINE = 8192;

export class LineReader {
  /** The line found by the last next() call: line[start, end), CR LF excluded. Valid until the next call. */
  line: Buffer = EMPTY;
  start = 0;
  end = 0;
  /** The line was longer than `max`: only its first `max` bytes are in line[start, end). */
  truncated = false;
  private hold: Buffer | null = null;
  private held = 0;
  private over = false;
  // bytes of the hold buffer handed out as the last line: wiped on the next call, so a
  // password line cut by a segment boundary does not linger in memory
  private dirty = 0;

  constructor(readonly max: number = MAX_LINE) {}

  /** Bytes of an unfinished line are held (we are in the middle of a line). */
  get midLine(): boolean {
    return this.held > 0 || this.over;
  }

  /**
   * Finds the line that continues (or starts) at `pos` in buf[pos, end). Returns the
   * index just past its LF, the line being in line/start/end; or -1 when no line end
   * is in view: then all of buf[pos, end) was taken in (held, bounded) and the caller
   * moves on to `end`.
   */
  next(buf: Buffer, pos: number, end: number): number {
    if (this.dirty > 0) {
      this.hold!.fill(0, 0, this.dirty);
      this.dirty = 0;
    }
    let i = pos;
    while (i < end && buf[i] !== LF) i++;
    if (i === end) {
      this.append(buf, pos, end);
      return -1;
    }
    if (this.held === 0 && !this.over) {
      this.line = buf;
      this.start = pos;
      this.end = i;
      this.truncated = false;
      if (i - pos > this.max) {
        this.end = pos + this.max;
        this.truncated = true;
      }
    } else {
      this.append(buf, pos, i);
      this.line = this.hold!;
      this.start = 0;
      this.end = this.held;
      this.dirty = this.held;
      this.truncated = this.over;
      this.held = 0;
      this.over = false;
    }
    if (this.end > this.start && this.line[this.end - 1] === CR && !this.truncated) this.end--;
    return i + 1;
  }

  private append(buf: Buffer, from: number, to: number): void {
    const room = this.max - this.held;
    let n = to - from;
    if (n > room) {
      n = room;
      this.over = true;
    }
    if (n <= 0) return;
    if (this.hold === null) this.hold = Buffer.allocUnsafe(Math.min(this.max, Math.max(256, this.held + n)));
    if (this.held + n > this.hold.length) {
      const bigger = Buffer.allocUnsafe(Math.min(this.max, Math.max(this.hold.length * 2, this.held + n)));
      this.hold.copy(bigger, 0, 0, this.held);
      this.hold = bigger;
    }
    buf.copy(this.hold, this.held, from, from + n);
    this.held += n;
  }
}
