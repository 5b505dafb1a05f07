// Application-layer inspection of one flow: identifies the protocol from the first
// bytes of each direction (payload, not port), then hands the stream to that
// protocol's parser for as long as it still has something to learn. Side A is the
// flow's first sender; `fromA` says which side sent the bytes.

import { identify, NEED_MORE, type ProtocolSignature } from '../protocols/identify.js';
import { TlsSession } from '../protocols/tls/session.js';

/** Bytes of each direction kept for identification. */
export const IDENTIFY_BYTES = 1024;
/** UDP datagrams of each direction looked at before giving up. */
const UDP_DATAGRAMS = 4;

export class AppInspector {
  readonly transport: 'tcp' | 'udp';
  private a: Buffer | null = null; // first bytes sent by side A
  private b: Buffer | null = null;
  private aLen = 0;
  private bLen = 0;
  private aGap = false;
  private bGap = false;
  /** Identified protocol, or null while unknown. */
  protocol: ProtocolSignature | null = null;
  /** Side A is the protocol's client (false when the capture began with the server's bytes). */
  aIsClient = true;
  /** Nothing more can be identified (no signature can match). */
  unidentifiable = false;
  tls: TlsSession | null = null;
  /** Nothing more to learn from this flow. */
  done = false;

  private aDatagrams = 0;
  private bDatagrams = 0;

  /**
   * @param origin which side originated the flow as far as known: 0 side A, 1 side B
   *   (a capture that starts with the SYN-ACK), -1 unknown (no SYN seen)
   */
  constructor(transport: 'tcp' | 'udp', public origin: number) {
    this.transport = transport;
  }

  /** In-order stream bytes (TCP) or one datagram's payload (UDP). */
  data(fromA: boolean, buf: Buffer, off: number, len: number): void {
    if (this.done || len <= 0) return;
    if (this.protocol !== null) {
      this.feedParser(fromA, buf, off, len);
      return;
    }
    // UDP: identification looks at the first few datagrams of each direction, end to end
    if (this.transport === 'udp') {
      if (fromA) this.aDatagrams++;
      else this.bDatagrams++;
    }
    const kept = this.keep(fromA, buf, off, len);
    this.tryIdentify(false);
    if (kept < len && this.transport === 'tcp') {
      // the rest of this chunk goes to the parser just chosen, or is lost to a later one
      if (this.protocol !== null) this.feedParser(fromA, buf, off + kept, len - kept);
      else if (fromA) this.aGap = true;
      else this.bGap = true;
    }
  }

  /** Bytes were lost in one direction. */
  gap(fromA: boolean): void {
    if (fromA) this.aGap = true;
    else this.bGap = true;
    if (this.tls !== null) this.tls.gap(fromA);
    else if (this.protocol === null && !this.unidentifiable) this.tryIdentify(false);
  }

  /** The flow ends: identify with what we have. */
  end(): void {
    if (this.protocol === null && !this.unidentifiable) this.tryIdentify(true);
    this.tls?.end();
    this.release();
  }

  /** Copies what identification keeps of a chunk; returns how many bytes that was. */
  private keep(fromA: boolean, buf: Buffer, off: number, len: number): number {
    const have = fromA ? this.aLen : this.bLen;
    const room = IDENTIFY_BYTES - have;
    if (room <= 0) return 0;
    let dst = fromA ? this.a : this.b;
    if (dst === null) {
      dst = Buffer.allocUnsafe(IDENTIFY_BYTES);
      if (fromA) this.a = dst;
      else this.b = dst;
    }
    const n = len < room ? len : room;
    buf.copy(dst, have, off, off + n);
    if (fromA) this.aLen += n;
    else this.bLen += n;
    return n;
  }

  private tryIdentify(ending: boolean): void {
    const a = this.a === null ? EMPTY : this.a.subarray(0, this.aLen);
    const b = this.b === null ? EMPTY : this.b.subarray(0, this.bLen);
    // a side is "done" when it can give no more bytes for identification
    const udp = this.transport === 'udp';
    const aDone = ending || this.aGap || this.aLen >= IDENTIFY_BYTES || (udp && this.aDatagrams >= UDP_DATAGRAMS);
    const bDone = ending || this.bGap || this.bLen >= IDENTIFY_BYTES || (udp && this.bDatagrams >= UDP_DATAGRAMS);
    // signatures take the client's bytes first
    const aIsOrigin = this.origin !== 1;
    let r = aIsOrigin ? identify(this.transport, a, b, aDone, bDone) : identify(this.transport, b, a, bDone, aDone);
    let aIsClient = aIsOrigin;
    if (r === null && this.origin < 0) {
      // no SYN: the capture may have started with the responder's bytes
      const swapped = identify(this.transport, b, a, bDone, aDone);
      if (swapped !== null && swapped !== NEED_MORE) {
        r = swapped;
        aIsClient = false;
      }
    }
    if (r === NEED_MORE) {
      if (aDone && bDone) this.giveUp();
      return;
    }
    if (r === null) {
      this.giveUp();
      return;
    }
    this.protocol = r;
    this.aIsClient = aIsClient;
    if (r.name === 'tls') {
      this.tls = new TlsSession();
      if (this.aLen > 0 && this.a !== null) this.tls.feed(true, this.a, 0, this.aLen);
      if (this.aGap) this.tls.gap(true);
      if (this.bLen > 0 && this.b !== null) this.tls.feed(false, this.b, 0, this.bLen);
      if (this.bGap) this.tls.gap(false);
      if (this.tls.done) this.finish();
      // bytes cut off by the identification buffer reach the parser as a gap
    } else {
      // cleartext and other encrypted protocols: identification is all we need for now
      this.finish();
    }
    this.a = this.b = null;
  }

  private feedParser(fromA: boolean, buf: Buffer, off: number, len: number): void {
    if (this.tls !== null) {
      this.tls.feed(fromA, buf, off, len);
      if (this.tls.done) this.finish();
    }
  }

  private giveUp(): void {
    this.unidentifiable = true;
    this.finish();
  }

  private finish(): void {
    this.done = true;
    this.release();
  }

  private release(): void {
    this.a = this.b = null;
  }
}

const EMPTY = Buffer.alloc(0);
