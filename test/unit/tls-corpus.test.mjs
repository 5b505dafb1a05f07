// TlsSession against the reference corpus (Zeek ssl.log baselines, JA4 snapshots), through a
// test-local pcap walker and a naive per-direction TCP reassembler (in-order delivery in packet
// order, so both directions interleave as on the wire). Skips cleanly when /work/shared is absent.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { sessionsOf, v6ToText } from './tls-pcap.mjs';

const CORPUS = '/work/shared/corpus';
const have = existsSync(join(CORPUS, 'zeek', 'expected.json'));

// ------------------------------------------------------------------ Zeek naming
const ZEEK_VERSIONS = { 0x0002: 'SSLv2', 0x0300: 'SSLv3', 0x0301: 'TLSv10', 0x0302: 'TLSv11', 0x0303: 'TLSv12', 0x0304: 'TLSv13' };
const zeekVersion = (v) => ZEEK_VERSIONS[v] ?? (v >> 8 === 0x7f ? `TLSv13-draft${v & 0xff}` : `unknown-${v}`);

let names = null;
async function loadNames() {
  if (names) return names;
  try {
    const c = await import('../../agent/dist/protocols/tls/iana/ciphers.js');
    const g = await import('../../agent/dist/protocols/tls/iana/groups.js');
    const a = await import('../../agent/dist/protocols/tls/iana/alerts.js');
    names = { cipher: c.cipherSuiteName, group: g.groupName, alert: a.alertName };
  } catch {
    names = { cipher: (x) => x, group: (x) => x, alert: (x) => x };
  }
  return names;
}

const sha256 = (b) => createHash('sha256').update(b).digest('hex');

function ours(s, n) {
  const sh = s.serverHello ?? s.helloRetryRequest;
  const curveCode = sh && sh.keyShareGroup >= 0 ? sh.keyShareGroup : s.serverKeyExchange && s.serverKeyExchange.namedCurve >= 0 ? s.serverKeyExchange.namedCurve : -1;
  const last = [...s.alerts].reverse().find((a) => !a.encrypted && a.beforeEstablished);
  return {
    version: sh ? zeekVersion(s.negotiatedVersion) : null,
    cipher: sh ? n.cipher(sh.cipherSuite) : null,
    curve: curveCode >= 0 ? n.group(curveCode) : null,
    server_name: s.clientHello?.serverName ?? null,
    established: s.established,
    resumed: s.resumed,
    next_protocol: s.serverHello?.alpn ?? null,
    ssl_history: s.history,
    last_alert: last ? n.alert(last.description) : null,
    cert_chain_fps: s.serverChainSha256 ?? s.serverCertificates.map(sha256),
  };
}

const FIELDS = ['version', 'cipher', 'curve', 'server_name', 'established', 'resumed', 'next_protocol', 'ssl_history', 'last_alert', 'cert_chain_fps'];

test('Zeek ssl.log baselines (TCP traces)', async () => {
  if (!have) return console.log('  corpus absent: skipped');
  const n = await loadNames();
  const expected = JSON.parse(readFileSync(join(CORPUS, 'zeek', 'expected.json'), 'utf8'));
  const tally = Object.fromEntries(FIELDS.map((f) => [f, { agree: 0, checked: 0 }]));
  const misses = [];
  let found = 0;
  let records = 0;
  for (const [trace, entry] of Object.entries(expected)) {
    if (!entry.ssl?.length || /^quic__|dtls|webrtc/i.test(trace)) continue;
    const file = join(CORPUS, 'zeek', 'pcaps', trace);
    if (!existsSync(file)) continue;
    const conns = sessionsOf(file).filter((c) => c.tls.clientHello || c.tls.serverHello);
    const used = new Set();
    for (const r of entry.ssl) {
      records++;
      const norm = (h) => (h && h.includes(':') ? h : h);
      const idx = conns.findIndex((c, i) => {
        if (used.has(i)) return false;
        if (r.orig_h == null) return true;
        const o = c.orig[0].includes('.') ? c.orig[0] : v6ToText(c.orig[0]);
        const rr = c.resp[0].includes('.') ? c.resp[0] : v6ToText(c.resp[0]);
        return (o === norm(r.orig_h) && c.orig[1] === r.orig_p && rr === norm(r.resp_h) && c.resp[1] === r.resp_p) ||
          (rr === norm(r.orig_h) && c.resp[1] === r.orig_p && o === norm(r.resp_h) && c.orig[1] === r.resp_p);
      });
      if (idx < 0) {
        misses.push(`${trace} ${r.orig_h}:${r.orig_p}->${r.resp_h}:${r.resp_p}: no TLS connection`);
        continue;
      }
      used.add(idx);
      found++;
      const got = ours(conns[idx].tls, n);
      for (const f of FIELDS) {
        if (!(f in r)) continue;
        const want = r[f];
        if (f === 'cert_chain_fps' && want === null) continue;
        tally[f].checked++;
        const same = JSON.stringify(want) === JSON.stringify(got[f]);
        if (same) tally[f].agree++;
        else misses.push(`${trace} ${r.orig_p}->${r.resp_p} ${f}: zeek ${JSON.stringify(want)} ours ${JSON.stringify(got[f])}`);
      }
    }
  }
  console.log(`\n  Zeek ssl records (TCP): ${records}, matched to a TLS connection: ${found}`);
  for (const f of FIELDS) console.log(`  ${f.padEnd(15)} ${tally[f].agree}/${tally[f].checked}`);
  for (const m of misses) console.log(`    - ${m}`);
  // Every record must be found, and the fields below must agree everywhere except the
  // documented differences listed in KNOWN_DIFFERENCES.
  const unexplained = misses.filter((m) => !KNOWN_DIFFERENCES.some((k) => m.includes(k)));
  assert.equal(unexplained, []);
});

// Differences understood and accepted (each explained in the report / comments).
const KNOWN_DIFFERENCES = [
  // GridFTP: the TLS records travel base64-encoded inside FTP ADAT commands (GSI); unwrapping
  // them is the FTP inspector's job, this harness only looks for raw TLS records.
  'globus-url-copy.pcap 192.168.57.103:60108->192.168.57.101:2811: no TLS connection',
  // The client's CCS record carries version 0xffff: Zeek stops the whole analyzer, we stop only
  // that direction and still record the server's CCS ('i'). established / resumed agree.
  'tls__tls1.2-late-protocol-error.pcap 56637->443 ssl_history: zeek "CsxnG" ours "CsxnGi"',
];

test('JA4 snapshots: SNI of every TLS-over-TCP client', async () => {
  if (!have) return console.log('  corpus absent: skipped');
  const expected = JSON.parse(readFileSync(join(CORPUS, 'ja4', 'expected.json'), 'utf8'));
  let ja4fn = null;
  try {
    ja4fn = (await import('../../agent/dist/protocols/tls/fingerprint/ja4.js')).ja4;
  } catch {}
  let checked = 0;
  let agree = 0;
  let ja4Checked = 0;
  let ja4Agree = 0;
  const misses = [];
  for (const [name, streams] of Object.entries(expected)) {
    const file = join(CORPUS, 'ja4', 'pcaps', name);
    if (!existsSync(file)) continue;
    const tcp = streams.filter((r) => r.transport === 'tcp' && (r.tls_server_name || r.ja4));
    if (!tcp.length) continue;
    const conns = sessionsOf(file);
    for (const r of tcp) {
      const c = conns.find((c) => (c.orig[1] === r.src_port && c.resp[1] === r.dst_port) || (c.resp[1] === r.src_port && c.orig[1] === r.dst_port));
      const ch = c?.tls.clientHello;
      if (r.tls_server_name) {
        checked++;
        if (ch?.serverName === r.tls_server_name) agree++;
        else misses.push(`${name} stream ${r.stream}: sni ${r.tls_server_name} ours ${ch?.serverName}`);
      }
      if (r.ja4 && ja4fn && ch) {
        ja4Checked++;
        let mine = null;
        try {
          mine = ja4fn(ch, 't');
        } catch {}
        if (mine === r.ja4) ja4Agree++;
        else misses.push(`${name} stream ${r.stream}: ja4 ${r.ja4} ours ${mine}`);
      }
    }
  }
  console.log(`\n  JA4 corpus TLS/TCP: sni ${agree}/${checked}, ja4 ${ja4Agree}/${ja4Checked}${ja4fn ? '' : ' (fingerprint module absent)'}`);
  for (const m of misses) console.log(`    - ${m}`);
  assert.is(agree, checked);
  assert.is(ja4Agree, ja4Checked);
});

test.run();
