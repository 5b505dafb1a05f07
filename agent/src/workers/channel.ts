// The shared memory between the reading thread and one engine worker, and its record format.
// No message passing per batch: both sides run synchronous loops and meet on atomics, so the
// reader may be a plain synchronous packet callback (it blocks when the worker falls behind).
//
//   input: SLOTS slots of SLOT_BYTES, filled by the reader in turn, consumed by the worker in
//     the same turn. state[i] is FREE or FULL; len[i] the bytes of records in slot i.
//   output: a byte ring of OUT_BYTES the worker writes NDJSON into, whole lines only, and the
//     reader drains (two monotonic 32-bit counters, written / read).
//   bell: one counter per run, bumped and notified by every worker when it frees a slot or
//     writes output, so the reader sleeps on a single address.

import type { SummaryState } from '../output/summary.js';
import type { Engine } from '../engine.js';

/** Input slots per worker and their size: records are copied in, a slot is handed over when full. */
export const SLOTS = 4;
export const SLOT_BYTES = 1 << 19;
/** Output ring per worker (a power of two). A batch larger than half of it goes by message. */
export const OUT_BYTES = 1 << 22;

export const FREE = 0;
export const FULL = 1;

// control words (Int32Array over `control`)
export const C_STATE = 0; // SLOTS words
export const C_LEN = SLOTS; // SLOTS words
export const C_WRITTEN = 2 * SLOTS; // output bytes written (wraps at 2^32)
export const C_READ = 2 * SLOTS + 1; // output bytes read
export const C_FAILED = 2 * SLOTS + 2; // the worker stopped on an error
// published by the worker after each slot it consumes and at each tick, for the live
// commands' counters (read as unsigned)
export const C_OPEN_FLOWS = 2 * SLOTS + 3; // flows open in its engine
export const C_SESSIONS = 2 * SLOTS + 4; // session documents its engine wrote
export const CONTROL_WORDS = 2 * SLOTS + 5;

// record kinds
export const R_PACKET = 1; // a capture record: header, then the frame's captured bytes
export const R_TICK = 2; // the capture clock reached second tsSec before record frameNo
export const R_END_INPUT = 3; // an input ended; the next record would be frameNo
export const R_DECODED = 4; // a packet decoded by the reader (IP reassembly): fields, then its buffer
export const R_FINISH = 5; // no more input: end every flow and report
export const R_BIG = 6; // a capture record larger than a slot: its bytes come by message
export const R_REF = 7; // a capture record left where it was read, in a shared read chunk

/**
 * Record header, 8-byte aligned (records are padded to 8 bytes):
 *   u32 kind, u32 data length (R_REF: captured length), f64 frameNo, f64 tsSec, u32 tsNsec,
 *   u32 origlen, u32 linktype, u32 read chunk (R_REF), u32 offset in it (R_REF), u32 0
 */
export const HEADER_BYTES = 48;

/** Shared read chunks: the reader reads the capture into them in turn (see ReadBuffers). */
export const READ_CHUNKS = 6;
export const READ_CHUNK_BYTES = 4 << 20;

export const pad8 = (n: number): number => (n + 7) & ~7;

/** What a worker reports when it finishes (by message). */
export interface WorkerReport {
  summary: SummaryState;
  counts: Record<string, number>;
  created: number;
  evicted: number;
  /** Flows whose inspection the inspection budget stopped. */
  shed: number;
  sizeLog: number[];
  maxSeverity: number;
}

/** What an engine of a sharded run reports when its input is over (merged into one summary). */
export function engineReport(engine: Engine): WorkerReport {
  return {
    summary: engine.summary.state(),
    counts: { ...engine.counts },
    created: engine.table.created,
    evicted: engine.table.evicted,
    shed: engine.budget.shed,
    sizeLog: engine.sizeLog ?? [],
    maxSeverity: engine.maxSeverity,
  };
}

/** What a worker is started with (worker_threads workerData). */
export interface WorkerSetup {
  index: number;
  slots: SharedArrayBuffer;
  out: SharedArrayBuffer;
  control: SharedArrayBuffer;
  bell: SharedArrayBuffer;
  chunks: SharedArrayBuffer[];
  maxFlows?: number;
  maxInspected?: number;
  profile?: string;
  policy?: string;
  now: number;
}

/** Views of one worker's shared memory. */
export class Channel {
  readonly slots: Buffer;
  readonly f64: Float64Array;
  readonly u32: Uint32Array;
  readonly out: Buffer;
  readonly control: Int32Array;
  readonly bell: Int32Array;

  constructor(readonly setup: Pick<WorkerSetup, 'slots' | 'out' | 'control' | 'bell'>) {
    this.slots = Buffer.from(setup.slots);
    this.f64 = new Float64Array(setup.slots);
    this.u32 = new Uint32Array(setup.slots);
    this.out = Buffer.from(setup.out);
    this.control = new Int32Array(setup.control);
    this.bell = new Int32Array(setup.bell);
  }

  static create(bell: SharedArrayBuffer): Channel {
    return new Channel({
      slots: new SharedArrayBuffer(SLOTS * SLOT_BYTES),
      out: new SharedArrayBuffer(OUT_BYTES),
      control: new SharedArrayBuffer(CONTROL_WORDS * 4),
      bell,
    });
  }

  ring(): void {
    Atomics.add(this.bell, 0, 1);
    Atomics.notify(this.bell, 0);
  }

  /** Worker side: appends whole lines to the output ring, waiting for room. */
  writeOutput(chunk: Buffer): void {
    const c = this.control;
    const n = chunk.length;
    const w = Atomics.load(c, C_WRITTEN);
    for (;;) {
      const r = Atomics.load(c, C_READ);
      if (OUT_BYTES - ((w - r) >>> 0) >= n) break;
      Atomics.wait(c, C_READ, r, 1000);
    }
    const at = w & (OUT_BYTES - 1);
    const first = Math.min(n, OUT_BYTES - at);
    chunk.copy(this.out, at, 0, first);
    if (first < n) chunk.copy(this.out, 0, first, n);
    Atomics.store(c, C_WRITTEN, (w + n) | 0);
    this.ring();
  }

  /** Reader side: the lines written since the last call (a copy), or null. */
  readOutput(): Buffer | null {
    const c = this.control;
    const w = Atomics.load(c, C_WRITTEN);
    const r = Atomics.load(c, C_READ);
    const n = (w - r) >>> 0;
    if (n === 0) return null;
    const at = r & (OUT_BYTES - 1);
    const first = Math.min(n, OUT_BYTES - at);
    const bytes = Buffer.allocUnsafe(n);
    this.out.copy(bytes, 0, at, at + first);
    if (first < n) this.out.copy(bytes, first, 0, n - first);
    Atomics.store(c, C_READ, w);
    Atomics.notify(c, C_READ);
    return bytes;
  }
}
