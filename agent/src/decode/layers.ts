// Layer identifiers, terminal codes and the helpers every layer analyzer shares.
//
// Decoding follows Zeek's packet-analysis design: one small analyzer per layer, wired by
// a dispatch table indexed by layer id (see decoder.ts). An analyzer reads its header at
// [off, end) of buf, records what it found in the Packet, leaves the bounds of the next
// layer in pkt.cursorOff / pkt.cursorEnd and returns either the next layer's id or a
// terminal code: OK (the packet is ready for the flow table) or a reason why it is not.

import { MAX_TUNNELS, type Packet } from './packet.js';

/** A layer analyzer; `end` is the end of the bytes both captured and declared by the outer headers. */
export type Analyzer = (pkt: Packet, buf: Buffer, off: number, end: number) => number;

// -- layer ids (indexes of the dispatch table)
export const L_ETHERNET = 0;
export const L_SLL = 1;
export const L_SLL2 = 2;
export const L_NULL = 3; // BSD loopback, address family in host byte order
export const L_LOOP = 4; // OpenBSD loopback, address family in network byte order
export const L_RAW = 5; // raw IP, version from the first nibble
export const L_IPV4 = 6;
export const L_IPV6 = 7;
export const L_IP_EXT = 8; // IPv6 extension headers (and IPv4 AH)
export const L_FRAG4 = 9;
export const L_FRAG6 = 10;
export const L_VLAN = 11;
export const L_LLC = 12; // 802.2 LLC / SNAP after an 802.3 length field
export const L_MPLS = 13;
export const L_PPPOE = 14;
export const L_PPP = 15;
export const L_CHDLC = 16;
export const L_TCP = 17;
export const L_UDP = 18;
export const L_IP_OPAQUE = 19; // an IP protocol without ports we know of (ESP, SCTP, OSPF...)
export const L_IPIP4 = 20; // IPv4 inside IP (protocol 4)
export const L_IPIP6 = 21; // IPv6 inside IP (protocol 41)
export const L_GRE = 22;
export const L_ERSPAN2 = 23;
export const L_ERSPAN3 = 24;
export const L_VXLAN = 25;
export const L_GENEVE = 26;
export const L_GTP = 27;
export const L_TEREDO = 28;
export const L_AYIYA = 29;
export const L_VXLAN_LINK = 30; // a UDP socket's payload: VXLAN header, then its frame
export const L_GENEVE_LINK = 31; // a UDP socket's payload: GENEVE header, then its payload
export const LAYER_COUNT = 32;

// -- pseudo link types for frames that come from a UDP socket rather than a capture
// (the VPC Traffic Mirroring receiver): beyond the 16 bits of real LINKTYPE_* values,
// so no capture file can carry them
export const LINKTYPE_VXLAN_PAYLOAD = 0x10000;
export const LINKTYPE_GENEVE_PAYLOAD = 0x10001;

// -- terminal codes: TERMINAL + index into REASONS
export const TERMINAL = 0x100;
export const REASONS = [
  'ok',
  'not-ip', // ARP, LLDP, STP, PPP control...: not malformed, just not for us
  'icmp',
  'ipv6-no-next-header',
  'truncated-ethernet',
  'sll-truncated',
  'sll2-truncated',
  'loopback-truncated',
  'raw-truncated',
  'vlan-truncated',
  'llc-truncated',
  'mpls-truncated',
  'mpls-unknown-payload',
  'pppoe-truncated',
  'pppoe-bad-header',
  'ppp-truncated',
  'chdlc-truncated',
  'ipv4-truncated', // the captured bytes end inside the IPv4 header
  'ipv4-bad-header',
  'ipv4-bad-length',
  'ipv6-truncated',
  'ipv6-bad-header',
  'ipv6-bad-extension',
  'ipv4-fragment-buffered', // a counter, not an error: the datagram awaits its other fragments
  'ipv6-fragment-buffered',
  'fragment-duplicate',
  'fragment-too-large',
  'fragment-inconsistent',
  'tcp-truncated',
  'tcp-bad-length',
  'tcp-bad-offset',
  'udp-truncated',
  'udp-bad-length',
  'vxlan-truncated',
  'vxlan-bad-flags',
  'geneve-truncated',
  'geneve-bad-version',
  'gre-truncated',
  'gre-unsupported-version',
  'gre-bad-header',
  'gre-unsupported-protocol',
  'gre-no-payload',
  'erspan-truncated',
  'erspan-bad-version',
  'erspan-unsupported-frame-type',
  'gtp-truncated',
  'gtp-bad-extension',
  'tunnel-payload-unknown',
  'tunnel-depth-exceeded',
  'too-many-layers',
] as const;

function code(name: (typeof REASONS)[number]): number {
  return TERMINAL + REASONS.indexOf(name);
}

export const OK = code('ok');
export const R_NOT_IP = code('not-ip');
export const R_ICMP = code('icmp');
export const R_IPV6_NO_NEXT = code('ipv6-no-next-header');
export const R_ETH_TRUNC = code('truncated-ethernet');
export const R_SLL_TRUNC = code('sll-truncated');
export const R_SLL2_TRUNC = code('sll2-truncated');
export const R_LOOP_TRUNC = code('loopback-truncated');
export const R_RAW_TRUNC = code('raw-truncated');
export const R_VLAN_TRUNC = code('vlan-truncated');
export const R_LLC_TRUNC = code('llc-truncated');
export const R_MPLS_TRUNC = code('mpls-truncated');
export const R_MPLS_UNKNOWN = code('mpls-unknown-payload');
export const R_PPPOE_TRUNC = code('pppoe-truncated');
export const R_PPPOE_BAD = code('pppoe-bad-header');
export const R_PPP_TRUNC = code('ppp-truncated');
export const R_CHDLC_TRUNC = code('chdlc-truncated');
export const R_IPV4_TRUNC = code('ipv4-truncated');
export const R_IPV4_BAD_HEADER = code('ipv4-bad-header');
export const R_IPV4_BAD_LENGTH = code('ipv4-bad-length');
export const R_IPV6_TRUNC = code('ipv6-truncated');
export const R_IPV6_BAD_HEADER = code('ipv6-bad-header');
export const R_IPV6_BAD_EXT = code('ipv6-bad-extension');
export const R_FRAG4_BUFFERED = code('ipv4-fragment-buffered');
export const R_FRAG6_BUFFERED = code('ipv6-fragment-buffered');
export const R_FRAG_DUPLICATE = code('fragment-duplicate');
export const R_FRAG_TOO_LARGE = code('fragment-too-large');
export const R_FRAG_INCONSISTENT = code('fragment-inconsistent');
export const R_TCP_TRUNC = code('tcp-truncated');
export const R_TCP_BAD_LENGTH = code('tcp-bad-length');
export const R_TCP_BAD_OFFSET = code('tcp-bad-offset');
export const R_UDP_TRUNC = code('udp-truncated');
export const R_UDP_BAD_LENGTH = code('udp-bad-length');
export const R_VXLAN_TRUNC = code('vxlan-truncated');
export const R_VXLAN_BAD_FLAGS = code('vxlan-bad-flags');
export const R_GENEVE_TRUNC = code('geneve-truncated');
export const R_GENEVE_BAD_VERSION = code('geneve-bad-version');
export const R_GRE_TRUNC = code('gre-truncated');
export const R_GRE_BAD_VERSION = code('gre-unsupported-version');
export const R_GRE_BAD_HEADER = code('gre-bad-header');
export const R_GRE_UNSUPPORTED = code('gre-unsupported-protocol');
export const R_GRE_NO_PAYLOAD = code('gre-no-payload');
export const R_ERSPAN_TRUNC = code('erspan-truncated');
export const R_ERSPAN_BAD_VERSION = code('erspan-bad-version');
export const R_ERSPAN_FRAME_TYPE = code('erspan-unsupported-frame-type');
export const R_GTP_TRUNC = code('gtp-truncated');
export const R_GTP_BAD_EXT = code('gtp-bad-extension');
export const R_TUNNEL_PAYLOAD = code('tunnel-payload-unknown');
export const R_TUNNEL_DEPTH = code('tunnel-depth-exceeded');
export const R_TOO_MANY_LAYERS = code('too-many-layers');

// -- byte readers (callers bounds-check first: Buffer reads past the end yield undefined)
export function u16(b: Buffer, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

export function u32(b: Buffer, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

/** Records an encapsulation layer; false when the packet is nested deeper than MAX_TUNNELS. */
export function enterTunnel(pkt: Packet, type: number, id: number): boolean {
  if (pkt.tunnelCount >= MAX_TUNNELS) return false;
  pkt.pushTunnel(type, id);
  return true;
}

/** Next layer for an EtherType (Ethernet, VLAN, SLL, GRE and GENEVE protocol fields). */
export function etherTypeLayer(type: number): number {
  switch (type) {
    case 0x0800:
      return L_IPV4;
    case 0x86dd:
      return L_IPV6;
    case 0x8100: // 802.1Q
    case 0x88a8: // 802.1ad service tag (QinQ)
    case 0x9100: // pre-standard QinQ
    case 0x9200:
      return L_VLAN;
    case 0x8847: // MPLS unicast
    case 0x8848: // MPLS multicast
      return L_MPLS;
    case 0x8864: // PPPoE session stage (0x8863, discovery, carries no IP)
      return L_PPPOE;
    case 0x6558: // transparent Ethernet bridging (GRE, GENEVE)
      return L_ETHERNET;
    default:
      return R_NOT_IP;
  }
}

/**
 * Continues after an EtherType-or-length field at `next`: values up to 1500 are an 802.3
 * length (an LLC header follows, bounded by it), larger ones an EtherType.
 */
export function afterTypeOrLength(pkt: Packet, type: number, next: number, end: number): number {
  pkt.cursorOff = next;
  if (type <= 1500) {
    const lenEnd = next + type;
    pkt.cursorEnd = lenEnd < end ? lenEnd : end;
    return L_LLC;
  }
  pkt.cursorEnd = end;
  return etherTypeLayer(type);
}

// IP protocol number -> next layer (Uint16 since terminal codes exceed 255)
export const IPV4_PROTO_LAYER = new Uint16Array(256).fill(L_IP_OPAQUE);
export const IPV6_PROTO_LAYER = new Uint16Array(256).fill(L_IP_OPAQUE);
for (const t of [IPV4_PROTO_LAYER, IPV6_PROTO_LAYER]) {
  t[6] = L_TCP;
  t[17] = L_UDP;
  t[4] = L_IPIP4;
  t[41] = L_IPIP6;
  t[47] = L_GRE;
  t[51] = L_IP_EXT; // AH: authenticates, does not encrypt; the transport header follows it
  t[1] = R_ICMP;
  t[58] = R_ICMP;
}
// IPv6 extension headers walked by ip-ext.ts; ESP (50) stops the walk (encrypted)
IPV6_PROTO_LAYER[0] = L_IP_EXT; // hop-by-hop options
IPV6_PROTO_LAYER[43] = L_IP_EXT; // routing
IPV6_PROTO_LAYER[44] = L_IP_EXT; // fragment
IPV6_PROTO_LAYER[60] = L_IP_EXT; // destination options
IPV6_PROTO_LAYER[135] = L_IP_EXT; // mobility
IPV6_PROTO_LAYER[139] = L_IP_EXT; // HIP
IPV6_PROTO_LAYER[140] = L_IP_EXT; // shim6
IPV6_PROTO_LAYER[59] = R_IPV6_NO_NEXT;
