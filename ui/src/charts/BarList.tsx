// Horizontal bars, one per key, largest first: cipher suites, groups, rules. Labels
// sit above their bars so long IANA names are never cut to fit a fixed column.

import { int, topCounts } from '../lib/format.js';
import { useWidth } from '../lib/useWidth.js';

interface Props {
  counts: Record<string, number>;
  max?: number;
  label: string;
  /** CSS class for a key's bar (colour by meaning), else the neutral bar colour. */
  barClass?: (key: string) => string;
  display?: (key: string) => string;
  onPick?: (key: string) => void;
  picked?: string;
}

const ROW = 30;

export function BarList({ counts, max = 8, label, barClass, display, onPick, picked }: Props) {
  const [ref, width] = useWidth<HTMLDivElement>(320);
  const entries = topCounts(counts, max);
  const total = entries.reduce((s, e) => s + e[1], 0);
  const peak = entries.reduce((m, e) => Math.max(m, e[1]), 0);
  const numW = 64;
  const barW = Math.max(40, width - numW);
  if (entries.length === 0)
    return (
      <div ref={ref} className="chart-empty">
        nothing to show
      </div>
    );
  return (
    <div ref={ref} className="barlist">
      <svg width={width} height={entries.length * ROW} role="img" aria-label={label}>
        {entries.map(([k, n], i) => {
          const w = peak ? Math.max(2, (n / peak) * barW) : 0;
          const clickable = onPick !== undefined && k !== 'other';
          return (
            <g
              key={k}
              transform={`translate(0 ${i * ROW})`}
              className={`bar-row${clickable ? ' is-clickable' : ''}${picked === k ? ' is-picked' : ''}`}
              onClick={clickable ? () => onPick(k) : undefined}
            >
              <title>{`${display ? display(k) : k}: ${int(n)} (${total ? ((n / total) * 100).toFixed(1) : 0}%)`}</title>
              <rect className="bar-hit" x={0} y={0} width={width} height={ROW} />
              <text className="bar-label" x={0} y={11}>
                {display ? display(k) : k}
              </text>
              <rect className="bar-track" x={0} y={16} width={barW} height={8} rx={1} />
              <rect className={`bar ${barClass ? barClass(k) : ''}`} x={0} y={16} width={w} height={8} rx={1} />
              <text className="bar-value" x={width} y={24} textAnchor="end">
                {int(n)}
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}
