// Runs the fuzz loop (worker.mjs) in a worker thread and watches it: a case that makes no
// progress for `hangMs` is a hang, a worker that runs out of its heap is a memory failure;
// either way the case is saved, reported, and the loop resumes with the next case in a new
// worker. Returns the tally of the whole run.

import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { loadSeeds } from './seeds.mjs';
import { buildCase, saveCase } from './harness.mjs';

const WORKER = fileURLToPath(new URL('./worker.mjs', import.meta.url));

/**
 * opts: seed, iterations (number of cases) or minutes, start (first case), budgetMs (per-packet
 * bound), heapLimitMb, hangMs, overreadEvery, dirs (seed directories), outDir (failing cases),
 * minimizeRuns, log (line printer), progress (periodic lines).
 */
export async function runFuzz(opts) {
  const { seed, budgetMs = 50, heapLimitMb = 512, hangMs = 20_000, overreadEvery = 8, dirs, outDir = null, minimizeRuns = 200, log = () => {}, progress = false, kinds, inject } = opts;
  const startAt = Date.now();
  const deadline = opts.minutes ? startAt + opts.minutes * 60_000 : 0;
  const last = opts.iterations ? (opts.start ?? 0) + opts.iterations : Number.MAX_SAFE_INTEGER;
  const total = { cases: 0, packets: 0, mutated: 0, generated: 0, fileCases: 0, byKind: {}, known: {}, outliers: 0, worstOutlier: 0, slowest: 0, slowestCase: -1, peakHeap: 0, peakRss: 0, failures: [], harnessErrors: [], seeds: null };
  let next = opts.start ?? 0;
  let lastLine = Date.now();
  while (next < last && (!deadline || Date.now() < deadline)) {
    const shared = new SharedArrayBuffer(4);
    const current = new Int32Array(shared);
    Atomics.store(current, 0, next);
    let partial = null;
    const outcome = await new Promise((resolve) => {
      const w = new Worker(WORKER, {
        workerData: { seed, start: next, end: last, deadline, budgetMs, overreadEvery, dirs, outDir, kinds, minimizeRuns, shared, inject },
        resourceLimits: { maxOldGenerationSizeMb: heapLimitMb },
      });
      let seen = -1;
      let since = Date.now();
      let loaded = false;
      const timer = setInterval(() => {
        const now = Atomics.load(current, 0);
        if (now !== seen || !loaded) {
          seen = now;
          since = Date.now();
          return;
        }
        if (Date.now() - since > hangMs) {
          clearInterval(timer);
          w.terminate();
          resolve({ hang: now });
        }
      }, 250);
      w.on('message', (m) => {
        if (m.t === 'seeds') {
          loaded = true;
          since = Date.now();
          total.seeds ??= m;
        } else if (m.t === 'failure') {
          total.failures.push(m);
          const limits = m.flows ? `, max-flows ${m.flows.maxFlows}, max-inspected ${m.flows.maxInspected}` : '';
          for (const f of m.failures) log(`case ${m.index} (${m.kind}, ${m.name}${limits}): ${f.type}: ${f.message}`);
          if (m.saved) log(`  saved ${m.saved}${m.minimized ? `, minimized ${m.minimized}` : ''}`);
        } else if (m.t === 'harness') {
          total.harnessErrors.push(m);
          log(`case ${m.index}: fuzzer error (not the product's): ${m.message.split('\n').slice(0, 3).join(' | ')}`);
        } else if (m.t === 'known') {
          log(`case ${m.index}: known issue ${m.id} (owned elsewhere, see known-issues.mjs): ${m.message.slice(0, 200)}${m.saved ? ` [${m.saved}]` : ''}`);
        } else if (m.t === 'progress') {
          partial = m.tally;
          if (progress && Date.now() - lastLine > 30_000) {
            lastLine = Date.now();
            log(`… ${m.tally.cases + total.cases} cases, ${m.tally.packets + total.packets} packets, ${total.failures.length} failing cases, ${Math.round((Date.now() - startAt) / 1000)} s`);
          }
        } else if (m.t === 'done') {
          clearInterval(timer);
          resolve({ tally: m.tally });
        }
      });
      w.on('error', (err) => {
        clearInterval(timer);
        resolve({ error: err, at: Atomics.load(current, 0) });
      });
      w.on('exit', (code) => {
        clearInterval(timer);
        resolve({ exit: code, at: Atomics.load(current, 0) });
      });
    });
    if (outcome.tally) {
      merge(total, outcome.tally);
      break;
    }
    // the worker died on case `at`: keep its tally so far, report and save the case, go on after it
    if (partial) merge(total, partial);
    const at = outcome.hang ?? outcome.at;
    const type = outcome.hang !== undefined ? 'hang' : outcome.error?.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'heap' : 'crash';
    const message = outcome.hang !== undefined ? `no progress for ${hangMs} ms` : outcome.error ? `${outcome.error.code ?? ''} ${outcome.error.message}` : `worker exited ${outcome.exit}`;
    let saved = null;
    if (outDir) {
      try {
        saved = saveCase(buildCase(loadSeeds(dirs), seed, at, kinds), outDir, `case-${seed}-${at}`);
      } catch (err) {
        log(`case ${at}: could not be saved: ${err.message}`);
      }
    }
    total.failures.push({ index: at, kind: '?', name: '?', failures: [{ type, message }], saved });
    log(`case ${at}: ${type}: ${message}${saved ? ` (saved ${saved})` : ''}`);
    total.cases++;
    next = at + 1;
  }
  total.elapsedMs = Date.now() - startAt;
  return total;
}

function merge(total, t) {
  for (const k of ['cases', 'packets', 'mutated', 'generated', 'fileCases', 'outliers']) total[k] += t[k];
  total.worstOutlier = Math.max(total.worstOutlier, t.worstOutlier);
  for (const [k, v] of Object.entries(t.byKind)) total.byKind[k] = (total.byKind[k] ?? 0) + v;
  for (const [k, v] of Object.entries(t.known ?? {})) total.known[k] = (total.known[k] ?? 0) + v;
  if (t.slowest > total.slowest) {
    total.slowest = t.slowest;
    total.slowestCase = t.slowestCase;
  }
  total.peakHeap = Math.max(total.peakHeap, t.peakHeap);
  total.peakRss = Math.max(total.peakRss, t.peakRss);
}
