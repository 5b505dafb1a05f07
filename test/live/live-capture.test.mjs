// `intransit live`: the one-line errors (no cap module, no interface, bad filter, no
// permission) and, as root, a real TLS handshake between two network namespaces
// captured on the veth.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { loadErrorMessage, openErrorMessage, capLinktype } from '../../agent/dist/live/pcap.js';
import { runCli, waitForStderr, isRoot, have, makeNamespacePair, makeCert, startServer, sessions, summaryOf, CLI } from './helpers.mjs';

test('error mapper: each failure names what to do', () => {
  const missing = Object.assign(new Error("Cannot find package 'cap' imported from /x"), { code: 'MODULE_NOT_FOUND' });
  assert.match(loadErrorMessage(missing), /not installed: apt-get install libpcap-dev && npm rebuild cap/);
  const unbuilt = Object.assign(new Error("Cannot find module '../build/Release/cap.node'"), { code: 'MODULE_NOT_FOUND' });
  assert.match(loadErrorMessage(unbuilt), /installed but not built.*apt-get install libpcap-dev && npm rebuild cap/);
  const nolib = new Error('libpcap.so.0.8: cannot open shared object file: No such file or directory');
  assert.match(loadErrorMessage(nolib), /libpcap is not installed \(libpcap\.so\.0\.8 missing\)/);
  assert.match(openErrorMessage(new Error('socket: Operation not permitted'), 'eth0', ''), /permission denied.*setcap cap_net_raw,cap_net_admin=eip/);
  assert.match(openErrorMessage(new Error("You don't have permission to capture on that device"), 'eth0', ''), /run as root/);
  assert.match(openErrorMessage(new Error('eth9: No such device exists'), 'eth9', ''), /no interface "eth9"/);
  assert.match(openErrorMessage(new Error("can't parse filter expression: syntax error"), 'lo', 'tcp port'), /--bpf "tcp port": can't parse/);
  for (const m of [loadErrorMessage(missing), openErrorMessage(new Error('x\ny'), 'lo', '')]) assert.not.match(m, /\n/);
  assert.is(capLinktype('ETHERNET'), 1);
  assert.is(capLinktype('LINKTYPE_LINUX_SLL'), 113);
  assert.is(capLinktype('RAW'), 101);
  assert.is(capLinktype('Unknown linktype 276'), 276);
  assert.is(capLinktype('Unknown linktype 12'), 101);
});

test('without the cap module: one line saying what to do, exit 2, nothing on stdout', async () => {
  const r = await runCli(['live', '-i', 'lo', '--ndjson'], { env: { INTRANSIT_CAP_MODULE: '/nonexistent/cap' } }).done;
  assert.is(r.code, 2);
  assert.is(r.stdout, '');
  const lines = r.stderr.trim().split('\n');
  assert.is(lines.length, 1, r.stderr);
  assert.match(lines[0], /^intransit: live capture: the optional cap module .* apt-get install libpcap-dev && npm rebuild cap/);
});

test('usage and setup errors: exit 2 with one line', async () => {
  let r = await runCli(['live', '--ndjson']).done;
  assert.is(r.code, 2);
  assert.match(r.stderr, /live needs an interface: -i IFACE/);
  r = await runCli(['live', '-i', 'nosuchif0', '--ndjson']).done;
  assert.is(r.code, 2);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /no interface "nosuchif0"/);
  if (isRoot()) {
    r = await runCli(['live', '-i', 'lo', '--bpf', 'tcp port', '--ndjson']).done;
    assert.is(r.code, 2, r.stderr);
    assert.match(r.stderr, /--bpf "tcp port"/);
  }
});

test('without permission: one line naming root or setcap, exit 2', async () => {
  if (!isRoot() || !have('setpriv')) {
    console.log('  (skipped: needs root to drop to an unprivileged user)');
    return;
  }
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, 'live', '-i', 'lo', '--ndjson'], { encoding: 'utf8' });
  assert.is(r.status, 2, r.stderr);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /permission denied.*(run as root|setcap cap_net_raw,cap_net_admin=eip)/);
});

const netns = isRoot() && have('openssl') && have('ip');
if (!netns) console.log('live-capture: the network-namespace TLS test needs root, ip and openssl: skipped');
(netns ? test : test.skip)('real openssl TLS between two namespaces, captured live on the veth', async () => {
  const ns = makeNamespacePair('lv');
  const dir = mkdtempSync(`${tmpdir()}/intransit-live-`);
  let server;
  let agent;
  try {
    const { cert, key } = makeCert(dir, 'live.intransit.test');
    server = await startServer(['ip', 'netns', 'exec', ns.b, 'openssl', 's_server', '-accept', '4433', '-cert', cert, '-key', key, '-www'], ns.a, ns.ipB, 4433);
    agent = runCli(['live', '-i', ns.va, '--bpf', 'tcp port 4433', '--ndjson', '--stats-interval', '0', '--snaplen', '65535'], { prefix: ['ip', 'netns', 'exec', ns.a] });
    await waitForStderr(agent, /capturing on/);
    const client = (args) =>
      spawnSync('ip', ['netns', 'exec', ns.a, 'openssl', 's_client', '-connect', `${ns.ipB}:4433`, '-servername', 'live.intransit.test', ...args], { input: 'GET / HTTP/1.0\r\n\r\n', encoding: 'utf8', timeout: 10000 });
    const c12 = client(['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES256-GCM-SHA384']);
    assert.is(c12.status, 0, c12.stderr);
    const c13 = client(['-tls1_3', '-ciphersuites', 'TLS_CHACHA20_POLY1305_SHA256']);
    assert.is(c13.status, 0, c13.stderr);
    await new Promise((r) => setTimeout(r, 1000));
    agent.child.kill('SIGINT');
    const r = await agent.done;
    assert.is(r.code, 0, r.stderr);
    const ss = sessions(r.docs).filter((s) => s.network.protocol === 'tls');
    assert.is(ss.length, 2, JSON.stringify(r.docs.map((d) => d.event)));
    const [s12, s13] = ss;
    assert.is(s12.tls.version, '1.2');
    assert.is(s12.tls.cipher, 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384');
    assert.is(s12.tls.client.server_name, 'live.intransit.test');
    assert.is(s12.tls.server.x509.subject.common_name, 'live.intransit.test');
    assert.is(s13.tls.version, '1.3');
    assert.is(s13.tls.cipher, 'TLS_CHACHA20_POLY1305_SHA256');
    assert.is(s13.tls.client.server_name, 'live.intransit.test');
    for (const s of ss) {
      assert.is(s.source.ip, ns.ipA);
      assert.is(s.destination.ip, ns.ipB);
      assert.is(s.destination.port, 4433);
      assert.is(s.tls.established, true);
    }
    const cap = summaryOf(r.docs).intransit.summary.capture;
    assert.is(cap.interface, ns.va);
    assert.is(cap.linktype, 1);
    assert.is(cap.filter, 'tcp port 4433');
    assert.ok(cap.packets >= 20, JSON.stringify(cap));
    assert.is(cap.interface_drops, 0);
  } finally {
    server?.kill();
    agent?.child.kill('SIGKILL');
    ns.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
