// IPv6 (RFC 8200): the fixed header here, extension headers in ip-ext.ts.

import type { Packet } from './packet.js';
import { IPV6_PROTO_LAYER, R_IPV6_BAD_HEADER, R_IPV6_TRUNC, u16, u32 } from './layers.js';

export function ipv6(pkt: Packet, buf: Buffer, off: number, end: number): number {
  if (end - off < 1) return R_IPV6_TRUNC;
  if (buf[off] >> 4 !== 6) return R_IPV6_BAD_HEADER;
  if (end - off < 40) return R_IPV6_TRUNC;
  const plen = u16(buf, off + 4);
  // 0: a jumbogram (RFC 2675) or a segmentation-offloaded packet; use what was captured
  const total = plen === 0 ? end - off : 40 + plen;
  pkt.ipVersion = 6;
  pkt.ipOff = off;
  pkt.ipLen = total;
  pkt.ttl = buf[off + 7];
  const nh = buf[off + 6];
  pkt.ipProto = nh;
  const src = pkt.src;
  const dst = pkt.dst;
  src[0] = u32(buf, off + 8);
  src[1] = u32(buf, off + 12);
  src[2] = u32(buf, off + 16);
  src[3] = u32(buf, off + 20);
  dst[0] = u32(buf, off + 24);
  dst[1] = u32(buf, off + 28);
  dst[2] = u32(buf, off + 32);
  dst[3] = u32(buf, off + 36);
  const declaredEnd = off + total;
  pkt.cursorOff = off + 40;
  pkt.cursorEnd = declaredEnd < end ? declaredEnd : end;
  return IPV6_PROTO_LAYER[nh];
}
