// One bidirectional connection (TCP) or flow (UDP and other IP protocols). Side A is
// the sender of the first packet seen; which side is the originator is decided at
// output time (SYN sender, else TLS/QUIC client, else A), as the contract defines.

import type { TcpStream } from './tcp-stream.js';
import type { AppInspector } from './inspector.js';
import type { InspectionResult } from './inspection-result.js';

export const LRU_ACTIVE = 0; // open TCP connections
export const LRU_UDP = 1; // UDP and other datagram flows
export const LRU_CLOSED = 2; // TCP after FIN from both sides or RST
export const LRU_CLASSES = 3;

export class Flow {
  // -- identity
  id = 0; // creation order, for deterministic output
  hash = 0; // flowHash() as int32 (so are the address words below)
  chain: Flow | null = null; // next flow in the same hash bucket
  ipVersion = 4;
  proto = 0;
  a0 = 0;
  a1 = 0;
  a2 = 0;
  a3 = 0;
  b0 = 0;
  b1 = 0;
  b2 = 0;
  b3 = 0;
  aPort = 0;
  bPort = 0;
  tunnelHash = 0;
  tunnels: { type: number; id: number }[] | null = null; // outermost first
  vlanId = -1;

  // -- expiry (intrusive doubly-linked LRU lists, one per timeout class)
  prev: Flow | null = null;
  next: Flow | null = null;
  lruClass = LRU_ACTIVE;

  // -- times and counters
  firstSec = 0;
  firstNsec = 0;
  lastSec = 0;
  lastNsec = 0;
  firstFrame = 0;
  lastFrame = 0; // number of the flow's last record (its place in the LRU list)
  pktsA = 0;
  pktsB = 0;
  bytesA = 0; // IP-layer bytes
  bytesB = 0;

  // -- TCP state
  synFrom = -1; // 0: A sent the SYN, 1: B did, -1: no SYN seen
  finA = false;
  finB = false;
  rst = false;
  streamA: TcpStream | null = null;
  streamB: TcpStream | null = null;
  // sequence number of a direction's data-less SYN (as int32, a small integer, not a boxed
  // double), kept until that direction sends data: a SYN flood then costs no TcpStream
  synSeqA: number | null = null;
  synSeqB: number | null = null;
  snapTruncated = false; // some payload was cut by the capture's snaplen

  // -- application layer
  decided = false; // nothing more to learn: packets only update counters
  inspector: AppInspector | null = null;
  /** What inspection learnt, kept instead of the inspector once the flow is decided. */
  result: InspectionResult | null = null;
}
