// Linux "cooked" captures (tcpdump -i any): LINKTYPE_LINUX_SLL (113) and SLL2 (276).

import type { Packet } from './packet.js';
import { etherTypeLayer, L_LLC, R_NOT_IP, R_SLL2_TRUNC, R_SLL_TRUNC, u16 } from './layers.js';

const ARPHRD_NETLINK = 824;

/** Next layer for the SLL protocol field, which holds an EtherType except for a few Linux ETH_P_* values. */
function sllProtocol(pkt: Packet, arphrd: number, proto: number, next: number, end: number): number {
  if (arphrd === ARPHRD_NETLINK) return R_NOT_IP; // nlmon: the field is a netlink family
  pkt.cursorOff = next;
  pkt.cursorEnd = end;
  if (proto === 0x0004) return L_LLC; // ETH_P_802_2: 802.2 LLC frame without a length field
  return etherTypeLayer(proto); // ETH_P_802_3 (0x0001, Novell raw) and the rest fall to not-ip
}

/** packet type (2), ARPHRD type (2), address length (2), address (8), protocol (2). */
export function sll(pkt: Packet, buf: Buffer, off: number, end: number): number {
  if (end - off < 16) return R_SLL_TRUNC;
  return sllProtocol(pkt, u16(buf, off + 2), u16(buf, off + 14), off + 16, end);
}

/** protocol (2), reserved (2), interface index (4), ARPHRD type (2), packet type (1), address length (1), address (8). */
export function sll2(pkt: Packet, buf: Buffer, off: number, end: number): number {
  if (end - off < 20) return R_SLL2_TRUNC;
  return sllProtocol(pkt, u16(buf, off + 8), u16(buf, off), off + 20, end);
}
