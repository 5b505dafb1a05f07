// The server's configuration from the command line, and the rules that protect it
// (SEC09 applied to ourselves): loopback unless TLS and an access token are both
// set up; TLS 1.2+ with the aws-sec09 suites only.

import { existsSync, mkdirSync, readFileSync, chmodSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { randomBytes, X509Certificate } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { getCiphers } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { DEFAULT_LISTEN } from '@intransit/shared';
import { PROFILES } from '../audit/profiles.js';
import type { FlagSpec } from '../cli/args.js';

export class ConfigError extends Error {}

/** `ADDR:PORT`, `[v6]:PORT`, `:PORT` or `PORT`. */
export const LISTEN_VALUE = /^(\[[0-9a-fA-F:.]+\]|[\w.-]*)?:?\d{1,5}$/;

export const SERVER_FLAGS: FlagSpec = {
  'tls-cert': 'string',
  'tls-key': 'string',
  'tls-self-signed': 'boolean',
  'generate-token': 'boolean',
  'upload-max-mb': 'number',
  'no-upload': 'boolean',
  'slow-client-s': 'number',
  ui: 'string',
};

export const SERVER_HELP = `  --tls-cert FILE --tls-key FILE
                     serve HTTPS with this certificate and key (PEM)
  --tls-self-signed  serve HTTPS with a self-signed certificate kept in the database's
                     directory (tls/), made with openssl on first use; its SHA-256
                     fingerprint is printed
  --generate-token   generate an access token and print it once (else the token is
                     INTRANSIT_TOKEN from the environment, when set)
  --upload-max-mb N  largest capture the viewer may upload (default 256)
  --no-upload        refuse uploads
  --slow-client-s N  disconnect a WebSocket client that cannot keep up for N seconds
                     (default 30)
  --ui DIR           the built viewer to serve (default ui/dist of this installation)
  Binding to anything but loopback (127.0.0.1, ::1) requires TLS and a token.
`;

export interface TlsMaterial {
  cert: string;
  key: string;
  fingerprint: string;
  /** Where the self-signed pair was kept, or null for --tls-cert/--tls-key. */
  generatedIn: string | null;
}

export interface ServerConfig {
  host: string;
  port: number;
  loopback: boolean;
  tls: TlsMaterial | null;
  token: string | null;
  tokenGenerated: boolean;
  dbFile: string;
  uiDir: string;
  upload: { enabled: boolean; maxBytes: number; maxConcurrent: number };
  slowClientMs: number;
  /** The run this process writes (`--serve` on replay/live/mirror). */
  liveRun: number | null;
  /** The agent's CLI, run as a child for uploads. */
  cliPath: string;
}

export function parseListen(value: string | true | undefined): { host: string; port: number } {
  const v = typeof value === 'string' ? value : DEFAULT_LISTEN;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([\w.-]*)):(\d{1,5})$/.exec(v) ?? /^()()(\d{1,5})$/.exec(v);
  if (!m) throw new ConfigError(`listen address "${v}": expected ADDR:PORT, [IPv6]:PORT or PORT`);
  const port = Number(m[3]);
  if (port > 65535) throw new ConfigError(`listen address "${v}": port above 65535`);
  const host = m[1] ?? (m[2] || '127.0.0.1');
  if (m[1] !== undefined && isIP(host) !== 6) throw new ConfigError(`listen address "${v}": not an IPv6 address`);
  return { host, port };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/** OpenSSL names of the profile's suites (TLS 1.3 names are the same in both). */
export function opensslCiphers(profile = 'aws-sec09'): string {
  const known = new Set(getCiphers().map((c) => c.toUpperCase()));
  const out: string[] = [];
  for (const iana of PROFILES[profile]?.approvedCiphers ?? []) {
    if (/^TLS_(AES|CHACHA20)_/.test(iana)) {
      out.push(iana);
      continue;
    }
    const m = /^TLS_ECDHE_(RSA|ECDSA)_WITH_(AES_(128|256)_(GCM|CBC)|CHACHA20_POLY1305)_(SHA\d*)$/.exec(iana);
    if (!m) continue;
    const name = m[2].startsWith('CHACHA') ? `ECDHE-${m[1]}-CHACHA20-POLY1305` : `ECDHE-${m[1]}-AES${m[3]}${m[4] === 'GCM' ? '-GCM' : ''}-${m[5]}`;
    if (known.has(name)) out.push(name);
  }
  return out.join(':');
}

/** TLS options for node:https: 1.2+, the profile's suites, X25519 then P-256. */
export function tlsOptions(t: TlsMaterial): Record<string, unknown> {
  return { cert: t.cert, key: t.key, minVersion: 'TLSv1.2', ciphers: opensslCiphers(), ecdhCurve: 'X25519:P-256', honorCipherOrder: true };
}

function fingerprintOf(cert: string): string {
  return new X509Certificate(cert).fingerprint256;
}

/** A self-signed RSA-2048 certificate (the aws-sec09 TLS 1.2 suites are ECDHE-RSA), reused while valid. */
export function selfSignedCertificate(dir: string, host: string): TlsMaterial {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  if (existsSync(certFile) && existsSync(keyFile)) {
    const cert = readFileSync(certFile, 'utf8');
    const x = new X509Certificate(cert);
    if (Date.parse(x.validTo) - Date.now() > 7 * 86_400_000) return { cert, key: readFileSync(keyFile, 'utf8'), fingerprint: x.fingerprint256, generatedIn: dir };
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const names = new Set(['DNS:localhost', 'IP:127.0.0.1', 'IP:::1', `DNS:${hostname()}`]);
  if (isIP(host)) names.add(`IP:${host}`);
  else if (host) names.add(`DNS:${host}`);
  const r = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-sha256', '-days', '397', '-nodes', '-keyout', keyFile, '-out', certFile, '-subj', '/CN=intransit', '-addext', `subjectAltName=${[...names].join(',')}`],
    { encoding: 'utf8' },
  );
  if (r.error || r.status !== 0) throw new ConfigError(`--tls-self-signed: openssl failed (${r.error?.message ?? r.stderr.trim().split('\n').pop()}); give --tls-cert and --tls-key instead`);
  chmodSync(keyFile, 0o600);
  const cert = readFileSync(certFile, 'utf8');
  return { cert, key: readFileSync(keyFile, 'utf8'), fingerprint: fingerprintOf(cert), generatedIn: dir };
}

function readPem(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`--tls-${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export function defaultUiDir(): string {
  // agent/dist/server/config.js → <root>/ui/dist
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../../ui/dist');
}

export function resolveServerConfig(flags: Record<string, string | number | boolean>, listen: string | true | undefined, dbFile: string, env = process.env): ServerConfig {
  const { host, port } = parseListen(listen);
  const loopback = isLoopback(host);
  let tls: TlsMaterial | null = null;
  if (flags['tls-cert'] !== undefined || flags['tls-key'] !== undefined) {
    if (flags['tls-cert'] === undefined || flags['tls-key'] === undefined) throw new ConfigError('--tls-cert and --tls-key go together');
    const cert = readPem(String(flags['tls-cert']), 'cert');
    const key = readPem(String(flags['tls-key']), 'key');
    let fingerprint: string;
    try {
      fingerprint = fingerprintOf(cert);
    } catch {
      throw new ConfigError(`--tls-cert ${flags['tls-cert']}: not a PEM certificate`);
    }
    tls = { cert, key, fingerprint, generatedIn: null };
  } else if (flags['tls-self-signed']) tls = selfSignedCertificate(join(dirname(resolve(dbFile)), 'tls'), host);
  let token: string | null = null;
  let tokenGenerated = false;
  if (env.INTRANSIT_TOKEN) {
    token = env.INTRANSIT_TOKEN;
    if (token.length < 16 || /\s/.test(token)) throw new ConfigError('INTRANSIT_TOKEN must be at least 16 characters, without spaces');
  } else if (flags['generate-token']) {
    token = randomBytes(24).toString('base64url');
    tokenGenerated = true;
  }
  if (!loopback && (!tls || !token)) {
    const missing = [!tls ? 'TLS (--tls-cert/--tls-key or --tls-self-signed)' : '', !token ? 'an access token (INTRANSIT_TOKEN or --generate-token)' : ''].filter(Boolean);
    throw new ConfigError(`refusing to serve on ${host}:${port} without ${missing.join(' and ')}: only loopback may go without them`);
  }
  const mb = flags['upload-max-mb'] === undefined ? 256 : Number(flags['upload-max-mb']);
  return {
    host,
    port,
    loopback,
    tls,
    token,
    tokenGenerated,
    dbFile: resolve(dbFile),
    uiDir: flags.ui !== undefined ? resolve(String(flags.ui)) : defaultUiDir(),
    upload: { enabled: !flags['no-upload'] && mb > 0, maxBytes: Math.floor(mb * 1024 * 1024), maxConcurrent: 2 },
    slowClientMs: (flags['slow-client-s'] === undefined ? 30 : Number(flags['slow-client-s'])) * 1000,
    liveRun: null,
    cliPath: resolve(dirname(fileURLToPath(import.meta.url)), '../cli.js'),
  };
}

/** The URL to print: loopback hosts as 127.0.0.1/[::1], the wildcard as this host's name. */
export function serverUrl(c: ServerConfig, port = c.port): string {
  const host = c.host === '0.0.0.0' || c.host === '::' ? hostname() : isIP(c.host) === 6 ? `[${c.host}]` : c.host;
  return `${c.tls ? 'https' : 'http'}://${host}:${port}/`;
}
