// One bar split by share (version mix, protocol mix) with a legend of counts and
// percentages; a key can be picked to filter on it.

import { int, topCounts } from '../lib/format.js';
import { useWidth } from '../lib/useWidth.js';

interface Props {
  counts: Record<string, number>;
  label: string;
  segmentClass: (key: string, index: number) => string;
  display?: (key: string) => string;
  order?: (a: string, b: string) => number;
  onPick?: (key: string) => void;
  max?: number;
}

export function MixBar({ counts, label, segmentClass, display, order, onPick, max = 8 }: Props) {
  const [ref, width] = useWidth<HTMLDivElement>(320);
  let entries = topCounts(counts, max);
  if (order) entries = [...entries].sort((a, b) => order(a[0], b[0]));
  const total = entries.reduce((s, e) => s + e[1], 0);
  const name = (k: string): string => (display ? display(k) : k);
  if (total === 0)
    return (
      <div ref={ref} className="chart-empty">
        nothing to show
      </div>
    );
  let x = 0;
  return (
    <div ref={ref} className="mixbar">
      <svg width={width} height={14} role="img" aria-label={label}>
        {entries.map(([k, n], i) => {
          const w = (n / total) * width;
          const seg = (
            <rect key={k} className={`seg ${segmentClass(k, i)}`} x={x} y={0} width={Math.max(0, w - (w > 3 ? 1 : 0))} height={14}>
              <title>{`${name(k)}: ${int(n)} (${((n / total) * 100).toFixed(1)}%)`}</title>
            </rect>
          );
          x += w;
          return seg;
        })}
      </svg>
      <ul className="legend">
        {entries.map(([k, n], i) => (
          <li key={k}>
            <svg width={10} height={10} aria-hidden="true">
              <rect className={`seg ${segmentClass(k, i)}`} width={10} height={10} rx={2} />
            </svg>
            {onPick && k !== 'other' ? (
              <button type="button" className="link" onClick={() => onPick(k)}>
                {name(k)}
              </button>
            ) : (
              <span>{name(k)}</span>
            )}
            <span className="num dim">{int(n)}</span>
            <span className="num">{((n / total) * 100).toFixed(1)}%</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
