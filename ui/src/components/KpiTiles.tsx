// The four SEC09 shares against their targets, each with the counts behind it, so
// a tile reading 97.5 % also says how many sessions are short of the target.

import { KPI_TARGETS, type Kpi } from '@intransit/shared';
import { int, pct } from '../lib/format.js';

interface TileSpec {
  key: 'encrypted_session_share' | 'tls12plus_share' | 'approved_cipher_share' | 'assessed_session_share';
  title: string;
  /** Denominator of the share, from the KPI record. */
  of: (k: Kpi) => number;
  unit: string;
}

const TILES: TileSpec[] = [
  { key: 'encrypted_session_share', title: 'Encrypted', of: (k) => k.encrypted_sessions + k.cleartext_sessions, unit: 'identified sessions' },
  { key: 'tls12plus_share', title: 'TLS 1.2+', of: (k) => k.tls_sessions, unit: 'TLS sessions' },
  { key: 'approved_cipher_share', title: 'Approved cipher', of: (k) => k.tls_sessions, unit: 'TLS sessions' },
  { key: 'assessed_session_share', title: 'Assessed', of: (k) => k.sessions, unit: 'sessions' },
];

function status(share: number | null, target: number): 'ok' | 'warn' | 'bad' | 'na' {
  if (share === null) return 'na';
  if (share >= target) return 'ok';
  return share >= target - 0.05 ? 'warn' : 'bad';
}

function Meter({ share, target }: { share: number | null; target: number }) {
  const w = 100;
  return (
    <svg className="meter" viewBox={`0 0 ${w} 6`} preserveAspectRatio="none" aria-hidden="true">
      <rect className="meter-track" x={0} y={0} width={w} height={6} rx={1} />
      {share !== null ? <rect className="meter-fill" x={0} y={0} width={Math.max(0.5, share * w)} height={6} rx={1} /> : null}
      <rect className="meter-target" x={Math.min(w - 0.6, target * w - 0.3)} y={-1} width={0.6} height={8} />
    </svg>
  );
}

export function KpiTiles({ kpi, runLabel, source }: { kpi: Kpi | null; runLabel: string; source: string | null }) {
  return (
    <section className="kpis" aria-label="SEC09 key figures">
      {TILES.map((t) => {
        const share = kpi ? ((kpi[t.key] as number | null | undefined) ?? null) : null;
        const target = KPI_TARGETS[t.key]?.target ?? 1;
        const of = kpi ? t.of(kpi) : 0;
        const met = share === null ? null : Math.round(share * of);
        const st = status(share, target);
        return (
          <article key={t.key} className={`kpi kpi-${st}`} data-kpi={t.key} title={KPI_TARGETS[t.key]?.label}>
            <header>
              <h3>{t.title}</h3>
              <span className="kpi-target">target {pct(target)}</span>
            </header>
            <div className="kpi-value num">{pct(share)}</div>
            <Meter share={share} target={target} />
            <footer className="num">
              {share === null ? (
                <span className="dim">{kpi ? `no ${t.unit} to judge` : 'no data'}</span>
              ) : (
                <>
                  {int(met)} of {int(of)} {t.unit}
                  {met !== null && of - met > 0 ? <span className="kpi-gap"> · {int(of - met)} short</span> : null}
                </>
              )}
            </footer>
          </article>
        );
      })}
      <article className="kpi kpi-facts">
        <header>
          <h3>{runLabel}</h3>
          {source ? <span className="kpi-target">{source === 'summary' ? 'final' : 'so far'}</span> : null}
        </header>
        <dl className="facts num">
          <dt>sessions</dt>
          <dd>{int(kpi?.sessions)}</dd>
          <dt>cleartext</dt>
          <dd className={kpi && kpi.cleartext_sessions > 0 ? 'sev-text-4' : ''}>{int(kpi?.cleartext_sessions)}</dd>
          <dt>unidentified</dt>
          <dd>{int(kpi?.unidentified_sessions)}</dd>
          <dt>findings</dt>
          <dd>
            {int(kpi?.findings)}
            {kpi && kpi.waived_findings ? <span className="dim"> ({int(kpi.waived_findings)} waived)</span> : null}
          </dd>
        </dl>
      </article>
    </section>
  );
}
