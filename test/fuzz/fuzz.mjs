#!/usr/bin/env node
// Fuzzer of the whole packet pipeline (capture parser → decoders → flow table → TCP
// reassembly → protocol parsers → documents), deterministic by seed.
//
//   node test/fuzz/fuzz.mjs [--seed S] (--minutes N | --iterations N) [--start K]
//        [--case K] [--budget-ms 50] [--heap-mb 512] [--out DIR] [--no-corpus] [--json]
//
//   --case K      replays case K of seed S alone (with --out: saves it), to reproduce a report
//   --out DIR     where failing cases are written (default: os.tmpdir()/intransit-fuzz-S)
//
// Prints what it ran (cases, packets, mutated packets), the slowest packet, the peak heap,
// and every failure; exit status 1 when any case failed. See lib/harness.mjs for the
// invariants checked and lib/mutate.mjs, lib/generate.mjs for what the cases are made of.

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runFuzz } from './lib/runner.mjs';
import { seedDirectories, loadSeeds } from './lib/seeds.mjs';
import { buildCase, runCase, saveCase, signature } from './lib/harness.mjs';
import { installFaultHooks } from './lib/faults.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const has = (name) => argv.includes(name);
if (has('-h') || has('--help')) {
  process.stdout.write((await import('node:fs')).readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 14).map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
  process.exit(0);
}
const seed = Number(opt('--seed', String(Date.now() % 1_000_000))) >>> 0;
const minutes = Number(opt('--minutes', '0'));
const iterations = Number(opt('--iterations', minutes ? '0' : '2000'));
const budgetMs = Number(opt('--budget-ms', '50'));
const heapLimitMb = Number(opt('--heap-mb', '512'));
const outDir = opt('--out', join(tmpdir(), `intransit-fuzz-${seed}`));
const dirs = has('--no-corpus') ? [join(root, 'captures')] : seedDirectories(root);

if (has('--case')) {
  // one case, in this thread: for reproducing and debugging a report
  const index = Number(opt('--case', '0'));
  installFaultHooks();
  const material = loadSeeds(dirs);
  const c = buildCase(material, seed, index);
  const r = runCase(c, { budgetMs, overread: true });
  console.log(`case ${index} of seed ${seed}: ${c.kind} (${c.name}), ${r.packets} packets, slowest ${r.slowest.toFixed(2)} ms`);
  for (const f of r.failures) console.log(`  ${f.type}: ${f.message}`);
  for (const f of r.known) console.log(`  known issue ${f.known}: ${f.type}: ${f.message}`);
  if (has('--out')) console.log(`saved ${saveCase(c, outDir, `case-${seed}-${index}`)}`);
  process.exit(r.failures.length ? 1 : 0);
}

const log = (line) => process.stderr.write(line + '\n');
log(`intransit fuzz: seed ${seed}, ${minutes ? `${minutes} min` : `${iterations} cases`}, per-packet bound ${budgetMs} ms, heap limit ${heapLimitMb} MB, failing cases to ${outDir}`);
const t = await runFuzz({ seed, minutes, iterations, start: Number(opt('--start', '0')), budgetMs, heapLimitMb, dirs, outDir, log, progress: true });
const mb = (b) => (b / 1048576).toFixed(0);
const lines = [
  `seeds: ${t.seeds?.seeds ?? 0} captures, ${t.seeds?.records ?? 0} records, ${t.seeds?.certs ?? 0} certificates (set ${t.seeds?.fingerprint ?? '-'})`,
  `cases: ${t.cases} (${Object.entries(t.byKind).map(([k, v]) => `${k} ${v}`).join(', ')}) in ${(t.elapsedMs / 1000).toFixed(0)} s`,
  `packets: ${t.packets} through the engine, ${t.mutated} mutated, ${t.generated} generated; ${t.fileCases} mutated or generated capture files`,
  `slowest packet: ${t.slowest.toFixed(2)} ms (case ${t.slowestCase}; ${t.outliers} one-off timing outliers over the bound, worst ${t.worstOutlier.toFixed(1)} ms, fast again when re-run); peak heap ${mb(t.peakHeap)} MB, peak RSS ${mb(t.peakRss)} MB`,
  `failing cases: ${t.failures.length}${t.harnessErrors.length ? `; fuzzer errors: ${t.harnessErrors.length}` : ''}`,
];
for (const [id, n] of Object.entries(t.known)) lines.push(`known issue (owned elsewhere, not counted): ${id} in ${n} cases`);
for (const l of lines) console.log(l);
const bySig = new Map();
for (const f of t.failures) for (const x of f.failures) if (!bySig.has(signature(x))) bySig.set(signature(x), { f, x });
for (const { f, x } of bySig.values()) console.log(`  case ${f.index}: ${x.type}: ${x.message.slice(0, 300)}${f.saved ? ` [${f.saved}]` : ''}`);
if (has('--json')) console.log(JSON.stringify({ seed, ...t, failures: t.failures.length }));
process.exit(t.failures.length || t.harnessErrors.length ? 1 : 0);
