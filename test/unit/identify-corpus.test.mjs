// Protocol identification against Zeek's verdicts on its own test traces
// (/work/shared/corpus/zeek: conn.log `service` per connection, ssl.log records for
// traces without a conn log). Each flow's first bytes per side are gathered by a
// test-local walker and passed to identify(); the agreement and every miss are printed.
// Skips when the shared corpus is absent.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { identify, NEED_MORE } from '../../agent/dist/protocols/identify.js';
import { collectFlows, walker } from './identify-pcap.mjs';

const ROOT = process.env.INTRANSIT_CORPUS ?? '/work/shared/corpus';
const ZEEK = join(ROOT, 'zeek');
const present = existsSync(join(ZEEK, 'expected.json'));

// Zeek analyzer names -> network.protocol values; analyzers that are not application
// protocols we identify (tunnels, sub-protocols, data channels) are left out.
const ZEEK_NAMES = {
  ssl: 'tls', ssh: 'ssh', http: 'http', ftp: 'ftp', smtp: 'smtp', pop3: 'pop3', imap: 'imap',
  irc: 'irc', xmpp: 'xmpp', redis: 'redis', mysql: 'mysql', postgresql: 'postgresql',
  ldap_tcp: 'ldap', ldap_udp: 'ldap', dns: 'dns', socks: 'socks', quic: 'quic', dtls: 'dtls',
  rdp: 'rdp', smb: 'smb', telnet: 'telnet',
};
// Connections Zeek gives a service we have no recogniser for: identify() must not claim them.
const FOREIGN = new Set(['dhcp', 'ntp', 'modbus', 'dce_rpc', 'krb_tcp', 'ftp-data', 'irc-dcc-data', 'rdpeudp', 'ssl,gridftp-data']);
const TUNNELS = new Set(['ayiya', 'geneve', 'gtpv1', 'teredo', 'vxlan']);
// Zeek verdicts that come from the port, not the payload (Zeek attaches some analyzers
// by well-known port): nothing in the bytes says so, identify() is right to decline.
const PORT_BASED = {
  'quic__383379789-decrypt-crash.pcap': 'one fuzzed 22 kB segment to port 21, no FTP dialogue',
};
// A TLS connection (ssl.log) may start in cleartext and upgrade (STARTTLS & co.)
const UPGRADES = new Set(['rdp', 'smtp', 'imap', 'pop3', 'ftp', 'xmpp', 'ldap', 'postgresql', 'mysql', 'irc', 'http']);

function expectedOf(service) {
  for (const part of service.split(',')) if (ZEEK_NAMES[part]) return ZEEK_NAMES[part];
  return null;
}

function findFlow(flows, rec, proto) {
  const { orig_h: oh, orig_p: op, resp_h: rh, resp_p: rp } = rec;
  const ok = (f) => !proto || f.proto === proto;
  if (op != null && rp != null) {
    for (const f of flows) {
      if (!ok(f)) continue;
      const fwd = f.orig[1] === op && f.resp[1] === rp && (oh == null || (f.orig[0] === oh && f.resp[0] === rh));
      if (fwd) return { f, c: f.bytes[0], s: f.bytes[1] };
      const rev = f.orig[1] === rp && f.resp[1] === op && (oh == null || (f.orig[0] === rh && f.resp[0] === oh));
      if (rev) return { f, c: f.bytes[1], s: f.bytes[0] }; // Zeek's originator decides the sides
    }
    return null;
  }
  // no 4-tuple in the baseline: the busiest flow of the trace
  let best = null;
  for (const f of flows) if (ok(f) && (!best || f.bytes[0].length + f.bytes[1].length > best.bytes[0].length + best.bytes[1].length)) best = f;
  return best && { f: best, c: best.bytes[0], s: best.bytes[1] };
}

const results = { early: [], portBased: [], agree: [], upgrade: [], wrong: [], missed: [], foreignClaimed: [], foreignOk: 0, notFound: [] };

if (present) {
  const expected = JSON.parse(readFileSync(join(ZEEK, 'expected.json'), 'utf8'));
  for (const [trace, entry] of Object.entries(expected)) {
    const path = join(ZEEK, 'pcaps', trace);
    if (!existsSync(path)) continue;
    const checks = [];
    for (const rec of entry.conn ?? []) {
      if (!rec.service) continue;
      const parts = rec.service.split(',');
      if (parts.every((p) => TUNNELS.has(p))) continue;
      const want = expectedOf(rec.service);
      if (!want && !FOREIGN.has(rec.service) && !parts.some((p) => FOREIGN.has(p))) continue;
      checks.push({ rec, want, proto: rec.proto, zeek: rec.service, viaSsl: false, portBased: PORT_BASED[trace] });
    }
    if (!entry.conn) {
      // ssl.log covers TLS, DTLS and QUIC: a trace's DTLS records name their version
      const isDtls = (entry.ssl ?? []).some((r) => typeof r.version === 'string' && r.version.startsWith('DTLS'));
      for (const rec of entry.ssl ?? []) {
        checks.push({ rec, want: null, proto: null, zeek: 'ssl.log', viaSsl: true, isDtls });
      }
    }
    if (!checks.length) continue;
    let flows;
    try {
      flows = collectFlows(path);
    } catch (e) {
      results.notFound.push(`${trace}: ${e.message}`);
      continue;
    }
    const seen = new Set();
    for (const ch of checks) {
      const hit = findFlow(flows, ch.rec, ch.proto);
      const where = `${trace} ${ch.rec.orig_h ?? '?'}:${ch.rec.orig_p ?? '?'} -> ${ch.rec.resp_h ?? '?'}:${ch.rec.resp_p ?? '?'} [${ch.zeek}]`;
      if (!hit) {
        results.notFound.push(where);
        continue;
      }
      if (seen.has(hit.f)) continue; // the same connection logged twice (e.g. STARTTLS, several QUIC records)
      seen.add(hit.f);
      const got = nameOf(identify(hit.f.proto, hit.c, hit.s, true, true));
      checkPrefixes(hit, got, where);
      const want = ch.viaSsl ? (hit.f.proto === 'tcp' ? 'tls' : ch.isDtls ? 'dtls' : 'quic') : ch.want;
      if (!ch.viaSsl && !want) {
        if (got) results.foreignClaimed.push(`${where}: identified as ${got}`);
        else results.foreignOk++;
      } else if (got === want) results.agree.push(where);
      else if (ch.portBased && got === null) results.portBased.push(`${where}: ${ch.portBased}`);
      else if (ch.viaSsl && UPGRADES.has(got)) results.upgrade.push(`${where}: ${got} (upgraded to TLS later)`);
      else if (got && got !== 'need-more') results.wrong.push(`${where}: expected ${want}, identified ${got}`);
      else results.missed.push(`${where}: expected ${want}, got ${got} (c ${hit.c.length} B: ${preview(hit.c)} | s ${hit.s.length} B: ${preview(hit.s)})`);
    }
  }
}

// JA4 corpus: the tool's records say which streams carried TLS (ja4 't'), QUIC ('q'),
// DTLS ('d'), HTTP (ja4h) or SSH (ssh_extras / ja4ssh).
const JA4 = join(ROOT, 'ja4');
if (present && existsSync(join(JA4, 'expected.json'))) {
  const expected = JSON.parse(readFileSync(join(JA4, 'expected.json'), 'utf8'));
  for (const [trace, records] of Object.entries(expected)) {
    const path = join(JA4, 'pcaps', trace);
    if (!existsSync(path)) continue;
    let flows;
    try {
      flows = collectFlows(path);
    } catch (e) {
      results.notFound.push(`ja4/${trace}: ${e.message}`);
      continue;
    }
    for (const r of records) {
      const kind = r.ja4?.[0];
      // ja4h with a TLS fingerprint: HTTP inside TLS (decrypted with key logs), or CONNECT before it
      const both = r.http?.length && kind === 't';
      const want = kind === 't' ? 'tls' : r.http?.length ? 'http' : kind === 'q' ? 'quic' : kind === 'd' ? 'dtls' : r.ssh_extras || r.ja4ssh ? 'ssh' : null;
      if (!want) continue;
      const where = `ja4/${trace} ${r.src}:${r.src_port} -> ${r.dst}:${r.dst_port} [${want}]`;
      const hit = findFlow(flows, { orig_h: r.src, orig_p: r.src_port, resp_h: r.dst, resp_p: r.dst_port }, r.transport);
      if (!hit) {
        results.notFound.push(where);
        continue;
      }
      const got = nameOf(identify(hit.f.proto, hit.c, hit.s, true, true));
      if (got === want) results.agree.push(where);
      else if (want === 'tls' && (got === 'socks' || (both && got === 'http'))) results.upgrade.push(`${where}: ${got} (proxy in front of TLS)`);
      else if (got && got !== 'need-more') results.wrong.push(`${where}: identified ${got}`);
      else results.missed.push(`${where}: got ${got} (c ${hit.c.length} B: ${preview(hit.c)} | s ${hit.s.length} B: ${preview(hit.s)})`);
      checkPrefixes(hit, got, where);
    }
  }
}

function nameOf(r) {
  return r === null ? null : r === NEED_MORE ? 'need-more' : r.name;
}

/**
 * Feeds the flow's bytes the way a flow table would, a growing prefix of each side at
 * a time: before the final answer identify() may only say NEED_MORE (or that answer).
 */
function checkPrefixes(hit, final, where) {
  const steps = [1, 2, 3, 5, 8, 13, 24, 40, 64, 100, 160, 256, 400, 640, 1024];
  for (const n of steps) {
    for (const m of [0, Math.max(0, n >> 1), n]) {
      const c = hit.c.subarray(0, n);
      const s = hit.s.subarray(0, m);
      const got = nameOf(identify(hit.f.proto, c, s, c.length === hit.c.length, s.length === hit.s.length));
      if (got !== 'need-more' && got !== final) {
        results.early.push(`${where}: with ${c.length}+${s.length} bytes: ${got}, finally ${final}`);
        return;
      }
    }
  }
}

function preview(b) {
  return JSON.stringify(b.subarray(0, 24).toString('latin1'));
}

// without the shared corpus the test is reported as skipped
(present ? test : test.skip)('corpus: identification agrees with Zeek and the JA4 snapshots', () => {
  const total = results.agree.length + results.upgrade.length + results.wrong.length + results.missed.length;
  console.log(`  (flows gathered with the ${walker} decoder)`);
  console.log(`  identify vs Zeek: ${results.agree.length}/${total} agree, ${results.upgrade.length} cleartext-then-TLS, ` +
    `${results.wrong.length} wrong, ${results.missed.length} missed; foreign services left alone ${results.foreignOk}, claimed ${results.foreignClaimed.length}; not found ${results.notFound.length}`);
  for (const l of [...results.wrong, ...results.missed, ...results.foreignClaimed]) console.log(`   MISS ${l}`);
  for (const l of results.early) console.log(`   EARLY ${l}`);
  for (const l of results.upgrade) console.log(`   note ${l}`);
  for (const l of results.portBased) console.log(`   port-based ${l}`);
  for (const l of results.notFound) console.log(`   not found ${l}`);
  assert.ok(total >= 100, `only ${total} corpus connections compared`);
  assert.equal(results.wrong, [], 'a connection identified as another protocol than Zeek saw');
  assert.equal(results.foreignClaimed, [], 'a connection of a protocol we do not recognise was claimed');
  assert.equal(results.early, [], 'a partial view identified another protocol than the full one');
  assert.ok((results.agree.length + results.upgrade.length) / total >= 0.95, 'agreement below 95%');
});

test.run();
