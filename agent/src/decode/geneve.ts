// GENEVE (RFC 8926), UDP port 6081. AWS Gateway Load Balancer delivers
// mirrored traffic this way; when that traffic is itself VXLAN (Traffic Mirroring), the
// GENEVE payload is IPv4/UDP/4789/VXLAN/Ethernet, which the layer recursion decodes.

import { TUNNEL_GENEVE, type Packet } from './packet.js';
import {
  enterTunnel,
  etherTypeLayer,
  OK,
  R_GENEVE_BAD_VERSION,
  R_GENEVE_TRUNC,
  R_TUNNEL_DEPTH,
  R_TUNNEL_PAYLOAD,
  TERMINAL,
  u16,
} from './layers.js';

/**
 * version (2) | options length in 4-byte words (6), O | C | reserved (8), protocol type
 * (EtherType: 0x6558 Ethernet, 0x0800, 0x86dd) (16), VNI (24), reserved (8), options.
 */
export function geneve(pkt: Packet, buf: Buffer, off: number, end: number): number {
  // matched on the source port only: not ours unless the header validates
  const lenient = pkt.dstPort !== 6081;
  if (end - off < 8) return lenient ? OK : R_GENEVE_TRUNC;
  if (buf[off] >> 6 !== 0) return lenient ? OK : R_GENEVE_BAD_VERSION;
  const hlen = 8 + ((buf[off] & 0x3f) << 2);
  if (end - off < hlen) return lenient ? OK : R_GENEVE_TRUNC;
  const next = etherTypeLayer(u16(buf, off + 2));
  if (next >= TERMINAL) return lenient ? OK : R_TUNNEL_PAYLOAD;
  const vni = (buf[off + 4] << 16) | (buf[off + 5] << 8) | buf[off + 6];
  if (!enterTunnel(pkt, TUNNEL_GENEVE, vni)) return R_TUNNEL_DEPTH;
  pkt.cursorOff = off + hlen;
  pkt.cursorEnd = end;
  return next;
}
