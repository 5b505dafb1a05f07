// QUIC through the whole engine (`intransit replay --ndjson`): the project's capture of real
// ngtcp2 peers (captures/quic-ngtcp2.pcap, made by captures/gen/quic.sh: a plain handshake
// and one with Retry), and the QUIC traces of the reference corpus against Zeek's ssl.log
// and the JA4 project's snapshots (skipped when the corpus is absent).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'agent/dist/cli.js');
const CORPUS = process.env.INTRANSIT_CORPUS || '/work/shared/corpus';

function sessions(file) {
  const r = spawnSync(process.execPath, [CLI, 'replay', file, '--ndjson'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.is(r.status, 0, r.stderr);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .filter((d) => d.event?.dataset === 'intransit.session');
}

test('captures/quic-ngtcp2.pcap: two QUIC v1 handshakes, the second after a Retry', () => {
  const list = sessions(join(ROOT, 'captures/quic-ngtcp2.pcap')).filter((d) => d.network.protocol === 'quic');
  assert.is(list.length, 2);
  for (const d of list) {
    assert.is(d.network.transport, 'udp');
    assert.is(d.intransit.encrypted, true);
    assert.is(d.tls.version_protocol, 'tls');
    assert.is(d.tls.version, '1.3');
    assert.is(d.tls.cipher, 'TLS_AES_128_GCM_SHA256');
    assert.is(d.tls.curve, 'x25519');
    assert.is(d.tls.client.server_name, 'localhost');
    assert.ok(/^q13d\d{4}h3_/.test(d.tls.client.ja4), d.tls.client.ja4);
    assert.is(d.source.ip, '127.0.0.1');
    assert.ok(d.destination.port === 44433 || d.destination.port === 44434, 'originator is the client');
    const q = d.intransit.quic;
    assert.is(q.version, 'v1');
    assert.ok(/^[0-9a-f]{16,40}$/.test(q.client_dcid));
    assert.is(q.client_transport_parameters.initial_source_connection_id, q.client_scid);
    assert.is(q.client_transport_parameters.initial_max_data, 15728640);
    assert.is(d.intransit.unobservable, undefined);
  }
  const retried = list.find((d) => d.destination.port === 44434).intransit.quic;
  assert.is(retried.retry, true);
  assert.is(retried.retry_integrity, true);
  assert.equal(retried.initial_packets, { client: 2, server: 1 });
  assert.is(list.find((d) => d.destination.port === 44433).intransit.quic.retry, false);
});

const zeekFile = join(CORPUS, 'zeek/expected.json');
const ja4File = join(CORPUS, 'ja4/expected.json');
const haveCorpus = existsSync(zeekFile) && existsSync(ja4File);

(haveCorpus ? test : test.skip)("corpus: QUIC traces agree with Zeek's ssl.log (version, cipher, curve, SNI)", () => {
  const expected = JSON.parse(readFileSync(zeekFile, 'utf8'));
  let checked = 0;
  for (const [name, e] of Object.entries(expected)) {
    if (!name.startsWith('quic__')) continue;
    const docs = sessions(join(CORPUS, 'zeek/pcaps', name));
    for (const r of e.ssl ?? []) {
      if (r.orig_h == null) continue;
      const d = docs.find((s) => s.source.ip === r.orig_h && s.source.port === r.orig_p && s.destination.port === r.resp_p && s.tls);
      assert.ok(d, `${name} ${r.orig_h}:${r.orig_p}`);
      assert.is(d.network.protocol, 'quic', name);
      assert.is(d.tls.version, '1.3', name);
      assert.is(d.tls.cipher, r.cipher, name);
      assert.is(d.tls.curve.toLowerCase(), r.curve.toLowerCase(), name);
      assert.is(d.tls.client.server_name ?? null, r.server_name, name);
      checked++;
    }
  }
  assert.is(checked, 13);
});

(haveCorpus ? test : test.skip)('corpus: QUIC JA4 fingerprints agree with the JA4 snapshots', () => {
  const expected = JSON.parse(readFileSync(ja4File, 'utf8'));
  let checked = 0;
  for (const [name, list] of Object.entries(expected)) {
    const quic = list.filter((r) => r.transport === 'udp' && r.ja4?.startsWith('q'));
    if (!quic.length) continue;
    const docs = sessions(join(CORPUS, 'ja4/pcaps', name));
    for (const r of quic) {
      const d = docs.find((s) => s.network.protocol === 'quic' && s.source.port === Number(r.src_port));
      assert.ok(d, `${name} ${r.src}:${r.src_port}`);
      assert.is(d.tls.client.ja4, r.ja4, name);
      assert.is(d.tls.client.server_name, r.tls_server_name, name);
      checked++;
    }
  }
  assert.is(checked, 51);
});

test.run();
