// Frames cut at every byte: the decoder must name the layer it stopped in, never throw;
// and randomly corrupted frames must never throw nor point outside the buffer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Decoder } from '../../agent/dist/decode/decoder.js';
import { Packet } from '../../agent/dist/decode/packet.js';
import { bytes, cat, erspan2, eth, ext6, geneve, gre, ipv4, ipv6, mpls, tcp, tcp4, u16, u32, udp, vlanTag, vxlan } from './decode-frames.mjs';

const INNER = () => tcp4(bytes(10));
const outerUdp = (dport, payload) => eth(0x0800, ipv4({ proto: 17 }, udp({ dport }, payload)));

/**
 * For each caplen from 0 to the full length (origlen stays the full length, as with a
 * snaplen), the reason expected: segments are [endExclusive, reason], 'ok' after the last.
 */
const CASES = [
  {
    name: 'Ethernet/IPv4/TCP',
    frame: eth(0x0800, INNER()),
    segments: [
      [14, 'truncated-ethernet'],
      [34, 'ipv4-truncated'],
      [54, 'tcp-truncated'],
    ],
  },
  {
    name: 'Ethernet/802.1Q/IPv6/hop-by-hop/UDP',
    frame: eth(0x8100, vlanTag(3, 0x86dd, ipv6({ nh: 0 }, cat(ext6(17), udp({}, bytes(4)))))),
    segments: [
      [14, 'truncated-ethernet'],
      [18, 'vlan-truncated'],
      [66, 'ipv6-truncated'],
      [74, 'udp-truncated'],
    ],
  },
  {
    name: 'VXLAN',
    frame: outerUdp(4789, vxlan(4242, eth(0x0800, INNER()))),
    segments: [
      [14, 'truncated-ethernet'],
      [34, 'ipv4-truncated'],
      [42, 'udp-truncated'],
      [50, 'vxlan-truncated'],
      [64, 'truncated-ethernet'],
      [84, 'ipv4-truncated'],
      [104, 'tcp-truncated'],
    ],
  },
  {
    name: 'GENEVE with 8 bytes of options',
    frame: outerUdp(6081, geneve(1, 0x6558, eth(0x0800, INNER()), bytes(8, 0))),
    segments: [
      [14, 'truncated-ethernet'],
      [34, 'ipv4-truncated'],
      [42, 'udp-truncated'],
      [58, 'geneve-truncated'],
      [72, 'truncated-ethernet'],
      [92, 'ipv4-truncated'],
      [112, 'tcp-truncated'],
    ],
  },
  {
    name: 'GRE with key carrying IPv4',
    frame: eth(0x0800, ipv4({ proto: 47 }, gre({ proto: 0x0800, key: 1 }, INNER()))),
    segments: [
      [14, 'truncated-ethernet'],
      [34, 'ipv4-truncated'],
      [42, 'gre-truncated'],
      [62, 'ipv4-truncated'],
      [82, 'tcp-truncated'],
    ],
  },
  {
    name: 'GRE/ERSPAN II',
    frame: eth(0x0800, ipv4({ proto: 47 }, gre({ proto: 0x88be, seq: 1 }, erspan2(1, eth(0x0800, INNER()))))),
    segments: [
      [14, 'truncated-ethernet'],
      [34, 'ipv4-truncated'],
      [42, 'gre-truncated'],
      [50, 'erspan-truncated'],
      [64, 'truncated-ethernet'],
      [84, 'ipv4-truncated'],
      [104, 'tcp-truncated'],
    ],
  },
  {
    name: 'MPLS two labels',
    frame: eth(0x8847, mpls([1, 2], INNER())),
    segments: [
      [14, 'truncated-ethernet'],
      [23, 'mpls-truncated'], // the payload's first nibble is needed to tell IPv4 from IPv6
      [42, 'ipv4-truncated'],
      [62, 'tcp-truncated'],
    ],
  },
  {
    name: 'PPPoE',
    frame: eth(0x8864, cat([0x11, 0], u16(1), u16(INNER().length + 2), u16(0x21), INNER())),
    segments: [
      [14, 'truncated-ethernet'],
      [20, 'pppoe-truncated'],
      [22, 'ppp-truncated'],
      [42, 'ipv4-truncated'],
      [62, 'tcp-truncated'],
    ],
  },
  {
    name: 'Linux SLL',
    linktype: 113,
    frame: cat(u16(0), u16(1), u16(6), Buffer.alloc(8), u16(0x0800), INNER()),
    segments: [
      [16, 'sll-truncated'],
      [36, 'ipv4-truncated'],
      [56, 'tcp-truncated'],
    ],
  },
  {
    name: 'Linux SLL2',
    linktype: 276,
    frame: cat(u16(0x0800), u16(0), u32(1), u16(1), [0, 6], Buffer.alloc(8), INNER()),
    segments: [
      [20, 'sll2-truncated'],
      [40, 'ipv4-truncated'],
      [60, 'tcp-truncated'],
    ],
  },
  {
    name: 'BSD null',
    linktype: 0,
    frame: cat([2, 0, 0, 0], INNER()),
    segments: [
      [4, 'loopback-truncated'],
      [24, 'ipv4-truncated'],
      [44, 'tcp-truncated'],
    ],
  },
  {
    name: 'raw IPv6/UDP',
    linktype: 101,
    frame: ipv6({ nh: 17 }, udp({}, bytes(3))),
    segments: [
      [1, 'raw-truncated'],
      [40, 'ipv6-truncated'],
      [48, 'udp-truncated'],
    ],
  },
];

for (const c of CASES) {
  test(`cut at every byte: ${c.name}`, () => {
    const full = c.frame;
    for (let caplen = 0; caplen <= full.length; caplen++) {
      const seg = c.segments.find(([endEx]) => caplen < endEx);
      const want = seg ? seg[1] : 'ok';
      const d = new Decoder();
      const pkt = new Packet();
      // a fresh copy of exactly caplen bytes, so reading past it cannot find real data
      const buf = Buffer.from(full.subarray(0, caplen));
      const ok = d.decode(pkt, buf, 0, caplen, full.length, c.linktype ?? 1);
      const got = ok ? 'ok' : Object.keys(d.counts).join(',');
      assert.is(got, want, `${c.name} caplen ${caplen}`);
      if (ok) {
        assert.is(pkt.payloadOff + pkt.payloadLen, caplen, `captured payload ends at the cut (caplen ${caplen})`);
        assert.is(pkt.payloadWireLen, full.length - pkt.payloadOff);
      }
    }
  });
}

test('random corruption never throws nor points outside the buffer', () => {
  let seed = 12345;
  const rand = (n) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const d = new Decoder({ maxFragmentBuffers: 16 });
  const pkt = new Packet();
  let decoded = 0;
  for (let i = 0; i < 40000; i++) {
    const c = CASES[rand(CASES.length)];
    const buf = Buffer.from(c.frame);
    for (let k = 1 + rand(4); k > 0; k--) buf[rand(buf.length)] = rand(256);
    const caplen = rand(3) === 0 ? rand(buf.length + 1) : buf.length;
    pkt.tsSec = i;
    const ok = d.decode(pkt, buf, 0, caplen, buf.length, c.linktype ?? 1);
    if (!ok) continue;
    decoded++;
    assert.ok(pkt.payloadLen >= 0 && pkt.payloadLen <= pkt.payloadWireLen, `payload lengths (${c.name}, ${i})`);
    assert.ok(pkt.payloadOff + pkt.payloadLen <= pkt.buf.length, `payload inside the buffer (${c.name}, ${i})`);
    if (pkt.buf === buf) assert.ok(pkt.payloadOff + pkt.payloadLen <= caplen, `payload inside the capture (${c.name}, ${i})`);
    assert.ok(pkt.ipVersion === 4 || pkt.ipVersion === 6);
  }
  assert.ok(decoded > 1000, `some corrupted frames still decode (${decoded})`);
});

test.run();
