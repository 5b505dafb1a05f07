// Generated fuzz cases: whole flows built from random but well-framed structures.
//  - TLS over TCP: random ClientHello / ServerHello / Certificate / other messages, packed in
//    records of random sizes, cut into TCP segments of random sizes;
//  - QUIC: client and server Initials sealed with the real Initial keys, random CRYPTO frames
//    (split, reordered, overlapping, offsets and lengths off) around a random ClientHello;
//  - DTLS: records with randomly fragmented, duplicated, overlapping handshake messages;
//  - VXLAN / GENEVE / GRE stacks (random depth and GENEVE options) around any of the above;
//  - pcapng files of random blocks (byte orders, interfaces, resolutions, offsets, lengths).
// Each returns records {lt, sec, nsec, data, origlen} except pcapng, which returns file bytes.

import { cat, u8, u16, u24, u32, eth, ipv4, ipv6, tcp, udp, vxlan, geneve, geneveOption, TH, pcapngBlock, varint } from './bytes.mjs';
import { clientHello, serverHello, certificateMessage, otherMessage, randomDer, recordsOf, handshake } from './tls-gen.mjs';
import { sealLong, cryptoFrame, V1, V2, DRAFT29 } from './quic.mjs';

const T0 = 1700000000;

/** Endpoints and encapsulation of one generated flow; frames come out as Ethernet records. */
class FlowBuilder {
  constructor(rng, { proto, dport, tunnels = [] }) {
    this.rng = rng;
    this.v6 = rng.chance(0.25);
    this.proto = proto;
    this.client = this.v6 ? rng.bytes(16) : rng.u32();
    this.server = this.v6 ? rng.bytes(16) : rng.u32();
    this.sport = rng.range(1024, 65535);
    this.dport = dport;
    this.tunnels = tunnels;
    this.sec = T0 + rng.int(1000);
    this.nsec = 0;
    this.seq = [rng.u32(), rng.u32()];
    this.records = [];
  }

  frame(fromClient, l4) {
    const [s, d] = fromClient ? [this.client, this.server] : [this.server, this.client];
    const inner = this.v6 ? eth(0x86dd, ipv6(s, d, this.proto, l4)) : eth(0x0800, ipv4(s, d, this.proto, l4));
    let data = inner;
    for (let i = this.tunnels.length - 1; i >= 0; i--) data = this.tunnels[i](data, fromClient);
    this.nsec += 1000 * this.rng.range(1, 5000);
    if (this.nsec >= 1e9) {
      this.sec++;
      this.nsec -= 1e9;
    }
    this.records.push({ lt: 1, sec: this.sec, nsec: this.nsec, data, origlen: data.length });
  }

  tcp(fromClient, flags, payload = Buffer.alloc(0)) {
    const i = fromClient ? 0 : 1;
    const [sp, dp] = fromClient ? [this.sport, this.dport] : [this.dport, this.sport];
    this.frame(fromClient, tcp(sp, dp, this.seq[i], this.seq[1 - i], flags, payload));
    this.seq[i] = (this.seq[i] + payload.length + (flags & (TH.SYN | TH.FIN) ? 1 : 0)) >>> 0;
  }

  /** Stream bytes cut into segments of random sizes. */
  send(fromClient, bytes) {
    const max = this.rng.chance(0.3) ? this.rng.range(1, 64) : this.rng.range(200, 1460);
    for (let p = 0; p < bytes.length; ) {
      const n = Math.min(bytes.length - p, this.rng.range(1, max));
      this.tcp(fromClient, TH.ACK | TH.PSH, bytes.subarray(p, p + n));
      p += n;
    }
  }

  udp(fromClient, payload) {
    const [sp, dp] = fromClient ? [this.sport, this.dport] : [this.dport, this.sport];
    this.frame(fromClient, udp(sp, dp, payload));
  }
}

/** A random stack of 0..6 tunnel layers, outermost first; each maps an inner Ethernet frame to an outer one. */
export function randomTunnels(rng, maxDepth = 6) {
  const depth = rng.chance(0.3) ? 0 : rng.range(1, maxDepth);
  const layers = [];
  for (let i = 0; i < depth; i++) {
    const a = rng.u32();
    const b = rng.u32();
    const kind = rng.int(3);
    if (kind === 0) {
      const vni = rng.int(1 << 24);
      const port = rng.range(1024, 65535);
      layers.push((f, c) => eth(0x0800, ipv4(c ? a : b, c ? b : a, 17, udp(port, 4789, vxlan(vni, f)))));
    } else if (kind === 1) {
      const vni = rng.int(1 << 24);
      const port = rng.range(1024, 65535);
      const opts = cat(Array.from({ length: rng.size(4) }, () => geneveOption(rng.u32() & 0xffff, rng.int(256), rng.bytes(4 * rng.int(4)))));
      const asIp = rng.chance(0.3);
      layers.push((f, c) => eth(0x0800, ipv4(c ? a : b, c ? b : a, 17, udp(port, 6081, asIp ? geneve(vni, 0x0800, f.subarray(14), opts) : geneve(vni, 0x6558, f, opts)))));
    } else {
      const key = rng.chance(0.5) ? rng.u32() : -1;
      layers.push((f, c) => eth(0x0800, ipv4(c ? a : b, c ? b : a, 47, cat(u8(key >= 0 ? 0x20 : 0), u8(0), u16(0x6558), key >= 0 ? u32(key) : [], f))));
    }
  }
  return layers;
}

/** TLS over TCP: handshake, optional certificates, CCS, encrypted records, close. */
export function tlsFlow(rng, certs) {
  const f = new FlowBuilder(rng, { proto: 6, dport: rng.pick([443, 443, 8443, 993, rng.range(1, 65535)]), tunnels: rng.chance(0.2) ? randomTunnels(rng) : [] });
  if (rng.chance(0.85)) {
    f.tcp(true, TH.SYN);
    f.tcp(false, TH.SYN | TH.ACK);
    f.tcp(true, TH.ACK);
  }
  const recVersion = rng.chance(0.8) ? rng.pick([0x0301, 0x0303]) : rng.pick([0x0300, 0x0302, 0x0304, rng.u32() & 0xffff]);
  f.send(true, recordsOf(rng, 22, clientHello(rng), recVersion));
  if (rng.chance(0.8)) {
    const parts = [serverHello(rng)];
    if (rng.chance(0.6)) {
      const ders = Array.from({ length: rng.range(0, 4) }, () => (certs.length && rng.chance(0.7) ? mutateDer(rng, rng.pick(certs)) : randomDer(rng)));
      parts.push(certificateMessage(ders, { tls13: rng.chance(0.1) }));
    }
    for (let i = rng.size(4); i > 0; i--) parts.push(otherMessage(rng));
    f.send(false, recordsOf(rng, 22, cat(parts), recVersion));
  }
  if (rng.chance(0.5)) {
    f.send(true, cat(recordsOf(rng, 20, u8(1)), recordsOf(rng, 22, rng.bytes(rng.range(16, 80)))));
    f.send(false, cat(recordsOf(rng, 20, u8(1)), recordsOf(rng, 22, rng.bytes(rng.range(16, 80)))));
  }
  for (let i = rng.size(6); i > 0; i--) {
    const type = rng.chance(0.8) ? 23 : rng.pick([21, 24, 25, rng.int(256)]);
    f.send(rng.chance(0.5), recordsOf(rng, type, rng.bytes(type === 21 ? 2 : rng.size(3000))));
  }
  if (rng.chance(0.5)) {
    f.tcp(true, TH.FIN | TH.ACK);
    f.tcp(false, TH.FIN | TH.ACK);
  } else if (rng.chance(0.3)) f.tcp(rng.chance(0.5), TH.RST);
  return f.records;
}

/** A real certificate with a few bytes changed (DER lengths included, by chance). */
function mutateDer(rng, d) {
  const out = Buffer.from(d);
  for (let i = rng.range(0, 3); i > 0; i--) out[rng.int(out.length)] = rng.chance(0.5) ? rng.int(256) : out[rng.int(out.length)] ^ (1 << rng.int(8));
  return rng.chance(0.2) ? out.subarray(0, rng.int(out.length)) : out;
}

/** CRYPTO frames covering `data`, split at random places, maybe reordered, overlapping or off. */
function cryptoFrames(rng, data, base = 0) {
  const frames = [];
  for (let p = 0; p < data.length; ) {
    const n = Math.min(data.length - p, rng.range(1, rng.chance(0.5) ? 100 : 1200));
    let off = base + p;
    let chunk = data.subarray(p, p + n);
    if (rng.chance(0.05)) off += rng.pick([-1, 1, 1 << 20, 2 ** 62 - 1 - n]); // offset off, or at the edge of 2^62
    if (rng.chance(0.05)) chunk = rng.bytes(n); // overlapping bytes that disagree
    frames.push(cryptoFrame(Math.max(0, off), chunk, { offsetSize: rng.chance(0.1) ? 8 : 0 }));
    if (rng.chance(0.1)) frames.push(cryptoFrame(Math.max(0, off), chunk)); // duplicate
    p += n;
  }
  if (rng.chance(0.3)) rng.shuffle(frames);
  return frames;
}

function quicExtraFrame(rng) {
  switch (rng.int(5)) {
    case 0:
      return Buffer.alloc(rng.size(50)); // PADDING
    case 1:
      return u8(1); // PING
    case 2:
      return cat(u8(2), varint(rng.int(100)), varint(rng.int(1000)), varint(0), varint(0));
    case 3:
      return cat(u8(0x1c), varint(rng.int(0x200)), varint(6), varint(3), Buffer.from('bad'));
    default:
      return cat(varint(rng.int(64)), rng.bytes(rng.size(20)));
  }
}

/** QUIC: client Initials carrying a ClientHello, server Initials, Retry / VN / short-header noise. */
export function quicFlow(rng) {
  const f = new FlowBuilder(rng, { proto: 17, dport: rng.chance(0.8) ? 443 : rng.range(1, 65535), tunnels: rng.chance(0.15) ? randomTunnels(rng, 3) : [] });
  const version = rng.chance(0.7) ? V1 : rng.pick([V2, DRAFT29, 0xff00001b, 0xfaceb002, 0x51303530, rng.u32()]);
  const dcid = rng.bytes(rng.chance(0.85) ? 8 : rng.range(0, 20));
  const scid = rng.bytes(rng.range(0, 20));
  const ch = clientHello(rng, { quic: true });
  const frames = cryptoFrames(rng, ch);
  let pn = 0;
  for (let i = 0; i < frames.length; ) {
    const n = rng.range(1, 4);
    const parts = frames.slice(i, i + n);
    for (let k = rng.size(2); k > 0; k--) parts.splice(rng.int(parts.length + 1), 0, quicExtraFrame(rng));
    let payload = cat(parts);
    if (rng.chance(0.7) && payload.length < 1100) payload = cat(payload, Buffer.alloc(1100 - payload.length));
    let dgram = sealLong({ version, dcid, scid, pn: pn++, pnLen: rng.range(1, 4), payload, token: rng.chance(0.1) ? rng.bytes(rng.size(60)) : Buffer.alloc(0) });
    if (rng.chance(0.1)) dgram = cat(dgram, sealLong({ version, dcid, scid, pn: pn++, payload: rng.bytes(rng.size(100)), typeBits: 2 }));
    if (rng.chance(0.05)) dgram = cat(dgram, rng.bytes(rng.size(50)));
    f.udp(true, dgram);
    i += n;
  }
  if (rng.chance(0.7)) {
    const sh = cat(serverHello(rng), rng.chance(0.3) ? otherMessage(rng) : []);
    const sframes = cryptoFrames(rng, sh);
    f.udp(false, sealLong({ version, dcid: scid, scid: rng.bytes(8), keyDcid: dcid, side: 'server', pn: 0, payload: cat(sframes, rng.chance(0.5) ? quicExtraFrame(rng) : []) }));
  }
  if (rng.chance(0.1)) f.udp(false, cat(u8(0x80 | rng.int(128)), u32(0), vec8b(scid), vec8b(dcid), u32(V1), u32(rng.u32()))); // version negotiation
  if (rng.chance(0.1)) f.udp(false, cat(u8(0xf0), u32(version), vec8b(scid), vec8b(rng.bytes(8)), rng.bytes(rng.size(40)), rng.bytes(16))); // Retry
  for (let i = rng.size(4); i > 0; i--) f.udp(rng.chance(0.5), cat(u8(0x40 | rng.int(64)), rng.bytes(rng.size(1200)))); // 1-RTT
  return f.records;
}

const vec8b = (b) => cat(u8(b.length), b);

/** DTLS: handshake messages cut into fragments of random sizes, some duplicated / overlapping / shuffled. */
export function dtlsFlow(rng) {
  const f = new FlowBuilder(rng, { proto: 17, dport: rng.pick([4433, 443, 5684, rng.range(1, 65535)]), tunnels: rng.chance(0.15) ? randomTunnels(rng, 3) : [] });
  const version = rng.pick([0xfefd, 0xfeff, 0xfefc]);
  const seq = [0, 0];
  const msgSeq = [0, 0];
  const flight = (fromClient, messages) => {
    const side = fromClient ? 0 : 1;
    const records = [];
    for (const m of messages) {
      const type = m[0];
      const body = m.subarray(12);
      const ms = msgSeq[side]++;
      let frags = [];
      for (let p = 0; p < body.length || frags.length === 0; ) {
        const n = Math.min(body.length - p, rng.range(1, rng.chance(0.5) ? 80 : 1200));
        let off = p;
        let len = n;
        let msgLen = body.length;
        if (rng.chance(0.04)) off += rng.pick([-1, 1, 0xffffff - n]);
        if (rng.chance(0.04)) len = rng.pick([0, n + 1, 0xffffff]);
        if (rng.chance(0.03)) msgLen = rng.pick([0, body.length + 1, 0xffffff]);
        frags.push(cat(u8(type), u24(msgLen), u16(ms), u24(Math.max(0, off)), u24(len), body.subarray(p, p + n)));
        if (rng.chance(0.08)) frags.push(frags.at(-1));
        p += n;
        if (n === 0) break;
      }
      if (rng.chance(0.3)) rng.shuffle(frags);
      records.push(...frags.map((fr) => dtlsRecord(22, version, 0, seq[side]++, fr)));
    }
    // records packed into datagrams
    for (let i = 0; i < records.length; ) {
      const n = rng.range(1, 4);
      f.udp(fromClient, cat(records.slice(i, i + n)));
      i += n;
    }
  };
  const ch = () => clientHello(rng, { dtls: true });
  flight(true, [ch()]);
  if (rng.chance(0.4)) {
    flight(false, [handshake(3, cat(u16(0xfeff), vec8b(rng.bytes(rng.size(32)))), true)]);
    flight(true, [ch()]);
  }
  if (rng.chance(0.8)) {
    const msgs = [serverHello(rng, { dtls: true })];
    if (rng.chance(0.5)) msgs.push(certificateMessage([randomDer(rng)], { dtls: true }));
    for (let i = rng.size(3); i > 0; i--) msgs.push(otherMessage(rng, true));
    flight(false, msgs);
  }
  if (rng.chance(0.5)) {
    f.udp(true, cat(dtlsRecord(20, version, 0, seq[0]++, u8(1)), dtlsRecord(22, version, 1, 0, rng.bytes(48))));
    f.udp(false, cat(dtlsRecord(20, version, 0, seq[1]++, u8(1)), dtlsRecord(22, version, 1, 0, rng.bytes(48))));
  }
  for (let i = rng.size(4); i > 0; i--) {
    const kind = rng.int(4);
    const from = rng.chance(0.5);
    if (kind === 0) f.udp(from, dtlsRecord(23, version, 1, rng.int(100), rng.bytes(rng.size(300))));
    else if (kind === 1) f.udp(from, cat(u8(25), u16(version), u16(1), u16(0), u32(rng.int(100)), rng.bytes(rng.range(0, 8)), u16(rng.size(40)), rng.bytes(rng.size(40)))); // CID record
    else if (kind === 2) f.udp(from, cat(u8(0x20 | rng.int(32)), rng.bytes(rng.size(100)))); // DTLS 1.3 unified header
    else f.udp(from, dtlsRecord(21, version, rng.int(2), rng.int(100), rng.bytes(2)));
  }
  return f.records;
}

function dtlsRecord(type, version, epoch, seq, body) {
  return cat(u8(type), u16(version), u16(epoch), u16(Math.floor(seq / 2 ** 32)), u32(seq), u16(body.length), body);
}

/** A pcapng file of random blocks (returns bytes). */
export function randomPcapng(rng, pool) {
  const parts = [];
  let le = rng.chance(0.7);
  let ifaces = 0;
  const section = () => {
    le = rng.chance(0.7);
    const body = Buffer.alloc(16);
    const w32 = (v, o) => (le ? body.writeUInt32LE(v >>> 0, o) : body.writeUInt32BE(v >>> 0, o));
    w32(0x1a2b3c4d, 0);
    if (le) body.writeUInt16LE(rng.chance(0.95) ? 1 : rng.int(3), 4);
    else body.writeUInt16BE(rng.chance(0.95) ? 1 : rng.int(3), 4);
    w32(0xffffffff, 8);
    w32(0xffffffff, 12);
    parts.push(pcapngBlock(0x0a0d0d0a, cat(body, options(rng, le)), le));
    ifaces = 0;
  };
  const i16 = (v) => (le ? Buffer.from([v & 255, (v >> 8) & 255]) : u16(v));
  const i32 = (v) => {
    const b = Buffer.alloc(4);
    if (le) b.writeUInt32LE(v >>> 0);
    else b.writeUInt32BE(v >>> 0);
    return b;
  };
  section();
  const n = rng.range(1, 40);
  for (let i = 0; i < n; i++) {
    const kind = rng.weighted({ idb: 2, epb: 6, spb: 1, pb: 1, shb: 0.5, other: 1.5 });
    if (kind === 'shb') section();
    else if (kind === 'idb') {
      const lt = rng.chance(0.8) ? rng.pick([1, 1, 101, 113, 276, 0, 228]) : rng.int(300);
      const opts = [];
      if (rng.chance(0.5)) opts.push(cat(i16(9), i16(1), u8(rng.chance(0.5) ? rng.pick([3, 6, 9, 0x8a, 0x94]) : rng.int(256)), Buffer.alloc(3)));
      if (rng.chance(0.3)) {
        const off = Buffer.alloc(8);
        const v = rng.chance(0.5) ? BigInt(rng.int(1e6)) - 500000n : BigInt.asIntN(64, BigInt(rng.u32()) << 32n | BigInt(rng.u32()));
        if (le) off.writeBigInt64LE(v);
        else off.writeBigInt64BE(v);
        opts.push(cat(i16(14), i16(8), off));
      }
      if (rng.chance(0.2)) opts.push(cat(i16(rng.int(20)), i16(rng.size(300)), rng.bytes(rng.size(12))));
      parts.push(pcapngBlock(1, cat(i16(lt), i16(0), i32(rng.chance(0.8) ? 262144 : rng.u32()), cat(opts), i16(0), i16(0)), le));
      ifaces++;
    } else if (kind === 'epb' || kind === 'pb') {
      const rec = rng.pick(pool);
      const data = rec ? rec.data : rng.bytes(rng.size(200));
      const ifid = rng.chance(0.9) ? rng.int(Math.max(1, ifaces)) : rng.int(10);
      const tsHi = rng.chance(0.8) ? 0x00060000 + rng.int(0x10000) : rng.u32();
      const caplen = rng.chance(0.9) ? data.length : rng.pick([0, data.length + 1, 0xffffffff, rng.u32()]);
      const head = kind === 'epb' ? cat(i32(ifid), i32(tsHi), i32(rng.u32()), i32(caplen), i32(data.length)) : cat(i16(ifid), i16(0), i32(tsHi), i32(rng.u32()), i32(caplen), i32(data.length));
      parts.push(pcapngBlock(kind === 'epb' ? 6 : 2, cat(head, data, rng.chance(0.3) ? options(rng, le) : []), le));
    } else if (kind === 'spb') {
      const data = rng.pick(pool)?.data ?? rng.bytes(60);
      parts.push(pcapngBlock(3, cat(i32(rng.chance(0.9) ? data.length : rng.u32()), data), le));
    } else {
      parts.push(pcapngBlock(rng.pick([4, 5, 7, 9, 10, 0x80000001, 0x00000bad, 0x40000bad, rng.u32()]), rng.bytes(rng.size(200)), le));
    }
  }
  let file = cat(parts);
  // then a few raw corruptions: block lengths, trailers, cuts
  for (let i = rng.size(3); i > 0; i--) {
    const p = rng.int(file.length);
    file[p] = rng.chance(0.5) ? rng.int(256) : file[p] ^ (1 << rng.int(8));
  }
  if (rng.chance(0.2)) file = file.subarray(0, rng.int(file.length));
  return file;
}

function options(rng, le) {
  const out = [];
  for (let i = rng.size(4); i > 0; i--) {
    const body = rng.bytes(rng.size(40));
    const h = Buffer.alloc(4);
    const code = rng.int(12);
    const len = rng.chance(0.9) ? body.length : rng.int(65536);
    if (le) {
      h.writeUInt16LE(code, 0);
      h.writeUInt16LE(len, 2);
    } else {
      h.writeUInt16BE(code, 0);
      h.writeUInt16BE(len, 2);
    }
    out.push(h, body, Buffer.alloc((4 - (body.length % 4)) % 4));
  }
  out.push(Buffer.alloc(4));
  return cat(out);
}
