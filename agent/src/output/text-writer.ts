// Human-readable output (replay without --ndjson): one line per session, the
// findings under it, and the summary's KPIs at the end.

import { escapeControl } from './sanitize.js';
import type { FindingDoc, SessionDoc, SummaryDoc } from '@intransit/shared';
import type { DocumentSink } from './writer.js';

const SEV = ['', 'info', 'low', 'medium', 'high', 'critical'];

export class TextWriter implements DocumentSink {
  private lines: string[] = [];
  constructor(private readonly stream: NodeJS.WritableStream = process.stdout) {}

  write(doc: object): void {
    const d = doc as SessionDoc | FindingDoc | SummaryDoc;
    if (d.event.dataset === 'intransit.session') this.session(d as SessionDoc);
    else if (d.event.dataset === 'intransit.finding') {
      const f = d as FindingDoc;
      this.lines.push(`    ! ${SEV[f.event.severity]} ${f.rule.id}: ${f.message}`);
    } else this.summary(d as SummaryDoc);
    if (this.lines.length > 512) this.flush();
  }

  private session(s: SessionDoc): void {
    const ep = (e: { ip: string; port: number }) => (e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`);
    const parts = [s['@timestamp'], s.network.transport, `${ep(s.source)} -> ${ep(s.destination)}`, s.network.protocol];
    const t = s.tls;
    if (t) {
      if (t.version) parts.push(`${t.version_protocol === 'ssl' ? 'SSL' : (t.version_protocol ?? 'tls').toUpperCase()} ${t.version}`);
      if (t.cipher) parts.push(t.cipher);
      if (t.curve) parts.push(t.curve);
      if (t.client?.server_name) parts.push(`sni=${t.client.server_name}`);
    }
    if (s.intransit.tunnel) parts.push(`via ${s.intransit.tunnel.map((x) => (x.vni !== undefined ? `${x.type}:${x.vni}` : x.type)).join('/')}`);
    this.lines.push(parts.join('  '));
  }

  private summary(d: SummaryDoc): void {
    const s = d.intransit.summary as Record<string, any>;
    const k = s.kpi as Record<string, number | null | string>;
    const pct = (v: unknown) => (typeof v === 'number' ? `${(v * 100).toFixed(1)} %` : 'n/a');
    this.lines.push('');
    this.lines.push(`${s.packets} packets, ${s.sessions} sessions: ${Object.entries(s.sessions_by_protocol).map(([p, n]) => `${p} ${n}`).join(', ')}`);
    this.lines.push(`encrypted sessions ${pct(k.encrypted_session_share)}, encrypted bytes ${pct(k.encrypted_byte_share)}, TLS 1.2+ ${pct(k.tls12plus_share)}, approved ciphers ${pct(k.approved_cipher_share)} (profile ${k.profile})`);
    const f = Object.entries(s.findings_by_rule as Record<string, number>);
    if (f.length) this.lines.push(`findings: ${f.map(([r, n]) => `${r} ${n}`).join(', ')}`);
    const u = Object.entries(s.undecoded as Record<string, number>);
    if (u.length) this.lines.push(`not decoded: ${u.map(([r, n]) => `${r} ${n}`).join(', ')}`);
  }

  flush(): void {
    if (this.lines.length === 0) return;
    this.stream.write(this.lines.map(escapeControl).join('\n') + '\n');
    this.lines = [];
  }

  async close(): Promise<void> {
    this.flush();
  }
}
