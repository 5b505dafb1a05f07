// Link layers, IP and transport decoding on hand-built frames.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Decoder } from '../../agent/dist/decode/decoder.js';
import { Packet } from '../../agent/dist/decode/packet.js';
import {
  bytes,
  cat,
  decode,
  eth,
  ext6,
  ipv4,
  ipv6,
  mpls,
  reasonOf,
  tcp,
  tcp4,
  u16,
  u32,
  udp,
  v4word,
  v6words,
  vlanTag,
} from './decode-frames.mjs';

function assertTcp4(r, { sport = 40000, dport = 443, payload = 10 } = {}) {
  assert.ok(r.ok, `decoded (reasons ${JSON.stringify(r.reasons)})`);
  const p = r.pkt;
  assert.is(p.ipVersion, 4);
  assert.equal([...p.src], [0, 0, 0, v4word('10.0.0.1')]);
  assert.equal([...p.dst], [0, 0, 0, v4word('10.0.0.2')]);
  assert.is(p.ipProto, 6);
  assert.is(p.srcPort, sport);
  assert.is(p.dstPort, dport);
  assert.is(p.payloadLen, payload);
  assert.is(p.payloadWireLen, payload);
}

test('Ethernet / IPv4 / TCP: every field', () => {
  const frame = eth(0x0800, tcp4(Buffer.from('hello world'), { seq: 0xfffffff0, ack: 0x80000001, flags: 0x18, ttl: 57 }));
  const r = decode(frame);
  assertTcp4(r, { payload: 11 });
  const p = r.pkt;
  assert.is(p.ipOff, 14);
  assert.is(p.ipLen, 20 + 20 + 11);
  assert.is(p.l4Off, 34);
  assert.is(p.seq, 0xfffffff0);
  assert.is(p.ack, 0x80000001);
  assert.is(p.tcpFlags, 0x18);
  assert.is(p.ttl, 57);
  assert.is(p.payloadOff, 54);
  assert.is(p.buf.subarray(p.payloadOff, p.payloadOff + p.payloadLen).toString(), 'hello world');
  assert.is(p.vlanId, -1);
  assert.is(p.tunnelCount, 0);
  assert.equal(r.reasons, {});
});

test('frame at a non-zero offset of a larger buffer', () => {
  const frame = eth(0x0800, tcp4());
  const buf = cat(bytes(100, 0xee), frame, bytes(50, 0xee));
  const pkt = new Packet();
  const d = new Decoder();
  assert.ok(d.decode(pkt, buf, 100, frame.length, frame.length, 1));
  assert.is(pkt.ipOff, 114);
  assert.is(pkt.payloadOff, 154);
  assert.is(pkt.payloadLen, 10);
});

test('Ethernet padding is not payload', () => {
  // 14 + 20 + 20 + 2 = 56 bytes, padded to the 60-byte minimum (plus a 4-byte FCS)
  const frame = cat(eth(0x0800, tcp4(Buffer.from('hi'))), bytes(8, 0));
  const r = decode(frame);
  assertTcp4(r, { payload: 2 });
  assert.is(r.pkt.ipLen, 42);
  const u = decode(cat(eth(0x0800, ipv4({ proto: 17 }, udp({ sport: 1, dport: 2 })) ), bytes(18, 0)));
  assert.ok(u.ok);
  assert.is(u.pkt.payloadLen, 0);
  assert.is(u.pkt.payloadWireLen, 0);
});

test('snaplen-truncated TCP payload keeps the declared length', () => {
  const frame = eth(0x0800, tcp4(bytes(1000)));
  const cut = frame.subarray(0, 96);
  const r = decode(cut, 1, { origlen: frame.length });
  assert.ok(r.ok);
  assert.is(r.pkt.payloadLen, 96 - 54);
  assert.is(r.pkt.payloadWireLen, 1000);
  assert.is(r.pkt.ipLen, 1040);
  assert.equal(r.reasons, {});
});

test('IPv4 with options', () => {
  // record route option (7), length 11 + end of options (0) = 12 bytes
  const options = Buffer.from([7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const r = decode(eth(0x0800, ipv4({ proto: 6, options }, tcp({ sport: 1234, dport: 80 }, bytes(5)))));
  assert.ok(r.ok);
  assert.is(r.pkt.l4Off, 14 + 32);
  assert.is(r.pkt.srcPort, 1234);
  assert.is(r.pkt.dstPort, 80);
  assert.is(r.pkt.payloadLen, 5);
});

test('TCP options are skipped by the data offset', () => {
  const options = Buffer.from([2, 4, 0x05, 0xb4, 4, 2, 1, 3, 3, 7, 1, 1]); // MSS, SACK-perm, WS, NOPs
  const r = decode(eth(0x0800, ipv4({ proto: 6 }, tcp({ options }, Buffer.from('x')))));
  assert.ok(r.ok);
  assert.is(r.pkt.payloadOff, 14 + 20 + 32);
  assert.is(r.pkt.payloadLen, 1);
});

test('TCP with a bad data offset is dropped', () => {
  const r = decode(eth(0x0800, ipv4({ proto: 6 }, tcp({ doff: 4 }, bytes(20)))));
  assert.not.ok(r.ok);
  assert.is(reasonOf(r), 'tcp-bad-offset');
  const r2 = decode(eth(0x0800, ipv4({ proto: 6 }, tcp({ doff: 15 }, bytes(4)))));
  assert.is(reasonOf(r2), 'tcp-bad-offset');
});

test('UDP: fields, length shorter than the IP payload, bad lengths', () => {
  const r = decode(eth(0x0800, ipv4({ proto: 17 }, udp({ sport: 5353, dport: 53 }, bytes(12)))));
  assert.ok(r.ok);
  assert.is(r.pkt.ipProto, 17);
  assert.is(r.pkt.srcPort, 5353);
  assert.is(r.pkt.dstPort, 53);
  assert.is(r.pkt.payloadOff, 42);
  assert.is(r.pkt.payloadLen, 12);
  const short = decode(eth(0x0800, ipv4({ proto: 17 }, udp({ len: 12 }, bytes(12)))));
  assert.ok(short.ok);
  assert.is(short.pkt.payloadLen, 4);
  assert.is(short.pkt.payloadWireLen, 4);
  assert.is(reasonOf(decode(eth(0x0800, ipv4({ proto: 17 }, udp({ len: 100 }, bytes(12)))))), 'udp-bad-length');
  assert.is(reasonOf(decode(eth(0x0800, ipv4({ proto: 17 }, udp({ len: 7 }, bytes(12)))))), 'udp-bad-length');
});

test('IPv4 total length 0 (segmentation offload) uses the captured length', () => {
  const r = decode(eth(0x0800, tcp4(bytes(100), { totalLen: 0 })));
  assert.ok(r.ok);
  assert.is(r.pkt.ipLen, 140);
  assert.is(r.pkt.payloadLen, 100);
});

test('IPv4 malformed headers', () => {
  const bad = tcp4();
  bad[0] = 0x44; // IHL 4
  assert.is(reasonOf(decode(eth(0x0800, bad))), 'ipv4-bad-header');
  const v5 = tcp4();
  v5[0] = 0x55;
  assert.is(reasonOf(decode(eth(0x0800, v5))), 'ipv4-bad-header');
  assert.is(reasonOf(decode(eth(0x0800, tcp4(bytes(4), { totalLen: 19 })))), 'ipv4-bad-length');
  // a checksum that is wrong is never a reason to drop
  const cs = tcp4();
  cs.writeUInt16BE(0xdead, 10);
  assert.ok(decode(eth(0x0800, cs)).ok);
});

test('ICMP, opaque IP protocols, and non-IP frames', () => {
  const icmp = decode(eth(0x0800, ipv4({ proto: 1 }, bytes(8))));
  assert.not.ok(icmp.ok);
  assert.is(reasonOf(icmp), 'icmp');
  const icmp6 = decode(eth(0x86dd, ipv6({ nh: 58 }, bytes(8))));
  assert.is(reasonOf(icmp6), 'icmp');
  const esp = decode(eth(0x0800, ipv4({ proto: 50 }, bytes(32))));
  assert.ok(esp.ok);
  assert.is(esp.pkt.ipProto, 50);
  assert.is(esp.pkt.srcPort, 0);
  assert.is(esp.pkt.dstPort, 0);
  assert.is(esp.pkt.l4Off, 0);
  assert.is(esp.pkt.payloadOff, 34);
  assert.is(esp.pkt.payloadLen, 32);
  const arp = decode(eth(0x0806, bytes(28)));
  assert.not.ok(arp.ok);
  assert.is(reasonOf(arp), 'not-ip');
  const lldp = decode(eth(0x88cc, bytes(28)));
  assert.is(reasonOf(lldp), 'not-ip');
  const stp = decode(cat(Buffer.alloc(12), u16(38), [0x42, 0x42, 0x03], bytes(35)));
  assert.is(reasonOf(stp), 'not-ip');
  const nonext = decode(eth(0x86dd, ipv6({ nh: 59 }, Buffer.alloc(0))));
  assert.is(reasonOf(nonext), 'ipv6-no-next-header');
});

test('802.3 length + LLC/SNAP carrying IPv4', () => {
  const ip = tcp4();
  const llc = cat([0xaa, 0xaa, 0x03, 0, 0, 0], u16(0x0800), ip);
  const frame = cat(Buffer.alloc(12), u16(llc.length), llc, bytes(6, 0)); // padding after the 802.3 length
  const r = decode(frame);
  assertTcp4(r);
});

test('802.1Q, and QinQ 802.1ad (outermost VLAN id kept)', () => {
  const one = decode(eth(0x8100, vlanTag((5 << 13) | 100, 0x0800, tcp4())));
  assertTcp4(one);
  assert.is(one.pkt.vlanId, 100);
  for (const outer of [0x88a8, 0x9100]) {
    const qinq = decode(eth(outer, vlanTag(200, 0x8100, vlanTag(300, 0x0800, tcp4()))));
    assertTcp4(qinq);
    assert.is(qinq.pkt.vlanId, 200);
    assert.is(qinq.pkt.ipOff, 22);
  }
  assert.is(decode(eth(0x8100, vlanTag(0, 0x8100, tcp4()))).pkt.vlanId, 0);
});

test('MPLS: two-label stack then IPv4, IPv6; pseudowire with control word; unknown payload', () => {
  const r = decode(eth(0x8847, mpls([1000, 2000], tcp4())));
  assertTcp4(r);
  assert.is(r.pkt.ipOff, 14 + 8);
  const r6 = decode(eth(0x8847, mpls([16], ipv6({ nh: 17 }, udp({ sport: 1, dport: 2 }, bytes(3))))));
  assert.ok(r6.ok);
  assert.is(r6.pkt.ipVersion, 6);
  assert.is(r6.pkt.dstPort, 2);
  const pw = decode(eth(0x8847, mpls([77, 88], cat(u32(0), eth(0x8100, vlanTag(42, 0x0800, tcp4()))))));
  assertTcp4(pw);
  assert.is(pw.pkt.vlanId, 42);
  assert.is(reasonOf(decode(eth(0x8847, mpls([5], cat([0x90], bytes(40)))))), 'mpls-unknown-payload');
});

test('PPPoE session carrying IPv4 and IPv6; PPP control is not IP', () => {
  const ip = tcp4();
  const pppoe = (proto, payload) => cat([0x11, 0x00], u16(0x1234), u16(payload.length + 2), u16(proto), payload);
  assertTcp4(decode(cat(eth(0x8864, pppoe(0x0021, ip)), bytes(4, 0))));
  const r6 = decode(eth(0x8864, pppoe(0x0057, ipv6({ nh: 6 }, tcp({ sport: 9, dport: 10 })))));
  assert.ok(r6.ok);
  assert.is(r6.pkt.srcPort, 9);
  assert.is(reasonOf(decode(eth(0x8864, pppoe(0xc021, bytes(10))))), 'not-ip');
  assert.is(reasonOf(decode(eth(0x8864, cat([0x12, 0x00], bytes(10))))), 'pppoe-bad-header');
});

test('Linux SLL (113) and SLL2 (276)', () => {
  const sll = cat(u16(0), u16(1), u16(6), Buffer.alloc(8), u16(0x0800), tcp4());
  assertTcp4(decode(sll, 113));
  const sll6 = cat(u16(4), u16(1), u16(6), Buffer.alloc(8), u16(0x86dd), ipv6({ nh: 6 }, tcp()));
  assert.ok(decode(sll6, 113).ok);
  const sll2 = cat(u16(0x0800), u16(0), u32(3), u16(1), [0, 6], Buffer.alloc(8), tcp4());
  assertTcp4(decode(sll2, 276));
  const vlan2 = cat(u16(0x8100), u16(0), u32(3), u16(1), [0, 6], Buffer.alloc(8), vlanTag(7, 0x0800, tcp4()));
  assert.is(decode(vlan2, 276).pkt.vlanId, 7);
  const netlink = cat(u16(0), u16(824), u16(0), Buffer.alloc(8), u16(0x0800), bytes(40));
  assert.is(reasonOf(decode(netlink, 113)), 'not-ip');
});

test('raw IP link types 101, 12, 14, 228, 229', () => {
  for (const lt of [101, 12, 14, 228]) assertTcp4(decode(tcp4(), lt));
  for (const lt of [101, 12, 14, 229]) {
    const r = decode(ipv6({ nh: 17 }, udp({ sport: 7, dport: 8 })), lt);
    assert.ok(r.ok, `linktype ${lt}`);
    assert.is(r.pkt.ipVersion, 6);
  }
  assert.is(reasonOf(decode(cat([0x50], bytes(30)), 101)), 'not-ip');
  assert.is(reasonOf(decode(ipv6({ nh: 6 }, tcp()), 228)), 'ipv4-bad-header');
  assert.is(reasonOf(decode(tcp4(), 229)), 'ipv6-bad-header');
});

test('BSD null (0) in either byte order, OpenBSD loop (108)', () => {
  const le = (n) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  };
  assertTcp4(decode(cat(le(2), tcp4()), 0));
  assertTcp4(decode(cat(u32(2), tcp4()), 0));
  for (const af of [24, 28, 30]) {
    for (const enc of [le, u32]) {
      const r = decode(cat(enc(af), ipv6({ nh: 6 }, tcp())), 0);
      assert.ok(r.ok, `AF ${af}`);
      assert.is(r.pkt.ipVersion, 6);
    }
  }
  assert.is(reasonOf(decode(cat(le(7), tcp4()), 0)), 'not-ip');
  assertTcp4(decode(cat(u32(2), tcp4()), 108));
  assert.ok(decode(cat(u32(24), ipv6({ nh: 6 }, tcp())), 108).ok);
});

test('PPP (9) and Cisco HDLC (104) link types', () => {
  assertTcp4(decode(cat([0xff, 0x03], u16(0x0021), tcp4()), 9));
  assertTcp4(decode(cat([0x21], tcp4()), 9)); // compressed protocol field
  assertTcp4(decode(cat([0x0f, 0x00], u16(0x0800), tcp4()), 104));
});

test('unsupported link types are counted by number', () => {
  const d = new Decoder();
  decode(tcp4(), 127, { decoder: d });
  decode(tcp4(), 127, { decoder: d });
  decode(tcp4(), 105, { decoder: d });
  assert.equal(d.counts, { 'unsupported-linktype-127': 2, 'unsupported-linktype-105': 1 });
});

test('IPv6 with hop-by-hop and destination options', () => {
  const payload = ext6(60, Buffer.from([5, 2, 0, 0])) /* router alert */;
  const chain = cat(payload, ext6(6, Buffer.from([0xc9, 4, 1, 2, 3, 4])), tcp({ sport: 22, dport: 50022 }, bytes(7)));
  const r = decode(eth(0x86dd, ipv6({ nh: 0, hlim: 33 }, chain)));
  assert.ok(r.ok);
  const p = r.pkt;
  assert.is(p.ipVersion, 6);
  assert.equal([...p.src], v6words('2001:db8::1'));
  assert.equal([...p.dst], v6words('2001:db8::2'));
  assert.is(p.ipProto, 6);
  assert.is(p.ttl, 33);
  assert.is(p.ipLen, 40 + chain.length);
  assert.is(p.l4Off, 14 + 40 + 16);
  assert.is(p.srcPort, 22);
  assert.is(p.payloadLen, 7);
});

test('IPv6 addresses are unsigned words', () => {
  const r = decode(eth(0x86dd, ipv6({ nh: 17, src: 'fe80::1', dst: 'ff02::fb' }, udp({ sport: 5353, dport: 5353 }))));
  assert.is(r.pkt.src[0], 0xfe800000);
  assert.is(r.pkt.dst[0], 0xff020000);
  assert.is(r.pkt.dst[3], 0xfb);
});

test('IPv6 routing header, AH, and ESP ending the chain', () => {
  const routing = ext6(51, Buffer.from([0, 0, 0, 0, 0, 0]));
  const ah = cat([17, 4, 0, 0], u32(0x100), u32(1), bytes(12)); // (4 + 2) * 4 = 24 bytes
  const r = decode(eth(0x86dd, ipv6({ nh: 43 }, cat(routing, ah, udp({ sport: 500, dport: 4500 }, bytes(3))))));
  assert.ok(r.ok);
  assert.is(r.pkt.ipProto, 17);
  assert.is(r.pkt.dstPort, 4500);
  assert.is(r.pkt.l4Off, 14 + 40 + 8 + 24);
  const esp = decode(eth(0x86dd, ipv6({ nh: 60 }, cat(ext6(50), bytes(40)))));
  assert.ok(esp.ok);
  assert.is(esp.pkt.ipProto, 50);
  assert.is(esp.pkt.payloadLen, 40);
  const ah4 = decode(eth(0x0800, ipv4({ proto: 51 }, cat([6, 4, 0, 0], bytes(20), tcp({ dport: 25 })))));
  assert.ok(ah4.ok);
  assert.is(ah4.pkt.ipProto, 6);
  assert.is(ah4.pkt.dstPort, 25);
});

test('IPv6 extension header running past the payload length', () => {
  const ext = ext6(6, bytes(20, 1)); // 24 bytes
  const r = decode(eth(0x86dd, ipv6({ nh: 0, plen: 16 }, cat(ext, tcp()))));
  assert.not.ok(r.ok);
  assert.is(reasonOf(r), 'ipv6-bad-extension');
});

test('reset between packets: nothing leaks from the previous packet', () => {
  const d = new Decoder();
  const pkt = new Packet();
  decode(eth(0x8100, vlanTag(9, 0x0800, tcp4())), 1, { decoder: d, pkt });
  assert.is(pkt.vlanId, 9);
  const r = decode(eth(0x0800, ipv4({ proto: 17 }, udp({ sport: 1, dport: 2 }))), 1, { decoder: d, pkt });
  assert.ok(r.ok);
  assert.is(pkt.vlanId, -1);
  assert.is(pkt.tcpFlags, 0);
  assert.is(pkt.seq, 0);
});

test.run();
