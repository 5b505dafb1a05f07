// Whole-output snapshots: every capture in captures/ is replayed and its NDJSON must
// equal captures/expected/<name>.ndjson document for document, field for field.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = join(root, 'captures');
const cli = join(root, 'agent', 'dist', 'cli.js');
const names = readdirSync(dir).filter((n) => /\.(pcap|pcapng)$/.test(n)).sort();

test('every bundled capture has an expected output', () => {
  assert.ok(names.length > 0, 'captures/ holds captures');
  for (const n of names) assert.ok(existsSync(join(dir, 'expected', `${n}.ndjson`)), `captures/expected/${n}.ndjson`);
});

for (const name of names) {
  const expectedFile = join(dir, 'expected', `${name}.ndjson`);
  if (!existsSync(expectedFile)) continue;
  test(`snapshot ${name}`, () => {
    const out = execFileSync(process.execPath, [cli, 'replay', join(dir, name), '--ndjson'], { maxBuffer: 1 << 28 }).toString();
    const got = out.trim().split('\n').map((l) => JSON.parse(l));
    const want = readFileSync(expectedFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.is(got.length, want.length, `${name}: number of documents`);
    for (let i = 0; i < want.length; i++) {
      // the summary names the capture by the path it was given: compare the rest
      if (want[i].event?.dataset === 'intransit.summary') {
        delete want[i].intransit.summary.capture;
        delete got[i].intransit.summary.capture;
      }
      assert.equal(got[i], want[i], `${name}: document ${i + 1}`);
    }
  });
}

test.run();
