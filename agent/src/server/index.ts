// The agent's HTTP(S) + WebSocket server: the built viewer, the JSON API and the live
// feed, over one history database.

import { createServer as createHttp, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { API_PROTOCOL, ROUTES, type InfoResponse } from '@intransit/shared';
import { openDatabase, agentVersion, reapStaleRuns, type DB } from '../store/db.js';
import { applyRetention, type Retention } from '../store/retention.js';
import { serverUrl, tlsOptions, type ServerConfig } from './config.js';
import { Guard, securityHeaders } from './http.js';
import { handleApi, type ApiContext } from './api.js';
import { Hub } from './live.js';
import { DEFAULT_LIMITS, type ClientLimits } from './client.js';
import { StaticFiles } from './static.js';
import { Uploads } from './upload.js';

export { resolveServerConfig, ConfigError, SERVER_FLAGS, SERVER_HELP, LISTEN_VALUE, type ServerConfig } from './config.js';

const MAX_CLIENTS = 64;

export interface RunningServer {
  url: string;
  port: number;
  hub: Hub;
  /** New rows were committed (by this process): feed them now rather than at the next poll. */
  poke(): void;
  setLiveRun(run: number | null): void;
  close(): Promise<void>;
}

export interface ServerOptions {
  limits?: Partial<ClientLimits>;
  retention?: Retention;
  /** An open database to share (tests); by default the server opens config.dbFile. */
  db?: DB;
}

export async function startServer(config: ServerConfig, options: ServerOptions = {}): Promise<RunningServer> {
  const db = options.db ?? openDatabase(config.dbFile);
  reapStaleRuns(db);
  const limits: ClientLimits = { ...DEFAULT_LIMITS, slowMs: config.slowClientMs, ...options.limits };
  let liveRun = config.liveRun;
  const info = (): InfoResponse => ({
    name: 'intransit',
    version: agentVersion(),
    rule_pack_version: agentVersion(),
    protocol: API_PROTOCOL,
    live_run: liveRun,
    auth: config.token ? 'token' : 'none',
    tls: config.tls !== null,
    upload: { enabled: config.upload.enabled, max_bytes: config.upload.maxBytes, max_concurrent: config.upload.maxConcurrent },
    ws: { max_message_bytes: limits.maxMessageBytes, queue_messages: limits.queueMessages, queue_bytes: limits.queueBytes },
  });
  const hub = new Hub(db, limits, info);
  const uploads = new Uploads(db, config, () => hub.poke());
  const ctx: ApiContext = { db, hub, uploads, info, started: Date.now() };
  const guard = new Guard(config);
  const files = new StaticFiles(config.uiDir);

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    securityHeaders(res, guard.tls);
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      if (res.headersSent) return;
      const text = JSON.stringify(body);
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text), ...headers });
      res.end(req.method === 'HEAD' ? undefined : text);
    };
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://agent.invalid');
    } catch {
      return reply(400, { error: 'bad request target' });
    }
    if (!guard.hostAllowed(req)) return reply(421, { error: 'this agent answers to a loopback host name only' });
    if (url.pathname === ROUTES.login) return guard.login(res, url);
    if (url.pathname.startsWith('/api/')) {
      if (!guard.authorized(req)) return reply(401, { error: 'send Authorization: Bearer <token>, or open /login?token=<token> once' }, { 'WWW-Authenticate': 'Bearer' });
      if (req.method !== 'GET' && req.method !== 'HEAD' && !guard.originAllowed(req)) return reply(403, { error: 'cross-origin request refused' });
      try {
        return handleApi(ctx, req, url, reply);
      } catch (e) {
        process.stderr.write(`intransit: API ${url.pathname}: ${(e as Error).stack ?? e}\n`);
        return reply(500, { error: 'internal error' });
      }
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, { error: 'method not allowed' }, { Allow: 'GET, HEAD' });
    files.serve(req, res, url.pathname);
  };

  const server: Server = config.tls ? createHttps(tlsOptions(config.tls), handle) : createHttp(handle);
  server.headersTimeout = 20_000;
  server.requestTimeout = 600_000; // uploads of large captures
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxMessageBytes * 16, perMessageDeflate: false });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://agent.invalid');
    } catch {
      socket.destroy();
      return;
    }
    if (!guard.upgradeAllowed(req, socket, url)) return;
    if (hub.clients.size >= MAX_CLIENTS) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => hub.connect(ws, req));
  });
  server.on('clientError', (_e, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  hub.start();
  const retentionTimer = options.retention && (options.retention.days || options.retention.mb) ? setInterval(() => applyRetention(db, options.retention!), 3600_000) : null;
  retentionTimer?.unref();
  const port = (server.address() as AddressInfo).port;
  return {
    url: serverUrl(config, port),
    port,
    hub,
    poke: () => hub.poke(),
    setLiveRun: (run) => {
      liveRun = run;
    },
    close: async () => {
      if (retentionTimer) clearInterval(retentionTimer);
      hub.stop('the agent is shutting down');
      for (const c of wss.clients) c.terminate();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!options.db) db.close();
    },
  };
}
