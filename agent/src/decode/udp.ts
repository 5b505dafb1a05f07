// UDP (RFC 768), and the UDP encapsulations recognised by port: VXLAN (4789), VXLAN-GPE
// (4790), GENEVE (6081), GRE-in-UDP (4754, RFC 8086), GTP-U (2152), Teredo (3544), AYIYA
// (5072). The destination port is tried first, then the source port (like Wireshark,
// which tries both); encapsulations matched on the source port only fall back to the
// plain UDP datagram when their header does not validate.

import type { Packet } from './packet.js';
import { L_AYIYA, L_GENEVE, L_GRE, L_GTP, L_TEREDO, L_VXLAN, OK, R_UDP_BAD_LENGTH, R_UDP_TRUNC, u16 } from './layers.js';

// UDP port -> next layer; 0 means none (layer 0, Ethernet, is never reached from a port)
const BY_DST_PORT = new Uint8Array(65536);
const BY_SRC_PORT = new Uint8Array(65536);
BY_DST_PORT[4789] = BY_SRC_PORT[4789] = L_VXLAN;
BY_DST_PORT[4790] = BY_SRC_PORT[4790] = L_VXLAN;
BY_DST_PORT[6081] = BY_SRC_PORT[6081] = L_GENEVE;
BY_DST_PORT[4754] = L_GRE; // GRE-in-UDP senders use the source port for entropy
// servers of these answer from the well-known port
BY_DST_PORT[2152] = BY_SRC_PORT[2152] = L_GTP;
BY_DST_PORT[3544] = BY_SRC_PORT[3544] = L_TEREDO;
BY_DST_PORT[5072] = BY_SRC_PORT[5072] = L_AYIYA;

export function udp(pkt: Packet, buf: Buffer, off: number, end: number): number {
  const declaredEnd = pkt.ipOff + pkt.ipLen;
  if (declaredEnd - off < 8) return R_UDP_BAD_LENGTH;
  if (end - off < 8) return R_UDP_TRUNC;
  let ulen = u16(buf, off + 4);
  if (ulen === 0 && pkt.ipVersion === 6) ulen = declaredEnd - off; // jumbogram (RFC 2675)
  // shorter than the IP payload is fine (trailing bytes are padding), longer is not
  if (ulen < 8 || declaredEnd - off < ulen) return R_UDP_BAD_LENGTH;
  const sport = u16(buf, off);
  const dport = u16(buf, off + 2);
  pkt.l4Off = off;
  pkt.srcPort = sport;
  pkt.dstPort = dport;
  const p = off + 8;
  const udpEnd = off + ulen;
  const capEnd = udpEnd < end ? udpEnd : end;
  pkt.payloadOff = p;
  pkt.payloadLen = capEnd - p;
  pkt.payloadWireLen = ulen - 8;
  // an encapsulation that does not recognise its payload returns OK: the packet is
  // then this UDP datagram itself
  const next = BY_DST_PORT[dport] || BY_SRC_PORT[sport];
  if (next === 0) return OK;
  pkt.cursorOff = p;
  pkt.cursorEnd = capEnd;
  return next;
}
