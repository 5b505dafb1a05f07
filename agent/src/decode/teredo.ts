// Teredo (RFC 4380), UDP port 3544: IPv6 over UDP/IPv4, optionally behind an
// authentication and/or an origin indication. Bubbles (an IPv6 header with no payload
// and next header 59) and datagrams that do not hold an IPv6 packet of exactly the UDP
// payload's size stay the UDP datagram itself, as in Zeek.

import { TUNNEL_TEREDO, type Packet } from './packet.js';
import { enterTunnel, L_IPV6, OK, R_TUNNEL_DEPTH, u16 } from './layers.js';

export function teredo(pkt: Packet, buf: Buffer, off: number, end: number): number {
  let o = off;
  // authentication: 0x0001, client id length (1), auth value length (1), client id,
  // auth value, nonce (8), confirmation (1)
  if (end - o >= 4 && buf[o] === 0 && buf[o + 1] === 1) o += 13 + buf[o + 2] + buf[o + 3];
  // origin indication: 0x0000, obfuscated port (2), obfuscated IPv4 address (4)
  if (end - o >= 2 && buf[o] === 0 && buf[o + 1] === 0) o += 8;
  if (end - o < 40 || buf[o] >> 4 !== 6) return OK;
  const plen = u16(buf, o + 4);
  if (o + 40 + plen !== pkt.payloadOff + pkt.payloadWireLen) return OK;
  if (plen === 0 && buf[o + 6] === 59) return OK; // bubble
  if (!enterTunnel(pkt, TUNNEL_TEREDO, -1)) return R_TUNNEL_DEPTH;
  pkt.cursorOff = o;
  pkt.cursorEnd = end;
  return L_IPV6;
}
