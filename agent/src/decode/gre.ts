// GRE: version 0 (RFC 2784 with RFC 2890 key and sequence number, and RFC 1701 routing)
// and version 1, PPTP's enhanced GRE (RFC 2637). Also reached from UDP port 4754
// (GRE-in-UDP, RFC 8086).
//
// One tunnel entry per encapsulation: GRE carrying ERSPAN is recorded as `erspan` (the
// session id identifies the mirror), everything else as `gre` with the key (version 1:
// the PPTP call id, as the key's other half is the payload length), -1 without one.

import { TUNNEL_ERSPAN, TUNNEL_GRE, type Packet } from './packet.js';
import {
  enterTunnel,
  etherTypeLayer,
  L_ERSPAN2,
  L_ERSPAN3,
  L_ETHERNET,
  L_PPP,
  R_GRE_BAD_HEADER,
  R_GRE_BAD_VERSION,
  R_GRE_NO_PAYLOAD,
  R_GRE_TRUNC,
  R_GRE_UNSUPPORTED,
  R_TUNNEL_DEPTH,
  TERMINAL,
  u16,
  u32,
} from './layers.js';

const F_CHECKSUM = 0x8000;
const F_ROUTING = 0x4000;
const F_KEY = 0x2000;
const F_SEQ = 0x1000;
const F_ACK = 0x0080; // version 1 only

export function gre(pkt: Packet, buf: Buffer, off: number, end: number): number {
  if (end - off < 4) return R_GRE_TRUNC;
  const flags = u16(buf, off);
  const proto = u16(buf, off + 2);
  const version = flags & 0x0007;
  if (version === 1) return pptpGre(pkt, buf, off, end, flags, proto);
  if (version !== 0) return R_GRE_BAD_VERSION;

  let o = off + 4;
  if (flags & (F_CHECKSUM | F_ROUTING)) o += 4; // checksum and offset (RFC 1701: present if either bit)
  let key = -1;
  if (flags & F_KEY) {
    if (end - o < 4) return R_GRE_TRUNC;
    key = u32(buf, o);
    o += 4;
  }
  if (flags & F_SEQ) o += 4;
  if (flags & F_ROUTING) {
    // source route entries: address family (2), SRE offset (1), SRE length (1), routing
    // information; a NULL entry (family 0, length 0) ends the list
    for (;;) {
      if (end - o < 4) return R_GRE_TRUNC;
      const family = u16(buf, o);
      const len = buf[o + 3];
      o += 4 + len;
      if (family === 0 && len === 0) break;
    }
  }
  if (o > end) return R_GRE_TRUNC;
  pkt.cursorOff = o;
  pkt.cursorEnd = end;

  if (proto === 0x88be) {
    // ERSPAN type II has a sequence number and an 8-byte header; type I has neither
    if (flags & F_SEQ) return L_ERSPAN2;
    if (!enterTunnel(pkt, TUNNEL_ERSPAN, -1)) return R_TUNNEL_DEPTH;
    return L_ETHERNET;
  }
  if (proto === 0x22eb) return L_ERSPAN3;
  const next = proto === 0x880b ? L_PPP : etherTypeLayer(proto);
  if (next >= TERMINAL) return R_GRE_UNSUPPORTED;
  if (!enterTunnel(pkt, TUNNEL_GRE, key)) return R_TUNNEL_DEPTH;
  return next;
}

/**
 * Enhanced GRE: flags C, R, s must be 0 and K 1; protocol 0x880B (PPP); key = payload
 * length (2) and call id (2); sequence number if S; acknowledgment number if A. Packets
 * with only an acknowledgment carry no PPP frame.
 */
function pptpGre(pkt: Packet, buf: Buffer, off: number, end: number, flags: number, proto: number): number {
  if (proto !== 0x880b || (flags & (F_CHECKSUM | F_ROUTING | F_KEY)) !== F_KEY) return R_GRE_BAD_HEADER;
  if (end - off < 8) return R_GRE_TRUNC;
  const payloadLen = u16(buf, off + 4);
  // the call id (off + 6) is each peer's own: it differs by direction, so it cannot
  // be part of a bidirectional flow key
  let o = off + 8;
  if (flags & F_SEQ) o += 4;
  if (flags & F_ACK) o += 4;
  if (o > end) return R_GRE_TRUNC;
  if (payloadLen === 0) return R_GRE_NO_PAYLOAD;
  if (!enterTunnel(pkt, TUNNEL_GRE, -1)) return R_TUNNEL_DEPTH;
  const payloadEnd = o + payloadLen;
  pkt.cursorOff = o;
  pkt.cursorEnd = payloadEnd < end ? payloadEnd : end;
  return L_PPP;
}
