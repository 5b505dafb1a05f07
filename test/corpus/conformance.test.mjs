// The peer oracle: Zeek's and JA4's own expectations on their test captures
// (../shared/corpus, present in the workplace and in CI; skipped when absent).
// Runs ../shared/tools/conformance.mjs against the built CLI and holds the figures
// that the core engine issue requires.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tool = join(root, '..', 'shared', 'tools', 'conformance.mjs');
const tmp = mkdtempSync(join(tmpdir(), 'intransit-conf-'));

function conformance(args) {
  const json = join(tmp, `${args.join('_').replace(/[^a-z0-9]+/gi, '-')}.json`);
  const r = spawnSync(process.execPath, [tool, ...args, '--show', '0', '--json', json], { cwd: root, encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`conformance exited ${r.status}: ${r.stdout}${r.stderr}`);
  process.stdout.write(r.stdout.split('\n').filter((l) => l.startsWith('conformance:')).map((l) => `  ${args.join(' ')}: ${l}\n`).join(''));
  return JSON.parse(readFileSync(json, 'utf8'));
}
const field = (res, name) => {
  const t = res.fields[name];
  return t ? (100 * t.agree) / t.checked : 100;
};

if (!existsSync(tool)) {
  test.skip('peer corpus (../shared) not present');
} else {
  test('zeek-ssl + ja4, TCP records: >= 97 % overall, >= 99 % on version, cipher, JA4; no unclean run', () => {
    const r = conformance(['--set', 'zeek-ssl,ja4', '--tcp-only']);
    assert.equal(r.crashes, []);
    assert.ok(r.pct >= 97, `overall ${r.pct.toFixed(1)} %`);
    for (const f of ['tls.version', 'tls.cipher', 'tls.client.ja4']) assert.ok(field(r, f) >= 99, `${f} ${field(r, f).toFixed(1)} %`);
  });

  test('zeek-conn, TCP: >= 90 %', () => {
    const r = conformance(['--set', 'zeek-conn', '--tcp-only']);
    assert.equal(r.crashes, []);
    assert.ok(r.pct >= 90, `overall ${r.pct.toFixed(1)} %`);
  });
}

test.run();
