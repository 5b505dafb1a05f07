// Feeds a parser from chunks of arbitrary size (standard input, decompressed gzip). Records
// inside a chunk are parsed where they lie; only a record that straddles two chunks is
// copied, into one reusable carry buffer, and only as many bytes as the parser says it needs.

import { CaptureParser } from './parser.js';
import { MAX_BLOCK_LEN, ReadStats } from './types.js';

export class ChunkFeeder {
  private carry: Buffer = Buffer.allocUnsafe(64 * 1024);
  private carryLen = 0;

  constructor(readonly parser: CaptureParser) {}

  get stopped(): boolean {
    return this.parser.stopped;
  }

  push(chunk: Buffer): void {
    const parser = this.parser;
    let p = 0;
    const end = chunk.length;
    // complete the record that started in an earlier chunk, a few bytes at a time if need be
    while (this.carryLen > 0 && p < end && !parser.stopped) {
      const want = parser.need - this.carryLen;
      const take = want < end - p ? want : end - p;
      if (take <= 0) break; // cannot happen: the parser consumed all it could from the carry
      this.reserve(this.carryLen + take);
      chunk.copy(this.carry, this.carryLen, p, p + take);
      this.carryLen += take;
      p += take;
      if (this.carryLen < parser.need) return;
      const used = parser.parse(this.carry, 0, this.carryLen);
      if (used < this.carryLen) this.carry.copyWithin(0, used, this.carryLen);
      this.carryLen -= used;
    }
    if (parser.stopped || p === end) return;
    const q = parser.parse(chunk, p, end);
    if (q < end && !parser.stopped) {
      this.reserve(end - q);
      chunk.copy(this.carry, 0, q, end);
      this.carryLen = end - q;
    }
  }

  finish(): ReadStats {
    return this.parser.finish(this.parser.stopped ? 0 : this.carryLen);
  }

  private reserve(size: number): void {
    if (size <= this.carry.length) return;
    const bigger = Buffer.allocUnsafe(Math.min(Math.max(size, this.carry.length * 2), MAX_BLOCK_LEN + 64));
    this.carry.copy(bigger, 0, 0, this.carryLen);
    this.carry = bigger;
  }
}
