// FlowTable: flows as slots in columns, found through an open-addressing index. Checked
// against a plain Map over many random creations and ends, with hashes forced to collide
// (chains) and to crowd the index (long probe runs, deletions that move entries back).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FlowTable, flowHash } from '../../agent/dist/flow/flow-table.js';
import { Packet } from '../../agent/dist/decode/packet.js';

function packet(i, v6 = false, reverse = false) {
  const p = new Packet();
  p.ipVersion = v6 ? 6 : 4;
  p.ipProto = i % 5 === 0 ? 17 : 6;
  const a = [v6 ? 0x20010db8 : 0, v6 ? i : 0, 0, (0x0a000000 + i) >>> 0];
  const b = [v6 ? 0xfe800000 : 0, 0, v6 ? 7 : 0, 0xc0a80001];
  p.src.set(reverse ? b : a);
  p.dst.set(reverse ? a : b);
  p.srcPort = reverse ? 443 : 1024 + (i % 60000);
  p.dstPort = reverse ? 1024 + (i % 60000) : 443;
  p.tunnelHash = i % 7 === 0 ? 0xdeadbeef : 0;
  p.tsSec = 1700000000 + i;
  p.frameNo = i + 1;
  return p;
}

function check(hashOf, label) {
  const ended = [];
  const t = new FlowTable({ maxFlows: 5000 }, (f, reason) => ended.push([t.id[f], reason]));
  const live = new Map(); // i -> id
  let seed = 12345;
  const rnd = (n) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
  for (let step = 0; step < 40000; step++) {
    const i = rnd(8000);
    const v6 = i % 3 === 0;
    const p = packet(i, v6, rnd(2) === 1);
    const f = t.find(p, hashOf(p, i));
    if (live.has(i)) {
      assert.ok(f >= 0, `${label}: flow ${i} lost`);
      assert.is(t.id[f], live.get(i), `${label}: flow ${i} found as another`);
      if (rnd(4) === 0) {
        t.end(f, 'closed');
        live.delete(i);
      }
    } else {
      assert.is(f, -1, `${label}: flow ${i} found before it was made`);
      if (live.size < 5000) {
        const g = t.create(p, hashOf(p, i));
        live.set(i, t.id[g]);
      }
    }
  }
  assert.is(t.size, live.size);
  // both directions, and the addresses read back
  for (const [i, id] of live) {
    const fwd = t.find(packet(i, i % 3 === 0, false), hashOf(packet(i, i % 3 === 0), i));
    assert.is(t.id[fwd], id);
    assert.is(t.dir === 0 || t.dir === 1, true);
    const a = t.address(fwd, t.dir === 1);
    assert.is(a[3] >>> 0, (0x0a000000 + i) >>> 0);
  }
  t.drain();
  // end of input: every flow, in creation order
  const tail = ended.slice(-live.size);
  assert.equal(tail.map((e) => e[0]), [...live.values()].sort((x, y) => x - y));
  assert.is(t.size, 0);
}

test('random creations and ends against a Map: real hashes', () => check((p) => flowHash(p), 'flowHash'));
test('random creations and ends against a Map: 16 hash values (long chains)', () => check((p, i) => (i % 16) * 7919, 'chains'));
test('random creations and ends against a Map: crowded index (neighbouring hashes)', () => check((p, i) => i, 'crowded'));

test('at the cap the least recently active flow is evicted and counted, closed ones first', () => {
  const ended = [];
  const t = new FlowTable({ maxFlows: 3 }, (f, reason) => ended.push([t.id[f], reason]));
  const mk = (i) => t.create(packet(i), flowHash(packet(i)));
  const a = mk(1);
  mk(2);
  mk(3);
  t.touch(a, 0); // a is the most recent now
  mk(4); // evicts flow 2
  assert.equal(ended, [[2, 'evicted']]);
  t.touch(mk(5) - 0, 2); // flow 5 (evicted 3 to make room) is closed
  assert.equal(ended.map((e) => e[0]), [2, 3]);
  mk(6); // the closed flow goes first
  assert.equal(ended.map((e) => e[0]), [2, 3, 5]);
  assert.is(t.evicted, 3);
});

test.run();
