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

/** Top-level objects whose encodings are remembered (a session's documents share them). */
const MEMO_SIZE = 8;
/** Room kept free in the output buffer for the keys and punctuation of one document. */
const KEY_ROOM = 1024;

// Encodings of objects marked shared(): immutable values that recur in many documents (a
// rule's description, a certificate's x509 facts, a kind of client's offer), encoded once for
// as long as they live. Objects marked holdsShared() contain such values somewhere below:
// they are encoded member by member so that those parts come from the cache.
// The marks are symbol-keyed properties: JSON.stringify and Object.keys do not see them, and
// they cost a property store, where a WeakSet entry costs an ephemeron the GC has to trace.
// The shared mark (and the encoding it keeps) is not enumerable, so a copy of a shared object
// made with spread or Object.assign is not shared: it may be modified.
const SHARED = Symbol('intransit.shared');
const HOLDS_SHARED = Symbol('intransit.holdsShared');
type Marked = { [SHARED]?: string | null; [HOLDS_SHARED]?: true };

/**
 * Marks `o` as shared by many documents and never modified: writers encode it once and
 * reuse the encoding for as long as it lives.
 */
export function shared<T extends object>(o: T): T {
  Object.defineProperty(o, SHARED, { value: null, writable: true, enumerable: false, configurable: false });
  return o;
}

/** Marks `o` as containing shared() values (directly or deeper): see encodeValue. */
export function holdsShared<T extends object>(o: T): T {
  (o as Marked)[HOLDS_SHARED] = true;
  return o;
}

/**
 * JSON.stringify(v), with the encodings of shared() objects reused. Plain data only (what
 * the documents hold); anything else goes to JSON.stringify.
 */
export function encodeValue(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null) return JSON.stringify(v) as string | undefined;
  const m = v as Marked;
  const enc = m[SHARED];
  if (enc !== undefined) {
    if (enc !== null) return enc;
    const s = JSON.stringify(v) as string;
    m[SHARED] = s;
    return s;
  }
  if (m[HOLDS_SHARED] !== true || typeof (v as { toJSON?: unknown }).toJSON === 'function') return JSON.stringify(v) as string | undefined;
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) {
      if (i > 0) out += ',';
      out += encodeMember(v[i]) ?? 'null';
    }
    return out + ']';
  }
  const o = v as Record<string, unknown>;
  let out = '{';
  for (const k in o) {
    if (!Object.prototype.hasOwnProperty.call(o, k)) continue;
    const e = encodeMember(o[k]);
    if (e === undefined) continue;
    if (out.length > 1) out += ',';
    out += keyPrefix(k);
    out += e;
  }
  return out + '}';
}

/** encodeValue for a member: the common primitives without a call into JSON.stringify. */
function encodeMember(v: unknown): string | undefined {
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      return Number.isFinite(v) ? (Object.is(v, -0) ? '0' : String(v)) : 'null';
    case 'object':
      return v === null ? 'null' : encodeValue(v);
    default:
      return JSON.stringify(v) as string | undefined;
  }
}

/** Encoded key prefixes (`"key":`), by key. */
const keyPrefixes = new Map<string, string>();
function keyPrefix(k: string): string {
  let p = keyPrefixes.get(k);
  if (p === undefined) {
    p = `${JSON.stringify(k)}:`;
    if (keyPrefixes.size < 4096) keyPrefixes.set(k, p);
  }
  return p;
}

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
  private readonly memoStrs: string[] = new Array<string>(MEMO_SIZE).fill('');
  private readonly memoGen = new Float64Array(MEMO_SIZE).fill(-1);
  private readonly memoStart = new Int32Array(MEMO_SIZE);
  private readonly memoEnd = new Int32Array(MEMO_SIZE);
  private readonly memoUsed = new Float64Array(MEMO_SIZE);
  private useClock = 0;
  /** useClock when the current document started: slots used since hold its members. */
  private docClock = 0;
  // the parts of the document being written: key prefix, then encoding or memo slot (-1: none)
  private readonly partKeys: string[] = [];
  private readonly partStrs: string[] = [];
  private readonly partSlots: number[] = [];
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

  /**
   * One document, encoded member by member: the bytes are those of JSON.stringify(doc), but
   * members already encoded for an earlier document (the same object) are copied, not
   * encoded again.
   */
  write(doc: object): void {
    if (this.broken) return;
    if (Array.isArray(doc) || typeof (doc as { toJSON?: unknown }).toJSON === 'function') {
      this.writeLine(JSON.stringify(doc));
      return;
    }
    const d = doc as Record<string, unknown>;
    const keys = this.partKeys;
    const strs = this.partStrs;
    const slots = this.partSlots;
    keys.length = strs.length = slots.length = 0;
    this.docClock = this.useClock;
    let size = KEY_ROOM;
    for (const k in d) {
      if (!Object.prototype.hasOwnProperty.call(d, k)) continue;
      const v = d[k];
      let str: string | undefined;
      let slot = -1;
      if (typeof v === 'object' && v !== null) {
        slot = this.memoSlot(v);
        if (slot >= 0) {
          size += this.memoGen[slot] === this.generation ? this.memoEnd[slot] - this.memoStart[slot] : 3 * this.memoStrs[slot].length;
          str = '';
        } else {
          str = this.encodeObject(v);
          if (str !== undefined) slot = this.remember(v, str);
        }
      } else str = JSON.stringify(v) as string | undefined;
      if (str === undefined) continue; // undefined, functions and symbols: the key is skipped
      const key = keyPrefix(k);
      keys.push(key);
      strs.push(str);
      slots.push(slot);
      size += 3 * (key.length + str.length) + 2;
    }
    if (this.len + size > this.buf.length) {
      this.flush();
      if (size > this.buf.length) {
        let line = '{';
        for (let i = 0; i < keys.length; i++) line += `${i === 0 ? '' : ','}${keys[i]}${slots[i] >= 0 ? this.memoStrs[slots[i]] : strs[i]}`;
        this.writeLine(line + '}');
        return;
      }
    }
    const buf = this.buf;
    const gen = this.generation;
    let p = this.len;
    buf[p++] = 0x7b; // {
    for (let i = 0; i < keys.length; i++) {
      if (i > 0) buf[p++] = 0x2c; // ,
      p += buf.write(keys[i], p);
      const slot = slots[i];
      if (slot < 0) p += buf.write(strs[i], p);
      else if (this.memoGen[slot] === gen) {
        // still in the buffer: copy the bytes written for an earlier document
        const start = this.memoStart[slot];
        const end = this.memoEnd[slot];
        buf.copy(buf, p, start, end);
        p += end - start;
      } else {
        const start = p;
        p += buf.write(this.memoStrs[slot], p);
        this.memoGen[slot] = gen;
        this.memoStart[slot] = start;
        this.memoEnd[slot] = p;
      }
    }
    buf[p++] = 0x7d; // }
    buf[p++] = 10;
    this.len = p;
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
   * Keeps v's encoding in the least recently used slot that no member of the current document
   * holds; returns the slot, or -1 when every slot is taken by this document.
   */
  private remember(v: object, str: string): number {
    let slot = -1;
    const used = this.memoUsed;
    for (let i = 0; i < MEMO_SIZE; i++) if (used[i] <= this.docClock && (slot < 0 || used[i] < used[slot])) slot = i;
    if (slot < 0) return -1;
    this.memoObjs[slot] = v;
    this.memoStrs[slot] = str;
    this.memoGen[slot] = -1; // not yet in the buffer
    used[slot] = ++this.useClock;
    return slot;
  }

  private encodeObject(v: object): string | undefined {
    return encodeValue(v);
  }

  flush(): void {
    if (this.len === 0 || this.broken) return;
    const chunk = this.buf.subarray(0, this.len);
    this.len = 0;
    this.generation++;
    // written with writeSync, the buffer is free again when out() returns; a stream may keep
    // the chunk (an asynchronous pipe): the next batch then gets a new buffer
    if (this.fd < 0) this.buf = Buffer.allocUnsafe(this.batchBytes);
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
