// The readers over every capture of the reference corpus (/work/shared/corpus/*/pcaps, skipped
// when absent): none may be rejected, and when tshark is installed every packet's timestamp
// (to the nanosecond), captured and original length must match what tshark reads.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readCaptureFile } from '../../agent/dist/capture/index.js';

const CORPUS = process.env.INTRANSIT_CORPUS || '/work/shared/corpus';
const files = existsSync(CORPUS)
  ? readdirSync(CORPUS)
      .filter((d) => existsSync(join(CORPUS, d, 'pcaps')))
      .flatMap((d) => readdirSync(join(CORPUS, d, 'pcaps')).map((f) => join(CORPUS, d, 'pcaps', f)))
      .sort()
  : [];
const hasTshark = spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;

function ours(file) {
  const lines = [];
  const stats = readCaptureFile(file, (buf, off, caplen, origlen, linktype, sec, nsec) => {
    lines.push(`${sec}.${String(nsec).padStart(9, '0')} ${caplen} ${origlen}`);
  });
  return { stats, lines };
}

function tshark(file) {
  return new Promise((resolve) => {
    execFile(
      'tshark',
      ['-n', '-r', file, '-T', 'fields', '-E', 'separator= ', '-e', 'frame.time_epoch', '-e', 'frame.cap_len', '-e', 'frame.len'],
      { maxBuffer: 256 << 20 },
      // tshark exits non-zero on a capture cut short but prints the packets before the cut
      (err, stdout) => resolve(stdout.split('\n').filter(Boolean)),
    );
  });
}

(files.length ? test : test.skip)(`corpus: all ${files.length} captures are read without error`, () => {
  for (const f of files) {
    const { stats } = ours(f);
    assert.ok(stats.packets > 0, `${f}: no packets`);
    assert.ok(stats.format === 'pcap' || stats.format === 'pcapng');
  }
});

(files.length && hasTshark ? test : test.skip)('corpus: packet count, timestamps and lengths equal tshark on every capture', async () => {
  const mismatches = [];
  let next = 0;
  async function worker() {
    while (next < files.length) {
      const f = files[next++];
      const mine = ours(f).lines;
      const theirs = await tshark(f);
      if (mine.length !== theirs.length) {
        mismatches.push(`${f}: ${mine.length} packets, tshark ${theirs.length}`);
        continue;
      }
      const i = mine.findIndex((l, k) => l !== theirs[k]);
      if (i >= 0) mismatches.push(`${f}: packet ${i + 1} is "${mine[i]}", tshark "${theirs[i]}"`);
    }
  }
  await Promise.all([worker(), worker(), worker()]);
  assert.equal(mismatches, []);
});

test.run();
