// An engine worker of a sharded run (see sharded-engine.ts): consumes the records of its
// shard from the input slots, runs one Engine over them and writes the session and finding
// documents, as NDJSON lines, to its output ring. At the end it reports its summary state.

import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { Engine } from '../engine.js';
import { Packet } from '../decode/packet.js';
import { NdjsonWriter } from '../output/writer.js';
import { auditorFor } from '../audit/setup.js';
import {
  C_FAILED, C_LEN, C_OPEN_FLOWS, C_SESSIONS, C_STATE, Channel, FREE, FULL, HEADER_BYTES, OUT_BYTES, R_BIG, R_DECODED, R_END_INPUT, R_FINISH, R_PACKET, R_REF, R_TICK, SLOT_BYTES, SLOTS,
  engineReport, pad8, type WorkerSetup,
} from './channel.js';
import { readDecoded } from './packet-record.js';

/** Longest a written document waits in this worker's batch (wall time, checked per slot). */
const FLUSH_MS = 500;

const setup = workerData as WorkerSetup & { port: MessagePort };
const ch = new Channel(setup);
const port = setup.port;

/** The output stream the worker's NdjsonWriter writes to: the ring, or a message when too large. */
const ringStream = {
  write(chunk: Buffer | string, cb?: () => void): boolean {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (b.length > OUT_BYTES / 2) port.postMessage({ lines: b });
    else if (b.length > 0) ch.writeOutput(b);
    cb?.();
    return true;
  },
  on(): unknown {
    return ringStream;
  },
} as unknown as NodeJS.WritableStream;

function run(): void {
  const auditor = auditorFor(setup.profile, setup.policy, { now: setup.now, warn: () => {} });
  const out = new NdjsonWriter(ringStream, 1 << 18);
  const flows = { ...(setup.maxFlows ? { maxFlows: setup.maxFlows } : {}), ...(setup.maxInspected ? { maxInspected: setup.maxInspected } : {}) };
  const engine = new Engine(out, { auditor, flows, logSizes: true });
  const decoded = new Packet();
  const chunks = setup.chunks.map((c) => Buffer.from(c));
  const { control, f64, u32, slots } = ch;
  let slot = 0;
  // the counters the reader shows (live commands): flows open, sessions written
  const publish = (): void => {
    Atomics.store(control, C_OPEN_FLOWS, engine.table.size | 0);
    Atomics.store(control, C_SESSIONS, engine.summary.sessions | 0);
  };
  // documents reach the reader at least this often even when few are written (a live
  // capture's slots come at least once a second): a batch waits at most ~FLUSH_MS
  let flushedAt = Date.now();
  for (;;) {
    while (Atomics.load(control, C_STATE + slot) !== FULL) Atomics.wait(control, C_STATE + slot, FREE, 1000);
    const base = slot * SLOT_BYTES;
    const end = base + Atomics.load(control, C_LEN + slot);
    let finished = false;
    for (let p = base; p < end; ) {
      const kind = u32[p >> 2];
      const len = u32[(p >> 2) + 1];
      const frameNo = f64[(p >> 3) + 1];
      const tsSec = f64[(p >> 3) + 2];
      const q = p >> 2;
      if (kind === R_REF) engine.ingest(frameNo, chunks[u32[q + 9]], u32[q + 10], len, u32[q + 7], u32[q + 8], tsSec, u32[q + 6]);
      else if (kind === R_PACKET) engine.ingest(frameNo, slots, p + HEADER_BYTES, len, u32[q + 7], u32[q + 8], tsSec, u32[q + 6]);
      else if (kind === R_TICK) {
        engine.tick(tsSec, frameNo);
        publish();
      } else if (kind === R_END_INPUT) engine.endOfInput(frameNo);
      else if (kind === R_DECODED) {
        readDecoded(decoded, f64, slots, p + HEADER_BYTES);
        engine.ingestDecoded(decoded);
      } else if (kind === R_BIG) {
        // a record larger than a slot came by message, posted before this marker
        const m = receiveMessageOnPort(port)?.message as { bytes: Uint8Array } | undefined;
        if (m) {
          const b = Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength);
          engine.ingest(frameNo, b, 0, b.length, u32[q + 7], u32[q + 8], tsSec, u32[q + 6]);
        }
      } else if (kind === R_FINISH) finished = true;
      p += HEADER_BYTES + (kind === R_REF ? 0 : pad8(len));
    }
    publish();
    Atomics.store(control, C_STATE + slot, FREE);
    ch.ring();
    const now = Date.now();
    if (now - flushedAt >= FLUSH_MS) {
      out.flush();
      flushedAt = now;
    }
    slot = (slot + 1) % SLOTS;
    if (finished) break;
  }
  engine.endOfInput(); // flows of a finish without an end-of-input record
  out.flush();
  const report = engineReport(engine);
  parentPort!.postMessage({ report });
}

try {
  run();
} catch (e) {
  Atomics.store(ch.control, C_FAILED, 1);
  ch.ring();
  parentPort!.postMessage({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
}
