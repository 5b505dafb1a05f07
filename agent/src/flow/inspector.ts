// Application-layer inspection of one flow: identifies the protocol from the first
// bytes of each direction (payload, not port), then hands the stream to that
// protocol's parsers for as long as they still have something to learn:
//   - TLS on its own (any port): the TLS parser;
//   - a cleartext protocol with a parser (protocols/<name>/parser.ts): that parser,
//     until it says the direction upgraded (STARTTLS, HTTP CONNECT, SOCKS), from
//     where the bytes go to the TLS parser;
//   - QUIC and DTLS: a datagram session that reassembles the handshake.
// Side A is the flow's first sender; `fromA` says which side sent the bytes.

import { identify, NEED_MORE, type ProtocolSignature } from '../protocols/identify.js';
import { TlsSession, isTlsStart } from '../protocols/tls/session.js';
import { createAppParser, type AppParser, type DatagramSession } from '../protocols/app-parser.js';
import { createDatagramSession } from '../protocols/parsers.js';

/** Bytes of each direction kept for identification. */
export const IDENTIFY_BYTES = 1024;
/**
 * UDP datagrams of each direction looked at before giving up. WebRTC peers exchange a few
 * STUN connectivity checks on the 5-tuple before the DTLS handshake starts (RFC 8445, 7983).
 */
const UDP_DATAGRAMS = 8;

// what happens to a direction's bytes after identification
const TO_PARSER = 0; // cleartext parser
const TO_TLS = 1; // TLS parser
const TO_NOTHING = 2; // nothing more to learn from this direction

export class AppInspector {
  readonly transport: 'tcp' | 'udp';
  private a: Buffer | null = null; // first bytes sent by side A
  private b: Buffer | null = null;
  private aLen = 0;
  private bLen = 0;
  private aGap = false;
  private bGap = false;
  private aDatagrams = 0;
  private bDatagrams = 0;
  // UDP: the first datagrams in arrival order, replayed to a datagram session
  private datagrams: { fromA: boolean; data: Buffer }[] | null = null;
  /** Identified protocol, or null while unknown. */
  protocol: ProtocolSignature | null = null;
  /** Side A is the protocol's client. */
  aIsClient = true;
  /** Nothing more can be identified (no signature can match). */
  unidentifiable = false;
  tls: TlsSession | null = null;
  parser: AppParser | null = null;
  datagramSession: DatagramSession | null = null;
  private modeA = TO_NOTHING;
  private modeB = TO_NOTHING;
  /** Nothing more to learn from this flow. */
  done = false;
  /** Inspection was stopped by the inspection budget (shed()), not by the protocol. */
  wasShed = false;
  private ended = false;

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
      this.route(fromA, buf, off, len);
      return;
    }
    if (this.transport === 'tcp' && this.a === null && this.b === null && !this.aGap && !this.bGap && this.identifyFirst(fromA, buf, off, len)) return;
    if (this.transport === 'udp') {
      if (fromA) this.aDatagrams++;
      else this.bDatagrams++;
      if (this.datagrams === null) this.datagrams = [];
      if (this.datagrams.length < 2 * UDP_DATAGRAMS) this.datagrams.push({ fromA, data: Buffer.from(buf.subarray(off, off + len)) });
    }
    const kept = this.keep(fromA, buf, off, len);
    this.tryIdentify(false);
    if (kept < len && this.transport === 'tcp') {
      // the rest of this chunk goes to the parser just chosen, or is lost to a later one
      if (this.protocol !== null) this.route(fromA, buf, off + kept, len - kept);
      else if (fromA) this.aGap = true;
      else this.bGap = true;
    }
  }

  /** Bytes were lost in one direction. */
  gap(fromA: boolean): void {
    if (fromA) this.aGap = true;
    else this.bGap = true;
    if (this.protocol === null) {
      if (!this.unidentifiable) this.tryIdentify(false);
      return;
    }
    const mode = fromA ? this.modeA : this.modeB;
    if (mode === TO_TLS) this.tls?.gap(fromA);
    else if (mode === TO_PARSER) this.parser?.gap(fromA === this.aIsClient);
  }

  /** The flow ends: identify with what we have, let the parsers conclude. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.protocol === null && !this.unidentifiable) this.tryIdentify(true);
    this.parser?.end();
    this.tls?.end();
    this.datagramSession?.end();
    this.release();
  }

  /**
   * The inspection budget ran out (flow/inspection-budget.ts): conclude now as if the flow
   * ended, keeping what was learnt; parsers drop their buffers, later bytes are not looked at.
   */
  shed(): void {
    if (this.ended) return;
    this.wasShed = true;
    this.end();
    this.done = true;
    // a handshake of which no hello was read has nothing to log: its parser state (two record
    // readers, two reassemblers, ~2 KiB) would stay as long as the flow does
    if (this.tls !== null && this.tls.clientHello === null && this.tls.serverHello === null) this.tls = null;
  }

  /** A TLS handshake was seen on this flow (directly, after STARTTLS, or in a tunnel). */
  get sawTls(): boolean {
    return this.tls !== null && (this.tls.clientHello !== null || this.tls.serverHello !== null);
  }

  /** Copies what identification keeps of a chunk; returns how many bytes that was. */
  private keep(fromA: boolean, buf: Buffer, off: number, len: number): number {
    const have = fromA ? this.aLen : this.bLen;
    const room = IDENTIFY_BYTES - have;
    if (room <= 0) return 0;
    let dst = fromA ? this.a : this.b;
    if (dst === null) {
      // unpooled: a pooled slice would keep its whole 8 KiB pool slab alive as long as this
      // flow waits for identification bytes (a flood of stalled flows pins slab after slab)
      dst = Buffer.allocUnsafeSlow(IDENTIFY_BYTES);
      if (fromA) this.a = dst;
      else this.b = dst;
    }
    const n = len < room ? len : room;
    buf.copy(dst, have, off, off + n);
    if (fromA) this.aLen += n;
    else this.bLen += n;
    return n;
  }

  /**
   * The first bytes of a TCP flow, with nothing kept yet: when they identify the protocol by
   * themselves (a TLS record header, an HTTP request line: nearly always), the parser gets
   * them straight from the stream, with no copy kept for identification. Otherwise (too few
   * bytes, or the other side must speak first) false: they take the general path. Decides as
   * tryIdentify would with these bytes kept.
   */
  private identifyFirst(fromA: boolean, buf: Buffer, off: number, len: number): boolean {
    const n = len < IDENTIFY_BYTES ? len : IDENTIFY_BYTES;
    const chunk = buf.subarray(off, off + n);
    const full = n >= IDENTIFY_BYTES;
    const aIsOrigin = this.origin !== 1;
    // signatures take the client's bytes first
    const r = aIsOrigin === fromA ? identify('tcp', chunk, EMPTY, full, false) : identify('tcp', EMPTY, chunk, false, full);
    if (r === null || r === NEED_MORE) return false;
    this.protocol = r;
    this.aIsClient = aIsOrigin;
    this.start(r.name);
    if (!this.done) this.route(fromA, buf, off, len);
    return true;
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
    this.start(r.name);
    if (this.done) return;
    if (udp) {
      const list = this.datagrams ?? [];
      this.datagrams = null;
      this.release();
      for (const d of list) {
        if (this.done) break;
        this.route(d.fromA, d.data, 0, d.data.length);
      }
      return;
    }
    // replay what identification held, side A first (directions are parsed independently)
    const aHeld = this.a;
    const bHeld = this.b;
    const aLen = this.aLen;
    const bLen = this.bLen;
    const aGap = this.aGap;
    const bGap = this.bGap;
    this.release();
    if (aHeld !== null && aLen > 0) this.route(true, aHeld, 0, aLen);
    if (aGap && !this.done) this.gap(true);
    if (bHeld !== null && bLen > 0 && !this.done) this.route(false, bHeld, 0, bLen);
    if (bGap && !this.done) this.gap(false);
  }

  /** Sets up the parsers for the identified protocol. */
  private start(name: string): void {
    if (this.transport === 'udp') {
      this.datagramSession = createDatagramSession(name);
      if (this.datagramSession === null) this.finish();
      return;
    }
    if (name === 'tls') {
      this.tls = new TlsSession();
      this.modeA = this.modeB = TO_TLS;
      return;
    }
    this.parser = createAppParser(name);
    if (this.parser === null) {
      // identification is all we learn from this protocol
      this.finish();
      return;
    }
    this.modeA = this.modeB = TO_PARSER;
  }

  private route(fromA: boolean, buf: Buffer, off: number, len: number): void {
    if (this.datagramSession !== null) {
      this.datagramSession.datagram(fromA, buf, off, len);
      if (this.datagramSession.done) this.finish();
      return;
    }
    const mode = fromA ? this.modeA : this.modeB;
    if (mode === TO_PARSER) {
      const parser = this.parser!;
      const used = parser.feed(fromA === this.aIsClient, buf, off, len);
      if (used < len) {
        this.upgrade(fromA, buf, off + used, len - used);
        return;
      }
      if (parser.done) this.parserDone();
      return;
    }
    if (mode === TO_TLS) {
      this.tls!.feed(fromA, buf, off, len);
      this.checkDone();
    }
  }

  /** A direction left its cleartext protocol: what follows is TLS, or not for us. */
  private upgrade(fromA: boolean, buf: Buffer, off: number, len: number): void {
    // STARTTLS says TLS follows; a tunnel (CONNECT, SOCKS) may carry anything: TLS is
    // recognised by its first record, anything else is not inspected further
    const toTls = this.tls !== null || this.parser!.facts.upgrade === 'tls' || (len > 0 && isTlsStart(buf, off, len));
    if (toTls && this.tls === null) this.tls = new TlsSession();
    if (fromA) this.modeA = toTls ? TO_TLS : TO_NOTHING;
    else this.modeB = toTls ? TO_TLS : TO_NOTHING;
    if (toTls && len > 0) this.tls!.feed(fromA, buf, off, len);
    this.checkDone();
  }

  private parserDone(): void {
    // a direction still in the cleartext protocol has nothing more to tell
    if (this.modeA === TO_PARSER) this.modeA = TO_NOTHING;
    if (this.modeB === TO_PARSER) this.modeB = TO_NOTHING;
    this.checkDone();
  }

  private checkDone(): void {
    const parserBusy = (this.modeA === TO_PARSER || this.modeB === TO_PARSER) && this.parser !== null && !this.parser.done;
    const tlsBusy = this.tls !== null && !this.tls.done && (this.modeA === TO_TLS || this.modeB === TO_TLS);
    if (!parserBusy && !tlsBusy) this.finish();
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
    this.datagrams = null;
  }
}

const EMPTY = Buffer.alloc(0);
