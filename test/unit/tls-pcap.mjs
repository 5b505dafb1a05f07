// Test-local capture walker for the TLS corpus tests: classic pcap / pcapng frames, Ethernet /
// SLL / SLL2 / null / raw IP, IPv4 / IPv6, TCP; a naive per-direction reassembler that delivers
// in-order bytes in packet order (so both directions interleave as on the wire) into one
// TlsSession per connection. Not the product's engine: just enough to judge the TLS parser.
import { readFileSync } from 'node:fs';
import { TlsSession } from '../../agent/dist/protocols/tls/session.js';

// ------------------------------------------------------------------ pcap / pcapng walker
function* frames(buf) {
  const magic = buf.readUInt32LE(0);
  if (magic === 0x0a0d0d0a) {
    yield* pcapngFrames(buf);
    return;
  }
  let le;
  let nano = false;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) le = true;
  else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) le = false;
  else return;
  nano = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
  const r32 = (o) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linktype = r32(20) & 0xffff;
  let p = 24;
  while (p + 16 <= buf.length) {
    const incl = r32(p + 8);
    const start = p + 16;
    if (start + incl > buf.length) break;
    yield { linktype, data: buf.subarray(start, start + incl), nano };
    p = start + incl;
  }
}

function* pcapngFrames(buf) {
  let le = true;
  const links = [];
  let p = 0;
  while (p + 12 <= buf.length) {
    let type = le ? buf.readUInt32LE(p) : buf.readUInt32BE(p);
    if (type === 0x0a0d0d0a) {
      le = buf.readUInt32LE(p + 8) === 0x1a2b3c4d;
      links.length = 0;
    }
    const r32 = (o) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
    type = r32(p);
    const len = r32(p + 4);
    if (len < 12 || p + len > buf.length) break;
    if (type === 1) links.push(le ? buf.readUInt16LE(p + 8) : buf.readUInt16BE(p + 8));
    else if (type === 6) {
      const cap = r32(p + 20);
      yield { linktype: links[r32(p + 8)] ?? 1, data: buf.subarray(p + 28, p + 28 + cap) };
    } else if (type === 3) {
      const cap = Math.min(r32(p + 8), len - 16);
      yield { linktype: links[0] ?? 1, data: buf.subarray(p + 12, p + 12 + cap) };
    }
    p += len;
  }
}

/** Returns the IP packet offset for a link-layer frame, or -1. */
function ipOffset(linktype, d) {
  let off;
  let etype;
  switch (linktype) {
    case 1: // Ethernet
      off = 14;
      etype = d.readUInt16BE(12);
      while ((etype === 0x8100 || etype === 0x88a8) && off + 4 <= d.length) {
        etype = d.readUInt16BE(off + 2);
        off += 4;
      }
      return etype === 0x0800 || etype === 0x86dd ? off : -1;
    case 113: // Linux SLL
      return d.readUInt16BE(14) === 0x0800 || d.readUInt16BE(14) === 0x86dd ? 16 : -1;
    case 276: // SLL2
      return d.readUInt16BE(0) === 0x0800 || d.readUInt16BE(0) === 0x86dd ? 20 : -1;
    case 0: // BSD null
    case 108:
      return 4;
    case 12:
    case 14:
    case 101:
    case 228:
    case 229:
      return 0;
    default:
      return -1;
  }
}

function tcpSegment(linktype, d) {
  let p = ipOffset(linktype, d);
  if (p < 0 || p >= d.length) return null;
  const v = d[p] >> 4;
  let src;
  let dst;
  let end;
  if (v === 4) {
    const ihl = (d[p] & 15) * 4;
    if (d[p + 9] !== 6) return null;
    if ((d.readUInt16BE(p + 6) & 0x1fff) !== 0) return null;
    src = d.subarray(p + 12, p + 16).join('.');
    dst = d.subarray(p + 16, p + 20).join('.');
    end = Math.min(d.length, p + d.readUInt16BE(p + 2));
    p += ihl;
  } else if (v === 6) {
    let next = d[p + 6];
    src = d.subarray(p + 8, p + 24).toString('hex');
    dst = d.subarray(p + 24, p + 40).toString('hex');
    end = Math.min(d.length, p + 40 + d.readUInt16BE(p + 4));
    p += 40;
    while (next === 0 || next === 43 || next === 60) {
      next = d[p];
      p += (d[p + 1] + 1) * 8;
    }
    if (next !== 6) return null;
  } else return null;
  const sport = d.readUInt16BE(p);
  const dport = d.readUInt16BE(p + 2);
  const seq = d.readUInt32BE(p + 4);
  const flags = d[p + 13];
  const hl = (d[p + 12] >> 4) * 4;
  return { src, dst, sport, dport, seq, flags, payload: d.subarray(p + hl, Math.max(p + hl, end)) };
}

export const v6ToText = (hex) => {
  if (!/^[0-9a-f]{32}$/.test(hex)) return hex;
  const groups = hex.match(/.{4}/g).map((g) => parseInt(g, 16).toString(16));
  return groups.join(':').replace(/\b(?:0:){2,}/, '::').replace(/:{3,}/, '::');
};

// ------------------------------------------------------------------ naive reassembly into TlsSession
class Direction {
  constructor() {
    this.next = null;
    this.pending = new Map();
    this.started = false;
    this.pre = Buffer.alloc(0);
  }
}

function findTlsStart(b) {
  // A direction that opens with a record header is TLS from its first byte (e.g. a server whose
  // first word is an alert); otherwise (STARTTLS and friends) look for a hello record.
  if (b.length >= 3 && b[0] >= 20 && b[0] <= 23 && b[1] === 3 && b[2] <= 4) return 0;
  for (let i = 0; i + 5 < b.length; i++) {
    if (b[i] === 0x16 && b[i + 1] === 3 && b[i + 2] <= 4 && (b[i + 5] === 1 || b[i + 5] === 2)) return i;
    if (i === 0 && (b[0] & 0x80) && b[2] === 1 && b[3] <= 3) return 0; // SSLv2 CLIENT-HELLO
  }
  return -1;
}

function deliver(conn, fromOrig, bytes) {
  const d = fromOrig ? conn.o : conn.r;
  if (!d.started) {
    d.pre = Buffer.concat([d.pre, bytes]);
    const at = findTlsStart(d.pre);
    if (at < 0) {
      if (d.pre.length > 65536) d.pre = d.pre.subarray(d.pre.length - 8);
      return;
    }
    d.started = true;
    bytes = d.pre.subarray(at);
    d.pre = null;
  }
  conn.tls.feed(fromOrig, bytes, 0, bytes.length);
}

function push(conn, fromOrig, seg) {
  const d = fromOrig ? conn.o : conn.r;
  if (seg.flags & 2) {
    d.next = (seg.seq + 1) >>> 0;
    return;
  }
  if (seg.payload.length === 0) return;
  if (d.next === null) d.next = seg.seq;
  d.pending.set(seg.seq, Buffer.from(seg.payload));
  for (;;) {
    let progressed = false;
    for (const [seq, data] of d.pending) {
      const rel = (seq - d.next) | 0;
      if (rel > 0) continue;
      d.pending.delete(seq);
      if (-rel < data.length) {
        const fresh = data.subarray(-rel);
        d.next = (d.next + fresh.length) >>> 0;
        deliver(conn, fromOrig, fresh);
      }
      progressed = true;
    }
    if (!progressed) break;
  }
}

export function sessionsOf(file) {
  const conns = new Map();
  const list = [];
  for (const f of frames(readFileSync(file))) {
    const seg = tcpSegment(f.linktype, f.data);
    if (!seg) continue;
    const a = `${seg.src}|${seg.sport}`;
    const b = `${seg.dst}|${seg.dport}`;
    const key = a < b ? `${a}|${b}` : `${b}|${a}`;
    let conn = conns.get(key);
    const isSyn = (seg.flags & 0x12) === 0x02;
    if (conn && isSyn && conn.sawData) conn = undefined; // port reuse
    if (!conn) {
      const origIsSrc = isSyn || !(seg.flags & 0x12 && (seg.flags & 0x12) === 0x12);
      conn = {
        orig: origIsSrc ? [seg.src, seg.sport] : [seg.dst, seg.dport],
        resp: origIsSrc ? [seg.dst, seg.dport] : [seg.src, seg.sport],
        o: new Direction(), r: new Direction(), tls: new TlsSession(), sawData: false,
      };
      conns.set(key, conn);
      list.push(conn);
    }
    if (seg.payload.length) conn.sawData = true;
    push(conn, seg.src === conn.orig[0] && seg.sport === conn.orig[1], seg);
  }
  for (const c of list) c.tls.end();
  return list;
}

