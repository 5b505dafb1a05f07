// The live feed: one WebSocket to the agent, reconnecting with backoff, whose
// messages are handed to listeners. The subscription (filters) is re-sent after each
// reconnect. Sessions and findings are delivered in batches once per animation frame
// so a fast replay costs one render per frame, not one per message.

import { ROUTES, type FindingRow, type HelloMessage, type Kpi, type LiveFilters, type RunRow, type ServerMessage, type SessionRow } from '@intransit/shared';

export type FeedStatus = 'connecting' | 'open' | 'closed';

export interface FeedEvents {
  status(status: FeedStatus, reason: string | null): void;
  hello(msg: HelloMessage): void;
  sessions(rows: SessionRow[]): void;
  findings(rows: FindingRow[]): void;
  kpi(run: number, kpi: Kpi): void;
  run(run: RunRow): void;
  /** The agent dropped messages for this client: what is shown must be refetched. */
  coalesced(): void;
}

export class LiveFeed {
  private ws: WebSocket | null = null;
  private filters: LiveFilters = {};
  private retryMs = 500;
  private timer: number | null = null;
  private stopped = false;
  private sessionBatch: SessionRow[] = [];
  private findingBatch: FindingRow[] = [];
  private frame: number | null = null;
  status: FeedStatus = 'connecting';
  reason: string | null = null;
  received = 0;

  constructor(private readonly on: FeedEvents) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) window.clearTimeout(this.timer);
    this.ws?.close(1000, 'viewer closed');
    this.ws = null;
  }

  subscribe(filters: LiveFilters): void {
    this.filters = filters;
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type: 'subscribe', filters }));
  }

  private setStatus(status: FeedStatus, reason: string | null): void {
    this.status = status;
    this.reason = reason;
    this.on.status(status, reason);
  }

  private connect(): void {
    const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
    this.setStatus('connecting', null);
    let ws: WebSocket;
    try {
      ws = new WebSocket(`${scheme}//${window.location.host}${ROUTES.ws}`);
    } catch (e) {
      this.retry(`cannot open the live feed: ${(e as Error).message}`);
      return;
    }
    this.ws = ws;
    let bye: string | null = null;
    ws.onopen = () => {
      this.retryMs = 500;
      ws.send(JSON.stringify({ type: 'subscribe', filters: this.filters }));
      this.setStatus('open', null);
    };
    ws.onmessage = (ev: MessageEvent) => {
      if (typeof ev.data !== 'string') return;
      let msg: ServerMessage;
      try {
        msg = JSON.parse(ev.data) as ServerMessage;
      } catch {
        return;
      }
      if (msg.type === 'bye') bye = msg.reason;
      else this.dispatch(msg);
    };
    ws.onclose = (ev: CloseEvent) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.flush();
      // 1008 (policy) is a refusal: token or origin; retrying at once would not help
      const reason = bye ?? (ev.code === 1006 ? 'connection lost' : ev.reason || `closed (${ev.code})`);
      this.retry(reason, ev.code === 1008 ? 10_000 : undefined);
    };
  }

  private retry(reason: string, wait?: number): void {
    if (this.stopped) return;
    this.setStatus('closed', reason);
    const ms = wait ?? this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, 10_000);
    this.timer = window.setTimeout(() => this.connect(), ms);
  }

  private dispatch(msg: ServerMessage): void {
    switch (msg.type) {
      case 'hello':
        this.on.hello(msg);
        break;
      case 'session':
        this.received++;
        this.sessionBatch.push(msg.session);
        this.schedule();
        break;
      case 'finding':
        this.findingBatch.push(msg.finding);
        this.schedule();
        break;
      case 'kpi':
        this.on.kpi(msg.run, msg.kpi);
        break;
      case 'run':
        this.on.run(msg.run);
        break;
      case 'coalesced':
        this.flush();
        this.on.coalesced();
        break;
      case 'error':
        this.setStatus(this.status, `feed refused a request: ${msg.error}`);
        break;
      default:
        break;
    }
  }

  private schedule(): void {
    if (this.frame !== null) return;
    // rAF pauses in background tabs: a timer bounds the wait there
    const run = (): void => this.flush();
    this.frame = window.requestAnimationFrame(run);
    window.setTimeout(() => {
      if (this.frame !== null) this.flush();
    }, 250);
  }

  private flush(): void {
    if (this.frame !== null) window.cancelAnimationFrame(this.frame);
    this.frame = null;
    if (this.sessionBatch.length) {
      const b = this.sessionBatch;
      this.sessionBatch = [];
      this.on.sessions(b);
    }
    if (this.findingBatch.length) {
      const b = this.findingBatch;
      this.findingBatch = [];
      this.on.findings(b);
    }
  }
}
