// One fuzz case, built and run in-process: records (mutated from a seed, or generated) go
// through the real Engine with an in-memory sink; file cases go through the real capture
// parser (chunked at random, as standard input delivers them) into the Engine. The case's
// outcome lists every invariant broken:
//   crash          an exception escaped the pipeline
//   fault          a parser's last-resort guard swallowed an exception (faults.mjs)
//   output         a document breaks the contract, or packets are unaccounted for (check.mjs)
//   slow           one engine.packet call took longer than the per-packet bound
//   overread       the output changed with the bytes lying after the captured frame
//   reader         the chunked and the one-piece parse of a file disagree, or a file was
//                  declared unusable after packets had been delivered

import { performance } from 'node:perf_hooks';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../../../agent/dist/engine.js';
import { ArraySink } from '../../../agent/dist/output/writer.js';
import { CaptureParser } from '../../../agent/dist/capture/parser.js';
import { ChunkFeeder } from '../../../agent/dist/capture/feeder.js';
import { CaptureError } from '../../../agent/dist/capture/types.js';
import { Rng, caseSeed } from './rng.mjs';
import { mutateFrame, mutateSequence, mutateFile } from './mutate.mjs';
import { tlsFlow, quicFlow, dtlsFlow, randomPcapng } from './generate.mjs';
import { checkDocuments } from './check.mjs';
import { resetFaults, takeFaults, describe } from './faults.mjs';
import { writeCapture } from './bytes.mjs';
import { knownIssue } from '../known-issues.mjs';

export const KINDS = { packets: 50, file: 10, tls: 14, quic: 9, dtls: 9, tunnel: 5, pcapng: 3 };
const WINDOW = 300;

/**
 * Builds case `index` of a run seeded `seed`: {kind, records} or {kind, file}; `mutated`
 * counts the frames a mutation touched, `generated` those built from scratch.
 */
export function buildCase(material, seed, index, kinds = KINDS) {
  const c = buildInputs(material, seed, index, kinds);
  // a quarter of the cases run with tiny tables: eviction, recycled flows and shed
  // inspections on every few packets
  const rng = new Rng(caseSeed(seed, index) ^ 0x5bd1e995);
  if (rng.chance(0.25)) c.flows = { maxFlows: rng.range(1, 8), maxInspected: rng.range(1, 4) };
  return c;
}

function buildInputs(material, seed, index, kinds) {
  const rng = new Rng(caseSeed(seed, index));
  const kind = rng.weighted(kinds);
  const { seeds, certs } = material;
  const pool = seeds.length ? rng.pick(seeds).records : [];
  if (kind === 'packets') {
    const s = rng.pick(seeds);
    const n = Math.min(s.records.length, rng.range(1, WINDOW));
    const start = rng.int(s.records.length - n + 1);
    let records = s.records.slice(start, start + n);
    const rate = rng.pick([0.05, 0.2, 0.5, 1]);
    let mutated = 0;
    records = records.map((r) => {
      if (!rng.chance(rate)) return r;
      mutated++;
      return mutateFrame(rng, r, pool);
    });
    if (rng.chance(0.5)) records = mutateSequence(rng, records);
    if (mutated === 0 && records.length) {
      const k = rng.int(records.length);
      records[k] = mutateFrame(rng, records[k], pool);
      mutated = 1;
    }
    return { kind, name: s.name, records, mutated, generated: 0 };
  }
  if (kind === 'file') {
    const withBytes = seeds.filter((x) => x.fileBytes);
    const s = rng.pick(withBytes);
    return { kind, name: s.name, file: mutateFile(rng, s.fileBytes), mutated: 0, generated: 0, rngSeed: rng.u32() };
  }
  if (kind === 'pcapng') return { kind, name: 'generated', file: randomPcapng(rng, pool.slice(0, 200)), mutated: 0, generated: 0, rngSeed: rng.u32() };
  let records;
  if (kind === 'tls') records = tlsFlow(rng, certs);
  else if (kind === 'quic') records = quicFlow(rng);
  else if (kind === 'dtls') records = dtlsFlow(rng);
  else records = tunnelCase(rng, certs);
  // generated flows get the same frame and sequence mutations, less often
  let mutated = 0;
  if (rng.chance(0.4)) {
    const rate = rng.pick([0.05, 0.2]);
    records = records.map((r) => {
      if (!rng.chance(rate)) return r;
      mutated++;
      return mutateFrame(rng, r, pool);
    });
  }
  if (rng.chance(0.3)) records = mutateSequence(rng, records);
  return { kind, name: 'generated', records, mutated, generated: records.length };
}

/** Several generated flows interleaved, all inside tunnel stacks. */
function tunnelCase(rng, certs) {
  const flows = [];
  for (let i = rng.range(1, 3); i > 0; i--) flows.push(rng.pick([tlsFlow, quicFlow, dtlsFlow])(rng, certs));
  const out = [];
  while (flows.some((f) => f.length)) {
    const f = rng.pick(flows.filter((x) => x.length));
    out.push(f.shift());
  }
  return out;
}

/** Runs records through a fresh Engine; `tail` fills the bytes after each frame. */
function runRecords(records, budgetMs, tail = 0, flows = undefined) {
  const sink = new ArraySink();
  const engine = new Engine(sink, { flows });
  let slowest = 0;
  let slowAt = -1;
  let crash = null;
  let buf = Buffer.alloc(0);
  try {
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      const len = r.data.length;
      // the frame inside a larger buffer, as a capture reader delivers it
      if (buf.length < len + 64) buf = Buffer.alloc(len + 1024);
      r.data.copy(buf, 0);
      buf.fill(tail, len, len + 64);
      const t0 = performance.now();
      engine.packet(buf, 0, len, r.origlen ?? len, r.lt, r.sec, r.nsec ?? 0);
      const dt = performance.now() - t0;
      if (dt > slowest) {
        slowest = dt;
        slowAt = i;
      }
    }
    engine.finish({ files: [] });
  } catch (err) {
    crash = err;
  }
  return { docs: sink.docs, packets: engine.packets, slowest, slowAt, crash };
}

/** Runs a capture file's bytes through the parser (random chunks) into a fresh Engine. */
function runFile(bytes, rngSeed, budgetMs, flows = undefined) {
  const rng = new Rng(rngSeed);
  const sink = new ArraySink();
  const engine = new Engine(sink, { flows });
  let slowest = 0;
  let slowAt = -1;
  const timed = (buf, off, caplen, origlen, lt, sec, nsec) => {
    const t0 = performance.now();
    engine.packet(buf, off, caplen, origlen, lt, sec, nsec);
    const dt = performance.now() - t0;
    if (dt > slowest) {
      slowest = dt;
      slowAt = engine.packets - 1;
    }
  };
  let crash = null;
  let unusable = null;
  let stats = null;
  try {
    const feeder = new ChunkFeeder(new CaptureParser(timed));
    for (let p = 0; p < bytes.length && !feeder.stopped; ) {
      const n = rng.chance(0.3) ? rng.range(1, 16) : rng.range(1, 65536);
      feeder.push(bytes.subarray(p, p + n));
      p += n;
    }
    stats = feeder.finish();
    engine.finish({ files: [{ format: stats.format, packets: stats.packets, truncated: stats.truncated, warnings: stats.warnings }] });
  } catch (err) {
    if (err instanceof CaptureError) unusable = err;
    else crash = err;
  }
  return { docs: sink.docs, packets: engine.packets, slowest, slowAt, crash, unusable, stats };
}

/** The same bytes parsed in one piece, counting packets only. */
function wholeParse(bytes) {
  let packets = 0;
  const parser = new CaptureParser(() => packets++);
  try {
    const used = parser.parse(bytes, 0, bytes.length);
    const stats = parser.finish(parser.stopped ? 0 : bytes.length - used);
    return { packets, truncated: stats.truncated, unusable: null };
  } catch (err) {
    if (err instanceof CaptureError) return { packets, truncated: true, unusable: err };
    return { packets, crash: err };
  }
}

/**
 * Runs one built case; returns {failures: [{type, message}], packets, slowest}.
 * `overread`: also run it with other bytes after every frame and compare the output.
 */
export function runCase(c, { budgetMs = 50, overread = false } = {}) {
  const failures = [];
  resetFaults();
  let r;
  if (c.records) r = runRecords(c.records, budgetMs, 0, c.flows);
  else {
    r = runFile(c.file, c.rngSeed, budgetMs, c.flows);
    const whole = wholeParse(c.file);
    if (whole.crash) failures.push({ type: 'crash', message: describe('capture parser (one piece)', whole.crash) });
    else if (!r.crash) {
      const chunked = r.unusable ? { packets: r.packets, unusable: r.unusable } : { packets: r.stats.packets, unusable: null };
      if (whole.packets !== chunked.packets || !!whole.unusable !== !!chunked.unusable)
        failures.push({ type: 'reader', message: `one-piece parse: ${whole.packets} packets${whole.unusable ? ` then "${whole.unusable.message}"` : ''}; chunked: ${chunked.packets}${chunked.unusable ? ` then "${chunked.unusable.message}"` : ''}` });
    }
    if (r.unusable && r.packets > 0) failures.push({ type: 'reader', message: `input declared unusable ("${r.unusable.message}") after ${r.packets} packets were delivered` });
  }
  if (r.crash) failures.push({ type: 'crash', message: describe('engine', r.crash) });
  for (const f of takeFaults()) failures.push({ type: 'fault', message: f });
  if (!r.crash && !r.unusable) for (const v of checkDocuments(r.docs, r.packets)) failures.push({ type: 'output', message: v });
  // a slow packet must be slow again: a garbage collection or a busy machine is not a hang
  let slowest = r.slowest;
  let slowAt = r.slowAt;
  let outlier = false;
  for (let again = 0; again < 2 && slowest > budgetMs && !r.crash; again++) {
    const rerun = c.records ? runRecords(c.records, budgetMs, 0, c.flows) : runFile(c.file, c.rngSeed, budgetMs, c.flows);
    takeFaults();
    if (rerun.slowest < slowest) {
      slowest = rerun.slowest;
      slowAt = rerun.slowAt;
      outlier = true;
    }
  }
  if (slowest > budgetMs) failures.push({ type: 'slow', message: `packet ${slowAt + 1} took ${slowest.toFixed(1)} ms (bound ${budgetMs} ms)` });
  if (overread && c.records && !r.crash) {
    const other = runRecords(c.records, budgetMs, 0xa5, c.flows);
    takeFaults();
    const a = JSON.stringify(r.docs);
    const b = JSON.stringify(other.docs);
    if (a !== b) failures.push({ type: 'overread', message: `output depends on bytes past the captured length: ${firstDifference(a, b)}` });
  }
  // failures in code owned elsewhere and listed in known-issues.mjs are set apart
  const known = [];
  const own = [];
  for (const f of failures) {
    const k = knownIssue(f);
    if (k) known.push({ ...f, known: k.id });
    else own.push(f);
  }
  return { failures: own, known, packets: r.packets, slowest, slowAt, outlier: outlier ? r.slowest : 0 };
}

function firstDifference(a, b) {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `…${a.slice(Math.max(0, i - 80), i + 40)}… vs …${b.slice(Math.max(0, i - 80), i + 40)}…`;
}

/** The signature two failures must share to be "the same bug" (minimizer, dedup). */
export function signature(f) {
  return `${f.type}:${f.message.replace(/\d+(\.\d+)?/g, 'N').slice(0, 120)}`;
}

/**
 * Shrinks a failing record case to fewer records with the same failure signature (ddmin-like
 * chunk removal, bounded number of runs). Returns the records kept.
 */
export function minimize(records, sig, opts, maxRuns = 300) {
  let cur = records;
  let runs = 0;
  const fails = (recs) => {
    runs++;
    const r = runCase({ records: recs, flows: opts.flows }, opts);
    return r.failures.concat(r.known).some((f) => signature(f) === sig);
  };
  for (let chunk = Math.ceil(cur.length / 2); chunk >= 1 && runs < maxRuns; ) {
    let removed = false;
    for (let i = 0; i < cur.length && runs < maxRuns; ) {
      const cand = cur.slice(0, i).concat(cur.slice(i + chunk));
      if (cand.length && fails(cand)) {
        cur = cand;
        removed = true;
      } else i += chunk;
    }
    if (!removed) chunk = Math.floor(chunk / 2);
  }
  return cur;
}

/** Writes a case as a capture file in `dir` (records: pcap or pcapng; file cases: their bytes). */
export function saveCase(c, dir, base) {
  mkdirSync(dir, { recursive: true });
  if (c.records) {
    const { ext, bytes } = writeCapture(c.records);
    const p = join(dir, `${base}.${ext}`);
    writeFileSync(p, bytes);
    return p;
  }
  const m = c.file.length >= 4 ? c.file.readUInt32BE(0) : 0;
  const p = join(dir, `${base}.${m === 0x0a0d0d0a ? 'pcapng' : 'pcap'}`);
  writeFileSync(p, c.file);
  return p;
}
