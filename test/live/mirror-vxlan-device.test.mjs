// VPC Traffic Mirroring as the Linux kernel emulates it: a veth's traffic copied by
// `tc ... mirred` into a real `vxlan` device (VNI 4242) that sends it to the agent in
// another namespace, as a mirror session sends it to a mirror target. Real TLS
// (openssl) and HTTP (curl) through it. Then PacketLength-style truncation from a
// sender that cuts the inner frames, as AWS does when PacketLength is set.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { runCli, waitForStderr, isRoot, have, makeNamespacePair, makeCert, startServer, sessions, summaryOf, sh, framesOf, vxlan, CAPTURES } from './helpers.mjs';

const PORT = 4789;
const ok = isRoot() && have('ip') && have('tc') && have('openssl') && have('curl');
if (!ok) console.log('mirror-vxlan-device: needs root, ip, tc, openssl and curl: skipped');

/**
 * Namespaces a (clients, the mirror source veth), b (servers) and t (the mirror
 * target, over a 9001-byte path); a vxlan device in a (VNI 4242, to t:4789) gets a
 * copy of the source veth's traffic in the given directions; the agent runs in t.
 */
async function mirrorTopology(directions) {
  const ns = makeNamespacePair('mv');
  const id = process.pid % 100000;
  const t = { ns, target: `itr-mv-t-${process.pid}`, srcIp: `10.198.${(process.pid % 200) + 20}.1`, tgtIp: `10.198.${(process.pid % 200) + 20}.2`, children: [] };
  t.cleanup = () => {
    for (const c of t.children) c.kill();
    t.agent?.child.kill('SIGKILL');
    sh(`ip netns del ${t.target}`, { check: false });
    ns.cleanup();
  };
  try {
    sh(`ip netns add ${t.target}`);
    sh(`ip link add itmvs${id} netns ${ns.a} mtu 9001 type veth peer name itmvt${id} netns ${t.target} mtu 9001`);
    sh(`ip -n ${ns.a} addr add ${t.srcIp}/24 dev itmvs${id} && ip -n ${ns.a} link set itmvs${id} up`);
    sh(`ip -n ${t.target} addr add ${t.tgtIp}/24 dev itmvt${id} && ip -n ${t.target} link set itmvt${id} up && ip -n ${t.target} link set lo up`);
    // the mirror session: VXLAN VNI 4242 from the source's side to the target
    sh(`ip -n ${ns.a} link add itvx${id} type vxlan id 4242 remote ${t.tgtIp} local ${t.srcIp} dstport ${PORT} dev itmvs${id}`);
    sh(`ip -n ${ns.a} link set itvx${id} mtu 8950 up`);
    sh(`ip netns exec ${ns.a} tc qdisc add dev ${ns.va} clsact`);
    for (const dir of directions) {
      // matchall where the kernel has it, else u32 matching every packet (same effect)
      const mirror = `action mirred egress mirror dev itvx${id}`;
      const r = spawnSync('ip', ['netns', 'exec', ns.a, 'sh', '-c', `tc filter add dev ${ns.va} ${dir} matchall ${mirror}`], { encoding: 'utf8' });
      if (r.status !== 0) sh(`ip netns exec ${ns.a} tc filter add dev ${ns.va} ${dir} protocol all u32 match u32 0 0 ${mirror}`);
    }
    t.agent = runCli(['mirror', '--listen', `0.0.0.0:${PORT}`, '--ndjson', '--stats-interval', '0', '--health', `${t.tgtIp}:8081`], { prefix: ['ip', 'netns', 'exec', t.target] });
    await waitForStderr(t.agent, /receiving vxlan on 0\.0\.0\.0:4789/);
    t.children.push(
      await startServer(['ip', 'netns', 'exec', ns.b, process.execPath, '-e', `require('http').createServer((q, s) => s.end('hello from b\\n')).listen(8080, '${ns.ipB}')`], ns.a, ns.ipB, 8080),
    );
    return t;
  } catch (e) {
    t.cleanup();
    throw e;
  }
}

const curl = (t, path) => spawnSync('ip', ['netns', 'exec', t.ns.a, 'curl', '-sS', '--max-time', '5', `http://${t.ns.ipB}:8080/${path}`], { encoding: 'utf8' });

(ok ? test : test.skip)('kernel vxlan + tc mirred copy of a veth: TLS and HTTP sessions with vni 4242', async () => {
  const t = await mirrorTopology(['ingress', 'egress']);
  const { ns } = t;
  const dir = mkdtempSync(`${tmpdir()}/intransit-mirror-`);
  try {
    const { cert, key } = makeCert(dir, 'mirror.intransit.test');
    t.children.push(await startServer(['ip', 'netns', 'exec', ns.b, 'openssl', 's_server', '-accept', '4433', '-cert', cert, '-key', key, '-www'], ns.a, ns.ipB, 4433));
    const tls = spawnSync('ip', ['netns', 'exec', ns.a, 'openssl', 's_client', '-connect', `${ns.ipB}:4433`, '-servername', 'mirror.intransit.test', '-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256'], {
      input: 'GET / HTTP/1.0\r\n\r\n',
      encoding: 'utf8',
      timeout: 10000,
    });
    assert.is(tls.status, 0, tls.stderr);
    const http = curl(t, 'page');
    assert.is(http.stdout, 'hello from b\n', http.stderr);
    // the health endpoint answers from inside the target namespace (an NLB's check)
    const health = spawnSync('ip', ['netns', 'exec', t.target, 'curl', '-sS', '--max-time', '5', `http://${t.tgtIp}:8081/health`], { encoding: 'utf8' });
    assert.is(JSON.parse(health.stdout).ok, true, health.stdout + health.stderr);
    await new Promise((r) => setTimeout(r, 1500));
    t.agent.child.kill('SIGTERM');
    const r = await t.agent.done;
    assert.is(r.code, 0, r.stderr);
    const ss = sessions(r.docs).filter((s) => s.destination.ip === ns.ipB);
    // (the readiness probes' empty connections to the servers are mirrored too)
    const tlsSession = ss.find((s) => s.tls?.client?.server_name === 'mirror.intransit.test');
    const h = ss.find((s) => s.network.protocol === 'http');
    assert.ok(tlsSession && h, JSON.stringify(ss.map((s) => [s.network.protocol, s.destination])));
    assert.equal(tlsSession.intransit.tunnel, [{ type: 'vxlan', vni: 4242 }]);
    assert.equal(h.intransit.tunnel, [{ type: 'vxlan', vni: 4242 }]);
    assert.is(tlsSession.tls.version, '1.2');
    assert.is(tlsSession.tls.cipher, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
    assert.is(tlsSession.source.ip, ns.ipA);
    assert.is(tlsSession.destination.port, 4433);
    assert.is(h.destination.port, 8080);
    assert.is(h.intransit.encrypted, false);
    // both directions of each connection came through the one-way mirror copy
    for (const s of [tlsSession, h]) assert.ok(s.source.packets > 0 && s.destination.packets > 0);
    const m = summaryOf(r.docs).intransit.summary.mirror;
    const vni = m.sessions.find((s) => s.vni === 4242);
    assert.ok(vni, JSON.stringify(m));
    assert.equal(vni.outer_sources, [t.srcIp]);
    assert.is(vni.truncated, 0);
    assert.equal(m.findings, []);
  } finally {
    t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});

(ok ? test : test.skip)('a mirror of one direction only (ingress): the doctor says so once', async () => {
  const t = await mirrorTopology(['ingress']);
  try {
    for (let i = 0; i < 4; i++) assert.is(curl(t, `n${i}`).stdout, 'hello from b\n');
    await new Promise((r) => setTimeout(r, 1500));
    t.agent.child.kill('SIGTERM');
    const r = await t.agent.done;
    assert.is(r.code, 0, r.stderr);
    const lines = r.stderr.split('\n').filter((l) => l.includes('mirror doctor'));
    assert.is(lines.length, 1, r.stderr);
    assert.match(lines[0], /mirror session vni 4242: \d+ of \d+ TCP connections were seen in one direction only/);
    const f = summaryOf(r.docs).intransit.summary.mirror.findings;
    assert.equal(f.map((x) => [x.id, x.vni]), [['mirror-one-direction', 4242]]);
    assert.ok(f[0].count >= 4 && f[0].count === f[0].of, JSON.stringify(f));
  } finally {
    t.cleanup();
  }
});

test('PacketLength-style truncation (a sender cutting inner frames to 128 bytes): the doctor says so once', async () => {
  const agent = runCli(['mirror', '--listen', '127.0.0.1:0', '--ndjson', '--stats-interval', '0']);
  const port = Number((await waitForStderr(agent, /receiving vxlan on 127\.0\.0\.1:(\d+)/))[1]);
  const frames = [...framesOf(CAPTURES + 'tls12-ecdhe-rsa.pcap'), ...framesOf(CAPTURES + 'http-cleartext.pcap')];
  const long = frames.filter((f) => f.frame.length > 128).length;
  const s = dgram.createSocket('udp4');
  await new Promise((resolve) => {
    let left = frames.length;
    for (const f of frames) s.send(vxlan(f.frame.subarray(0, 128), 4242), port, '127.0.0.1', () => --left === 0 && resolve());
  });
  s.close();
  await waitForStderr(agent, /mirror doctor: .*cut short/);
  agent.child.kill('SIGINT');
  const r = await agent.done;
  assert.is(r.code, 0);
  const lines = r.stderr.split('\n').filter((l) => l.includes('mirror doctor'));
  assert.is(lines.length, 1, r.stderr);
  assert.match(lines[0], new RegExp(`vni 4242: ${long} of ${frames.length} mirrored packets arrived cut short \\(inner frames of 128 bytes`));
  assert.match(lines[0], /unset PacketLength/);
  const m = summaryOf(r.docs).intransit.summary.mirror;
  assert.equal(
    m.findings.map((f) => [f.id, f.vni, f.count, f.of]),
    [['mirror-truncated', 4242, long, frames.length]],
  );
  assert.is(m.sessions[0].truncated_at_bytes, 128);
});

test.run();
