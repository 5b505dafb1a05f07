// MPLS label stacks (EtherTypes 0x8847 unicast, 0x8848 multicast; RFC 3032).

import type { Packet } from './packet.js';
import { L_ETHERNET, L_IPV4, L_IPV6, R_MPLS_TRUNC, R_MPLS_UNKNOWN } from './layers.js';

/**
 * Label stack entries (label 20, TC 3, bottom-of-stack 1, TTL 8) up to the one with S set.
 * MPLS does not say what it carries: like Wireshark and Zeek we look at the first nibble
 * after the stack: 4 IPv4, 6 IPv6, 0 a pseudowire control word (RFC 4385) before an
 * Ethernet frame (RFC 4448).
 */
export function mpls(pkt: Packet, buf: Buffer, off: number, end: number): number {
  let o = off;
  for (;;) {
    if (end - o < 4) return R_MPLS_TRUNC;
    const bottom = buf[o + 2] & 0x01;
    o += 4;
    if (bottom) break;
  }
  if (o >= end) return R_MPLS_TRUNC;
  pkt.cursorEnd = end;
  const nibble = buf[o] >> 4;
  if (nibble === 4 || nibble === 6) {
    pkt.cursorOff = o;
    return nibble === 4 ? L_IPV4 : L_IPV6;
  }
  if (nibble === 0) {
    if (end - o < 4) return R_MPLS_TRUNC;
    pkt.cursorOff = o + 4;
    return L_ETHERNET;
  }
  return R_MPLS_UNKNOWN;
}
