// Every field of a document subtree as a two-column list: dotted names on the left,
// values on the right; lists of names become wrapped chips, lists of objects nested
// numbered groups. Used wherever the detail must show all that was parsed, not a
// chosen few, so a field the engine adds later shows up without a viewer change.

import type { ReactNode } from 'react';
import { extensionName } from '../lib/tls-names.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function scalar(v: Json): ReactNode {
  if (v === null) return <span className="dim">null</span>;
  if (typeof v === 'boolean') return <span className={v ? 'bool-yes' : 'bool-no'}>{v ? 'yes' : 'no'}</span>;
  if (typeof v === 'number') return <span className="num">{v}</span>;
  return <span className="val">{String(v)}</span>;
}

function isScalar(v: Json): boolean {
  return v === null || typeof v !== 'object';
}

function Value({ value, path }: { value: Json; path: string }) {
  if (isScalar(value)) return <>{scalar(value)}</>;
  if (Array.isArray(value)) {
    if (value.length === 0) return <span className="dim">none</span>;
    if (value.every(isScalar))
      return (
        <span className="chips">
          {value.map((v, i) => {
            // extension code points get their IANA names
            const name = typeof v === 'number' && /(^|\.)extensions$/.test(path) ? extensionName(v) : null;
            return (
              <span key={i} className="chip" title={name ? `${v} ${name}` : undefined}>
                {v === null ? 'null' : String(v)}
                {name ? <span className="dim"> {name}</span> : null}
              </span>
            );
          })}
          <span className="dim chips-count">{value.length}</span>
        </span>
      );
    return (
      <div className="nested">
        {value.map((v, i) => (
          <div key={i} className="nested-item">
            <div className="nested-index">[{i}]</div>
            {isScalar(v) ? scalar(v) : <Fields value={v} path={`${path}[${i}]`} />}
          </div>
        ))}
      </div>
    );
  }
  return <Fields value={value} path={path} />;
}

/** A field list of `value` (an object); `skip` leaves out keys shown elsewhere. */
export function Fields({ value, path = '', skip = [] }: { value: unknown; path?: string; skip?: string[] }) {
  if (value === null || typeof value !== 'object') return <>{scalar(value as Json)}</>;
  const entries = Object.entries(value as Record<string, Json>).filter(([k]) => !skip.includes(k));
  if (entries.length === 0) return <span className="dim">nothing</span>;
  // scalars first, then lists and groups, each in the engine's order
  const flat: Array<[string, Json]> = [];
  const walk = (prefix: string, obj: Record<string, Json>): void => {
    for (const [k, v] of Object.entries(obj)) {
      const name = prefix ? `${prefix}.${k}` : k;
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0 && Object.values(v).every(isScalar)) walk(name, v);
      else flat.push([name, v]);
    }
  };
  walk('', Object.fromEntries(entries));
  flat.sort((a, b) => Number(!isScalar(a[1])) - Number(!isScalar(b[1])));
  return (
    <dl className="fields">
      {flat.map(([k, v]) => (
        <div key={k} className="field-row" data-field={path ? `${path}.${k}` : k}>
          <dt>{k}</dt>
          <dd>
            <Value value={v} path={path ? `${path}.${k}` : k} />
          </dd>
        </div>
      ))}
    </dl>
  );
}
