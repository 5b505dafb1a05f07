// JSON encoding straight into an output buffer, byte for byte what JSON.stringify gives for
// the plain data documents hold, without building the text as a string first: objects and
// arrays member by member, short ASCII strings (addresses, names, hashes: most values) byte by
// byte, anything else through JSON.stringify. For the small objects of a document this is
// faster than JSON.stringify followed by a UTF-8 conversion.
//
// Values recur across documents: a certificate's x509 facts, a kind of client's offer, a
// rule's description. Objects marked shared() are encoded once, as bytes kept on the object,
// and copied from then on.

// The mark is a symbol-keyed property: JSON.stringify and Object.keys do not see it, and it
// costs a property store, where a WeakSet entry costs an ephemeron the GC has to trace. It is
// not enumerable, so a copy of a shared object made with spread or Object.assign is not
// shared: it may be modified. Symbol.for: one mark for every copy of this module a process
// may load.
const SHARED = Symbol.for('intransit.shared');
type Marked = { [SHARED]?: Buffer | null };

/**
 * Marks `o` as shared by many documents and never modified: it is encoded once and the
 * encoding reused for as long as it lives.
 */
export function shared<T extends object>(o: T): T {
  if (Object.prototype.hasOwnProperty.call(o, SHARED)) return o;
  Object.defineProperty(o, SHARED, { value: null, writable: true, enumerable: false, configurable: false });
  Object.defineProperty(o, SHARED_ID, { value: ++sharedCount, enumerable: false });
  return o;
}

// every shared object has a number of its own (content keys name it by that: output/intern.ts)
const SHARED_ID = Symbol.for('intransit.sharedId');
let sharedCount = 0;

/** The number of a shared() object, undefined for any other value. */
export function sharedId(o: object): number | undefined {
  return (o as { [SHARED_ID]?: number })[SHARED_ID];
}

/** The encoding of a shared() object (undefined when `o` is not marked). */
function sharedBytes(o: object): Buffer | undefined {
  const m = o as Marked;
  const b = m[SHARED];
  if (b === undefined) return undefined;
  if (b !== null) return b;
  const enc = Buffer.from(JSON.stringify(o) as string);
  m[SHARED] = enc;
  return enc;
}

/** JSON.stringify(v) as a string, encoded as the writer encodes it (tests, non-buffer uses). */
export function encodeValue(v: unknown): string | undefined {
  for (let size = 4096; ; size *= 4) {
    const enc = new BufferEncoder(Buffer.allocUnsafe(size));
    try {
      const end = enc.value(v, 0);
      return end < 0 ? undefined : enc.buf.toString('utf8', 0, end);
    } catch (e) {
      if (e !== OVERFLOW) throw e;
    }
  }
}

/** Thrown when an encoding does not fit in the buffer (the caller makes room and retries). */
export const OVERFLOW = new RangeError('JSON encoder: buffer full');

/** Strings longer than this go through JSON.stringify and Buffer.write (native is faster). */
const SHORT = 64;

/** Encodes values into `buf` from a given offset; every method returns the offset after its bytes. */
export class BufferEncoder {
  constructor(public buf: Buffer) {}

  /** Whether a member with this value is written at all (JSON.stringify leaves these out). */
  static skipped(v: unknown): boolean {
    return v === undefined || typeof v === 'function' || typeof v === 'symbol';
  }

  /** Any JSON value; -1 when there is nothing to write (undefined, functions, symbols). */
  value(v: unknown, p: number): number {
    switch (typeof v) {
      case 'string':
        return this.string(v, p);
      case 'number':
        return this.ascii(Number.isFinite(v) ? (Object.is(v, -0) ? '0' : String(v)) : 'null', p);
      case 'boolean':
        return this.ascii(v ? 'true' : 'false', p);
      case 'object': {
        if (v === null) return this.ascii('null', p);
        const b = sharedBytes(v);
        if (b !== undefined) return this.bytes(b, p);
        if (typeof (v as { toJSON?: unknown }).toJSON === 'function') {
          const s = JSON.stringify(v) as string | undefined;
          return s === undefined ? -1 : this.text(s, p);
        }
        return Array.isArray(v) ? this.array(v, p) : this.object(v as Record<string, unknown>, p);
      }
      case 'bigint':
        JSON.stringify(v); // throws as JSON.stringify does
        return -1;
      default:
        return -1; // undefined, function, symbol
    }
  }

  /** `"key":` */
  key(k: string, p: number): number {
    p = this.string(k, p);
    if (p >= this.buf.length) throw OVERFLOW;
    this.buf[p] = 0x3a;
    return p + 1;
  }

  private array(a: unknown[], p: number): number {
    p = this.byte(0x5b, p);
    for (let i = 0; i < a.length; i++) {
      if (i > 0) p = this.byte(0x2c, p);
      const q = this.value(a[i], p);
      p = q < 0 ? this.ascii('null', p) : q;
    }
    return this.byte(0x5d, p);
  }

  /**
   * `{...}` of o's members. `objectMember`, when given, encodes the members whose values are
   * plain objects or arrays instead of value() (the writer copies the ones it has written
   * before); it returns the offset after what it wrote.
   */
  object(o: Record<string, unknown>, p: number, objectMember?: (v: object, p: number) => number): number {
    p = this.byte(0x7b, p);
    let first = true;
    for (const k in o) {
      if (!Object.prototype.hasOwnProperty.call(o, k)) continue;
      const v = o[k];
      if (BufferEncoder.skipped(v)) continue;
      let pre: string | undefined;
      if (typeof v === 'object' && v !== null && typeof (v as { toJSON?: unknown }).toJSON === 'function') {
        pre = JSON.stringify(v) as string | undefined;
        if (pre === undefined) continue;
      }
      if (!first) p = this.byte(0x2c, p);
      first = false;
      p = this.key(k, p);
      if (pre !== undefined) p = this.text(pre, p);
      else if (objectMember !== undefined && typeof v === 'object' && v !== null) p = objectMember(v, p);
      else p = this.value(v, p);
    }
    return this.byte(0x7d, p);
  }

  /** A JSON string literal. */
  string(s: string, p: number): number {
    const n = s.length;
    if (n > SHORT) return this.text(JSON.stringify(s), p);
    const buf = this.buf;
    if (p + n + 2 > buf.length) {
      // may still fit once escaped differently: let the general path decide
      return this.text(JSON.stringify(s), p);
    }
    buf[p] = 0x22;
    let q = p + 1;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      // control characters, quote, backslash and anything beyond ASCII: JSON.stringify's rules
      if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return this.text(JSON.stringify(s), p);
      buf[q++] = c;
    }
    buf[q] = 0x22;
    return q + 1;
  }

  /** Text that is already JSON (any characters), UTF-8 encoded. */
  text(t: string, p: number): number {
    const buf = this.buf;
    if (p + 3 * t.length > buf.length && p + Buffer.byteLength(t) > buf.length) throw OVERFLOW;
    return p + buf.write(t, p);
  }

  /** A short ASCII token (number, literal). */
  private ascii(t: string, p: number): number {
    const buf = this.buf;
    const n = t.length;
    if (p + n > buf.length) throw OVERFLOW;
    for (let i = 0; i < n; i++) buf[p + i] = t.charCodeAt(i);
    return p + n;
  }

  private byte(c: number, p: number): number {
    if (p >= this.buf.length) throw OVERFLOW;
    this.buf[p] = c;
    return p + 1;
  }

  private bytes(b: Buffer, p: number): number {
    if (p + b.length > this.buf.length) throw OVERFLOW;
    this.buf.set(b, p);
    return p + b.length;
  }
}
