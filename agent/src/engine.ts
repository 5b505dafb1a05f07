// The packet path: capture record → layer decoders → flow table → TCP reassembly →
// application-layer inspection; sessions are written when their flow ends. A flow
// whose inspection is finished costs a lookup and a few counter updates per packet.

import { Packet } from './decode/packet.js';
import { Decoder } from './decode/decoder.js';
import { F_DECIDED, F_FIN_A, F_FIN_B, F_RST, F_SNAP_TRUNCATED, F_SYN_SEQ_A, F_SYN_SEQ_B, LRU_ACTIVE, LRU_CLOSED, LRU_UDP, type FlowSlot } from './flow/flow.js';
import { FlowTable, flowHash, type EndReason, type FlowTableOptions } from './flow/flow-table.js';
import { TcpStream } from './flow/tcp-stream.js';
import { FlowApp } from './flow/flow.js';
import { AppInspector } from './flow/inspector.js';
import { InspectionBudget } from './flow/inspection-budget.js';
import { sessionDocument } from './output/session-doc.js';
import { inspectionResult } from './flow/inspection-result.js';
import type { DocumentSink } from './output/writer.js';
import { Summary } from './output/summary.js';
import { findingDocuments } from './output/finding-doc.js';
import { Auditor } from './audit/auditor.js';

const TH_FIN = 1;
const TH_SYN = 2;
const TH_RST = 4;
const TH_ACK = 16;

// what ends a flow: the clock (idle expiry, before a record), a record (its tuple reused, or
// the table full), or the end of an input (every flow, in creation order)
const PHASE_TICK = 0;
const PHASE_PACKET = 1;
const PHASE_DRAIN = 2;
/** Multiplier of the timeout class in an end key (record numbers stay far below it). */
const CLASS_WEIGHT = 2 ** 48;

export interface EngineOptions {
  flows?: Partial<FlowTableOptions>;
  /** Applies the active profile / policy (rules, severities, waivers); the default profile otherwise. */
  auditor?: Auditor;
  /** Keep the table's size before every tick and drain in `sizeLog` (workers of a sharded run). */
  logSizes?: boolean;
}

export class Engine {
  readonly pkt = new Packet();
  readonly decoder = new Decoder();
  readonly table: FlowTable;
  /** Flows under inspection at once (the rest only count): see flow/inspection-budget.ts. */
  readonly budget: InspectionBudget;
  readonly auditor: Auditor;
  readonly summary: Summary;
  packets = 0;
  capturedBytes = 0;
  wireBytes = 0;
  firstSec = -1;
  firstNsec = 0;
  lastSec = 0;
  lastNsec = 0;
  private nextExpiry = 0;
  /** Highest severity of any finding so far (0: none), for --fail-on. */
  maxSeverity = 0;
  readonly counts: Record<string, number> = Object.create(null);
  /** With `logSizes`: the table's size before each tick and drain (a sharded run's peak). */
  readonly sizeLog: number[] | null;
  // where the engine is in the capture, for the order sessions end in (see endOrder)
  private position = 0; // number of the record being processed
  private phase = PHASE_TICK;

  // the stream sink reads these instead of allocating a closure per segment
  private curApp: FlowApp | null = null;
  private curFromA = true;
  private readonly sink = (buf: Buffer, off: number, len: number): void => {
    this.curApp!.inspector!.data(this.curFromA, buf, off, len);
  };
  private readonly onGap = (): void => {
    this.curApp!.inspector!.gap(this.curFromA);
  };

  constructor(private readonly out: DocumentSink, options: EngineOptions = {}) {
    this.auditor = options.auditor ?? new Auditor();
    this.sizeLog = options.logSizes ? [] : null;
    this.summary = new Summary(this.auditor);
    this.table = new FlowTable(options.flows, (f, reason) => this.endFlow(f, reason));
    this.budget = new InspectionBudget(this.table.options.maxInspected, this.table, (f) => {
      this.table.app[f]!.inspector!.shed();
      this.decide(f);
    });
  }

  /** One capture record (the reader's PacketSink). */
  readonly packet = (buf: Buffer, off: number, caplen: number, origlen: number, linktype: number, tsSec: number, tsNsec: number): void => {
    if (this.firstSec < 0) this.nextExpiry = tsSec + 1;
    else if (tsSec >= this.nextExpiry) {
      this.tick(tsSec, this.packets + 1);
      this.nextExpiry = tsSec + 1;
    }
    this.ingest(this.packets + 1, buf, off, caplen, origlen, linktype, tsSec, tsNsec);
  };

  /**
   * One capture record whose clock the caller drives (see tick()): no idle expiry here. The
   * sharded engine calls this in its workers, with the record's number in the whole capture.
   */
  ingest(frameNo: number, buf: Buffer, off: number, caplen: number, origlen: number, linktype: number, tsSec: number, tsNsec: number): void {
    const pkt = this.pkt;
    this.packets++;
    this.capturedBytes += caplen;
    this.wireBytes += origlen;
    this.position = frameNo;
    pkt.frameNo = frameNo;
    pkt.tsSec = tsSec;
    pkt.tsNsec = tsNsec;
    this.clock(tsSec, tsNsec);
    if (!this.decoder.decode(pkt, buf, off, caplen, origlen, linktype)) return;
    this.dispatch(pkt);
  }

  /** A packet decoded elsewhere (pkt.frameNo, tsSec, tsNsec set): a datagram reassembled from fragments. */
  ingestDecoded(pkt: Packet): void {
    this.packets++;
    this.capturedBytes += pkt.caplen;
    this.wireBytes += pkt.origlen;
    this.position = pkt.frameNo;
    this.clock(pkt.tsSec, pkt.tsNsec);
    this.dispatch(pkt);
  }

  /**
   * The capture clock reached a new second `tsSec` with record `frameNo` (called before that
   * record): flows idle past their timeout end. The table's size just before is kept for the
   * merged peak.
   */
  tick(tsSec: number, frameNo: number): void {
    this.sizeLog?.push(this.table.size);
    this.position = frameNo;
    this.phase = PHASE_TICK;
    this.table.expire(tsSec);
    this.phase = PHASE_PACKET;
  }

  private clock(tsSec: number, tsNsec: number): void {
    if (this.firstSec < 0) {
      this.firstSec = tsSec;
      this.firstNsec = tsNsec;
    }
    if (tsSec > this.lastSec || (tsSec === this.lastSec && tsNsec > this.lastNsec)) {
      this.lastSec = tsSec;
      this.lastNsec = tsNsec;
    }
  }

  private dispatch(pkt: Packet): void {
    const proto = pkt.ipProto;
    if (proto === 6) this.tcp(pkt);
    else if (proto === 17) this.udp(pkt);
    else this.count(`ip-protocol-${proto}`);
  }

  private count(reason: string): void {
    this.counts[reason] = (this.counts[reason] ?? 0) + 1;
  }

  private tcp(pkt: Packet): void {
    const hash = flowHash(pkt);
    const t = this.table;
    let f = t.find(pkt, hash);
    const tcpFlags = pkt.tcpFlags;
    const syn = (tcpFlags & TH_SYN) !== 0;
    if (f >= 0 && syn && (tcpFlags & TH_ACK) === 0 && t.lruClass[f] === LRU_CLOSED) {
      // a new connection on the tuple of one that closed
      t.end(f, 'closed');
      f = -1;
    }
    if (f < 0) f = t.create(pkt, hash);
    const dir = t.dir;
    this.account(f, dir, pkt);
    if (syn && t.synFrom[f] < 0) t.synFrom[f] = (tcpFlags & TH_ACK) === 0 ? dir : 1 - dir;
    let flags = t.flags[f];
    if ((tcpFlags & TH_FIN) !== 0) flags |= dir === 0 ? F_FIN_A : F_FIN_B;
    if ((tcpFlags & TH_RST) !== 0) flags |= F_RST;
    t.flags[f] = flags;
    t.touch(f, (flags & F_RST) !== 0 || (flags & (F_FIN_A | F_FIN_B)) === (F_FIN_A | F_FIN_B) ? LRU_CLOSED : LRU_ACTIVE);
    if ((flags & F_DECIDED) !== 0) return;

    const len = pkt.payloadLen;
    let app = t.app[f];
    let stream = app === null ? null : dir === 0 ? app.streamA : app.streamB;
    if (stream === null) {
      if (len === 0) {
        // no stream before data: a data-less SYN only leaves its sequence number (the first one)
        if (syn) {
          if (dir === 0 && (flags & F_SYN_SEQ_A) === 0) {
            t.synSeqA[f] = pkt.seq | 0;
            t.flags[f] = flags | F_SYN_SEQ_A;
          } else if (dir === 1 && (flags & F_SYN_SEQ_B) === 0) {
            t.synSeqB[f] = pkt.seq | 0;
            t.flags[f] = flags | F_SYN_SEQ_B;
          }
        }
        return;
      }
      app ??= t.appOf(f);
      stream = new TcpStream();
      if (dir === 0) app.streamA = stream;
      else app.streamB = stream;
      const hasSynSeq = (flags & (dir === 0 ? F_SYN_SEQ_A : F_SYN_SEQ_B)) !== 0;
      if (hasSynSeq) {
        this.curApp = app;
        this.curFromA = dir === 0;
        stream.segment((dir === 0 ? t.synSeqA[f] : t.synSeqB[f]) >>> 0, true, pkt.buf, pkt.payloadOff, 0, this.sink, this.onGap);
      }
    } else if (len === 0 && !syn) return;
    app = app!;
    if (len > 0 && app.inspector === null) {
      app.inspector = new AppInspector('tcp', t.synFrom[f]);
      this.budget.add(f);
    }
    this.curApp = app;
    this.curFromA = dir === 0;
    stream.segment(pkt.seq, syn, pkt.buf, pkt.payloadOff, len, this.sink, this.onGap);
    if (pkt.payloadWireLen > len) {
      // the capture's snaplen cut this segment: what follows it in the stream is lost
      t.flags[f] |= F_SNAP_TRUNCATED;
      if (app.inspector !== null) app.inspector.gap(dir === 0);
    }
    if (app.inspector !== null && app.inspector.done) this.decide(f);
  }

  private udp(pkt: Packet): void {
    const hash = flowHash(pkt);
    const t = this.table;
    let f = t.find(pkt, hash);
    if (f < 0) f = t.create(pkt, hash);
    const dir = t.dir;
    this.account(f, dir, pkt);
    t.touch(f, LRU_UDP);
    if ((t.flags[f] & F_DECIDED) !== 0) return;
    const len = pkt.payloadLen;
    if (len === 0) return;
    const app = t.appOf(f);
    if (app.inspector === null) {
      app.inspector = new AppInspector('udp', -1);
      this.budget.add(f);
    }
    app.inspector.data(dir === 0, pkt.buf, pkt.payloadOff, len);
    if (pkt.payloadWireLen > len) t.flags[f] |= F_SNAP_TRUNCATED;
    if (app.inspector.done) this.decide(f);
  }

  private account(f: FlowSlot, dir: number, pkt: Packet): void {
    const t = this.table;
    if (dir === 0) {
      t.pktsA[f]++;
      t.bytesA[f] += pkt.ipLen;
    } else {
      t.pktsB[f]++;
      t.bytesB[f] += pkt.ipLen;
    }
    t.lastFrame[f] = pkt.frameNo;
    const last = t.lastSec[f];
    if (pkt.tsSec > last || (pkt.tsSec === last && pkt.tsNsec > t.lastNsec[f])) {
      t.lastSec[f] = pkt.tsSec;
      t.lastNsec[f] = pkt.tsNsec;
    }
  }

  /** Inspection is over: from now on the flow only counts. */
  private decide(f: FlowSlot): void {
    const t = this.table;
    t.flags[f] |= F_DECIDED;
    const app = t.app[f];
    if (app === null) return;
    if (app.inspector !== null) {
      this.budget.remove();
      // the parsers' state goes; what the session document needs stays (inspection-result.ts)
      app.result = inspectionResult(app.inspector);
      app.inspector = null;
    }
    app.streamA?.release();
    app.streamB?.release();
    // a decided flow's packets never reach its streams again: only their gap counts are
    // read (by the session document), so a stream without gaps goes now
    if (app.streamA !== null && app.streamA.gaps === 0) app.streamA = null;
    if (app.streamB !== null && app.streamB.gaps === 0) app.streamB = null;
  }

  private endFlow(f: FlowSlot, reason: EndReason): void {
    const t = this.table;
    const app = t.app[f];
    if (app !== null) {
      if ((t.flags[f] & F_DECIDED) === 0 && app.inspector !== null) {
        this.budget.remove();
        this.curApp = app;
        if (app.streamA !== null && app.streamA.hasPending) {
          this.curFromA = true;
          app.streamA.flush(this.sink, this.onGap);
        }
        if (app.streamB !== null && app.streamB.hasPending) {
          this.curFromA = false;
          app.streamB.flush(this.sink, this.onGap);
        }
      }
      if (app.inspector !== null) app.result = inspectionResult(app.inspector);
    }
    const doc = sessionDocument(t, f, app, { endReason: reason });
    const result = this.auditor.audit(doc);
    this.summary.addSession(doc, result, this.endOrder(f));
    this.out.write(doc);
    for (const firing of result.firings) {
      // a waived finding is reported but does not trip --fail-on
      if (!firing.waived && firing.severity > this.maxSeverity) this.maxSeverity = firing.severity;
    }
    for (const finding of findingDocuments(doc, result.firings)) this.out.write(finding);
    this.curApp = null;
    // the table drops the flow's references when it frees the slot (buffers go at once)
  }

  /**
   * Where this flow's end falls in the order one engine over the whole capture ends flows:
   * [position, rank]. Engines of a sharded run compute the same keys, so merged summaries
   * keep what a single engine keeps first (an endpoint's certificates, in order).
   *   - before record k (idle expiry): [2k, class * 2^48 + last record], the table ending
   *     closed, then datagram, then open flows, each list least recently active first;
   *   - during record k (tuple reused, table full): [2k + 1, 0];
   *   - end of an input whose last record is k - 1: [2k, first record] (creation order).
   */
  private endOrder(f: FlowSlot): [number, number] {
    const k = this.position;
    const t = this.table;
    if (this.phase === PHASE_PACKET) return [2 * k + 1, 0];
    if (this.phase === PHASE_DRAIN) return [2 * k, t.firstFrame[f]];
    const lru = t.lruClass[f];
    const cls = lru === LRU_CLOSED ? 0 : lru === LRU_UDP ? 1 : 2;
    return [2 * k, cls * CLASS_WEIGHT + t.lastFrame[f]];
  }

  /**
   * End of one input: every flow ends (a new capture file shares no connections with it).
   * `nextFrame`: number the next record would have (a sharded engine's workers get it from
   * the reader); by default, the one after this engine's last.
   */
  endOfInput(nextFrame = this.packets + 1): void {
    this.sizeLog?.push(this.table.size);
    this.position = nextFrame;
    this.phase = PHASE_DRAIN;
    this.table.drain();
    this.phase = PHASE_PACKET;
  }

  /** The summary document, last. */
  finish(capture: Record<string, unknown>): void {
    this.endOfInput();
    const undecoded = { ...this.decoder.counts, ...this.counts };
    const doc = this.summary.document({
      first: this.firstSec < 0 ? null : [this.firstSec, this.firstNsec],
      last: this.firstSec < 0 ? null : [this.lastSec, this.lastNsec],
      packets: this.packets,
      capturedBytes: this.capturedBytes,
      wireBytes: this.wireBytes,
      undecoded,
      flows: { created: this.table.created, evicted: this.table.evicted, peak: this.table.peak, inspection_shed: this.budget.shed },
      capture,
    });
    this.out.write(doc);
    this.out.flush();
  }

  // --- what a long-running command (live, mirror) asks of an engine: live/packet-engine.ts

  /** Flows open now. */
  openFlows(): number {
    return this.table.size;
  }

  /** Session documents written so far. */
  sessionsWritten(): number {
    return this.summary.sessions;
  }

  /**
   * The wall clock reached second `nowSec` while no packet came to say so: a capture tick
   * before the next record, as a sharded engine's engines take it, so flows idle out.
   */
  expireIdle(nowSec: number): void {
    this.tick(nowSec, this.packets + 1);
  }

  /** Nothing is held for another thread here (a sharded engine hands its slots over). */
  flush(): void {}
}
