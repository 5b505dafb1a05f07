// The report as one self-contained HTML file: inline CSS, inline SVG charts, no
// script and no external resource, so it opens offline and can be archived as
// evidence. Every value from the capture is HTML-escaped.

import type { KpiLine, ReportModel, RuleGroup } from './model.js';

const SEVERITY = ['none', 'info', 'low', 'medium', 'high', 'critical'];

export function esc(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function pct(v: number | null): string {
  return v === null ? 'n/a' : `${(v * 100).toFixed(1)} %`;
}

function sev(n: number): string {
  return `<span class="sev s${n}">${esc(SEVERITY[n] ?? n)}</span>`;
}

/** Horizontal bar chart of counts, largest first (at most `max` bars, the rest summed). */
export function barChart(title: string, data: Record<string, number>, max = 12): string {
  let entries = Object.entries(data).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (entries.length > max) {
    const rest = entries.slice(max - 1).reduce((n, e) => n + e[1], 0);
    entries = [...entries.slice(0, max - 1), ['other', rest]];
  }
  const total = entries.reduce((n, e) => n + e[1], 0);
  const top = entries.length ? entries[0][1] : 0;
  const rowH = 22;
  const labelW = 340;
  const barW = 260;
  const h = Math.max(1, entries.length) * rowH + 8;
  const bars = entries
    .map(([k, n], i) => {
      const w = top ? Math.max(1, Math.round((n / top) * barW)) : 0;
      const y = i * rowH + 4;
      return `<text x="${labelW - 8}" y="${y + 15}" text-anchor="end">${esc(k.length > 44 ? `${k.slice(0, 43)}…` : k)}</text><rect x="${labelW}" y="${y + 3}" width="${w}" height="${rowH - 8}" rx="2"/><text x="${labelW + w + 6}" y="${y + 15}">${n} (${total ? ((n / total) * 100).toFixed(1) : 0} %)</text>`;
    })
    .join('');
  const body = entries.length ? bars : `<text x="8" y="18">no data</text>`;
  return `<figure><figcaption>${esc(title)}</figcaption><svg role="img" aria-label="${esc(title)}" width="${labelW + barW + 110}" height="${h}" viewBox="0 0 ${labelW + barW + 110} ${h}">${body}</svg></figure>`;
}

/** A share against its target: grey track, coloured fill, target mark. */
function shareBar(k: KpiLine): string {
  const w = 160;
  const fill = k.value === null ? 0 : Math.round(Math.min(1, k.value) * w);
  const cls = k.met === null ? 'na' : k.met ? 'ok' : 'bad';
  return `<svg width="${w + 2}" height="14" viewBox="0 0 ${w + 2} 14" aria-hidden="true"><rect class="track" x="1" y="3" width="${w}" height="8" rx="2"/><rect class="${cls}" x="1" y="3" width="${fill}" height="8" rx="2"/><line x1="${1 + Math.round(k.target * w)}" x2="${1 + Math.round(k.target * w)}" y1="0" y2="14" class="target"/></svg>`;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d232b;margin:0;background:#f5f6f8}
main{max-width:1180px;margin:0 auto;padding:28px 32px 60px;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:34px 0 10px;padding-bottom:4px;border-bottom:2px solid #d9dde3}
h3{font-size:15px;margin:22px 0 6px}.sub{color:#5b6573;margin:0 0 18px}
table{border-collapse:collapse;width:100%;margin:6px 0 12px;font-size:13px}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e3e6ea;vertical-align:top}
th{background:#f0f2f5;font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:3px 16px;margin:0}dl.meta dt{color:#5b6573}dl.meta dd{margin:0}
.tiles{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}.tile{border:1px solid #d9dde3;border-radius:6px;padding:10px 14px;min-width:150px}
.tile b{display:block;font-size:22px}.tile span{color:#5b6573;font-size:12px}
.sev{display:inline-block;padding:0 6px;border-radius:3px;font-size:12px;font-weight:600;color:#fff;background:#7a8594}
.s5{background:#8b1a1a}.s4{background:#c0392b}.s3{background:#d68910}.s2{background:#2e86c1}.s1{background:#7a8594}
.met{color:#1e7d3a;font-weight:600}.notmet{color:#b03a2e;font-weight:600}.na{fill:#b7bec8;color:#7a8594}
svg text{font-size:12px;fill:#1d232b}svg rect{fill:#3d6fb6}svg rect.track{fill:#e6e9ee}svg rect.ok{fill:#2e9d57}svg rect.bad{fill:#c0392b}svg line.target{stroke:#1d232b;stroke-width:2}
figure{margin:8px 0 18px}figcaption{font-weight:600;margin-bottom:4px}.charts{display:grid;grid-template-columns:1fr;gap:4px}
details{margin:4px 0 14px}summary{cursor:pointer;color:#2b5797}.waived{color:#7a8594}.note{color:#5b6573;font-size:12px}
@media print{body{background:#fff}main{padding:0}details{display:block}}
`;

function kpiTable(m: ReportModel): string {
  const rows = m.kpis
    .map(
      (k) =>
        `<tr><td>${esc(k.label)}<div class="note mono">${esc(k.key)}</div></td><td class="n">${pct(k.value)}</td><td class="n">${pct(k.target)}</td><td>${shareBar(k)}</td><td>${
          k.met === null ? '<span class="na">not measurable</span>' : k.met ? '<span class="met">met</span>' : '<span class="notmet">not met</span>'
        }</td></tr>`,
    )
    .join('');
  return `<table><thead><tr><th>SEC09 KPI</th><th class="n">value</th><th class="n">target</th><th></th><th>status</th></tr></thead><tbody>${rows}</tbody></table>
<p class="note">KPIs ${m.kpi_source === 'summary' ? "are the run's own summary figures" : 'were computed from the stored sessions (the run has no summary)'}; shares count only what could be judged, and nothing unobservable counts as a pass.</p>`;
}

function evidenceTable(g: RuleGroup): string {
  const rows = g.evidence
    .map(
      (e) =>
        `<tr${e.waived ? ' class="waived"' : ''}><td class="mono">${esc(e.time)}</td><td class="n">${esc(e.first_packet ?? '')}</td><td class="mono">${esc(e.client)}</td><td class="mono">${esc(e.server)}</td><td>${esc(e.sni ?? '')}</td><td><code>${esc(e.value ?? '')}</code>${
          e.certificate ? `<div class="note mono">cert ${esc(e.certificate)}</div>` : ''
        }<div class="note">${esc(e.message)}</div></td><td>${e.waived ? `waived: ${esc(e.waived.justification ?? '')} (${esc(e.waived.owner ?? '')}, until ${esc(e.waived.expires ?? '')})` : ''}</td></tr>`,
    )
    .join('');
  const more = g.evidence_omitted ? `<p class="note">${g.evidence_omitted} more finding(s) of this rule are in findings.csv.</p>` : '';
  return `<details><summary>${g.evidence.length + g.evidence_omitted} finding(s): evidence</summary><table><thead><tr><th>capture time</th><th class="n">first packet</th><th>client</th><th>server</th><th>SNI</th><th>offending value</th><th>waiver</th></tr></thead><tbody>${rows}</tbody></table>${more}</details>`;
}

function countsTable(title: string, data: Record<string, number>, keyName: string): string {
  const entries = Object.entries(data);
  if (!entries.length) return `<p class="note">${esc(title)}: none.</p>`;
  return `<table><thead><tr><th>${esc(keyName)}</th><th class="n">sessions</th></tr></thead><tbody>${entries.map(([k, n]) => `<tr><td>${esc(k)}</td><td class="n">${n}</td></tr>`).join('')}</tbody></table>`;
}

export function renderHtml(m: ReportModel): string {
  const r = m.run;
  const failing = m.kpis.filter((k) => k.met === false).length;
  const ruleRows = m.rules
    .map((g) => `<tr><td>${sev(g.severity)}</td><td><a href="#rule-${esc(g.id)}"><code>${esc(g.id)}</code></a></td><td>${esc(g.name)}</td><td>${esc(g.category)}</td><td class="n">${g.findings - g.waived}</td><td class="n">${g.waived}</td><td class="n">${g.servers}</td></tr>`)
    .join('');
  const ruleSections = m.rules
    .map((g) => `<h3 id="rule-${esc(g.id)}">${sev(g.severity)} <code>${esc(g.id)}</code> — ${esc(g.name)}</h3><p class="note">${esc(g.category)} · reference: ${esc(g.reference)} · ${g.findings} finding(s), ${g.waived} waived, ${g.servers} server(s)</p>${evidenceTable(g)}`)
    .join('');
  const serverRows = m.servers
    .map(
      (s) =>
        `<tr><td class="mono">${esc(s.server)}</td><td>${esc(s.sni.join(', '))}</td><td>${sev(s.max_severity)}</td><td class="n">${s.findings}</td><td class="n">${s.waived}</td><td>${Object.entries(s.rules)
          .map(([id, n]) => `<code>${esc(id)}</code>&nbsp;×${n}`)
          .join(', ')}</td></tr>`,
    )
    .join('');
  const waiverRows = m.waivers.map((w) => `<tr><td><code>${esc(w.rule)}</code></td><td>${esc(w.justification)}</td><td>${esc(w.owner)}</td><td>${esc(w.expires)}</td><td class="n">${w.findings}</td></tr>`).join('');
  const files = m.coverage.files
    .map((f) => `<tr><td class="mono">${esc(f.file)}</td><td>${esc(f.format ?? f.error ?? '')}</td><td class="n">${esc(f.packets ?? '')}</td><td>${f.truncated ? 'cut short' : ''}${Array.isArray(f.warnings) && f.warnings.length ? esc(f.warnings.join('; ')) : ''}</td></tr>`)
    .join('');
  const policy = m.policy ? Object.entries(m.policy).filter(([k, v]) => typeof v !== 'object' && k !== 'profile') : [];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>intransit SEC09 report — run ${r.id}</title><style>${CSS}</style></head>
<body><main>
<h1>Encryption in transit — AWS Well-Architected SEC09 audit</h1>
<p class="sub">Run ${r.id} · ${esc(r.command)} of ${esc(r.source.length > 160 ? `${r.source.slice(0, 157)}…` : r.source)}</p>
<dl class="meta">
<dt>capture window</dt><dd>${esc(r.capture_start ?? 'n/a')} — ${esc(r.capture_end ?? 'n/a')}</dd>
<dt>run</dt><dd>${esc(r.status)}, ${esc(r.started_at)} — ${esc(r.ended_at ?? 'n/a')}${r.error ? ` (${esc(r.error)})` : ''}</dd>
<dt>policy profile</dt><dd><code>${esc(m.profile)}</code>${policy.map(([k, v]) => ` · ${esc(k)} ${esc(v)}`).join('')}</dd>
<dt>rule pack</dt><dd>intransit ${esc(m.rule_pack_version)}</dd>
<dt>generated</dt><dd>${esc(m.generated_at)} by intransit ${esc(m.tool.version)}</dd>
</dl>
<div class="tiles">
<div class="tile"><b>${m.totals.sessions}</b><span>sessions</span></div>
<div class="tile"><b>${m.totals.findings - m.totals.waived_findings}</b><span>findings (unwaived)</span></div>
<div class="tile"><b>${m.totals.waived_findings}</b><span>findings waived</span></div>
<div class="tile"><b>${failing}</b><span>KPIs below target</span></div>
</div>
<h2>SEC09 KPIs against targets</h2>
${kpiTable(m)}
<h2>What was negotiated</h2>
<div class="charts">${barChart('TLS/DTLS versions', m.mix.versions)}${barChart('Cipher suites', m.mix.ciphers)}${barChart('Key-exchange groups', m.mix.groups)}${barChart('Application protocols', m.mix.protocols)}</div>
<h2>Findings by rule</h2>
${m.rules.length ? `<table><thead><tr><th>severity</th><th>rule</th><th>title</th><th>SEC09</th><th class="n">findings</th><th class="n">waived</th><th class="n">servers</th></tr></thead><tbody>${ruleRows}</tbody></table>${ruleSections}` : '<p>No findings.</p>'}
<h2>Findings by server</h2>
${m.servers.length ? `<table><thead><tr><th>server</th><th>SNI</th><th>worst</th><th class="n">findings</th><th class="n">waived</th><th>rules</th></tr></thead><tbody>${serverRows}</tbody></table>` : '<p>No findings.</p>'}
<h2>Waivers applied</h2>
${m.waivers.length ? `<table><thead><tr><th>rule</th><th>justification</th><th>owner</th><th>expires</th><th class="n">findings</th></tr></thead><tbody>${waiverRows}</tbody></table>` : '<p>No waiver applied to this run.</p>'}
<h2>Coverage</h2>
<p>What the capture let intransit judge. A session is <em>assessed</em> when every fact the rules look at was visible, <em>partial</em> when some was not (reasons below), <em>unobservable</em> when not even its encryption could be told.</p>
${countsTable('Assessment', m.coverage.assessment, 'assessment')}
${countsTable('Reasons', m.coverage.reasons, 'reason not fully assessed')}
${Object.keys(m.coverage.undecoded).length ? `<h3>Packets not decoded</h3>${countsTable('Undecoded', m.coverage.undecoded, 'reason')}` : ''}
${files ? `<h3>Input</h3><table><thead><tr><th>file</th><th>format</th><th class="n">packets</th><th>notes</th></tr></thead><tbody>${files}</tbody></table>` : ''}
<p class="note">Packet numbers count from 1 at the first packet of the run's input, across its files in the order read. Capture times are the capture's own clock (UTC). Certificates are judged at capture time. The complete list of findings is in findings.csv, the data of this report in report.json.</p>
</main></body></html>
`;
}
