// gzip-compressed captures (capture.pcap.gz, as `tcpdump -w - | gzip` writes them).
// The stream driver pipes through zlib.createGunzip(). The file driver is synchronous and
// Node has no public synchronous streaming inflate (zlib.gunzipSync needs the whole file in
// memory), so SyncGunzip drives the zlib handle directly the way zlib's own sync path does,
// one input chunk at a time into one reusable output buffer. Multi-member files work (the
// native gunzip continues after a member ends).

import { readSync } from 'node:fs';
import { constants, createGunzip } from 'node:zlib';
import { ChunkFeeder } from './feeder.js';
import { CaptureError, ReadStats } from './types.js';

export const GZIP_ID1 = 0x1f;
export const GZIP_ID2 = 0x8b;
const INPUT_CHUNK = 256 * 1024;
const OUTPUT_CHUNK = 1024 * 1024;

export function isGzip(buf: Buffer, len: number): boolean {
  return len >= 2 && buf[0] === GZIP_ID1 && buf[1] === GZIP_ID2;
}

interface ZlibHandle {
  writeSync(flush: number, input: Buffer, inOff: number, inLen: number, out: Buffer, outOff: number, outLen: number): void;
  onerror: (message: string, errno: number, code?: string) => void;
  close(): void;
}

/** Synchronous streaming gunzip; `write` hands each decompressed piece to `emit` (buffer reused). */
class SyncGunzip {
  private readonly handle: ZlibHandle;
  private readonly state: Uint32Array; // [output space left, input left] after each writeSync
  private readonly out = Buffer.allocUnsafe(OUTPUT_CHUNK);
  private error: { message: string; code?: string } | null = null;

  constructor() {
    const z = createGunzip() as unknown as { _handle?: ZlibHandle; _writeState?: Uint32Array };
    if (typeof z._handle?.writeSync !== 'function' || !(z._writeState instanceof Uint32Array)) {
      throw new CaptureError('gzip-compressed capture: decompress it first (zcat FILE | intransit replay -)');
    }
    this.handle = z._handle;
    this.state = z._writeState;
    this.handle.onerror = (message, _errno, code) => {
      this.error = { message, code };
    };
  }

  write(input: Buffer, flush: number, emit: (piece: Buffer) => boolean): boolean {
    let off = 0;
    let len = input.length;
    for (;;) {
      this.handle.writeSync(flush, input, off, len, this.out, 0, this.out.length);
      if (this.error) throw Object.assign(new Error(this.error.message), { code: this.error.code });
      const outLeft = this.state[0]!;
      const inLeft = this.state[1]!;
      const produced = this.out.length - outLeft;
      if (produced > 0 && !emit(this.out.subarray(0, produced))) return false;
      off += len - inLeft;
      len = inLeft;
      if (outLeft !== 0) return true; // output not full: zlib took all the input it could
    }
  }

  close(): void {
    this.handle.close();
  }
}

/**
 * Decompresses the gzip file open on `fd` (the caller closes it) into `feeder`. `first` holds
 * the bytes already read from the start of the file. Reading stops early when the parser stops.
 */
export function readGzipFileSync(
  fd: number,
  first: Buffer,
  feeder: ChunkFeeder,
  onProgress?: (done: number, total: number) => void,
  total = 0,
): ReadStats {
  const gunzip = new SyncGunzip();
  const emit = (piece: Buffer): boolean => {
    feeder.push(piece);
    return !feeder.stopped;
  };
  const input = Buffer.allocUnsafe(INPUT_CHUNK);
  let done = first.length;
  try {
    let go = gunzip.write(first, constants.Z_NO_FLUSH, emit);
    while (go) {
      const n = readSync(fd, input, 0, INPUT_CHUNK, null);
      if (n === 0) {
        gunzip.write(Buffer.alloc(0), constants.Z_FINISH, emit);
        break;
      }
      done += n;
      go = gunzip.write(input.subarray(0, n), constants.Z_NO_FLUSH, emit);
      if (onProgress) onProgress(done, total);
    }
  } catch (err) {
    if (err instanceof CaptureError) throw err;
    gzipFailed(feeder, err);
  } finally {
    gunzip.close();
  }
  return feeder.finish();
}

/**
 * A decompression error: a gzip stream cut short keeps what was decompressed (the parser then
 * also reports the record cut short); corrupt data before any packet is unusable input.
 */
export function gzipFailed(feeder: ChunkFeeder, err: unknown): void {
  const code = (err as { code?: string }).code;
  const message = (err as Error).message ?? String(err);
  const parser = feeder.parser;
  if (code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(message)) {
    parser.warn('gzip stream cut short');
    parser.truncated = true;
    return;
  }
  if (parser.packets === 0) throw new CaptureError(`gzip-compressed capture is corrupt: ${message}`);
  parser.warn(`gzip-compressed capture is corrupt after ${parser.base} decompressed bytes (${message}); reading stopped`);
  parser.truncated = true;
}
