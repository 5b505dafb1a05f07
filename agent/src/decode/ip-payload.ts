// What an IP header can lead to besides TCP/UDP: IP-in-IP (protocols 4 and 41, RFC 2003 /
// RFC 4213 6in4) and IP protocols without ports we know of (ESP, SCTP, OSPF...), which
// reach the flow table with ports 0.

import { TUNNEL_IPIP, type Packet } from './packet.js';
import { enterTunnel, L_IPV4, L_IPV6, OK, R_TUNNEL_DEPTH } from './layers.js';

export function ipInIp4(pkt: Packet, _buf: Buffer, _off: number, _end: number): number {
  if (!enterTunnel(pkt, TUNNEL_IPIP, -1)) return R_TUNNEL_DEPTH;
  return L_IPV4; // the cursor already spans the IP payload
}

export function ipInIp6(pkt: Packet, _buf: Buffer, _off: number, _end: number): number {
  if (!enterTunnel(pkt, TUNNEL_IPIP, -1)) return R_TUNNEL_DEPTH;
  return L_IPV6;
}

export function ipOpaque(pkt: Packet, _buf: Buffer, off: number, end: number): number {
  pkt.l4Off = 0;
  pkt.srcPort = 0;
  pkt.dstPort = 0;
  pkt.payloadOff = off;
  pkt.payloadLen = end - off;
  pkt.payloadWireLen = pkt.ipOff + pkt.ipLen - off;
  return OK;
}
