// What the long-running commands (live, mirror) need of an engine: one Engine, or a
// ShardedEngine (--workers N) whose flows are spread over worker threads. Both implement it.

import type { PacketSink } from '../capture/types.js';
import type { Packet } from '../decode/packet.js';

export interface PacketEngine {
  /** One capture record (the source's PacketSink). */
  readonly packet: PacketSink;
  /** The packet `packet` decoded last (the mirror doctor reads its tunnel layers). */
  readonly pkt: Packet;
  /** Records received. */
  readonly packets: number;
  /** Highest severity of any unwaived finding so far (0: none). */
  readonly maxSeverity: number;
  /** Flows open now, over every engine. */
  openFlows(): number;
  /** Session documents written so far, over every engine. */
  sessionsWritten(): number;
  /** The wall clock reached second `nowSec` with no packet to say so: idle flows end. */
  expireIdle(nowSec: number): void;
  /** Hands what is buffered for other threads over (a sharded engine); cheap. */
  flush(): void;
  /** Every flow ends and the summary is written, last. */
  finish(capture: Record<string, unknown>): Promise<void> | void;
  /** Stops worker threads after an error (a sharded engine); the process must not hang on them. */
  terminate?(): Promise<void>;
}
