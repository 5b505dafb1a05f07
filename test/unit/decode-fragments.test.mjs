// IPv4 and IPv6 fragment reassembly: order, overlaps (first wins), duplicates, expiry,
// eviction, size limit, truncated fragments.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Decoder } from '../../agent/dist/decode/decoder.js';
import { Packet } from '../../agent/dist/decode/packet.js';
import { cat, decode, eth, frag6, ipv4, ipv6, ext6, udp, tcp, u32, vxlan, tunnels } from './decode-frames.mjs';

// a UDP datagram of 8 + 2000 bytes whose payload is a recognisable byte pattern
const PAYLOAD = Buffer.from(Array.from({ length: 2000 }, (_, i) => (i * 7 + 3) & 0xff));
const DATAGRAM = udp({ sport: 4000, dport: 5000 }, PAYLOAD);

/** IPv4 fragment frames of DATAGRAM cut at the given byte offsets (multiples of 8). */
function frags4(cuts, { id = 77, src, data = DATAGRAM } = {}) {
  const bounds = [0, ...cuts, data.length];
  const out = [];
  for (let i = 0; i < bounds.length - 1; i++) {
    const piece = data.subarray(bounds[i], bounds[i + 1]);
    out.push(eth(0x0800, ipv4({ proto: 17, id, src, fragOff: bounds[i], mf: i < bounds.length - 2 }, piece)));
  }
  return out;
}

function feed(frames, { decoder = new Decoder(), ts = 1000, pkt = new Packet() } = {}) {
  const results = frames.map((f, i) => {
    const t = Array.isArray(ts) ? ts[i] : ts;
    return decode(f, 1, { decoder, pkt, ts: t }).ok;
  });
  return { results, decoder, pkt };
}

function assertDatagram(pkt) {
  assert.is(pkt.ipProto, 17);
  assert.is(pkt.srcPort, 4000);
  assert.is(pkt.dstPort, 5000);
  assert.is(pkt.payloadLen, 2000);
  assert.is(pkt.payloadWireLen, 2000);
  assert.ok(pkt.buf.subarray(pkt.payloadOff, pkt.payloadOff + 2000).equals(PAYLOAD), 'reassembled payload bytes');
}

test('IPv4 fragments in order', () => {
  const { results, decoder, pkt } = feed(frags4([800, 1600]));
  assert.equal(results, [false, false, true]);
  assert.equal(decoder.counts, { 'ipv4-fragment-buffered': 2 });
  assertDatagram(pkt);
  assert.is(pkt.ipOff, 0);
  assert.is(pkt.ipLen, 20 + 2008);
  assert.is(pkt.buf.readUInt16BE(2), 2028, 'total length rewritten');
  assert.is(pkt.buf.readUInt16BE(6) & 0x3fff, 0, 'fragment bits cleared');
  assert.is(decoder.pendingFragments, 0);
});

test('IPv4 fragments out of order (last first, first last)', () => {
  const f = frags4([504, 1000, 1504]);
  const { results, pkt, decoder } = feed([f[3], f[1], f[2], f[0]]);
  assert.equal(results, [false, false, false, true]);
  assertDatagram(pkt);
  assert.is(decoder.pendingFragments, 0);
});

test('overlapping fragments: first wins', () => {
  // fragment A: bytes [0, 1000); fragment B: [800, 2008) whose first 200 bytes differ
  const a = eth(0x0800, ipv4({ proto: 17, id: 5, mf: true }, DATAGRAM.subarray(0, 1000)));
  const bData = Buffer.from(DATAGRAM.subarray(800));
  bData.fill(0xee, 0, 200);
  const b = eth(0x0800, ipv4({ proto: 17, id: 5, fragOff: 800 }, bData));
  const { results, pkt, decoder } = feed([a, b]);
  assert.equal(results, [false, true]);
  assertDatagram(pkt); // the 0xee bytes lost to the first copy
  assert.equal(decoder.counts, { 'ipv4-fragment-buffered': 1, 'fragment-overlap': 1 });
  // the other order: B's bytes are first, so they win
  const r2 = feed([b, a]);
  assert.equal(r2.results, [false, true]);
  const p = r2.pkt;
  assert.is(p.buf[p.payloadOff + 800 - 8], 0xee);
});

test('an overlapping fragment that does not complete is buffered, its overlap counted on top', () => {
  const a = eth(0x0800, ipv4({ proto: 17, id: 6, mf: true }, DATAGRAM.subarray(0, 800)));
  const b = eth(0x0800, ipv4({ proto: 17, id: 6, mf: true, fragOff: 400 }, DATAGRAM.subarray(400, 1200)));
  const c = eth(0x0800, ipv4({ proto: 17, id: 6, fragOff: 1200 }, DATAGRAM.subarray(1200)));
  const { results, pkt, decoder } = feed([a, b, c]);
  assert.equal(results, [false, false, true]);
  assertDatagram(pkt);
  // b, the overlapping piece, is buffered like a, and its overlap counted as an event:
  // every packet is counted once by its fate, so decoded + undecoded adds up to packets read
  assert.equal(decoder.counts, { 'ipv4-fragment-buffered': 2, 'fragment-overlap': 1 });
});

test('duplicated fragments', () => {
  const f = frags4([1000]);
  const { results, pkt, decoder } = feed([f[0], f[0], f[1], f[1]]);
  assert.equal(results, [false, false, true, false]);
  assert.is(decoder.counts['fragment-duplicate'], 1);
  // the late duplicate of the last fragment opens a new datagram that never completes
  assert.is(decoder.counts['ipv4-fragment-buffered'], 2);
  assert.is(decoder.pendingFragments, 1);
  assert.is(pkt.ipProto, 17);
});

test('fragments time out after fragmentTimeoutSec of capture time', () => {
  const f = frags4([1000]);
  const decoder = new Decoder({ fragmentTimeoutSec: 30 });
  const late = feed(f, { decoder, ts: [1000, 1031] });
  assert.equal(late.results, [false, false]);
  assert.is(decoder.counts['fragment-timeout'], 1);
  assert.is(decoder.pendingFragments, 1);
  const d2 = new Decoder({ fragmentTimeoutSec: 30 });
  assert.equal(feed(f, { decoder: d2, ts: [1000, 1029] }).results, [false, true]);
  assert.is(d2.counts['fragment-timeout'], undefined);
});

test('at most maxFragmentBuffers datagrams in flight: the oldest is evicted', () => {
  const decoder = new Decoder({ maxFragmentBuffers: 2 });
  const a = frags4([1000], { id: 1 });
  const b = frags4([1000], { id: 2 });
  const c = frags4([1000], { id: 3 });
  const r = feed([a[0], b[0], c[0], b[1], c[1], a[1]], { decoder });
  assert.equal(r.results, [false, false, false, true, true, false]);
  assert.is(decoder.counts['fragment-evicted'], 1);
  assert.is(decoder.pendingFragments, 1); // a's tail, which re-opened a datagram
});

test('fragments of different datagrams (id, source, tunnel) never mix', () => {
  const x = frags4([1000], { id: 9 });
  const y = frags4([1000], { id: 9, src: '10.9.9.9' });
  const r = feed([x[0], y[1]]);
  assert.equal(r.results, [false, false]);
  // the same inner fragments in two different VXLAN segments
  const wrap = (vni, f) => eth(0x0800, ipv4({ proto: 17 }, udp({ dport: 4789 }, vxlan(vni, f))));
  const t = feed([wrap(1, x[0]), wrap(2, x[1]), wrap(1, x[1])]);
  assert.equal(t.results, [false, false, true]);
  assert.equal(tunnels(t.pkt), [[1, 1]]);
  assertDatagram(t.pkt);
});

test('reassembled datagram larger than 64 KiB is refused', () => {
  const big = eth(0x0800, ipv4({ proto: 17, id: 3, fragOff: 65528 }, Buffer.alloc(100)));
  const r = decode(big);
  assert.not.ok(r.ok);
  assert.equal(r.decoder.counts, { 'fragment-too-large': 1 });
});

test('conflicting last fragments are inconsistent', () => {
  const a = eth(0x0800, ipv4({ proto: 17, id: 4, fragOff: 1000 }, Buffer.alloc(100)));
  const b = eth(0x0800, ipv4({ proto: 17, id: 4, fragOff: 1000 }, Buffer.alloc(200)));
  const { results, decoder } = feed([a, b]);
  assert.equal(results, [false, false]);
  assert.equal(decoder.counts, { 'ipv4-fragment-buffered': 1, 'fragment-inconsistent': 1 });
});

test('first fragment cut by the snaplen: the captured prefix is exposed', () => {
  const f = frags4([1000]);
  const decoder = new Decoder();
  const pkt = new Packet();
  pkt.tsSec = 1;
  assert.not.ok(decoder.decode(pkt, f[0], 0, 14 + 20 + 100, f[0].length, 1));
  assert.ok(decoder.decode(pkt, f[1], 0, f[1].length, f[1].length, 1));
  assert.is(pkt.srcPort, 4000);
  assert.is(pkt.payloadWireLen, 2000);
  assert.is(pkt.payloadLen, 100 - 8);
});

test('IPv6 fragments (with destination options before and after the fragment header)', () => {
  const id = 0x01020304;
  const fragmentable = cat(ext6(17), DATAGRAM); // a destination options header inside the fragmentable part
  const cut = 1000;
  const hop = ext6(44); // hop-by-hop: unfragmentable, names the fragment header
  const f1 = eth(0x86dd, ipv6({ nh: 0 }, cat(hop, frag6(60, 0, true, id, fragmentable.subarray(0, cut)))));
  const f2 = eth(0x86dd, ipv6({ nh: 0 }, cat(hop, frag6(60, cut, false, id, fragmentable.subarray(cut)))));
  const { results, pkt, decoder } = feed([f2, f1]);
  assert.equal(results, [false, true]);
  assert.equal(decoder.counts, { 'ipv6-fragment-buffered': 1 });
  assert.is(pkt.ipVersion, 6);
  assertDatagram(pkt);
  assert.is(pkt.ipLen, 40 + 8 + 8 + 2008);
  assert.is(pkt.buf.readUInt16BE(4), 8 + 8 + 2008, 'payload length rewritten');
  assert.is(pkt.buf[40], 60, 'hop-by-hop now names the destination options');
  assert.is(pkt.l4Off, 40 + 8 + 8);
});

test('IPv6 atomic fragment decodes directly', () => {
  const r = decode(eth(0x86dd, ipv6({ nh: 44 }, frag6(6, 0, false, 1, tcp({ sport: 7, dport: 8 })))));
  assert.ok(r.ok);
  assert.is(r.pkt.ipProto, 6);
  assert.is(r.pkt.dstPort, 8);
  assert.equal(r.decoder.counts, {});
});

test('IPv6 fragment ids are per source/destination: separate datagrams', () => {
  const mk = (src, off, more, data) => eth(0x86dd, ipv6({ nh: 44, src }, frag6(17, off, more, 42, data)));
  const r = feed([mk('2001:db8::a', 0, true, DATAGRAM.subarray(0, 1000)), mk('2001:db8::b', 1000, false, DATAGRAM.subarray(1000)), mk('2001:db8::a', 1000, false, DATAGRAM.subarray(1000))]);
  assert.equal(r.results, [false, false, true]);
  assertDatagram(r.pkt);
  void u32;
});

test.run();
