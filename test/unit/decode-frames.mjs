// Byte builders for the decoder tests (hand-built frames, every length computed here).
import { Decoder } from '../../agent/dist/decode/decoder.js';
import { Packet } from '../../agent/dist/decode/packet.js';

export const cat = (...parts) => Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p))));
export const u16 = (n) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
export const u32 = (n) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
export const bytes = (n, fill = 0xab) => Buffer.alloc(n, fill);

export function v4(a) {
  return Buffer.from(a.split('.').map(Number));
}

export function v6(a) {
  const [head, tail] = a.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return Buffer.concat(groups.map((g) => u16(parseInt(g, 16))));
}

/** The four big-endian words the decoder stores for an IPv6 address. */
export function v6words(a) {
  const b = v6(a);
  return [0, 4, 8, 12].map((o) => b.readUInt32BE(o));
}

export const v4word = (a) => v4(a).readUInt32BE(0);

export const MAC_A = Buffer.from('020000000001', 'hex');
export const MAC_B = Buffer.from('020000000002', 'hex');

export function eth(type, payload) {
  return cat(MAC_B, MAC_A, u16(type), payload);
}

export function vlanTag(tci, type, payload) {
  return cat(u16(tci), u16(type), payload);
}

/** IPv4 header + payload. opts: src, dst, proto, ttl, id, df, mf, fragOff (bytes), options, totalLen. */
export function ipv4(opts, payload) {
  const options = opts.options ?? Buffer.alloc(0);
  const hlen = 20 + options.length;
  const h = Buffer.alloc(20);
  h[0] = 0x40 | (hlen >> 2);
  h.writeUInt16BE(opts.totalLen ?? hlen + payload.length, 2);
  h.writeUInt16BE(opts.id ?? 1, 4);
  h.writeUInt16BE((opts.df ? 0x4000 : 0) | (opts.mf ? 0x2000 : 0) | ((opts.fragOff ?? 0) >> 3), 6);
  h[8] = opts.ttl ?? 64;
  h[9] = opts.proto;
  v4(opts.src ?? '10.0.0.1').copy(h, 12);
  v4(opts.dst ?? '10.0.0.2').copy(h, 16);
  return cat(h, options, payload);
}

/** IPv6 header + payload (payload includes any extension headers). */
export function ipv6(opts, payload) {
  const h = Buffer.alloc(40);
  h.writeUInt32BE(0x60000000, 0);
  h.writeUInt16BE(opts.plen ?? payload.length, 4);
  h[6] = opts.nh;
  h[7] = opts.hlim ?? 64;
  v6(opts.src ?? '2001:db8::1').copy(h, 8);
  v6(opts.dst ?? '2001:db8::2').copy(h, 24);
  return cat(h, payload);
}

/** An 8-octet-unit extension header (hop-by-hop, destination options, routing) with PadN filling. */
export function ext6(nh, body = Buffer.alloc(0)) {
  const len = Math.ceil((2 + body.length) / 8) * 8;
  const h = Buffer.alloc(len);
  h[0] = nh;
  h[1] = len / 8 - 1;
  body.copy(h, 2);
  const pad = len - 2 - body.length;
  if (pad === 1) h[2 + body.length] = 0; // Pad1
  else if (pad > 1) (h[2 + body.length] = 1), (h[3 + body.length] = pad - 2); // PadN
  return h;
}

export function frag6(nh, offset, more, id, payload) {
  return cat([nh, 0], u16(offset | (more ? 1 : 0)), u32(id), payload);
}

/** TCP header (+ options) + payload. */
export function tcp(opts = {}, payload = Buffer.alloc(0)) {
  const options = opts.options ?? Buffer.alloc(0);
  const hlen = 20 + options.length;
  const h = Buffer.alloc(20);
  h.writeUInt16BE(opts.sport ?? 40000, 0);
  h.writeUInt16BE(opts.dport ?? 443, 2);
  h.writeUInt32BE((opts.seq ?? 1000) >>> 0, 4);
  h.writeUInt32BE((opts.ack ?? 0) >>> 0, 8);
  h[12] = (opts.doff ?? hlen >> 2) << 4;
  h[13] = opts.flags ?? 0x02;
  h.writeUInt16BE(65535, 14);
  return cat(h, options, payload);
}

export function udp(opts = {}, payload = Buffer.alloc(0)) {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(opts.sport ?? 50000, 0);
  h.writeUInt16BE(opts.dport ?? 53, 2);
  h.writeUInt16BE(opts.len ?? 8 + payload.length, 4);
  return cat(h, payload);
}

export function vxlan(vni, frame, flags = 0x08) {
  return cat([flags, 0, 0, 0], [(vni >> 16) & 0xff, (vni >> 8) & 0xff, vni & 0xff, 0], frame);
}

/** GENEVE: options is a Buffer (multiple of 4 bytes). */
export function geneve(vni, proto, payload, options = Buffer.alloc(0), version = 0) {
  return cat([(version << 6) | (options.length >> 2), 0], u16(proto), [(vni >> 16) & 0xff, (vni >> 8) & 0xff, vni & 0xff, 0], options, payload);
}

/** GRE version 0: opts.key, opts.seq, opts.csum (booleans/values). */
export function gre(opts, payload) {
  let flags = opts.version ?? 0;
  const fields = [];
  if (opts.csum) (flags |= 0x8000), fields.push(Buffer.from([0, 0, 0, 0]));
  if (opts.key !== undefined) (flags |= 0x2000), fields.push(u32(opts.key));
  if (opts.seq !== undefined) (flags |= 0x1000), fields.push(u32(opts.seq));
  return cat(u16(flags), u16(opts.proto), ...fields, payload);
}

export function erspan2(session, frame) {
  return cat(u16(0x1000 | 7), u16(session & 0x3ff), u32(0x00000042), frame);
}

export function erspan3(session, frame, { platform = false, frameType = 0 } = {}) {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(0x2000 | 7, 0);
  h.writeUInt16BE(session & 0x3ff, 2);
  h.writeUInt32BE(0x12345678, 4);
  h[10] = (frameType & 0x1f) << 2;
  h[11] = platform ? 1 : 0;
  return cat(h, platform ? Buffer.alloc(8, 0x11) : Buffer.alloc(0), frame);
}

export function mpls(labels, payload) {
  return cat(...labels.map((l, i) => u32(((l << 12) | (i === labels.length - 1 ? 0x100 : 0) | 64) >>> 0)), payload);
}

/** A TCP/IPv4 packet (no link layer) with a payload. */
export const tcp4 = (payload = bytes(10), o = {}) => ipv4({ proto: 6, ...o }, tcp(o, payload));

/** Decodes one frame with a fresh or given decoder. */
export function decode(frame, linktype = 1, { decoder = new Decoder(), pkt = new Packet(), caplen, origlen, ts = 1000 } = {}) {
  pkt.tsSec = ts;
  pkt.tsNsec = 0;
  const ok = decoder.decode(pkt, frame, 0, caplen ?? frame.length, origlen ?? frame.length, linktype);
  return { ok, pkt, decoder, reasons: decoder.counts };
}

/** The single reason a failed decode counted. */
export function reasonOf(r) {
  const keys = Object.keys(r.decoder.counts);
  return keys.length === 1 ? keys[0] : keys.join(',');
}

export function tunnels(pkt) {
  const out = [];
  for (let i = 0; i < pkt.tunnelCount; i++) out.push([pkt.tunnelType[i], pkt.tunnelId[i]]);
  return out;
}
