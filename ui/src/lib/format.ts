// Formatting of figures for a dense, scannable table: fixed decimals, thin units,
// capture times in UTC with milliseconds (captures from several hosts only line up
// in one zone), severities by name.

export const SEVERITY_LABELS = ['', 'info', 'low', 'medium', 'high', 'critical'] as const;

export function severityName(n: number): string {
  return SEVERITY_LABELS[n] ?? String(n);
}

const INT = new Intl.NumberFormat('en-US');

export function int(n: number | null | undefined): string {
  return n === null || n === undefined ? '–' : INT.format(n);
}

/** A 0..1 share as a percentage; one decimal below 99.95 so 99.96 % does not read as 100 %. */
export function pct(share: number | null | undefined): string {
  if (share === null || share === undefined || !Number.isFinite(share)) return '–';
  const v = share * 100;
  if (v >= 100) return '100%';
  if (v > 99.9) return `${(Math.floor(v * 100) / 100).toFixed(2)}%`;
  return `${(Math.floor(v * 10) / 10).toFixed(1)}%`;
}

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

export function bytes(n: number): string {
  let v = n;
  let u = 0;
  while (v >= 1000 && u < UNITS.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${UNITS[u]}`;
}

/** `2026-11-30T11:23:46.407113Z` → `11:23:46.407`. */
export function clock(iso: string | null | undefined): string {
  if (!iso) return '–';
  const m = /T(\d\d:\d\d:\d\d)(\.\d{1,3})?/.exec(iso);
  return m ? `${m[1]}${(m[2] ?? '.000').padEnd(4, '0')}` : iso;
}

/** `2026-11-30 11:23:46 UTC`. */
export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '–';
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d(?:\.\d+)?)/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}

export function day(iso: string | null | undefined): string {
  if (!iso) return '–';
  return iso.slice(0, 10);
}

export function duration(startIso: string, endIso: string): string {
  const ms = Date.parse(endIso) - Date.parse(startIso);
  if (!Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${ms.toFixed(0)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** `ip:port`, IPv6 in brackets. */
export function hostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** `tls 1.2` → `TLS 1.2`, `dtls 1.2` → `DTLS 1.2`, `none` → `–`. */
export function versionLabel(key: string | null | undefined): string {
  if (!key || key === 'none') return 'none';
  const [p, v] = key.split(' ');
  return v === undefined ? key : `${p.toUpperCase()} ${v}`;
}

export function sessionVersion(protocol: string | null, version: string | null): string {
  return version === null ? '–' : versionLabel(`${protocol ?? 'tls'} ${version}`);
}

/** CSS class of a version's colour: `v13`, `v12`, `v11`, `v10`, `ssl`, `none`. */
export function versionClass(key: string | null | undefined): string {
  if (!key || key === 'none') return 'v-none';
  const [p, v] = key.toLowerCase().split(' ');
  if (p === 'ssl') return 'v-ssl';
  if (p === 'dtls') return v === '1.3' ? 'v-13' : v === '1.2' ? 'v-12' : 'v-10';
  if (v === '1.3') return 'v-13';
  if (v === '1.2') return 'v-12';
  if (v === '1.1') return 'v-11';
  if (v === '1.0') return 'v-10';
  return 'v-other';
}

/** Keys of a count map, largest first, the rest folded into `other` past `max`. */
export function topCounts(counts: Record<string, number>, max: number): Array<[string, number]> {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (entries.length <= max) return entries;
  const head = entries.slice(0, max - 1);
  const rest = entries.slice(max - 1).reduce((s, e) => s + e[1], 0);
  return [...head, ['other', rest]];
}
