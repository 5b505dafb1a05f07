// The DTLS traces of the reference corpus (Zeek's DTLS 1.0/1.2/1.3, connection id and WebRTC
// traces) through the flow inspector and the DTLS session, against Zeek's ssl.log baselines.
// A test-local walker reads the classic-pcap Ethernet/IPv4/UDP frames (not the product's
// engine: this judges identification + the DTLS layer alone). Skips when the corpus is absent.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppInspector } from '../../agent/dist/flow/inspector.js';
import { tlsDocument } from '../../agent/dist/protocols/tls/logger.js';

const CORPUS = '/work/shared/corpus/zeek';
const TRACES = ['tls__dtls1_0.pcap', 'tls__dtls1_2.pcap', 'tls__dtls13-cid.pcap', 'tls__dtls13-wolfssl.pcap', 'tls__webrtc-stun.pcap'];
const have = existsSync(join(CORPUS, 'expected.json'));

/** UDP datagrams of a classic little/big-endian pcap with Ethernet framing, IPv4. */
function* udpDatagrams(file) {
  const buf = readFileSync(file);
  const magic = buf.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const r32 = (o) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  for (let p = 24; p + 16 <= buf.length; ) {
    const incl = r32(p + 8);
    const d = buf.subarray(p + 16, p + 16 + incl);
    p += 16 + incl;
    if (d.length < 42 || d.readUInt16BE(12) !== 0x0800) continue;
    const ip = 14;
    if (d[ip + 9] !== 17) continue;
    const ihl = (d[ip] & 15) * 4;
    const u = ip + ihl;
    const end = Math.min(d.length, ip + d.readUInt16BE(ip + 2));
    yield {
      src: d.subarray(ip + 12, ip + 16).join('.'),
      dst: d.subarray(ip + 16, ip + 20).join('.'),
      sport: d.readUInt16BE(u),
      dport: d.readUInt16BE(u + 2),
      payload: d.subarray(u + 8, end),
    };
  }
}

function flows(file) {
  const map = new Map();
  for (const g of udpDatagrams(file)) {
    const a = `${g.src}|${g.sport}`;
    const b = `${g.dst}|${g.dport}`;
    const key = a < b ? `${a}|${b}` : `${b}|${a}`;
    let f = map.get(key);
    if (!f) {
      f = { a: [g.src, g.sport], b: [g.dst, g.dport], insp: new AppInspector('udp', -1) };
      map.set(key, f);
    }
    const fromA = g.src === f.a[0] && g.sport === f.a[1];
    if (g.payload.length > 0) f.insp.data(fromA, g.payload, 0, g.payload.length);
  }
  for (const f of map.values()) f.insp.end();
  return [...map.values()];
}

const zeekVersion = (v) => v.replace(/^DTLSv1(\d)$/, 'dtls 1.$1');

test('Zeek DTLS baselines: version, cipher, curve, established, certificates, history', () => {
  if (!have) return;
  const expected = JSON.parse(readFileSync(join(CORPUS, 'expected.json'), 'utf8'));
  let compared = 0;
  for (const name of TRACES) {
    const exp = expected[name];
    assert.ok(exp, name);
    const list = flows(join(CORPUS, 'pcaps', name));
    for (const r of exp.ssl) {
      const where = `${name} ${r.orig_h}:${r.orig_p}`;
      const f = list.find((x) => x.a[0] === r.orig_h && x.a[1] === r.orig_p && x.b[0] === r.resp_h && x.b[1] === r.resp_p);
      assert.ok(f, `${where}: flow (side A = Zeek's originator)`);
      assert.is(f.insp.protocol?.name, 'dtls', `${where}: identified`);
      const ds = f.insp.datagramSession;
      assert.ok(ds, where);
      const doc = tlsDocument(ds.tls, 'd');
      assert.ok(doc, `${where}: a hello was seen`);
      const t = doc.tls;
      if (r.version != null) assert.is(`${t.version_protocol} ${t.version}`, zeekVersion(r.version), `${where}: version`);
      else assert.is(t.version, undefined, `${where}: no ServerHello`);
      if (r.cipher != null) assert.is(t.cipher, r.cipher, `${where}: cipher`);
      if (r.curve != null) assert.is(t.curve, r.curve, `${where}: curve`);
      assert.is(t.client?.server_name, r.server_name ?? undefined, `${where}: SNI`);
      assert.is(t.established, r.established, `${where}: established`);
      assert.is(t.resumed, r.resumed, `${where}: resumed`);
      if (Array.isArray(r.cert_chain_fps) && r.cert_chain_fps.length) assert.equal(doc.intransitTls.chain_sha256, r.cert_chain_fps, `${where}: chain`);
      // Zeek repeats retransmitted ClientHellos in its history; retransmissions are ignored here
      if (r.version != null) assert.is(doc.intransitTls.history, r.ssl_history.replace('^', ''), `${where}: history`);
      assert.is(t.client.ja4[0], 'd', `${where}: JA4 transport`);
      assert.equal(ds.unobservable, [], `${where}: nothing unobservable`);
      assert.equal(ds.malformed, [], `${where}: nothing malformed`);
      compared++;
    }
  }
  assert.is(compared, 9);
});

test('DTLS 1.3 connection id trace: both handshakes negotiated CIDs and decoded every record', () => {
  if (!have) return;
  const list = flows(join(CORPUS, 'pcaps', 'tls__dtls13-cid.pcap'));
  const cid = list.find((f) => f.a[1] === 57488).insp.datagramSession;
  const facts = cid.facts();
  assert.is(facts.connection_id, true);
  assert.is(facts.cookie_length > 0, true);
  assert.is(facts.encrypted_records.server > 0 && facts.encrypted_records.client > 0, true);
  // the ClientHello retransmitted without an answer: one hello, the rest retransmissions
  const lonely = list.find((f) => f.a[1] === 58771).insp.datagramSession;
  assert.is(lonely.tls.history, 'C');
  assert.is(lonely.facts().handshake_retransmissions, 3);
});

test('WebRTC trace: STUN skipped, the DTLS client is the responder', () => {
  if (!have) return;
  const [f] = flows(join(CORPUS, 'pcaps', 'tls__webrtc-stun.pcap'));
  const ds = f.insp.datagramSession;
  assert.is(ds.tls.clientIsOriginator, false);
  assert.ok(ds.facts().multiplexed.stun >= 8);
});

// The bundled real captures (captures/gen/dtls.sh: OpenSSL 3 peers on lo, cookie exchange,
// handshake messages fragmented to the MTU)
const BUNDLED = new URL('../../captures/', import.meta.url).pathname;
for (const [file, version, connections] of [['dtls12-mtu-openssl.pcap', '1.2', 2], ['dtls10-openssl.pcap', '1.0', 1]]) {
  test(`bundled ${file}: DTLS ${version}, cookie exchange, fragmented flight reassembled, established`, () => {
    if (!existsSync(join(BUNDLED, file))) return;
    const list = flows(join(BUNDLED, file));
    assert.is(list.length, connections);
    for (const f of list) {
      const ds = f.insp.datagramSession;
      assert.ok(ds, 'identified as DTLS');
      const doc = tlsDocument(ds.tls, 'd');
      assert.is(doc.tls.version_protocol, 'dtls');
      assert.is(doc.tls.version, version);
      assert.is(doc.tls.client.server_name, 'dtls.intransit.test');
      assert.is(doc.tls.established, true);
      assert.is(doc.intransitTls.chain_sha256.length, 1, 'the fragmented Certificate was reassembled');
      assert.is(doc.intransitTls.chain[0].subject, 'CN=dtls.intransit.test,O=intransit test');
      assert.ok(doc.tls.curve, 'the fragmented ServerKeyExchange was reassembled');
      assert.is(doc.tls.client.ja4.slice(0, 4), `dd${version === '1.2' ? 2 : 1}d`);
      const facts = ds.facts();
      assert.is(facts.hello_verify_request, true);
      assert.is(facts.cookie_length, 20);
      assert.equal(ds.unobservable, []);
      assert.equal(ds.malformed, []);
    }
  });
}

test.run();
