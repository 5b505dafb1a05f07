// Batched NDJSON output: documents are encoded straight into one output buffer (see
// json-encoder.ts) and written in large chunks, so per-session output costs one JSON encoding
// and no syscall.
//
// Standard output on a pipe (`| jq`, `| filebeat`) is written with blocking writes to its
// file descriptor: Node's stream for a pipe is asynchronous, so a replay, whose read loop
// never yields to the event loop, would queue its whole output in memory (hundreds of MB
// for a large capture) before the first byte left. Blocking on a slow reader is the
// backpressure we want: memory stays flat. Files and terminals are synchronous already.

import { fstatSync, writeSync } from 'node:fs';
import { BufferEncoder, OVERFLOW } from './json-encoder.js';

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

/** Top-level objects whose encodings are remembered (a session's documents share them). */
const MEMO_SIZE = 8;
/** Free room below which the buffer is written out before a document. */
const RESERVE = 16 * 1024;

export { shared, encodeValue } from './json-encoder.js';

export class NdjsonWriter implements DocumentSink {
  private buf: Buffer;
  private len = 0;
  private broken = false;
  /** Incremented when the buffer is handed out: byte ranges of older generations are gone. */
  private generation = 0;
  // Encodings of the top-level objects of the last documents, by identity, with where their
  // bytes were last written in the buffer (copied from there while they are still in it).
  // A session's document and its findings share source, destination, network, tls (and the
  // findings their intransit object): each is encoded once. Least recently used goes first.
  private readonly memoObjs: (object | null)[] = new Array<object | null>(MEMO_SIZE).fill(null);
  private readonly memoGen = new Float64Array(MEMO_SIZE).fill(-1);
  private readonly memoStart = new Int32Array(MEMO_SIZE);
  private readonly memoEnd = new Int32Array(MEMO_SIZE);
  private readonly memoUsed = new Float64Array(MEMO_SIZE);
  private useClock = 0;
  /** useClock when the current document started: slots used since hold its members. */
  private docClock = 0;
  private readonly enc: BufferEncoder;
  // file descriptor written directly (standard output on a pipe or socket), -1: the stream
  private readonly fd: number;

  constructor(
    private readonly stream: NodeJS.WritableStream = process.stdout,
    private readonly batchBytes = 1 << 18,
  ) {
    this.buf = Buffer.allocUnsafe(batchBytes);
    this.enc = new BufferEncoder(this.buf);
    this.fd = pipeFd(stream);
    stream.on('error', (e: NodeJS.ErrnoException) => {
      // a closed pipe (`| head`) ends output quietly; anything else is reported once
      if (e.code !== 'EPIPE') process.stderr.write(`intransit: output error: ${e.message}\n`);
      this.broken = true;
    });
  }

  /**
   * One document, encoded member by member into the buffer: the bytes are those of
   * JSON.stringify(doc), but a member that is the same object as one of an earlier document
   * still in the buffer is copied from there, not encoded again.
   */
  write(doc: object): void {
    if (this.broken) return;
    if (Array.isArray(doc) || typeof (doc as { toJSON?: unknown }).toJSON === 'function') {
      this.writeLine(JSON.stringify(doc));
      return;
    }
    if (this.len + RESERVE > this.buf.length) this.flush();
    const start = this.len;
    let end = this.tryDocument(doc as Record<string, unknown>, start);
    if (end < 0 && start > 0) {
      // it did not fit after the documents before it: write those out and start afresh
      this.forget(start);
      this.flush();
      end = this.tryDocument(doc as Record<string, unknown>, 0);
    }
    if (end < 0) {
      // larger than the buffer
      this.forget(0);
      this.writeLine(JSON.stringify(doc));
      return;
    }
    this.len = end;
  }

  private tryDocument(d: Record<string, unknown>, p: number): number {
    try {
      return this.document(d, p);
    } catch (e) {
      if (e === OVERFLOW) return -1;
      throw e;
    }
  }

  private document(d: Record<string, unknown>, p: number): number {
    this.docClock = this.useClock;
    p = this.enc.object(d, p, this.member);
    if (p >= this.buf.length) throw OVERFLOW;
    this.buf[p] = 10;
    return p + 1;
  }

  /** A member of a document whose value is an object: copied when it is still in the buffer. */
  private readonly member = (v: object, p: number): number => {
    const buf = this.buf;
    const gen = this.generation;
    let slot = this.memoSlot(v);
    if (slot >= 0 && this.memoGen[slot] === gen) {
      // written for an earlier document: copy those bytes
      const from = this.memoStart[slot];
      const to = this.memoEnd[slot];
      if (p + (to - from) > buf.length) throw OVERFLOW;
      buf.copyWithin(p, from, to);
      return p + (to - from);
    }
    const at = p;
    p = this.enc.value(v, p);
    if (slot < 0) slot = this.remember(v);
    if (slot >= 0) {
      this.memoGen[slot] = gen;
      this.memoStart[slot] = at;
      this.memoEnd[slot] = p;
    }
    return p;
  };

  /** Encodings recorded at or after `from` in the current buffer are gone (a document undone). */
  private forget(from: number): void {
    for (let i = 0; i < MEMO_SIZE; i++) if (this.memoGen[i] === this.generation && this.memoEnd[i] > from) this.memoGen[i] = -1;
  }

  /** Whole NDJSON lines encoded elsewhere (the workers of a sharded engine), as they are. */
  writeRaw(bytes: Buffer): void {
    if (this.broken) return;
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

  /** The memo slot holding v's encoding, or -1. */
  private memoSlot(v: object): number {
    const objs = this.memoObjs;
    for (let i = 0; i < MEMO_SIZE; i++) {
      if (objs[i] === v) {
        this.memoUsed[i] = ++this.useClock;
        return i;
      }
    }
    return -1;
  }

  /**
   * A slot for v's encoding: the least recently used one that no member of the current
   * document holds, or -1 when every slot is taken by this document.
   */
  private remember(v: object): number {
    let slot = -1;
    const used = this.memoUsed;
    for (let i = 0; i < MEMO_SIZE; i++) if (used[i] <= this.docClock && (slot < 0 || used[i] < used[slot])) slot = i;
    if (slot < 0) return -1;
    this.memoObjs[slot] = v;
    this.memoGen[slot] = -1; // not yet in the buffer
    used[slot] = ++this.useClock;
    return slot;
  }

  flush(): void {
    if (this.len === 0 || this.broken) return;
    const chunk = this.buf.subarray(0, this.len);
    this.len = 0;
    this.generation++;
    // written with writeSync, the buffer is free again when out() returns; a stream may keep
    // the chunk (an asynchronous pipe): the next batch then gets a new buffer
    if (this.fd < 0) {
      this.buf = Buffer.allocUnsafe(this.batchBytes);
      this.enc.buf = this.buf;
    }
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

/**
 * Standard output's descriptor (written with writeSync), else -1. A file or a terminal is
 * written synchronously by Node's stream too; a pipe or a socket would be asynchronous (see
 * the top of this file); writing the descriptor directly makes them all blocking writes of one
 * reusable buffer.
 */
function pipeFd(stream: NodeJS.WritableStream): number {
  if (stream !== process.stdout) return -1;
  try {
    const st = fstatSync(1);
    return st.isFIFO() || st.isSocket() || st.isFile() || st.isCharacterDevice() ? 1 : -1;
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
