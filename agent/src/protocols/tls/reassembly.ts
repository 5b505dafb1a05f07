// Handshake message reassembly for one direction (RFC 8446 5.1: messages may span records,
// several may share one). Whole messages inside one piece are handed over in place; only a
// message split across pieces is copied, so the buffer holds at most one message. A message
// declared larger than the bound is skipped by length (a Certificate is still hashed on the
// way, see CertificateStream) and parsing resumes at the next message.

import { CertificateStream, HS_CERTIFICATE } from './messages.js';

export interface HandshakeSink {
  /** One complete message; the body is valid during the call only. */
  message(fromOriginator: boolean, type: number, buf: Buffer, off: number, len: number): void;
  /** A message too large to buffer starts (its body will be skipped). */
  oversized(fromOriginator: boolean, type: number, size: number): void;
  /** An oversized Certificate message ended: its certificates' hashes (and the DERs that fit). */
  certificates(fromOriginator: boolean, cs: CertificateStream): void;
  /** The direction stopped accepting handshake bytes (stopped, or now encrypted). */
  halted(fromOriginator: boolean): boolean;
  /** Certificate layout in force (TLS 1.3 adds a context and per-entry extensions). */
  tls13(): boolean;
}

const u24 = (b: Buffer, p: number): number => (b[p] << 16) | (b[p + 1] << 8) | b[p + 2];

export class HandshakeAssembler {
  private buf: Buffer | null = null;
  /** Pending bytes of an incomplete message (or of an SSLv2 record, see append()). */
  len = 0;
  private skip = 0; // bytes left of a message too large to buffer
  private certStream: CertificateStream | null = null;

  constructor(
    private readonly fromOriginator: boolean,
    private readonly sink: HandshakeSink,
    private readonly max: number,
  ) {}

  /** Something is pending: a partial message, or the rest of a skipped one. */
  get pending(): boolean {
    return this.len > 0 || this.skip > 0;
  }

  /** The buffered bytes (SSLv2 record bodies collected with append()). */
  get bytes(): Buffer | null {
    return this.buf;
  }

  reset(): void {
    this.len = 0;
    this.skip = 0;
    this.certStream = null;
  }

  /** No more handshake bytes will come: drop the buffer (sessions live until their flow ends). */
  release(): void {
    this.reset();
    this.buf = null;
  }

  push(buf: Buffer, off: number, len: number): void {
    const sink = this.sink;
    const dir = this.fromOriginator;
    let p = off;
    const end = off + len;
    while (p < end && !sink.halted(dir)) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, end - p);
        this.certStream?.feed(buf, p, n);
        this.skip -= n;
        p += n;
        if (this.skip === 0) this.skipped();
        continue;
      }
      if (this.len > 0) {
        if (this.len < 4) {
          const n = Math.min(4 - this.len, end - p);
          this.append(buf, p, n, 4);
          p += n;
          if (this.len < 4) return;
        }
        const hs = this.buf as Buffer;
        const total = 4 + u24(hs, 1);
        if (total > this.max) {
          this.len = 0;
          this.startSkip(hs[0], total - 4);
          continue;
        }
        const n = Math.min(total - this.len, end - p);
        this.append(buf, p, n, total);
        p += n;
        if (this.len < total) return;
        this.len = 0;
        sink.message(dir, (this.buf as Buffer)[0], this.buf as Buffer, 4, total - 4);
        continue;
      }
      if (end - p < 4) {
        this.append(buf, p, end - p, 4);
        return;
      }
      const size = u24(buf, p + 1);
      if (4 + size > this.max) {
        const type = buf[p];
        p += 4;
        this.startSkip(type, size);
        continue;
      }
      if (p + 4 + size > end) {
        this.append(buf, p, end - p, 4 + size);
        return;
      }
      sink.message(dir, buf[p], buf, p + 4, size);
      p += 4 + size;
    }
  }

  /** Appends to the pending bytes, growing the buffer to `expect` (the message size when known). */
  append(buf: Buffer, off: number, len: number, expect: number): void {
    const need = this.len + len;
    if (this.buf === null || this.buf.length < need) {
      // unpooled: this buffer lives as long as the message is incomplete, and a pooled slice
      // would pin its 8 KiB pool slab with it (stalled handshakes pin one slab per few flows)
      const grown = Buffer.allocUnsafeSlow(Math.max(need, expect, 256));
      if (this.buf !== null && this.len > 0) this.buf.copy(grown, 0, 0, this.len);
      this.buf = grown;
    }
    buf.copy(this.buf, this.len, off, off + len);
    this.len = need;
  }

  private startSkip(type: number, size: number): void {
    this.skip = size;
    this.sink.oversized(this.fromOriginator, type, size);
    if (type === HS_CERTIFICATE) this.certStream = new CertificateStream(this.sink.tls13(), this.max);
    if (size === 0) this.skipped();
  }

  private skipped(): void {
    const cs = this.certStream;
    this.certStream = null;
    if (cs !== null) {
      cs.finish();
      this.sink.certificates(this.fromOriginator, cs);
    }
  }
}
