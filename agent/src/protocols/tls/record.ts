// TLS / SSL record layer of one direction of a stream (RFC 5246 6.2, RFC 8446 5.1, SSL 2.0 draft
// "Record Header"). Incremental: headers and bodies may be split anywhere across feed() calls.
// The reader allocates nothing per record: a 5-byte header scratch, then body bytes are handed to
// the sink as slices of the caller's buffer (valid during the call only), or skipped when the sink
// does not want them (application data: only the header is looked at).

export const CT_CHANGE_CIPHER_SPEC = 20;
export const CT_ALERT = 21;
export const CT_HANDSHAKE = 22;
export const CT_APPLICATION_DATA = 23;
export const CT_HEARTBEAT = 24;

/** RFC 5246 6.2.3: TLSCiphertext.length MUST NOT exceed 2^14 + 2048. */
export const MAX_RECORD_LENGTH = 16384 + 2048;

/** Pseudo content type for an SSLv2 record (its message type is the first body byte when cleartext). */
export const CT_SSL2 = 256;

export interface RecordSink {
  /** A record header is complete. Return true to be handed the body (recordBody pieces, then recordEnd). */
  recordStart(fromOriginator: boolean, type: number, version: number, length: number): boolean;
  recordBody(fromOriginator: boolean, buf: Buffer, off: number, len: number): void;
  recordEnd(fromOriginator: boolean): void;
  /** The direction cannot be parsed further (not TLS, or the reader lost the record boundaries). */
  recordStop(fromOriginator: boolean, reason: string): void;
}

const MODE_DETECT = 0; // first record: TLS or SSLv2
const MODE_TLS = 1;
const MODE_SSL2_MAYBE = 2; // after an SSLv2 CLIENT-HELLO: the server's answer decides
const MODE_SSL2 = 3;

function isTlsHeader(b0: number, b1: number, b2: number): boolean {
  return b0 >= CT_CHANGE_CIPHER_SPEC && b0 <= CT_HEARTBEAT && b1 === 3 && b2 <= 4;
}

export class RecordReader {
  stopped = false;
  /** Records whose header was read. */
  records = 0;
  private mode = MODE_DETECT;
  private readonly hdr = Buffer.alloc(5);
  private hdrLen = 0;
  private remaining = -1; // body bytes left in the current record, -1 between records
  private wanted = false;

  constructor(
    private readonly fromOriginator: boolean,
    private readonly sink: RecordSink,
  ) {}

  /** The session saw an SSLv2 SERVER-HELLO: the connection keeps SSLv2 framing. */
  forceSsl2(): void {
    this.mode = MODE_SSL2;
  }

  get ssl2(): boolean {
    return this.mode === MODE_SSL2 || this.mode === MODE_SSL2_MAYBE;
  }

  /** True between records (no partial header or body pending). */
  get atBoundary(): boolean {
    return this.remaining < 0 && this.hdrLen === 0;
  }

  stop(reason: string): void {
    if (this.stopped) return;
    this.stopped = true;
    this.sink.recordStop(this.fromOriginator, reason);
  }

  feed(buf: Buffer, off: number, len: number): void {
    let p = off;
    const end = Math.min(off + len, buf.length);
    while (p < end && !this.stopped) {
      if (this.remaining >= 0) {
        const n = Math.min(this.remaining, end - p);
        if (this.wanted && n > 0) this.sink.recordBody(this.fromOriginator, buf, p, n);
        p += n;
        this.remaining -= n;
        if (this.remaining === 0) {
          this.remaining = -1;
          if (this.wanted) this.sink.recordEnd(this.fromOriginator);
        }
        continue;
      }
      // Header: copy byte by byte into the scratch until it can be decided.
      this.hdr[this.hdrLen++] = buf[p++];
      const need = this.headerLength();
      if (need < 0) continue; // not decidable yet
      if (this.hdrLen < need) continue;
      this.startRecord(need);
    }
  }

  /** Bytes the header needs once enough is known (-1: read more first; 0 never). */
  private headerLength(): number {
    const h = this.hdr;
    const n = this.hdrLen;
    switch (this.mode) {
      case MODE_TLS:
        return 5;
      case MODE_SSL2:
        return (h[0] & 0x80) !== 0 ? 2 : 3;
      case MODE_SSL2_MAYBE:
        if (n < 3) return -1;
        if (isTlsHeader(h[0], h[1], h[2])) {
          this.mode = MODE_TLS;
          return 5;
        }
        return (h[0] & 0x80) !== 0 ? 2 : 3;
      default:
        // First record: a TLS header, or an SSLv2 header followed by CLIENT-HELLO (1), SERVER-HELLO
        // (4), or a 3-byte ERROR message (0) refusing an SSLv2 hello.
        if (n < 3) return -1;
        if (isTlsHeader(h[0], h[1], h[2])) {
          this.mode = MODE_TLS;
          return 5;
        }
        if ((h[0] & 0x80) !== 0 && (h[2] === 1 || h[2] === 4 || (h[2] === 0 && h[0] === 0x80 && h[1] === 3))) {
          this.mode = MODE_SSL2_MAYBE;
          return 2;
        }
        if (n < 4) return -1;
        if ((h[0] & 0xc0) === 0 && (h[3] === 1 || h[3] === 4)) {
          this.mode = MODE_SSL2_MAYBE;
          return 3;
        }
        this.mode = MODE_TLS; // let the TLS header checks give the reason
        return 5;
    }
  }

  private startRecord(hlen: number): void {
    const h = this.hdr;
    let type: number;
    let version: number;
    let length: number;
    let extra = 0; // header bytes read past the header (SSLv2 detection reads ahead)
    if (this.mode === MODE_TLS) {
      type = h[0];
      version = (h[1] << 8) | h[2];
      length = (h[3] << 8) | h[4];
      if (type < CT_CHANGE_CIPHER_SPEC || type > CT_HEARTBEAT) return this.stop('record-bad-content-type');
      if (h[1] !== 3 || h[2] > 4) return this.stop('record-bad-version');
      if (length > MAX_RECORD_LENGTH) return this.stop('record-length-too-large');
    } else {
      type = CT_SSL2;
      version = 2;
      length = hlen === 2 ? ((h[0] & 0x7f) << 8) | h[1] : ((h[0] & 0x3f) << 8) | h[1];
      extra = this.hdrLen - hlen;
      if (extra > length) return this.stop('ssl2-record-too-short');
    }
    this.records++;
    this.hdrLen = 0;
    this.wanted = this.sink.recordStart(this.fromOriginator, type, version, length);
    if (this.stopped) return;
    // Bytes read ahead while detecting an SSLv2 header belong to the body.
    if (extra > 0 && this.wanted) this.sink.recordBody(this.fromOriginator, h, hlen, extra);
    this.remaining = length - extra;
    if (this.remaining === 0) {
      this.remaining = -1;
      if (this.wanted) this.sink.recordEnd(this.fromOriginator);
    }
  }
}

/**
 * Plausible start of a TLS/SSL byte stream: a record header (handshake, or CCS / alert /
 * application data for a capture that starts mid-stream) with a sane length, or an SSLv2
 * CLIENT-HELLO (2- or 3-byte header, message type 1, version 0x0002 or 0x0300-0x0304).
 * Looks only at the bytes given: a prefix too short to decide returns false.
 */
export function isTlsStart(buf: Buffer, off: number, len: number): boolean {
  const n = Math.min(len, buf.length - off);
  if (n < 3) return false;
  const b0 = buf[off];
  const b1 = buf[off + 1];
  const b2 = buf[off + 2];
  if (b0 >= CT_CHANGE_CIPHER_SPEC && b0 <= CT_APPLICATION_DATA && b1 === 3 && b2 <= 4) {
    if (n < 5) return b0 === CT_HANDSHAKE;
    const length = (buf[off + 3] << 8) | buf[off + 4];
    if (length > MAX_RECORD_LENGTH || length === 0) return false;
    if (b0 === CT_HANDSHAKE && n >= 6) {
      const t = buf[off + 5]; // first handshake message: any hello / certificate / encrypted Finished
      return t <= 24 || t === 254 || length >= 16;
    }
    if (b0 === CT_CHANGE_CIPHER_SPEC) return length === 1 && (n < 6 || buf[off + 5] === 1);
    if (b0 === CT_ALERT) return length >= 2;
    return true;
  }
  const ssl2Version = (v: number): boolean => v === 0x0002 || (v >= 0x0300 && v <= 0x0304);
  if ((b0 & 0x80) !== 0) {
    if (n < 5) return false;
    const length = ((b0 & 0x7f) << 8) | b1;
    return b2 === 1 && length >= 9 && ssl2Version((buf[off + 3] << 8) | buf[off + 4]);
  }
  if ((b0 & 0xc0) === 0 && n >= 6) {
    const length = ((b0 & 0x3f) << 8) | b1;
    return buf[off + 3] === 1 && length >= 9 && ssl2Version((buf[off + 4] << 8) | buf[off + 5]);
  }
  return false;
}
