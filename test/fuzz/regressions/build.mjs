#!/usr/bin/env node
// Writes the regression captures of this directory (deterministic; run it again only to
// regenerate them): each is the smallest input that reproduces a bug the fuzzer found.
// What each one checks is in ../regressions.test.mjs.
//
//   node test/fuzz/regressions/build.mjs

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { cat, u8, u16, u24, u32, vec8, vec16, eth, ipv4, tcp, udp, TH, writePcap, pcapngBlock } from '../lib/bytes.mjs';
import { handshake } from '../lib/tls-gen.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..', '..', '..');
const A = 0x0a000001;
const B = 0x0a000002;
const T = 1700000000;

/** pcapng: an interface with if_tsresol 10^0 (seconds) and one packet at 2^63 - 1 seconds. */
function pcapngTimeOutOfRange() {
  const shb = Buffer.alloc(16);
  shb.writeUInt32LE(0x1a2b3c4d, 0);
  shb.writeUInt16LE(1, 4);
  shb.writeBigInt64LE(-1n, 8);
  const idb = Buffer.alloc(16);
  idb.writeUInt16LE(1, 0); // Ethernet
  idb.writeUInt32LE(65535, 4);
  idb.writeUInt16LE(9, 8); // if_tsresol
  idb.writeUInt16LE(1, 10);
  idb[12] = 0; // 10^0: whole seconds
  const frame = eth(0x0800, ipv4(A, B, 6, tcp(40000, 443, 1, 0, TH.SYN)));
  const epb = (hi, lo) => {
    const h = Buffer.alloc(20);
    h.writeUInt32LE(0, 0);
    h.writeUInt32LE(hi, 4);
    h.writeUInt32LE(lo, 8);
    h.writeUInt32LE(frame.length, 12);
    h.writeUInt32LE(frame.length, 16);
    return pcapngBlock(6, cat(h, frame));
  };
  return cat(pcapngBlock(0x0a0d0d0a, shb), pcapngBlock(1, idb), epb(0x7fffffff, 0xffffffff));
}

/** IPv4 UDP datagram in three fragments: the second overlaps the first and does not complete it. */
function overlappingFragments() {
  const payload = Buffer.alloc(1208, 0x61);
  payload.writeUInt16BE(5353, 0);
  payload.writeUInt16BE(5353, 2);
  payload.writeUInt16BE(1208, 4);
  const frag = (off, bytes, more) => {
    const ip = ipv4(A, B, 17, bytes, { id: 77, flagsFrag: (more ? 0x2000 : 0) | (off >> 3) });
    return { lt: 1, sec: T, nsec: 0, data: eth(0x0800, ip) };
  };
  return writePcap([frag(0, payload.subarray(0, 800), true), frag(400, payload.subarray(400, 1200), true), frag(1200, payload.subarray(1200), false)]);
}

/** cert-expired.pcap with the leaf certificate's notBefore month set to 13 (UTCTime YY13...). */
function x509InvalidTime() {
  const b = Buffer.from(readFileSync(join(root, 'captures', 'cert-expired.pcap')));
  // the first UTCTime (tag 0x17, 13 bytes: YYMMDDHHMMSSZ) is the leaf's notBefore
  const m = /\x17\x0d\d{12}Z/.exec(b.toString('latin1'));
  if (!m) throw new Error('cert-expired.pcap: no UTCTime found');
  b.write('13', m.index + 4, 'latin1');
  return b;
}

/** A TLS ClientHello offering TLS 1.0 whose SNI holds CR LF and an ANSI escape. */
function sniControlChars() {
  const sni = Buffer.from('www.example.test\r\nInjected: yes\x1b[31m', 'latin1');
  const exts = cat(
    u16(0), vec16(vec16(cat(u8(0), vec16(sni)))),
    u16(43), vec16(vec8(cat(u16(0x0303), u16(0x0301)))),
  );
  const body = cat(u16(0x0303), Buffer.alloc(32, 7), vec8(Buffer.alloc(0)), vec16(cat(u16(0xc02f), u16(0x002f))), vec8(u8(0)), vec16(exts));
  const hello = handshake(1, body);
  const rec = cat(u8(22), u16(0x0301), vec16(hello));
  const f = (from, seq, ack, flags, payload) => ({ lt: 1, sec: T, nsec: 0, data: eth(0x0800, from ? ipv4(A, B, 6, tcp(40001, 443, seq, ack, flags, payload)) : ipv4(B, A, 6, tcp(443, 40001, seq, ack, flags, payload))) });
  return writePcap([f(true, 100, 0, TH.SYN), f(false, 900, 101, TH.SYN | TH.ACK), f(true, 101, 901, TH.ACK | TH.PSH, rec)]);
}

/**
 * DTLS: a non-hello message (seq 0) completes before any hello, then a ClientHello with
 * seq 1 completes and sets the next expected number past it. At the end of the flow the
 * reassembler's flush looped forever on the complete message left behind.
 */
function dtlsCompleteMessageBehindHello() {
  const rec = (seq, hs) => cat(u8(22), u16(0xfefd), u16(0), u16(0), u32(seq), vec16(hs));
  const frag = (type, mseq, body, off, len) => cat(u8(type), u24(body.length), u16(mseq), u24(off), u24(len), body.subarray(off, off + len));
  const hello = cat(u16(0xfefd), Buffer.alloc(32, 3), vec8(Buffer.alloc(0)), vec8(Buffer.alloc(0)), vec16(u16(0xc02b)), vec8(u8(0)));
  const other = Buffer.alloc(40, 0x0b);
  const d = (payload, sec) => ({ lt: 1, sec, nsec: 0, data: eth(0x0800, ipv4(A, B, 17, udp(50000, 4433, payload))) });
  return writePcap([
    d(cat(rec(0, frag(1, 1, hello, 0, 20)), rec(1, frag(11, 0, other, 0, other.length))), T),
    d(rec(2, frag(1, 1, hello, 20, hello.length - 20)), T + 1),
  ]);
}

const files = {
  'dtls-complete-message-behind-hello.pcap': dtlsCompleteMessageBehindHello(),
  'pcapng-time-out-of-range.pcapng': pcapngTimeOutOfRange(),
  'ipv4-overlapping-fragment-accounting.pcap': overlappingFragments(),
  'x509-invalid-time.pcap': x509InvalidTime(),
  'finding-message-sni-control-chars.pcap': sniControlChars(),
};
for (const [name, bytes] of Object.entries(files)) {
  writeFileSync(join(here, name), bytes);
  console.log(`${name}: ${bytes.length} bytes`);
}
