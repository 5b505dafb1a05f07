// Loopback and raw-IP link types: LINKTYPE_NULL (0, BSD loopback, address family in the
// capturing host's byte order), LINKTYPE_LOOP (108, OpenBSD, network byte order),
// LINKTYPE_RAW (101, and DLT_RAW's historical values 12 and 14), IPV4 (228), IPV6 (229).

import type { Packet } from './packet.js';
import { L_IPV4, L_IPV6, R_LOOP_TRUNC, R_NOT_IP, R_RAW_TRUNC, u32 } from './layers.js';

/** AF_INET is 2 everywhere; AF_INET6 is 24 (NetBSD, OpenBSD, BSD/OS), 28 (FreeBSD, DragonFly), 30 (Darwin). */
function familyLayer(pkt: Packet, af: number, next: number, end: number): number {
  pkt.cursorOff = next;
  pkt.cursorEnd = end;
  if (af === 2) return L_IPV4;
  if (af === 24 || af === 28 || af === 30) return L_IPV6;
  return R_NOT_IP;
}

export function nullLoopback(pkt: Packet, buf: Buffer, off: number, end: number): number {
  if (end - off < 4) return R_LOOP_TRUNC;
  // family values are small: a big-endian writer leaves the first two bytes zero
  const af = buf[off] === 0 && buf[off + 1] === 0 ? u32(buf, off) : (buf[off] | (buf[off + 1] << 8) | (buf[off + 2] << 16) | (buf[off + 3] << 24)) >>> 0;
  return familyLayer(pkt, af, off + 4, end);
}

export function openbsdLoop(pkt: Packet, buf: Buffer, off: number, end: number): number {
  if (end - off < 4) return R_LOOP_TRUNC;
  return familyLayer(pkt, u32(buf, off), off + 4, end);
}

/** Raw IP (also ERSPAN III IP frames and GTP-U payloads): the version nibble says which. */
export function rawIp(pkt: Packet, buf: Buffer, off: number, end: number): number {
  if (end - off < 1) return R_RAW_TRUNC;
  pkt.cursorOff = off;
  pkt.cursorEnd = end;
  const v = buf[off] >> 4;
  if (v === 4) return L_IPV4;
  if (v === 6) return L_IPV6;
  return R_NOT_IP;
}
