#!/usr/bin/env node
// Writes flood captures (classic pcap, Ethernet) for the memory tests, streaming them to
// disk in 4 MiB chunks (a million packets never sit in memory):
//
//   node test/floods/make-flood.mjs <kind> [--count N] [--out FILE] [--seed S]
//
//   syn          N SYNs (default 1 000 000) from random sources to a handful of servers
//   half-open    N TLS handshakes (default 100 000) that stall mid-ClientHello: SYN,
//                SYN-ACK, ACK, then only the first 1448-byte segment of a 1.8 kB ClientHello
//   handshake    one flow sending 16 MB (N bytes): a ClientHello, then handshake-type TLS records
//                whose message never completes (a Certificate declared 16 MiB - 1 long, in
//                records of 16 KiB)
//   raw16        one flow sending 16 MB (N bytes) of 0x16 0x03 0x03 0xff 0xff ... repeated
//
// Default output: os.tmpdir()/intransit-flood-<kind>-<N>.pcap. Prints the path.

import { closeSync, openSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../fuzz/lib/rng.mjs';

const CHUNK = 4 << 20;
const MSS = 1448;
const T0 = 1700000000;

/** Streams pcap records into a file through one reusable chunk. */
class PcapOut {
  constructor(path) {
    this.fd = openSync(path, 'w');
    this.buf = Buffer.alloc(CHUNK);
    this.len = 0;
    this.count = 0;
    const h = Buffer.alloc(24);
    h.writeUInt32LE(0xa1b2c3d4, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeUInt32LE(262144, 16);
    h.writeUInt32LE(1, 20);
    writeSync(this.fd, h);
    this.frame = Buffer.alloc(14 + 20 + 20 + 65536);
  }

  /** One Ethernet/IPv4/TCP frame; the payload is payload[off, off + len). */
  tcp(usec, src, dst, sport, dport, seq, ack, flags, payload = null, off = 0, len = 0) {
    const f = this.frame;
    f.fill(0, 0, 54);
    f[0] = 2;
    f[5] = 2;
    f[6] = 2;
    f[11] = 1;
    f.writeUInt16BE(0x0800, 12);
    f[14] = 0x45;
    f.writeUInt16BE(40 + len, 16);
    f[22] = 64;
    f[23] = 6;
    f.writeUInt32BE(src >>> 0, 26);
    f.writeUInt32BE(dst >>> 0, 30);
    f.writeUInt16BE(sport, 34);
    f.writeUInt16BE(dport, 36);
    f.writeUInt32BE(seq >>> 0, 38);
    f.writeUInt32BE(ack >>> 0, 42);
    f[46] = 0x50;
    f[47] = flags;
    f.writeUInt16BE(65535, 48);
    if (len) payload.copy(f, 54, off, off + len);
    this.record(usec, f, 54 + len);
  }

  record(usec, frame, n) {
    if (this.len + 16 + n > CHUNK) this.flush();
    const b = this.buf;
    const sec = T0 + Math.floor(usec / 1e6);
    b.writeUInt32LE(sec, this.len);
    b.writeUInt32LE(usec % 1e6, this.len + 4);
    b.writeUInt32LE(n, this.len + 8);
    b.writeUInt32LE(n, this.len + 12);
    frame.copy(b, this.len + 16, 0, n);
    this.len += 16 + n;
    this.count++;
  }

  flush() {
    if (this.len) writeSync(this.fd, this.buf, 0, this.len);
    this.len = 0;
  }

  close() {
    this.flush();
    closeSync(this.fd);
  }
}

const SYN = 2;
const ACK = 16;
const PSH = 8;
const SERVER = 0x0a000001;

function synFlood(out, n, rng) {
  for (let i = 0; i < n; i++) {
    const src = (rng.u32() | 0x01000000) >>> 0;
    out.tcp(i, src, SERVER + (i % 4), 1024 + rng.int(64512), 443, rng.u32(), 0, SYN);
  }
}

/** A 1.8 kB TLS 1.3-style ClientHello record (SNI, groups, key shares incl. a large hybrid one). */
export function bigClientHello(rng) {
  const parts = [];
  const ext = (type, body) => {
    const h = Buffer.alloc(4);
    h.writeUInt16BE(type, 0);
    h.writeUInt16BE(body.length, 2);
    parts.push(h, body);
  };
  const sni = Buffer.from('flood.example.test');
  const s = Buffer.alloc(5 + sni.length);
  s.writeUInt16BE(3 + sni.length, 0);
  s.writeUInt16BE(sni.length, 3);
  sni.copy(s, 5);
  ext(0, s);
  ext(10, Buffer.from([0, 6, 0x11, 0xec, 0, 0x1d, 0, 0x17]));
  ext(13, Buffer.from([0, 4, 4, 3, 8, 4]));
  ext(43, Buffer.from([4, 3, 4, 3, 3]));
  const ks = Buffer.alloc(2 + 4 + 1216 + 4 + 32);
  ks.writeUInt16BE(ks.length - 2, 0);
  ks.writeUInt16BE(0x11ec, 2);
  ks.writeUInt16BE(1216, 4);
  rng.bytes(1216).copy(ks, 6);
  ks.writeUInt16BE(0x1d, 6 + 1216);
  ks.writeUInt16BE(32, 8 + 1216);
  ext(51, ks);
  ext(21, Buffer.alloc(300)); // padding to ~1.8 kB
  const exts = Buffer.concat(parts);
  const body = Buffer.concat([Buffer.from([3, 3]), rng.bytes(32), Buffer.from([32]), rng.bytes(32), Buffer.from([0, 6, 0x13, 1, 0x13, 2, 0xc0, 0x2f, 1, 0]), Buffer.from([exts.length >> 8, exts.length & 255]), exts]);
  const hs = Buffer.concat([Buffer.from([1, 0, body.length >> 8, body.length & 255]), body]);
  return Buffer.concat([Buffer.from([22, 3, 1, hs.length >> 8, hs.length & 255]), hs]);
}

function halfOpen(out, n, rng) {
  const hello = bigClientHello(rng);
  let t = 0;
  for (let i = 0; i < n; i++) {
    const client = (0x0b000000 + i) >>> 0;
    const sport = 1024 + (i % 60000);
    const cs = rng.u32();
    const ss = rng.u32();
    out.tcp(t++, client, SERVER, sport, 443, cs, 0, SYN);
    out.tcp(t++, SERVER, client, 443, sport, ss, cs + 1, SYN | ACK);
    out.tcp(t++, client, SERVER, sport, 443, cs + 1, ss + 1, ACK);
    out.tcp(t++, client, SERVER, sport, 443, cs + 1, ss + 1, ACK | PSH, hello, 0, MSS);
  }
}

/** One connection, then `bytes` of stream from the client built by `fill(buf, streamOffset)`. */
function oneFlow(out, bytes, fill) {
  const client = 0x0b000001;
  out.tcp(0, client, SERVER, 40000, 443, 1000, 0, SYN);
  out.tcp(1, SERVER, client, 443, 40000, 5000, 1001, SYN | ACK);
  out.tcp(2, client, SERVER, 40000, 443, 1001, 5001, ACK);
  const seg = Buffer.alloc(MSS);
  let t = 3;
  for (let p = 0; p < bytes; p += MSS) {
    const n = Math.min(MSS, bytes - p);
    fill(seg, p, n);
    out.tcp(t++, client, SERVER, 40000, 443, 1001 + p, 5001, ACK | PSH, seg, 0, n);
  }
}

/**
 * A ClientHello, then records of 16 KiB of handshake type carrying one Certificate message
 * declared 2^24 - 1 long, which never ends.
 */
function handshakeStream(hello) {
  return (buf, p, n) => {
    let i = 0;
    for (; i < n && p + i < hello.length; i++) buf[i] = hello[p + i];
    if (i < n) endlessMessage(buf, i, p + i - hello.length, n - i);
  };
}

function endlessMessage(buf, at, p, n) {
  const REC = 5 + 16384;
  for (let i = 0; i < n; i++) {
    const q = p + i;
    const r = q % REC;
    let v;
    if (r === 0) v = 22;
    else if (r === 1) v = 3;
    else if (r === 2) v = 3;
    else if (r === 3) v = 0x40;
    else if (r === 4) v = 0x00;
    else if (q === 5) v = 11; // handshake type Certificate
    else if (q >= 6 && q <= 8) v = 0xff; // length 2^24 - 1
    else v = (q * 31) & 0xff;
    buf[at + i] = v;
  }
}

const RAW = Buffer.from([0x16, 0x03, 0x03, 0xff, 0xff]);
function rawStream(buf, p, n) {
  for (let i = 0; i < n; i++) buf[i] = RAW[(p + i) % 5];
}

const DEFAULTS = { syn: 1_000_000, 'half-open': 100_000, handshake: 16 << 20, raw16: 16 << 20 };

/** Writes the flood `kind` of size `count` to `path` (default in os.tmpdir()); returns {path, packets}. */
export function makeFlood(kind, count = DEFAULTS[kind], path = join(tmpdir(), `intransit-flood-${kind}-${count}.pcap`), seed = 1) {
  if (!(kind in DEFAULTS)) throw new Error(`unknown flood kind ${kind} (${Object.keys(DEFAULTS).join(', ')})`);
  const rng = new Rng(seed);
  const out = new PcapOut(path);
  if (kind === 'syn') synFlood(out, count, rng);
  else if (kind === 'half-open') halfOpen(out, count, rng);
  else if (kind === 'handshake') oneFlow(out, count, handshakeStream(bigClientHello(rng)));
  else oneFlow(out, count, rawStream);
  out.close();
  return { path, packets: out.count };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const opt = (name) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const kind = argv[0];
  if (!kind || !(kind in DEFAULTS)) {
    process.stderr.write(`usage: make-flood.mjs <${Object.keys(DEFAULTS).join('|')}> [--count N] [--out FILE] [--seed S]\n`);
    process.exit(2);
  }
  const r = makeFlood(kind, opt('--count') ? Number(opt('--count')) : undefined, opt('--out'), Number(opt('--seed') ?? 1));
  console.log(`${r.path} (${r.packets} packets)`);
}
