// The packet path: capture record → layer decoders → flow table → TCP reassembly →
// application-layer inspection; sessions are written when their flow ends. A flow
// whose inspection is finished costs a lookup and a few counter updates per packet.

import { Packet } from './decode/packet.js';
import { Decoder } from './decode/decoder.js';
import { Flow, LRU_ACTIVE, LRU_CLOSED, LRU_UDP } from './flow/flow.js';
import { FlowTable, flowHash, type FlowTableOptions } from './flow/flow-table.js';
import { TcpStream } from './flow/tcp-stream.js';
import { AppInspector } from './flow/inspector.js';
import { sessionDocument } from './output/session-doc.js';
import type { DocumentSink } from './output/writer.js';
import { Summary } from './output/summary.js';
import { findingDocument } from './output/finding-doc.js';
import { Auditor } from './audit/auditor.js';

const TH_FIN = 1;
const TH_SYN = 2;
const TH_RST = 4;
const TH_ACK = 16;

export interface EngineOptions {
  flows?: Partial<FlowTableOptions>;
  /** Applies the active profile / policy (rules, severities, waivers); the default profile otherwise. */
  auditor?: Auditor;
}

export class Engine {
  readonly pkt = new Packet();
  readonly decoder = new Decoder();
  readonly table: FlowTable;
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
  private readonly counts: Record<string, number> = Object.create(null);

  // the stream sink reads these instead of allocating a closure per segment
  private curFlow: Flow | null = null;
  private curFromA = true;
  private readonly sink = (buf: Buffer, off: number, len: number): void => {
    const f = this.curFlow!;
    f.inspector!.data(this.curFromA, buf, off, len);
  };
  private readonly onGap = (): void => {
    this.curFlow!.inspector!.gap(this.curFromA);
  };

  constructor(private readonly out: DocumentSink, options: EngineOptions = {}) {
    this.auditor = options.auditor ?? new Auditor();
    this.summary = new Summary(this.auditor);
    this.table = new FlowTable(options.flows, (f, reason) => this.endFlow(f, reason));
  }

  /** One capture record (the reader's PacketSink). */
  readonly packet = (buf: Buffer, off: number, caplen: number, origlen: number, linktype: number, tsSec: number, tsNsec: number): void => {
    const pkt = this.pkt;
    this.packets++;
    this.capturedBytes += caplen;
    this.wireBytes += origlen;
    pkt.frameNo = this.packets;
    pkt.tsSec = tsSec;
    pkt.tsNsec = tsNsec;
    if (this.firstSec < 0) {
      this.firstSec = tsSec;
      this.firstNsec = tsNsec;
      this.nextExpiry = tsSec + 1;
    }
    if (tsSec > this.lastSec || (tsSec === this.lastSec && tsNsec > this.lastNsec)) {
      this.lastSec = tsSec;
      this.lastNsec = tsNsec;
    }
    if (tsSec >= this.nextExpiry) {
      this.table.expire(tsSec);
      this.nextExpiry = tsSec + 1;
    }
    if (!this.decoder.decode(pkt, buf, off, caplen, origlen, linktype)) return;
    const proto = pkt.ipProto;
    if (proto === 6) this.tcp(pkt);
    else if (proto === 17) this.udp(pkt);
    else this.count(`ip-protocol-${proto}`);
  };

  private count(reason: string): void {
    this.counts[reason] = (this.counts[reason] ?? 0) + 1;
  }

  private tcp(pkt: Packet): void {
    const hash = flowHash(pkt);
    const table = this.table;
    let f = table.find(pkt, hash);
    const flags = pkt.tcpFlags;
    const syn = (flags & TH_SYN) !== 0;
    if (f !== null && syn && (flags & TH_ACK) === 0 && f.lruClass === LRU_CLOSED) {
      // a new connection on the tuple of one that closed
      table.end(f, 'closed');
      f = null;
    }
    if (f === null) f = table.create(pkt, hash);
    const dir = table.dir;
    this.account(f, dir, pkt);
    if (syn && f.synFrom < 0) f.synFrom = (flags & TH_ACK) === 0 ? dir : 1 - dir;
    if ((flags & TH_FIN) !== 0) {
      if (dir === 0) f.finA = true;
      else f.finB = true;
    }
    if ((flags & TH_RST) !== 0) f.rst = true;
    table.touch(f, f.rst || (f.finA && f.finB) ? LRU_CLOSED : LRU_ACTIVE);
    if (f.decided) return;

    const len = pkt.payloadLen;
    if (len === 0 && !syn) return;
    let stream = dir === 0 ? f.streamA : f.streamB;
    if (stream === null) {
      stream = new TcpStream();
      if (dir === 0) f.streamA = stream;
      else f.streamB = stream;
    }
    if (len > 0 && f.inspector === null) f.inspector = new AppInspector('tcp', f.synFrom);
    this.curFlow = f;
    this.curFromA = dir === 0;
    stream.segment(pkt.seq, syn, pkt.buf, pkt.payloadOff, len, this.sink, this.onGap);
    if (pkt.payloadWireLen > len) {
      // the capture's snaplen cut this segment: what follows it in the stream is lost
      f.snapTruncated = true;
      if (f.inspector !== null) f.inspector.gap(dir === 0);
    }
    if (f.inspector !== null && f.inspector.done) this.decide(f);
  }

  private udp(pkt: Packet): void {
    const hash = flowHash(pkt);
    let f = this.table.find(pkt, hash);
    if (f === null) f = this.table.create(pkt, hash);
    const dir = this.table.dir;
    this.account(f, dir, pkt);
    this.table.touch(f, LRU_UDP);
    if (f.decided) return;
    const len = pkt.payloadLen;
    if (len === 0) return;
    if (f.inspector === null) f.inspector = new AppInspector('udp', -1);
    f.inspector.data(dir === 0, pkt.buf, pkt.payloadOff, len);
    if (pkt.payloadWireLen > len) f.snapTruncated = true;
    if (f.inspector.done) this.decide(f);
  }

  private account(f: Flow, dir: number, pkt: Packet): void {
    if (dir === 0) {
      f.pktsA++;
      f.bytesA += pkt.ipLen;
    } else {
      f.pktsB++;
      f.bytesB += pkt.ipLen;
    }
    if (pkt.tsSec > f.lastSec || (pkt.tsSec === f.lastSec && pkt.tsNsec > f.lastNsec)) {
      f.lastSec = pkt.tsSec;
      f.lastNsec = pkt.tsNsec;
    }
  }

  /** Inspection is over: from now on the flow only counts. */
  private decide(f: Flow): void {
    f.decided = true;
    f.streamA?.release();
    f.streamB?.release();
  }

  private endFlow(f: Flow, reason: 'idle' | 'evicted' | 'closed' | 'end'): void {
    if (!f.decided && f.inspector !== null) {
      this.curFlow = f;
      if (f.streamA !== null && f.streamA.hasPending) {
        this.curFromA = true;
        f.streamA.flush(this.sink, this.onGap);
      }
      if (f.streamB !== null && f.streamB.hasPending) {
        this.curFromA = false;
        f.streamB.flush(this.sink, this.onGap);
      }
    }
    f.inspector?.end();
    const doc = sessionDocument(f, { endReason: reason });
    const result = this.auditor.audit(doc);
    this.summary.addSession(doc, result);
    this.out.write(doc);
    for (const firing of result.firings) {
      // a waived finding is reported but does not trip --fail-on
      if (!firing.waived && firing.severity > this.maxSeverity) this.maxSeverity = firing.severity;
      this.out.write(findingDocument(doc, firing));
    }
    this.curFlow = null;
    // drop references so that an evicted flow's buffers go at once
    f.inspector = null;
    f.streamA = f.streamB = null;
  }

  /** End of one input: every flow ends (a new capture file shares no connections with it). */
  endOfInput(): void {
    this.table.drain();
  }

  /** The summary document, last. */
  finish(capture: Record<string, unknown>): void {
    this.table.drain();
    const undecoded = { ...this.decoder.counts, ...this.counts };
    const doc = this.summary.document({
      first: this.firstSec < 0 ? null : [this.firstSec, this.firstNsec],
      last: this.firstSec < 0 ? null : [this.lastSec, this.lastNsec],
      packets: this.packets,
      capturedBytes: this.capturedBytes,
      wireBytes: this.wireBytes,
      undecoded,
      flows: { created: this.table.created, evicted: this.table.evicted, peak: this.table.peak },
      capture,
    });
    this.out.write(doc);
    this.out.flush();
  }
}
