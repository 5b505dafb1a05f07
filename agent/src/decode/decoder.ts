// Packet decoder: walks a frame layer by layer through the dispatch table (one analyzer
// per layer, see layers.ts), filling one reusable Packet. A new encapsulation is one
// analyzer file, one layer id and one entry in ANALYZERS below.

import { type Packet } from './packet.js';
import {
  type Analyzer,
  L_AYIYA,
  L_CHDLC,
  L_ERSPAN2,
  L_ERSPAN3,
  L_ETHERNET,
  L_FRAG4,
  L_FRAG6,
  L_GENEVE,
  L_GRE,
  L_GTP,
  L_IP_EXT,
  L_IP_OPAQUE,
  L_IPIP4,
  L_IPIP6,
  L_IPV4,
  L_IPV6,
  L_LLC,
  L_LOOP,
  L_MPLS,
  L_NULL,
  L_PPP,
  L_PPPOE,
  L_RAW,
  L_SLL,
  L_SLL2,
  L_TCP,
  L_TEREDO,
  L_UDP,
  L_VLAN,
  L_VXLAN,
  L_VXLAN_LINK,
  L_GENEVE_LINK,
  LAYER_COUNT,
  LINKTYPE_VXLAN_PAYLOAD,
  LINKTYPE_GENEVE_PAYLOAD,
  OK,
  REASONS,
  R_TOO_MANY_LAYERS,
  TERMINAL,
} from './layers.js';
import { ethernet, llc } from './ethernet.js';
import { sll, sll2 } from './linux-sll.js';
import { nullLoopback, openbsdLoop, rawIp } from './loopback.js';
import { vlan } from './vlan.js';
import { mpls } from './mpls.js';
import { ciscoHdlc, ppp, pppoe } from './ppp.js';
import { ipv4 } from './ipv4.js';
import { ipv6 } from './ipv6.js';
import { ipExtensions } from './ip-ext.js';
import { ipInIp4, ipInIp6, ipOpaque } from './ip-payload.js';
import { tcp } from './tcp.js';
import { udp } from './udp.js';
import { vxlan } from './vxlan.js';
import { geneve } from './geneve.js';
import { gre } from './gre.js';
import { erspan2, erspan3 } from './erspan.js';
import { gtpU } from './gtp.js';
import { teredo } from './teredo.js';
import { ayiya } from './ayiya.js';
import { FragmentReassembler } from './fragments.js';

/** Layers a frame may traverse (QinQ, MPLS stacks and nested tunnels stay far below). */
const MAX_LAYERS = 48;

const unreachable: Analyzer = () => R_TOO_MANY_LAYERS;

const ANALYZERS: Analyzer[] = new Array<Analyzer>(LAYER_COUNT).fill(unreachable);
ANALYZERS[L_ETHERNET] = ethernet;
ANALYZERS[L_SLL] = sll;
ANALYZERS[L_SLL2] = sll2;
ANALYZERS[L_NULL] = nullLoopback;
ANALYZERS[L_LOOP] = openbsdLoop;
ANALYZERS[L_RAW] = rawIp;
ANALYZERS[L_IPV4] = ipv4;
ANALYZERS[L_IPV6] = ipv6;
ANALYZERS[L_IP_EXT] = ipExtensions;
ANALYZERS[L_VLAN] = vlan;
ANALYZERS[L_LLC] = llc;
ANALYZERS[L_MPLS] = mpls;
ANALYZERS[L_PPPOE] = pppoe;
ANALYZERS[L_PPP] = ppp;
ANALYZERS[L_CHDLC] = ciscoHdlc;
ANALYZERS[L_TCP] = tcp;
ANALYZERS[L_UDP] = udp;
ANALYZERS[L_IP_OPAQUE] = ipOpaque;
ANALYZERS[L_IPIP4] = ipInIp4;
ANALYZERS[L_IPIP6] = ipInIp6;
ANALYZERS[L_GRE] = gre;
ANALYZERS[L_ERSPAN2] = erspan2;
ANALYZERS[L_ERSPAN3] = erspan3;
ANALYZERS[L_VXLAN] = vxlan;
ANALYZERS[L_GENEVE] = geneve;
ANALYZERS[L_GTP] = gtpU;
ANALYZERS[L_TEREDO] = teredo;
ANALYZERS[L_AYIYA] = ayiya;
// a datagram received on the tunnel's port: its header must validate (strict, as on
// the well-known destination port), so the analyzers see that port
ANALYZERS[L_VXLAN_LINK] = (pkt, buf, off, end) => {
  pkt.dstPort = 4789;
  return vxlan(pkt, buf, off, end);
};
ANALYZERS[L_GENEVE_LINK] = (pkt, buf, off, end) => {
  pkt.dstPort = 6081;
  return geneve(pkt, buf, off, end);
};
// L_FRAG4 / L_FRAG6 are bound per Decoder (they hold reassembly state)

/** First layer for a pcap LINKTYPE_* value, -1 when unsupported. */
export function linkLayer(linktype: number): number {
  switch (linktype) {
    case 1: // ETHERNET
      return L_ETHERNET;
    case 113: // LINUX_SLL
      return L_SLL;
    case 276: // LINUX_SLL2
      return L_SLL2;
    case 0: // NULL
      return L_NULL;
    case 108: // LOOP
      return L_LOOP;
    case 101: // RAW
    case 12: // DLT_RAW as written by some platforms (libpcap maps it to LINKTYPE_RAW)
    case 14: // DLT_RAW on OpenBSD
      return L_RAW;
    case 228: // IPV4
      return L_IPV4;
    case 229: // IPV6
      return L_IPV6;
    case 9: // PPP
    case 50: // PPP_HDLC
      return L_PPP;
    case 104: // C_HDLC
      return L_CHDLC;
    case LINKTYPE_VXLAN_PAYLOAD:
      return L_VXLAN_LINK;
    case LINKTYPE_GENEVE_PAYLOAD:
      return L_GENEVE_LINK;
    default:
      return -1;
  }
}

export interface DecoderOptions {
  maxFragmentBuffers?: number;
  fragmentTimeoutSec?: number;
}

export class Decoder {
  /** Packets that could not be decoded (fully), by reason (stable kebab-case names). */
  readonly counts: Record<string, number> = {};
  private readonly table: Analyzer[];
  private readonly fragments: FragmentReassembler;
  private readonly linktypeReasons = new Map<number, string>();

  constructor(opts: DecoderOptions = {}) {
    const frags = new FragmentReassembler(opts.maxFragmentBuffers ?? 1024, opts.fragmentTimeoutSec ?? 30, this.counts);
    this.fragments = frags;
    this.table = ANALYZERS.slice();
    this.table[L_FRAG4] = (pkt, buf, off, end) => frags.ipv4(pkt, buf, off, end);
    this.table[L_FRAG6] = (pkt, buf, off, end) => frags.ipv6(pkt, buf, off, end);
  }

  /** IP datagrams waiting for fragments. */
  get pendingFragments(): number {
    return this.fragments.size;
  }

  /**
   * Decodes one frame into pkt (pkt.reset() first; pkt.tsSec/tsNsec must already hold the
   * capture time, fragment expiry uses it). Returns true when the packet has an IP layer
   * with a usable transport header for the flow table (TCP or UDP, or another IP protocol
   * with ports 0); false otherwise, counted in `counts` by reason.
   */
  decode(pkt: Packet, buf: Buffer, off: number, caplen: number, origlen: number, linktype: number): boolean {
    pkt.reset();
    pkt.buf = buf;
    pkt.frameOff = off;
    pkt.caplen = caplen;
    pkt.origlen = origlen;
    pkt.linktype = linktype;
    let layer = linkLayer(linktype);
    if (layer < 0) {
      this.countLinktype(linktype);
      return false;
    }
    let end = off + caplen;
    if (end > buf.length) end = buf.length;
    if (off < 0 || off > end) off = end;
    pkt.cursorOff = off;
    pkt.cursorEnd = end;
    const table = this.table;
    for (let i = 0; i < MAX_LAYERS; i++) {
      const next = table[layer](pkt, pkt.buf, pkt.cursorOff, pkt.cursorEnd);
      if (next < TERMINAL) {
        layer = next;
        continue;
      }
      if (next === OK) return true;
      this.count(REASONS[next - TERMINAL]);
      return false;
    }
    this.count('too-many-layers');
    return false;
  }

  private count(reason: string): void {
    this.counts[reason] = (this.counts[reason] ?? 0) + 1;
  }

  private countLinktype(linktype: number): void {
    let name = this.linktypeReasons.get(linktype);
    if (name === undefined) {
      name = `unsupported-linktype-${linktype}`;
      this.linktypeReasons.set(linktype, name);
    }
    this.count(name);
  }
}
