// `intransit replay`: reads saved captures (files, a directory of them, or standard
// input) and writes the contract's NDJSON documents.

import { readdirSync, statSync } from 'node:fs';
import { join, basename } from 'node:path';
import { SEVERITY_NAMES } from '@intransit/shared';
import { readCaptureFile, readCaptureStream, CaptureError, type ReadStats } from '../capture/index.js';
import { Engine } from '../engine.js';
import type { ShardedEngine } from '../workers/sharded-engine.js';
import { openOutputs, OUTPUT_FLAGS, OUTPUT_HELP } from './outputs.js';
import { parseArgs, UsageError } from './args.js';
import { Progress } from './progress.js';
import { auditorFor, PolicyError } from '../audit/setup.js';

export const REPLAY_HELP = `usage: intransit replay <capture>... [options]

Reads saved captures and reports every connection in them: TLS version, cipher,
key-exchange group, SNI, certificates, fingerprints (JA3/JA3S/JA4), application
protocol identified from payload, and the SEC09 findings.

  <capture>          classic pcap (either byte order, micro- or nanosecond), pcapng,
                     gzip-compressed either, a directory (its *.pcap, *.pcapng, *.cap,
                     *.gz files in name order), or - for standard input

options:
${OUTPUT_HELP}  --fail-on SEV      exit 1 when a finding of severity SEV or higher exists
                     (info, low, medium, high, critical)
  --profile NAME     audit profile: aws-sec09 (default), mozilla-modern,
                     mozilla-intermediate, nist-800-52r2; overrides the policy file's
  --policy FILE      policy file (JSON, or YAML): profile, per-rule severity and
                     enabled, certificate limits, mTLS-required services, waivers
                     (see docs/rules.md); an invalid policy is exit 2
  --max-flows N      hard cap on concurrent flows (default 100000); the least recently
                     active flow is ended and counted as evicted beyond it
  --workers N        engines (default 1): flows are sharded over N engines by a
                     symmetric hash of their 5-tuple and tunnel, one in this thread
                     (which also reads the input) and N - 1 in worker threads; the
                     documents are the same, in another order (--max-flows is then
                     divided among the engines). Worth it with more cores than
                     engines: one engine already keeps about 1.4 cores busy (V8's
                     garbage collector and compiler threads)
  --no-progress      no progress bar on standard error
  -h, --help         this help

exit status: 0 read, 1 --fail-on threshold reached, 2 unusable input or usage error.
`;

const CAPTURE_FILE = /\.(pcap|pcapng|cap|dmp)(\.gz)?$|\.gz$/i;

function expandInputs(inputs: string[]): string[] {
  const files: string[] = [];
  for (const input of inputs) {
    if (input === '-') {
      files.push(input);
      continue;
    }
    let st;
    try {
      st = statSync(input);
    } catch (e) {
      throw new CaptureError(`${input}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (st.isDirectory()) {
      const names = readdirSync(input).filter((n) => CAPTURE_FILE.test(n)).sort();
      if (names.length === 0) throw new CaptureError(`${input}: directory holds no capture files`);
      for (const n of names) files.push(join(input, n));
    } else files.push(input);
  }
  return files;
}

export async function replay(argv: string[]): Promise<number> {
  const { positional, flags } = parseArgs(argv, {
    ...OUTPUT_FLAGS,
    'fail-on': 'string',
    'max-flows': 'number',
    workers: 'number',
    'no-progress': 'boolean',
    profile: 'string',
    policy: 'string',
    help: 'boolean',
  });
  if (flags.help) {
    process.stdout.write(REPLAY_HELP);
    return 0;
  }
  if (positional.length === 0) throw new UsageError('replay needs a capture file, a directory or - (see intransit replay --help)');
  let failOn = 0;
  if (flags['fail-on'] !== undefined) {
    failOn = SEVERITY_NAMES[String(flags['fail-on']).toLowerCase()] ?? 0;
    if (!failOn) throw new UsageError(`--fail-on takes info, low, medium, high or critical, not "${flags['fail-on']}"`);
  }
  let auditor;
  try {
    auditor = auditorFor(flags.profile as string | undefined, flags.policy as string | undefined);
  } catch (e) {
    throw e instanceof PolicyError ? new UsageError(e.message) : e;
  }
  const workers = flags.workers === undefined ? 1 : Number(flags.workers);
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new UsageError(`--workers takes a whole number from 1 to 64, not "${flags.workers}"`);
  const files = expandInputs(positional);
  const outputs = await openOutputs(flags, { command: 'replay', source: files.join(' ') });
  const out = outputs.sink;
  const maxFlows = flags['max-flows'] as number | undefined;
  // the worker threads' code is loaded only by a sharded run
  const Sharded = workers > 1 ? (await import('../workers/sharded-engine.js')).ShardedEngine : null;
  const engine: Engine | ShardedEngine =
    Sharded !== null
      ? new Sharded(out, { workers, maxFlows, auditor, profile: flags.profile as string | undefined, policy: flags.policy as string | undefined })
      : new Engine(out, { flows: maxFlows ? { maxFlows } : {}, auditor });
  const captures: Record<string, unknown>[] = [];
  const showProgress = !flags['no-progress'] && Progress.enabled();
  let readAny = false;
  let finished = false;
  try {
    for (const file of files) {
      let stats: ReadStats;
      try {
        if (file === '-') stats = await readCaptureStream(process.stdin, engine.packet);
        else {
          const progress = showProgress ? new Progress(basename(file)) : null;
          try {
            stats = readCaptureFile(file, engine.packet, {
              ...(progress ? { onProgress: (d: number, t: number) => progress.update(d, t) } : {}),
              // sharded: read into memory the workers share, records are not copied
              ...(Sharded !== null && engine instanceof Sharded ? { buffers: engine.readBuffers } : {}),
            });
          } finally {
            progress?.done();
          }
        }
      } catch (e) {
        if (!(e instanceof CaptureError)) throw e;
        // one unusable file among several is reported and skipped; alone, it is exit 2
        process.stderr.write(`intransit: ${file === '-' ? 'standard input' : file}: ${e.message}\n`);
        if (files.length === 1) return 2;
        captures.push({ file, error: e.message });
        continue;
      }
      readAny = true;
      for (const w of stats.warnings) process.stderr.write(`intransit: warning: ${file === '-' ? 'standard input' : file}: ${w}\n`);
      engine.endOfInput();
      captures.push({
        file: file === '-' ? '-' : file,
        format: stats.format,
        packets: stats.packets,
        truncated: stats.truncated,
        skipped_blocks: stats.skippedBlocks,
        warnings: stats.warnings,
      });
    }
    if (!readAny) return 2;
    await engine.finish({ files: captures });
    finished = true;
  } finally {
    // workers left running would keep the process alive
    if (!finished && Sharded !== null && engine instanceof Sharded) await engine.terminate();
  }
  await outputs.close();
  if (failOn && engine.maxSeverity >= failOn) return 1;
  return 0;
}
