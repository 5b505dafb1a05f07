// A flow is one bidirectional connection (TCP) or flow (UDP and other IP protocols). Side A
// is the sender of the first packet seen; which side is the originator is decided at output
// time (SYN sender, else TLS/QUIC client, else A), as the contract defines.
//
// Flows are not objects: a flow is a slot number in the FlowTable's columns (typed arrays,
// flow-table.ts), so a flow that only counts costs about 170 bytes and nothing for the
// garbage collector to trace. What a flow holds beyond numbers (reassembly, inspection) is a
// FlowApp, made when its first payload arrives (or when it is made, for a flow in a tunnel). A slot is reused when its flow ends: the
// flow's `id` (creation number) tells flows apart over time.

import type { TcpStream } from './tcp-stream.js';
import type { AppInspector } from './inspector.js';
import type { InspectionResult } from './inspection-result.js';

export const LRU_ACTIVE = 0; // open TCP connections
export const LRU_UDP = 1; // UDP and other datagram flows
export const LRU_CLOSED = 2; // TCP after FIN from both sides or RST
export const LRU_CLASSES = 3;

// bits of a flow's `flags` column
export const F_FIN_A = 1;
export const F_FIN_B = 2;
export const F_RST = 4;
export const F_SNAP_TRUNCATED = 8; // some payload was cut by the capture's snaplen
export const F_DECIDED = 16; // nothing more to learn: packets only update counters
export const F_SYN_SEQ_A = 32; // synSeqA holds the sequence number of A's data-less SYN
export const F_SYN_SEQ_B = 64;

/** A flow: its slot in the FlowTable (-1: none). */
export type FlowSlot = number;

/** Encapsulations a flow's packets arrived in, outermost first. */
export type TunnelList = { type: number; id: number }[];

/** What a flow holds beyond numbers, from its first payload on. */
export class FlowApp {
  /** Encapsulations its packets arrived in (set when the flow is made), null: none. */
  tunnels: TunnelList | null = null;
  streamA: TcpStream | null = null;
  streamB: TcpStream | null = null;
  inspector: AppInspector | null = null;
  /** What inspection learnt, kept instead of the inspector once the flow is decided. */
  result: InspectionResult | null = null;
}
