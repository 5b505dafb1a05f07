// Decodes every packet of the tunnel captures of the reference corpus and compares, frame
// by frame, with tshark: a frame whose innermost transport (after the last tunnel layer
// tshark shows) is TCP or UDP must decode, with the same ports; any other must not.
// Skips when /work/shared is absent; the tshark comparison skips when tshark is missing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { Decoder } from '../../agent/dist/decode/decoder.js';
import { Packet } from '../../agent/dist/decode/packet.js';

const CORPUS = '/work/shared/corpus';
const ZEEK = `${CORPUS}/zeek/pcaps`;
const JA4 = `${CORPUS}/ja4/pcaps`;

const files = existsSync(ZEEK)
  ? [
      ...readdirSync(ZEEK)
        .filter((f) => f.startsWith('tunnels__'))
        .map((f) => `${ZEEK}/${f}`),
      ...['gre-erspan-vxlan.pcap', 'gre-sample.pcap', 'tcpdump-geneve.pcap'].map((f) => `${JA4}/${f}`).filter((f) => existsSync(f)),
    ]
  : [];

const hasTshark = spawnSync('tshark', ['-v'], { encoding: 'utf8' }).status === 0;

/** Minimal classic pcap / pcapng walker: sink(buf, off, caplen, origlen, linktype, tsSec, tsNsec). */
function walkCapture(path, sink) {
  const b = readFileSync(path);
  const m = b.readUInt32LE(0);
  if (m === 0x0a0d0d0a) return walkPcapng(b, sink);
  let le;
  let nano;
  if (m === 0xa1b2c3d4 || m === 0xa1b23c4d) (le = true), (nano = m === 0xa1b23c4d);
  else if (m === 0xd4c3b2a1 || m === 0x4d3cb2a1) (le = false), (nano = m === 0x4d3cb2a1);
  else throw new Error(`not a capture: ${path}`);
  const u32 = (o) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const linktype = u32(20) & 0xffff;
  let o = 24;
  while (o + 16 <= b.length) {
    const caplen = u32(o + 8);
    if (o + 16 + caplen > b.length) break;
    sink(b, o + 16, caplen, u32(o + 12), linktype, u32(o), nano ? u32(o + 4) : u32(o + 4) * 1000);
    o += 16 + caplen;
  }
}

function walkPcapng(b, sink) {
  let le = true;
  let ifaces = [];
  let o = 0;
  const u32 = (p) => (le ? b.readUInt32LE(p) : b.readUInt32BE(p));
  const u16 = (p) => (le ? b.readUInt16LE(p) : b.readUInt16BE(p));
  while (o + 12 <= b.length) {
    const type = b.readUInt32LE(o);
    if (type === 0x0a0d0d0a) {
      le = b.readUInt32LE(o + 8) === 0x1a2b3c4d;
      ifaces = [];
    }
    const len = u32(o + 4);
    if (len < 12 || o + len > b.length) break;
    if (type === 1) {
      // IDB: linktype, reserved, snaplen, options (if_tsresol = 9)
      let res = 1e6;
      for (let p = o + 16; p + 4 <= o + len - 4; ) {
        const code = u16(p);
        const olen = u16(p + 2);
        if (code === 0) break;
        if (code === 9) {
          const v = b[p + 4];
          res = v & 0x80 ? 2 ** (v & 0x7f) : 10 ** v;
        }
        p += 4 + ((olen + 3) & ~3);
      }
      ifaces.push({ linktype: u16(o + 8), snaplen: u32(o + 12), res });
    } else if (type === 6 || type === 2) {
      const ifc = ifaces[type === 6 ? u32(o + 8) : u16(o + 8)];
      const ts = u32(o + 12) * 2 ** 32 + u32(o + 16);
      const sec = Math.floor(ts / ifc.res);
      const nsec = Math.round(((ts % ifc.res) * 1e9) / ifc.res);
      sink(b, o + 28, u32(o + 20), u32(o + 24), ifc.linktype, sec, nsec);
    } else if (type === 3) {
      const ifc = ifaces[0];
      const orig = u32(o + 8);
      const cap = Math.min(orig, ifc.snaplen || orig, len - 16);
      sink(b, o + 12, cap, orig, ifc.linktype, 0, 0);
    }
    o += len;
  }
}

const TUNNEL_TOKENS = new Set(['vxlan', 'geneve', 'gre', 'erspan', 'teredo', 'ayiya', 'gtp']);
const STOP_TOKENS = new Set(['tcp', 'udp', 'icmp', 'icmpv6', 'arp']);

/** What tshark says a frame's innermost transport is: 'tcp', 'udp' or null. */
function tsharkInnermost(protocols) {
  const toks = protocols.split(':');
  let last = -1;
  toks.forEach((t, i) => TUNNEL_TOKENS.has(t) && (last = i));
  let after = toks.slice(last + 1);
  // a tunnel control message (Teredo bubble, AYIYA heartbeat, GTP echo) is the outer datagram itself
  if (last >= 0 && (after.length === 0 || after.join(':') === 'ipv6')) {
    const before = toks.slice(0, last).filter((t) => STOP_TOKENS.has(t));
    return before.length && (before.at(-1) === 'tcp' || before.at(-1) === 'udp') ? before.at(-1) : null;
  }
  const first = after.find((t) => STOP_TOKENS.has(t));
  return first === 'tcp' || first === 'udp' ? first : null;
}

function tsharkFrames(path) {
  const r = spawnSync(
    'tshark',
    ['-r', path, '-T', 'fields', '-E', 'occurrence=l', '-e', 'frame.protocols', '-e', 'tcp.srcport', '-e', 'tcp.dstport', '-e', 'udp.srcport', '-e', 'udp.dstport'],
    { encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  return r.stdout
    .split('\n')
    .filter((l) => l.length)
    .map((l) => {
      const [protocols, ts, td, us, ud] = l.split('\t');
      const kind = tsharkInnermost(protocols);
      return {
        protocols,
        kind,
        sport: kind === 'tcp' ? Number(ts) : Number(us),
        dport: kind === 'tcp' ? Number(td) : Number(ud),
      };
    });
}

if (files.length === 0) {
  test('corpus absent: skipped', () => {
    console.log('  (skipped: /work/shared/corpus not present)');
  });
} else {
  test('decodes every tunnel corpus packet like tshark', () => {
    const total = {};
    const summary = [];
    for (const path of files) {
      const decoder = new Decoder();
      const pkt = new Packet();
      const results = [];
      let frameNo = 0;
      walkCapture(path, (buf, off, caplen, origlen, linktype, tsSec, tsNsec) => {
        pkt.tsSec = tsSec;
        pkt.tsNsec = tsNsec;
        pkt.frameNo = ++frameNo;
        const ok = decoder.decode(pkt, buf, off, caplen, origlen, linktype);
        results.push({ ok, proto: pkt.ipProto, sport: pkt.srcPort, dport: pkt.dstPort, tunnels: pkt.tunnelCount });
      });
      for (const [k, v] of Object.entries(decoder.counts)) total[k] = (total[k] ?? 0) + v;
      const name = path.split('/').at(-1);
      const decoded = results.filter((r) => r.ok).length;
      if (hasTshark) {
        const frames = tsharkFrames(path);
        assert.is(frames.length, results.length, `${name}: frame count`);
        const simple = spawnSync('tshark', ['-r', path, '-Y', 'tcp || udp'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.trim()).length;
        frames.forEach((f, i) => {
          const r = results[i];
          const where = `${name} frame ${i + 1} (${f.protocols})`;
          assert.is(r.ok, f.kind !== null, `${where}: decoded`);
          if (f.kind === null) return;
          assert.is(r.proto, f.kind === 'tcp' ? 6 : 17, `${where}: protocol`);
          assert.is(r.sport, f.sport, `${where}: source port`);
          assert.is(r.dport, f.dport, `${where}: destination port`);
        });
        summary.push(`${name}: ${results.length} packets, ${decoded} decoded, tshark tcp||udp ${simple}, ${JSON.stringify(decoder.counts)}`);
      } else {
        summary.push(`${name}: ${results.length} packets, ${decoded} decoded, ${JSON.stringify(decoder.counts)}`);
      }
    }
    console.log(summary.map((s) => `  ${s}`).join('\n'));
    console.log(`  reasons over the corpus: ${JSON.stringify(total)}`);
  });
}

test.run();
