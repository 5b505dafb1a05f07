// AYIYA ("Anything In Anything", SixXS), UDP port 5072: IPv6 (or IPv4) behind an
// identity and a signature. Only "forward" messages carry a packet; heartbeats and
// others stay the UDP datagram itself.

import { TUNNEL_AYIYA, type Packet } from './packet.js';
import { enterTunnel, L_IPV4, L_IPV6, OK, R_TUNNEL_DEPTH } from './layers.js';

const OP_FORWARD = 1;

/**
 * identity length (4, log2 of bytes) | identity type (4), signature length (4, in 4-byte
 * words) | hash method (4), auth method (4) | opcode (4), next header (1), epoch (4),
 * identity, signature.
 */
export function ayiya(pkt: Packet, buf: Buffer, off: number, end: number): number {
  if (end - off < 8) return OK;
  const hlen = 8 + (1 << (buf[off] >> 4)) + ((buf[off + 1] >> 4) << 2);
  if ((buf[off + 2] & 0x0f) !== OP_FORWARD || end - off <= hlen) return OK;
  const nh = buf[off + 3];
  if (nh !== 41 && nh !== 4) return OK;
  if (!enterTunnel(pkt, TUNNEL_AYIYA, -1)) return R_TUNNEL_DEPTH;
  pkt.cursorOff = off + hlen;
  pkt.cursorEnd = end;
  return nh === 41 ? L_IPV6 : L_IPV4;
}
