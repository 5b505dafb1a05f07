// The mirror path in-process: VXLAN / GENEVE pseudo-link frames as a UDP socket
// delivers them, out-of-order arrival, and the mirror doctor's three findings.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Engine } from '../../agent/dist/engine.js';
import { Decoder } from '../../agent/dist/decode/decoder.js';
import { Packet } from '../../agent/dist/decode/packet.js';
import { LINKTYPE_VXLAN_PAYLOAD, LINKTYPE_GENEVE_PAYLOAD } from '../../agent/dist/decode/layers.js';
import { ArraySink } from '../../agent/dist/output/writer.js';
import { MirrorDoctor } from '../../agent/dist/mirror/doctor.js';
import { MirrorSink } from '../../agent/dist/mirror/sink.js';
import { framesOf, vxlan, geneve, CAPTURES, sessions, summaryOf, ipv4Udp } from './helpers.mjs';

const TLS12 = CAPTURES + 'tls12-ecdhe-rsa.pcap';

/** Runs datagrams through engine + doctor as the receiver does; returns docs and lines. */
function feed(datagrams, { linktype = LINKTYPE_VXLAN_PAYLOAD, source = '10.0.0.5' } = {}) {
  const lines = [];
  const doctor = new MirrorDoctor((l) => lines.push(l));
  const out = new ArraySink();
  const sink = new MirrorSink(out, doctor, () => doctor.report());
  const engine = new Engine(sink);
  let t = 1_700_000_000;
  for (const d of datagrams) {
    t += 0.001;
    const sec = Math.floor(t);
    engine.packet(d, 0, d.length, d.length, linktype, sec, Math.round((t - sec) * 1e9));
    doctor.datagram(engine.pkt, d, d.length, linktype === LINKTYPE_VXLAN_PAYLOAD, source);
  }
  doctor.check();
  engine.finish({});
  doctor.check();
  return { docs: out.docs, lines, doctor, engine };
}

test('VXLAN pseudo link: the session is decoded, the VNI kept, the header checked strictly', () => {
  const frames = framesOf(TLS12).map((f) => vxlan(f.frame, 4242));
  const { docs } = feed(frames);
  const [s] = sessions(docs);
  assert.is(s.tls.version, '1.2');
  assert.is(s.tls.cipher, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
  assert.is(s.tls.client.server_name, 'www.intransit.test');
  assert.equal(s.intransit.tunnel, [{ type: 'vxlan', vni: 4242 }]);

  const d = new Decoder();
  const p = new Packet();
  const bad = vxlan(framesOf(TLS12)[0].frame, 1);
  bad[0] = 0; // I flag clear: not a VXLAN header, and nothing else can be on this socket
  assert.not.ok(d.decode(p, bad, 0, bad.length, bad.length, LINKTYPE_VXLAN_PAYLOAD));
  assert.is(d.counts['vxlan-bad-flags'], 1);
  assert.not.ok(d.decode(p, bad, 0, 5, 5, LINKTYPE_VXLAN_PAYLOAD));
  assert.is(d.counts['vxlan-truncated'], 1);
});

test('GENEVE pseudo link: GWLB-style GENEVE carrying the mirror VXLAN datagram', () => {
  const frames = framesOf(TLS12).map((f) => geneve(ipv4Udp(vxlan(f.frame, 77), 4789), 0, 0x0800, 2));
  const { docs, doctor } = feed(frames, { linktype: LINKTYPE_GENEVE_PAYLOAD });
  const [s] = sessions(docs);
  assert.is(s.tls.version, '1.2');
  assert.equal(s.intransit.tunnel, [{ type: 'geneve', vni: 0 }, { type: 'vxlan', vni: 77 }]);
  const rep = doctor.report();
  assert.equal(rep.sessions.map((x) => x.vni), [77]);
  assert.is(rep.sessions[0].datagrams, frames.length);
});

test('out-of-order arrival (mirror copies through an NLB): same session facts', () => {
  const frames = framesOf(TLS12).map((f) => vxlan(f.frame, 9));
  // swap neighbours throughout, and deliver the server's first flight before the ClientHello
  const shuffled = frames.slice();
  for (let i = 1; i + 1 < shuffled.length; i += 2) [shuffled[i], shuffled[i + 1]] = [shuffled[i + 1], shuffled[i]];
  const inOrderAll = sessions(feed(frames).docs);
  const outOfOrderAll = sessions(feed(shuffled).docs);
  assert.is(outOfOrderAll.length, inOrderAll.length);
  const packets = (ss) => ss.reduce((n, s) => n + s.source.packets + s.destination.packets, 0);
  assert.is(packets(outOfOrderAll), frames.length);
  assert.is(packets(inOrderAll), frames.length);
  const inOrder = inOrderAll[0];
  const outOfOrder = outOfOrderAll[0];
  assert.is(outOfOrder.tls.version, inOrder.tls.version);
  assert.is(outOfOrder.tls.cipher, inOrder.tls.cipher);
  assert.is(outOfOrder.tls.client.server_name, inOrder.tls.client.server_name);
  assert.is(outOfOrder.tls.client.ja4, inOrder.tls.client.ja4);
  assert.is(outOfOrder.source.ip, inOrder.source.ip);
  assert.is(outOfOrder.tls.established, true);
});

test('doctor (a): inner frames cut short like PacketLength=100, reported once with counts', () => {
  const frames = framesOf(TLS12).map((f) => vxlan(f.frame.subarray(0, 100), 4242));
  const long = framesOf(TLS12).filter((f) => f.frame.length > 100).length;
  const { docs, lines, doctor } = feed(frames);
  const f = doctor.findings().find((x) => x.id === 'mirror-truncated');
  assert.ok(f, 'truncation found');
  assert.is(f.vni, 4242);
  assert.is(f.count, long);
  assert.is(f.of, frames.length);
  const doctorLines = lines.filter((l) => l.includes('cut short'));
  assert.is(doctorLines.length, 1, 'one stderr line');
  assert.match(doctorLines[0], /PacketLength/);
  assert.match(doctorLines[0], /8947/);
  assert.match(doctorLines[0], /8446/);
  const mirror = summaryOf(docs).intransit.summary.mirror;
  assert.is(mirror.sessions[0].truncated, long);
  assert.is(mirror.sessions[0].truncated_at_bytes, 100);
  assert.ok(mirror.findings.some((x) => x.id === 'mirror-truncated'));
  // intact frames never count
  assert.is(feed(framesOf(TLS12).map((f) => vxlan(f.frame, 1))).doctor.findings().length, 0);
});

test('doctor (b): connections seen in one direction only', () => {
  const all = [];
  for (const file of ['tls12-ecdhe-rsa.pcap', 'tls13-openssl.pcap', 'http-cleartext.pcap']) {
    const frames = framesOf(CAPTURES + file);
    // keep what the client sent: an ingress-only filter on the server's ENI
    const client = frames[0].frame.subarray(26, 30).toString('hex');
    for (const f of frames) if (f.frame.subarray(26, 30).toString('hex') === client) all.push(vxlan(f.frame, 5));
  }
  const { lines, doctor, docs } = feed(all);
  const f = doctor.findings().find((x) => x.id === 'mirror-one-direction');
  assert.ok(f, JSON.stringify(doctor.report()));
  assert.is(f.vni, 5);
  assert.is(f.count, f.of);
  assert.ok(f.of >= 3);
  assert.is(lines.filter((l) => l.includes('one direction')).length, 1);
  assert.ok(sessions(docs).every((s) => s.intransit.flow.one_direction));
  // both directions: nothing to say
  const both = feed(['tls12-ecdhe-rsa.pcap', 'tls13-openssl.pcap', 'http-cleartext.pcap'].flatMap((n) => framesOf(CAPTURES + n).map((x) => vxlan(x.frame, 5))));
  assert.not.ok(both.doctor.findings().some((x) => x.id === 'mirror-one-direction'));
});

test('doctor (c): socket drops name rmem_max and more agents', () => {
  const lines = [];
  const doctor = new MirrorDoctor((l) => lines.push(l));
  doctor.socketHealth({ drops: 0, rcvbufErrors: 0, granted: 8 << 20, rmemMax: 4 << 20 });
  doctor.check();
  assert.is(lines.length, 0);
  doctor.socketHealth({ drops: 1234, rcvbufErrors: 1300, granted: 8 << 20, rmemMax: 4 << 20 });
  doctor.check();
  doctor.socketHealth({ drops: 2000, rcvbufErrors: 2100, granted: 8 << 20, rmemMax: 4 << 20 });
  doctor.check();
  assert.is(lines.length, 1, 'reported once');
  assert.match(lines[0], /dropped 1234 datagrams/);
  assert.match(lines[0], /net\.core\.rmem_max=67108864/);
  assert.match(lines[0], /Network Load Balancer/);
  const f = doctor.findings().find((x) => x.id === 'mirror-socket-drops');
  assert.is(f.count, 2000, 'the summary has the final count');
});

test('datagrams that are not VXLAN count as unknown, not as a session', () => {
  const { doctor } = feed([Buffer.from('\0\0\0\0not a tunnel at all')]);
  assert.is(doctor.unknownSession, 1);
  assert.equal(doctor.report().sessions, []);
});

test.run();
