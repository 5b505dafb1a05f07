#!/usr/bin/env node
// Capture reading only: pcap-parser (the npm package) against intransit's own reader, both
// counting packets of the same classic pcap. Figures are in-process wall time, median of runs.
//
//   node agent/bench/reader-vs-pcap-parser.mjs [--file F.pcap] [--profile mixed] [--size-mb 256] [--runs 3]
//
// Without --file the capture is generated (once; reused when present) with
// ../shared/tools/make-bench-pcap.mjs into /tmp/bench-<profile>-<size>.pcap.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const tools = resolve(repo, '../shared/tools');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
if (args.includes('--help') || args.includes('-h')) {
  console.log('usage: node agent/bench/reader-vs-pcap-parser.mjs [--file F.pcap] [--profile mixed|handshake] [--size-mb N] [--runs N]');
  process.exit(0);
}
const profile = opt('--profile', 'mixed');
const sizeMb = Number(opt('--size-mb', '256'));
const runs = Math.max(1, Number(opt('--runs', '3')));
let file = opt('--file', null);

if (!file) {
  file = `/tmp/bench-${profile}-${sizeMb}.pcap`;
  if (!existsSync(file) || statSync(file).size === 0) {
    const gen = join(tools, 'make-bench-pcap.mjs');
    if (!existsSync(gen)) {
      console.error(`cannot find ${gen} (the shared tools are expected at ../shared/tools from the repo root)`);
      process.exit(2);
    }
    console.error(`generating ${file} ...`);
    const r = spawnSync(process.execPath, [gen, '--profile', profile, '--size-mb', String(sizeMb), '-o', file], { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) process.exit(2);
  }
}

let readCaptureFile;
try {
  ({ readCaptureFile } = await import(join(repo, 'agent/dist/capture/index.js')));
} catch {
  console.error('agent/dist/capture is missing: run `npm run build` first');
  process.exit(2);
}
let pcapParser;
try {
  pcapParser = createRequire(join(repo, 'package.json'))('pcap-parser');
} catch {
  console.error('pcap-parser is not installed: npm install --save-dev pcap-parser');
  process.exit(2);
}

const fileBytes = statSync(file).size;

function viaPcapParser() {
  return new Promise((resolveRun, reject) => {
    let packets = 0;
    const t0 = process.hrtime.bigint();
    const parser = pcapParser.parse(file);
    parser.on('packet', () => {
      packets++;
    });
    parser.on('error', reject);
    parser.on('end', () => resolveRun({ packets, seconds: Number(process.hrtime.bigint() - t0) / 1e9 }));
  });
}

function viaIntransit() {
  let packets = 0;
  const t0 = process.hrtime.bigint();
  readCaptureFile(file, () => {
    packets++;
  });
  return { packets, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const rows = [];
for (const [name, run] of [
  ['pcap-parser', viaPcapParser],
  ['intransit readCaptureFile', viaIntransit],
]) {
  const times = [];
  let packets = 0;
  for (let i = 0; i < runs; i++) {
    const r = await run();
    times.push(r.seconds);
    packets = r.packets;
  }
  const s = median(times);
  rows.push({ reader: name, packets, seconds: +s.toFixed(3), mpps: +(packets / s / 1e6).toFixed(2), gbitPerS: +((fileBytes * 8) / s / 1e9).toFixed(2) });
}

console.log(`file ${file}: ${fileBytes} bytes, median of ${runs} runs, node ${process.version}`);
console.log('reader                      packets     seconds   Mpps     Gbit/s');
for (const r of rows) {
  console.log(`${r.reader.padEnd(26)}  ${String(r.packets).padStart(9)}  ${r.seconds.toFixed(3).padStart(8)}  ${r.mpps.toFixed(2).padStart(7)}  ${r.gbitPerS.toFixed(2).padStart(8)}`);
}
if (rows[0].packets !== rows[1].packets) console.log(`WARNING: packet counts differ (${rows[0].packets} vs ${rows[1].packets})`);
console.log(`speed-up: ${(rows[0].seconds / rows[1].seconds).toFixed(1)}x`);
console.log(JSON.stringify({ file, fileBytes, runs, results: rows }));
