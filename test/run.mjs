#!/usr/bin/env node
// Runs every uvu suite under test/ (files named *.test.mjs) in one process per file
// and prints the closing line CI reads: `N passed, N failed[, N skipped]`.
//   node test/run.mjs [substring ...]   only files whose path contains one of them
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const filters = process.argv.slice(2);
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (name === 'node_modules' || name === 'fixtures') continue;
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.mjs')) files.push(p);
  }
})(join(root, 'test'));

let passed = 0;
let failed = 0;
let skipped = 0;
const broken = [];
for (const file of files) {
  const rel = relative(root, file);
  if (filters.length && !filters.some((f) => rel.includes(f))) continue;
  const r = spawnSync(process.execPath, [file], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 15 * 60_000 });
  process.stdout.write(r.stdout || '');
  process.stderr.write(r.stderr || '');
  const total = /Total:\s+(\d+)/.exec(r.stdout || '');
  const ok = /Passed:\s+(\d+)/.exec(r.stdout || '');
  const skip = /Skipped:\s+(\d+)/.exec(r.stdout || '');
  if (!total || !ok) {
    failed++;
    broken.push(`${rel}: exited ${r.status ?? r.signal} without a uvu summary`);
    continue;
  }
  const t = Number(total[1]);
  const p = Number(ok[1]);
  const s = skip ? Number(skip[1]) : 0;
  // uvu's Total counts the tests that ran (test.skip ones are only in Skipped)
  passed += p;
  skipped += s;
  failed += t - p;
  if (r.status !== 0 && t - p <= 0) {
    failed++;
    broken.push(`${rel}: exit ${r.status}`);
  }
}
for (const b of broken) console.log(`FAIL ${b}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed ? 1 : 0);
