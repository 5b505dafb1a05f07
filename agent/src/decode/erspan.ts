// Cisco ERSPAN (draft-foschiano-erspan) behind GRE: type I (0x88BE without a GRE
// sequence number, no header, handled in gre.ts), type II (0x88BE) and type III (0x22EB).
// The tunnel id is the 10-bit session id.

import { TUNNEL_ERSPAN, type Packet } from './packet.js';
import {
  enterTunnel,
  L_ETHERNET,
  L_RAW,
  R_ERSPAN_BAD_VERSION,
  R_ERSPAN_FRAME_TYPE,
  R_ERSPAN_TRUNC,
  R_TUNNEL_DEPTH,
  u16,
} from './layers.js';

/** version 1 (4) | VLAN (12), COS (3) | encap (2) | truncated (1) | session id (10), reserved (12) | index (20). */
export function erspan2(pkt: Packet, buf: Buffer, off: number, end: number): number {
  if (end - off < 8) return R_ERSPAN_TRUNC;
  if (buf[off] >> 4 !== 1) return R_ERSPAN_BAD_VERSION;
  if (!enterTunnel(pkt, TUNNEL_ERSPAN, u16(buf, off + 2) & 0x03ff)) return R_TUNNEL_DEPTH;
  pkt.cursorOff = off + 8;
  pkt.cursorEnd = end;
  return L_ETHERNET;
}

/**
 * version 2 (4) | VLAN (12), COS (3) | BSO (2) | T (1) | session id (10), timestamp (32),
 * SGT (16), P (1) | frame type (5) | hardware id (6) | D (1) | granularity (2) | O (1),
 * then an 8-byte platform-specific sub-header when O is set. Frame type 0 is Ethernet,
 * 2 an IP packet.
 */
export function erspan3(pkt: Packet, buf: Buffer, off: number, end: number): number {
  if (end - off < 12) return R_ERSPAN_TRUNC;
  if (buf[off] >> 4 !== 2) return R_ERSPAN_BAD_VERSION;
  const hlen = buf[off + 11] & 0x01 ? 20 : 12;
  if (end - off < hlen) return R_ERSPAN_TRUNC;
  const frameType = (buf[off + 10] >> 2) & 0x1f;
  if (frameType !== 0 && frameType !== 2) return R_ERSPAN_FRAME_TYPE;
  if (!enterTunnel(pkt, TUNNEL_ERSPAN, u16(buf, off + 2) & 0x03ff)) return R_TUNNEL_DEPTH;
  pkt.cursorOff = off + hlen;
  pkt.cursorEnd = end;
  return frameType === 0 ? L_ETHERNET : L_RAW;
}
