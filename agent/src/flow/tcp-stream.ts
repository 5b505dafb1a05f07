// One direction of a TCP connection, reassembled in sequence order for as long as
// the application-layer parser wants bytes. Tolerates retransmission, overlap,
// out-of-order segments and a capture that starts mid-stream (no SYN). Only
// out-of-order segments are copied, and only within a bounded budget: when it runs
// out, the hole is declared a gap and the parser of that direction is told.

export type StreamSink = (buf: Buffer, off: number, len: number) => void;

interface PendingSegment {
  seq: number; // relative to `base`
  data: Buffer;
}

// Sequence numbers are kept relative to the first one seen (`base`), as plain
// numbers that grow past 2^32 without wrapping: simpler and exact for the first
// hundreds of megabytes of a stream, far more than a handshake needs.
const MOD = 4294967296;

export class TcpStream {
  started = false;
  sawSyn = false;
  base = 0; // absolute sequence number of relative offset 0
  next = 0; // relative sequence number of the next byte to deliver
  delivered = 0; // bytes delivered in order
  gaps = 0; // holes given up on
  retransmitted = 0; // bytes seen again
  private pending: PendingSegment[] | null = null;
  private pendingBytes = 0;

  constructor(
    private readonly maxPendingBytes = 262144,
    private readonly maxPendingSegments = 64,
  ) {}

  /** Relative position of an absolute sequence number, unwrapped around `next`. */
  private rel(seq: number): number {
    let d = (seq - this.base - (this.next % MOD)) % MOD;
    if (d < 0) d += MOD;
    if (d >= MOD / 2) d -= MOD; // behind us
    return this.next + d;
  }

  /**
   * Accepts one segment; calls `sink` for every byte range that becomes in order,
   * and `onGap` when a hole is given up (the sink then resumes after the hole).
   */
  segment(seq: number, syn: boolean, buf: Buffer, off: number, len: number, sink: StreamSink, onGap: () => void): void {
    if (!this.started) {
      this.started = true;
      this.sawSyn = syn;
      this.base = syn ? (seq + 1) % MOD : seq;
      this.next = 0;
      if (len === 0) return;
      if (syn) seq = (seq + 1) % MOD; // data on a SYN (TCP Fast Open) starts after it
    } else if (syn) {
      if (!this.sawSyn && this.delivered === 0 && this.pending === null) {
        // the SYN arrived after a data-less first packet: rebase on it
        this.sawSyn = true;
        this.base = (seq + 1) % MOD;
        this.next = 0;
      }
      if (len === 0) return;
      seq = (seq + 1) % MOD;
    }
    if (len === 0) return;
    let start = this.rel(seq);
    if (start < this.next) {
      const skip = this.next - start;
      if (skip >= len) {
        this.retransmitted += len;
        return;
      }
      this.retransmitted += skip;
      off += skip;
      len -= skip;
      start = this.next;
    }
    if (start > this.next) {
      this.hold(start, buf, off, len, sink, onGap);
      return;
    }
    this.next += len;
    this.delivered += len;
    sink(buf, off, len);
    if (this.pending !== null) this.drain(sink);
  }

  private hold(start: number, buf: Buffer, off: number, len: number, sink: StreamSink, onGap: () => void): void {
    if (this.pending === null) this.pending = [];
    const p = this.pending;
    // keep sorted by seq; segments are few
    let i = p.length;
    while (i > 0 && p[i - 1].seq > start) i--;
    p.splice(i, 0, { seq: start, data: Buffer.from(buf.subarray(off, off + len)) });
    this.pendingBytes += len;
    if (this.pendingBytes > this.maxPendingBytes || p.length > this.maxPendingSegments) {
      // give up on the hole before the earliest held segment
      this.gaps++;
      this.next = p[0].seq;
      onGap();
      this.drain(sink);
    }
  }

  private drain(sink: StreamSink): void {
    const p = this.pending;
    if (p === null) return;
    while (p.length > 0 && p[0].seq <= this.next) {
      const s = p.shift()!;
      this.pendingBytes -= s.data.length;
      const end = s.seq + s.data.length;
      if (end <= this.next) {
        this.retransmitted += s.data.length;
        continue;
      }
      const skip = this.next - s.seq;
      this.retransmitted += skip;
      const len = s.data.length - skip;
      this.next += len;
      this.delivered += len;
      sink(s.data, skip, len);
    }
    if (p.length === 0) {
      this.pending = null;
      this.pendingBytes = 0;
    }
  }

  /** True when bytes are held waiting for a hole to fill. */
  get hasPending(): boolean {
    return this.pending !== null;
  }

  /** Gives up on any hole: delivers what is held (used when the connection ends). */
  flush(sink: StreamSink, onGap: () => void): void {
    while (this.pending !== null && this.pending.length > 0) {
      this.gaps++;
      this.next = this.pending[0].seq;
      onGap();
      this.drain(sink);
    }
  }

  /** Frees buffers once the stream is no longer inspected. */
  release(): void {
    this.pending = null;
    this.pendingBytes = 0;
  }
}
