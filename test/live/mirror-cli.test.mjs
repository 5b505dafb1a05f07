// `intransit mirror` as a process on loopback: VXLAN and GENEVE datagrams in, NDJSON
// out, the health endpoint, SIGTERM handling, and the one-line errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import dgram from 'node:dgram';
import { framesOf, vxlan, geneve, runCli, waitForStderr, CAPTURES, sessions, summaryOf, ipv4Udp } from './helpers.mjs';

function send(port, datagrams) {
  const s = dgram.createSocket('udp4');
  return new Promise((resolve) => {
    let left = datagrams.length;
    for (const d of datagrams) s.send(d, port, '127.0.0.1', () => --left === 0 && (s.close(), resolve()));
  });
}

test('TLS and HTTP over VXLAN: sessions with their VNI; health endpoint; SIGTERM writes the summary', async () => {
  const run = runCli(['mirror', '--listen', '127.0.0.1:0', '--health', '127.0.0.1:0', '--ndjson', '--stats-interval', '1']);
  const port = Number((await waitForStderr(run, /receiving vxlan on 127\.0\.0\.1:(\d+)/))[1]);
  const healthUrl = (await waitForStderr(run, /health endpoint on (http:\S+)/))[1];
  await send(port, framesOf(CAPTURES + 'tls13-openssl.pcap').map((f) => vxlan(f.frame, 4242)));
  await send(port, framesOf(CAPTURES + 'http-cleartext.pcap').map((f) => vxlan(f.frame, 4243)));
  await waitForStderr(run, /mirror: \d+ datagrams/);
  const res = await fetch(healthUrl);
  assert.is(res.status, 200);
  const h = await res.json();
  assert.is(h.ok, true);
  assert.is(h.command, 'mirror');
  assert.ok(h.datagrams > 0, JSON.stringify(h));
  assert.is((await fetch(healthUrl.replace('/health', '/nope'))).status, 404);
  const t0 = Date.now();
  run.child.kill('SIGTERM');
  const r = await run.done;
  assert.ok(Date.now() - t0 < 5000, 'stopped within 5 s');
  assert.is(r.code, 0, r.stderr);
  const ss = sessions(r.docs);
  const tls = ss.find((s) => s.network.protocol === 'tls');
  assert.is(tls.tls.version, '1.3');
  assert.equal(tls.intransit.tunnel, [{ type: 'vxlan', vni: 4242 }]);
  const http = ss.filter((s) => s.network.protocol === 'http');
  assert.ok(http.length >= 1);
  assert.ok(http.every((s) => s.intransit.tunnel[0].vni === 4243));
  const sum = summaryOf(r.docs);
  assert.ok(sum, 'summary written');
  assert.is(r.docs.at(-1), sum, 'summary last');
  const m = sum.intransit.summary.mirror;
  assert.equal(m.sessions.map((s) => s.vni), [4242, 4243]);
  assert.equal(m.sessions[0].outer_sources, ['127.0.0.1']);
  assert.ok(m.rcvbuf_granted > 0);
  assert.is(m.drops, 0);
  assert.equal(m.findings, []);
  assert.is(sum.intransit.summary.capture.datagrams, m.sessions[0].datagrams + m.sessions[1].datagrams);
  assert.match(r.stderr, /stopped \(SIGTERM\)/);
});

test('GENEVE (Gateway Load Balancer endpoint) carrying VXLAN: --encap geneve, --duration', async () => {
  const run = runCli(['mirror', '--listen', '127.0.0.1:0', '--encap', 'geneve', '--duration', '2', '--ndjson']);
  const port = Number((await waitForStderr(run, /receiving geneve on 127\.0\.0\.1:(\d+)/))[1]);
  await send(port, framesOf(CAPTURES + 'tls12-ecdhe-rsa.pcap').map((f) => geneve(ipv4Udp(vxlan(f.frame, 31), 4789), 0, 0x0800)));
  const r = await run.done;
  assert.is(r.code, 0, r.stderr);
  const ss = sessions(r.docs);
  assert.is(ss.length, 4);
  assert.ok(ss.every((s) => s.tls.version === '1.2' && s.intransit.tunnel.at(-1).vni === 31));
  assert.equal(summaryOf(r.docs).intransit.summary.mirror.sessions.map((s) => s.vni), [31]);
});

test('errors: port in use, bad --listen, bad --encap: one line, exit 2', async () => {
  const holder = dgram.createSocket('udp4');
  await new Promise((r) => holder.bind(0, '127.0.0.1', r));
  const busy = holder.address().port;
  let r = await runCli(['mirror', '--listen', `127.0.0.1:${busy}`, '--ndjson']).done;
  holder.close();
  assert.is(r.code, 2);
  assert.is(r.stderr.trim().split('\n').filter((l) => !/kernel granted/.test(l)).length, 1, r.stderr);
  assert.match(r.stderr, /address already in use/);
  assert.is(r.stdout, '');
  r = await runCli(['mirror', '--listen', 'nowhere:99999']).done;
  assert.is(r.code, 2);
  assert.is(r.stderr.trim().split('\n').length, 1);
  r = await runCli(['mirror', '--encap', 'gre']).done;
  assert.is(r.code, 2);
  assert.match(r.stderr, /--encap takes vxlan or geneve/);
});

test.run();
