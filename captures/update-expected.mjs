#!/usr/bin/env node
// Regenerates captures/expected/<capture>.ndjson from the current build, after the
// captures were regenerated (captures/generate.sh) or the output changed on purpose.
// Review the diff (git diff captures/expected) before committing it: the snapshot
// test trusts these files. test/captures/tshark.test.mjs cross-checks them with tshark.
import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'agent', 'dist', 'cli.js');
mkdirSync(join(here, 'expected'), { recursive: true });
const only = process.argv.slice(2);
for (const name of readdirSync(here).sort()) {
  if (!/\.(pcap|pcapng)$/.test(name)) continue;
  if (only.length && !only.includes(name)) continue;
  const out = execFileSync(process.execPath, [cli, 'replay', join(here, name), '--ndjson'], { maxBuffer: 1 << 28 });
  writeFileSync(join(here, 'expected', `${name}.ndjson`), out);
  console.log(`${name}: ${out.toString().trim().split('\n').length} documents`);
}
