// Sessions per capture-time bucket, stacked by negotiated version (best at the
// bottom), with the findings per bucket as a line on their own scale. Clicking a
// column narrows the time filter to that bucket.

import type { StatsResponse } from '@intransit/shared';
import { clock, day, int, versionClass, versionLabel } from '../lib/format.js';
import { useWidth } from '../lib/useWidth.js';
import { versionOrder } from './versions.js';

interface Props {
  timeline: StatsResponse['timeline'];
  onPick?: (fromIso: string, toIso: string) => void;
}

const H = 200;
const PAD = { l: 44, r: 40, t: 10, b: 24 };

/** A round axis maximum and its tick step. */
function niceScale(max: number): { top: number; step: number } {
  if (max <= 0) return { top: 1, step: 1 };
  const raw = max / 4;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  return { top: Math.ceil(max / step) * step, step };
}

function spanLabel(ms: number): string {
  if (ms < 60_000) return `${ms / 1000} s`;
  if (ms < 3_600_000) return `${ms / 60_000} min`;
  if (ms < 86_400_000) return `${ms / 3_600_000} h`;
  return `${ms / 86_400_000} d`;
}

export function Timeline({ timeline, onPick }: Props) {
  const [ref, width] = useWidth<HTMLDivElement>(640);
  const { buckets, bucket_ms: bms } = timeline;
  if (buckets.length === 0)
    return (
      <div ref={ref} className="chart-empty">
        no sessions in range
      </div>
    );
  const t0 = Date.parse(buckets[0].t);
  const t1 = Date.parse(buckets[buckets.length - 1].t);
  const slots = Math.max(1, Math.round((t1 - t0) / bms) + 1);
  const plotW = width - PAD.l - PAD.r;
  const plotH = H - PAD.t - PAD.b;
  const colW = plotW / slots;
  const gap = colW > 6 ? Math.min(3, colW * 0.2) : 0;
  const ys = niceScale(Math.max(...buckets.map((b) => b.sessions)));
  const fs = niceScale(Math.max(...buckets.map((b) => b.findings)));
  const keys = [...new Set(buckets.flatMap((b) => Object.keys(b.versions)))].sort(versionOrder);
  const y = (v: number): number => PAD.t + plotH - (v / ys.top) * plotH;
  const yf = (v: number): number => PAD.t + plotH - (v / fs.top) * plotH;
  const xOf = (iso: string): number => PAD.l + Math.round((Date.parse(iso) - t0) / bms) * colW;
  const ticks: number[] = [];
  for (let v = 0; v <= ys.top + 1e-9; v += ys.step) ticks.push(v);
  // about one time label per 110 px
  const every = Math.max(1, Math.ceil(slots / Math.max(1, Math.floor(plotW / 110))));
  const timeTicks: number[] = [];
  for (let s = 0; s < slots; s += every) timeTicks.push(s);
  const multiDay = day(buckets[0].t) !== day(buckets[buckets.length - 1].t);
  // the findings line runs through every slot: an empty slot is zero findings, not a gap to bridge
  const bySlot = new Map(buckets.map((b) => [Math.round((Date.parse(b.t) - t0) / bms), b.findings]));
  const line =
    slots <= 400
      ? Array.from({ length: slots }, (_, i) => `${PAD.l + i * colW + colW / 2},${yf(bySlot.get(i) ?? 0)}`).join(' ')
      : buckets.map((b) => `${xOf(b.t) + colW / 2},${yf(b.findings)}`).join(' ');
  return (
    <div ref={ref} className="timeline">
      <svg width={width} height={H} role="img" aria-label={`Sessions per ${spanLabel(bms)} by TLS version, and findings`}>
        {ticks.map((v) => (
          <g key={v}>
            <line className="grid" x1={PAD.l} x2={PAD.l + plotW} y1={y(v)} y2={y(v)} />
            <text className="axis" x={PAD.l - 6} y={y(v) + 3} textAnchor="end">
              {int(v)}
            </text>
          </g>
        ))}
        {fs.top > 0 && buckets.some((b) => b.findings > 0)
          ? [0, fs.top / 2, fs.top].map((v) => (
              <text key={`f${v}`} className="axis axis-findings" x={PAD.l + plotW + 6} y={yf(v) + 3}>
                {int(v)}
              </text>
            ))
          : null}
        {timeTicks.map((s) => (
          <text key={`t${s}`} className="axis" x={PAD.l + s * colW + colW / 2} y={H - 6} textAnchor="middle">
            {(() => {
              const iso = new Date(t0 + s * bms).toISOString();
              return multiDay && bms >= 3_600_000 ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : bms >= 60_000 ? iso.slice(11, 16) : clock(iso).slice(0, 8);
            })()}
          </text>
        ))}
        {buckets.map((b) => {
          const x = xOf(b.t);
          let acc = 0;
          const end = new Date(Date.parse(b.t) + bms).toISOString();
          return (
            <g key={b.t} className={onPick ? 'col is-clickable' : 'col'} onClick={onPick ? () => onPick(b.t, end) : undefined}>
              <title>{`${b.t.slice(0, 19).replace('T', ' ')} UTC +${spanLabel(bms)}\n${int(b.sessions)} sessions, ${int(b.findings)} findings\n${keys
                .filter((k) => b.versions[k])
                .map((k) => `${versionLabel(k)}: ${int(b.versions[k])}`)
                .join('\n')}`}</title>
              <rect className="col-hit" x={x} y={PAD.t} width={colW} height={plotH} />
              {keys.map((k) => {
                const n = b.versions[k] ?? 0;
                if (!n) return null;
                const top = y(acc + n);
                const h = y(acc) - top;
                acc += n;
                return <rect key={k} className={`seg ${versionClass(k)}`} x={x + gap / 2} y={top} width={Math.max(1, colW - gap)} height={Math.max(0.5, h)} />;
              })}
            </g>
          );
        })}
        {buckets.some((b) => b.findings > 0) ? (
          <>
            <polyline className="findings-line" points={line} />
            {buckets.map((b) => (b.findings > 0 ? <circle key={`d${b.t}`} className="findings-dot" cx={xOf(b.t) + colW / 2} cy={yf(b.findings)} r={2.5} /> : null))}
          </>
        ) : null}
        <line className="axis-line" x1={PAD.l} x2={PAD.l + plotW} y1={PAD.t + plotH} y2={PAD.t + plotH} />
      </svg>
      <ul className="legend legend-inline">
        {keys.map((k) => (
          <li key={k}>
            <svg width={10} height={10} aria-hidden="true">
              <rect className={`seg ${versionClass(k)}`} width={10} height={10} rx={2} />
            </svg>
            {versionLabel(k)}
          </li>
        ))}
        <li>
          <svg width={16} height={10} aria-hidden="true">
            <line className="findings-line" x1={0} x2={16} y1={5} y2={5} />
          </svg>
          findings (right scale)
        </li>
        <li className="dim">bucket {spanLabel(bms)}, UTC</li>
      </ul>
    </div>
  );
}
