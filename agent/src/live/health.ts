// Health endpoint for load balancer target-group checks (an NLB in front of several
// mirror agents checks each one over TCP or HTTP): plain HTTP, 200 with JSON counters
// while the receiver runs, 503 once it is stopping. Independent of any viewer server.

import { createServer, type Server } from 'node:http';
import type { HostPort } from './address.js';
import { formatHostPort } from './address.js';

export interface HealthState {
  ok: boolean;
  [counter: string]: unknown;
}

export function startHealthServer(at: HostPort, state: () => HealthState): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/' && path !== '/health' && path !== '/healthz') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const s = state();
    const body = JSON.stringify(s) + '\n';
    res.writeHead(s.ok ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  // a health check must never keep the process alive nor hold keep-alive sockets
  server.keepAliveTimeout = 1000;
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new Error(`--health ${formatHostPort(at)}: ${e.code === 'EADDRINUSE' ? 'address already in use' : e.code === 'EACCES' ? 'permission denied' : e.message}`)));
    server.listen(at.port, at.host, () => {
      server.removeAllListeners('error');
      server.on('error', () => {});
      server.unref();
      resolve(server);
    });
  });
}
