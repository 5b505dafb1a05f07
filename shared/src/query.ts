// Query strings of the API: building them (the viewer keeps its filters in the URL)
// and reading them back with every value checked (the server answers 400 with the
// reasons). Types are in api.ts.

import type { EndpointQuery, FindingQuery } from './api.js';

export const FILTER_KEYS = ['run', 'rule', 'severity', 'version', 'server', 'sni', 'vni', 'protocol', 'encrypted', 'from', 'to'] as const;
const NUMERIC = new Set(['run', 'vni', 'limit', 'offset']);
const SEVERITY_BY_NAME: Record<string, number> = { info: 1, low: 2, medium: 3, high: 4, critical: 5 };

/** Query string of filters and paging (undefined / empty values left out), for URLs. */
export function toQuery(q: Partial<Record<string, string | number | undefined>>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

/**
 * Reads filters and paging from URL parameters, checking each value; the server
 * answers 400 with `errors`, the viewer can use it to restore filters from its URL.
 */
export function parseQuery(params: URLSearchParams): { query: FindingQuery & EndpointQuery; errors: string[] } {
  const query: Record<string, unknown> = {};
  const errors: string[] = [];
  for (const [key, raw] of params) {
    const value = raw.trim();
    if (value === '') continue;
    if (value.length > 256) {
      errors.push(`${key}: value too long`);
      continue;
    }
    if (NUMERIC.has(key)) {
      const n = Number(value);
      if (!Number.isSafeInteger(n) || n < 0) errors.push(`${key}: not a non-negative integer`);
      else query[key] = n;
    } else if (key === 'severity') {
      const n = SEVERITY_BY_NAME[value.toLowerCase()] ?? Number(value);
      if (!Number.isInteger(n) || n < 1 || n > 5) errors.push('severity: 1..5 or info|low|medium|high|critical');
      else query.severity = n;
    } else if (key === 'encrypted' || key === 'waived') {
      if (!['true', 'false', 'unknown'].includes(value) || (key === 'waived' && value === 'unknown')) errors.push(`${key}: true or false${key === 'encrypted' ? ' or unknown' : ''}`);
      else query[key] = value;
    } else if (key === 'order') {
      if (value !== 'asc' && value !== 'desc') errors.push('order: asc or desc');
      else query.order = value;
    } else if (key === 'from' || key === 'to') {
      if (timeBound(value) === null) errors.push(`${key}: ISO-8601 time or epoch milliseconds`);
      else query[key] = value;
    } else if (key === 'drift') {
      if (value !== 'true') errors.push('drift: true');
      else query.drift = 'true';
    } else if (['rule', 'version', 'server', 'sni', 'protocol', 'cursor'].includes(key)) query[key] = value;
    else if (key !== 'token' && key !== '_') errors.push(`${key}: unknown parameter`);
  }
  return { query: query as FindingQuery & EndpointQuery, errors };
}

/** A `from`/`to` value as epoch milliseconds, or null when it is neither form. */
export function timeBound(value: string): number | null {
  if (/^\d{1,15}$/.test(value)) return Number(value);
  if (!/^\d{4}-\d\d-\d\d/.test(value)) return null;
  const t = Date.parse(value);
  return Number.isFinite(t) ? t : null;
}

