// GTP-U version 1 (3GPP TS 29.281), UDP port 2152: user IP packets (G-PDU, message type
// 255) of mobile networks. Other messages (echo, error indication, end marker) and UDP
// payloads that do not look like GTP-U leave the packet as the UDP datagram itself.

import { TUNNEL_GTP, type Packet } from './packet.js';
import { enterTunnel, L_IPV4, L_IPV6, OK, R_GTP_BAD_EXT, R_GTP_TRUNC, R_TUNNEL_DEPTH, R_TUNNEL_PAYLOAD, u16 } from './layers.js';

/**
 * flags: version (3) = 1 | PT (1) = 1 | spare | E | S | PN; message type (1); length of
 * what follows the first 8 bytes (2); TEID (4); when any of E, S, PN: sequence number (2),
 * N-PDU number (1), next extension header type (1); extension headers, each length (1,
 * in 4-byte units) ... next type (1).
 */
export function gtpU(pkt: Packet, buf: Buffer, off: number, end: number): number {
  if (end - off < 8) return OK;
  const flags = buf[off];
  if (flags >> 5 !== 1 || (flags & 0x10) === 0 || buf[off + 1] !== 255) return OK;
  // the GTP length must account exactly for the UDP payload, which tells a real GTP-U
  // header from a DNS or other datagram that merely uses port 2152 as its source
  if (off + 8 + u16(buf, off + 2) !== pkt.payloadOff + pkt.payloadWireLen) return OK;
  let o = off + 8;
  if (flags & 0x07) {
    if (end - o < 4) return R_GTP_TRUNC;
    let nextType = buf[o + 3];
    o += 4;
    while (nextType !== 0) {
      if (end - o < 1) return R_GTP_TRUNC;
      const len = buf[o] << 2;
      if (len === 0) return R_GTP_BAD_EXT;
      if (end - o < len) return R_GTP_TRUNC;
      nextType = buf[o + len - 1];
      o += len;
    }
  }
  if (end - o < 1) return R_GTP_TRUNC;
  const version = buf[o] >> 4;
  if (version !== 4 && version !== 6) return R_TUNNEL_PAYLOAD;
  // TEIDs differ per direction: recorded as -1 so both directions share one flow key
  if (!enterTunnel(pkt, TUNNEL_GTP, -1)) return R_TUNNEL_DEPTH;
  pkt.cursorOff = o;
  pkt.cursorEnd = end;
  return version === 4 ? L_IPV4 : L_IPV6;
}
