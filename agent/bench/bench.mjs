#!/usr/bin/env node
// npm run bench: whole-process throughput of intransit against nDPI's ndpiReader and tshark
// on the same generated capture, plus the pure-JS ceiling for reference.
//
//   npm run bench -- [--profile mixed|handshake|mixed,handshake] [--size-mb N | N] [--seed S] [--runs N]
//                    [--workers N] [--file F.pcap]
//
// --workers N adds a row for `intransit replay --workers N` (flows sharded over N worker
// threads) and its ratio to the single engine. A comma-separated --profile runs each in turn.
//
// The capture is generated with ../shared/tools/make-bench-pcap.mjs into bench-out/ (reused
// when a file with the same parameters exists). Each tool runs --runs times (default 3); the
// table shows the median wall time, the throughput it means for the capture's frames
// (Gbit/s of captured frame bytes, Mpps) and the peak RSS. tshark, being far slower, reads a
// slice of the first 64 MB. Nothing is installed.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const tools = resolve(repo, '../shared/tools');
const outDir = join(repo, 'bench-out');
const SLICE_BYTES = 64 * 1024 * 1024;

// ---------------------------------------------------------------- arguments
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log('usage: npm run bench -- [--profile mixed|handshake|mixed,handshake] [--size-mb N | N] [--seed S] [--runs N] [--workers N] [--file F.pcap]');
  process.exit(0);
}
function opt(name, dflt) {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  if (i + 1 >= args.length) fail(`${name} needs a value`);
  return args[i + 1];
}
const profile = opt('--profile', 'mixed');
const bareSize = args.find((a, i) => /^\d+$/.test(a) && (i === 0 || !args[i - 1].startsWith('--')));
const sizeMb = Number(opt('--size-mb', bareSize ?? '256'));
const seed = opt('--seed', '1');
const runs = Math.max(1, Number(opt('--runs', '3')));
const givenFile = opt('--file', null);
const workers = Number(opt('--workers', '1'));
if (!(Number.isInteger(workers) && workers >= 1)) fail('--workers must be a whole number >= 1');
if (profile.includes(',')) {
  // one run per profile, each printing its own table
  for (const p of profile.split(',')) {
    const rest = [...args];
    rest[rest.indexOf('--profile') + 1] = p;
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...rest], { stdio: 'inherit' });
    if (r.status !== 0) process.exit(r.status ?? 1);
  }
  process.exit(0);
}
if (!['mixed', 'handshake'].includes(profile)) fail(`unknown profile ${profile} (mixed or handshake)`);
if (!(sizeMb > 0)) fail('--size-mb must be a positive number');

function fail(message) {
  console.error(`bench: ${message}`);
  process.exit(2);
}

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

// ---------------------------------------------------------------- the capture
if (!existsSync(tools)) fail(`shared tools not found at ${tools} (expected ../shared/tools next to the repository)`);
mkdirSync(outDir, { recursive: true });
let capture = givenFile ? resolve(givenFile) : join(outDir, `${profile}-${sizeMb}mb-seed${seed}.pcap`);
if (!givenFile && !(existsSync(capture) && statSync(capture).size > 0)) {
  console.error(`generating ${capture} ...`);
  const r = spawnSync(
    process.execPath,
    [join(tools, 'make-bench-pcap.mjs'), '--profile', profile, '--size-mb', String(sizeMb), '--seed', seed, '-o', capture + '.part'],
    { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' },
  );
  if (r.status !== 0) fail(`make-bench-pcap.mjs failed: ${(r.stderr || '').trim().split('\n').pop()}`);
  spawnSync('mv', [capture + '.part', capture]);
}
if (!existsSync(capture)) fail(`no such capture: ${capture}`);

/**
 * Walks a classic pcap's records: counts packets and captured frame bytes, and when `out` is
 * given copies the global header and the whole records that fit in `limit` bytes into it.
 */
function walkPcap(file, limit = Infinity, out = null) {
  const fd = openSync(file, 'r');
  const wfd = out ? openSync(out, 'w') : -1;
  const buf = Buffer.allocUnsafe(8 << 20);
  try {
    let have = readSync(fd, buf, 0, buf.length, null);
    if (have < 24) fail(`${file} is not a classic pcap`);
    const m = buf.readUInt32BE(0);
    const le = m === 0xd4c3b2a1 || m === 0x4d3cb2a1;
    if (!le && m !== 0xa1b2c3d4 && m !== 0xa1b23c4d) return null;
    const rd = (p) => (le ? buf.readUInt32LE(p) : buf.readUInt32BE(p));
    let written = 24;
    if (wfd >= 0) writeSync(wfd, buf, 0, 24);
    let p = 24;
    let packets = 0;
    let frameBytes = 0;
    for (;;) {
      while (have - p >= 16 && have - p >= 16 + rd(p + 8)) {
        const rec = 16 + rd(p + 8);
        if (written + rec > limit) return { packets, frameBytes, fileBytes: written };
        if (wfd >= 0) writeSync(wfd, buf, p, rec);
        written += rec;
        packets++;
        frameBytes += rec - 16;
        p += rec;
      }
      buf.copyWithin(0, p, have);
      have -= p;
      p = 0;
      const n = readSync(fd, buf, have, buf.length - have, null);
      if (n === 0) return { packets, frameBytes, fileBytes: written };
      have += n;
    }
  } finally {
    closeSync(fd);
    if (wfd >= 0) closeSync(wfd);
  }
}

async function countAny(file) {
  const walked = walkPcap(file);
  if (walked) return walked;
  // pcapng (given with --file): use intransit's reader
  const { readCaptureFile } = await import(join(repo, 'agent/dist/capture/index.js'));
  const st = readCaptureFile(file, () => {});
  return { packets: st.packets, frameBytes: st.capturedBytes, fileBytes: st.fileBytes };
}

const full = await countAny(capture);
full.file = capture;

// ---------------------------------------------------------------- measuring a process
const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

/** Runs cmd once with stdout to /dev/null; returns wall seconds and peak RSS (KiB). */
function measure(cmd, cmdArgs) {
  return new Promise((done) => {
    const devnull = openSync('/dev/null', 'w');
    const rssFile = join(tmpdir(), `intransit-bench-rss-${process.pid}`);
    const argv = timeBin ? [timeBin, '-f', '%M', '-o', rssFile, cmd, ...cmdArgs] : [cmd, ...cmdArgs];
    const t0 = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', devnull, 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr = (stderr + d).slice(-4000);
    });
    let hwm = 0;
    const poll = timeBin
      ? null
      : setInterval(() => {
          try {
            const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
            if (m) hwm = Math.max(hwm, Number(m[1]));
          } catch {
            /* exited */
          }
        }, 10);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (poll) clearInterval(poll);
      closeSync(devnull);
      let rssKb = hwm;
      if (timeBin) {
        try {
          rssKb = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop());
          rmSync(rssFile);
        } catch {
          rssKb = NaN;
        }
      }
      done({ code, seconds, rssKb, stderr });
    });
    child.on('error', (err) => done({ code: -1, seconds: NaN, rssKb: NaN, stderr: String(err) }));
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Reads a file through the page cache before a run, so that every tool starts with it hot
 * (this machine's memory manager may page out cold page-cache pages between runs).
 */
function warm(file) {
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(8 << 20);
  try {
    while (readSync(fd, buf, 0, buf.length, null) > 0);
  } finally {
    closeSync(fd);
  }
}

const rows = [];
async function bench(name, input, cmd, cmdArgs) {
  process.stderr.write(`${name}: ${runs} run(s) ... `);
  const times = [];
  let rss = 0;
  for (let i = 0; i < runs; i++) {
    warm(input.file);
    const r = await measure(cmd, cmdArgs);
    if (r.code !== 0) {
      const last = r.stderr.trim().split('\n').pop();
      process.stderr.write('failed\n');
      rows.push({ name, input: basename(input.file), error: `exit ${r.code}: ${last}` });
      return;
    }
    times.push(r.seconds);
    rss = Math.max(rss, r.rssKb);
  }
  const seconds = median(times);
  process.stderr.write(`${seconds.toFixed(2)} s\n`);
  rows.push({
    name,
    input: basename(input.file),
    packets: input.packets,
    frameMB: +(input.frameBytes / 1e6).toFixed(1),
    seconds: +seconds.toFixed(3),
    gbitPerS: +((input.frameBytes * 8) / seconds / 1e9).toFixed(3),
    mpps: +(input.packets / seconds / 1e6).toFixed(3),
    peakRssMB: +(rss / 1024).toFixed(1),
  });
}

// ---------------------------------------------------------------- the runs
const cli = join(repo, 'agent/dist/cli.js');
let concurrentCeiling = null;
if (existsSync(cli)) {
  await bench('intransit', full, process.execPath, [cli, 'replay', capture, '--ndjson', '--no-progress']);
  if (workers > 1) {
    await bench(`intransit --workers ${workers}`, full, process.execPath, [cli, 'replay', capture, '--ndjson', '--no-progress', '--workers', String(workers)]);
    // what this machine allows: N independent single-engine replays at once against one
    // alone. One engine keeps more than a core busy (V8's garbage collector and compiler
    // threads), so on a machine with N cores this bounds any N-way sharding.
    process.stderr.write(`${workers} single-engine replays at once: ${runs} run(s) ... `);
    const times = [];
    for (let i = 0; i < runs; i++) {
      warm(full.file);
      const t0 = process.hrtime.bigint();
      const all = await Promise.all(Array.from({ length: workers }, () => measure(process.execPath, [cli, 'replay', capture, '--ndjson', '--no-progress'])));
      if (all.some((r) => r.code !== 0)) break;
      times.push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
    const single = rows.find((r) => r.name === 'intransit' && !r.error);
    if (single && times.length === runs) {
      const seconds = median(times);
      process.stderr.write(`${seconds.toFixed(2)} s\n`);
      concurrentCeiling = { engines: workers, seconds: +seconds.toFixed(3), ratio: +((workers * single.seconds) / seconds).toFixed(2) };
    } else process.stderr.write('failed\n');
  }
} else rows.push({ name: 'intransit', input: basename(capture), error: 'agent/dist/cli.js missing: run npm run build' });

const missing = ['ndpiReader', 'tshark'].filter((c) => !have(c));
if (missing.length) console.error(`${missing.join(' and ')} not found: apt-get install libndpi-bin tshark (measuring the rest)`);

if (!missing.includes('ndpiReader')) await bench('ndpiReader', full, 'ndpiReader', ['-i', capture, '-q']);

if (!missing.includes('tshark')) {
  let slice = { ...full };
  if (full.fileBytes > SLICE_BYTES) {
    const sliceFile = capture.replace(/(\.pcap)?$/, '-first64mb.pcap');
    const walked = walkPcap(capture, SLICE_BYTES, sliceFile);
    if (walked) slice = { ...walked, file: sliceFile };
    else {
      console.error('tshark: the 64 MB slice is only made from classic pcap; giving tshark the whole capture');
    }
  }
  await bench('tshark (TLS hellos)', slice, 'tshark', [
    '-n',
    '-r',
    slice.file,
    '-Y',
    'tls.handshake.type==1 or tls.handshake.type==2',
    '-T',
    'fields',
    '-e',
    'tls.handshake.type',
    '-e',
    'tls.handshake.extensions_server_name',
  ]);
}

const ceiling = join(tools, 'js-ceiling.mjs');
if (existsSync(ceiling) && walkPcap(capture, 64) !== null) {
  await bench('js-ceiling flows (reference)', full, process.execPath, [ceiling, 'flows', capture]);
}

// ---------------------------------------------------------------- report
const mb = (full.fileBytes / 1e6).toFixed(1);
console.log(`\ncapture ${capture}: ${full.packets} packets, ${mb} MB (${(full.frameBytes / 1e6).toFixed(1)} MB of frames), profile ${givenFile ? 'given' : profile}`);
console.log(`median wall time of ${runs} run(s) per tool, whole process; Gbit/s and Mpps of the captured frames; peak RSS ${timeBin ? 'from /usr/bin/time' : 'from VmHWM'}`);
console.log(`${'tool'.padEnd(30)} ${'input'.padEnd(34)} ${'packets'.padStart(9)} ${'wall s'.padStart(8)} ${'Gbit/s'.padStart(8)} ${'Mpps'.padStart(7)} ${'RSS MB'.padStart(8)}`);
for (const r of rows) {
  if (r.error) console.log(`${r.name.padEnd(30)} ${r.input.padEnd(34)} ${r.error}`);
  else
    console.log(
      `${r.name.padEnd(30)} ${r.input.padEnd(34)} ${String(r.packets).padStart(9)} ${r.seconds.toFixed(2).padStart(8)} ${r.gbitPerS.toFixed(2).padStart(8)} ${r.mpps.toFixed(2).padStart(7)} ${r.peakRssMB.toFixed(0).padStart(8)}`,
    );
}
const byName = (n) => rows.find((r) => r.name.startsWith(n) && !r.error);
const ours = byName('intransit');
const ratios = {};
const sharded = rows.find((r) => r.name.startsWith('intransit --workers') && !r.error);
if (ours && sharded) {
  ratios.workers = +(sharded.gbitPerS / ours.gbitPerS).toFixed(2);
  console.log(`throughput ${sharded.name} / single engine: ${ratios.workers}x; peak RSS ${sharded.peakRssMB.toFixed(0)} MB`);
}
if (concurrentCeiling) {
  ratios.machineCeiling = concurrentCeiling.ratio;
  console.log(
    `this machine's ceiling for ${concurrentCeiling.engines} engines: ${concurrentCeiling.ratio}x (${concurrentCeiling.engines} independent single-engine replays at once took ${concurrentCeiling.seconds.toFixed(2)} s, one alone ${ours.seconds.toFixed(2)} s)`,
  );
}
if (ours) {
  for (const [label, other] of [
    ['ndpiReader', byName('ndpiReader')],
    ['tshark', byName('tshark')],
  ]) {
    if (!other) continue;
    ratios[label] = +(ours.gbitPerS / other.gbitPerS).toFixed(2);
    console.log(`throughput intransit/${label}: ${ratios[label]}x (>1: intransit faster); peak RSS intransit/${label}: ${(ours.peakRssMB / other.peakRssMB).toFixed(2)}x`);
  }
}
const result = { date: new Date().toISOString(), node: process.version, cores: (await import('node:os')).availableParallelism(), capture: { ...full, profile: givenFile ? null : profile, sizeMb, seed }, runs, workers, rows, ratios, concurrentCeiling };
writeFileSync(join(outDir, 'last-bench.json'), JSON.stringify(result, null, 1) + '\n');
console.log(JSON.stringify(result));
