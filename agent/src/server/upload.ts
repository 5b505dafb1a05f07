// Captures uploaded from the viewer. The body streams to a file in the data
// directory (never held in memory), is refused unless it starts with a pcap or
// pcapng magic number or grows past the size limit, and is then replayed by a child
// `intransit replay` writing into a run created here. A hostile capture can at worst
// end that child; the live feed shows the run's sessions as it commits them.

import { createWriteStream, mkdirSync, readdirSync, statSync, unlink, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import type { IncomingMessage } from 'node:http';
import type { UploadResponse } from '@intransit/shared';
import type { DB } from '../store/db.js';
import { createRun } from '../store/writer.js';
import type { ServerConfig } from './config.js';

const TYPES = new Set(['application/octet-stream', 'application/vnd.tcpdump.pcap', 'application/x-pcap', 'application/x-pcapng', 'application/pcap', 'application/pcapng']);

/** `pcap` / `pcapng` from the first four bytes, or null. */
export function captureMagic(b: Buffer): 'pcap' | 'pcapng' | null {
  if (b.length < 4) return null;
  const m = b.readUInt32BE(0);
  if (m === 0xa1b2c3d4 || m === 0xd4c3b2a1 || m === 0xa1b23c4d || m === 0x4d3cb2a1) return 'pcap';
  if (m === 0x0a0d0d0a) return 'pcapng';
  return null;
}

type Reply = (status: number, body: unknown, headers?: Record<string, string>) => void;

export class Uploads {
  active = 0;

  constructor(
    private readonly db: DB,
    private readonly config: ServerConfig,
    private readonly onChange: () => void,
  ) {
    // captures left behind by an agent that stopped in the middle of an upload
    const dir = join(dirname(config.dbFile), 'uploads');
    try {
      for (const name of readdirSync(dir)) {
        const file = join(dir, name);
        if (/^[0-9a-f]{16}\.cap$/.test(name) && Date.now() - statSync(file).mtimeMs > 3600_000) unlinkSync(file);
      }
    } catch {
      /* no uploads yet */
    }
  }

  handle(req: IncomingMessage, url: URL, reply: Reply): void {
    const limit = this.config.upload.maxBytes;
    // the request body is not read on refusal: the connection is closed after the answer
    const refuse = (status: number, error: string): void => reply(status, { error }, { Connection: 'close' });
    if (!this.config.upload.enabled) return refuse(403, 'uploads are disabled on this agent');
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (!TYPES.has(type)) return refuse(415, 'send the capture as application/octet-stream (pcap or pcapng)');
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > limit) return refuse(413, `captures are limited to ${limit} bytes`);
    if (this.active >= this.config.upload.maxConcurrent) return refuse(429, 'uploads are already replaying; try again when they finish');
    const name = (url.searchParams.get('name') ?? 'upload.pcap').replace(/[^\w.-]/g, '_').slice(0, 100) || 'upload.pcap';
    const dir = join(dirname(this.config.dbFile), 'uploads');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, `${randomBytes(8).toString('hex')}.cap`);
    const out = createWriteStream(file, { mode: 0o600 });
    this.active++;
    let bytes = 0;
    let format: 'pcap' | 'pcapng' | null = null;
    let head = Buffer.alloc(0);
    let failed = false;
    // mid-body refusals keep reading (and dropping) the rest, so the client sees the answer
    const fail = (status: number, error: string): void => {
      if (failed) return;
      failed = true;
      this.active--;
      out.destroy();
      unlink(file, () => {});
      reply(status, { error });
      req.resume();
    };
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      bytes += chunk.length;
      if (bytes > limit) return fail(413, `captures are limited to ${limit} bytes`);
      if (format === null) {
        head = Buffer.concat([head, chunk]);
        if (head.length >= 4) {
          format = captureMagic(head);
          if (format === null) return fail(415, 'not a pcap or pcapng capture (its first bytes are no capture magic number)');
        }
      }
      if (!out.write(chunk)) {
        req.pause();
        out.once('drain', () => req.resume());
      }
    });
    let complete = false;
    req.on('error', () => fail(400, 'upload interrupted'));
    // a client gone before the end of its body: nothing to replay, the file goes
    req.on('close', () => {
      if (!complete && !failed) fail(400, 'upload interrupted');
    });
    req.on('end', () => {
      complete = true;
      if (failed) return;
      if (format === null) return fail(415, 'empty or too short to be a capture');
      out.end(() => this.replay(file, name, bytes, format!, reply));
    });
  }

  private replay(file: string, name: string, bytes: number, format: 'pcap' | 'pcapng', reply: Reply): void {
    let run: number;
    try {
      run = createRun(this.db, { command: 'upload', source: `upload:${name}`, profile: 'aws-sec09' });
    } catch (e) {
      this.active--;
      unlink(file, () => {});
      reply(503, { error: `cannot store the run: ${(e as Error).message}` });
      return;
    }
    const child = spawn(process.execPath, [this.config.cliPath, 'replay', file, `--db=${this.config.dbFile}`, '--run-id', String(run), '--no-progress'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      stderr = (stderr + d).slice(-4000);
    });
    let ended = false;
    const done = (code: number | null, why?: string): void => {
      if (ended) return;
      ended = true;
      this.active--;
      unlink(file, () => {});
      if (code !== 0 && code !== 1) {
        const last = why ?? stderr.trim().split('\n').pop() ?? `replay exited with ${code}`;
        try {
          this.db.prepare("UPDATE runs SET status = 'failed', ended_at = coalesce(ended_at, ?), error = ? WHERE id = ? AND status != 'finished'").run(Date.now(), last.replace(/^intransit: /, ''), run);
        } catch {
          /* reported by the next open */
        }
      }
      this.onChange();
    };
    child.on('error', (e) => done(null, e.message));
    child.on('exit', (code, signal) => done(code, signal ? `replay ended by ${signal}` : undefined));
    this.onChange();
    const body: UploadResponse = { run, name, bytes, format };
    reply(202, body);
  }
}
