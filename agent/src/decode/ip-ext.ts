// IPv6 extension header chain (hop-by-hop, routing, destination options, mobility, HIP,
// shim6, AH), up to the fragment header or the upper-layer protocol. ESP is not walked:
// what follows it is encrypted, so it ends the chain as an opaque IP protocol. In IPv4
// only AH (protocol 51) leads here.

import type { Packet } from './packet.js';
import { IPV4_PROTO_LAYER, IPV6_PROTO_LAYER, L_FRAG6, L_IP_EXT, R_IPV6_BAD_EXT, R_IPV6_TRUNC } from './layers.js';

/** Enters with pkt.ipProto = the type of the extension header at off. */
export function ipExtensions(pkt: Packet, buf: Buffer, off: number, end: number): number {
  const v6 = pkt.ipVersion === 6;
  const table = v6 ? IPV6_PROTO_LAYER : IPV4_PROTO_LAYER;
  const declaredEnd = pkt.ipOff + pkt.ipLen;
  let nh = pkt.ipProto;
  let o = off;
  for (;;) {
    if (nh === 44 && v6) {
      pkt.cursorOff = o;
      pkt.cursorEnd = end;
      return L_FRAG6;
    }
    if (declaredEnd - o < 2) return R_IPV6_BAD_EXT;
    if (end - o < 2) return R_IPV6_TRUNC;
    // every header starts with next header (1) and a length: in 4-octet units minus 2 for
    // AH (RFC 4302), in 8-octet units minus 1 for the others
    const len = nh === 51 ? (buf[o + 1] + 2) << 2 : (buf[o + 1] + 1) << 3;
    if (declaredEnd - o < len) return R_IPV6_BAD_EXT;
    if (end - o < len) return R_IPV6_TRUNC;
    nh = buf[o];
    o += len;
    const next = table[nh];
    if (next !== L_IP_EXT) {
      pkt.ipProto = nh;
      pkt.cursorOff = o;
      pkt.cursorEnd = end;
      return next;
    }
  }
}
