// The servers seen, one row per (ip, port, SNI): how they negotiate, what
// certificate they present, what the rules say, and whether that changed (drift).

import { useEffect, useState } from 'react';
import { ROUTES, type EndpointRow, type EndpointsResponse } from '@intransit/shared';
import { getJson } from '../api/client.js';
import { Severity } from '../components/bits.js';
import { dateTime, hostPort, int, topCounts, versionClass, versionLabel } from '../lib/format.js';
import { versionOrder } from '../charts/versions.js';

interface Props {
  run: string | undefined;
  server: string | undefined;
  sni: string | undefined;
  drift: boolean;
  refreshKey: number;
  onDrift: (on: boolean) => void;
  onOpen: (e: EndpointRow) => void;
}

function VersionStrip({ versions }: { versions: Record<string, number> }) {
  const entries = Object.entries(versions).sort((a, b) => versionOrder(a[0], b[0]));
  const total = entries.reduce((s, e) => s + e[1], 0);
  if (!total) return <span className="dim">–</span>;
  let x = 0;
  return (
    <span className="vstrip">
      <svg width={36} height={8} aria-hidden="true">
        {entries.map(([k, n]) => {
          const w = (n / total) * 36;
          const r = <rect key={k} className={`seg ${versionClass(k)}`} x={x} y={0} width={w} height={8} />;
          x += w;
          return r;
        })}
      </svg>
      <span>
        {entries.map(([k, n], i) => (
          <span key={k}>
            {i ? <span className="dim"> · </span> : null}
            {entries.length > 1 ? versionLabel(k).replace(/^TLS /, '') : versionLabel(k)}
            {entries.length > 1 ? <span className="dim num"> {int(n)}</span> : null}
          </span>
        ))}
      </span>
    </span>
  );
}

function Counts({ counts, strip }: { counts: Record<string, number>; strip?: RegExp }) {
  const top = topCounts(counts, 2);
  if (!top.length) return <span className="dim">–</span>;
  return (
    <span className="stack">
      {top.map(([k, n]) => (
        <span key={k} title={`${k}: ${int(n)}`}>
          {strip ? k.replace(strip, '') : k}
          {top.length > 1 ? <span className="dim num"> {int(n)}</span> : null}
        </span>
      ))}
    </span>
  );
}

export function Endpoints({ run, server, sni, drift, refreshKey, onDrift, onOpen }: Props) {
  const [data, setData] = useState<EndpointsResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const ac = new AbortController();
    getJson<EndpointsResponse>(ROUTES.endpoints, { run, server, sni, drift: drift ? 'true' : undefined, limit: 2000 }, ac.signal).then(
      (d) => {
        setData(d);
        setError(null);
      },
      (e: unknown) => {
        if (!ac.signal.aborted) setError((e as Error).message);
      },
    );
    return () => ac.abort();
  }, [run, server, sni, drift, refreshKey]);

  return (
    <div className="endpoints">
      <div className="list-bar">
        <span className="list-count num" data-testid="endpoint-count">
          {data ? `${int(data.total)} endpoints${data.items.length < data.total ? `, first ${int(data.items.length)} shown` : ''}` : 'loading…'}
        </span>
        <label className="check">
          <input type="checkbox" name="drift" checked={drift} onChange={(e) => onDrift(e.target.checked)} /> only endpoints whose posture drifted
        </label>
        {error ? (
          <span className="error" role="alert">
            {error}
          </span>
        ) : null}
      </div>
      <div className="table-scroll">
        <table className="inventory">
          <thead>
            <tr>
              <th>Server</th>
              <th>SNI</th>
              <th className="num">Sessions</th>
              <th>Findings</th>
              <th>Drift</th>
              <th>Protocols</th>
              <th>Versions</th>
              <th>Cipher suites</th>
              <th>Groups</th>
              <th>Certificate</th>
              <th>Last seen (UTC)</th>
            </tr>
          </thead>
          <tbody>
            {data?.items.map((e) => {
              const cert = e.certificates[0];
              const nFindings = Object.values(e.findings).reduce((s, n) => s + n, 0);
              const rules = Object.entries(e.findings).sort((a, b) => b[1] - a[1]);
              return (
                <tr key={`${e.ip}|${e.port}|${e.sni ?? ''}`} onClick={() => onOpen(e)} className="is-clickable" title="Show these sessions">
                  <td className="num">{hostPort(e.ip, e.port)}</td>
                  <td className="clip">{e.sni ?? <span className="dim">–</span>}</td>
                  <td className="num">{int(e.sessions)}</td>
                  <td>
                    {nFindings ? (
                      <span className="stack" title={rules.map(([r, n]) => `${r}: ${n}`).join('\n')}>
                        <span>
                          <Severity level={e.max_severity} /> <span className="num">{int(nFindings)}</span>
                        </span>
                        <span className="dim rules clip">
                          {rules
                            .slice(0, 2)
                            .map(([r]) => r)
                            .join(', ')}
                          {rules.length > 2 ? ` +${rules.length - 2}` : ''}
                        </span>
                      </span>
                    ) : (
                      <span className="dim">none</span>
                    )}
                  </td>
                  <td>
                    {e.drift.length ? (
                      e.drift.map((d) => (
                        <span key={d} className="tag tag-warn">
                          {d}
                        </span>
                      ))
                    ) : (
                      <span className="dim">stable</span>
                    )}
                  </td>
                  <td>
                    <Counts counts={e.protocols} />
                  </td>
                  <td>
                    <VersionStrip versions={e.versions} />
                  </td>
                  <td className="clip">
                    <Counts counts={e.ciphers} strip={/^TLS_/} />
                  </td>
                  <td>
                    <Counts counts={e.groups} />
                  </td>
                  <td className="clip">
                    {cert ? (
                      <span className="stack" title={cert.sha256}>
                        <span>{cert.subject_cn ?? '(no CN)'}</span>
                        <span className="dim">
                          {cert.key ?? ''}
                          {cert.not_after ? ` · until ${cert.not_after.slice(0, 10)}` : ''}
                          {e.certificates.length > 1 ? ` · +${e.certificates.length - 1} more` : ''}
                        </span>
                      </span>
                    ) : (
                      <span className="dim">–</span>
                    )}
                  </td>
                  <td className="num">{dateTime(e.last_seen).replace(' UTC', '').slice(0, 19)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {data && data.items.length === 0 ? <p className="dim pad">No endpoints match.</p> : null}
      </div>
    </div>
  );
}
