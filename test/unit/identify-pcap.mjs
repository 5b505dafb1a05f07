// Test-only capture walker for the identification corpus test: reads pcap/pcapng,
// decodes link/IP/TCP/UDP (plus the tunnels the Zeek corpus uses: VLAN, MPLS, PPPoE,
// IP-in-IP, GRE/PPTP/ERSPAN, VXLAN, Geneve, Teredo, AYIYA, GTP-U, GRE-over-UDP) and
// gathers, per flow, the first bytes each side sent in sequence order. Deliberately
// naive (no checksum checks, no reassembly past the first gap, non-first IP fragments
// dropped). When the product's reader and decoder (agent/dist/capture, decode) are
// built, frames are read and decoded with them instead (INTRANSIT_LOCAL_WALKER=1 keeps
// the local walker); only the naive per-flow byte gathering stays local.
import { readFileSync } from 'node:fs';

let product = null;
if (!process.env.INTRANSIT_LOCAL_WALKER) {
  try {
    const capture = await import('../../agent/dist/capture/index.js');
    const decode = await import('../../agent/dist/decode/decoder.js');
    const packet = await import('../../agent/dist/decode/packet.js');
    if (typeof capture.readCaptureFile === 'function' && typeof decode.Decoder === 'function') product = { capture, decode, packet };
  } catch {
    product = null;
  }
}
/** Which decoder gathered the flows: 'product' or 'local'. */
export const walker = product ? 'product' : 'local';

function addrString(version, words) {
  if (version === 4) {
    const a = words[3];
    return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
  }
  const b = Buffer.alloc(16);
  for (let i = 0; i < 4; i++) b.writeUInt32BE(words[i] >>> 0, i * 4);
  return ip6(b, 0);
}

/** Reads and decodes every packet with the product's reader and decoder. */
function productPackets(path, onPacket) {
  const { capture, decode, packet } = product;
  const dec = new decode.Decoder();
  const pkt = new packet.Packet();
  capture.readCaptureFile(path, (buf, off, caplen, origlen, linktype, tsSec, tsNsec) => {
    pkt.tsSec = tsSec;
    pkt.tsNsec = tsNsec;
    if (!dec.decode(pkt, buf, off, caplen, origlen, linktype)) return;
    if (pkt.ipProto !== 6 && pkt.ipProto !== 17) return;
    if (pkt.l4Off === 0 && pkt.srcPort === 0 && pkt.dstPort === 0) return;
    onPacket({
      proto: pkt.ipProto === 6 ? 'tcp' : 'udp',
      src: addrString(pkt.ipVersion, pkt.src),
      dst: addrString(pkt.ipVersion, pkt.dst),
      sport: pkt.srcPort,
      dport: pkt.dstPort,
      seq: pkt.seq,
      flags: pkt.tcpFlags,
      payload: pkt.buf.subarray(pkt.payloadOff, pkt.payloadOff + pkt.payloadLen),
    });
  });
}

export const KEEP = 1024;

/** Calls onFrame(linktype, buf, off, caplen) for every packet of a pcap or pcapng file. */
export function readFrames(path, onFrame) {
  const f = readFileSync(path);
  const magic = f.readUInt32LE(0);
  if (magic === 0x0a0d0d0a) return readPcapng(f, onFrame);
  let le;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) le = true;
  else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) le = false;
  else throw new Error(`${path}: not a capture`);
  const u32 = (o) => (le ? f.readUInt32LE(o) : f.readUInt32BE(o));
  const linktype = u32(20) & 0xffff;
  for (let off = 24; off + 16 <= f.length; ) {
    const incl = u32(off + 8);
    if (off + 16 + incl > f.length) break;
    onFrame(linktype, f, off + 16, incl);
    off += 16 + incl;
  }
}

function readPcapng(f, onFrame) {
  let le = true;
  let links = [];
  for (let off = 0; off + 12 <= f.length; ) {
    let type = le ? f.readUInt32LE(off) : f.readUInt32BE(off);
    if (type === 0x0a0d0d0a) {
      le = f.readUInt32LE(off + 8) === 0x1a2b3c4d;
      links = [];
    }
    const u32 = (o) => (le ? f.readUInt32LE(o) : f.readUInt32BE(o));
    const u16 = (o) => (le ? f.readUInt16LE(o) : f.readUInt16BE(o));
    type = u32(off);
    const len = u32(off + 4);
    if (len < 12 || off + len > f.length) break;
    if (type === 1) links.push(u16(off + 8));
    else if (type === 6) onFrame(links[u32(off + 8)], f, off + 28, u32(off + 20));
    else if (type === 3) onFrame(links[0], f, off + 12, Math.min(u32(off + 8), len - 16));
    off += len;
  }
}

const ip4 = (b, o) => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
function ip6(b, o) {
  const parts = [];
  for (let i = 0; i < 16; i += 2) parts.push(((b[o + i] << 8) | b[o + i + 1]).toString(16));
  // canonical RFC 5952 form: compress the longest run of zero groups
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (parts[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && parts[j] === '0') j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return parts.join(':');
  return `${parts.slice(0, best).join(':')}::${parts.slice(best + bestLen).join(':')}`;
}

/** Decodes one frame; calls onPacket({proto, src, sport, dst, dport, flags, seq, payload}). */
export function decodeFrame(linktype, b, off, caplen, onPacket) {
  const end = off + caplen;
  switch (linktype) {
    case 1: return ether(b, off, end, onPacket, 0);
    case 0: case 108: {
      const fam = b.readUInt32LE(off) > 0xffff ? b.readUInt32BE(off) : b.readUInt32LE(off);
      return fam === 2 ? ipv4(b, off + 4, end, onPacket, 0) : ipv6(b, off + 4, end, onPacket, 0);
    }
    case 12: case 14: case 101: return ipAny(b, off, end, onPacket, 0);
    case 228: return ipv4(b, off, end, onPacket, 0);
    case 229: return ipv6(b, off, end, onPacket, 0);
    case 9: case 50: {
      let p = off;
      if (b[p] === 0xff && b[p + 1] === 0x03) p += 2;
      return b[p] & 1 ? ppp(b[p], b, p + 1, end, onPacket, 0) : ppp(b.readUInt16BE(p), b, p + 2, end, onPacket, 0);
    }
    case 113: return etherType(b.readUInt16BE(off + 14), b, off + 16, end, onPacket, 0);
    case 276: return etherType(b.readUInt16BE(off), b, off + 20, end, onPacket, 0);
    default: return undefined;
  }
}

function ipAny(b, off, end, cb, depth) {
  if (off >= end) return;
  const v = b[off] >> 4;
  if (v === 4) ipv4(b, off, end, cb, depth);
  else if (v === 6) ipv6(b, off, end, cb, depth);
}

function ether(b, off, end, cb, depth) {
  if (off + 14 > end) return;
  etherType(b.readUInt16BE(off + 12), b, off + 14, end, cb, depth);
}

function etherType(type, b, off, end, cb, depth) {
  while ((type === 0x8100 || type === 0x88a8 || type === 0x9100) && off + 4 <= end) {
    type = b.readUInt16BE(off + 2);
    off += 4;
  }
  if (type === 0x0800) return ipv4(b, off, end, cb, depth);
  if (type === 0x86dd) return ipv6(b, off, end, cb, depth);
  if (type === 0x8847) {
    while (off + 4 <= end && !(b[off + 2] & 1)) off += 4;
    return ipAny(b, off + 4, end, cb, depth);
  }
  if (type === 0x8864 && off + 8 <= end) return ppp(b.readUInt16BE(off + 6), b, off + 8, end, cb, depth);
  return undefined;
}

function ppp(proto, b, off, end, cb, depth) {
  if (proto === 0x0021) ipv4(b, off, end, cb, depth);
  else if (proto === 0x0057) ipv6(b, off, end, cb, depth);
}

function ipv4(b, off, end, cb, depth) {
  if (off + 20 > end || b[off] >> 4 !== 4) return;
  const ihl = (b[off] & 15) * 4;
  const total = b.readUInt16BE(off + 2);
  const l4end = Math.min(end, total >= ihl ? off + total : end);
  if (b.readUInt16BE(off + 6) & 0x1fff) return; // non-first fragment
  l4(b[off + 9], ip4(b, off + 12), ip4(b, off + 16), b, off + ihl, l4end, cb, depth);
}

function ipv6(b, off, end, cb, depth) {
  if (off + 40 > end || b[off] >> 4 !== 6) return;
  let next = b[off + 6];
  const l4end = Math.min(end, off + 40 + b.readUInt16BE(off + 4));
  const src = ip6(b, off + 8);
  const dst = ip6(b, off + 24);
  let p = off + 40;
  while ((next === 0 || next === 43 || next === 60 || next === 44 || next === 51) && p + 8 <= l4end) {
    if (next === 44) {
      if (b.readUInt16BE(p + 2) & 0xfff8) return;
      next = b[p];
      p += 8;
    } else if (next === 51) {
      const n = b[p];
      p += (b[p + 1] + 2) * 4;
      next = n;
    } else {
      const n = b[p];
      p += (b[p + 1] + 1) * 8;
      next = n;
    }
  }
  l4(next, src, dst, b, p, l4end, cb, depth);
}

function l4(proto, src, dst, b, off, end, cb, depth) {
  if (proto === 4 && depth < 4) return ipv4(b, off, end, cb, depth + 1);
  if (proto === 41 && depth < 4) return ipv6(b, off, end, cb, depth + 1);
  if (proto === 47 && depth < 4) return gre(b, off, end, cb, depth + 1);
  if (proto === 6 && off + 20 <= end) {
    const hl = (b[off + 12] >> 4) * 4;
    return cb({
      proto: 'tcp', src, dst, sport: b.readUInt16BE(off), dport: b.readUInt16BE(off + 2),
      seq: b.readUInt32BE(off + 4), flags: b[off + 13], payload: b.subarray(Math.min(off + hl, end), end),
    });
  }
  if (proto === 17 && off + 8 <= end) {
    const sport = b.readUInt16BE(off);
    const dport = b.readUInt16BE(off + 2);
    const pl = off + 8;
    const uend = Math.min(end, off + Math.max(8, b.readUInt16BE(off + 4)));
    if (depth < 4 && udpTunnel(sport, dport, b, pl, uend, cb, depth + 1)) return undefined;
    return cb({ proto: 'udp', src, dst, sport, dport, seq: 0, flags: 0, payload: b.subarray(pl, uend) });
  }
  return undefined;
}

function gre(b, off, end, cb, depth) {
  if (off + 4 > end) return false;
  const flags = b.readUInt16BE(off);
  const proto = b.readUInt16BE(off + 2);
  const ver = flags & 7;
  let p = off + 4;
  if (ver === 1) {
    p += 4 + (flags & 0x1000 ? 4 : 0) + (flags & 0x0080 ? 4 : 0);
    if (proto !== 0x880b || p >= end) return false;
    if (b[p] === 0xff && b[p + 1] === 0x03) p += 2;
    const pp = b[p] & 1 ? b[p++] : b.readUInt16BE((p += 2) - 2);
    ppp(pp, b, p, end, cb, depth);
    return true;
  }
  if (ver !== 0) return false;
  p += (flags & 0x8000 ? 4 : 0) + (flags & 0x2000 ? 4 : 0) + (flags & 0x1000 ? 4 : 0);
  if (proto === 0x0800) ipv4(b, p, end, cb, depth);
  else if (proto === 0x86dd) ipv6(b, p, end, cb, depth);
  else if (proto === 0x6558) ether(b, p, end, cb, depth);
  else if (proto === 0x88be) ether(b, p + 8, end, cb, depth);
  else if (proto === 0x22eb) ether(b, p + 12 + (b[p + 11] & 1 ? 8 : 0), end, cb, depth);
  else return false;
  return true;
}

function udpTunnel(sport, dport, b, off, end, cb, depth) {
  const is = (port) => sport === port || dport === port;
  if (dport === 4789 && off + 8 <= end && (b[off] & 0x08)) return ether(b, off + 8, end, cb, depth), true;
  if (dport === 6081 && off + 8 <= end && b[off] >> 6 === 0) {
    const p = off + 8 + (b[off] & 0x3f) * 4;
    const t = b.readUInt16BE(off + 2);
    if (t === 0x6558) ether(b, p, end, cb, depth);
    else if (t === 0x0800 || t === 0x86dd) ipAny(b, p, end, cb, depth);
    else return false;
    return true;
  }
  if (is(4754)) return gre(b, off, end, cb, depth);
  if (is(2152) && off + 8 <= end && b[off] >> 5 === 1 && b[off + 1] === 0xff) {
    let p = off + 8;
    if (b[off] & 7) {
      p += 4;
      let ext = b[p - 1];
      while (ext !== 0 && p < end) {
        p += b[p] * 4;
        ext = b[p - 1];
      }
    }
    ipAny(b, p, end, cb, depth);
    return true;
  }
  // Teredo: on 3544, or on a relay's port when the datagram holds exactly one IPv6 packet
  const bareIpv6 = off + 40 <= end && b[off] >> 4 === 6 && off + 40 + b.readUInt16BE(off + 4) === end;
  if (is(3544) || bareIpv6) {
    let p = off;
    if (p + 2 <= end && b[p] === 0 && b[p + 1] === 1) p += 4 + b[p + 2] + b[p + 3] + 9;
    if (p + 2 <= end && b[p] === 0 && b[p + 1] === 0) p += 8;
    if (p < end && b[p] >> 4 === 6) return ipv6(b, p, end, cb, depth), true;
    return false;
  }
  if (is(5072) && off + 12 <= end) {
    const p = off + 8 + (1 << (b[off] >> 4)) + (b[off + 1] >> 4) * 4;
    const next = b[off + 3];
    if (next === 41) return ipv6(b, p, end, cb, depth), true;
    if (next === 4) return ipv4(b, p, end, cb, depth), true;
  }
  return false;
}

/**
 * All flows of a capture: Map key "proto|a|ap|b|bp" (first packet's direction) to
 * { proto, orig: [ip, port], resp: [ip, port], bytes: [fromOrig, fromResp] } where the
 * originator is the SYN sender (else the first packet's sender).
 */
export function collectFlows(path) {
  const flows = new Map();
  const each = product
    ? (cb) => productPackets(path, cb)
    : (cb) => readFrames(path, (lt, buf, off, caplen) => decodeFrame(lt, buf, off, caplen, cb));
  each((p) => {
    {
      const k1 = `${p.proto}|${p.src}|${p.sport}|${p.dst}|${p.dport}`;
      const k2 = `${p.proto}|${p.dst}|${p.dport}|${p.src}|${p.sport}`;
      let f = flows.get(k1) ?? flows.get(k2);
      if (!f) {
        f = { proto: p.proto, a: [p.src, p.sport], b: [p.dst, p.dport], sides: [newSide(), newSide()], synFrom: -1 };
        flows.set(k1, f);
      }
      const dir = f.a[0] === p.src && f.a[1] === p.sport ? 0 : 1;
      const side = f.sides[dir];
      if (p.proto === 'udp') {
        if (side.udpLen < KEEP && p.payload.length) {
          side.segs.push({ seq: side.udpLen, data: Buffer.from(p.payload) });
          side.udpLen += p.payload.length;
        }
        return;
      }
      if (p.flags & 2) {
        side.isn = p.seq;
        if (!(p.flags & 16) && f.synFrom < 0) f.synFrom = dir;
      }
      if (p.payload.length && side.segs.length < 200) side.segs.push({ seq: p.seq, data: Buffer.from(p.payload) });
    }
  });
  const out = [];
  for (const f of flows.values()) {
    const o = f.synFrom === 1 ? 1 : 0;
    out.push({
      proto: f.proto,
      orig: o ? f.b : f.a,
      resp: o ? f.a : f.b,
      bytes: [assemble(f.sides[o], f.proto), assemble(f.sides[1 - o], f.proto)],
    });
  }
  return out;
}

function newSide() {
  return { isn: -1, segs: [], udpLen: 0 };
}

/** The side's first bytes in sequence order, up to KEEP bytes or the first gap. */
function assemble(side, proto) {
  if (side.segs.length === 0) return Buffer.alloc(0);
  if (proto === 'udp') return Buffer.concat(side.segs.map((s) => s.data)).subarray(0, KEEP);
  let base = side.isn >= 0 ? (side.isn + 1) >>> 0 : side.segs[0].seq;
  if (side.isn < 0) for (const s of side.segs) if (((s.seq - base) | 0) < 0) base = s.seq;
  const out = Buffer.alloc(KEEP);
  let have = 0;
  for (let progress = true; progress && have < KEEP; ) {
    progress = false;
    for (const s of side.segs) {
      const rel = (s.seq - base) | 0;
      if (rel <= have && rel + s.data.length > have) {
        const n = Math.min(KEEP - have, rel + s.data.length - have);
        s.data.copy(out, have, have - rel, have - rel + n);
        have += n;
        progress = true;
      }
    }
  }
  return out.subarray(0, have);
}
