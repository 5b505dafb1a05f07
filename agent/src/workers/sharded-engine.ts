// Several engines, flows sharded among them by a symmetric hash of the 5-tuple and the
// tunnel context (VNI, GRE key...), so that both directions of every connection meet in the
// same engine. With N engines, this thread runs one of them and N - 1 worker threads run the
// others: this thread also reads the capture, decodes each frame just far enough to pick its
// shard (the whole layer walk: IP fragments are reassembled here, since the fragments of one
// datagram carry no ports), keeps the records of its own shard and copies each other record
// into its worker's input slot. Reading and routing every record is work the workers do not
// have, so this thread's engine takes a smaller share of the flows (LOCAL_WEIGHT): on a
// machine with as many cores as engines, no core waits for another. The clock (idle expiry)
// is driven from here, so every engine expires flows at the same points of the capture as one
// engine would. Workers write their documents as NDJSON lines into rings this thread drains
// into the output (this thread's engine writes there directly); at the end the summaries are
// merged into one summary document (counts added, KPIs computed from the sums).
//
// Usage (the same shape as Engine):
//   const sharded = new ShardedEngine(out, { workers: 2, profile, policy });
//   readCaptureFile(file, sharded.packet, { buffers: sharded.readBuffers });
//                                            // synchronous; blocks while workers catch up
//   sharded.endOfInput();                    // after each input
//   await sharded.finish({ files });          // ends every flow, writes the summary
// With `buffers: sharded.readBuffers` the file is read into chunks of memory the workers
// share: a record is handed over as a reference (chunk, offset), never copied; any other
// packet source (a stream, gzip, live capture) has its records copied into the slots.
// A live capture calls flush() now and then so that a quiet shard's records do not wait
// in a partly filled slot.
//
// Output equals one engine's over the same capture, in another order, as long as the
// bounded tables stay below their limits: --max-flows and the inspection budget are divided
// among the engines (by their shares), and each keeps its own endpoint (10 000) and
// certificate (100 000) tables.

import { Worker, MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { Packet } from '../decode/packet.js';
import { Decoder } from '../decode/decoder.js';
import { DEFAULT_FLOW_OPTIONS, flowHash } from '../flow/flow-table.js';
import { Summary } from '../output/summary.js';
import type { DocumentSink } from '../output/writer.js';
import { Auditor } from '../audit/auditor.js';
import { Engine } from '../engine.js';
import { auditorFor } from '../audit/setup.js';
import type { PacketSink, ReadBuffers } from '../capture/types.js';
import {
  C_FAILED, C_LEN, C_OPEN_FLOWS, C_SESSIONS, C_STATE, Channel, FREE, FULL, HEADER_BYTES, R_BIG, R_DECODED, R_END_INPUT, R_FINISH, R_PACKET, R_REF, R_TICK, READ_CHUNKS, READ_CHUNK_BYTES, SLOT_BYTES, SLOTS,
  engineReport, pad8, type WorkerReport, type WorkerSetup,
} from './channel.js';
import { decodedBytes, writeDecoded } from './packet-record.js';

export interface ShardedEngineOptions {
  /** Engines (>= 2): this thread's and workers - 1 worker threads. */
  workers: number;
  /** Hard cap on concurrent flows of the whole run, divided among the workers. */
  maxFlows?: number;
  /** Flows under inspection at once (flow/inspection-budget.ts), divided among the workers. */
  maxInspected?: number;
  /** What the workers build their auditor from (as auditorFor does). */
  profile?: string;
  policy?: string;
  /** This thread's auditor, for the summary's policy block; the default profile otherwise. */
  auditor?: Auditor;
}

/** A sink that takes encoded NDJSON lines as they are (NdjsonWriter). */
interface RawSink extends DocumentSink {
  writeRaw(bytes: Buffer): void;
}

/** Share of flows of this thread's engine, relative to a worker's (it also reads and routes). */
const LOCAL_WEIGHT = 0.5;
/** Hash buckets shared out among the engines by their weights. */
const BUCKETS = 64;

/** Seconds without any progress from the workers after which the run is declared stuck. */
const STALL_SECONDS = 120;

export class ShardedEngine {
  readonly workers: number;
  packets = 0;
  capturedBytes = 0;
  wireBytes = 0;
  maxSeverity = 0;
  private firstSec = -1;
  private firstNsec = 0;
  private lastSec = 0;
  private lastNsec = 0;
  private nextExpiry = 0;
  /** The packet `packet` decoded last (the mirror doctor reads it). */
  readonly pkt = new Packet();
  private readonly decoder = new Decoder();
  private readonly counts: Record<string, number> = Object.create(null);
  private readonly summary: Summary;
  private readonly bellBuf = new SharedArrayBuffer(4);
  private readonly bell = new Int32Array(this.bellBuf);
  private readonly channels: Channel[] = [];
  private readonly ports: MessagePort[] = [];
  private readonly threads: Worker[] = [];
  private readonly exited: Promise<unknown>[] = [];
  private readonly slot: number[] = [];
  private readonly fill: number[] = [];
  private readonly reports: (WorkerReport | null)[] = [];
  // shared read chunks: the one being parsed (-1: a private buffer), its sequence number,
  // and per worker and slot the newest chunk its records refer to (-1: none)
  private readonly chunks: Buffer[] = [];
  private chunk = -1;
  private chunkSeq = -1;
  private readonly slotSeq: number[][] = [];
  private failure: string | null = null;
  private readonly raw: RawSink | null;
  /** This thread's engine (shard 0). */
  private readonly local: Engine;
  /** Shard of each hash bucket: 0 this thread's engine, w + 1 worker w. */
  private readonly shardOf = new Uint8Array(BUCKETS);

  constructor(
    private readonly out: DocumentSink,
    options: ShardedEngineOptions,
  ) {
    this.workers = Math.max(1, Math.floor(options.workers));
    this.summary = new Summary(options.auditor ?? new Auditor());
    this.raw = typeof (out as Partial<RawSink>).writeRaw === 'function' ? (out as RawSink) : null;
    const now = Date.now();
    // shares: this thread's engine LOCAL_WEIGHT, each worker 1; buckets dealt out in turn
    const threads = this.workers - 1;
    const total = LOCAL_WEIGHT + threads;
    const share = (i: number): number => (i === 0 ? LOCAL_WEIGHT : 1) / total;
    const wanted = Array.from({ length: this.workers }, (_, i) => share(i) * BUCKETS);
    const given = new Array<number>(this.workers).fill(0);
    for (let b = 0; b < BUCKETS; b++) {
      let best = 0;
      for (let i = 1; i < this.workers; i++) if (wanted[i] - given[i] > wanted[best] - given[best]) best = i;
      this.shardOf[b] = best;
      given[best]++;
    }
    const maxFlows = options.maxFlows ?? DEFAULT_FLOW_OPTIONS.maxFlows;
    const maxInspected = options.maxInspected ?? DEFAULT_FLOW_OPTIONS.maxInspected;
    const capOf = (total: number, i: number): number => Math.max(1, Math.ceil((total * given[i]) / BUCKETS));
    this.local = new Engine(out, {
      auditor: auditorFor(options.profile, options.policy, { now, warn: () => {} }),
      flows: { maxFlows: capOf(maxFlows, 0), maxInspected: capOf(maxInspected, 0) },
      logSizes: true,
    });
    const chunkBufs: SharedArrayBuffer[] = [];
    for (let i = 0; i < READ_CHUNKS; i++) {
      chunkBufs.push(new SharedArrayBuffer(READ_CHUNK_BYTES));
      this.chunks.push(Buffer.from(chunkBufs[i]));
    }
    for (let i = 0; i < threads; i++) {
      const ch = Channel.create(this.bellBuf);
      const { port1, port2 } = new MessageChannel();
      const setup: WorkerSetup & { port: MessagePort } = {
        index: i,
        ...ch.setup,
        chunks: chunkBufs,
        maxFlows: capOf(maxFlows, i + 1),
        maxInspected: capOf(maxInspected, i + 1),
        profile: options.profile,
        policy: options.policy,
        now,
        port: port2,
      } as WorkerSetup & { port: MessagePort };
      const t = new Worker(new URL('./engine-worker.js', import.meta.url), { workerData: setup, transferList: [port2] });
      t.on('message', (m: { report?: WorkerReport; error?: string }) => {
        if (m.report) this.reports[i] = m.report;
        if (m.error) this.fail(`worker ${i}: ${m.error}`);
      });
      t.on('error', (e) => this.fail(`worker ${i}: ${e.stack ?? e.message}`));
      this.exited.push(new Promise((resolve) => t.once('exit', resolve)));
      t.on('exit', (code) => {
        if (this.reports[i] === null) this.fail(`worker ${i} exited (${code}) before reporting`);
      });
      this.channels.push(ch);
      this.ports.push(port1);
      this.threads.push(t);
      this.slot.push(0);
      this.fill.push(0);
      this.reports.push(null);
      this.slotSeq.push(new Array<number>(SLOTS).fill(-1));
    }
  }

  private fail(message: string): void {
    if (this.failure === null) this.failure = message;
  }

  /** One capture record (the reader's PacketSink): routed to the worker of its flow. */
  readonly packet: PacketSink = (buf, off, caplen, origlen, linktype, tsSec, tsNsec) => {
    const frameNo = ++this.packets;
    this.capturedBytes += caplen;
    this.wireBytes += origlen;
    if (this.firstSec < 0) {
      this.firstSec = tsSec;
      this.firstNsec = tsNsec;
      this.nextExpiry = tsSec + 1;
    } else if (tsSec >= this.nextExpiry) {
      for (let w = 0; w < this.channels.length; w++) this.put(w, R_TICK, 0, frameNo, tsSec, 0, 0, 0);
      this.local.tick(tsSec, frameNo);
      this.nextExpiry = tsSec + 1;
    }
    if (tsSec > this.lastSec || (tsSec === this.lastSec && tsNsec > this.lastNsec)) {
      this.lastSec = tsSec;
      this.lastNsec = tsNsec;
    }
    const pkt = this.pkt;
    pkt.frameNo = frameNo;
    pkt.tsSec = tsSec;
    pkt.tsNsec = tsNsec;
    if (!this.decoder.decode(pkt, buf, off, caplen, origlen, linktype)) return;
    const proto = pkt.ipProto;
    if (proto !== 6 && proto !== 17) {
      // other IP protocols are only counted (as Engine does)
      const reason = `ip-protocol-${proto}`;
      this.counts[reason] = (this.counts[reason] ?? 0) + 1;
      return;
    }
    const shard = this.shardOf[flowHash(pkt) & (BUCKETS - 1)];
    if (shard === 0) {
      this.local.ingestDecoded(pkt);
      return;
    }
    const w = shard - 1;
    if (pkt.buf !== buf) {
      // a datagram reassembled from fragments: its fields travel with it
      const len = decodedBytes(pkt);
      const at = this.put(w, R_DECODED, len, frameNo, tsSec, tsNsec, origlen, linktype);
      writeDecoded(pkt, this.channels[w].f64, this.channels[w].slots, at);
      return;
    }
    const n = Math.min(caplen, buf.length - off);
    if (this.chunk >= 0 && buf === this.chunks[this.chunk]) {
      // the record stays where it was read
      const at = this.put(w, R_REF, n, frameNo, tsSec, tsNsec, origlen, linktype);
      const u32 = this.channels[w].u32;
      u32[(at >> 2) - 3] = this.chunk;
      u32[(at >> 2) - 2] = off;
      this.slotSeq[w][this.slot[w]] = this.chunkSeq;
      return;
    }
    if (HEADER_BYTES + pad8(n) > SLOT_BYTES) {
      this.ports[w].postMessage({ bytes: buf.subarray(off, off + n) });
      this.put(w, R_BIG, 0, frameNo, tsSec, tsNsec, origlen, linktype);
      return;
    }
    const at = this.put(w, R_PACKET, n, frameNo, tsSec, tsNsec, origlen, linktype);
    buf.copy(this.channels[w].slots, at, off, off + n);
  };

  /** Appends a record header to worker w's slot; returns where its `len` data bytes go. */
  private put(w: number, kind: number, len: number, frameNo: number, tsSec: number, tsNsec: number, origlen: number, linktype: number): number {
    const need = HEADER_BYTES + (kind === R_REF ? 0 : pad8(len));
    if (this.fill[w] + need > SLOT_BYTES) this.handOver(w);
    const ch = this.channels[w];
    const p = this.slot[w] * SLOT_BYTES + this.fill[w];
    const q = p >> 2;
    const u32 = ch.u32;
    u32[q] = kind;
    u32[q + 1] = len;
    ch.f64[(p >> 3) + 1] = frameNo;
    ch.f64[(p >> 3) + 2] = tsSec;
    u32[q + 6] = tsNsec;
    u32[q + 7] = origlen;
    u32[q + 8] = linktype;
    this.fill[w] += need;
    return p + HEADER_BYTES;
  }

  /** Hands worker w's current slot over and waits until its next one is free. */
  private handOver(w: number): void {
    const ch = this.channels[w];
    const s = this.slot[w];
    if (this.fill[w] === 0) return;
    Atomics.store(ch.control, C_LEN + s, this.fill[w]);
    Atomics.store(ch.control, C_STATE + s, FULL);
    Atomics.notify(ch.control, C_STATE + s);
    const next = (s + 1) % SLOTS;
    this.slot[w] = next;
    this.fill[w] = 0;
    this.drainOutputs();
    this.waitUntil(() => Atomics.load(ch.control, C_STATE + next) === FREE);
    this.slotSeq[w][next] = -1;
  }

  /**
   * The read buffers for readCaptureFile: shared chunks in turn. A chunk is read into again
   * once no slot still refers to what it held.
   */
  readonly readBuffers: ReadBuffers = {
    next: (prev, from, to, size) => {
      // records parsed from prev so far go to the workers now
      for (let w = 0; w < this.channels.length; w++) this.handOver(w);
      let buf: Buffer;
      if (size > READ_CHUNK_BYTES) {
        buf = Buffer.allocUnsafe(size); // a record larger than a chunk: read privately, copied to the workers
        this.chunk = -1;
      } else {
        const seq = this.chunkSeq + 1;
        const old = seq - READ_CHUNKS;
        this.waitUntil(() => this.released(old));
        this.chunkSeq = seq;
        this.chunk = seq % READ_CHUNKS;
        buf = this.chunks[this.chunk];
      }
      if (prev !== null && to > from) prev.copy(buf, 0, from, to);
      return buf;
    },
  };

  /** No slot refers to read chunk number `seq` (or an older one) any more. */
  private released(seq: number): boolean {
    if (seq < 0) return true;
    for (let w = 0; w < this.channels.length; w++) {
      const control = this.channels[w].control;
      const seqs = this.slotSeq[w];
      for (let k = 0; k < SLOTS; k++) if (seqs[k] >= 0 && seqs[k] <= seq && Atomics.load(control, C_STATE + k) !== FREE) return false;
    }
    return true;
  }

  /** Blocks (draining the workers' output meanwhile) until `ready` holds. */
  private waitUntil(ready: () => boolean): void {
    let idleSince = Date.now();
    for (;;) {
      if (ready()) return;
      const b = Atomics.load(this.bell, 0);
      if (this.drainOutputs()) idleSince = Date.now();
      if (ready()) return;
      this.checkFailed();
      if (Atomics.wait(this.bell, 0, b, 200) !== 'timed-out') idleSince = Date.now();
      else if (Date.now() - idleSince > STALL_SECONDS * 1000) throw new Error(`engine workers made no progress for ${STALL_SECONDS} s`);
    }
  }

  private checkFailed(): void {
    for (let i = 0; i < this.channels.length; i++) {
      // the error itself comes by message, once this thread's event loop runs again
      if (Atomics.load(this.channels[i].control, C_FAILED) !== 0) throw new Error(this.failure ?? `engine worker ${i} failed`);
    }
    if (this.failure !== null) throw new Error(this.failure);
  }

  /** Writes what the workers produced so far; true when there was anything. */
  private drainOutputs(): boolean {
    let any = false;
    for (let i = 0; i < this.channels.length; i++) {
      const bytes = this.channels[i].readOutput();
      if (bytes !== null) {
        this.emit(bytes);
        any = true;
      }
      // a batch too large for the ring came by message
      for (let m = receiveMessageOnPort(this.ports[i]); m !== undefined; m = receiveMessageOnPort(this.ports[i])) {
        const lines = (m.message as { lines?: Uint8Array }).lines;
        if (lines) this.emit(Buffer.from(lines.buffer, lines.byteOffset, lines.byteLength));
        any = true;
      }
    }
    return any;
  }

  /** Whole NDJSON lines from a worker, to the output. */
  private emit(bytes: Buffer): void {
    if (this.raw !== null) {
      this.raw.writeRaw(bytes);
      return;
    }
    let start = 0;
    for (let nl = bytes.indexOf(10); nl >= 0; nl = bytes.indexOf(10, start)) {
      if (nl > start) this.out.write(JSON.parse(bytes.toString('utf8', start, nl)) as object);
      start = nl + 1;
    }
  }

  /** Hands partly filled slots over (a live capture calls this now and then). */
  flush(): void {
    for (let w = 0; w < this.channels.length; w++) this.handOver(w);
    this.drainOutputs();
  }

  /** End of one input: every flow ends (a new capture file shares no connections with it). */
  endOfInput(): void {
    for (let w = 0; w < this.channels.length; w++) this.put(w, R_END_INPUT, 0, this.packets + 1, 0, 0, 0, 0);
    this.local.endOfInput(this.packets + 1);
  }

  /** Every flow ends; the merged summary document is written, last. */
  async finish(capture: Record<string, unknown>): Promise<void> {
    this.endOfInput();
    for (let w = 0; w < this.channels.length; w++) {
      this.put(w, R_FINISH, 0, this.packets + 1, 0, 0, 0, 0);
      this.handOver(w);
    }
    const localReport = engineReport(this.local);
    let idleSince = Date.now();
    while (this.reports.some((r) => r === null)) {
      if (this.drainOutputs()) idleSince = Date.now();
      this.checkFailed();
      if (Date.now() - idleSince > STALL_SECONDS * 1000) throw new Error(`engine workers made no progress for ${STALL_SECONDS} s`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await Promise.all(this.exited);
    this.drainOutputs();
    this.writeSummary(capture, [localReport, ...(this.reports as WorkerReport[])]);
  }

  private writeSummary(capture: Record<string, unknown>, reports: WorkerReport[]): void {
    const undecoded: Record<string, number> = { ...this.decoder.counts, ...this.counts };
    let created = 0;
    let evicted = 0;
    let shed = 0;
    for (const r of reports) {
      this.summary.merge(r.summary);
      for (const [k, n] of Object.entries(r.counts)) undecoded[k] = (undecoded[k] ?? 0) + n;
      created += r.created;
      evicted += r.evicted;
      shed += r.shed;
      if (r.maxSeverity > this.maxSeverity) this.maxSeverity = r.maxSeverity;
    }
    // the table only grows between ticks and drains: the peak is a sum at one of them
    let peak = 0;
    const points = Math.max(...reports.map((r) => r.sizeLog.length));
    for (let i = 0; i < points; i++) {
      let sum = 0;
      for (const r of reports) sum += r.sizeLog[i] ?? 0;
      if (sum > peak) peak = sum;
    }
    const doc = this.summary.document({
      first: this.firstSec < 0 ? null : [this.firstSec, this.firstNsec],
      last: this.firstSec < 0 ? null : [this.lastSec, this.lastNsec],
      packets: this.packets,
      capturedBytes: this.capturedBytes,
      wireBytes: this.wireBytes,
      undecoded,
      flows: { created, evicted, peak, inspection_shed: shed },
      capture,
    });
    this.out.write(doc);
    this.out.flush();
  }

  /** Stops the workers (after an error). */
  async terminate(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.terminate()));
  }

  // --- what a long-running command (live, mirror) asks of an engine: live/packet-engine.ts

  /** Flows open now: this thread's engine's, and each worker's as of its last slot or tick. */
  openFlows(): number {
    let n = this.local.table.size;
    for (const ch of this.channels) n += Atomics.load(ch.control, C_OPEN_FLOWS) >>> 0;
    return n;
  }

  /** Session documents written so far (a worker's as of its last slot or tick). */
  sessionsWritten(): number {
    let n = this.local.summary.sessions;
    for (const ch of this.channels) n += Atomics.load(ch.control, C_SESSIONS) >>> 0;
    return n;
  }

  /**
   * The wall clock reached second `nowSec` while no packet came to say so: a capture tick
   * before the next record for every engine, handed over at once so that quiet shards act
   * on it.
   */
  expireIdle(nowSec: number): void {
    const frameNo = this.packets + 1;
    for (let w = 0; w < this.channels.length; w++) this.put(w, R_TICK, 0, frameNo, nowSec, 0, 0, 0);
    this.local.tick(nowSec, frameNo);
    this.flush();
  }
}
