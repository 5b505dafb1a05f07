// Reads a capture from a stream (standard input for '-'): the same parser core as the file
// driver, fed chunk by chunk; gzip-compressed input is piped through zlib first.

import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ChunkFeeder } from './feeder.js';
import { gzipFailed, GZIP_ID1, GZIP_ID2 } from './gzip.js';
import { CaptureParser } from './parser.js';
import { reason } from './file-reader.js';
import { CaptureError, PacketSink, ReadStats } from './types.js';

export async function readCaptureStream(stream: NodeJS.ReadableStream, sink: PacketSink): Promise<ReadStats> {
  const feeder = new ChunkFeeder(new CaptureParser(sink));
  const chunks = (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  const next = async (): Promise<Buffer | null> => {
    try {
      const r = await chunks.next();
      return r.done ? null : toBuffer(r.value);
    } catch (err) {
      throw new CaptureError(`cannot read input: ${reason(err)}`);
    }
  };

  // the first two bytes decide between raw and gzip-compressed input
  let head: Buffer = Buffer.alloc(0);
  while (head.length < 2) {
    const c = await next();
    if (c === null) break;
    head = head.length === 0 ? c : Buffer.concat([head, c]);
  }

  if (head.length >= 2 && head[0] === GZIP_ID1 && head[1] === GZIP_ID2) {
    await readGzipStream(head, next, feeder);
  } else {
    if (head.length > 0) feeder.push(head);
    while (!feeder.stopped) {
      const c = await next();
      if (c === null) break;
      feeder.push(c);
    }
  }
  if (feeder.stopped) await chunks.return?.(); // release the stream we no longer read
  return feeder.finish();
}

async function readGzipStream(head: Buffer, next: () => Promise<Buffer | null>, feeder: ChunkFeeder): Promise<void> {
  const source = Readable.from(
    (async function* () {
      yield head;
      for (let c = await next(); c !== null; c = await next()) yield c;
    })(),
  );
  const gunzip = createGunzip({ chunkSize: 256 * 1024 }); // fewer, larger output chunks
  pipeline(source, gunzip, () => {}); // errors surface through the iteration below
  try {
    for await (const out of gunzip) {
      feeder.push(out as Buffer);
      if (feeder.stopped) break;
    }
  } catch (err) {
    if (err instanceof CaptureError) throw err;
    gzipFailed(feeder, err);
  }
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return Buffer.from(String(chunk), 'latin1');
}
