// A WebSocket client that never reads must not grow the agent's memory while 100 000
// sessions stream: the agent (`intransit serve`) is measured from outside (/proc RSS)
// and from inside (/api/health heap) while another agent replays a capture of
// 100 000 connections into the same database.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import WebSocket from 'ws';
import Database from 'better-sqlite3';
import { openDatabase } from '../../agent/dist/store/index.js';
import { tempDir, httpSessionsPcap, startCli, request, rssOf, CLI, ROOT } from './helpers.mjs';

const SESSIONS = 100_000;
const MB = 1024 * 1024;

/** Replays `pcap` into the database while sampling the agent; resolves when the feed caught up. */
async function stream(agent, url, dbFile, pcap, done) {
  const health = async () => (await request(`${url}api/health`)).json;
  const t0 = Date.now();
  const replay = spawn(process.execPath, [CLI, 'replay', pcap, `--db=${dbFile}`, '--no-progress'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let replayErr = '';
  replay.stderr.on('data', (d) => (replayErr += d));
  let replayCode = null;
  replay.on('exit', (code) => (replayCode = code));
  const first = await health();
  const peak = { rss: rssOf(agent.pid), heap: first.heap_used_bytes };
  const samples = [];
  const ro = new Database(dbFile, { readonly: true });
  let last;
  try {
    for (;;) {
      await new Promise((r) => setTimeout(r, 250));
      const h = await health();
      const rss = rssOf(agent.pid);
      peak.rss = Math.max(peak.rss, rss);
      peak.heap = Math.max(peak.heap, h.heap_used_bytes);
      samples.push({ t: Date.now() - t0, rss, heap: h.heap_used_bytes, fed: h.last_session_id });
      last = h;
      if (replayCode !== null && replayCode !== 0) assert.unreachable(`the replay failed (${replayCode}): ${replayErr}`);
      const stored = ro.prepare('SELECT max(id) AS n FROM sessions').get().n;
      if (replayCode === 0 && h.last_session_id >= stored && done()) break;
      if (Date.now() - t0 > 6 * 60_000) assert.unreachable(`timed out: replay ${replayCode}, fed ${h.last_session_id}/${stored}: ${replayErr}`);
    }
  } finally {
    ro.close();
  }
  return { peak, samples, last, seconds: (Date.now() - t0) / 1000 };
}

const fig = (n) => `${(n / MB).toFixed(1)} MB`;
function show(label, r, base) {
  const every = Math.max(1, Math.floor(r.samples.length / 8));
  console.log(`  ${label}: ${r.seconds.toFixed(1)} s; RSS peak ${fig(r.peak.rss)} (+${fig(r.peak.rss - base.rss)} over the idle agent), heap peak ${fig(r.peak.heap)} (+${fig(r.peak.heap - base.heap)})`);
  console.log(`    samples (s: RSS MB / heap MB / sessions fed): ${r.samples.filter((_, i) => i % every === 0).map((x) => `${(x.t / 1000).toFixed(0)}: ${(x.rss / MB).toFixed(0)}/${(x.heap / MB).toFixed(0)}/${x.fed}`).join(', ')}`);
}

test(`a stalled WebSocket client while ${SESSIONS} sessions stream: memory stays bounded`, async () => {
  const dir = tempDir();
  const dbFile = join(dir, 'mem.db');
  openDatabase(dbFile).close();
  const pcap = httpSessionsPcap(join(dir, 'many.pcap'), SESSIONS);
  const { child: agent, match } = await startCli(['serve', '--db', dbFile, '--listen', '127.0.0.1:0', '--slow-client-s', '8'], /serving the viewer at (http:\/\/\S+)/);
  const url = match[1];
  const wsUrl = url.replace('http', 'ws') + 'ws';
  try {
    await new Promise((r) => setTimeout(r, 1000));
    const base = { rss: rssOf(agent.pid), heap: (await request(`${url}api/health`)).json.heap_used_bytes };

    // phase 1, the reference: the same stream with no client at all
    const idle = await stream(agent, url, dbFile, pcap, () => true);

    // phase 2: a client whose socket is never read after the handshake, and one that keeps up
    const stalled = new WebSocket(wsUrl);
    await new Promise((r, j) => stalled.on('open', r).on('error', j));
    stalled._socket.pause();
    const reader = new WebSocket(wsUrl);
    const got = { session: 0, finding: 0, droppedSessions: 0, droppedFindings: 0, coalesced: 0 };
    reader.on('message', (d) => {
      const m = JSON.parse(d);
      if (m.type === 'session') got.session++;
      else if (m.type === 'finding') got.finding++;
      else if (m.type === 'coalesced') {
        got.coalesced++;
        got.droppedSessions += m.dropped.session;
        got.droppedFindings += m.dropped.finding;
      }
    });
    await new Promise((r, j) => reader.on('open', r).on('error', j));
    const busy = await stream(agent, url, dbFile, pcap, () => got.session + got.droppedSessions >= SESSIONS);

    console.log(`\n  ${SESSIONS} sessions (+ ${SESSIONS} findings) streamed through \`intransit serve\` twice; idle agent RSS ${fig(base.rss)}, heap ${fig(base.heap)}`);
    show('no WebSocket client', idle, base);
    show('one stalled + one reading client', busy, base);
    console.log(`    messages coalesced for slow clients: ${busy.last.coalesced}; clients disconnected as too slow: ${busy.last.disconnected_slow}`);
    console.log(`    reading client: ${got.session} sessions + ${got.droppedSessions} coalesced, ${got.finding} findings + ${got.droppedFindings} coalesced`);

    assert.is(got.session + got.droppedSessions, SESSIONS, 'the reading client got, or was told it missed, every session');
    assert.ok(busy.last.coalesced > 0, 'the stalled client was coalesced, not queued');
    // the stalled client is cut off once it has been stuck for --slow-client-s (8 s): on a
    // fast machine the stream can end sooner, so wait for that moment before judging
    let health = busy.last;
    for (let i = 0; i < 40 && !(health.disconnected_slow >= 1); i++) {
      await new Promise((r) => setTimeout(r, 500));
      health = (await request(`${url}api/health`)).json;
    }
    assert.ok(health.disconnected_slow >= 1, 'and then disconnected with a reason');
    assert.ok(busy.peak.rss - idle.peak.rss < 48 * MB, `the clients cost ${fig(busy.peak.rss - idle.peak.rss)} of RSS over the run without them`);
    assert.ok(busy.peak.rss - base.rss < 128 * MB, `RSS grew ${fig(busy.peak.rss - base.rss)}`);
    assert.ok(busy.peak.heap - base.heap < 64 * MB, `heap grew ${fig(busy.peak.heap - base.heap)}`);
    reader.close();
    stalled.terminate();
  } finally {
    agent.kill('SIGTERM');
  }
});

test.run();
