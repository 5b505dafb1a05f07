// Request front: security headers on every answer, the Host check that defeats DNS
// rebinding of a loopback agent, the access token (Bearer header or the cookie set by
// /login), the Origin check for state-changing requests and WebSocket upgrades.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { isIP } from 'node:net';
import { ROUTES, TOKEN_COOKIE } from '@intransit/shared';
import type { ServerConfig } from './config.js';

export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

export function securityHeaders(res: ServerResponse, tls: boolean): void {
  res.setHeader('Content-Security-Policy', CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  if (tls) res.setHeader('Strict-Transport-Security', 'max-age=31536000');
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Constant-time comparison (of digests, so lengths do not leak either). */
export function tokenEquals(presented: string, token: string): boolean {
  return timingSafeEqual(digest(presented), digest(token));
}

function cookie(req: IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export function presentedToken(req: IncomingMessage): string | null {
  const auth = req.headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    return m ? m[1] : null;
  }
  return cookie(req, TOKEN_COOKIE);
}

export class Guard {
  constructor(private readonly config: ServerConfig) {}

  get tls(): boolean {
    return this.config.tls !== null;
  }

  /** Requests to a loopback agent must name a loopback host: a page on another site cannot rebind its name to us. */
  hostAllowed(req: IncomingMessage): boolean {
    if (!this.config.loopback) return true;
    const host = req.headers.host;
    if (!host) return false;
    const m = /^(\[[^\]]+\]|[^:]+)(?::\d+)?$/.exec(host);
    if (!m) return false;
    const name = m[1].replace(/^\[|\]$/g, '').toLowerCase();
    return name === 'localhost' || name === '::1' || (isIP(name) === 4 && name.startsWith('127.'));
  }

  authorized(req: IncomingMessage): boolean {
    if (this.config.token === null) return true;
    const t = presentedToken(req);
    return t !== null && tokenEquals(t, this.config.token);
  }

  /** An Origin, when the client sends one, must be this very server (scheme, host and port). */
  originAllowed(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    let o: URL;
    try {
      o = new URL(origin);
    } catch {
      return false;
    }
    const scheme = this.tls ? 'https:' : 'http:';
    return o.protocol === scheme && o.host.toLowerCase() === String(req.headers.host ?? '').toLowerCase();
  }

  /** `/login?token=T`: a valid token becomes an HttpOnly, SameSite=Strict cookie. */
  login(res: ServerResponse, url: URL): void {
    const t = url.searchParams.get('token');
    if (this.config.token === null) {
      res.writeHead(303, { Location: '/' });
      res.end();
      return;
    }
    if (t === null || !tokenEquals(t, this.config.token)) {
      res.writeHead(401, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end('wrong or missing token\n');
      return;
    }
    const secure = this.tls ? '; Secure' : '';
    res.writeHead(303, { Location: '/', 'Set-Cookie': `${TOKEN_COOKIE}=${t}; Path=/; HttpOnly; SameSite=Strict${secure}`, 'Cache-Control': 'no-store' });
    res.end();
  }

  /** Checks a WebSocket upgrade; on refusal writes the HTTP answer and ends the socket. */
  upgradeAllowed(req: IncomingMessage, socket: Duplex, url: URL): boolean {
    const refuse = (status: number, text: string): false => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length + 1}\r\n\r\n${text}\n`);
      return false;
    };
    if (url.pathname !== ROUTES.ws) return refuse(404, 'Not Found');
    if (!this.hostAllowed(req)) return refuse(421, 'Misdirected Request');
    if (!this.originAllowed(req)) return refuse(403, 'Forbidden');
    if (!this.authorized(req)) return refuse(401, 'Unauthorized');
    return true;
  }
}
