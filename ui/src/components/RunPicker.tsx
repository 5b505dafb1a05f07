// History: pick one run (a replay, live capture, mirror session or upload) or all.

import type { RunRow } from '@intransit/shared';
import { int } from '../lib/format.js';

function baseName(source: string): string {
  const parts = source.split(/[\\/]/);
  return parts[parts.length - 1] || source;
}

/** `captures/a.pcap` → `a.pcap`; several files (space-separated) → `a.pcap +12 files`. */
export function sourceLabel(source: string): string {
  const files = source.replace(/^upload:/, '').split(' ').filter(Boolean);
  if (files.length <= 1) return baseName(files[0] ?? source);
  return `${baseName(files[0])} +${files.length - 1} files`;
}

export function runLabel(r: RunRow): string {
  return `#${r.id} ${r.command} ${sourceLabel(r.source)}`;
}

export function RunPicker({ runs, value, onChange }: { runs: RunRow[]; value: string | undefined; onChange: (v: string | undefined) => void }) {
  const known = value === undefined || runs.some((r) => String(r.id) === value);
  return (
    <label className="runpicker">
      <span>Run</span>
      <select name="run" value={value ?? ''} onChange={(e) => onChange(e.target.value || undefined)}>
        <option value="">All runs ({int(runs.reduce((n, r) => n + r.sessions, 0))} sessions)</option>
        {known ? null : <option value={value}>#{value}</option>}
        {runs.map((r) => (
          <option key={r.id} value={String(r.id)}>
            {runLabel(r)} · {r.status === 'running' ? 'running' : r.status} · {int(r.sessions)} sessions · {r.started_at.slice(0, 16).replace('T', ' ')}
          </option>
        ))}
      </select>
    </label>
  );
}
