// The viewer's filters, twice: as SQL conditions for the API's queries (every value
// a bound parameter, never spliced into the text) and as predicates for the live
// feed, with the same meaning.

import { timeBound, type Filters, type FindingRow, type LiveFilters, type SessionRow } from '@intransit/shared';

export class FilterError extends Error {}

export interface Conditions {
  clauses: string[];
  params: unknown[];
}

/** `ip`, `ip:port`, `[v6]:port` or a bare IPv6 address. */
export function parseServer(server: string): { ip: string; port: number | null } {
  let m = /^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?$/.exec(server);
  if (m) return { ip: m[1].toLowerCase(), port: m[2] ? checkPort(m[2]) : null };
  m = /^([0-9.]+|[\w.-]+):(\d{1,5})$/.exec(server);
  if (m) return { ip: m[1], port: checkPort(m[2]) };
  if (/^[0-9a-fA-F:.]+$/.test(server) || /^[\w.-]+$/.test(server)) return { ip: server.toLowerCase(), port: null };
  throw new FilterError('server: ip, ip:port or [ipv6]:port');
}

function checkPort(p: string): number {
  const n = Number(p);
  if (n > 65535) throw new FilterError('server: port above 65535');
  return n;
}

/** `1.2` (any protocol), `dtls 1.2` / `ssl 3.0` (exact), or `none`. */
export function parseVersion(version: string): { protocol: string | null; version: string | null } {
  const v = version.trim().toLowerCase();
  if (v === 'none') return { protocol: null, version: null };
  const m = /^(?:(tls|ssl|dtls)\s*)?(\d\.\d)$/.exec(v);
  if (!m) throw new FilterError('version: 1.3, 1.2, ..., "dtls 1.2" or "none"');
  return { protocol: m[1] ?? null, version: m[2] };
}

/** SNI pattern: `*` is any run of characters, everything else literal. */
function sniLike(sni: string): string {
  return sni.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*/g, '%');
}

function micros(bound: string, name: string): number {
  const t = timeBound(bound);
  if (t === null) throw new FilterError(`${name}: ISO-8601 time or epoch milliseconds`);
  return t * 1000;
}

/**
 * Conditions on the sessions table (alias `s`). For findings (alias `f`, joined to
 * their session as `s`), rule, severity, time and run apply to the finding itself.
 */
export function conditions(f: Filters & { waived?: string }, target: 'sessions' | 'findings'): Conditions {
  const c: string[] = [];
  const p: unknown[] = [];
  const own = target === 'findings' ? 'f' : 's';
  if (f.run !== undefined) {
    c.push(`${own}.run_id = ?`);
    p.push(f.run);
  }
  if (f.rule !== undefined) {
    if (target === 'findings') c.push('f.rule_id = ?');
    else c.push('EXISTS (SELECT 1 FROM findings fr WHERE fr.session_id = s.id AND fr.rule_id = ?)');
    p.push(f.rule);
  }
  if (f.severity !== undefined) {
    c.push(target === 'findings' ? 'f.severity >= ?' : 's.max_severity >= ?');
    p.push(f.severity);
  }
  if (f.version !== undefined) {
    const v = parseVersion(f.version);
    if (v.version === null) c.push('s.tls_version IS NULL');
    else {
      c.push('s.tls_version = ?');
      p.push(v.version);
      if (v.protocol) {
        c.push('s.tls_protocol = ?');
        p.push(v.protocol);
      }
    }
  }
  if (f.server !== undefined) {
    const s = parseServer(f.server);
    c.push('s.dst_ip = ?');
    p.push(s.ip);
    if (s.port !== null) {
      c.push('s.dst_port = ?');
      p.push(s.port);
    }
  }
  if (f.sni !== undefined) {
    if (f.sni.includes('*')) {
      c.push("s.sni LIKE ? ESCAPE '\\'");
      p.push(sniLike(f.sni));
    } else {
      c.push('s.sni = ? COLLATE NOCASE');
      p.push(f.sni);
    }
  }
  if (f.vni !== undefined) {
    c.push('s.vni = ?');
    p.push(f.vni);
  }
  if (f.protocol !== undefined) {
    c.push('s.protocol = ?');
    p.push(f.protocol.toLowerCase());
  }
  if (f.encrypted !== undefined) c.push(f.encrypted === 'true' ? 's.encrypted = 1' : f.encrypted === 'false' ? 's.encrypted = 0' : 's.encrypted IS NULL');
  if (f.from !== undefined) {
    c.push(`${own}.ts >= ?`);
    p.push(micros(f.from, 'from'));
  }
  if (f.to !== undefined) {
    c.push(`${own}.ts < ?`);
    p.push(micros(f.to, 'to'));
  }
  if (target === 'findings' && f.waived !== undefined) c.push(f.waived === 'true' ? 'f.waived = 1' : 'f.waived = 0');
  return { clauses: c, params: p };
}

export function whereSql(c: Conditions, extra: string[] = []): string {
  const all = [...c.clauses, ...extra];
  return all.length ? `WHERE ${all.join(' AND ')}` : '';
}

/** Checks live filters once, at subscribe time (throws FilterError). */
export function checkLiveFilters(f: LiveFilters): void {
  conditions(f, 'sessions');
}

function sniMatches(pattern: string, sni: string | null): boolean {
  if (sni === null) return false;
  if (!pattern.includes('*')) return pattern.toLowerCase() === sni.toLowerCase();
  const re = new RegExp(`^${pattern.split('*').map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
  return re.test(sni);
}

interface LiveFields {
  run: number;
  dst_ip: string;
  dst_port: number;
  sni: string | null;
  tls_version: string | null;
  protocol: string;
}

function commonMatch(f: LiveFilters, r: LiveFields, tlsProtocol: string | null | undefined): boolean {
  if (f.run !== undefined && r.run !== f.run) return false;
  if (f.version !== undefined) {
    const v = parseVersion(f.version);
    if (v.version === null ? r.tls_version !== null : r.tls_version !== v.version) return false;
    if (v.protocol && tlsProtocol !== undefined && tlsProtocol !== v.protocol) return false;
  }
  if (f.server !== undefined) {
    const s = parseServer(f.server);
    if (r.dst_ip !== s.ip || (s.port !== null && r.dst_port !== s.port)) return false;
  }
  if (f.sni !== undefined && !sniMatches(f.sni, r.sni)) return false;
  if (f.protocol !== undefined && r.protocol !== f.protocol.toLowerCase()) return false;
  return true;
}

export function sessionMatches(f: LiveFilters, s: SessionRow): boolean {
  if (!commonMatch(f, s, s.tls_protocol)) return false;
  if (f.rule !== undefined && !s.findings.includes(f.rule)) return false;
  if (f.severity !== undefined && s.max_severity < f.severity) return false;
  if (f.vni !== undefined && s.vni !== f.vni) return false;
  if (f.encrypted !== undefined && (f.encrypted === 'unknown' ? s.encrypted !== null : s.encrypted !== (f.encrypted === 'true'))) return false;
  return true;
}

/** Findings carry no VNI or encryption column of their own: those come from their session. */
export function findingMatches(f: LiveFilters, r: FindingRow, session: SessionRow | undefined): boolean {
  if (!commonMatch(f, r, session?.tls_protocol)) return false;
  if (f.rule !== undefined && r.rule !== f.rule) return false;
  if (f.severity !== undefined && r.severity < f.severity) return false;
  if (f.vni !== undefined && session?.vni !== f.vni) return false;
  if (f.encrypted !== undefined && session && (f.encrypted === 'unknown' ? session.encrypted !== null : session.encrypted !== (f.encrypted === 'true'))) return false;
  return true;
}
