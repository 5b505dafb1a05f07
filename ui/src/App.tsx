// The viewer's shell: the address is the state (view, filters, open session), the
// agent's JSON API fills the views, and the WebSocket keeps them current.

import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ROUTES, type FindingRow, type InfoResponse, type Kpi, type KpiResponse, type RunRow, type RunsResponse, type SessionRow, type StatsResponse } from '@intransit/shared';
import { getJson } from './api/client.js';
import { LiveFeed, type FeedStatus } from './api/live.js';
import { FilterBar } from './components/FilterBar.js';
import { KpiTiles } from './components/KpiTiles.js';
import { LiveList } from './components/LiveList.js';
import { RunPicker, runLabel } from './components/RunPicker.js';
import { Upload } from './components/Upload.js';
import { Dot } from './components/bits.js';
import { int } from './lib/format.js';
import { apiFilters, filterErrors, liveFilters, usePlace, VIEWS, type FilterKey, type FilterValues, type View } from './lib/location.js';
import { RowSource } from './lib/rows.js';
import { Endpoints } from './views/Endpoints.js';
import { Overview } from './views/Overview.js';
import { SessionDetail } from './views/SessionDetail.js';
import { FINDING_COLUMNS, SESSION_COLUMNS, pick } from './views/tables.js';

const TITLES: Record<View, string> = { overview: 'Overview', sessions: 'Sessions', findings: 'Findings', endpoints: 'Endpoints' };

export function App() {
  const [place, navigate] = usePlace();
  const { filters } = place;
  const [info, setInfo] = useState<InfoResponse | null>(null);
  const [runs, setRuns] = useState<RunRow[]>([]);
  const [kpi, setKpi] = useState<{ run: number | null; kpi: Kpi | null; source: string | null }>({ run: null, kpi: null, source: null });
  const [stats, setStats] = useState<StatsResponse | null>(null);
  const [statsError, setStatsError] = useState<string | null>(null);
  const [feed, setFeed] = useState<{ status: FeedStatus; reason: string | null }>({ status: 'connecting', reason: null });
  const [received, setReceived] = useState(0);
  const [tick, setTick] = useState(0); // bumped when live data may have changed aggregates
  const [fatal, setFatal] = useState<string | null>(null);

  const sessions = useMemo(() => new RowSource<SessionRow>(ROUTES.sessions), []);
  const findings = useMemo(() => new RowSource<FindingRow>(ROUTES.findings), []);
  const sessionsAtTop = useRef(true);
  const findingsAtTop = useRef(true);
  const kpiRun = useRef<number | null>(null);
  const wantRun = filters.run;
  const query = useMemo(() => apiFilters(filters), [filters]);
  const queryKey = JSON.stringify(query);
  const errors = useMemo(() => filterErrors(filters), [filters]);

  const setFilters = useCallback((f: FilterValues) => navigate({ filters: f }), [navigate]);

  // the lists follow the filters
  useEffect(() => {
    sessions.setQuery(query);
    findings.setQuery(query);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [queryKey, sessions, findings]);

  const refreshRuns = useCallback(() => {
    getJson<RunsResponse>(ROUTES.runs).then(
      (r) => setRuns(r.items),
      (e: unknown) => setFatal((e as Error).message),
    );
  }, []);

  const refreshKpi = useCallback(() => {
    getJson<KpiResponse>(ROUTES.kpi, { run: wantRun }).then(
      (k) => {
        kpiRun.current = k.run;
        setKpi({ run: k.run, kpi: k.kpi, source: k.source });
      },
      () => undefined,
    );
  }, [wantRun]);

  useEffect(() => {
    getJson<InfoResponse>(ROUTES.info).then(setInfo, (e: unknown) => setFatal((e as Error).message));
    refreshRuns();
  }, [refreshRuns]);

  useEffect(() => refreshKpi(), [refreshKpi]);

  // chart data: on the overview, on filter change and at most every 2 s while sessions
  // stream in (aggregating a large run is the agent's most expensive query); elsewhere
  // once, for the filter choices
  const statsTimer = useRef<number | null>(null);
  const statsCost = useRef(0);
  const onOverview = place.view === 'overview';
  const [wantChoices, setWantChoices] = useState(false);
  const haveStats = stats !== null;
  useEffect(() => {
    if (!onOverview && (haveStats || !wantChoices)) return;
    const ac = new AbortController();
    const t0 = performance.now();
    getJson<StatsResponse>(ROUTES.stats, query, ac.signal).then(
      (s) => {
        statsCost.current = performance.now() - t0;
        setStats(s);
        setStatsError(null);
      },
      (e: unknown) => {
        if (!ac.signal.aborted) setStatsError((e as Error).message);
      },
    );
    return () => ac.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [queryKey, tick, onOverview, wantChoices]);

  // aggregates are refreshed for live data only where they are shown
  const viewRef = useRef(place.view);
  viewRef.current = place.view;
  const bump = useCallback(() => {
    if (viewRef.current !== 'overview' && viewRef.current !== 'endpoints') return;
    if (statsTimer.current !== null) return;
    // the agent answers one request at a time: a slow aggregate is asked for less often
    statsTimer.current = window.setTimeout(
      () => {
        statsTimer.current = null;
        setTick((t) => t + 1);
      },
      Math.max(2000, 5 * statsCost.current),
    );
  }, []);

  // the live feed
  const feedRef = useRef<LiveFeed | null>(null);
  useEffect(() => {
    const lf = new LiveFeed({
      status: (status, reason) => setFeed({ status, reason }),
      hello: (m) => {
        setInfo(m.server);
        refreshRuns();
      },
      sessions: (rows) => {
        sessions.pushLive(rows, sessionsAtTop.current);
        setReceived((n) => n + rows.length);
        bump();
      },
      findings: (rows) => {
        findings.pushLive(rows, findingsAtTop.current);
        bump();
      },
      kpi: (run, k) => {
        if (run === kpiRun.current) setKpi((cur) => ({ ...cur, kpi: k, source: 'computed' }));
      },
      run: (r) => {
        setRuns((cur) => {
          const i = cur.findIndex((x) => x.id === r.id);
          if (i < 0) return [r, ...cur];
          const next = cur.slice();
          next[i] = r;
          return next;
        });
        // a run starting or ending changes which run is newest, and its final KPIs
        refreshKpiRef.current();
        bump();
      },
      coalesced: () => {
        sessions.reload();
        findings.reload();
        bump();
      },
    });
    feedRef.current = lf;
    lf.start();
    return () => lf.stop();
  }, [sessions, findings, bump, refreshRuns]);
  const refreshKpiRef = useRef(refreshKpi);
  refreshKpiRef.current = refreshKpi;

  useEffect(() => {
    feedRef.current?.subscribe(liveFilters(filters));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [queryKey]);

  const openSession = useCallback((id: number) => navigate({ session: id }), [navigate]);
  const closeSession = useCallback(() => navigate({ session: null }), [navigate]);
  const filterFromDetail = useCallback((k: 'rule' | 'server' | 'sni', v: string) => navigate((p) => ({ filters: { ...p.filters, [k]: v }, session: null, view: p.view === 'overview' || p.view === 'endpoints' ? 'sessions' : p.view })), [navigate]);

  const selectedRun = runs.find((r) => r.id === kpi.run);
  const liveRun = info?.live_run !== null && info?.live_run !== undefined ? runs.find((r) => r.id === info.live_run) : undefined;
  const title = TITLES[place.view];
  useEffect(() => {
    document.title = `${title} · intransit`;
  }, [title]);

  const filterKeys: FilterKey[] | undefined =
    place.view === 'findings' ? ['rule', 'severity', 'version', 'protocol', 'server', 'sni', 'vni', 'from', 'to'] : place.view === 'endpoints' ? ['server', 'sni'] : undefined;

  return (
    <div className={`app${place.session !== null ? ' has-drawer' : ''}`}>
      <header className="topbar">
        <a
          className="brand"
          href="/"
          onClick={(e) => {
            e.preventDefault();
            navigate({ view: 'overview', session: null });
          }}
        >
          <svg width="18" height="18" viewBox="0 0 16 16" aria-hidden="true">
            <rect width="16" height="16" rx="3" className="brand-mark" />
            <path d="M4 8h8M9 5l3 3-3 3" className="brand-arrow" />
          </svg>
          intransit
        </a>
        <nav className="tabs" aria-label="Views">
          {VIEWS.map((v) => (
            <a
              key={v}
              href={v === 'overview' ? '/' : `/${v}`}
              className={place.view === v ? 'is-active' : undefined}
              aria-current={place.view === v ? 'page' : undefined}
              onClick={(e) => {
                e.preventDefault();
                navigate({ view: v });
              }}
            >
              {TITLES[v]}
            </a>
          ))}
        </nav>
        <RunPicker runs={runs} value={filters.run} onChange={(v) => setFilters({ ...filters, run: v })} />
        <div className="feed-status" title={feed.reason ?? undefined} data-testid="feed-status" data-status={feed.status}>
          <Dot status={feed.status} />
          {feed.status === 'open' ? (liveRun && liveRun.status === 'running' ? `live · run #${liveRun.id}` : 'live') : feed.status === 'connecting' ? 'connecting' : `offline${feed.reason ? `: ${feed.reason}` : ''}`}
          {received ? <span className="dim num"> · {int(received)} received</span> : null}
        </div>
        <Upload
          enabled={info?.upload.enabled ?? false}
          maxBytes={info?.upload.max_bytes ?? 0}
          runs={runs}
          onStarted={(res) => {
            refreshRuns();
            navigate((p) => ({ filters: { ...p.filters, run: String(res.run) }, view: p.view === 'endpoints' ? 'sessions' : p.view, session: null }));
          }}
        />
      </header>

      {fatal ? (
        <div className="banner banner-bad" role="alert">
          {fatal}
        </div>
      ) : null}

      <main className="main">
        {place.view !== 'endpoints' ? (
          <KpiTiles kpi={kpi.kpi} source={kpi.source} runLabel={selectedRun ? `${runLabel(selectedRun)}${filters.run ? '' : ' (newest)'}` : kpi.run !== null ? `run #${kpi.run}` : 'no runs yet'} />
        ) : null}
        <FilterBar filters={filters} onChange={setFilters} rules={Object.keys(stats?.findings_by_rule ?? {}).sort()} protocols={Object.keys(stats?.protocols ?? {}).sort()} errors={errors} keys={filterKeys} onNeedChoices={() => setWantChoices(true)} />

        {place.view === 'overview' ? (
          <Overview
            stats={stats}
            statsError={statsError}
            filters={filters}
            setFilter={setFilters}
            sessions={sessions}
            findings={findings}
            sessionsAtTop={sessionsAtTop}
            findingsAtTop={findingsAtTop}
            openSession={openSession}
            selected={place.session}
          />
        ) : null}
        {place.view === 'sessions' ? (
          <LiveList
            className="fill"
            source={sessions}
            columns={pick(SESSION_COLUMNS, ['time', 'client', 'server', 'sni', 'protocol', 'version', 'cipher', 'group', 'vni', 'bytes', 'findings'])}
            label="Sessions"
            noun="session"
            selected={place.session}
            onOpen={(r) => openSession(r.id)}
            atTop={sessionsAtTop}
            rowClass={(r) => (r.encrypted === false ? 'is-clear' : r.max_severity >= 4 ? 'is-high' : '')}
          />
        ) : null}
        {place.view === 'findings' ? (
          <LiveList
            className="fill"
            source={findings}
            columns={pick(FINDING_COLUMNS, ['time', 'severity', 'rule', 'server', 'sni', 'version', 'message'])}
            label="Findings"
            noun="finding"
            selected={null}
            onOpen={(r) => r.session !== null && openSession(r.session)}
            atTop={findingsAtTop}
            rowClass={(r) => (r.waived ? 'is-waived' : '')}
          />
        ) : null}
        {place.view === 'endpoints' ? (
          <Endpoints
            run={filters.run}
            server={filters.server}
            sni={filters.sni}
            drift={place.drift}
            refreshKey={tick}
            onDrift={(on) => navigate({ drift: on })}
            onOpen={(e) => navigate({ view: 'sessions', filters: { ...filters, server: `${e.ip.includes(':') ? `[${e.ip}]` : e.ip}:${e.port}`, sni: e.sni ?? undefined } })}
          />
        ) : null}
      </main>

      {place.session !== null ? <SessionDetail id={place.session} onClose={closeSession} onFilter={filterFromDetail} /> : null}
    </div>
  );
}
