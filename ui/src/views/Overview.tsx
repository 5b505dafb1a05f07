// The SEC09 picture of the selected run(s): key figures against targets, how the
// traffic splits by version, cipher and group over time, which rules fire, and the
// latest sessions and findings as they stream in.

import type { ReactNode } from 'react';
import type { FindingRow, SessionRow, StatsResponse } from '@intransit/shared';
import { BarList } from '../charts/BarList.js';
import { MixBar } from '../charts/MixBar.js';
import { Timeline } from '../charts/Timeline.js';
import { versionOrder } from '../charts/versions.js';
import { LiveList } from '../components/LiveList.js';
import { severityName, versionClass, versionLabel, int } from '../lib/format.js';
import type { FilterValues } from '../lib/location.js';
import type { RowSource } from '../lib/rows.js';
import { FINDING_COLUMNS, SESSION_COLUMNS, pick } from './tables.js';

interface Props {
  stats: StatsResponse | null;
  statsError: string | null;
  filters: FilterValues;
  setFilter: (f: FilterValues) => void;
  sessions: RowSource<SessionRow>;
  findings: RowSource<FindingRow>;
  sessionsAtTop: { current: boolean };
  findingsAtTop: { current: boolean };
  openSession: (id: number) => void;
  selected: number | null;
}

function Card({ title, aside, children, className }: { title: string; aside?: ReactNode; children: ReactNode; className?: string }) {
  return (
    <section className={`card ${className ?? ''}`}>
      <header className="card-head">
        <h2>{title}</h2>
        {aside ? <span className="card-aside">{aside}</span> : null}
      </header>
      {children}
    </section>
  );
}

const PALETTE = 6;

export function Overview({ stats, statsError, filters, setFilter, sessions, findings, sessionsAtTop, findingsAtTop, openSession, selected }: Props) {
  const pickFilter = (k: keyof FilterValues) => (v: string) => setFilter({ ...filters, [k]: v });
  const versionFilter = (k: string): string => (k === 'none' ? 'none' : k.startsWith('tls ') ? k.slice(4) : k);
  const sev: Record<string, number> = {};
  for (const [k, n] of Object.entries(stats?.findings_by_severity ?? {})) sev[severityName(Number(k))] = n;
  return (
    <div className="overview">
      {statsError ? (
        <p className="error" role="alert">
          {statsError}
        </p>
      ) : null}
      <div className="grid">
        <Card title="Sessions by version over capture time" className="span-2" aside={stats ? `${int(stats.sessions)} sessions · click a column to narrow the time` : undefined}>
          {stats ? <Timeline timeline={stats.timeline} onPick={(from, to) => setFilter({ ...filters, from, to })} /> : <div className="chart-empty">…</div>}
        </Card>
        <Card title="Version mix" aside="negotiated">
          {stats ? (
            <MixBar counts={stats.versions} label="Negotiated versions" segmentClass={(k) => versionClass(k)} display={versionLabel} order={versionOrder} onPick={(k) => pickFilter('version')(versionFilter(k))} />
          ) : null}
        </Card>
        <Card title="Findings by rule" aside={filters.rule ? 'filtered' : 'click to filter'}>
          {stats ? <BarList counts={stats.findings_by_rule} label="Findings by rule" max={9} onPick={pickFilter('rule')} picked={filters.rule} barClass={() => 'bar-finding'} /> : null}
          <h4 className="sub">By severity (unwaived)</h4>
          {stats ? (
            <MixBar
              counts={sev}
              label="Findings by severity"
              segmentClass={(k) => `sev-fill-${['', 'info', 'low', 'medium', 'high', 'critical'].indexOf(k)}`}
              order={(a, b) => ['critical', 'high', 'medium', 'low', 'info'].indexOf(a) - ['critical', 'high', 'medium', 'low', 'info'].indexOf(b)}
              onPick={pickFilter('severity')}
            />
          ) : null}
        </Card>
        <Card title="Cipher suites" aside="TLS sessions">
          {stats ? <BarList counts={stats.ciphers} label="Cipher suites" display={(k) => k.replace(/^TLS_/, '')} max={9} /> : null}
        </Card>
        <Card title="Key-exchange groups" aside="TLS sessions">
          {stats ? <BarList counts={stats.groups} label="Key exchange groups" max={6} barClass={(k) => (/mlkem|kyber/i.test(k) ? 'bar-good' : '')} /> : null}
          <h4 className="sub">Application protocols</h4>
          {stats ? <MixBar counts={stats.protocols} label="Protocols" segmentClass={(k, i) => (k === 'other' ? 'p-other' : `p-${i % PALETTE}`)} onPick={pickFilter('protocol')} max={PALETTE} /> : null}
        </Card>
      </div>
      <div className="feeds">
        <Card title="Latest sessions" className="feed">
          <LiveList source={sessions} columns={pick(SESSION_COLUMNS, ['time', 'server', 'sni', 'version', 'cipher', 'findings'])} label="Latest sessions" noun="session" selected={selected} onOpen={(r) => openSession(r.id)} atTop={sessionsAtTop} />
        </Card>
        <Card title="Latest findings" className="feed">
          <LiveList source={findings} columns={pick(FINDING_COLUMNS, ['time', 'severity', 'rule', 'server', 'sni'])} label="Latest findings" noun="finding" onOpen={(r) => r.session !== null && openSession(r.session)} atTop={findingsAtTop} />
        </Card>
      </div>
    </div>
  );
}
