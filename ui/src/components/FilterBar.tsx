// The filters, each one query parameter of the address. Choices apply at once;
// typed values apply on Enter or when the field loses focus, so each filter is
// one history entry.

import { useEffect, useState, type ReactNode } from 'react';
import { timeBound } from '@intransit/shared';
import type { FilterKey, FilterValues } from '../lib/location.js';
import { versionLabel } from '../lib/format.js';

interface Props {
  filters: FilterValues;
  onChange: (f: FilterValues) => void;
  rules: string[];
  protocols: string[];
  errors: string[];
  /** Which filters make sense on this view. */
  keys?: FilterKey[];
  /** The rule and protocol choices are wanted (a choice list got focus). */
  onNeedChoices?: () => void;
}

const SEVERITIES: Array<[string, string]> = [
  ['', 'any'],
  ['info', 'info +'],
  ['low', 'low +'],
  ['medium', 'medium +'],
  ['high', 'high +'],
  ['critical', 'critical'],
];

const VERSIONS = ['1.3', '1.2', '1.1', '1.0', 'ssl 3.0', 'dtls 1.2', 'dtls 1.0', 'none'];

const ALL: FilterKey[] = ['rule', 'severity', 'version', 'protocol', 'encrypted', 'server', 'sni', 'vni', 'from', 'to'];

function TextFilter({ name, label, value, placeholder, onCommit, check, width }: { name: string; label: string; value: string; placeholder: string; onCommit: (v: string) => void; check?: (v: string) => boolean; width: string }) {
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);
  const bad = draft !== '' && check !== undefined && !check(draft);
  const commit = (): void => {
    if (draft.trim() !== value && !bad) onCommit(draft.trim());
  };
  return (
    <label className={`field ${width}`}>
      <span>{label}</span>
      <input
        name={name}
        type="text"
        value={draft}
        placeholder={placeholder}
        spellCheck={false}
        autoComplete="off"
        aria-invalid={bad}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit();
          if (e.key === 'Escape') setDraft(value);
        }}
      />
    </label>
  );
}

function Select({ name, label, value, options, onChange, onFocus }: { name: string; label: string; value: string; options: Array<[string, string]>; onChange: (v: string) => void; onFocus?: () => void }) {
  const known = options.some((o) => o[0] === value);
  return (
    <label className="field">
      <span>{label}</span>
      <select name={name} value={value} onChange={(e) => onChange(e.target.value)} onFocus={onFocus} onPointerDown={onFocus}>
        {known ? null : <option value={value}>{value}</option>}
        {options.map(([v, l]) => (
          <option key={v} value={v}>
            {l}
          </option>
        ))}
      </select>
    </label>
  );
}

export function FilterBar({ filters, onChange, rules, protocols, errors, keys = ALL, onNeedChoices }: Props) {
  const set = (k: FilterKey) => (v: string) => onChange({ ...filters, [k]: v === '' ? undefined : v });
  const shown = new Set(keys);
  const active = keys.filter((k) => filters[k] !== undefined);
  const fields: Record<string, ReactNode> = {
    rule: <Select key="rule" name="rule" label="Rule" value={filters.rule ?? ''} options={[['', 'any'], ...rules.map((r): [string, string] => [r, r])]} onChange={set('rule')} onFocus={onNeedChoices} />,
    severity: <Select key="severity" name="severity" label="Severity" value={filters.severity ?? ''} options={SEVERITIES} onChange={set('severity')} />,
    version: <Select key="version" name="version" label="Version" value={filters.version ?? ''} options={[['', 'any'], ...VERSIONS.map((v): [string, string] => [v, v === 'none' ? 'no TLS' : /^\d/.test(v) ? v : versionLabel(v)])]} onChange={set('version')} />,
    protocol: <Select key="protocol" name="protocol" label="Protocol" value={filters.protocol ?? ''} options={[['', 'any'], ...protocols.map((p): [string, string] => [p, p])]} onChange={set('protocol')} onFocus={onNeedChoices} />,
    encrypted: <Select key="encrypted" name="encrypted" label="Encryption" value={filters.encrypted ?? ''} options={[['', 'any'], ['true', 'encrypted'], ['false', 'cleartext'], ['unknown', 'unknown']]} onChange={set('encrypted')} />,
    server: <TextFilter key="server" name="server" label="Server" width="w-m" value={filters.server ?? ''} placeholder="ip or ip:port" onCommit={set('server')} />,
    sni: <TextFilter key="sni" name="sni" label="SNI" width="w-l" value={filters.sni ?? ''} placeholder="host or *.example.com" onCommit={set('sni')} />,
    vni: <TextFilter key="vni" name="vni" label="VNI" width="w-s" value={filters.vni ?? ''} placeholder="any" onCommit={set('vni')} check={(v) => /^\d{1,8}$/.test(v)} />,
    from: <TextFilter key="from" name="from" label="From (UTC)" width="w-m" value={filters.from ?? ''} placeholder="2026-11-30T11:00Z" onCommit={set('from')} check={(v) => timeBound(v) !== null} />,
    to: <TextFilter key="to" name="to" label="To (UTC)" width="w-m" value={filters.to ?? ''} placeholder="exclusive" onCommit={set('to')} check={(v) => timeBound(v) !== null} />,
  };
  return (
    <form className="filters" role="search" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
      {ALL.filter((k) => shown.has(k)).map((k) => fields[k])}
      <div className="filters-end">
        {active.length ? (
          <button
            type="button"
            className="btn btn-quiet"
            onClick={() => {
              const next: FilterValues = { ...filters };
              for (const k of keys) delete next[k];
              onChange(next);
            }}
          >
            Clear {active.length}
          </button>
        ) : null}
      </div>
      {errors.length ? (
        <p className="filters-errors" role="alert">
          Ignored: {errors.join('; ')}
        </p>
      ) : null}
    </form>
  );
}
