// Reassembly of one direction's CRYPTO stream (RFC 9000 §19.6) at the Initial encryption
// level. Frames arrive in any order, split over packets and datagrams (Chrome spreads a
// post-quantum ClientHello over two Initial packets and shuffles the frames), and may be
// retransmitted. Bytes are delivered once, in order, as soon as they are contiguous;
// pieces past a hole wait, bounded in count and bytes (the hole may never fill).

export const MAX_CRYPTO_OFFSET = 64 * 1024; // far more than any ClientHello or ServerHello
const MAX_HELD_BYTES = 32 * 1024;
const MAX_HELD_PIECES = 32;

export type CryptoDeliver = (buf: Buffer, off: number, len: number) => void;

interface Piece {
  off: number;
  data: Buffer;
}

export class CryptoStream {
  /** stream offset up to which bytes were delivered */
  next = 0;
  /** a piece was dropped: bounds exceeded or beyond MAX_CRYPTO_OFFSET */
  overflow = false;
  private pieces: Piece[] = [];
  private held = 0;

  constructor(private readonly deliver: CryptoDeliver) {}

  /** Bytes wait for a missing earlier piece (or were dropped). */
  get gap(): boolean {
    return this.pieces.length > 0 || this.overflow;
  }

  /** One CRYPTO frame's data: stream offset `at`, bytes [off, off + len) of buf. */
  push(at: number, buf: Buffer, off: number, len: number): void {
    if (len <= 0) return;
    const end = at + len;
    if (end <= this.next) return; // retransmission of delivered bytes
    if (end > MAX_CRYPTO_OFFSET) {
      this.overflow = true;
      return;
    }
    if (at > this.next) {
      this.hold(at, buf, off, len);
      return;
    }
    const skip = this.next - at;
    this.next = end;
    this.deliver(buf, off + skip, len - skip);
    this.drain();
  }

  private hold(at: number, buf: Buffer, off: number, len: number): void {
    if (this.pieces.length >= MAX_HELD_PIECES || this.held + len > MAX_HELD_BYTES) {
      this.overflow = true;
      return;
    }
    const piece = { off: at, data: Buffer.from(buf.subarray(off, off + len)) };
    let i = this.pieces.length;
    while (i > 0 && this.pieces[i - 1].off > at) i--;
    this.pieces.splice(i, 0, piece);
    this.held += len;
  }

  /** Delivers held pieces that the stream has reached. */
  private drain(): void {
    let i = 0;
    while (i < this.pieces.length) {
      const p = this.pieces[i];
      if (p.off > this.next) break; // sorted: nothing further is contiguous yet
      this.pieces.splice(i, 1);
      this.held -= p.data.length;
      const end = p.off + p.data.length;
      if (end <= this.next) continue;
      const skip = this.next - p.off;
      this.next = end;
      this.deliver(p.data, skip, p.data.length - skip);
    }
  }
}
