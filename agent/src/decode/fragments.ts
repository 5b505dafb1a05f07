// IPv4 and IPv6 fragment reassembly (RFC 791, RFC 8200 section 4.5, RFC 815 hole filling).
//
// Bounded: at most `maxBuffers` datagrams in flight (the oldest is evicted beyond that),
// each at most 64 KiB, dropped `timeoutSec` of capture time after its first fragment
// (the Linux ipfrag_time model). Datagrams are keyed by addresses, identification (and
// protocol for IPv4, per RFC 791), plus the tunnel hash and outermost VLAN, so equal
// inner headers in different tunnels never mix.
//
// Overlaps: first wins. Bytes already received are kept and the overlapping part of a
// later fragment is discarded, like the BSD policy most stacks use (and what Zeek does
// by default); a later fragment only fills holes. Exact repeats are counted (and dropped)
// as `fragment-duplicate`, conflicting ends of datagram as `fragment-inconsistent`.
// Fragments cut by the snaplen are kept for what was captured: the reassembled datagram
// then exposes its captured prefix only.
//
// Counting: every fragment is counted once by its fate (buffered, dropped by reason, or
// decoded with the datagram it completes), so that decoded and undecoded packets add up
// to the packets read. `fragment-overlap` (a fragment overlapped bytes already held),
// `fragment-timeout` and `fragment-evicted` (a datagram given up) count events on top.
//
// This path allocates (strings for keys, Buffers per datagram): fragments are rare.

import type { Packet } from './packet.js';
import {
  IPV4_PROTO_LAYER,
  IPV6_PROTO_LAYER,
  R_FRAG4_BUFFERED,
  R_FRAG6_BUFFERED,
  R_FRAG_DUPLICATE,
  R_FRAG_INCONSISTENT,
  R_FRAG_TOO_LARGE,
  R_IPV6_BAD_EXT,
  R_IPV6_TRUNC,
  u16,
  u32,
} from './layers.js';

const MAX_DATAGRAM = 65535;
const COMPLETE = -1;

class Datagram {
  /** IPv4 header, or IPv6 header and unfragmentable extension headers, of the offset-0 fragment. */
  header: Buffer | null = null;
  nextHeader = -1; // IPv6: the fragment header's next header, from the offset-0 fragment
  data: Buffer = Buffer.alloc(2048);
  totalLen = -1; // payload length, known once the last fragment (MF = 0) arrived
  readonly covered: number[] = []; // sorted, merged [start, end) pairs of payload received
  readonly captured: number[] = []; // the same for bytes actually captured
  readonly pieces: number[] = []; // [start, end) of each fragment accepted, to tell repeats
  constructor(readonly firstTs: number) {}
}

/** Adds [a, b) to a sorted list of disjoint [start, end) pairs, merging neighbours. */
function addRange(list: number[], a: number, b: number): void {
  if (b <= a) return;
  let i = 0;
  while (i < list.length && list[i + 1] < a) i += 2;
  let j = i;
  while (j < list.length && list[j] <= b) {
    if (list[j] < a) a = list[j];
    if (list[j + 1] > b) b = list[j + 1];
    j += 2;
  }
  list.splice(i, j - i, a, b);
}

export class FragmentReassembler {
  private readonly pending = new Map<string, Datagram>();
  // result of the last completed datagram (set when add() returns COMPLETE)
  private out: Buffer | null = null;
  private outHeaderLen = 0;
  private outCaptured = 0;
  private outNextHeader = 0;

  constructor(
    private readonly maxBuffers: number,
    private readonly timeoutSec: number,
    private readonly counts: Record<string, number>,
  ) {}

  /** Datagrams awaiting fragments. */
  get size(): number {
    return this.pending.size;
  }

  /** Analyzer for an IPv4 fragment; the cursor spans its payload. */
  ipv4(pkt: Packet, buf: Buffer, off: number, end: number): number {
    const ip = pkt.ipOff;
    const hlen = off - ip;
    const fo = u16(buf, ip + 6);
    const more = (fo & 0x2000) !== 0;
    const start = (fo & 0x1fff) << 3;
    const key = `4 ${pkt.src[3]} ${pkt.dst[3]} ${u16(buf, ip + 4)} ${pkt.ipProto} ${pkt.tunnelHash} ${pkt.vlanId}`;
    const r = this.add(pkt, key, buf, start, ip + pkt.ipLen - off, off, end - off, more, ip, hlen, -1, MAX_DATAGRAM - hlen);
    if (r !== COMPLETE) return r === 0 ? R_FRAG4_BUFFERED : r;
    const out = this.out as Buffer;
    const total = out.length;
    out[2] = total >> 8;
    out[3] = total & 0xff;
    out[6] &= 0x40; // keep DF, clear MF and the offset
    out[7] = 0;
    pkt.buf = out;
    pkt.ipOff = 0;
    pkt.ipLen = total;
    pkt.cursorOff = this.outHeaderLen;
    pkt.cursorEnd = this.outHeaderLen + this.outCaptured;
    this.out = null;
    return IPV4_PROTO_LAYER[pkt.ipProto];
  }

  /** Analyzer for an IPv6 fragment header at off: next header (1), reserved (1), offset (13) | res (2) | M (1), id (4). */
  ipv6(pkt: Packet, buf: Buffer, off: number, end: number): number {
    const declaredEnd = pkt.ipOff + pkt.ipLen;
    if (declaredEnd - off < 8) return R_IPV6_BAD_EXT;
    if (end - off < 8) return R_IPV6_TRUNC;
    const nh = buf[off];
    const fo = u16(buf, off + 2);
    const start = fo & 0xfff8;
    const more = (fo & 1) !== 0;
    const p = off + 8;
    if (start === 0 && !more) {
      // atomic fragment (RFC 6946): a whole datagram, never mixed with others
      pkt.ipProto = nh;
      pkt.cursorOff = p;
      return IPV6_PROTO_LAYER[nh];
    }
    const s = pkt.src;
    const d = pkt.dst;
    const key = `6 ${s[0]} ${s[1]} ${s[2]} ${s[3]} ${d[0]} ${d[1]} ${d[2]} ${d[3]} ${u32(buf, off + 4)} ${pkt.tunnelHash} ${pkt.vlanId}`;
    const unfragLen = off - pkt.ipOff;
    // the payload length field (16 bits) counts the unfragmentable headers after the first 40 bytes
    const limit = MAX_DATAGRAM - (unfragLen - 40);
    const r = this.add(pkt, key, buf, start, declaredEnd - p, p, end - p, more, pkt.ipOff, unfragLen, nh, limit);
    if (r !== COMPLETE) return r === 0 ? R_FRAG6_BUFFERED : r;
    const out = this.out as Buffer;
    const plen = out.length - 40;
    out[4] = plen >> 8;
    out[5] = plen & 0xff;
    // the header that named the fragment header now names what the fragment header did
    let nhOff = 6;
    for (let o = 40; o + 2 <= unfragLen; o += (out[o + 1] + 1) << 3) nhOff = o;
    out[nhOff] = this.outNextHeader;
    pkt.buf = out;
    pkt.ipOff = 0;
    pkt.ipLen = out.length;
    pkt.ipProto = this.outNextHeader;
    pkt.cursorOff = unfragLen;
    pkt.cursorEnd = unfragLen + this.outCaptured;
    this.out = null;
    return IPV6_PROTO_LAYER[this.outNextHeader];
  }

  /**
   * Files one fragment: payload bytes [start, start + wireLen) of the datagram, of which
   * capLen are in buf at dataOff; the header to keep is buf[hdrOff, hdrOff + hdrLen).
   * Returns 0 (buffered), a reason code, or COMPLETE with this.out set.
   */
  private add(
    pkt: Packet,
    key: string,
    buf: Buffer,
    start: number,
    wireLen: number,
    dataOff: number,
    capLen: number,
    more: boolean,
    hdrOff: number,
    hdrLen: number,
    nextHeader: number,
    limit: number,
  ): number {
    const now = pkt.tsSec + pkt.tsNsec / 1e9;
    this.expire(now);
    const end = start + wireLen;
    if (end > limit) {
      this.pending.delete(key); // RFC 8200: discard the whole datagram
      return R_FRAG_TOO_LARGE;
    }
    let dg = this.pending.get(key);
    if (dg === undefined) {
      if (this.pending.size >= this.maxBuffers) this.evictOldest();
      dg = new Datagram(now);
      this.pending.set(key, dg);
    }
    const covered = dg.covered;
    // the last fragment fixes the length; nothing may lie beyond it
    if (!more) {
      const lastCovered = covered.length ? covered[covered.length - 1] : 0;
      if ((dg.totalLen >= 0 && dg.totalLen !== end) || lastCovered > end) return R_FRAG_INCONSISTENT;
      dg.totalLen = end;
    } else if ((dg.totalLen >= 0 && end > dg.totalLen) || wireLen <= 0) {
      return R_FRAG_INCONSISTENT;
    }
    const pieces = dg.pieces;
    for (let i = 0; i < pieces.length; i += 2) {
      if (pieces[i] === start && pieces[i + 1] === end) return R_FRAG_DUPLICATE;
    }
    pieces.push(start, end);

    if (dg.data.length < end) {
      let cap = dg.data.length;
      while (cap < end) cap *= 2;
      const grown = Buffer.alloc(cap > MAX_DATAGRAM ? MAX_DATAGRAM : cap);
      dg.data.copy(grown);
      dg.data = grown;
    }
    // copy only into the holes (first wins), and only what was captured
    const capEnd = start + (capLen < wireLen ? (capLen > 0 ? capLen : 0) : wireLen);
    let overlap = false;
    let pos = start; // first byte of [start, end) not examined yet
    for (let i = 0; i < covered.length && pos < end; i += 2) {
      const cs = covered[i];
      const ce = covered[i + 1];
      if (ce <= pos) continue;
      if (cs >= end) break;
      if (cs > pos) this.fill(dg, buf, dataOff - start, pos, cs, capEnd);
      overlap = true;
      pos = ce;
    }
    if (pos < end) this.fill(dg, buf, dataOff - start, pos, end, capEnd);
    addRange(covered, start, end);
    if (start === 0 && dg.header === null) {
      dg.header = Buffer.from(buf.subarray(hdrOff, hdrOff + hdrLen));
      dg.nextHeader = nextHeader;
    }
    // an overlap is an event on top of the fragment's fate (buffered, or decoded below)
    if (overlap) this.count('fragment-overlap');
    if (dg.totalLen < 0 || covered.length !== 2 || covered[0] !== 0 || covered[1] !== dg.totalLen || dg.header === null) return 0;
    // complete: header + payload; captured is the payload prefix without a capture hole
    this.pending.delete(key);
    const header = dg.header;
    const out = Buffer.alloc(header.length + dg.totalLen);
    header.copy(out, 0);
    dg.data.copy(out, header.length, 0, dg.totalLen);
    const cap = dg.captured;
    this.out = out;
    this.outHeaderLen = header.length;
    this.outCaptured = cap.length && cap[0] === 0 ? Math.min(cap[1], dg.totalLen) : 0;
    this.outNextHeader = dg.nextHeader;
    return COMPLETE;
  }

  /** Copies payload bytes [a, b) (those below capEnd were captured) into a hole of dg. */
  private fill(dg: Datagram, buf: Buffer, delta: number, a: number, b: number, capEnd: number): void {
    const copyEnd = b < capEnd ? b : capEnd;
    if (copyEnd <= a) return;
    buf.copy(dg.data, a, delta + a, delta + copyEnd);
    addRange(dg.captured, a, copyEnd);
  }

  /** Drops datagrams whose first fragment is older than the timeout (oldest first: Map order is arrival order). */
  private expire(now: number): void {
    for (const [key, dg] of this.pending) {
      if (now - dg.firstTs <= this.timeoutSec) break;
      this.pending.delete(key);
      this.count('fragment-timeout');
    }
  }

  private evictOldest(): void {
    const first = this.pending.keys().next();
    if (!first.done) {
      this.pending.delete(first.value);
      this.count('fragment-evicted');
    }
  }

  private count(reason: string): void {
    this.counts[reason] = (this.counts[reason] ?? 0) + 1;
  }
}
