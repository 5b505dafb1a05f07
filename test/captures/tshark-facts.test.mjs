// Independent cross-check of the bundled captures: tshark's own dissection of each
// stream (captures/tshark-facts.json, written by captures/gen/tshark-facts.mjs when
// the captures were generated) against intransit's session documents. The snapshot
// test pins our whole output; this one says that output agrees with Wireshark.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = join(root, 'captures');
const cli = join(root, 'agent', 'dist', 'cli.js');
const facts = JSON.parse(readFileSync(join(dir, 'tshark-facts.json'), 'utf8'));

const VERSION = { 'TLS 1.0': ['tls', '1.0'], 'TLS 1.1': ['tls', '1.1'], 'TLS 1.2': ['tls', '1.2'], 'TLS 1.3': ['tls', '1.3'], 'DTLS 1.0': ['dtls', '1.0'], 'DTLS 1.2': ['dtls', '1.2'], 'SSL 3.0': ['ssl', '3.0'] };

for (const capture of facts.captures) {
  const file = join(dir, capture.file);
  if (!existsSync(file)) continue;
  test(`${capture.file} agrees with tshark`, () => {
    const docs = execFileSync(process.execPath, [cli, 'replay', file, '--ndjson'], { maxBuffer: 1 << 26 })
      .toString().trim().split('\n').map((l) => JSON.parse(l));
    const sessions = docs.filter((d) => d.event.dataset === 'intransit.session');
    const summary = docs.at(-1);
    assert.is(summary.event.dataset, 'intransit.summary');
    assert.is(summary.intransit.summary.packets, capture.packets, 'packets read');
    assert.is(sessions.length, capture.streams.length, 'one session per tshark stream');
    for (const st of capture.streams) {
      const where = `${capture.file} ${st.client.ip}:${st.client.port}`;
      const s = sessions.find((x) => x.source.ip === st.client.ip && x.source.port === st.client.port && x.destination.ip === st.server.ip && x.destination.port === st.server.port);
      assert.ok(s, `${where}: session with tshark's client as source`);
      assert.is(s.network.transport, st.transport, where);
      assert.is(s.network.type, st.ip_version === 6 ? 'ipv6' : 'ipv4', where);
      assert.is(s.source.packets, st.packets.client, `${where} client packets`);
      assert.is(s.destination.packets, st.packets.server, `${where} server packets`);
      assert.is(s.source.bytes, st.ip_bytes.client, `${where} client IP bytes`);
      assert.is(s.destination.bytes, st.ip_bytes.server, `${where} server IP bytes`);
      assert.is(s.network.vlan?.id, st.vlan_ids.length ? st.vlan_ids[0] : undefined, `${where} vlan`);
      assert.equal((s.intransit.tunnel ?? []).map((t) => ({ type: t.type, ...(t.vni !== undefined ? { vni: t.vni } : {}) })), st.tunnels, `${where} tunnels`);
      // tshark names what it dissected; on a port it does not know, it sees only the TLS
      // after a STARTTLS (and nothing of a cleartext protocol): judge what it did see
      const seen = st.tshark_protocols;
      if (seen.length) {
        const agrees = seen.includes(s.network.protocol) || (seen.length === 1 && seen[0] === 'tls' && s.intransit.starttls?.used === true);
        assert.ok(agrees, `${where} protocol ${s.network.protocol}, tshark: ${seen.join(',')}`);
      }
      const t = st.tls;
      if (!t) {
        assert.is(s.tls, undefined, `${where}: no TLS`);
        continue;
      }
      if (t.version) {
        const [vp, v] = VERSION[t.version];
        assert.is(s.tls.version_protocol, vp, `${where} version protocol`);
        assert.is(s.tls.version, v, `${where} version`);
      } else assert.is(s.tls?.version, undefined, `${where} no version`);
      assert.is(s.tls.cipher, t.cipher ?? undefined, `${where} cipher`);
      if (t.group) assert.is(s.tls.curve, t.group, `${where} group`);
      assert.is(s.tls.client?.server_name, t.server_name ?? undefined, `${where} SNI`);
      if (t.alpn && (s.tls.version !== '1.3')) assert.is(s.tls.next_protocol, t.alpn, `${where} ALPN`);
      if (st.transport === 'tcp') {
        assert.is(s.tls.client?.ja3, t.ja3 ?? undefined, `${where} JA3`);
        if (t.ja3s) assert.is(s.tls.server?.ja3s, t.ja3s, `${where} JA3S`);
      }
      if (typeof t.resumed === 'boolean') assert.is(s.tls.resumed, t.resumed, `${where} resumed`);
      if (t.dh_prime_bits) assert.is(s.intransit.tls.dh_prime_bits, t.dh_prime_bits, `${where} DH prime bits`);
      const chain = st.certificates.server.map((c) => c.sha256);
      if (chain.length) {
        assert.equal(s.intransit.tls.chain_sha256, chain, `${where} chain`);
        assert.is(s.tls.server.hash.sha256, chain[0], `${where} leaf hash`);
        const leaf = st.certificates.server[0];
        assert.is(s.tls.server.x509.subject?.common_name, leaf.subject_common_name, `${where} leaf CN`);
      }
      const clientChain = st.certificates.client.map((c) => c.sha256);
      if (clientChain.length) assert.is(s.tls.client?.hash?.sha256, clientChain[0], `${where} client cert`);
    }
  });
}

test('a capture holding a secret never shows it', () => {
  for (const name of ['http-cleartext.pcap', 'ftp-cleartext.pcap']) {
    const file = join(dir, name);
    if (!existsSync(file)) continue;
    assert.ok(readFileSync(file).includes('S3cr3t-Never-Shown'), `${name} holds the secret on the wire`);
    for (const args of [['--ndjson'], []]) {
      const out = execFileSync(process.execPath, [cli, 'replay', file, ...args]).toString();
      assert.not.ok(out.includes('S3cr3t-Never-Shown'), `${name} ${args.join(' ')}: the secret is not in the output`);
    }
  }
});

test.run();
