// Reads a capture file synchronously: fs.readSync into ONE reusable buffer, records parsed in
// place, the unconsumed tail (a record cut by the buffer end) moved to the front before the
// next read. The buffer grows only for a record larger than itself (bounded by MAX_BLOCK_LEN).

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { ChunkFeeder } from './feeder.js';
import { isGzip, readGzipFileSync } from './gzip.js';
import { CaptureParser } from './parser.js';
import { CaptureError, MAX_BLOCK_LEN, PacketSink, ReadFileOptions, ReadStats } from './types.js';

export const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;
const MIN_CHUNK_BYTES = 64;

export function readCaptureFile(path: string, sink: PacketSink, opts: ReadFileOptions = {}): ReadStats {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new CaptureError(`cannot open ${path}: ${reason(err)}`);
  }
  try {
    return readOpenFile(fd, path, sink, opts);
  } finally {
    closeSync(fd);
  }
}

function readOpenFile(fd: number, path: string, sink: PacketSink, opts: ReadFileOptions): ReadStats {
  const stat = fstatSync(fd);
  if (stat.isDirectory()) throw new CaptureError(`cannot read ${path}: it is a directory`);
  const total = stat.isFile() ? stat.size : 0; // pipes and devices: size unknown
  const onProgress = opts.onProgress;
  const parser = new CaptureParser(sink);
  const size = Math.max(MIN_CHUNK_BYTES, Math.min(opts.chunkBytes ?? DEFAULT_CHUNK_BYTES, MAX_BLOCK_LEN));
  const buffers = opts.buffers;
  let buf = buffers ? buffers.next(null, 0, 0, size) : Buffer.allocUnsafe(size);
  let have = 0;
  let done = 0;

  // the first two bytes decide between raw and gzip-compressed input
  while (have < 2) {
    const n = read(fd, path, buf, have, buf.length - have);
    if (n === 0) break;
    have += n;
  }
  done = have;
  if (isGzip(buf, have)) {
    return readGzipFileSync(fd, Buffer.from(buf.subarray(0, have)), new ChunkFeeder(parser), onProgress, total);
  }

  for (;;) {
    if (have > 0) {
      const used = parser.parse(buf, 0, have);
      if (parser.stopped) return parser.finish(0);
      if (buffers) buf = buffers.next(buf, used, have, Math.max(size, parser.need));
      else if (used > 0 && used < have) buf.copyWithin(0, used, have);
      have -= used;
      if (parser.need > buf.length) {
        // one record larger than the buffer: grow (at least double, to keep reads large)
        const bigger = Buffer.allocUnsafe(Math.min(Math.max(parser.need, buf.length * 2), MAX_BLOCK_LEN + 64));
        buf.copy(bigger, 0, 0, have);
        buf = bigger;
      }
      if (onProgress) onProgress(done, total);
    }
    const n = read(fd, path, buf, have, buf.length - have);
    if (n === 0) break;
    have += n;
    done += n;
  }
  return parser.finish(have);
}

function read(fd: number, path: string, buf: Buffer, off: number, len: number): number {
  for (;;) {
    try {
      return readSync(fd, buf, off, len, null);
    } catch (err) {
      // a non-blocking descriptor (pipe or terminal opened elsewhere) with no data yet: wait and retry
      if ((err as { code?: string }).code !== 'EAGAIN') throw new CaptureError(`cannot read ${path}: ${reason(err)}`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}

export function reason(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return e.code ?? e.message ?? String(err);
}
