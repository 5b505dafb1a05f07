// The fuzz loop, run in a worker thread so that the runner (runner.mjs) can stop a case that
// hangs or exhausts its heap. The current case number is published in a shared Int32Array
// (the runner's watchdog reads it); failures, saved cases and the final tally are messages.

import { parentPort, workerData } from 'node:worker_threads';
import { loadSeeds } from './seeds.mjs';
import { installFaultHooks } from './faults.mjs';
import { buildCase, runCase, minimize, signature, saveCase } from './harness.mjs';

const { seed, start, end, deadline, budgetMs, overreadEvery, dirs, outDir, kinds, minimizeRuns, inject } = workerData;
const current = new Int32Array(workerData.shared);

installFaultHooks();
const material = loadSeeds(dirs);
parentPort.postMessage({ t: 'seeds', seeds: material.seeds.length, records: material.seeds.reduce((n, s) => n + s.records.length, 0), certs: material.certs.length, fingerprint: material.fingerprint });

const tally = { cases: 0, packets: 0, mutated: 0, generated: 0, fileCases: 0, byKind: {}, known: {}, outliers: 0, worstOutlier: 0, slowest: 0, slowestCase: -1, peakHeap: 0, peakRss: 0 };
const seen = new Set();
let lastReport = Date.now();

for (let i = start; i < end; i++) {
  if (deadline && Date.now() >= deadline) break;
  Atomics.store(current, 0, i);
  // self-test of the runner's watchdog (fuzz.test.mjs): a case that hangs, or eats the heap
  if (inject?.hang === i) for (;;);
  if (inject?.oom === i) for (const hog = []; ; ) hog.push(new Array(1e6).fill(i));
  let c;
  try {
    c = buildCase(material, seed, i, kinds);
  } catch (err) {
    // a bug of the fuzzer itself, not of the product: reported apart
    parentPort.postMessage({ t: 'harness', index: i, message: String(err?.stack ?? err) });
    continue;
  }
  const r = runCase(c, { budgetMs, overread: overreadEvery > 0 && i % overreadEvery === 0 });
  tally.cases++;
  tally.packets += r.packets;
  tally.mutated += c.mutated;
  tally.generated += c.generated;
  if (c.file) tally.fileCases++;
  tally.byKind[c.kind] = (tally.byKind[c.kind] ?? 0) + 1;
  if (r.outlier) {
    tally.outliers++;
    tally.worstOutlier = Math.max(tally.worstOutlier, r.outlier);
  }
  if (r.slowest > tally.slowest) {
    tally.slowest = r.slowest;
    tally.slowestCase = i;
  }
  for (const k of r.known) {
    if (tally.known[k.known] === undefined) {
      tally.known[k.known] = 0;
      let saved = null;
      if (outDir && c.records && minimizeRuns > 0) saved = saveCase({ records: minimize(c.records, signature(k), { budgetMs, flows: c.flows }, minimizeRuns) }, outDir, `known-${k.known}-${seed}-${i}`);
      parentPort.postMessage({ t: 'known', index: i, id: k.known, message: k.message, saved });
    }
    tally.known[k.known]++;
  }
  if (r.failures.length) {
    const fresh = r.failures.filter((f) => !seen.has(signature(f)));
    let saved = null;
    let minimized = null;
    if (fresh.length && outDir) {
      for (const f of fresh) seen.add(signature(f));
      saved = saveCase(c, outDir, `case-${seed}-${i}`);
      // slow packets are timing: minimize only deterministic failures
      const det = fresh.find((f) => f.type !== 'slow');
      if (c.records && det && minimizeRuns > 0) {
        const kept = minimize(c.records, signature(det), { budgetMs, flows: c.flows }, minimizeRuns);
        minimized = saveCase({ records: kept }, outDir, `case-${seed}-${i}-min`);
      }
    }
    parentPort.postMessage({ t: 'failure', index: i, kind: c.kind, name: c.name, flows: c.flows ?? null, failures: r.failures, fresh: fresh.length, saved, minimized });
  }
  if (i % 25 === 0) {
    const m = process.memoryUsage();
    if (m.heapUsed > tally.peakHeap) tally.peakHeap = m.heapUsed;
    if (m.rss > tally.peakRss) tally.peakRss = m.rss;
  }
  // the tally so far, for the runner to keep should this worker die on a later case
  if (i % 100 === 0 || Date.now() - lastReport > 5_000) {
    lastReport = Date.now();
    parentPort.postMessage({ t: 'progress', tally: { ...tally, byKind: { ...tally.byKind }, known: { ...tally.known } } });
  }
}
const m = process.memoryUsage();
tally.peakHeap = Math.max(tally.peakHeap, m.heapUsed);
tally.peakRss = Math.max(tally.peakRss, m.rss);
parentPort.postMessage({ t: 'done', tally });
