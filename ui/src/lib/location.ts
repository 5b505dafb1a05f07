// What is on screen lives in the address: the view in the path, the filters, the
// open session and the endpoint drift toggle in search parameters. Every change
// pushes a history entry (or replaces one while typing), so back and forward,
// reload and a pasted link all restore the same screen.

import { useCallback, useEffect, useRef, useState } from 'react';
import { FILTER_KEYS, parseQuery, type LiveFilters } from '@intransit/shared';

export type View = 'overview' | 'sessions' | 'findings' | 'endpoints';
export const VIEWS: View[] = ['overview', 'sessions', 'findings', 'endpoints'];

export type FilterKey = (typeof FILTER_KEYS)[number];
/** Filter values as written in the address (`severity=high`, `version=1.2`). */
export type FilterValues = Partial<Record<FilterKey, string>>;

export interface Place {
  view: View;
  filters: FilterValues;
  /** Session whose detail is open. */
  session: number | null;
  drift: boolean;
}

function viewOf(pathname: string): View {
  const seg = pathname.replace(/^\/+|\/+$/g, '').split('/')[0];
  return (VIEWS as string[]).includes(seg) ? (seg as View) : 'overview';
}

export function readPlace(loc: Location = window.location): Place {
  const params = new URLSearchParams(loc.search);
  const filters: FilterValues = {};
  for (const k of FILTER_KEYS) {
    const v = params.get(k);
    if (v !== null && v.trim() !== '') filters[k] = v.trim();
  }
  const s = Number(params.get('session'));
  return { view: viewOf(loc.pathname), filters, session: Number.isSafeInteger(s) && s > 0 ? s : null, drift: params.get('drift') === 'true' };
}

export function placeUrl(p: Place): string {
  const params = new URLSearchParams();
  for (const k of FILTER_KEYS) {
    const v = p.filters[k];
    if (v !== undefined && v !== '') params.set(k, v);
  }
  if (p.session !== null) params.set('session', String(p.session));
  if (p.drift) params.set('drift', 'true');
  const q = params.toString();
  return `/${p.view === 'overview' ? '' : p.view}${q ? `?${q}` : ''}`;
}

/** Problems with the address's filter values (shown, and the values left out of requests). */
export function filterErrors(f: FilterValues): string[] {
  return parseQuery(new URLSearchParams(f as Record<string, string>)).errors;
}

/** The filters that are valid, as API query parameters. */
export function apiFilters(f: FilterValues): Record<string, string> {
  const bad = new Set(filterErrors(f).map((e) => e.split(':')[0]));
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(f)) if (v !== undefined && v !== '' && !bad.has(k)) out[k] = v;
  return out;
}

/** The live subscription's filters: the valid ones, typed, without the time bounds. */
export function liveFilters(f: FilterValues): LiveFilters {
  const { query } = parseQuery(new URLSearchParams(apiFilters(f)));
  const out: LiveFilters = {};
  if (query.run !== undefined) out.run = query.run;
  if (query.rule !== undefined) out.rule = query.rule;
  if (query.severity !== undefined) out.severity = query.severity;
  if (query.version !== undefined) out.version = query.version;
  if (query.server !== undefined) out.server = query.server;
  if (query.sni !== undefined) out.sni = query.sni;
  if (query.vni !== undefined) out.vni = query.vni;
  if (query.protocol !== undefined) out.protocol = query.protocol;
  if (query.encrypted !== undefined) out.encrypted = query.encrypted;
  return out;
}

export type Navigate = (change: Partial<Place> | ((p: Place) => Partial<Place>), mode?: 'push' | 'replace') => void;

export function usePlace(): [Place, Navigate] {
  const [place, setPlace] = useState<Place>(() => readPlace());
  const current = useRef(place);
  useEffect(() => {
    const onPop = (): void => {
      current.current = readPlace();
      setPlace(current.current);
    };
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const navigate = useCallback<Navigate>((change, mode = 'push') => {
    const cur = current.current;
    const next = { ...cur, ...(typeof change === 'function' ? change(cur) : change) };
    const url = placeUrl(next);
    if (url === placeUrl(cur)) return;
    if (mode === 'push') window.history.pushState(null, '', url);
    else window.history.replaceState(null, '', url);
    current.current = next;
    setPlace(next);
  }, []);
  return [place, navigate];
}
