// Floods through the real CLI (`node agent/dist/cli.js replay F --ndjson`, default options):
// a million SYNs from random sources, 100 000 TLS handshakes stalled mid-ClientHello, a
// single flow sending a 16 MB handshake that never completes, and 16 MB of 0x16 0x03 0x03
// 0xff 0xff. Each must finish with peak RSS <= 300 MB (VmHWM, read by the peak-rss.cjs
// preload just before the process exits) and count what it had to give up in the summary
// (flows evicted, inspections shed) or in the session (handshake caps).
//
// INTRANSIT_FLOOD_LONG=1 runs bigger variants (4 M SYNs, 400 000 half-open handshakes,
// 64 MB handshakes): minutes, not for every npm test.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeFlood } from './make-flood.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'agent', 'dist', 'cli.js');
const preload = join(root, 'test', 'floods', 'peak-rss.cjs');
const LONG = process.env.INTRANSIT_FLOOD_LONG === '1';
const LIMIT_KB = 300 * 1024;
const SIZES = LONG ? { syn: 4_000_000, halfOpen: 400_000, stream: 64 << 20 } : { syn: 1_000_000, halfOpen: 100_000, stream: 16 << 20 };

/**
 * Runs the CLI on a capture; documents are streamed (a million lines are never held):
 * `onDoc` sees the ones `want(line)` selects, the last line (the summary) is returned parsed.
 */
function replay(file, { want = null, onDoc = null } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--require', preload, cli, 'replay', file, '--ndjson', '--no-progress'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let carry = '';
    let last = '';
    let lines = 0;
    let err = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      const parts = (carry + chunk).split('\n');
      carry = parts.pop();
      for (const line of parts) {
        if (!line) continue;
        lines++;
        last = line;
        if (onDoc && want(line)) onDoc(JSON.parse(line));
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const peak = /intransit-peak-rss-kb (\d+)/.exec(err);
      resolve({ code, err, lines, summary: last ? JSON.parse(last) : null, peakKb: peak ? Number(peak[1]) : null });
    });
  });
}

function report(name, r, extra = '') {
  const s = r.summary?.intransit?.summary;
  console.log(`  ${name}: peak RSS ${(r.peakKb / 1024).toFixed(0)} MB, ${s?.packets} packets, ${s?.sessions} sessions, flows ${JSON.stringify(s?.flows)}${extra}`);
}

function checkRun(r) {
  assert.is(r.code, 0, r.err.slice(-500));
  assert.ok(r.peakKb !== null, `no peak RSS reported (is /proc mounted?): ${r.err.slice(-300)}`);
  assert.ok(r.peakKb <= LIMIT_KB, `peak RSS ${(r.peakKb / 1024).toFixed(0)} MB > 300 MB`);
  assert.is(r.summary.event.dataset, 'intransit.summary');
}

test(`${SIZES.syn} SYNs from random sources: flat memory, the flows beyond the cap evicted and counted`, async () => {
  const { path, packets } = makeFlood('syn', SIZES.syn);
  try {
    const r = await replay(path);
    report('SYN flood', r);
    checkRun(r);
    const s = r.summary.intransit.summary;
    assert.is(s.packets, packets);
    assert.is(s.sessions, SIZES.syn); // every SYN is a flow of its own, reported once
    assert.is(s.flows.created, SIZES.syn);
    // the table holds at most its cap: everything beyond was evicted (oldest first) and counted
    assert.ok(s.flows.peak < SIZES.syn, `peak ${s.flows.peak}`);
    assert.is(s.flows.evicted, SIZES.syn - s.flows.peak);
  } finally {
    rmSync(path, { force: true });
  }
});

test(`${SIZES.halfOpen} TLS handshakes stalled mid-ClientHello: inspections beyond the budget shed and counted`, async () => {
  const { path, packets } = makeFlood('half-open', SIZES.halfOpen);
  try {
    let shedDocs = 0;
    let tlsDocs = 0;
    const r = await replay(path, {
      want: (l) => l.includes('"intransit.session"'),
      onDoc: (d) => {
        if (d.network.protocol === 'tls') tlsDocs++;
        if (d.intransit.flow.inspection_shed) shedDocs++;
      },
    });
    report('half-open TLS', r, `, ${shedDocs} sessions shed`);
    checkRun(r);
    const s = r.summary.intransit.summary;
    assert.is(s.packets, packets);
    assert.is(s.sessions, SIZES.halfOpen);
    // still identified as TLS, shed or not
    assert.is(tlsDocs, SIZES.halfOpen);
    assert.ok(s.flows.inspection_shed > 0, JSON.stringify(s.flows));
    assert.is(shedDocs, s.flows.inspection_shed);
  } finally {
    rmSync(path, { force: true });
  }
});

test(`one flow sending a ${SIZES.stream >> 20} MB handshake that never completes: skipped by length, the cap noted`, async () => {
  const { path } = makeFlood('handshake', SIZES.stream);
  try {
    let session = null;
    const r = await replay(path, { want: (l) => l.includes('"intransit.session"'), onDoc: (d) => (session = d) });
    report('16 MB handshake', r);
    checkRun(r);
    assert.is(session.network.protocol, 'tls');
    assert.is(session.tls.client.server_name, 'flood.example.test');
    assert.ok(session.intransit.tls.malformed.includes('handshake-message-too-large'), JSON.stringify(session.intransit.tls));
    assert.is(r.summary.intransit.summary.sessions, 1);
  } finally {
    rmSync(path, { force: true });
  }
});

test(`one flow sending ${SIZES.stream >> 20} MB of 16 03 03 ff ff: not TLS (record too long), nothing buffered`, async () => {
  const { path } = makeFlood('raw16', SIZES.stream);
  try {
    let session = null;
    const r = await replay(path, { want: (l) => l.includes('"intransit.session"'), onDoc: (d) => (session = d) });
    report('16 MB of 16 03 03 ff ff', r);
    checkRun(r);
    assert.is(session.network.protocol, 'unknown');
    assert.is(session.source.packets, Math.ceil(SIZES.stream / 1448) + 2);
  } finally {
    rmSync(path, { force: true });
  }
});

test.run();
