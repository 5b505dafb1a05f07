// Bidirectional flow table as columns: every flow field is an element of a typed array at the
// flow's slot (flow.ts), so a million flows are a few arrays, not a million objects for the
// garbage collector. A symmetric 32-bit hash of the 5-tuple plus the tunnel context finds a
// flow through an open-addressing index (linear probing, one entry per hash value, flows of
// equal hash chained); the full tuple is compared. Flows sit on LRU lists (one per timeout
// class) so that idle expiry and eviction at the hard cap walk only the oldest flows.
// Columns are allocated for `maxFlows` slots at once; their pages become resident as slots
// are first used, and freed slots are used again first.

import { FlowApp, LRU_ACTIVE, LRU_CLASSES, LRU_CLOSED, LRU_UDP, type FlowSlot, type TunnelList } from './flow.js';
import type { Packet } from '../decode/packet.js';
import { DEFAULT_MAX_INSPECTED } from './inspection-budget.js';

export interface FlowTableOptions {
  maxFlows: number; // hard cap; the least recently active flow is evicted beyond it
  tcpTimeout: number; // seconds of capture time without packets before an open TCP flow ends
  udpTimeout: number;
  closedTimeout: number; // linger after FIN/RST, for the last ACKs and retransmissions
  maxInspected: number; // flows under application-layer inspection at once (inspection-budget.ts)
}

export const DEFAULT_FLOW_OPTIONS: FlowTableOptions = { maxFlows: 100_000, tcpTimeout: 300, udpTimeout: 60, closedTimeout: 5, maxInspected: DEFAULT_MAX_INSPECTED };

export type EndReason = 'idle' | 'evicted' | 'closed' | 'end';

function mixEndpoint(w0: number, w1: number, w2: number, w3: number, port: number): number {
  let h = Math.imul(w3 ^ 0x5bd1e995, 0x01000193);
  h = Math.imul(h ^ w2, 0x01000193);
  h = Math.imul(h ^ w1, 0x01000193);
  h = Math.imul(h ^ w0, 0x01000193);
  h = Math.imul(h ^ port, 0x85ebca6b);
  return h ^ (h >>> 13);
}

/** Symmetric flow hash: the same for both directions of a flow. */
export function flowHash(pkt: Packet): number {
  const s = pkt.src;
  const d = pkt.dst;
  const hs = mixEndpoint(s[0], s[1], s[2], s[3], pkt.srcPort);
  const hd = mixEndpoint(d[0], d[1], d[2], d[3], pkt.dstPort);
  let h = (hs + hd) | 0; // commutative
  h = Math.imul(h ^ pkt.ipProto ^ (pkt.tunnelHash << 8), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export class FlowTable {
  readonly options: FlowTableOptions;
  readonly capacity: number;
  // -- identity
  readonly id: Float64Array; // creation number (1, 2, ...): output order, and who holds a reused slot
  readonly hash: Int32Array; // flowHash() as int32
  // addresses as 4 words (IPv4 in word 3, the others 0): word 3 of each side here, words 0-2
  // of IPv6 flows in `hi` (6 per slot, side A's then side B's), made for the first IPv6 flow
  readonly a3: Int32Array;
  readonly b3: Int32Array;
  private hi: Int32Array | null = null;
  readonly aPort: Uint16Array;
  readonly bPort: Uint16Array;
  readonly ipVersion: Uint8Array;
  readonly proto: Uint8Array;
  readonly tunnelHash: Int32Array;
  readonly vlanId: Int16Array; // -1: untagged
  // -- times and counters
  readonly firstSec: Float64Array;
  readonly firstNsec: Uint32Array;
  readonly lastSec: Float64Array;
  readonly lastNsec: Uint32Array;
  readonly firstFrame: Float64Array;
  readonly lastFrame: Float64Array; // number of the flow's last record (its place in the LRU list)
  readonly pktsA: Float64Array;
  readonly pktsB: Float64Array;
  readonly bytesA: Float64Array; // IP-layer bytes
  readonly bytesB: Float64Array;
  // -- TCP state
  readonly synFrom: Int8Array; // 0: A sent the SYN, 1: B did, -1: no SYN seen
  readonly flags: Uint8Array; // F_* (flow.ts)
  // sequence number of a direction's data-less SYN, kept until that direction sends data: a
  // SYN flood then costs no stream (valid with F_SYN_SEQ_A / F_SYN_SEQ_B)
  readonly synSeqA: Int32Array;
  readonly synSeqB: Int32Array;
  // -- application layer
  readonly app: (FlowApp | null)[] = [];
  // -- expiry: intrusive doubly-linked LRU lists, one per timeout class
  readonly lruClass: Uint8Array;
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private readonly heads = new Int32Array(LRU_CLASSES).fill(-1);
  private readonly tails = new Int32Array(LRU_CLASSES).fill(-1);
  // -- index: slot + 1 of the first flow of each hash value (0: empty); flows of equal hash chained
  private readonly index: Int32Array;
  private readonly mask: number;
  private readonly chain: Int32Array;
  // -- slots: freed ones are used again first (a list linked through `chain`), then the never
  // used ones in order
  private freeHead = -1;
  private used = 0;

  size = 0;
  created = 0;
  evicted = 0;
  peak = 0;
  /** Direction of the packet last looked up: 0 from side A, 1 from side B. */
  dir = 0;

  constructor(options: Partial<FlowTableOptions> = {}, private readonly onEnd: (slot: FlowSlot, reason: EndReason) => void) {
    this.options = { ...DEFAULT_FLOW_OPTIONS, ...options };
    const n = Math.max(1, Math.floor(this.options.maxFlows));
    this.capacity = n;
    this.id = new Float64Array(n);
    this.hash = new Int32Array(n);
    this.a3 = new Int32Array(n);
    this.b3 = new Int32Array(n);
    this.aPort = new Uint16Array(n);
    this.bPort = new Uint16Array(n);
    this.ipVersion = new Uint8Array(n);
    this.proto = new Uint8Array(n);
    this.tunnelHash = new Int32Array(n);
    this.vlanId = new Int16Array(n);
    this.firstSec = new Float64Array(n);
    this.firstNsec = new Uint32Array(n);
    this.lastSec = new Float64Array(n);
    this.lastNsec = new Uint32Array(n);
    this.firstFrame = new Float64Array(n);
    this.lastFrame = new Float64Array(n);
    this.pktsA = new Float64Array(n);
    this.pktsB = new Float64Array(n);
    this.bytesA = new Float64Array(n);
    this.bytesB = new Float64Array(n);
    this.synFrom = new Int8Array(n);
    this.flags = new Uint8Array(n);
    this.synSeqA = new Int32Array(n);
    this.synSeqB = new Int32Array(n);
    this.lruClass = new Uint8Array(n);
    this.prev = new Int32Array(n);
    this.next = new Int32Array(n);
    this.chain = new Int32Array(n);
    let size = 1024;
    while (size < 2 * n) size *= 2;
    this.index = new Int32Array(size);
    this.mask = size - 1;
  }

  /** The index position of hash h's first flow, or the empty position where it would go. */
  private probe(h: number): number {
    const index = this.index;
    const hash = this.hash;
    const mask = this.mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const e = index[i];
      if (e === 0 || hash[e - 1] === h) return i;
    }
  }

  /** Finds the packet's flow (setting `dir`), or -1. */
  find(pkt: Packet, hash: number): FlowSlot {
    const h = hash | 0;
    const e = this.index[this.probe(h)];
    if (e === 0) return -1;
    const s = pkt.src;
    const d = pkt.dst;
    // addresses are kept as int32
    const s0 = s[0] | 0, s1 = s[1] | 0, s2 = s[2] | 0, s3 = s[3] | 0;
    const d0 = d[0] | 0, d1 = d[1] | 0, d2 = d[2] | 0, d3 = d[3] | 0;
    const a3 = this.a3;
    const b3 = this.b3;
    const sp = pkt.srcPort;
    const dp = pkt.dstPort;
    const th = pkt.tunnelHash | 0; // kept as int32
    const v6 = pkt.ipVersion === 6;
    for (let f = e - 1; f >= 0; f = this.chain[f]) {
      if (this.proto[f] !== pkt.ipProto || this.tunnelHash[f] !== th || this.ipVersion[f] !== pkt.ipVersion) continue;
      const ap = this.aPort[f];
      const bp = this.bPort[f];
      if (ap === sp && bp === dp && a3[f] === s3 && b3[f] === d3 && (!v6 || this.sameHi(f, s0, s1, s2, d0, d1, d2))) {
        this.dir = 0;
        return f;
      }
      if (ap === dp && bp === sp && a3[f] === d3 && b3[f] === s3 && (!v6 || this.sameHi(f, d0, d1, d2, s0, s1, s2))) {
        this.dir = 1;
        return f;
      }
    }
    return -1;
  }

  /** Creates the flow for a packet (side A = its sender); evicts the oldest flow at the cap. */
  create(pkt: Packet, hash: number): FlowSlot {
    if (this.size >= this.capacity) this.evictOldest();
    let f = this.freeHead;
    if (f >= 0) this.freeHead = this.chain[f];
    else {
      f = this.used++;
      this.app.push(null);
    }
    this.id[f] = ++this.created;
    const h = hash | 0;
    this.hash[f] = h;
    this.ipVersion[f] = pkt.ipVersion;
    this.proto[f] = pkt.ipProto;
    const s = pkt.src;
    const d = pkt.dst;
    this.a3[f] = s[3];
    this.b3[f] = d[3];
    if (pkt.ipVersion === 6) {
      this.hi ??= new Int32Array(6 * this.capacity);
      const hi = this.hi;
      const w = 6 * f;
      hi[w] = s[0];
      hi[w + 1] = s[1];
      hi[w + 2] = s[2];
      hi[w + 3] = d[0];
      hi[w + 4] = d[1];
      hi[w + 5] = d[2];
    }
    this.aPort[f] = pkt.srcPort;
    this.bPort[f] = pkt.dstPort;
    this.tunnelHash[f] = pkt.tunnelHash;
    this.app[f] = null;
    if (pkt.tunnelCount > 0) {
      const list: TunnelList = [];
      for (let i = 0; i < pkt.tunnelCount; i++) list.push({ type: pkt.tunnelType[i], id: pkt.tunnelId[i] });
      this.appOf(f).tunnels = list;
    }
    this.vlanId[f] = pkt.vlanId;
    this.firstSec[f] = this.lastSec[f] = pkt.tsSec;
    this.firstNsec[f] = this.lastNsec[f] = pkt.tsNsec;
    this.firstFrame[f] = pkt.frameNo;
    this.lastFrame[f] = 0;
    this.pktsA[f] = this.pktsB[f] = this.bytesA[f] = this.bytesB[f] = 0;
    this.synFrom[f] = -1;
    this.flags[f] = 0;
    // the index: first flow of its hash, the others of that hash behind it
    const pos = this.probe(h);
    const e = this.index[pos];
    this.chain[f] = e - 1;
    this.index[pos] = f + 1;
    this.lruClass[f] = pkt.ipProto === 6 ? LRU_ACTIVE : LRU_UDP;
    this.append(f);
    this.size++;
    if (this.size > this.peak) this.peak = this.size;
    this.dir = 0;
    return f;
  }

  /** Words 0-2 of an IPv6 flow's addresses are these (side A's, then side B's; int32). */
  private sameHi(f: FlowSlot, a0: number, a1: number, a2: number, b0: number, b1: number, b2: number): boolean {
    const hi = this.hi!;
    const w = 6 * f;
    return hi[w + 2] === a2 && hi[w + 5] === b2 && hi[w + 1] === a1 && hi[w + 4] === b1 && hi[w] === a0 && hi[w + 3] === b0;
  }

  /** The address of one side of a flow as 4 words (IPv4: in word 3). */
  address(f: FlowSlot, sideB: boolean): Uint32Array {
    const out = new Uint32Array(4);
    out[3] = sideB ? this.b3[f] : this.a3[f];
    if (this.ipVersion[f] === 6 && this.hi !== null) {
      const w = 6 * f + (sideB ? 3 : 0);
      out[0] = this.hi[w];
      out[1] = this.hi[w + 1];
      out[2] = this.hi[w + 2];
    }
    return out;
  }

  /** The flow's application-layer state, made on first use. */
  appOf(f: FlowSlot): FlowApp {
    let a = this.app[f];
    if (a === null) {
      a = new FlowApp();
      this.app[f] = a;
    }
    return a;
  }

  /** Marks activity: moves the flow to the young end of its list (or to another class). */
  touch(f: FlowSlot, lruClass: number): void {
    if (this.lruClass[f] === lruClass && this.tails[lruClass] === f) return;
    this.unlink(f);
    this.lruClass[f] = lruClass;
    this.append(f);
  }

  /** Ends flows idle longer than their class allows, as of capture time `nowSec`. */
  expire(nowSec: number): void {
    const o = this.options;
    this.expireClass(LRU_CLOSED, nowSec - o.closedTimeout);
    this.expireClass(LRU_UDP, nowSec - o.udpTimeout);
    this.expireClass(LRU_ACTIVE, nowSec - o.tcpTimeout);
  }

  private expireClass(cls: number, before: number): void {
    let f = this.heads[cls];
    while (f >= 0 && this.lastSec[f] < before) {
      const next = this.next[f];
      this.end(f, cls === LRU_CLOSED ? 'closed' : 'idle');
      f = next;
    }
  }

  /** Ends one flow now (e.g. a new connection reuses a closed one's tuple); its slot is free after. */
  end(f: FlowSlot, reason: EndReason): void {
    this.remove(f);
    this.onEnd(f, reason);
    this.release(f);
  }

  /** Ends every flow, oldest first in creation order (end of input). */
  drain(): void {
    const n = this.size;
    const id = this.id;
    // sort keys id * m + slot: a numeric sort of one Float64Array, in place (no comparator,
    // nothing per flow on the heap), exact while they stay below 2^53
    let m = 1;
    while (m <= this.capacity) m *= 2;
    if (this.created * m < 2 ** 53) {
      const keys = new Float64Array(n);
      let k = 0;
      for (let c = 0; c < LRU_CLASSES; c++) for (let f = this.heads[c]; f >= 0; f = this.next[f]) keys[k++] = id[f] * m + f;
      keys.sort();
      for (let i = 0; i < k; i++) this.end(keys[i] % m, 'end');
      return;
    }
    const all: number[] = [];
    for (let c = 0; c < LRU_CLASSES; c++) for (let f = this.heads[c]; f >= 0; f = this.next[f]) all.push(f);
    all.sort((x, y) => id[x] - id[y]);
    for (const f of all) this.end(f, 'end');
  }

  private evictOldest(): void {
    // prefer flows that are already closed, then the stalest of the others
    let victim = this.heads[LRU_CLOSED];
    if (victim < 0) {
      const a = this.heads[LRU_ACTIVE];
      const u = this.heads[LRU_UDP];
      victim = a < 0 ? u : u < 0 ? a : this.lastSec[a] <= this.lastSec[u] ? a : u;
    }
    if (victim < 0) return;
    this.evicted++;
    this.end(victim, 'evicted');
  }

  /** The slot is free for another flow (what the ended one referenced goes now). */
  private release(f: FlowSlot): void {
    this.app[f] = null;
    this.chain[f] = this.freeHead;
    this.freeHead = f;
  }

  private remove(f: FlowSlot): void {
    this.unlink(f);
    const pos = this.probe(this.hash[f]);
    const first = this.index[pos] - 1;
    if (first === f) {
      if (this.chain[f] >= 0) this.index[pos] = this.chain[f] + 1;
      else this.deleteAt(pos);
    } else {
      let p = first;
      while (p >= 0 && this.chain[p] !== f) p = this.chain[p];
      if (p >= 0) this.chain[p] = this.chain[f];
    }
    this.chain[f] = -1;
    this.size--;
  }

  /** Empties index position i, moving later entries of the probe run back (no tombstones). */
  private deleteAt(i: number): void {
    const index = this.index;
    const mask = this.mask;
    index[i] = 0;
    for (let j = (i + 1) & mask; index[j] !== 0; j = (j + 1) & mask) {
      const home = this.hash[index[j] - 1] & mask;
      // the entry at j may move to i unless its home lies cyclically in (i, j]
      const stays = i <= j ? home > i && home <= j : home > i || home <= j;
      if (stays) continue;
      index[i] = index[j];
      index[j] = 0;
      i = j;
    }
  }

  private append(f: FlowSlot): void {
    const c = this.lruClass[f];
    const tail = this.tails[c];
    this.next[f] = -1;
    this.prev[f] = tail;
    if (tail >= 0) this.next[tail] = f;
    else this.heads[c] = f;
    this.tails[c] = f;
  }

  private unlink(f: FlowSlot): void {
    const c = this.lruClass[f];
    const p = this.prev[f];
    const n = this.next[f];
    if (p >= 0) this.next[p] = n;
    else if (this.heads[c] === f) this.heads[c] = n;
    if (n >= 0) this.prev[n] = p;
    else if (this.tails[c] === f) this.tails[c] = p;
    this.prev[f] = this.next[f] = -1;
  }
}

export { LRU_ACTIVE, LRU_CLOSED, LRU_UDP };
