// Bidirectional flow table keyed by numbers, not strings: a symmetric 32-bit hash of
// the 5-tuple plus the tunnel context selects a bucket of a Map; the full tuple is
// compared to find the flow. Flows sit on LRU lists (one per timeout class) so that
// idle expiry and eviction at the hard cap walk only the oldest flows.

import { Flow, LRU_ACTIVE, LRU_CLASSES, LRU_CLOSED, LRU_UDP } from './flow.js';
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

const PRISTINE = new Flow();

export class FlowTable {
  readonly options: FlowTableOptions;
  private readonly buckets = new Map<number, Flow>();
  private readonly free: Flow[] = [];
  private readonly heads: (Flow | null)[] = new Array(LRU_CLASSES).fill(null);
  private readonly tails: (Flow | null)[] = new Array(LRU_CLASSES).fill(null);
  size = 0;
  created = 0;
  evicted = 0;
  peak = 0;
  /** Direction of the packet last looked up: 0 from side A, 1 from side B. */
  dir = 0;

  constructor(options: Partial<FlowTableOptions> = {}, private readonly onEnd: (flow: Flow, reason: 'idle' | 'evicted' | 'closed' | 'end') => void) {
    this.options = { ...DEFAULT_FLOW_OPTIONS, ...options };
  }

  /** Finds the packet's flow (setting `dir`), or null. */
  find(pkt: Packet, hash: number): Flow | null {
    const s = pkt.src;
    const d = pkt.dst;
    // addresses and hash are kept as int32 (see create)
    const s0 = s[0] | 0, s1 = s[1] | 0, s2 = s[2] | 0, s3 = s[3] | 0;
    const d0 = d[0] | 0, d1 = d[1] | 0, d2 = d[2] | 0, d3 = d[3] | 0;
    for (let f = this.buckets.get(hash | 0) ?? null; f !== null; f = f.chain) {
      if (f.proto !== pkt.ipProto || f.tunnelHash !== pkt.tunnelHash || f.ipVersion !== pkt.ipVersion) continue;
      if (f.aPort === pkt.srcPort && f.bPort === pkt.dstPort && f.a3 === s3 && f.b3 === d3 && f.a2 === s2 && f.b2 === d2 && f.a1 === s1 && f.b1 === d1 && f.a0 === s0 && f.b0 === d0) {
        this.dir = 0;
        return f;
      }
      if (f.aPort === pkt.dstPort && f.bPort === pkt.srcPort && f.a3 === d3 && f.b3 === s3 && f.a2 === d2 && f.b2 === s2 && f.a1 === d1 && f.b1 === s1 && f.a0 === d0 && f.b0 === s0) {
        this.dir = 1;
        return f;
      }
    }
    return null;
  }

  /** Creates the flow for a packet (side A = its sender); evicts the oldest flow at the cap. */
  create(pkt: Packet, hash: number): Flow {
    if (this.size >= this.options.maxFlows) this.evictOldest();
    const f = this.free.pop() ?? new Flow();
    f.id = ++this.created;
    // 32-bit values as int32: small integers live in the object, unsigned ones above 2^31
    // would each be a separate heap number (two to ten per flow, a third of its size)
    f.hash = hash | 0;
    f.ipVersion = pkt.ipVersion;
    f.proto = pkt.ipProto;
    const s = pkt.src;
    const d = pkt.dst;
    f.a0 = s[0] | 0;
    f.a1 = s[1] | 0;
    f.a2 = s[2] | 0;
    f.a3 = s[3] | 0;
    f.b0 = d[0] | 0;
    f.b1 = d[1] | 0;
    f.b2 = d[2] | 0;
    f.b3 = d[3] | 0;
    f.aPort = pkt.srcPort;
    f.bPort = pkt.dstPort;
    f.tunnelHash = pkt.tunnelHash;
    if (pkt.tunnelCount > 0) {
      f.tunnels = [];
      for (let i = 0; i < pkt.tunnelCount; i++) f.tunnels.push({ type: pkt.tunnelType[i], id: pkt.tunnelId[i] });
    }
    f.vlanId = pkt.vlanId;
    f.firstSec = f.lastSec = pkt.tsSec;
    f.firstNsec = f.lastNsec = pkt.tsNsec;
    f.firstFrame = pkt.frameNo;
    f.lruClass = pkt.ipProto === 6 ? LRU_ACTIVE : LRU_UDP;
    f.chain = this.buckets.get(f.hash) ?? null;
    this.buckets.set(f.hash, f);
    this.append(f);
    this.size++;
    if (this.size > this.peak) this.peak = this.size;
    this.dir = 0;
    return f;
  }

  /** Marks activity: moves the flow to the young end of its list (or to another class). */
  touch(f: Flow, lruClass: number): void {
    if (f.lruClass === lruClass && this.tails[lruClass] === f) return;
    this.unlink(f);
    f.lruClass = lruClass;
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
    while (f !== null && f.lastSec < before) {
      const next = f.next;
      this.remove(f);
      this.onEnd(f, cls === LRU_CLOSED ? 'closed' : 'idle');
      this.recycle(f);
      f = next;
    }
  }

  /** Ends one flow now (e.g. a new connection reuses a closed one's tuple). */
  end(f: Flow, reason: 'closed' | 'idle'): void {
    this.remove(f);
    this.onEnd(f, reason);
  }

  /** Ends every flow, oldest first in creation order (end of input). */
  drain(): void {
    const all: Flow[] = [];
    for (let c = 0; c < LRU_CLASSES; c++) for (let f = this.heads[c]; f !== null; f = f.next) all.push(f);
    all.sort((x, y) => x.id - y.id);
    for (const f of all) {
      this.remove(f);
      this.onEnd(f, 'end');
    }
  }

  private evictOldest(): void {
    // prefer flows that are already closed, then the stalest of the others
    let victim = this.heads[LRU_CLOSED];
    if (victim === null) {
      const a = this.heads[LRU_ACTIVE];
      const u = this.heads[LRU_UDP];
      victim = a === null ? u : u === null ? a : a.lastSec <= u.lastSec ? a : u;
    }
    if (victim === null) return;
    this.evicted++;
    this.remove(victim);
    this.onEnd(victim, 'evicted');
    this.recycle(victim);
  }

  private recycle(f: Flow): void {
    if (this.free.length < 4096) {
      Object.assign(f, PRISTINE);
      this.free.push(f);
    }
  }

  private remove(f: Flow): void {
    this.unlink(f);
    let p = this.buckets.get(f.hash) ?? null;
    if (p === f) {
      if (f.chain === null) this.buckets.delete(f.hash);
      else this.buckets.set(f.hash, f.chain);
    } else {
      while (p !== null && p.chain !== f) p = p.chain;
      if (p !== null) p.chain = f.chain;
    }
    f.chain = null;
    this.size--;
  }

  private append(f: Flow): void {
    const c = f.lruClass;
    f.next = null;
    f.prev = this.tails[c];
    if (f.prev !== null) f.prev.next = f;
    else this.heads[c] = f;
    this.tails[c] = f;
  }

  private unlink(f: Flow): void {
    const c = f.lruClass;
    if (f.prev !== null) f.prev.next = f.next;
    else if (this.heads[c] === f) this.heads[c] = f.next;
    if (f.next !== null) f.next.prev = f.prev;
    else if (this.tails[c] === f) this.tails[c] = f.prev;
    f.prev = f.next = null;
  }
}

export { LRU_ACTIVE, LRU_CLOSED, LRU_UDP };
