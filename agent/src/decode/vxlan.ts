// VXLAN (RFC 7348), UDP port 4789: an Ethernet frame behind an 8-byte header; and its
// Generic Protocol Extension (VXLAN-GPE, draft-ietf-nvo3-vxlan-gpe), UDP port 4790,
// whose P flag says a next-protocol byte tells what follows. Both are recorded as vxlan.

import { TUNNEL_VXLAN, type Packet } from './packet.js';
import {
  enterTunnel,
  L_ETHERNET,
  L_IPV4,
  L_IPV6,
  L_MPLS,
  OK,
  R_TUNNEL_DEPTH,
  R_TUNNEL_PAYLOAD,
  R_VXLAN_BAD_FLAGS,
  R_VXLAN_TRUNC,
} from './layers.js';

const FLAG_I = 0x08; // the VNI is valid
const FLAG_P = 0x04; // GPE: next protocol present

// VXLAN-GPE next protocol -> layer (4 NSH and others are not decoded)
const GPE_NEXT = [-1, L_IPV4, L_IPV6, L_ETHERNET, -1, L_MPLS];

/** flags (1), reserved (2), reserved / GPE next protocol (1), VNI (3), reserved (1). */
export function vxlan(pkt: Packet, buf: Buffer, off: number, end: number): number {
  // matched on the source port only: not ours unless the header validates
  const dport = pkt.dstPort;
  const lenient = dport !== 4789 && dport !== 4790;
  if (end - off < 8) return lenient ? OK : R_VXLAN_TRUNC;
  const flags = buf[off];
  if ((flags & FLAG_I) === 0) return lenient ? OK : R_VXLAN_BAD_FLAGS;
  let next = L_ETHERNET;
  // port 4789 is plain VXLAN whatever the flags (group-policy and other extensions reuse bits)
  const gpe = dport === 4790 || (dport !== 4789 && pkt.srcPort === 4790);
  if (gpe && flags & FLAG_P) {
    next = GPE_NEXT[buf[off + 3]] ?? -1;
    if (next < 0) return lenient ? OK : R_TUNNEL_PAYLOAD;
  }
  const vni = (buf[off + 4] << 16) | (buf[off + 5] << 8) | buf[off + 6];
  if (!enterTunnel(pkt, TUNNEL_VXLAN, vni)) return R_TUNNEL_DEPTH;
  pkt.cursorOff = off + 8;
  pkt.cursorEnd = end;
  return next;
}
