// DTLS handshake message reassembly for one direction (RFC 6347 §4.2.2-4.2.4, RFC 9147 §5.5).
// A message may arrive in fragments (any offset, any order, overlapping, in several
// datagrams); a lost flight is retransmitted whole with the same message_seq values. So:
//  * fragments are placed by offset into the message's buffer and the covered ranges merged;
//    the message is complete when they cover [0, length);
//  * complete messages are delivered in message_seq order (parsing one may need the ones
//    before it: a ServerKeyExchange needs the ServerHello's cipher suite);
//  * a message_seq already delivered with the same type and length is a retransmission and
//    ignored; a hello reusing a delivered number with another type or length is a new
//    message (a second ClientHello that now carries a cookie, a ServerHello after a
//    HelloVerifyRequest, from peers that do not count on), and a message_seq that was moved
//    past without being seen is delivered late when it shows up;
//  * the first expected message_seq is not known in advance (a server answering a second
//    ClientHello starts at 1, RFC 6347 §4.2.2): the first complete hello sets it;
//  * when a message never completes (loss the capture did not see retransmitted), the
//    direction moves past it when the caller flushes (its ChangeCipherSpec, the peer's
//    answer, the end) or when the slots run out.
// Everything is bounded: a few messages in flight, a byte budget per direction, a short
// history of delivered message numbers.

import type { DtlsFragmentHeader } from './record.js';

/** A complete message: body in buf[off, off+len); buf is null when it was too large to buffer. */
export type MessageDelivery = (type: number, seq: number, buf: Buffer | null, off: number, len: number) => void;

const MAX_SLOTS = 8; // messages being reassembled at once (a DTLS 1.2 server flight has up to ~7)
const MAX_RANGES = 32; // disjoint covered ranges per message
const MAX_AHEAD = 32; // message_seq further ahead than this is not a message of this handshake
const HISTORY = 32; // delivered / skipped message numbers remembered (a power of two)

const NOT_SEEN = -1;
const SKIPPED = -2;

const HS_CLIENT_HELLO = 1;
const HS_SERVER_HELLO = 2;
const HS_HELLO_VERIFY_REQUEST = 3;

function isHello(type: number): boolean {
  return type === HS_CLIENT_HELLO || type === HS_SERVER_HELLO || type === HS_HELLO_VERIFY_REQUEST;
}

/** What identifies a message beyond its number: type and length. */
function messageKey(type: number, length: number): number {
  return type * 0x1000000 + length;
}

class Slot {
  /** covered [start, end) pairs, sorted and merged */
  readonly ranges: number[] = [];
  complete = false;
  constructor(
    readonly seq: number,
    readonly type: number,
    readonly length: number,
    readonly buf: Buffer | null,
    /** below nextSeq when opened: delivered on completion, out of order */
    readonly late: boolean,
  ) {}
}

export class DtlsReassembler {
  /** next message_seq to deliver; -1 until the first complete hello tells */
  nextSeq = -1;
  /** starts of already delivered messages seen again (a retransmitted flight) */
  retransmissions = 0;
  /** message numbers moved past without their message (lost before the capture point) */
  skipped = 0;
  /** a message exceeded the buffering bounds and was delivered without its body */
  oversized = false;
  private slots: Slot[] = [];
  private buffered = 0;
  // ring of the last message numbers passed: the keys (type, length) of the last two messages
  // delivered under that number (a reused number: both hellos stay recognisable), or SKIPPED
  private readonly histSeq = new Int32Array(HISTORY).fill(-1);
  private readonly histKey = new Float64Array(HISTORY);
  private readonly histKey2 = new Float64Array(HISTORY);

  constructor(
    private readonly deliver: MessageDelivery,
    private readonly maxMessage: number,
    private readonly maxBuffered: number,
  ) {}

  /** Messages still incomplete. */
  get pending(): number {
    let n = 0;
    for (const s of this.slots) if (!s.complete) n++;
    return n;
  }

  /** Complete messages are waiting (behind a missing one, or for the first hello). */
  get deliverable(): boolean {
    for (const s of this.slots) if (s.complete) return true;
    return false;
  }

  /**
   * One fragment whose header readFragment() decoded without error (its data lies in
   * buf[f.dataOffset, f.dataOffset + f.fragmentLength)). Returns '' or a stable reason why it
   * was dropped.
   */
  fragment(f: DtlsFragmentHeader, buf: Buffer): string {
    const seq = f.messageSeq;
    let slot = this.find(seq, f.msgType, f.length);
    if (slot === null) {
      if (this.nextSeq >= 0 && seq < this.nextSeq) {
        if (seq < this.nextSeq - HISTORY) return '';
        const seen = this.history(seq);
        if (this.delivered(seq, messageKey(f.msgType, f.length)) || (seen !== SKIPPED && !isHello(f.msgType))) {
          if (f.fragmentOffset === 0) this.retransmissions++;
          return '';
        }
        if (this.slots.length >= MAX_SLOTS) return 'dtls-reassembly-slots-full';
        slot = this.open(seq, f, true);
      } else {
        if (this.nextSeq >= 0 && seq > this.nextSeq + MAX_AHEAD) return 'dtls-message-seq-out-of-window';
        if (this.slots.length >= MAX_SLOTS) {
          // a message before these never completed: move on with what is complete
          this.skipAhead();
          if (this.slots.length >= MAX_SLOTS) return 'dtls-reassembly-slots-full';
        }
        slot = this.open(seq, f, false);
      }
    } else if (slot.type !== f.msgType || slot.length !== f.length) return 'dtls-fragment-inconsistent';
    if (slot.complete) {
      if (f.fragmentOffset === 0) this.retransmissions++;
      return '';
    }
    const start = f.fragmentOffset;
    const end = start + f.fragmentLength;
    if (end > start) {
      if (!addRange(slot.ranges, start, end)) return 'dtls-fragment-ranges-exceeded';
      if (slot.buf !== null) buf.copy(slot.buf, start, f.dataOffset, f.dataOffset + f.fragmentLength);
    }
    if (slot.length === 0 || (slot.ranges.length === 2 && slot.ranges[0] === 0 && slot.ranges[1] === slot.length)) {
      slot.complete = true;
      this.completed(slot);
    }
    return '';
  }

  /** Deliver what is complete, in order, moving past any message still missing before it. */
  flush(): void {
    for (;;) {
      const s = this.lowestComplete();
      if (s === null) return;
      if (this.behind(s)) {
        this.emit(s);
        continue;
      }
      this.jumpTo(s.seq);
      this.drain();
    }
  }

  /** The flow ended: deliver what is complete; incomplete messages stay counted in `pending`. */
  end(): void {
    this.flush();
  }

  // ---------------------------------------------------------------- internals

  private find(seq: number, type: number, length: number): Slot | null {
    for (const s of this.slots) {
      if (s.seq !== seq) continue;
      // a hello reusing the number of one still being reassembled lives beside it
      if (s.late && (s.type !== type || s.length !== length)) continue;
      return s;
    }
    return null;
  }

  private open(seq: number, f: DtlsFragmentHeader, late: boolean): Slot {
    let buf: Buffer | null = null;
    if (f.length <= this.maxMessage && this.buffered + f.length <= this.maxBuffered) {
      buf = Buffer.allocUnsafe(f.length);
      this.buffered += f.length;
    } else this.oversized = true;
    const s = new Slot(seq, f.msgType, f.length, buf, late);
    this.slots.push(s);
    return s;
  }

  /**
   * The slot's number is behind nextSeq: opened late, or passed while it was being
   * reassembled (a hello completing later set nextSeq past a message that had completed
   * first and was waiting for it). It is delivered out of order: jumpTo/drain never reach it.
   */
  private behind(slot: Slot): boolean {
    return slot.late || (this.nextSeq >= 0 && slot.seq < this.nextSeq);
  }

  private completed(slot: Slot): void {
    if (this.behind(slot)) {
      this.emit(slot);
      return;
    }
    if (this.nextSeq < 0) {
      if (!isHello(slot.type)) return; // wait for the hello that tells where the flight starts
      this.nextSeq = slot.seq;
    }
    this.drain();
  }

  /** Delivers the complete messages from nextSeq on, in order. */
  private drain(): void {
    for (;;) {
      let next: Slot | null = null;
      for (const s of this.slots) if (s.seq === this.nextSeq && !s.late) next = s;
      if (next === null || !next.complete) return;
      this.nextSeq++;
      this.emit(next);
    }
  }

  private emit(slot: Slot): void {
    this.remove(slot);
    if (this.history(slot.seq) === SKIPPED) this.skipped--;
    this.remember(slot.seq, messageKey(slot.type, slot.length));
    this.deliver(slot.type, slot.seq, slot.buf, 0, slot.length);
  }

  private remove(slot: Slot): void {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
    if (slot.buf !== null) this.buffered -= slot.length;
  }

  private lowestComplete(): Slot | null {
    let best: Slot | null = null;
    for (const s of this.slots) if (s.complete && (best === null || s.seq < best.seq)) best = s;
    return best;
  }

  /** Moves nextSeq forward to `seq`, remembering the numbers passed over as skipped. */
  private jumpTo(seq: number): void {
    if (this.nextSeq >= 0) {
      for (let s = Math.max(this.nextSeq, seq - HISTORY); s < seq; s++) this.remember(s, SKIPPED);
      if (seq > this.nextSeq) this.skipped += seq - this.nextSeq;
    }
    if (this.nextSeq < 0 || seq > this.nextSeq) this.nextSeq = seq;
  }

  /** Slots are full: deliver the lowest complete message onwards; with none complete, give up the oldest. */
  private skipAhead(): void {
    const s = this.lowestComplete();
    if (s !== null) {
      if (this.behind(s)) this.emit(s);
      else {
        this.jumpTo(s.seq);
        this.drain();
      }
      return;
    }
    let oldest = this.slots[0];
    for (const x of this.slots) if (x.seq < oldest.seq) oldest = x;
    this.remove(oldest);
    if (this.nextSeq < 0) this.skipped++;
    else if (oldest.seq >= this.nextSeq) {
      this.jumpTo(oldest.seq + 1);
      this.drain();
    } // else: a late message, already counted when it was moved past
  }

  private history(seq: number): number {
    const i = seq & (HISTORY - 1);
    return this.histSeq[i] === seq ? this.histKey[i] : NOT_SEEN;
  }

  /** A message with this number and key was delivered (one of the last two under that number). */
  private delivered(seq: number, key: number): boolean {
    const i = seq & (HISTORY - 1);
    return this.histSeq[i] === seq && (this.histKey[i] === key || this.histKey2[i] === key);
  }

  private remember(seq: number, key: number): void {
    const i = seq & (HISTORY - 1);
    this.histKey2[i] = this.histSeq[i] === seq && this.histKey[i] !== SKIPPED ? this.histKey[i] : NOT_SEEN;
    this.histSeq[i] = seq;
    this.histKey[i] = key;
  }
}

/** Adds [s, e) to the sorted, merged pair list r. False when that would exceed MAX_RANGES. */
function addRange(r: number[], s: number, e: number): boolean {
  let i = 0;
  while (i < r.length && r[i + 1] < s) i += 2;
  let j = i;
  let ns = s;
  let ne = e;
  while (j < r.length && r[j] <= e) {
    if (r[j] < ns) ns = r[j];
    if (r[j + 1] > ne) ne = r[j + 1];
    j += 2;
  }
  if (j === i && r.length >= 2 * MAX_RANGES) return false;
  r.splice(i, j - i, ns, ne);
  return true;
}
