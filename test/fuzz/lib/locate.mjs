// Finds the length-like fields of a frame, so that the mutator can set them to 0, their
// maximum, off-by-one or past-the-end values: link headers, IPv4 IHL and total length,
// IPv6 payload and extension lengths, TCP data offset and option lengths, UDP length,
// VXLAN flags, GENEVE option lengths, TLS record / handshake / hello / extension /
// certificate lengths (and the DER lengths inside certificates), DTLS record and fragment
// fields, QUIC long-header connection-ID lengths and varints. A heuristic walk: it stops
// quietly where the bytes stop making sense.
//
// A field is {name, off, size, kind, value}; kind: 'int' (big-endian, `size` bytes), 'varint'
// (QUIC, `size` bytes), 'lo4' / 'hi4' (a nibble), 'lo6' / 'lo5' (low bits of one byte).

import { readVarint } from './bytes.mjs';

const MAX_FIELDS = 400;

class Walk {
  constructor(buf) {
    this.buf = buf;
    this.fields = [];
    this.depth = 0;
  }
  add(name, off, size, kind = 'int') {
    if (this.fields.length >= MAX_FIELDS || off < 0 || off + size > this.buf.length) return;
    const b = this.buf;
    let value;
    if (kind === 'int') {
      value = 0;
      for (let i = 0; i < size; i++) value = value * 256 + b[off + i];
    } else if (kind === 'varint') value = readVarint(b, off)?.[0] ?? 0;
    else if (kind === 'hi4') value = b[off] >> 4;
    else if (kind === 'lo4') value = b[off] & 15;
    else if (kind === 'lo6') value = b[off] & 63;
    else if (kind === 'lo5') value = b[off] & 31;
    this.fields.push({ name, off, size, kind, value });
  }
}

const u16 = (b, p) => (b[p] << 8) | b[p + 1];
const u24 = (b, p) => (b[p] << 16) | (b[p + 1] << 8) | b[p + 2];

/** Length fields of one frame of the given pcap link type. */
export function locateFields(buf, linktype) {
  const w = new Walk(buf);
  try {
    link(w, linktype, 0, buf.length);
  } catch {
    // a walk over hostile bytes may index past the end: what was found so far stands
  }
  return w.fields;
}

function link(w, lt, p, end) {
  const b = w.buf;
  switch (lt) {
    case 1:
      return ethernet(w, p, end);
    case 113: // Linux SLL: protocol at 14
      if (p + 16 > end) return;
      return etherType(w, u16(b, p + 14), p + 16, end);
    case 276: // SLL2: protocol first
      if (p + 20 > end) return;
      return etherType(w, u16(b, p), p + 20, end);
    case 0: {
      if (p + 4 > end) return;
      const fam = b[p] | b[p + 3]; // host byte order, either way
      return fam === 2 ? ip(w, 4, p + 4, end) : ip(w, 6, p + 4, end);
    }
    case 101:
    case 12:
    case 14:
    case 228:
    case 229:
      if (p >= end) return;
      return ip(w, b[p] >> 4, p, end);
    default:
  }
}

function ethernet(w, p, end) {
  if (p + 14 > end) return;
  return etherType(w, u16(w.buf, p + 12), p + 14, end);
}

function etherType(w, type, p, end) {
  const b = w.buf;
  for (let i = 0; i < 4 && (type === 0x8100 || type === 0x88a8); i++) {
    if (p + 4 > end) return;
    type = u16(b, p + 2);
    p += 4;
  }
  if (type === 0x0800) return ip(w, 4, p, end);
  if (type === 0x86dd) return ip(w, 6, p, end);
  if (type === 0x6558) return ethernet(w, p, end);
}

function ip(w, version, p, end) {
  if (++w.depth > 8) return;
  const b = w.buf;
  if (version === 4) {
    if (p + 20 > end) return;
    w.add('ipv4.ihl', p, 1, 'lo4');
    w.add('ipv4.total_length', p + 2, 2);
    w.add('ipv4.fragment', p + 6, 2);
    const ihl = (b[p] & 15) * 4;
    const total = u16(b, p + 2);
    const stop = Math.min(end, p + Math.max(total, ihl));
    return transport(w, b[p + 9], p + ihl, stop);
  }
  if (version === 6) {
    if (p + 40 > end) return;
    w.add('ipv6.payload_length', p + 4, 2);
    let next = b[p + 6];
    let q = p + 40;
    const stop = Math.min(end, q + u16(b, p + 4));
    for (let i = 0; i < 8 && (next === 0 || next === 43 || next === 60 || next === 44); i++) {
      if (q + 8 > stop) return;
      if (next === 44) {
        w.add('ipv6.fragment', q + 2, 2);
        next = b[q];
        q += 8;
        continue;
      }
      w.add('ipv6.ext_length', q + 1, 1);
      const len = (b[q + 1] + 1) * 8;
      next = b[q];
      q += len;
    }
    return transport(w, next, q, stop);
  }
}

function transport(w, proto, p, end) {
  const b = w.buf;
  if (proto === 6) {
    if (p + 20 > end) return;
    w.add('tcp.data_offset', p + 12, 1, 'hi4');
    const hl = (b[p + 12] >> 4) * 4;
    for (let o = p + 20; o + 2 <= Math.min(p + hl, end); ) {
      const kind = b[o];
      if (kind === 0) break;
      if (kind === 1) {
        o++;
        continue;
      }
      w.add('tcp.option_length', o + 1, 1);
      o += Math.max(2, b[o + 1]);
    }
    return tcpPayload(w, p + hl, end);
  }
  if (proto === 17) {
    if (p + 8 > end) return;
    w.add('udp.length', p + 4, 2);
    const sport = u16(b, p);
    const dport = u16(b, p + 2);
    const q = p + 8;
    if (dport === 4789 || sport === 4789) return vxlan(w, q, end);
    if (dport === 6081 || sport === 6081) return geneve(w, q, end);
    return udpPayload(w, q, end);
  }
  if (proto === 47) return gre(w, p, end);
  if (proto === 4) return ip(w, 4, p, end);
  if (proto === 41) return ip(w, 6, p, end);
}

function gre(w, p, end) {
  const b = w.buf;
  if (p + 4 > end) return;
  const flags = b[p];
  const proto = u16(b, p + 2);
  let q = p + 4;
  if (flags & 0x80) q += 4;
  if (flags & 0x20) q += 4;
  if (flags & 0x10) q += 4;
  if (proto === 0x6558) return ethernet(w, q, end);
  if (proto === 0x0800) return ip(w, 4, q, end);
  if (proto === 0x86dd) return ip(w, 6, q, end);
}

function vxlan(w, p, end) {
  if (p + 8 > end) return;
  w.add('vxlan.flags', p, 1);
  return ethernet(w, p + 8, end);
}

function geneve(w, p, end) {
  const b = w.buf;
  if (p + 8 > end) return;
  w.add('geneve.opt_len', p, 1, 'lo6');
  const optEnd = p + 8 + (b[p] & 63) * 4;
  for (let o = p + 8; o + 4 <= Math.min(optEnd, end); ) {
    w.add('geneve.option_length', o + 3, 1, 'lo5');
    o += 4 + (b[o + 3] & 31) * 4;
  }
  const proto = u16(b, p + 2);
  if (proto === 0x6558) return ethernet(w, optEnd, end);
  if (proto === 0x0800) return ip(w, 4, optEnd, end);
  if (proto === 0x86dd) return ip(w, 6, optEnd, end);
}

function udpPayload(w, p, end) {
  const b = w.buf;
  if (p >= end) return;
  if ((b[p] & 0x80) !== 0 && p + 7 <= end && b[p] !== 0xfe && b[p] !== 0xff) return quicLong(w, p, end);
  if (b[p] >= 20 && b[p] <= 25 && b[p + 1] === 0xfe) return dtls(w, p, end);
}

function tcpPayload(w, p, end) {
  const b = w.buf;
  // TLS records: content type 20..24, version 3.x
  for (let i = 0; i < 16 && p + 5 <= end; i++) {
    const type = b[p];
    if (type < 20 || type > 24 || b[p + 1] !== 3) return;
    w.add('tls.record_length', p + 3, 2);
    const len = u16(b, p + 3);
    const body = p + 5;
    const stop = Math.min(end, body + len);
    if (type === 22) handshakes(w, body, stop, false);
    p = body + len;
  }
}

/** Handshake messages (TLS: 4-byte headers; DTLS: 12-byte headers). */
function handshakes(w, p, end, isDtls) {
  const b = w.buf;
  const hdr = isDtls ? 12 : 4;
  for (let i = 0; i < 8 && p + hdr <= end; i++) {
    const type = b[p];
    w.add('hs.length', p + 1, 3);
    const len = u24(b, p + 1);
    if (isDtls) {
      w.add('dtls.fragment_offset', p + 6, 3);
      w.add('dtls.fragment_length', p + 9, 3);
    }
    const body = p + hdr;
    const stop = Math.min(end, body + (isDtls ? u24(b, p + 9) : len));
    if (type === 1 || type === 2) hello(w, body, stop, type === 1, isDtls);
    else if (type === 11) certificate(w, body, stop);
    p = body + (isDtls ? u24(b, p + 9) : len);
  }
}

function hello(w, p, end, client, isDtls) {
  const b = w.buf;
  p += 2 + 32;
  if (p + 1 > end) return;
  w.add('hello.session_id_length', p, 1);
  p += 1 + b[p];
  if (client && isDtls) {
    if (p + 1 > end) return;
    w.add('hello.cookie_length', p, 1);
    p += 1 + b[p];
  }
  if (client) {
    if (p + 2 > end) return;
    w.add('hello.cipher_suites_length', p, 2);
    p += 2 + u16(b, p);
    if (p + 1 > end) return;
    w.add('hello.compression_length', p, 1);
    p += 1 + b[p];
  } else p += 3;
  if (p + 2 > end) return;
  w.add('hello.extensions_length', p, 2);
  const extEnd = Math.min(end, p + 2 + u16(b, p));
  p += 2;
  for (let i = 0; i < 64 && p + 4 <= extEnd; i++) {
    const type = u16(b, p);
    w.add(`ext.${type}.length`, p + 2, 2);
    const len = u16(b, p + 2);
    extension(w, type, p + 4, Math.min(extEnd, p + 4 + len), client);
    p += 4 + len;
  }
}

function extension(w, type, p, end, client) {
  const b = w.buf;
  if (p >= end) return;
  switch (type) {
    case 0: // server_name: list length, then type + name length
      if (p + 5 > end) return;
      w.add('sni.list_length', p, 2);
      w.add('sni.name_length', p + 3, 2);
      return;
    case 10:
    case 13:
    case 50:
      return w.add(`ext.${type}.list_length`, p, 2);
    case 11:
    case 45:
      return w.add(`ext.${type}.list_length`, p, 1);
    case 16: {
      w.add('alpn.list_length', p, 2);
      for (let q = p + 2, i = 0; q < end && i < 16; i++) {
        w.add('alpn.name_length', q, 1);
        q += 1 + b[q];
      }
      return;
    }
    case 43:
      if (client) w.add('supported_versions.length', p, 1);
      return;
    case 51: {
      if (!client) return w.add('key_share.server_length', p + 2, 2);
      w.add('key_share.list_length', p, 2);
      for (let q = p + 2, i = 0; q + 4 <= end && i < 16; i++) {
        w.add('key_share.entry_length', q + 2, 2);
        q += 4 + u16(b, q + 2);
      }
      return;
    }
    case 41:
      if (client) w.add('psk.identities_length', p, 2);
      return;
    case 57:
    case 0xffa5: {
      // QUIC transport parameters: varint id, varint length
      for (let q = p, i = 0; q < end && i < 32; i++) {
        const id = readVarint(b, q, end);
        if (!id) return;
        const len = readVarint(b, q + id[1], end);
        if (!len) return;
        w.add('quic_tp.length', q + id[1], len[1], 'varint');
        q += id[1] + len[1] + len[0];
      }
      return;
    }
    default:
  }
}

function certificate(w, p, end) {
  const b = w.buf;
  // TLS 1.2 layout (a TLS 1.3 Certificate is encrypted on the wire)
  if (p + 3 > end) return;
  w.add('certificate.list_length', p, 3);
  const listEnd = Math.min(end, p + 3 + u24(b, p));
  p += 3;
  for (let i = 0; i < 8 && p + 3 <= listEnd; i++) {
    w.add('certificate.length', p, 3);
    const len = u24(b, p);
    der(w, p + 3, Math.min(listEnd, p + 3 + len), 0);
    p += 3 + len;
  }
}

/** DER TLV lengths, depth first, bounded. */
function der(w, p, end, depth) {
  const b = w.buf;
  for (let i = 0; i < 24 && p + 2 <= end && w.fields.length < MAX_FIELDS; i++) {
    const tag = b[p];
    const first = b[p + 1];
    let len;
    let hl;
    if (first < 0x80) {
      w.add('der.length', p + 1, 1);
      len = first;
      hl = 2;
    } else {
      const n = first & 0x7f;
      if (n === 0 || n > 3 || p + 2 + n > end) return;
      w.add('der.length_of_length', p + 1, 1);
      w.add('der.length', p + 2, n);
      len = 0;
      for (let k = 0; k < n; k++) len = len * 256 + b[p + 2 + k];
      hl = 2 + n;
    }
    if ((tag & 0x20) !== 0 && depth < 6) der(w, p + hl, Math.min(end, p + hl + len), depth + 1);
    p += hl + len;
  }
}

function dtls(w, p, end) {
  const b = w.buf;
  for (let i = 0; i < 8 && p + 13 <= end; i++) {
    const type = b[p];
    if (type < 20 || type > 25) return;
    w.add('dtls.record_length', p + 11, 2);
    const len = u16(b, p + 11);
    const epoch = u16(b, p + 3);
    if (type === 22 && epoch === 0) handshakes(w, p + 13, Math.min(end, p + 13 + len), true);
    p += 13 + len;
  }
}

function quicLong(w, p, end) {
  const b = w.buf;
  for (let i = 0; i < 4 && p + 7 <= end && (b[p] & 0x80) !== 0; i++) {
    const version = (b[p + 1] << 24) | (b[p + 2] << 16) | (b[p + 3] << 8) | b[p + 4];
    let q = p + 5;
    w.add('quic.dcid_length', q, 1);
    q += 1 + b[q];
    if (q >= end) return;
    w.add('quic.scid_length', q, 1);
    q += 1 + b[q];
    if (version === 0) return; // version negotiation: no length
    const typeBits = (b[p] >> 4) & 3;
    const initial = version === 0x6b3343cf ? typeBits === 1 : typeBits === 0;
    if (initial) {
      const t = readVarint(b, q, end);
      if (!t) return;
      w.add('quic.token_length', q, t[1], 'varint');
      q += t[1] + t[0];
    }
    const l = readVarint(b, q, end);
    if (!l) return;
    w.add('quic.length', q, l[1], 'varint');
    p = q + l[1] + l[0];
  }
}
