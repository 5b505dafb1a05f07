// Column sets of the session and finding tables (the full views and the overview's
// compact feeds share them).

import type { FindingRow, SessionRow } from '@intransit/shared';
import type { Column } from '../components/VirtualTable.js';
import { Severity, Version } from '../components/bits.js';
import { bytes, clock, hostPort } from '../lib/format.js';

export const SESSION_COLUMNS: Record<string, Column<SessionRow>> = {
  time: { key: 'time', label: 'Time (UTC)', width: '94px', cell: (r) => <span className="num" title={r.ts}>{clock(r.ts)}</span> },
  client: { key: 'client', label: 'Client', width: 'minmax(150px, 0.9fr)', cell: (r) => <span className="num">{hostPort(r.src_ip, r.src_port)}</span> },
  server: { key: 'server', label: 'Server', width: 'minmax(140px, 0.9fr)', cell: (r) => <span className="num">{hostPort(r.dst_ip, r.dst_port)}</span> },
  sni: { key: 'sni', label: 'SNI', width: 'minmax(120px, 1.2fr)', cell: (r) => (r.sni ? <span title={r.sni}>{r.sni}</span> : <span className="dim">–</span>) },
  protocol: { key: 'protocol', label: 'Proto', width: '62px', cell: (r) => <span className={r.encrypted === false ? 'clear-text' : undefined}>{r.protocol}</span> },
  version: { key: 'version', label: 'Version', width: '84px', cell: (r) => <Version protocol={r.tls_protocol} version={r.tls_version} /> },
  cipher: { key: 'cipher', label: 'Cipher suite', width: 'minmax(150px, 1.6fr)', cell: (r) => (r.cipher ? <span title={r.cipher}>{r.cipher.replace(/^TLS_/, '')}</span> : <span className="dim">–</span>) },
  group: { key: 'group', label: 'Group', width: '88px', cell: (r) => r.curve ?? <span className="dim">–</span> },
  vni: { key: 'vni', label: 'VNI', width: '54px', align: 'right', cell: (r) => (r.vni === null ? <span className="dim">–</span> : r.vni) },
  bytes: { key: 'bytes', label: 'Bytes', width: '70px', align: 'right', cell: (r) => bytes(r.bytes) },
  findings: {
    key: 'findings',
    label: 'Findings',
    width: 'minmax(130px, 1fr)',
    cell: (r) =>
      r.findings.length === 0 ? (
        <span className="dim">–</span>
      ) : (
        <span className="cell-findings" title={r.findings.join('\n')}>
          <Severity level={r.max_severity} />
          <span className="num count">{r.findings.length}</span>
          <span className="rules">{r.findings.join(' ')}</span>
        </span>
      ),
  },
};

export const FINDING_COLUMNS: Record<string, Column<FindingRow>> = {
  time: { key: 'time', label: 'Time (UTC)', width: '94px', cell: (r) => <span className="num" title={r.ts}>{clock(r.ts)}</span> },
  severity: { key: 'severity', label: 'Severity', width: '74px', cell: (r) => <Severity level={r.severity} waived={r.waived !== null} /> },
  rule: { key: 'rule', label: 'Rule', width: 'minmax(150px, 1fr)', cell: (r) => <span className="rule-id" title={r.name}>{r.rule}</span> },
  server: { key: 'server', label: 'Server', width: 'minmax(120px, 0.8fr)', cell: (r) => <span className="num">{hostPort(r.dst_ip, r.dst_port)}</span> },
  sni: { key: 'sni', label: 'SNI', width: 'minmax(110px, 0.9fr)', cell: (r) => (r.sni ? <span title={r.sni}>{r.sni}</span> : <span className="dim">–</span>) },
  version: { key: 'version', label: 'Version', width: '84px', cell: (r) => <Version protocol={r.protocol === 'dtls' ? 'dtls' : 'tls'} version={r.tls_version} /> },
  message: { key: 'message', label: 'Message', width: 'minmax(200px, 3fr)', cell: (r) => <span title={r.message}>{r.message}</span> },
};

export function pick<T>(cols: Record<string, Column<T>>, keys: string[]): Column<T>[] {
  return keys.map((k) => cols[k]);
}
