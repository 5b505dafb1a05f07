// Byte builders for generated fuzz inputs: integers, length-prefixed vectors, QUIC
// varints, Ethernet/IPv4/IPv6/TCP/UDP frames, and pcap / pcapng writers for cases saved to
// disk. Every length is computed here; callers corrupt them afterwards on purpose.

export const u8 = (n) => Buffer.from([n & 0xff]);
export const u16 = (n) => Buffer.from([(n >>> 8) & 0xff, n & 0xff]);
export const u24 = (n) => Buffer.from([(n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
export const u32 = (n) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
export const cat = (...parts) => Buffer.concat(parts.flat(Infinity).map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p))));
export const vec8 = (b) => cat(u8(b.length), b);
export const vec16 = (b) => cat(u16(b.length), b);
export const vec24 = (b) => cat(u24(b.length), b);

/** QUIC variable-length integer (RFC 9000 §16), shortest form unless `size` (1, 2, 4, 8) is given. */
export function varint(n, size = 0) {
  if (size === 0) size = n < 0x40 ? 1 : n < 0x4000 ? 2 : n < 0x40000000 ? 4 : 8;
  const b = Buffer.alloc(size);
  let v = BigInt(n);
  for (let i = size - 1; i >= 0; i--) {
    b[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  b[0] |= { 1: 0, 2: 0x40, 4: 0x80, 8: 0xc0 }[size];
  return b;
}

/** Reads a QUIC varint at b[p]: [value, size], or null past the end. */
export function readVarint(b, p, end = b.length) {
  if (p >= end) return null;
  const size = 1 << (b[p] >> 6);
  if (p + size > end) return null;
  let v = b[p] & 0x3f;
  for (let i = 1; i < size; i++) v = v * 256 + b[p + i];
  return [v, size];
}

export const MAC_A = Buffer.from('020000000001', 'hex');
export const MAC_B = Buffer.from('020000000002', 'hex');

export function eth(type, payload, { dst = MAC_B, src = MAC_A } = {}) {
  return cat(dst, src, u16(type), payload);
}

export function ipv4(src, dst, proto, payload, { id = 0, ttl = 64, flagsFrag = 0x4000 } = {}) {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE((20 + payload.length) & 0xffff, 2);
  h.writeUInt16BE(id & 0xffff, 4);
  h.writeUInt16BE(flagsFrag, 6);
  h[8] = ttl;
  h[9] = proto;
  h.writeUInt32BE(src >>> 0, 12);
  h.writeUInt32BE(dst >>> 0, 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += h.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  h.writeUInt16BE(~sum & 0xffff, 10);
  return cat(h, payload);
}

/** src / dst: 16-byte Buffers. */
export function ipv6(src, dst, next, payload, { hopLimit = 64 } = {}) {
  const h = Buffer.alloc(40);
  h[0] = 0x60;
  h.writeUInt16BE(payload.length & 0xffff, 4);
  h[6] = next;
  h[7] = hopLimit;
  src.copy(h, 8);
  dst.copy(h, 24);
  return cat(h, payload);
}

export const TH = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16 };

export function tcp(sport, dport, seq, ack, flags, payload = Buffer.alloc(0), { window = 65535, options = Buffer.alloc(0) } = {}) {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt32BE(seq >>> 0, 4);
  h.writeUInt32BE(ack >>> 0, 8);
  h[12] = ((20 + options.length) / 4) << 4;
  h[13] = flags;
  h.writeUInt16BE(window, 14);
  return cat(h, options, payload);
}

export function udp(sport, dport, payload) {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt16BE((8 + payload.length) & 0xffff, 4);
  return cat(h, payload);
}

/** VXLAN header (RFC 7348): I flag, 24-bit VNI. */
export const vxlan = (vni, frame) => cat(Buffer.from([0x08, 0, 0, 0]), u24(vni), u8(0), frame);

/** GENEVE header (RFC 8926); `options` is the already-encoded option block (multiple of 4 bytes). */
export function geneve(vni, protocol, payload, options = Buffer.alloc(0), { version = 0, optLenWords = options.length >> 2 } = {}) {
  return cat(u8((version << 6) | (optLenWords & 0x3f)), u8(0), u16(protocol), u24(vni), u8(0), options, payload);
}

/** One GENEVE option: class, type, data (padded to 4 bytes) with its length in 4-byte words. */
export function geneveOption(cls, type, data, lenWords = Math.ceil(data.length / 4)) {
  const padded = cat(data, Buffer.alloc((4 - (data.length % 4)) % 4));
  return cat(u16(cls), u8(type), u8(lenWords & 0x1f), padded);
}

// ---------------------------------------------------------------- capture files

/** A classic pcap (little-endian, microseconds) of records {data, lt, sec, nsec, origlen}: one link type. */
export function writePcap(records, linktype = records[0]?.lt ?? 1) {
  const parts = [];
  const h = Buffer.alloc(24);
  h.writeUInt32LE(0xa1b2c3d4, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeUInt32LE(262144, 16);
  h.writeUInt32LE(linktype, 20);
  parts.push(h);
  for (const r of records) {
    const rh = Buffer.alloc(16);
    rh.writeUInt32LE(r.sec >>> 0, 0);
    rh.writeUInt32LE(Math.floor((r.nsec ?? 0) / 1000), 4);
    rh.writeUInt32LE(r.data.length, 8);
    rh.writeUInt32LE(r.origlen ?? r.data.length, 12);
    parts.push(rh, r.data);
  }
  return Buffer.concat(parts);
}

export function pcapngBlock(type, body, le = true) {
  const pad = (4 - (body.length % 4)) % 4;
  const len = 12 + body.length + pad;
  const b = Buffer.alloc(len);
  const w = (v, o) => (le ? b.writeUInt32LE(v >>> 0, o) : b.writeUInt32BE(v >>> 0, o));
  w(type, 0);
  w(len, 4);
  body.copy(b, 8);
  w(len, len - 4);
  return b;
}

/** A pcapng section (nanosecond interfaces) of records of any link types: one IDB per link type. */
export function writePcapng(records) {
  const links = [...new Set(records.map((r) => r.lt))];
  const shb = Buffer.alloc(16);
  shb.writeUInt32LE(0x1a2b3c4d, 0);
  shb.writeUInt16LE(1, 4);
  shb.writeUInt16LE(0, 6);
  shb.writeInt32LE(-1, 8);
  shb.writeInt32LE(-1, 12);
  const parts = [pcapngBlock(0x0a0d0d0a, shb)];
  for (const lt of links) {
    const idb = Buffer.alloc(16);
    idb.writeUInt16LE(lt & 0xffff, 0);
    idb.writeUInt32LE(0, 4);
    idb.writeUInt16LE(9, 8); // if_tsresol
    idb.writeUInt16LE(1, 10);
    idb[12] = 9; // nanoseconds
    parts.push(pcapngBlock(1, idb));
  }
  for (const r of records) {
    const ts = BigInt(r.sec >>> 0) * 1000000000n + BigInt(r.nsec ?? 0);
    const h = Buffer.alloc(20);
    h.writeUInt32LE(links.indexOf(r.lt), 0);
    h.writeUInt32LE(Number(ts >> 32n), 4);
    h.writeUInt32LE(Number(ts & 0xffffffffn), 8);
    h.writeUInt32LE(r.data.length, 12);
    h.writeUInt32LE(r.origlen ?? r.data.length, 16);
    parts.push(pcapngBlock(6, cat(h, r.data)));
  }
  return Buffer.concat(parts);
}

/** The smallest faithful file for a list of records: pcap for one link type, else pcapng. */
export function writeCapture(records) {
  const links = new Set(records.map((r) => r.lt));
  const fine = records.every((r) => (r.nsec ?? 0) % 1000 === 0);
  return links.size <= 1 && fine ? { ext: 'pcap', bytes: writePcap(records) } : { ext: 'pcapng', bytes: writePcapng(records) };
}
