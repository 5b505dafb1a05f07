// Ethernet II / IEEE 802.3 frames (LINKTYPE_ETHERNET, and the inner frames of VXLAN,
// GENEVE, GRE transparent bridging, ERSPAN, MPLS pseudowires) and 802.2 LLC/SNAP.

import type { Packet } from './packet.js';
import { afterTypeOrLength, etherTypeLayer, R_ETH_TRUNC, R_LLC_TRUNC, R_NOT_IP, u16 } from './layers.js';

/** dst MAC (6), src MAC (6), EtherType or 802.3 length (2). The FCS, if captured, is left as trailer. */
export function ethernet(pkt: Packet, buf: Buffer, off: number, end: number): number {
  if (end - off < 14) return R_ETH_TRUNC;
  return afterTypeOrLength(pkt, u16(buf, off + 12), off + 14, end);
}

/** 802.2 LLC: only SNAP (AA AA 03, OUI, EtherType) can carry IP. */
export function llc(pkt: Packet, buf: Buffer, off: number, end: number): number {
  if (end - off < 3) return R_LLC_TRUNC;
  if (buf[off] !== 0xaa || buf[off + 1] !== 0xaa || buf[off + 2] !== 0x03) return R_NOT_IP; // STP, NetBIOS, IPX...
  if (end - off < 8) return R_LLC_TRUNC;
  pkt.cursorOff = off + 8;
  pkt.cursorEnd = end;
  return etherTypeLayer(u16(buf, off + 6));
}
