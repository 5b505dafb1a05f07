// One WebSocket client of the live feed, and what keeps a slow one from growing the
// agent's memory: messages wait in a queue bounded by count and bytes and go to the
// socket only while its send buffer (`bufferedAmount`) is under a high-water mark.
// A full queue switches the client to coalescing: sessions and findings are counted
// instead of queued, the latest KPIs kept; once it catches up it gets one
// `coalesced` message with the counts and the KPIs. A client stuck for `slowMs`
// is disconnected with a `bye` and close code 1013.

import type { WebSocket } from 'ws';
import type { LiveFilters } from '@intransit/shared';

export interface ClientLimits {
  /** Queue bound, messages. */
  queueMessages: number;
  /** Queue bound, bytes (UTF-16 length of the JSON text). */
  queueBytes: number;
  /** Nothing more is handed to the socket while this much is already buffered. */
  highWater: number;
  /** Disconnect after being stalled or coalescing this long. */
  slowMs: number;
  /** Client messages above this are refused with an error (the hard limit is 16x). */
  maxMessageBytes: number;
}

export const DEFAULT_LIMITS: ClientLimits = {
  queueMessages: 2000,
  queueBytes: 1 << 20,
  highWater: 1 << 20,
  slowMs: 30_000,
  maxMessageBytes: 4096,
};

export type MessageKind = 'session' | 'finding' | 'run' | 'kpi' | 'control';

export interface HubCounters {
  coalesced: number;
  disconnectedSlow: number;
}

export class LiveClient {
  filters: LiveFilters = {};
  closed = false;
  private queue: string[] = [];
  private head = 0;
  private bytes = 0;
  private coalescing = false;
  private readonly dropped = { session: 0, finding: 0, run: 0 };
  private readonly latestKpi = new Map<number, string>();
  private slowSince = 0;

  constructor(
    readonly ws: WebSocket,
    private readonly limits: ClientLimits,
    private readonly counters: HubCounters,
  ) {}

  get queued(): number {
    return this.queue.length - this.head;
  }

  get isCoalescing(): boolean {
    return this.coalescing;
  }

  /** Queues one message; `run` is the run a `kpi` message is about (only its latest is kept). */
  send(kind: MessageKind, text: string, run = 0): void {
    if (this.closed) return;
    if (!this.coalescing && (this.queued >= this.limits.queueMessages || this.bytes + text.length > this.limits.queueBytes)) this.coalescing = true;
    if (this.coalescing) {
      if (kind === 'kpi') this.latestKpi.set(run, text);
      else if (kind !== 'control') {
        this.dropped[kind]++;
        this.counters.coalesced++;
      }
      // control messages (errors to a client that does not read) are dropped too
      return;
    }
    this.queue.push(text);
    this.bytes += text.length;
    this.pump();
  }

  /** Hands queued messages to the socket while its buffer has room. */
  pump(): void {
    const ws = this.ws;
    while (this.head < this.queue.length && ws.readyState === ws.OPEN && ws.bufferedAmount < this.limits.highWater) {
      const text = this.queue[this.head];
      this.queue[this.head++] = '';
      this.bytes -= text.length;
      ws.send(text);
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  /** Periodic: drain, leave coalescing once caught up, disconnect when stuck too long. */
  tick(now: number): void {
    if (this.closed) return;
    this.pump();
    const buffered = this.ws.bufferedAmount;
    if (this.coalescing && this.queued === 0 && buffered < this.limits.highWater / 2) {
      this.coalescing = false;
      const msg = JSON.stringify({ type: 'coalesced', dropped: { ...this.dropped } });
      this.dropped.session = this.dropped.finding = this.dropped.run = 0;
      this.send('control', msg);
      for (const [run, kpi] of this.latestKpi) this.send('kpi', kpi, run);
      this.latestKpi.clear();
    }
    if (this.coalescing || buffered >= this.limits.highWater) {
      if (this.slowSince === 0) this.slowSince = now;
      else if (now - this.slowSince >= this.limits.slowMs) {
        this.counters.disconnectedSlow++;
        this.bye(`the client read too slowly for ${Math.round(this.limits.slowMs / 1000)} s; reconnect and refetch through the API`, 1013);
      }
    } else this.slowSince = 0;
  }

  /** Says why and closes; a socket that cannot even take the close frame is cut after 2 s. */
  bye(reason: string, code: number): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.head = this.bytes = 0;
    this.latestKpi.clear();
    const ws = this.ws;
    if (ws.readyState === ws.OPEN) {
      ws.send(JSON.stringify({ type: 'bye', reason, code }));
      ws.close(code, reason.slice(0, 120));
      setTimeout(() => ws.terminate(), 2000).unref();
    } else ws.terminate();
  }
}
