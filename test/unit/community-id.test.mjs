// Community ID v1 against the spec repository's published baselines
// (corelight/community-id-spec baseline/baseline_deflt.json and baseline_seed1.json):
// TCP, UDP, SCTP over IPv4 and IPv6, ICMP / ICMPv6 request-reply pairing and one-way
// messages, and a port-less protocol (RSVP), each in both directions, seeds 0 and 1.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isIPv4 } from 'node:net';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { communityId } from '../../agent/dist/flow/community-id.js';

/** Address text → 4 words as the flow table stores them (IPv4 in word 3). */
function words(ip) {
  const w = new Uint32Array(4);
  if (isIPv4(ip)) {
    w[3] = ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
    return [4, w];
  }
  const [head, tail] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t].map((g) => parseInt(g, 16));
  for (let i = 0; i < 4; i++) w[i] = groups[2 * i] * 65536 + groups[2 * i + 1];
  return [6, w];
}

// proto, saddr, daddr, sport, dport, seed 0, seed 1
const VECTORS = [
  [58, 'fe80::200:86ff:fe05:80da', 'fe80::260:97ff:fe07:69ea', 135, 136, '1:dGHyGvjMfljg6Bppwm3bg0LO8TY=', '1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY='],
  [58, 'fe80::260:97ff:fe07:69ea', 'fe80::200:86ff:fe05:80da', 136, 135, '1:dGHyGvjMfljg6Bppwm3bg0LO8TY=', '1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY='],
  [58, 'fe80::260:97ff:fe07:69ea', 'fe80::200:86ff:fe05:80da', 135, 136, '1:zavyT/cezQr1fmImYCwYnMXbgck=', '1:2hSqmsDZ2kdcY9kbiUzOEBic0iM='],
  [58, 'fe80::200:86ff:fe05:80da', 'fe80::260:97ff:fe07:69ea', 136, 135, '1:zavyT/cezQr1fmImYCwYnMXbgck=', '1:2hSqmsDZ2kdcY9kbiUzOEBic0iM='],
  [58, '3ffe:501:1800:2345::2', '3ffe:507:0:1:200:86ff:fe05:80da', 3, 0, '1:2ObVBgIn28oZvibYZhZMBgh7WdQ=', '1:lVEtCZpYu84Xqaa++3lXFyuu2n4='],
  [58, '3ffe:501:410:0:2c0:dfff:fe47:33e', '3ffe:507:0:1:200:86ff:fe05:80da', 1, 4, '1:hLZd0XGWojozrvxqE0dWB1iM6R0=', '1:W8MHwXpWzpoSTD+cGcaJr4u0ys8='],
  [58, '3ffe:507:0:1:200:86ff:fe05:80da', '3ffe:501:0:1001::2', 128, 129, '1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=', '1:GfZxjAkDk2MkegpBYHV6tadtFXQ='],
  [58, '3ffe:501:0:1001::2', '3ffe:507:0:1:200:86ff:fe05:80da', 129, 128, '1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=', '1:GfZxjAkDk2MkegpBYHV6tadtFXQ='],
  [58, 'fe80::200:86ff:fe05:80da', 'ff02::2', 133, 134, '1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=', '1:L7Ka0ZMYu+J3bL4ulW2PrqyXNo8='],
  [58, 'fe80::260:97ff:fe07:69ea', 'ff02::1', 134, 133, '1:pkvHqCL88/tg1k4cPigmZXUtL00=', '1:K/ee5UCqAMAQXDorP5nSa2CGLjc='],
  [1, '192.168.0.89', '192.168.0.1', 8, 0, '1:X0snYXpgwiv9TZtqg64sgzUn6Dk=', '1:03g6IloqVBdcZlPyX8r0hgoE7kA='],
  [1, '192.168.0.1', '192.168.0.89', 0, 8, '1:X0snYXpgwiv9TZtqg64sgzUn6Dk=', '1:03g6IloqVBdcZlPyX8r0hgoE7kA='],
  [1, '10.0.0.1', '10.0.0.2', 11, 0, '1:YHxtAirCG//0OzkcVAukqKQN9xM=', '1:XjUibYHaafLQ3pxQeiMI8g25q20='],
  [6, '2001:470:e5bf:dead:4957:2174:e82c:4887', '2607:f8b0:400c:c03::1a', 63943, 25, '1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=', '1:eJYTW6AOzFLlSUoESovMjnu7rMw='],
  [6, '2607:f8b0:400c:c03::1a', '2001:470:e5bf:dead:4957:2174:e82c:4887', 25, 63943, '1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=', '1:eJYTW6AOzFLlSUoESovMjnu7rMw='],
  [132, '192.168.170.8', '192.168.170.56', 7, 7, '1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=', '1:5w3ZRjeKBzqT3zsaEECDGjUbYeg='],
  [132, '192.168.170.56', '192.168.170.8', 7, 7, '1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=', '1:5w3ZRjeKBzqT3zsaEECDGjUbYeg='],
  [6, '128.232.110.120', '66.35.250.204', 34855, 80, '1:LQU9qZlK+B5F3KDmev6m5PMibrg=', '1:3V71V58M3Ksw/yuFALMcW0LAHvc='],
  [6, '66.35.250.204', '128.232.110.120', 80, 34855, '1:LQU9qZlK+B5F3KDmev6m5PMibrg=', '1:3V71V58M3Ksw/yuFALMcW0LAHvc='],
  [17, '192.168.1.52', '8.8.8.8', 54585, 53, '1:d/FP5EW3wiY1vCndhwleRRKHowQ=', '1:Q9We8WO3piVF8yEQBNJF4uiSVrI='],
  [17, '8.8.8.8', '192.168.1.52', 53, 54585, '1:d/FP5EW3wiY1vCndhwleRRKHowQ=', '1:Q9We8WO3piVF8yEQBNJF4uiSVrI='],
  [46, '10.1.12.1', '10.1.12.2', 0, 0, '1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=', '1:rYir8gphR31noO9iDRQmF/BteEI='],
  [46, '10.1.12.2', '10.1.12.1', 0, 0, '1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=', '1:rYir8gphR31noO9iDRQmF/BteEI='],
];

test('spec baseline, seed 0 (default)', () => {
  for (const [proto, s, d, sp, dp, id0] of VECTORS) {
    const [v, sw] = words(s);
    const [, dw] = words(d);
    assert.is(communityId(v, sw, dw, proto, sp, dp), id0, `${proto} ${s}:${sp} -> ${d}:${dp}`);
  }
});

test('spec baseline, seed 1', () => {
  for (const [proto, s, d, sp, dp, , id1] of VECTORS) {
    const [v, sw] = words(s);
    const [, dw] = words(d);
    assert.is(communityId(v, sw, dw, proto, sp, dp, 1), id1, `${proto} ${s}:${sp} -> ${d}:${dp}`);
  }
});

test('ports are ignored for port-less protocols, used for TCP; input arrays untouched', () => {
  const [, a] = words('10.1.12.1');
  const [, b] = words('10.1.12.2');
  const before = [...a];
  assert.is(communityId(4, a, b, 46, 1234, 80), '1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=');
  assert.is.not(communityId(4, a, b, 6, 1234, 80), communityId(4, a, b, 6, 1234, 81));
  assert.equal([...a], before);
});

test('same address both sides: the smaller port orders the tuple', () => {
  const [, a] = words('127.0.0.1');
  assert.is(communityId(4, a, a, 6, 5000, 80), communityId(4, a, a, 6, 80, 5000));
});

test('matches tshark\'s own Community ID on every packet of corpus captures', () => {
  const dir = '/work/shared/corpus/ja4/pcaps';
  if (spawnSync('tshark', ['--version']).status !== 0 || !existsSync(dir)) return console.log('  (skipped: tshark or corpus absent)');
  let n = 0;
  for (const pcap of ['v6.pcap', 'ipv6.pcapng', 'tls12.pcap', 'dhcp.pcapng', 'dhcpv6.pcap', 'tls-alpn-h2.pcap', 'latest.pcapng', 'tls3.pcapng', 'gre-erspan-vxlan.pcap', 'macos_tcp_flags.pcap']) {
    const out = execFileSync('tshark', ['--enable-protocol', 'communityid', '-r', join(dir, pcap), '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,',
      '-e', 'ip.src', '-e', 'ip.dst', '-e', 'ipv6.src', '-e', 'ipv6.dst', '-e', 'ip.proto', '-e', 'ipv6.nxt', '-e', 'tcp.srcport', '-e', 'tcp.dstport',
      '-e', 'udp.srcport', '-e', 'udp.dstport', '-e', 'icmp.type', '-e', 'icmp.code', '-e', 'icmpv6.type', '-e', 'icmpv6.code', '-e', 'communityid'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
    for (const line of out.split('\n')) {
      const c = line.split('\t');
      if (!c[14] || c.some((x) => x.includes(','))) continue; // no ID, or nested headers
      const s = c[0] || c[2];
      const d = c[1] || c[3];
      // The transport after any IPv6 extension headers (ipv6.nxt is the first header's).
      const proto = c[6] ? 6 : c[8] ? 17 : c[10] ? 1 : c[12] ? 58 : Number(c[4] || c[5]);
      const sp = Number(c[6] || c[8] || c[10] || c[12] || 0);
      const dp = Number(c[7] || c[9] || c[11] || c[13] || 0);
      const [v, sw] = words(s);
      const [, dw] = words(d);
      assert.is(communityId(v, sw, dw, proto, sp, dp), c[14], `${pcap}: ${line}`);
      n++;
    }
  }
  assert.ok(n > 500, `only ${n} packets`);
  console.log(`  tshark: ${n} packets agree`);
});

test.run();
