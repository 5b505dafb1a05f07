// Small marks used across the tables: severity, version, encryption state.

import { severityName, sessionVersion, versionClass } from '../lib/format.js';

export function Severity({ level, waived = false }: { level: number; waived?: boolean }) {
  if (level <= 0) return <span className="sev sev-0">none</span>;
  return (
    <span className={`sev sev-${level}${waived ? ' is-waived' : ''}`} title={waived ? 'waived' : undefined}>
      {severityName(level)}
    </span>
  );
}

export function Version({ protocol, version }: { protocol: string | null; version: string | null }) {
  if (version === null) return <span className="dim">–</span>;
  return (
    <span className={`ver ${versionClass(`${protocol ?? 'tls'} ${version}`)}`}>
      <i aria-hidden="true" />
      {sessionVersion(protocol, version)}
    </span>
  );
}

export function Encrypted({ value }: { value: boolean | null }) {
  if (value === true) return <span className="enc enc-yes">encrypted</span>;
  if (value === false) return <span className="enc enc-no">cleartext</span>;
  return <span className="enc enc-unknown">unknown</span>;
}

export function Dot({ status }: { status: 'open' | 'connecting' | 'closed' }) {
  return <i className={`dot dot-${status}`} aria-hidden="true" />;
}
