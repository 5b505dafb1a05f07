// IPv4 (RFC 791). The header checksum is not verified: offloading leaves many captured
// checksums wrong, and a wrong checksum is never a reason to drop a packet here.

import type { Packet } from './packet.js';
import { IPV4_PROTO_LAYER, L_FRAG4, R_IPV4_BAD_HEADER, R_IPV4_BAD_LENGTH, R_IPV4_TRUNC, u16, u32 } from './layers.js';

export function ipv4(pkt: Packet, buf: Buffer, off: number, end: number): number {
  if (end - off < 1) return R_IPV4_TRUNC;
  const vihl = buf[off];
  const hlen = (vihl & 0x0f) << 2;
  if (vihl >> 4 !== 4 || hlen < 20) return R_IPV4_BAD_HEADER;
  if (end - off < hlen) return R_IPV4_TRUNC;
  let total = u16(buf, off + 2);
  if (total === 0) {
    // TCP segmentation offload: the sending host captured the segment before the NIC
    // filled the length in; the captured bytes are all there is to go by
    total = end - off;
  } else if (total < hlen) {
    return R_IPV4_BAD_LENGTH;
  }
  pkt.ipVersion = 4;
  pkt.ipOff = off;
  pkt.ipLen = total;
  pkt.ttl = buf[off + 8];
  const proto = buf[off + 9];
  pkt.ipProto = proto;
  const src = pkt.src;
  const dst = pkt.dst;
  src[0] = src[1] = src[2] = 0;
  dst[0] = dst[1] = dst[2] = 0;
  src[3] = u32(buf, off + 12);
  dst[3] = u32(buf, off + 16);
  // the declared length bounds the payload (Ethernet pads short frames to 60 bytes);
  // captured bytes short of it are a snaplen cut: decode what is there
  const declaredEnd = off + total;
  pkt.cursorOff = off + hlen;
  pkt.cursorEnd = declaredEnd < end ? declaredEnd : end;
  if (u16(buf, off + 6) & 0x3fff) return L_FRAG4; // MF set or a non-zero fragment offset
  return IPV4_PROTO_LAYER[proto];
}
