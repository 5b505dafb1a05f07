// ADDR:PORT parsing for --listen and --health: "0.0.0.0:4789", "[::]:4789", ":4789",
// "4789" (port alone: the default host).

import { isIP } from 'node:net';
import { UsageError } from '../cli/args.js';

export interface HostPort {
  host: string;
  port: number;
  family: 4 | 6;
}

export function parseHostPort(text: string, defaultHost: string, flag: string): HostPort {
  let host = defaultHost;
  let portText = text;
  const bracket = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  if (bracket) {
    host = bracket[1];
    portText = bracket[2];
  } else {
    const colon = text.lastIndexOf(':');
    if (colon >= 0) {
      if (text.indexOf(':') !== colon) throw new UsageError(`${flag}: write an IPv6 address as [ADDR]:PORT, not "${text}"`);
      if (colon > 0) host = text.slice(0, colon);
      portText = text.slice(colon + 1);
    }
  }
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new UsageError(`${flag}: "${text}" needs a port between 0 (any free port) and 65535`);
  const family = isIP(host);
  if (family === 0) throw new UsageError(`${flag}: "${host}" is not an IP address`);
  return { host, port, family: family as 4 | 6 };
}

export function formatHostPort(hp: { host: string; port: number }): string {
  return hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}
