// One reusable, mutable description of the packet being decoded. The decoder fills
// it in place for every packet (no per-packet allocation); consumers read it during
// the packet callback only: `buf` belongs to the capture reader and is reused.

export const MAX_TUNNELS = 4;

// Encapsulation types kept in `tunnelType` (and written to `intransit.tunnel[].type`).
export const TUNNEL_VXLAN = 1;
export const TUNNEL_GENEVE = 2;
export const TUNNEL_GRE = 3;
export const TUNNEL_ERSPAN = 4;
export const TUNNEL_IPIP = 5;
export const TUNNEL_GTP = 6; // GTP-U (id -1: TEIDs differ per direction, so they cannot key a flow)
export const TUNNEL_TEREDO = 7;
export const TUNNEL_AYIYA = 8;
export const TUNNEL_NAMES = ['', 'vxlan', 'geneve', 'gre', 'erspan', 'ipip', 'gtp', 'teredo', 'ayiya'];

export const EMPTY = Buffer.alloc(0);

export class Packet {
  // -- capture record
  buf: Buffer = EMPTY; // bytes of the frame (may be a reassembly buffer after IP defragmentation)
  frameOff = 0; // offset of the frame in buf
  caplen = 0; // captured bytes of the frame
  origlen = 0; // length of the frame on the wire
  linktype = 0; // pcap LINKTYPE_* of the frame
  tsSec = 0; // capture time, seconds since the epoch
  tsNsec = 0; // and nanoseconds
  frameNo = 0; // 1-based packet number in the capture (evidence for auditors)

  // -- layer 2
  vlanId = -1; // outermost 802.1Q/802.1ad VLAN id, -1 when untagged

  // -- tunnels, outermost first
  tunnelCount = 0;
  tunnelType = new Uint8Array(MAX_TUNNELS); // TUNNEL_*
  tunnelId = new Float64Array(MAX_TUNNELS); // VNI / GRE key / ERSPAN session id, -1 when none
  tunnelHash = 0; // 32-bit hash of (type, id) of every tunnel layer: part of the flow key

  // -- innermost IP header
  ipVersion = 0; // 4 or 6; 0 when the packet carried no IP
  ipOff = 0; // offset of the IP header in buf
  ipLen = 0; // IP-layer bytes as the header declares them (IPv4 total length, IPv6 40 + payload length)
  src = new Uint32Array(4); // IPv4: [0, 0, 0, addr]; IPv6: four big-endian words
  dst = new Uint32Array(4);
  ipProto = -1; // transport protocol after IPv6 extension headers (6 TCP, 17 UDP, ...)
  ttl = 0;

  // -- transport
  l4Off = 0; // offset of the TCP/UDP header in buf, 0 when absent (e.g. non-first fragment)
  srcPort = 0;
  dstPort = 0;
  tcpFlags = 0; // FIN 1, SYN 2, RST 4, PSH 8, ACK 16, URG 32, ECE 64, CWR 128
  seq = 0; // TCP sequence number (unsigned 32-bit, held as a number)
  ack = 0;
  payloadOff = 0; // offset of the transport payload in buf
  payloadLen = 0; // payload bytes actually captured (<= payloadWireLen)
  payloadWireLen = 0; // payload bytes the headers declare (what was on the wire)

  // -- decoder cursor (internal to agent/src/decode): each layer analyzer leaves here the
  // bounds of the next layer in buf: its first byte and the end of its captured bytes
  cursorOff = 0;
  cursorEnd = 0;

  reset(): void {
    this.vlanId = -1;
    this.tunnelCount = 0;
    this.tunnelHash = 0;
    this.ipVersion = 0;
    this.ipOff = 0;
    this.ipLen = 0;
    this.ipProto = -1;
    this.ttl = 0;
    this.l4Off = 0;
    this.srcPort = 0;
    this.dstPort = 0;
    this.tcpFlags = 0;
    this.seq = 0;
    this.ack = 0;
    this.payloadOff = 0;
    this.payloadLen = 0;
    this.payloadWireLen = 0;
  }

  /** Records one encapsulation layer (outermost first); ignores layers past MAX_TUNNELS. */
  pushTunnel(type: number, id: number): void {
    if (this.tunnelCount >= MAX_TUNNELS) return;
    this.tunnelType[this.tunnelCount] = type;
    this.tunnelId[this.tunnelCount] = id;
    this.tunnelCount++;
    // FNV-1a style mix; id may be up to 32 bits
    let h = this.tunnelHash ^ (type * 0x9e3779b1);
    h = Math.imul(h ^ (id >>> 0), 0x01000193);
    this.tunnelHash = (h ^ (h >>> 15)) >>> 0;
  }
}
