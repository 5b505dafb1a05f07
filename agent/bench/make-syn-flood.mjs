#!/usr/bin/env node
// SYN flood capture for the memory benchmark: N SYNs, each from its own source address and
// port, to a handful of servers, within a few seconds of capture time (no flow goes idle), so
// the flow table holds N concurrent flows unless its cap evicts. Classic pcap, Ethernet/IPv4.
// Deterministic; written through one reusable 4 MiB buffer.
//
//   node agent/bench/make-syn-flood.mjs [--count N] [-o FILE]     (default 1 000 000, bench-out/)
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const count = Number(opt('--count', '1000000'));
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const out = opt('-o', join(repo, 'bench-out', `syn-flood-${count}.pcap`));
mkdirSync(dirname(out), { recursive: true });

const FRAME = 14 + 20 + 20;
const REC = 16 + FRAME;
const T0 = 1767225600; // 2026-01-01
const fd = openSync(out, 'w');
const head = Buffer.alloc(24);
head.writeUInt32LE(0xa1b2c3d4, 0);
head.writeUInt16LE(2, 4);
head.writeUInt16LE(4, 6);
head.writeUInt32LE(262144, 16);
head.writeUInt32LE(1, 20);
writeSync(fd, head);

const buf = Buffer.alloc(4 << 20);
let len = 0;
const usPerSyn = Math.max(1, Math.floor(2_000_000 / count)); // the whole flood within ~2 s
for (let i = 0; i < count; i++) {
  if (len + REC > buf.length) {
    writeSync(fd, buf, 0, len);
    len = 0;
  }
  const us = i * usPerSyn;
  const p = len;
  buf.writeUInt32LE(T0 + Math.floor(us / 1e6), p);
  buf.writeUInt32LE(us % 1e6, p + 4);
  buf.writeUInt32LE(FRAME, p + 8);
  buf.writeUInt32LE(FRAME, p + 12);
  const e = p + 16;
  buf.fill(0, e, e + FRAME);
  buf.writeUInt32BE(0x02000000, e); // destination MAC 02:00:00:00:00:01
  buf.writeUInt16BE(0x0001, e + 4);
  buf.writeUInt32BE(0x02000000, e + 6); // source MAC 02:00:00:00:00:02
  buf.writeUInt16BE(0x0002, e + 10);
  buf.writeUInt16BE(0x0800, e + 12);
  const ip = e + 14;
  buf[ip] = 0x45;
  buf.writeUInt16BE(40, ip + 2);
  buf.writeUInt16BE(i & 0xffff, ip + 4);
  buf[ip + 8] = 64;
  buf[ip + 9] = 6;
  buf.writeUInt32BE((10 << 24) + 0x100000 + (i >>> 4), ip + 12); // 10.16.0.0/12: a source per 16 SYNs
  buf.writeUInt32BE(0xc6120001 + (i % 8), ip + 16); // 198.18.0.1 .. 198.18.0.8
  const tcp = ip + 20;
  buf.writeUInt16BE(1024 + ((i & 15) << 8) + (i % 251), tcp); // source port
  buf.writeUInt16BE(443, tcp + 2);
  buf.writeUInt32BE((Math.imul(i, 2654435761) >>> 0), tcp + 4); // sequence number
  buf[tcp + 12] = 0x50;
  buf[tcp + 13] = 0x02; // SYN
  buf.writeUInt16BE(64240, tcp + 14);
  len += REC;
}
writeSync(fd, buf, 0, len);
closeSync(fd);
console.log(out);
