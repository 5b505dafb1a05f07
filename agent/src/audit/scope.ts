// Which sessions a waiver or an mTLS-required service covers: server address in a
// CIDR (IPv4 or IPv6), client address in a CIDR, server port, SNI glob, rule id.
// Every field that is given must match (AND); a field given as a list matches when
// any of its entries does (OR).

import type { SessionDoc } from '@intransit/shared';

export interface Cidr {
  text: string;
  v6: boolean;
  bytes: Uint8Array; // 4 or 16, host bits cleared
  prefix: number;
}

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

function v4Bytes(text: string): number[] | null {
  const m = V4.exec(text);
  if (!m) return null;
  const b = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  return b.every((x) => x <= 255) ? b : null;
}

/**
 * Network address bytes of an IPv4 / IPv6 literal (RFC 4291 text forms, a dotted IPv4
 * tail, a zone index ignored); null when it is not one. Hand-written: node:net's isIP
 * costs tens of microseconds a call, and waivers are matched on every finding.
 */
export function ipBytes(ip: string): Uint8Array | null {
  if (!ip.includes(':')) {
    const b = v4Bytes(ip);
    return b ? Uint8Array.from(b) : null;
  }
  let text = ip;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  let tail: number[] | null = null;
  const lastColon = text.lastIndexOf(':');
  if (text.indexOf('.', lastColon) > 0) {
    tail = v4Bytes(text.slice(lastColon + 1));
    if (!tail) return null;
    text = text.slice(0, lastColon + 1) + '0:0';
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length > 1 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...new Array(halves.length === 1 ? 0 : missing).fill('0'), ...rest];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    if (!HEX_GROUP.test(groups[i])) return null;
    const g = parseInt(groups[i], 16);
    out[i * 2] = g >>> 8;
    out[i * 2 + 1] = g & 255;
  }
  if (tail) out.set(tail, 12);
  return out;
}

/** Parses `10.0.0.0/8`, `fd00::/8`, or a bare address (a /32 or /128). */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const bytes = ipBytes(addr);
  if (!bytes) return null;
  const max = bytes.length * 8;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return null;
    prefix = Number(p);
    if (prefix > max) return null;
  }
  for (let bit = prefix; bit < max; bit++) bytes[bit >> 3] &= ~(0x80 >> (bit & 7));
  return { text, v6: bytes.length === 16, bytes, prefix };
}

function prefixEqual(a: Uint8Array, aOff: number, b: Uint8Array, prefix: number): boolean {
  const whole = prefix >> 3;
  for (let i = 0; i < whole; i++) if (a[aOff + i] !== b[i]) return false;
  const rem = prefix & 7;
  if (rem === 0) return true;
  const mask = (0xff00 >> rem) & 0xff;
  return (a[aOff + whole] & mask) === b[whole];
}

const V4_MAPPED = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/** True when `ip` lies in `c`. An IPv4 CIDR also covers the IPv4-mapped IPv6 form (::ffff:a.b.c.d). */
export function ipInCidr(ip: string, c: Cidr): boolean {
  const a = ipBytes(ip);
  if (!a) return false;
  if (a.length === c.bytes.length) return prefixEqual(a, 0, c.bytes, c.prefix);
  if (!c.v6 && a.length === 16 && V4_MAPPED.every((v, i) => a[i] === v)) return prefixEqual(a, 12, c.bytes, c.prefix);
  return false;
}

/** Shell-style glob over host names, case-insensitive: `*` any run of characters (dots included), `?` one. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (const ch of glob.toLowerCase()) {
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else re += ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export interface Scope {
  cidr?: Cidr[]; // server (destination) address
  clientCidr?: Cidr[]; // client (source) address
  port?: number[]; // server port
  sni?: { glob: string; re: RegExp }[];
  rule?: string[];
}

/** The policy's mTLS-required service: a scope without rule ids, and a label for messages. */
export interface ServiceMatcher {
  name: string;
  scope: Scope;
}

/** Whether a session (and, for waivers, a rule id) falls inside a scope. */
export function scopeMatches(scope: Scope, s: SessionDoc, ruleId?: string): boolean {
  if (scope.rule && (ruleId === undefined || !scope.rule.includes(ruleId))) return false;
  if (scope.port && !scope.port.includes(s.destination.port)) return false;
  if (scope.cidr && !scope.cidr.some((c) => ipInCidr(s.destination.ip, c))) return false;
  if (scope.clientCidr && !scope.clientCidr.some((c) => ipInCidr(s.source.ip, c))) return false;
  if (scope.sni) {
    const name = s.tls?.client?.server_name;
    if (!name) return false;
    const n = name.toLowerCase().replace(/\.$/, '');
    if (!scope.sni.some((g) => g.re.test(n))) return false;
  }
  return true;
}

/** One-line description of a scope for messages and warnings. */
export function describeScope(scope: Scope): string {
  const parts: string[] = [];
  if (scope.cidr) parts.push(`server ${scope.cidr.map((c) => c.text).join('|')}`);
  if (scope.clientCidr) parts.push(`client ${scope.clientCidr.map((c) => c.text).join('|')}`);
  if (scope.port) parts.push(`port ${scope.port.join('|')}`);
  if (scope.sni) parts.push(`sni ${scope.sni.map((g) => g.glob).join('|')}`);
  if (scope.rule) parts.push(`rule ${scope.rule.join('|')}`);
  return parts.length ? parts.join(', ') : 'every session';
}
