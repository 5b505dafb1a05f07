// What keeps memory flat under floods, piece by piece: the inspection budget (stalled
// handshakes beyond it are shed, counted and flagged), reused flow slots (a reused one
// carries nothing over), data-less SYNs that cost no TCP stream, addresses stored as int32
// (looked up and printed right above 2^31), and standard output on a slow pipe (written with
// blocking writes, not queued in memory).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../../agent/dist/engine.js';
import { ArraySink } from '../../agent/dist/output/writer.js';
import { InspectionBudget } from '../../agent/dist/flow/inspection-budget.js';
import { cat, u8, u16, vec8, vec16, eth, ipv4, ipv6, tcp, TH } from '../fuzz/lib/bytes.mjs';
import { handshake } from '../fuzz/lib/tls-gen.mjs';
import { makeFlood } from './make-flood.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const T = 1700000000;

function hello(sni) {
  const name = Buffer.from(sni);
  const exts = cat(u16(0), vec16(vec16(cat(u8(0), vec16(name)))));
  const body = cat(u16(0x0303), Buffer.alloc(32, 1), vec8(Buffer.alloc(0)), vec16(u16(0x1301)), vec8(u8(0)), vec16(exts));
  return cat(u8(22), u16(0x0301), vec16(handshake(1, body)));
}

/** Feeds frames [data, sec?] into an engine; returns its documents. */
function run(frames, flows = {}) {
  const sink = new ArraySink();
  const engine = new Engine(sink, { flows });
  let t = 0;
  for (const f of frames) engine.packet(f, 0, f.length, f.length, 1, T, 1000 * t++);
  engine.finish({});
  return { docs: sink.docs, engine };
}

const v4 = (c, s, sp, dp, seq, ack, flags, payload) => eth(0x0800, ipv4(c, s, 6, tcp(sp, dp, seq, ack, flags, payload)));

/** n connections: SYN, SYN-ACK, ACK, then the first 100 bytes of a ClientHello only. */
function stalled(n, base = 0x0b000000) {
  const frames = [];
  const h = hello('stalled.example');
  for (let i = 0; i < n; i++) {
    const c = base + i;
    frames.push(v4(c, 0x0a000001, 1000 + i, 443, 100, 0, TH.SYN), v4(0x0a000001, c, 443, 1000 + i, 900, 101, TH.SYN | TH.ACK), v4(c, 0x0a000001, 1000 + i, 443, 101, 901, TH.ACK | TH.PSH, h.subarray(0, 100)));
  }
  return frames;
}

test('inspection budget: the oldest inspections still going are shed, counted, flagged; stale entries skipped', () => {
  // the columns the budget reads (flow-table.ts): flow ids, flags (16: decided), app state
  const DECIDED = 16;
  const table = { id: [], flags: [], app: [] };
  const shed = [];
  const b = new InspectionBudget(2, table, (f) => {
    shed.push(table.id[f]);
    table.flags[f] |= DECIDED;
    b.remove();
  });
  let slots = 0;
  const flow = (id) => {
    const f = slots++;
    table.id[f] = id;
    table.flags[f] = 0;
    table.app[f] = { inspector: {} };
    return f;
  };
  const f1 = flow(1);
  const f2 = flow(2);
  const f3 = flow(3);
  const f4 = flow(4);
  b.add(f1);
  b.add(f2);
  table.flags[f1] |= DECIDED; // finished on its own
  b.remove();
  b.add(f3); // 2 active: nothing shed
  assert.equal(shed, []);
  b.add(f4); // 3 active: f1 is stale, f2 is the oldest still inspecting
  assert.equal(shed, [2]);
  table.id[f3] = 99; // its flow ended (remove()) and the slot was reused: its entry is stale
  b.remove();
  b.add(flow(5));
  b.add(flow(6)); // 3 active: f3's entry skipped, f4 shed
  assert.equal(shed, [2, 4]);
  assert.is(b.active, 2);
  assert.is(b.shed, 2);
  // a long run of short inspections keeps the queue compact
  for (let i = 10; i < 20000; i++) {
    const f = flow(i);
    b.add(f);
    table.flags[f] |= DECIDED;
    b.remove();
  }
  assert.ok(b.flows.length < 3000, String(b.flows.length));
});

test('an engine with 3 inspections at most: 10 stalled handshakes, 7 shed and flagged, all still TLS, SNI of the complete one kept', () => {
  const frames = stalled(10);
  const { docs, engine } = run(frames, { maxInspected: 3 });
  const sessions = docs.filter((d) => d.event.dataset === 'intransit.session');
  assert.is(sessions.length, 10);
  assert.ok(sessions.every((d) => d.network.protocol === 'tls' && d.intransit.encrypted === true));
  const flagged = sessions.filter((d) => d.intransit.flow.inspection_shed === true);
  assert.is(flagged.length, 7);
  assert.is(docs.at(-1).intransit.summary.flows.inspection_shed, 7);
  assert.is(engine.budget.active, 0);
  // shed first are the oldest
  assert.equal(flagged.map((d) => d.source.port), [1000, 1001, 1002, 1003, 1004, 1005, 1006]);
  // a flow that got its whole ClientHello before the budget ran out keeps it
  const h = hello('kept.example');
  const first = [v4(0x0c000001, 0x0a000001, 2000, 443, 100, 0, TH.SYN), v4(0x0a000001, 0x0c000001, 443, 2000, 900, 101, TH.SYN | TH.ACK), v4(0x0c000001, 0x0a000001, 2000, 443, 101, 901, TH.ACK | TH.PSH, h)];
  const r2 = run([...first, ...frames], { maxInspected: 3 });
  const kept = r2.docs.find((d) => d.source?.port === 2000);
  assert.is(kept.tls.client.server_name, 'kept.example');
  assert.is(kept.intransit.flow.inspection_shed, true); // shed while waiting for the ServerHello
});

test('recycled flows start clean: VLAN, tunnel, TCP state and inspection of an evicted flow do not leak', () => {
  const tagged = (f) => cat(f.subarray(0, 12), u16(0x8100), u16(42), f.subarray(12));
  const a = tagged(v4(0x0b000001, 0x0a000001, 1111, 443, 100, 0, TH.SYN));
  const aFin = tagged(v4(0x0b000001, 0x0a000001, 1111, 443, 101, 0, TH.FIN | TH.ACK, hello('a.example')));
  const b = v4(0x0b000002, 0x0a000001, 2222, 80, 500, 0, TH.ACK | TH.PSH, Buffer.from('GET / HTTP/1.1\r\nHost: b\r\n\r\n'));
  const c = v4(0x0b000003, 0x0a000001, 3333, 25, 700, 0, TH.ACK);
  const { docs } = run([a, aFin, b, c, b], { maxFlows: 1 });
  const s = docs.filter((d) => d.event.dataset === 'intransit.session');
  assert.is(s.length, 4);
  assert.is(s[0].network.vlan.id, 42);
  assert.is(s[0].tls.client.server_name, 'a.example');
  for (const d of s.slice(1)) {
    assert.is(d.network.vlan, undefined);
    assert.is(d.tls, undefined);
    assert.is(d.intransit.tunnel, undefined);
  }
  assert.is(s[1].network.protocol, 'http');
  assert.is(s[1].intransit.flow.midstream, true);
  assert.is(s[2].network.protocol, 'unknown');
  assert.is(s[2].source.port, 3333);
  assert.is(s[3].source.port, 2222);
  assert.is(docs.at(-1).intransit.summary.flows.evicted, 3);
});

test('a data-less SYN leaves only its sequence number; the stream starts from it when data comes', () => {
  const h = hello('late.example');
  // SYN, retransmitted SYN, SYN-ACK, then the ClientHello in two segments, the second first
  const frames = [
    v4(0x0b000001, 0x0a000001, 4444, 443, 1000, 0, TH.SYN),
    v4(0x0b000001, 0x0a000001, 4444, 443, 1000, 0, TH.SYN),
    v4(0x0a000001, 0x0b000001, 443, 4444, 9000, 1001, TH.SYN | TH.ACK),
    v4(0x0b000001, 0x0a000001, 4444, 443, 1001 + 50, 9001, TH.ACK | TH.PSH, h.subarray(50)),
    v4(0x0b000001, 0x0a000001, 4444, 443, 1001, 9001, TH.ACK | TH.PSH, h.subarray(0, 50)),
  ];
  const sink = new ArraySink();
  const engine = new Engine(sink);
  let t = 0;
  const feed = (f) => engine.packet(f, 0, f.length, f.length, 1, T, t++);
  for (const x of frames.slice(0, 3)) feed(x);
  // no stream (no application state at all) on either side yet: only the first SYN's
  // sequence number, as an int32 in the flow's column (its slot is 0, the first one)
  const table = engine.table;
  assert.is(table.size, 1);
  assert.is(table.app[0], null);
  assert.is(table.synSeqA[0], 1000);
  assert.is(table.synSeqB[0], 9000);
  assert.is(table.flags[0] & (32 | 64), 32 | 64); // F_SYN_SEQ_A | F_SYN_SEQ_B
  for (const x of frames.slice(3)) feed(x);
  engine.finish({});
  const d = sink.docs[0];
  assert.is(d.tls.client.server_name, 'late.example');
  assert.is(d.intransit.flow.gaps, undefined);
  assert.is(d.intransit.flow.midstream, undefined);
  assert.is(d.source.port, 4444);
  // a SYN flood makes no stream at all
  const e2 = new Engine(new ArraySink());
  for (let i = 0; i < 100; i++) {
    const syn = v4(0x0c000000 + i, 0x0a000001, 5000, 443, i * 7, 0, TH.SYN);
    e2.packet(syn, 0, syn.length, syn.length, 1, T, i);
  }
  assert.is(e2.table.size, 100);
  assert.ok(e2.table.app.every((a) => a === null), 'no flow has application state');
});

test('addresses above 2^31 (kept as int32): both directions meet, printed right', () => {
  const hi = 0xc8000001; // 200.0.0.1
  const hi2 = 0xfe000002; // 254.0.0.2
  const frames = [v4(hi, hi2, 1234, 443, 1, 0, TH.SYN), v4(hi2, hi, 443, 1234, 5, 2, TH.SYN | TH.ACK), v4(hi, hi2, 1234, 443, 2, 6, TH.ACK)];
  const a6 = Buffer.from('ffff0000000000000000000000000001', 'hex');
  const b6 = Buffer.from('fe800000000000000000000000000002', 'hex');
  const six = (s, d, sp, dp, fl) => eth(0x86dd, ipv6(s, d, 6, tcp(sp, dp, 1, 0, fl)));
  frames.push(six(a6, b6, 1, 2, TH.SYN), six(b6, a6, 2, 1, TH.SYN | TH.ACK));
  const { docs } = run(frames);
  const s = docs.filter((d) => d.event.dataset === 'intransit.session');
  assert.is(s.length, 2);
  assert.is(s[0].source.ip, '200.0.0.1');
  assert.is(s[0].destination.ip, '254.0.0.2');
  assert.is(s[0].source.packets + s[0].destination.packets, 3);
  assert.is(s[1].source.ip, 'ffff::1');
  assert.is(s[1].destination.ip, 'fe80::2');
  assert.is(s[1].destination.packets, 1);
});

test('standard output on a pipe read slowly: output waits for the reader instead of piling up in memory', async () => {
  const { path } = makeFlood('syn', 300_000, join(process.env.TMPDIR || '/tmp', `intransit-pipe-${process.pid}.pcap`));
  try {
    const r = await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--require', join(root, 'test', 'floods', 'peak-rss.cjs'), join(root, 'agent', 'dist', 'cli.js'), 'replay', path, '--ndjson', '--no-progress', '--max-flows', '1000'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let bytes = 0;
      let err = '';
      child.stdout.pause(); // read nothing for a while: the writer must block
      setTimeout(() => {
        child.stdout.on('data', (d) => (bytes += d.length));
        child.stdout.resume();
      }, 1500);
      child.stderr.on('data', (d) => (err += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, bytes, err }));
    });
    assert.is(r.code, 0, r.err);
    const peak = Number(/intransit-peak-rss-kb (\d+)/.exec(r.err)[1]) * 1024;
    // ~200 MB of documents went through the pipe; the writer held at most a batch of them
    assert.ok(r.bytes > 150e6, String(r.bytes));
    assert.ok(peak < r.bytes * 0.75, `peak RSS ${(peak / 1048576).toFixed(0)} MB for ${(r.bytes / 1048576).toFixed(0)} MB of output`);
  } finally {
    rmSync(path, { force: true });
  }
});

test.run();
