// Mutations of real captures, at three levels:
//  - one frame: bit flips, interesting bytes, truncation (as a snaplen would, or cutting the
//    wire length too), a removed or inserted byte range, splices from other frames, and above
//    all length fields (located by locate.mjs) set to 0, their maximum, off by one, doubled or
//    pointing past the end; QUIC client Initials are opened, their frames mutated and sealed
//    again with the real keys;
//  - a sequence of frames: duplicates, reordering, drops, TCP segments split in two,
//    retransmissions with different bytes, timestamps going backwards or far away;
//  - a capture file: pcap record lengths (0, max, off by one, 2^31), pcapng block lengths
//    (not a multiple of 4, trailer mismatch), header fields, cuts.

import { locateFields } from './locate.mjs';
import { parseLong, openClientInitial, sealLong, walkFrames } from './quic.mjs';
import { cat, varint } from './bytes.mjs';

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0xfe, 0x40, 0x20];

function setField(buf, f, v) {
  const b = buf;
  switch (f.kind) {
    case 'int':
      for (let i = f.size - 1; i >= 0; i--) {
        b[f.off + i] = v % 256;
        v = Math.floor(v / 256);
      }
      return;
    case 'varint': {
      const enc = varint(Math.min(v, maxOf(f)), f.size);
      enc.copy(b, f.off);
      return;
    }
    case 'hi4':
      b[f.off] = (b[f.off] & 0x0f) | ((v & 15) << 4);
      return;
    case 'lo4':
      b[f.off] = (b[f.off] & 0xf0) | (v & 15);
      return;
    case 'lo6':
      b[f.off] = (b[f.off] & 0xc0) | (v & 63);
      return;
    case 'lo5':
      b[f.off] = (b[f.off] & 0xe0) | (v & 31);
      return;
    default:
  }
}

function maxOf(f) {
  switch (f.kind) {
    case 'int':
      return 2 ** (8 * f.size) - 1;
    case 'varint':
      return 2 ** (8 * f.size - 2) - 1;
    case 'hi4':
    case 'lo4':
      return 15;
    case 'lo6':
      return 63;
    case 'lo5':
      return 31;
    default:
      return 255;
  }
}

/** A value for a length field: 0, max, off by one, doubled, halved, past the end, random. */
function lengthValue(rng, f, bufLen) {
  const max = maxOf(f);
  const v = f.value;
  const c = rng.int(10);
  let out;
  if (c === 0) out = 0;
  else if (c === 1) out = max;
  else if (c === 2) out = v + 1;
  else if (c === 3) out = v - 1;
  else if (c === 4) out = v * 2;
  else if (c === 5) out = v >> 1;
  else if (c === 6) out = v + (bufLen - f.off) + rng.range(0, 8); // points past the end
  else if (c === 7) out = max - rng.int(3);
  else if (c === 8) out = 1;
  else out = rng.int(max + 1);
  return Math.max(0, Math.min(max, out));
}

/** Mutates one frame in place or returns a new one; returns {data, origlen, how}. */
export function mutateFrame(rng, rec, pool) {
  let data = Buffer.from(rec.data);
  let origlen = rec.origlen ?? data.length;
  const how = rng.weighted({ field: 10, flip: 4, byte: 2, trunc: 3, cut: 1, insert: 1, splice: 1, quic: 1, multi: 1 });
  const apply = (kind) => {
    switch (kind) {
      case 'field': {
        const fields = locateFields(data, rec.lt);
        if (fields.length === 0) return apply('flip');
        // deeper fields are rarer in the list: pick the later half more often
        const f = rng.chance(0.5) ? fields[rng.int(fields.length)] : fields[fields.length - 1 - rng.int(Math.ceil(fields.length / 2))];
        setField(data, f, lengthValue(rng, f, data.length));
        return;
      }
      case 'flip': {
        const n = rng.range(1, 8);
        for (let i = 0; i < n && data.length; i++) {
          const p = rng.chance(0.5) ? rng.int(Math.min(data.length, 128)) : rng.int(data.length);
          data[p] ^= 1 << rng.int(8);
        }
        return;
      }
      case 'byte':
        if (data.length) data[rng.int(data.length)] = rng.pick(INTERESTING);
        return;
      case 'trunc': {
        const at = rng.int(data.length + 1);
        data = data.subarray(0, at);
        if (rng.chance(0.5)) origlen = at; // as if the wire frame were that short
        return;
      }
      case 'cut': {
        const a = rng.int(data.length + 1);
        const b = Math.min(data.length, a + rng.size(64));
        data = cat(data.subarray(0, a), data.subarray(b));
        origlen = Math.max(0, origlen - (b - a));
        return;
      }
      case 'insert': {
        const a = rng.int(data.length + 1);
        const ins = rng.bytes(rng.size(64));
        data = cat(data.subarray(0, a), ins, data.subarray(a));
        origlen += ins.length;
        return;
      }
      case 'splice': {
        const other = rng.pick(pool);
        if (!other || other.data.length === 0) return apply('flip');
        const a = rng.int(data.length + 1);
        const s = rng.int(other.data.length);
        const piece = other.data.subarray(s, s + rng.size(200));
        data = cat(data.subarray(0, a), piece, data.subarray(Math.min(data.length, a + piece.length)));
        origlen = Math.max(origlen, data.length);
        return;
      }
      case 'quic': {
        const q = mutateQuic(rng, data, rec.lt);
        if (q === null) return apply('field');
        data = q;
        origlen = data.length;
        return;
      }
      case 'multi':
        for (let i = rng.range(2, 4); i > 0; i--) apply(rng.pick(['field', 'flip', 'byte', 'field']));
        return;
      default:
    }
  };
  apply(how);
  return { ...rec, data, origlen, how };
}

/** Opens a client Initial inside the frame, mutates its frames, seals it again; null when there is none. */
function mutateQuic(rng, frame, lt) {
  // find the UDP payload: the locator marks udp.length at (udp header + 4)
  const f = locateFields(frame, lt).filter((x) => x.name === 'quic.dcid_length');
  if (f.length === 0) return null;
  const start = f[0].off - 5;
  const h = parseLong(frame, start, frame.length);
  if (!h || !h.initial) return null;
  const opened = openClientInitial(frame, h);
  if (!opened) return null;
  let payload = Buffer.from(opened.payload);
  const frames = walkFrames(payload);
  const choice = rng.int(6);
  const cryptos = frames.filter((x) => x.type === 6);
  if (choice === 0 && cryptos.length) {
    // a CRYPTO frame's offset or length set to an edge value (same varint size)
    const c = rng.pick(cryptos);
    const field = rng.pick(c.fields);
    const max = 2 ** (8 * field.size - 2) - 1;
    const v = rng.pick([0, max, field.value + 1, Math.max(0, field.value - 1), rng.int(max + 1)]);
    varint(Math.min(v, max), field.size).copy(payload, field.off);
  } else if (choice === 1 && cryptos.length) {
    // flip bits inside the TLS bytes the CRYPTO frames carry
    const c = rng.pick(cryptos);
    for (let i = rng.range(1, 4); i > 0; i--) payload[rng.range(c.off, c.end - 1)] ^= 1 << rng.int(8);
  } else if (choice === 2 && frames.length > 1) {
    // frames reordered or duplicated
    const parts = frames.map((x) => payload.subarray(x.off, x.end));
    if (rng.chance(0.5)) rng.shuffle(parts);
    else parts.push(rng.pick(parts));
    payload = cat(parts, payload.subarray(frames.at(-1).end));
  } else if (choice === 3 && frames.length) {
    // the payload cut inside a frame
    payload = payload.subarray(0, rng.range(0, frames.at(-1).end));
  } else if (choice === 4) {
    // a frame type the client may not send in an Initial, or an unknown one
    payload = cat(varint(rng.pick([0x08, 0x10, 0x18, 0x1e, 0x30, 0x40, rng.int(1 << 14)])), rng.bytes(rng.size(30)), payload);
  } else {
    for (let i = rng.range(1, 6); i > 0; i--) payload[rng.int(payload.length)] = rng.int(256);
  }
  const sealed = sealLong({ version: h.version, dcid: Buffer.from(h.dcid), scid: Buffer.from(h.scid), token: Buffer.from(h.token), pn: opened.pn, pnLen: rng.range(1, 4), payload });
  return cat(frame.subarray(0, start), sealed, frame.subarray(h.next));
}

/**
 * Sequence mutations on a window of records (already copied): duplicates, swaps, drops,
 * reversed runs, TCP segments split, retransmissions with other bytes, odd timestamps.
 */
export function mutateSequence(rng, recs) {
  const out = recs.slice();
  const n = rng.size(6);
  for (let i = 0; i < n && out.length > 0; i++) {
    const k = rng.int(out.length);
    switch (rng.int(8)) {
      case 0: // duplicate
        out.splice(k + rng.int(3), 0, out[k]);
        break;
      case 1: {
        // swap with a near neighbour
        const j = Math.min(out.length - 1, k + rng.range(1, 4));
        [out[k], out[j]] = [out[j], out[k]];
        break;
      }
      case 2: // drop
        out.splice(k, 1);
        break;
      case 3: {
        // reverse a short run
        const j = Math.min(out.length, k + rng.range(2, 8));
        out.splice(k, j - k, ...out.slice(k, j).reverse());
        break;
      }
      case 4: {
        const split = splitTcp(rng, out[k]);
        if (split) out.splice(k, 1, ...(rng.chance(0.3) ? split.reverse() : split));
        break;
      }
      case 5: {
        // retransmission carrying different bytes (overlap that disagrees)
        const r = out[k];
        const data = Buffer.from(r.data);
        for (let m = rng.range(1, 8); m > 0; m--) {
          const p = data.length - 1 - rng.int(Math.min(data.length, 64));
          if (p >= 0) data[p] ^= 0xff;
        }
        out.splice(k + 1 + rng.int(3), 0, { ...r, data });
        break;
      }
      case 6: {
        // a timestamp far away or backwards
        const r = out[k];
        const sec = rng.pick([0, 1, 0xffffffff, r.sec - 86400, r.sec + 100000, r.sec - 1]);
        out[k] = { ...r, sec: Math.max(0, Math.min(0xffffffff, sec)), nsec: rng.chance(0.5) ? r.nsec : 999999000 };
        break;
      }
      default: {
        // the same frame again, far later (after the flow may have idled out)
        const r = out[k];
        out.push({ ...r, sec: Math.min(0xffffffff, (out.at(-1)?.sec ?? r.sec) + rng.pick([61, 301, 3600])) });
      }
    }
  }
  return out;
}

/** Splits one Ethernet/IPv4/TCP frame with payload into two valid ones (lengths fixed); null otherwise. */
export function splitTcp(rng, rec) {
  if (rec.lt !== 1) return null;
  const b = rec.data;
  if (b.length < 54 || b.readUInt16BE(12) !== 0x0800 || b[14] >> 4 !== 4 || b[23] !== 6) return null;
  const ihl = (b[14] & 15) * 4;
  const tcpOff = 14 + ihl;
  if (tcpOff + 20 > b.length) return null;
  const thl = (b[tcpOff + 12] >> 4) * 4;
  const payOff = tcpOff + thl;
  const total = b.readUInt16BE(16);
  const payEnd = Math.min(b.length, 14 + total);
  const len = payEnd - payOff;
  if (thl < 20 || payOff > b.length || len < 2) return null;
  const cut = rng.range(1, len - 1);
  const mk = (from, to, seqDelta) => {
    const f = Buffer.concat([b.subarray(0, payOff), b.subarray(from, to)]);
    f.writeUInt16BE(payOff - 14 + (to - from), 16);
    f.writeUInt32BE((b.readUInt32BE(tcpOff + 4) + seqDelta) >>> 0, tcpOff + 4);
    return { ...rec, data: f, origlen: f.length };
  };
  return [mk(payOff, payOff + cut, 0), mk(payOff + cut, payEnd, cut)];
}

// ---------------------------------------------------------------- files

/** Positions of record / block length fields in a capture file, walking its framing. */
export function fileFields(bytes) {
  const out = [];
  if (bytes.length < 24) return out;
  const m = bytes.readUInt32BE(0);
  if (m === 0x0a0d0d0a) {
    let le = bytes.readUInt32LE(8) === 0x1a2b3c4d;
    for (let p = 0; p + 12 <= bytes.length && out.length < 2000; ) {
      const type = le ? bytes.readUInt32LE(p) : bytes.readUInt32BE(p);
      if (type === 0x0a0d0d0a) le = bytes.readUInt32LE(p + 8) === 0x1a2b3c4d;
      const len = le ? bytes.readUInt32LE(p + 4) : bytes.readUInt32BE(p + 4);
      if (len < 12 || p + len > bytes.length) break;
      out.push({ kind: 'block', off: p + 4, trailer: p + len - 4, le, value: len, type });
      if (type === 6 && len >= 32) out.push({ kind: 'caplen', off: p + 20, le, value: le ? bytes.readUInt32LE(p + 20) : bytes.readUInt32BE(p + 20) });
      if (type === 1 && len >= 20) out.push({ kind: 'idb-options', off: p + 16, le, end: p + len - 4 });
      p += len;
    }
    return out;
  }
  const le = bytes[0] === 0xd4 || bytes[0] === 0x4d || bytes[0] === 0x34;
  const hdr = m === 0xa1b2cd34 || m === 0x34cdb2a1 ? 24 : 16;
  out.push({ kind: 'linktype', off: 20, le });
  for (let p = 24; p + hdr <= bytes.length && out.length < 5000; ) {
    const caplen = le ? bytes.readUInt32LE(p + 8) : bytes.readUInt32BE(p + 8);
    out.push({ kind: 'record', off: p + 8, le, value: caplen });
    p += hdr + caplen;
  }
  return out;
}

/** Corrupts a capture file's framing. Returns a new Buffer. */
export function mutateFile(rng, bytes) {
  let b = Buffer.from(bytes);
  const fields = fileFields(b);
  const w32 = (off, v, le) => {
    if (off + 4 > b.length) return;
    v = Math.max(0, Math.min(0xffffffff, v)) >>> 0;
    if (le) b.writeUInt32LE(v, off);
    else b.writeUInt32BE(v, off);
  };
  const n = rng.range(1, 3);
  for (let i = 0; i < n; i++) {
    const f = fields.length ? rng.pick(fields) : null;
    const c = rng.int(10);
    if (f && f.kind === 'record') w32(f.off, rng.pick([0, 0xffffffff, 0x80000000, f.value + 1, f.value - 1, f.value + 4, 65536, 256 * 1024 * 1024, 256 * 1024 * 1024 + 1, rng.u32()]), f.le);
    else if (f && f.kind === 'block') {
      const v = rng.pick([f.value + 1, f.value + 2, f.value - 4, f.value + 4, 0, 8, 12, 0xffffffff, 0x80000000]);
      w32(f.off, v, f.le);
      if (rng.chance(0.5)) w32(f.trailer, v, f.le); // consistent trailer: only the length lies
    } else if (f && f.kind === 'caplen') w32(f.off, rng.pick([0, f.value + 1, 0xffffffff, f.value * 2]), f.le);
    else if (f && f.kind === 'linktype') w32(f.off, rng.pick([0, 1, 101, 113, 276, 228, 229, 147, 0xffff, rng.u32()]), f.le);
    else if (f && f.kind === 'idb-options' && f.off + 4 <= f.end) {
      // an option length past the block
      if (f.le) b.writeUInt16LE(rng.pick([0xffff, 8, 3]), f.off + 2);
      else b.writeUInt16BE(rng.pick([0xffff, 8, 3]), f.off + 2);
    } else if (c < 3 && b.length) b[rng.int(Math.min(b.length, 64))] ^= 1 << rng.int(8); // header bits
    else if (c < 6 && b.length) b = b.subarray(0, rng.int(b.length)); // cut anywhere
    else if (b.length) b[rng.int(b.length)] = rng.int(256);
  }
  return b;
}
