// `intransit report`: self-contained HTML, report.json and findings.csv of a stored
// run; the same database and options give the same files apart from the generation time.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { openDatabase, StoreSink } from '../../agent/dist/store/index.js';
import { CSV_COLUMNS, csvField } from '../../agent/dist/report/index.js';
import { session, finding, summary, writeAll } from './docs.mjs';
import { tempDir, runCli, CAPTURES, ROOT } from './helpers.mjs';

const dir = tempDir();
const dbFile = join(dir, 'audit.db');
const agentVersion = JSON.parse(readFileSync(join(ROOT, 'agent', 'package.json'), 'utf8')).version;

/** Minimal RFC 4180 reader (quoted fields with doubled quotes, CRLF records). */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  return rows;
}

let replayRun;
let waiverRun;

test('setup: a replay of the bundled captures and a run with waivers', async () => {
  const r = await runCli(['replay', CAPTURES, `--db=${dbFile}`, '--no-progress']);
  assert.is(r.code, 0, r.stderr);
  replayRun = Number(/run (\d+) stored/.exec(r.stderr)[1]);
  const db = openDatabase(dbFile);
  const sink = new StoreSink(db, { command: 'replay', source: 'waivers.pcap', profile: 'aws-sec09' });
  const a = session({ ts: '2026-05-01T00:00:00Z', sni: "=cmd|' /C calc'!A0", version: '1.0', firstPacket: 11 });
  const b = session({ ts: '2026-05-01T00:00:01Z', dst: '2001:db8::1', sni: 'legacy.example', version: '1.1', firstPacket: 40 });
  await writeAll(sink, [
    a,
    finding(a, 'tls-deprecated-version', 4, null, 'negotiated TLS 1.0, "quoted", with a comma'),
    b,
    finding(b, 'tls-deprecated-version', 4, { justification: 'vendor appliance, replacement ordered', owner: 'netops', expires: '2027-06-30' }),
    summary({ encrypted_session_share: 1 }),
  ]);
  waiverRun = sink.run;
  db.close();
});

test('the same database gives the same report, apart from its generation time', async () => {
  const one = join(dir, 'one');
  const two = join(dir, 'two');
  assert.is((await runCli(['report', '--db', dbFile, '--run', String(replayRun), '--out', one])).code, 0);
  await new Promise((r) => setTimeout(r, 1100));
  assert.is((await runCli(['report', '--db', dbFile, '--run', String(replayRun), '--out', two])).code, 0);
  const diff = (f) => {
    const a = readFileSync(join(one, f), 'utf8').split('\n');
    const b = readFileSync(join(two, f), 'utf8').split('\n');
    assert.is(a.length, b.length, f);
    return a.map((l, i) => (l === b[i] ? null : [l, b[i]])).filter(Boolean);
  };
  const html = diff('index.html');
  assert.is(html.length, 1, 'one line differs in the HTML');
  assert.match(html[0][0], /generated/);
  const json = diff('report.json');
  assert.is(json.length, 1);
  assert.match(json[0][0], /"generated_at"/);
  assert.equal(diff('findings.csv'), [], 'the CSV is identical');
});

test('index.html is self-contained and carries the KPI table, findings with evidence, coverage, profile and rule pack', async () => {
  const out = join(dir, 'html');
  await runCli(['report', '--db', dbFile, '--run', String(replayRun), '--out', out]);
  const html = readFileSync(join(out, 'index.html'), 'utf8');
  assert.not.match(html, /<script/i, 'no script');
  assert.not.match(html, /(src|href)\s*=\s*["']?(https?:)?\/\//i, 'no external resource');
  assert.not.match(html, /@import|url\(/i);
  assert.match(html, /<svg/, 'inline charts');
  for (const label of ['Sessions encrypted in transit', 'Bytes encrypted in transit', 'TLS sessions on 1.2 or later', 'TLS sessions on approved cipher suites', 'Sessions fully assessed']) assert.match(html, new RegExp(label));
  assert.match(html, /not met/);
  assert.match(html, /<code>aws-sec09<\/code>/);
  assert.match(html, new RegExp(`intransit ${agentVersion.replace(/\./g, '\\.')}`));
  assert.match(html, /Findings by server/);
  assert.match(html, /Coverage/);
  assert.match(html, /tls13-certificate-encrypted/, 'coverage reasons listed');
  const model = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  assert.is(model.run.id, replayRun);
  assert.is(model.rule_pack_version, agentVersion);
  assert.is(model.kpis.length, 5);
  const expired = model.rules.find((r) => r.id === 'cert-expired');
  assert.ok(expired, 'cert-expired reported');
  assert.is(expired.evidence[0].value, 'not_after 2024-01-01T00:00:00Z');
  assert.match(expired.evidence[0].certificate, /^[0-9a-f]{64}$/);
  const deprecated = model.rules.find((r) => r.id === 'tls-deprecated-version');
  const values = deprecated.evidence.map((e) => e.value);
  for (const v of values) assert.match(v, /^(TLS|DTLS|SSL) \d\.\d$/);
  assert.ok(values.includes('TLS 1.0') && values.includes('TLS 1.1'), values.join(', '));
  for (const r of model.rules) for (const e of r.evidence) assert.ok(Number.isInteger(e.first_packet) && e.first_packet > 0, `${r.id}: first packet number`);
  // findings grouped by server add up to the findings
  const byServer = model.servers.reduce((n, s) => n + s.findings + s.waived, 0);
  assert.is(byServer, model.totals.findings);
  const sev = model.rules.map((r) => r.severity);
  assert.equal(sev, [...sev].sort((a, b) => b - a), 'worst rules first');
});

test('findings.csv: every finding once, RFC 4180 quoting, spreadsheet formulas defused', async () => {
  const out = join(dir, 'csv');
  await runCli(['report', '--db', dbFile, '--run', String(waiverRun), '--out', out]);
  const rows = parseCsv(readFileSync(join(out, 'findings.csv'), 'utf8'));
  assert.equal(rows[0], CSV_COLUMNS);
  assert.is(rows.length, 3);
  const col = (r, name) => r[CSV_COLUMNS.indexOf(name)];
  assert.is(col(rows[1], 'sni'), "'=cmd|' /C calc'!A0", 'a formula-looking SNI is prefixed');
  assert.is(col(rows[1], 'message'), 'negotiated TLS 1.0, "quoted", with a comma');
  assert.is(col(rows[1], 'first_packet'), '11');
  assert.is(col(rows[1], 'offending_value'), 'TLS 1.0');
  assert.is(col(rows[2], 'server'), '[2001:db8::1]:443');
  assert.is(col(rows[2], 'waived'), 'yes');
  assert.is(col(rows[2], 'waiver_owner'), 'netops');
  assert.is(csvField('-1+1'), "'-1+1");
  assert.is(csvField('a"b'), '"a""b"');
  const big = join(dir, 'csv-all');
  await runCli(['report', '--db', dbFile, '--run', String(replayRun), '--out', big]);
  const db = openDatabase(dbFile);
  const n = db.prepare('SELECT count(*) AS n FROM findings WHERE run_id = ?').get(replayRun).n;
  db.close();
  assert.is(parseCsv(readFileSync(join(big, 'findings.csv'), 'utf8')).length - 1, n);
});

test('waivers applied are listed with justification, owner and expiry', async () => {
  const out = join(dir, 'waivers');
  await runCli(['report', '--db', dbFile, '--run', String(waiverRun), '--out', out]);
  const model = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  assert.equal(model.waivers, [{ rule: 'tls-deprecated-version', justification: 'vendor appliance, replacement ordered', owner: 'netops', expires: '2027-06-30', findings: 1 }]);
  assert.is(model.totals.waived_findings, 1);
  const html = readFileSync(join(out, 'index.html'), 'utf8');
  assert.match(html, /vendor appliance, replacement ordered/);
  assert.match(html, /&#39;\/C calc&#39;!A0|=cmd\|&#39; \/C calc&#39;!A0/, 'capture values are escaped');
  assert.not.match(html, /=cmd\|' /);
});

test('usage errors exit 2 with one line', async () => {
  for (const [args, re] of [
    [['report', '--db', dbFile], /needs --out/],
    [['report', '--db', dbFile, '--run', '999', '--out', join(dir, 'x')], /has no run 999/],
    [['report', '--db', join(dir, 'missing.db'), '--out', join(dir, 'x')], /no such database/],
  ]) {
    const r = await runCli(args);
    assert.is(r.code, 2);
    assert.match(r.stderr, re);
  }
});

test.run();
