// Batched NDJSON output: documents are encoded straight into one output buffer and written
// in large chunks, so per-session output costs one JSON encoding and no syscall.
//
// Standard output on a pipe (`| jq`, `| filebeat`) is written with blocking writes to its
// file descriptor: Node's stream for a pipe is asynchronous, so a replay, whose read loop
// never yields to the event loop, would queue its whole output in memory (hundreds of MB
// for a large capture) before the first byte left. Blocking on a slow reader is the
// backpressure we want: memory stays flat. Files and terminals are synchronous already.

import { fstatSync, writeSync } from 'node:fs';

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

/** Top-level objects whose encodings are remembered (a session's findings share them). */
const MEMO_SIZE = 8;
/** Room kept free in the output buffer for the keys and punctuation of one document. */
const KEY_ROOM = 1024;

export class NdjsonWriter implements DocumentSink {
  private buf: Buffer;
  private len = 0;
  private broken = false;
  // encodings of top-level objects of the last finding documents, by identity
  private readonly memoObjs: (object | null)[] = new Array<object | null>(MEMO_SIZE).fill(null);
  private readonly memoStrs: string[] = new Array<string>(MEMO_SIZE).fill('');
  private memoNext = 0;
  // file descriptor written directly (standard output on a pipe or socket), -1: the stream
  private readonly fd: number;

  constructor(
    private readonly stream: NodeJS.WritableStream = process.stdout,
    private readonly batchBytes = 1 << 18,
  ) {
    this.buf = Buffer.allocUnsafe(batchBytes);
    this.fd = pipeFd(stream);
    stream.on('error', (e: NodeJS.ErrnoException) => {
      // a closed pipe (`| head`) ends output quietly; anything else is reported once
      if (e.code !== 'EPIPE') process.stderr.write(`intransit: output error: ${e.message}\n`);
      this.broken = true;
    });
  }

  write(doc: object): void {
    if (this.broken) return;
    if ((doc as { event?: { dataset?: unknown } }).event?.dataset === 'intransit.finding' && !Array.isArray(doc)) {
      this.writeFinding(doc as Record<string, unknown>);
      return;
    }
    // any other document starts a new burst: what the findings remembered is stale
    this.memoObjs.fill(null);
    this.writeLine(JSON.stringify(doc));
  }

  /** Whole NDJSON lines encoded elsewhere (the workers of a sharded engine), as they are. */
  writeRaw(bytes: Buffer): void {
    if (this.broken) return;
    this.memoObjs.fill(null);
    if (this.len + bytes.length > this.buf.length) {
      this.flush();
      if (bytes.length > this.buf.length) {
        this.out(Buffer.from(bytes));
        return;
      }
    }
    this.len += bytes.copy(this.buf, this.len);
  }

  /** Appends one encoded document and its newline. */
  private writeLine(line: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit
    if (this.len + 3 * line.length + 1 > this.buf.length) {
      this.flush();
      if (3 * line.length + 1 > this.buf.length) {
        this.out(Buffer.from(line + '\n'));
        return;
      }
    }
    this.len += this.buf.write(line, this.len);
    this.buf[this.len++] = 10;
  }

  /**
   * A finding document repeats its session's source, destination, network and tls objects:
   * each is encoded once per session and copied into the following findings. The bytes are
   * those of JSON.stringify(doc).
   */
  private writeFinding(d: Record<string, unknown>): void {
    const keys = Object.keys(d);
    const parts: string[] = [];
    let size = KEY_ROOM;
    for (const k of keys) {
      const v = d[k];
      const enc = typeof v === 'object' && v !== null ? this.encodeObject(v) : JSON.stringify(v);
      if (enc === undefined) continue; // undefined, functions and symbols: the key is skipped
      const key = JSON.stringify(k);
      parts.push(key, enc);
      size += 3 * (key.length + enc.length) + 2;
    }
    if (this.len + size > this.buf.length) {
      this.flush();
      if (size > this.buf.length) {
        let line = '{';
        for (let i = 0; i < parts.length; i += 2) line += `${i === 0 ? '' : ','}${parts[i]}:${parts[i + 1]}`;
        this.writeLine(line + '}');
        return;
      }
    }
    const buf = this.buf;
    let p = this.len;
    buf[p++] = 0x7b; // {
    for (let i = 0; i < parts.length; i += 2) {
      if (i > 0) buf[p++] = 0x2c; // ,
      p += buf.write(parts[i], p);
      buf[p++] = 0x3a; // :
      p += buf.write(parts[i + 1], p);
    }
    buf[p++] = 0x7d; // }
    buf[p++] = 10;
    this.len = p;
  }

  private encodeObject(v: object): string | undefined {
    const objs = this.memoObjs;
    for (let i = 0; i < MEMO_SIZE; i++) if (objs[i] === v) return this.memoStrs[i];
    const s = JSON.stringify(v) as string | undefined;
    if (s === undefined) return s;
    objs[this.memoNext] = v;
    this.memoStrs[this.memoNext] = s;
    this.memoNext = (this.memoNext + 1) % MEMO_SIZE;
    return s;
  }

  flush(): void {
    if (this.len === 0 || this.broken) return;
    const chunk = this.buf.subarray(0, this.len);
    // the stream may keep the chunk (an asynchronous pipe): the next batch gets a new buffer
    this.buf = Buffer.allocUnsafe(this.batchBytes);
    this.len = 0;
    this.out(chunk);
  }

  private out(chunk: Buffer): void {
    if (this.fd < 0) {
      this.stream.write(chunk);
      return;
    }
    let off = 0;
    while (off < chunk.length) {
      try {
        off += writeSync(this.fd, chunk, off, chunk.length - off);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') {
          // a non-blocking pipe that is full: wait for the reader
          Atomics.wait(WAIT, 0, 0, 1);
          continue;
        }
        // a closed pipe (`| head`) ends output quietly; anything else is reported once
        if (code !== 'EPIPE') process.stderr.write(`intransit: output error: ${(err as Error).message}\n`);
        this.broken = true;
        return;
      }
    }
  }

  async close(): Promise<void> {
    this.flush();
    await new Promise<void>((resolve) => this.stream.write('', () => resolve()));
  }
}

const WAIT = new Int32Array(new SharedArrayBuffer(4));

/** Standard output's descriptor when it is a pipe or a socket (written with writeSync), else -1. */
function pipeFd(stream: NodeJS.WritableStream): number {
  if (stream !== process.stdout) return -1;
  try {
    const st = fstatSync(1);
    return st.isFIFO() || st.isSocket() ? 1 : -1;
  } catch {
    return -1;
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
