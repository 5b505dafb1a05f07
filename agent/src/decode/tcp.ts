// TCP (RFC 9293): ports, sequence numbers, flags and where the payload is. Options are
// skipped; the checksum is not verified (offloading).

import type { Packet } from './packet.js';
import { OK, R_TCP_BAD_LENGTH, R_TCP_BAD_OFFSET, R_TCP_TRUNC, u16, u32 } from './layers.js';

export function tcp(pkt: Packet, buf: Buffer, off: number, end: number): number {
  const declaredEnd = pkt.ipOff + pkt.ipLen;
  if (declaredEnd - off < 20) return R_TCP_BAD_LENGTH; // the IP length leaves no room for a header
  if (end - off < 20) return R_TCP_TRUNC;
  const hlen = (buf[off + 12] >> 4) << 2;
  if (hlen < 20 || declaredEnd - off < hlen) return R_TCP_BAD_OFFSET;
  if (end - off < hlen) return R_TCP_TRUNC;
  pkt.l4Off = off;
  pkt.srcPort = u16(buf, off);
  pkt.dstPort = u16(buf, off + 2);
  pkt.seq = u32(buf, off + 4);
  pkt.ack = u32(buf, off + 8);
  pkt.tcpFlags = buf[off + 13];
  const p = off + hlen;
  pkt.payloadOff = p;
  pkt.payloadLen = end - p;
  pkt.payloadWireLen = declaredEnd - p;
  return OK;
}
