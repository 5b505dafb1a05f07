// Batched NDJSON output: documents are encoded straight into one output buffer and written
// in large chunks, so per-session output costs one JSON encoding and no syscall.

export interface DocumentSink {
  /**
   * One document. The document and the objects it references must not be modified after
   * this call (a writer may keep their encoding: a session's finding documents share its
   * source, destination, network and tls objects, encoded once).
   */
  write(doc: object): void;
  flush(): void;
  close(): Promise<void>;
}

/** Top-level values remembered from the last documents (a session's findings share them). */
const MEMO_SIZE = 8;

/**
 * JSON.stringify(doc) with the encodings of top-level object values reused when the same
 * object was encoded by one of the last documents (identity, not content). The result is
 * byte-identical to JSON.stringify for plain objects.
 */
export class DocumentEncoder {
  private readonly objs: (object | null)[] = new Array<object | null>(MEMO_SIZE).fill(null);
  private readonly strs: string[] = new Array<string>(MEMO_SIZE).fill('');
  private next = 0;

  /** Forgets every remembered encoding (a document that starts a new burst). */
  reset(): void {
    this.objs.fill(null);
    this.next = 0;
  }

  encode(doc: object): string {
    if (Array.isArray(doc) || typeof (doc as { toJSON?: unknown }).toJSON === 'function') return JSON.stringify(doc);
    const d = doc as Record<string, unknown>;
    let out = '{';
    let first = true;
    for (const k of Object.keys(d)) {
      const v = d[k];
      let enc: string | undefined;
      if (typeof v === 'object' && v !== null) enc = this.object(v);
      else enc = JSON.stringify(v); // undefined for undefined, functions and symbols: key skipped
      if (enc === undefined) continue;
      out += first ? `${JSON.stringify(k)}:${enc}` : `,${JSON.stringify(k)}:${enc}`;
      first = false;
    }
    return out + '}';
  }

  private object(v: object): string {
    const objs = this.objs;
    for (let i = 0; i < MEMO_SIZE; i++) if (objs[i] === v) return this.strs[i];
    const s = JSON.stringify(v);
    objs[this.next] = v;
    this.strs[this.next] = s;
    this.next = (this.next + 1) % MEMO_SIZE;
    return s;
  }
}

export class NdjsonWriter implements DocumentSink {
  private buf: Buffer;
  private len = 0;
  private broken = false;
  private readonly encoder = new DocumentEncoder();

  constructor(
    private readonly stream: NodeJS.WritableStream = process.stdout,
    private readonly batchBytes = 1 << 18,
  ) {
    this.buf = Buffer.allocUnsafe(batchBytes);
    stream.on('error', (e: NodeJS.ErrnoException) => {
      // a closed pipe (`| head`) ends output quietly; anything else is reported once
      if (e.code !== 'EPIPE') process.stderr.write(`intransit: output error: ${e.message}\n`);
      this.broken = true;
    });
  }

  write(doc: object): void {
    if (this.broken) return;
    // a finding document repeats its session's objects; any other document starts afresh
    if ((doc as { event?: { dataset?: unknown } }).event?.dataset !== 'intransit.finding') this.encoder.reset();
    const line = this.encoder.encode(doc);
    // UTF-8 takes at most 3 bytes per UTF-16 code unit
    if (this.len + 3 * line.length + 1 > this.buf.length) {
      this.flush();
      if (3 * line.length + 1 > this.buf.length) {
        this.stream.write(line + '\n');
        return;
      }
    }
    this.len += this.buf.write(line, this.len);
    this.buf[this.len++] = 10;
  }

  flush(): void {
    if (this.len === 0 || this.broken) return;
    const chunk = this.buf.subarray(0, this.len);
    // the stream may keep the chunk (an asynchronous pipe): the next batch gets a new buffer
    this.buf = Buffer.allocUnsafe(this.batchBytes);
    this.len = 0;
    // process.stdout is synchronous for files and, on Linux, for pipes: memory stays flat
    this.stream.write(chunk);
  }

  async close(): Promise<void> {
    this.flush();
    await new Promise<void>((resolve) => this.stream.write('', () => resolve()));
  }
}

/** Collects documents in memory (tests, and the later store/stream sinks). */
export class ArraySink implements DocumentSink {
  readonly docs: object[] = [];
  write(doc: object): void {
    this.docs.push(doc);
  }
  flush(): void {}
  async close(): Promise<void> {}
}
