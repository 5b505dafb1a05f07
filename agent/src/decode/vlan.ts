// IEEE 802.1Q customer tags and 802.1ad service tags (QinQ): 0x8100, 0x88a8, 0x9100.

import type { Packet } from './packet.js';
import { afterTypeOrLength, R_VLAN_TRUNC, u16 } from './layers.js';

/** TCI (PCP 3, DEI 1, VID 12), then the next EtherType. */
export function vlan(pkt: Packet, buf: Buffer, off: number, end: number): number {
  if (end - off < 4) return R_VLAN_TRUNC;
  // tags are decoded outermost first, so only the first one seen is kept
  if (pkt.vlanId < 0) pkt.vlanId = u16(buf, off) & 0x0fff;
  return afterTypeOrLength(pkt, u16(buf, off + 2), off + 4, end);
}
