// Tunnel decoding: VXLAN, GENEVE, GRE, ERSPAN, IP-in-IP, GRE-in-UDP, PPTP, GTP-U, Teredo, AYIYA.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  TUNNEL_AYIYA,
  TUNNEL_ERSPAN,
  TUNNEL_GENEVE,
  TUNNEL_GRE,
  TUNNEL_GTP,
  TUNNEL_IPIP,
  TUNNEL_NAMES,
  TUNNEL_TEREDO,
  TUNNEL_VXLAN,
  Packet,
} from '../../agent/dist/decode/packet.js';
import {
  bytes,
  cat,
  decode,
  erspan2,
  erspan3,
  eth,
  geneve,
  gre,
  ipv4,
  ipv6,
  mpls,
  reasonOf,
  tcp,
  tcp4,
  tunnels,
  u16,
  u32,
  udp,
  v4word,
  v6words,
  vlanTag,
  vxlan,
} from './decode-frames.mjs';

// the inner packet every tunnel test carries: 192.168.1.10:51000 -> 192.168.1.20:443, 5 payload bytes
const INNER = () => tcp4(Buffer.from('inner'), { src: '192.168.1.10', dst: '192.168.1.20', sport: 51000, dport: 443 });
const outerUdp = (dport, payload, sport = 60000) => eth(0x0800, ipv4({ proto: 17, src: '172.16.0.1', dst: '172.16.0.2' }, udp({ sport, dport }, payload)));

function assertInner(r) {
  assert.ok(r.ok, `decoded (reasons ${JSON.stringify(r.reasons)})`);
  const p = r.pkt;
  assert.is(p.ipVersion, 4);
  assert.equal([...p.src], [0, 0, 0, v4word('192.168.1.10')]);
  assert.equal([...p.dst], [0, 0, 0, v4word('192.168.1.20')]);
  assert.is(p.ipProto, 6);
  assert.is(p.srcPort, 51000);
  assert.is(p.dstPort, 443);
  assert.is(p.payloadLen, 5);
  assert.is(p.buf.subarray(p.payloadOff, p.payloadOff + 5).toString(), 'inner');
}

test('tunnel names line up with the TUNNEL_* constants', () => {
  assert.is(TUNNEL_NAMES[TUNNEL_VXLAN], 'vxlan');
  assert.is(TUNNEL_NAMES[TUNNEL_GENEVE], 'geneve');
  assert.is(TUNNEL_NAMES[TUNNEL_GRE], 'gre');
  assert.is(TUNNEL_NAMES[TUNNEL_ERSPAN], 'erspan');
  assert.is(TUNNEL_NAMES[TUNNEL_IPIP], 'ipip');
  assert.is(TUNNEL_NAMES[TUNNEL_GTP], 'gtp');
  assert.is(TUNNEL_NAMES[TUNNEL_TEREDO], 'teredo');
  assert.is(TUNNEL_NAMES[TUNNEL_AYIYA], 'ayiya');
});

test('VXLAN with VNI 4242 inside Ethernet; inner fields win, outer VLAN kept', () => {
  const inner = eth(0x0800, INNER());
  const r = decode(eth(0x8100, vlanTag(10, 0x0800, ipv4({ proto: 17 }, udp({ dport: 4789 }, vxlan(4242, inner))))));
  assertInner(r);
  assert.equal(tunnels(r.pkt), [[TUNNEL_VXLAN, 4242]]);
  assert.is(r.pkt.vlanId, 10);
  assert.is(r.pkt.ttl, 64);
  assert.ok(r.pkt.tunnelHash !== 0);
  const other = decode(outerUdp(4789, vxlan(4243, inner)));
  assert.ok(other.pkt.tunnelHash !== r.pkt.tunnelHash, 'the VNI is part of the tunnel hash');
});

test('VXLAN without the I flag is rejected', () => {
  const r = decode(outerUdp(4789, vxlan(1, eth(0x0800, INNER()), 0x00)));
  assert.not.ok(r.ok);
  assert.is(reasonOf(r), 'vxlan-bad-flags');
  // matched on the source port only, a datagram that is not VXLAN stays plain UDP
  const s = decode(outerUdp(9999, bytes(20, 0), 4789));
  assert.ok(s.ok);
  assert.is(s.pkt.srcPort, 4789);
  assert.is(s.pkt.tunnelCount, 0);
});

test('VXLAN-GPE (4790) next protocol: IPv4 directly', () => {
  const r = decode(outerUdp(4790, vxlan(77, INNER(), 0x0c).fill(1, 3, 4)));
  assertInner(r);
  assert.equal(tunnels(r.pkt), [[TUNNEL_VXLAN, 77]]);
});

test('GENEVE with options, carrying Ethernet', () => {
  const options = cat(u16(0x0103), [0x80, 2], u32(0xdeadbeef), u32(0xcafe)); // class, type, length 2 words
  const r = decode(outerUdp(6081, geneve(0x123456, 0x6558, eth(0x0800, INNER()), options)));
  assertInner(r);
  assert.equal(tunnels(r.pkt), [[TUNNEL_GENEVE, 0x123456]]);
  assert.is(r.pkt.ipOff, 42 + 8 + 12 + 14);
});

test('GENEVE carrying IPv4 and IPv6 directly', () => {
  assertInner(decode(outerUdp(6081, geneve(9, 0x0800, INNER()))));
  const r6 = decode(outerUdp(6081, geneve(9, 0x86dd, ipv6({ nh: 17 }, udp({ sport: 1, dport: 2 })))));
  assert.ok(r6.ok);
  assert.is(r6.pkt.ipVersion, 6);
  assert.equal([...r6.pkt.src], v6words('2001:db8::1'));
});

test('GENEVE malformed: truncated options, bad version', () => {
  const g = geneve(1, 0x6558, Buffer.alloc(0), bytes(8));
  const r = decode(outerUdp(6081, g.subarray(0, 12)));
  assert.is(reasonOf(r), 'geneve-truncated');
  assert.is(reasonOf(decode(outerUdp(6081, geneve(1, 0x6558, eth(0x0800, INNER()), Buffer.alloc(0), 1)))), 'geneve-bad-version');
});

test('GENEVE -> IPv4/UDP 4789 -> VXLAN -> Ethernet -> IPv4 -> TCP (AWS GWLB with traffic mirroring)', () => {
  const mirrored = ipv4({ proto: 17, src: '10.1.0.5', dst: '10.1.0.6' }, udp({ sport: 61000, dport: 4789 }, vxlan(4242, eth(0x0800, INNER()))));
  const options = cat(u16(0x0108), [1, 2], u32(1), u32(2)); // AWS GWLB-style TLV
  const r = decode(outerUdp(6081, geneve(0, 0x0800, mirrored, options)));
  assertInner(r);
  assert.equal(tunnels(r.pkt), [
    [TUNNEL_GENEVE, 0],
    [TUNNEL_VXLAN, 4242],
  ]);
});

test('GRE with key carrying IPv4, IPv6 and transparent Ethernet', () => {
  const outer = (g) => eth(0x0800, ipv4({ proto: 47 }, g));
  const r = decode(outer(gre({ proto: 0x0800, key: 0xabcdef01, csum: true, seq: 5 }, INNER())));
  assertInner(r);
  assert.equal(tunnels(r.pkt), [[TUNNEL_GRE, 0xabcdef01]]);
  const nokey = decode(outer(gre({ proto: 0x0800 }, INNER())));
  assert.equal(tunnels(nokey.pkt), [[TUNNEL_GRE, -1]]);
  const r6 = decode(outer(gre({ proto: 0x86dd, key: 7 }, ipv6({ nh: 6 }, tcp({ sport: 3, dport: 4 })))));
  assert.ok(r6.ok);
  assert.is(r6.pkt.ipVersion, 6);
  assertInner(decode(outer(gre({ proto: 0x6558, key: 7 }, eth(0x0800, INNER())))));
  const mplsOverGre = decode(outer(gre({ proto: 0x8847 }, mpls([100], INNER()))));
  assertInner(mplsOverGre);
});

test('GRE: unsupported version and protocol', () => {
  const outer = (g) => eth(0x0800, ipv4({ proto: 47 }, g));
  const v2 = decode(outer(gre({ proto: 0x0800, version: 2 }, INNER())));
  assert.not.ok(v2.ok);
  assert.is(reasonOf(v2), 'gre-unsupported-version');
  assert.is(reasonOf(decode(outer(gre({ proto: 0x1234 }, bytes(20))))), 'gre-unsupported-protocol');
});

test('GRE with routing (RFC 1701 source route entries)', () => {
  const sre = cat(u16(0x0800), [0, 4], u32(0x0a000001), u16(0), [0, 0]);
  const g = cat(u16(0x4000), u16(0x0800), [0, 0, 0, 0], sre, INNER());
  assertInner(decode(eth(0x0800, ipv4({ proto: 47 }, g))));
});

test('ERSPAN type I, II and III (with and without platform sub-header)', () => {
  const outer = (g) => eth(0x0800, ipv4({ proto: 47 }, g));
  const mirrored = eth(0x8100, vlanTag(55, 0x0800, INNER()));
  const t1 = decode(outer(gre({ proto: 0x88be }, mirrored)));
  assertInner(t1);
  assert.equal(tunnels(t1.pkt), [[TUNNEL_ERSPAN, -1]]);
  const t2 = decode(outer(gre({ proto: 0x88be, seq: 1 }, erspan2(0x3a5, mirrored))));
  assertInner(t2);
  assert.equal(tunnels(t2.pkt), [[TUNNEL_ERSPAN, 0x3a5]]);
  assert.is(t2.pkt.vlanId, 55, 'first VLAN seen is the mirrored frame tag');
  const t3 = decode(outer(gre({ proto: 0x22eb, seq: 1 }, erspan3(12, mirrored))));
  assertInner(t3);
  assert.equal(tunnels(t3.pkt), [[TUNNEL_ERSPAN, 12]]);
  const t3p = decode(outer(gre({ proto: 0x22eb, seq: 1 }, erspan3(13, mirrored, { platform: true }))));
  assertInner(t3p);
  assert.is(t3p.pkt.ipOff, 14 + 20 + 8 + 20 + 14 + 4);
  const t3ip = decode(outer(gre({ proto: 0x22eb, seq: 1 }, erspan3(14, INNER(), { frameType: 2 }))));
  assertInner(t3ip);
  assert.is(reasonOf(decode(outer(gre({ proto: 0x88be, seq: 1 }, cat([0x20], bytes(30)))))), 'erspan-bad-version');
});

test('IP-in-IP (protocol 4) and 6in4 (protocol 41), 4in6', () => {
  const ipip = decode(eth(0x0800, ipv4({ proto: 4 }, INNER())));
  assertInner(ipip);
  assert.equal(tunnels(ipip.pkt), [[TUNNEL_IPIP, -1]]);
  const sixin4 = decode(eth(0x0800, ipv4({ proto: 41 }, ipv6({ nh: 6, src: '2002:c000:201::1' }, tcp({ sport: 80, dport: 1024 }, bytes(4))))));
  assert.ok(sixin4.ok);
  assert.is(sixin4.pkt.ipVersion, 6);
  assert.equal([...sixin4.pkt.src], v6words('2002:c000:201::1'));
  assert.is(sixin4.pkt.srcPort, 80);
  assert.equal(tunnels(sixin4.pkt), [[TUNNEL_IPIP, -1]]);
  assertInner(decode(eth(0x86dd, ipv6({ nh: 4 }, INNER()))));
});

test('GRE-in-UDP (4754)', () => {
  const r = decode(outerUdp(4754, gre({ proto: 0x0800 }, INNER())));
  assertInner(r);
  assert.equal(tunnels(r.pkt), [[TUNNEL_GRE, -1]]);
});

test('PPTP enhanced GRE (version 1) carrying PPP/IPv4; ack-only packets', () => {
  const ppp = cat([0xff, 0x03], u16(0x0021), INNER());
  const g = cat(u16(0x3001), u16(0x880b), u16(ppp.length), u16(0x4242), u32(1), ppp);
  const r = decode(eth(0x0800, ipv4({ proto: 47 }, g)));
  assertInner(r);
  assert.equal(tunnels(r.pkt), [[TUNNEL_GRE, -1]]);
  const ack = cat(u16(0x2081), u16(0x880b), u16(0), u16(0x4242), u32(9));
  assert.is(reasonOf(decode(eth(0x0800, ipv4({ proto: 47 }, ack)))), 'gre-no-payload');
  const mppe = cat(u16(0x3001), u16(0x880b), u16(6), u16(0x4242), u32(2), [0xfd], bytes(5));
  assert.is(reasonOf(decode(eth(0x0800, ipv4({ proto: 47 }, mppe)))), 'not-ip');
});

test('GTP-U G-PDU with sequence number and an extension header; non-GTP on port 2152', () => {
  const inner = INNER();
  const ext = cat([1, 0x00, 0x01, 0x00]); // PDU session container (length 1 word), next type 0
  const body = cat(u16(0x1234), [0, 0x85], ext, inner); // seq, N-PDU, next ext type 0x85
  const gtp = cat([0x34, 0xff], u16(body.length), u32(0x11223344), body);
  const r = decode(outerUdp(2152, gtp, 2152));
  assertInner(r);
  assert.equal(tunnels(r.pkt), [[TUNNEL_GTP, -1]]);
  const echo = cat([0x32, 0x01], u16(4), u32(0), u16(1), [0, 0]);
  const e = decode(outerUdp(2152, echo, 2152));
  assert.ok(e.ok);
  assert.is(e.pkt.tunnelCount, 0);
  assert.is(e.pkt.dstPort, 2152);
  const dns = decode(outerUdp(53, bytes(30, 0x31), 2152));
  assert.ok(dns.ok);
  assert.is(dns.pkt.dstPort, 53);
});

test('Teredo: origin indication, bubbles stay UDP', () => {
  const inner6 = ipv6({ nh: 17, src: '2001::1' }, udp({ sport: 1111, dport: 2222 }, bytes(4)));
  const origin = cat(u16(0), u16(0xffff), u32(0xffffffff));
  const r = decode(outerUdp(3544, cat(origin, inner6), 40000));
  assert.ok(r.ok);
  assert.is(r.pkt.ipVersion, 6);
  assert.is(r.pkt.srcPort, 1111);
  assert.equal(tunnels(r.pkt), [[TUNNEL_TEREDO, -1]]);
  const bubble = decode(outerUdp(40000, ipv6({ nh: 59 }, Buffer.alloc(0)), 3544));
  assert.ok(bubble.ok);
  assert.is(bubble.pkt.ipVersion, 4);
  assert.is(bubble.pkt.srcPort, 3544);
  assert.is(bubble.pkt.tunnelCount, 0);
});

test('AYIYA forward message carrying IPv6; heartbeat stays UDP', () => {
  const inner6 = ipv6({ nh: 6 }, tcp({ sport: 5, dport: 6 }));
  // identity length 2^4 = 16 bytes, signature 5 words (20 bytes), opcode 1 forward, next header 41
  const hdr = cat([0x41, 0x52, 0x11, 41], u32(1234567), bytes(16, 1), bytes(20, 2));
  const r = decode(outerUdp(5072, cat(hdr, inner6)));
  assert.ok(r.ok);
  assert.is(r.pkt.ipVersion, 6);
  assert.is(r.pkt.dstPort, 6);
  assert.equal(tunnels(r.pkt), [[TUNNEL_AYIYA, -1]]);
  const hb = cat([0x41, 0x52, 0x10, 59], u32(1), bytes(16, 1), bytes(20, 2));
  const h = decode(outerUdp(5072, hb));
  assert.ok(h.ok);
  assert.is(h.pkt.tunnelCount, 0);
});

test('tunnel depth beyond MAX_TUNNELS is refused', () => {
  let frame = eth(0x0800, INNER());
  for (let i = 1; i <= 5; i++) frame = eth(0x0800, ipv4({ proto: 17 }, udp({ dport: 4789 }, vxlan(i, frame))));
  const r = decode(frame);
  assert.not.ok(r.ok);
  assert.is(reasonOf(r), 'tunnel-depth-exceeded');
  let four = eth(0x0800, INNER());
  for (let i = 1; i <= 4; i++) four = eth(0x0800, ipv4({ proto: 17 }, udp({ dport: 4789 }, vxlan(i, four))));
  const ok = decode(four);
  assertInner(ok);
  assert.equal(tunnels(ok.pkt).map((t) => t[1]), [4, 3, 2, 1]);
});

test('endless VLAN tags end at the layer limit, not in a loop', () => {
  let tags = INNER();
  tags = vlanTag(1, 0x0800, tags);
  for (let i = 0; i < 60; i++) tags = vlanTag(i, 0x8100, tags);
  const r = decode(eth(0x8100, tags));
  assert.not.ok(r.ok);
  assert.is(reasonOf(r), 'too-many-layers');
});

test('tunnel stack is per packet (reused Packet)', () => {
  const pkt = new Packet();
  decode(outerUdp(4789, vxlan(1, eth(0x0800, INNER()))), 1, { pkt });
  assert.is(pkt.tunnelCount, 1);
  decode(eth(0x0800, INNER()), 1, { pkt });
  assert.is(pkt.tunnelCount, 0);
  assert.is(pkt.tunnelHash, 0);
});

test.run();
