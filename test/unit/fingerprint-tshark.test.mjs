// Real hellos from the conformance corpus, decoded by tshark (QUIC Initials included):
//  * JA4 of every ClientHello the JA4 corpus has a Rust snapshot for (TCP and QUIC),
//  * JA3 / JA3S of every TLS and DTLS hello in the JA4 and Zeek corpora against
//    Wireshark's own ja3 / ja3s fields.
// Skips cleanly when the corpus or tshark is absent.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { ja4 } from '../../agent/dist/protocols/tls/fingerprint/ja4.js';
import { ja3, ja3s } from '../../agent/dist/protocols/tls/fingerprint/ja3.js';

const CORPUS = '/work/shared/corpus';
const haveTshark = spawnSync('tshark', ['--version'], { encoding: 'utf8' }).status === 0;
const ready = haveTshark && existsSync(join(CORPUS, 'ja4', 'expected.json'));

// Common columns once (tshark prints a repeated field only in its last column), then the
// same hello fields for TLS and for DTLS.
const COMMON = ['frame.number', 'tcp.stream', 'udp.stream', 'quic.version'];
const FIELDS = (p) => [
  `${p}.handshake.type`, `${p}.handshake.version`, `${p}.handshake.ciphersuite`,
  `${p}.handshake.extension.type`, `${p}.handshake.extensions_supported_group`, `${p}.handshake.extensions_ec_point_format`,
  `${p}.handshake.sig_hash_alg_len`, `${p}.handshake.sig_hash_alg`, `${p}.handshake.extensions.supported_version`,
  `${p}.handshake.extensions_server_name`, `${p}.handshake.extensions_alpn_str`, `${p}.handshake.ja3_full`,
  `${p}.handshake.ja3`, `${p}.handshake.ja3s_full`, `${p}.handshake.ja3s`,
];

const run = promisify(execFile);

/** Runs `fn` over `items`, four at a time (one tshark each). */
async function pool(items, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return out;
}

/** Every TLS and DTLS ClientHello / ServerHello frame of a capture (one tshark run). */
async function hellos(file) {
  const args = ['-r', file, '-Y', 'tls.handshake.type == 1 || tls.handshake.type == 2 || dtls.handshake.type == 1 || dtls.handshake.type == 2', '-T', 'fields',
    '-E', 'occurrence=a', '-E', 'aggregator=,', '-E', 'separator=/t'];
  for (const f of [...COMMON, ...FIELDS('tls'), ...FIELDS('dtls')]) args.push('-e', f);
  const out = (await run('tshark', args, { encoding: 'utf8', maxBuffer: 256 << 20 })).stdout;
  const num = (s) => (s ? s.split(',').map((x) => Number(x)) : []);
  const n = FIELDS('tls').length;
  return out.split('\n').filter(Boolean).map((line) => {
    const all = line.split('\t');
    const head = all.slice(0, COMMON.length);
    const p = all[COMMON.length] ? 'tls' : 'dtls';
    const c = all.slice(COMMON.length + (p === 'dtls' ? n : 0));
    return {
      p, frame: Number(head[0]), tcpStream: head[1], udpStream: head[2], quic: !!head[3], types: num(c[0]),
      version: num(c[1])[0] ?? 0, ciphers: num(c[2]), exts: num(c[3]), groups: num(c[4]), pointFormats: num(c[5]),
      sigLens: num(c[6]), sigs: num(c[7]), versions: num(c[8]), sni: c[9] || null,
      alpn: c[10] ? [c[10].split(',')[0]] : [], ja3Full: c[11], ja3: c[12], ja3sFull: c[13], ja3s: c[14],
    };
  });
}

/** Signature algorithms of the signature_algorithms extension only: tshark lists the
 * algorithms of delegated_credentials (34) and signature_algorithms_cert (50) under the
 * same field, in extension order, each list preceded by its byte length. */
function sigalgsOf(h) {
  let at = 0;
  let k = 0;
  for (const t of h.exts) {
    if (t !== 13 && t !== 34 && t !== 50) continue;
    const n = (h.sigLens[k++] ?? 0) / 2;
    if (t === 13) return h.sigs.slice(at, at + n);
    at += n;
  }
  return [];
}

function clientHello(h, format) {
  return {
    format, recordVersion: 0, legacyVersion: h.version, random: null, sessionId: Buffer.alloc(0), cookie: null,
    cipherSuites: h.ciphers, compressionMethods: [0], extensions: h.exts.map((type) => ({ type, length: 0 })),
    serverName: h.sni, alpn: h.alpn, supportedGroups: h.groups, ecPointFormats: h.pointFormats,
    signatureAlgorithms: sigalgsOf(h), supportedVersions: h.versions, keyShareGroups: [], sessionTicket: false,
    sessionTicketLength: 0, pskOffered: false, pskModes: [], echOffered: false, quicTransportParameters: null, truncated: false,
  };
}

function serverHello(h) {
  return {
    legacyVersion: h.version, random: null, sessionId: Buffer.alloc(0), cipherSuite: h.ciphers[0] ?? 0, compressionMethod: 0,
    extensions: h.exts.map((type) => ({ type, length: 0 })), selectedVersion: 0, keyShareGroup: -1, alpn: null,
    sessionTicket: false, pskSelected: false, isHelloRetryRequest: false, truncated: false,
  };
}

test('JA4 of every corpus ClientHello (TCP and QUIC) equals the Rust snapshot', async () => {
  if (!ready) return console.log('  (skipped: tshark or corpus absent)');
  const exp = JSON.parse(readFileSync(join(CORPUS, 'ja4', 'expected.json'), 'utf8'));
  let checked = 0;
  let expected = 0;
  const entries = Object.entries(exp).filter(([, recs]) => recs.some((r) => r.ja4));
  const decoded = await pool(entries, ([pcap]) => hellos(join(CORPUS, 'ja4', 'pcaps', pcap)));
  for (const [k, [pcap, recs]] of entries.entries()) {
    const want = recs.filter((r) => r.ja4);
    expected += want.length;
    const firstByStream = new Map();
    for (const h of decoded[k]) {
      if (h.p !== 'tls' || !h.types.includes(1)) continue;
      const key = h.tcpStream ? `tcp ${h.tcpStream}` : `udp ${h.udpStream}`;
      if (!firstByStream.has(key)) firstByStream.set(key, h);
    }
    for (const r of want) {
      const h = firstByStream.get(`${r.transport} ${r.stream}`);
      assert.ok(h, `${pcap}: no ClientHello in ${r.transport} stream ${r.stream}`);
      const transport = r.transport === 'udp' ? 'q' : 't';
      assert.is(ja4(clientHello(h, 'tls'), transport), r.ja4, `${pcap} ${r.transport} stream ${r.stream}`);
      checked++;
    }
  }
  assert.is(checked, expected);
  assert.ok(checked >= 200, `only ${checked}`);
  console.log(`  JA4: ${checked} ClientHellos`);
});

test('JA3 / JA3S of every TLS and DTLS hello equal Wireshark\'s', async () => {
  if (!ready) return console.log('  (skipped: tshark or corpus absent)');
  const zeek = JSON.parse(readFileSync(join(CORPUS, 'zeek', 'expected.json'), 'utf8'));
  const files = [
    ...readdirSync(join(CORPUS, 'ja4', 'pcaps')).map((f) => join(CORPUS, 'ja4', 'pcaps', f)),
    ...Object.entries(zeek).filter(([, e]) => (e.ssl || []).length).map(([f]) => join(CORPUS, 'zeek', 'pcaps', f)),
  ].filter(existsSync);
  let clients = 0;
  let servers = 0;
  let dtls = 0;
  const decoded = await pool(files, (file) => hellos(file));
  for (const [k, file] of files.entries()) {
    for (const h of decoded[k]) {
      const p = h.p;
      {
        if (h.types.includes(1) && h.ja3) {
          const fp = ja3(clientHello(h, p));
          assert.is(fp.full, h.ja3Full, `${file} frame ${h.frame}`);
          assert.is(fp.hash, h.ja3, `${file} frame ${h.frame}`);
          clients++;
          if (p === 'dtls') dtls++;
        }
        if (h.types.includes(2) && h.ja3s) {
          const fp = ja3s(serverHello(h));
          assert.is(fp.full, h.ja3sFull, `${file} frame ${h.frame}`);
          assert.is(fp.hash, h.ja3s, `${file} frame ${h.frame}`);
          servers++;
        }
      }
    }
  }
  assert.ok(clients > 250 && servers > 100 && dtls > 0, `${clients} client, ${servers} server, ${dtls} DTLS hellos`);
  console.log(`  JA3: ${clients} ClientHellos (${dtls} DTLS), JA3S: ${servers} ServerHellos`);
});

test.run();
