// PPP framings that can carry IP: PPPoE sessions (EtherType 0x8864, RFC 2516), PPP in
// PPTP's enhanced GRE (RFC 2637), LINKTYPE_PPP (9), LINKTYPE_PPP_HDLC (50), and Cisco
// HDLC (LINKTYPE_C_HDLC, 104).

import type { Packet } from './packet.js';
import {
  etherTypeLayer,
  L_IPV4,
  L_IPV6,
  L_MPLS,
  R_CHDLC_TRUNC,
  R_NOT_IP,
  R_PPP_TRUNC,
  R_PPPOE_BAD,
  R_PPPOE_TRUNC,
  u16,
} from './layers.js';

/** version/type (0x11), code (0 in session data), session id (2), length (2), then a PPP frame. */
export function pppoe(pkt: Packet, buf: Buffer, off: number, end: number): number {
  if (end - off < 6) return R_PPPOE_TRUNC;
  if (buf[off] !== 0x11 || buf[off + 1] !== 0) return R_PPPOE_BAD;
  const lenEnd = off + 6 + u16(buf, off + 4); // excludes Ethernet padding
  return pppFrame(pkt, buf, off + 6, lenEnd < end ? lenEnd : end);
}

export function ppp(pkt: Packet, buf: Buffer, off: number, end: number): number {
  return pppFrame(pkt, buf, off, end);
}

/**
 * Optional HDLC address/control (FF 03), then the protocol field, one byte when
 * compressed (RFC 1661: protocol numbers have an odd low byte and an even high byte).
 * Anything but IP (LCP, CCP, MPPE-encrypted 0x00FD, VJ-compressed TCP) is not for us.
 */
function pppFrame(pkt: Packet, buf: Buffer, off: number, end: number): number {
  let o = off;
  if (end - o >= 2 && buf[o] === 0xff && buf[o + 1] === 0x03) o += 2;
  if (o >= end) return R_PPP_TRUNC;
  let proto = buf[o];
  if (proto & 1) {
    o += 1;
  } else {
    if (end - o < 2) return R_PPP_TRUNC;
    proto = u16(buf, o);
    o += 2;
  }
  pkt.cursorOff = o;
  pkt.cursorEnd = end;
  if (proto === 0x0021) return L_IPV4;
  if (proto === 0x0057) return L_IPV6;
  if (proto === 0x0281 || proto === 0x0283) return L_MPLS;
  return R_NOT_IP;
}

/** Cisco HDLC: address (1), control (1), EtherType (2). */
export function ciscoHdlc(pkt: Packet, buf: Buffer, off: number, end: number): number {
  if (end - off < 4) return R_CHDLC_TRUNC;
  pkt.cursorOff = off + 4;
  pkt.cursorEnd = end;
  return etherTypeLayer(u16(buf, off + 2));
}
