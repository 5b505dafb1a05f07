// The incremental parser core both drivers (file, stream) feed: give it a window of bytes,
// it delivers every complete record in it and says where it stopped and how many bytes it
// needs there to progress. The driver keeps the unconsumed tail and calls again with more.

import { parseFileHeader, parsePcapRecords, PCAP_GLOBAL_HEADER } from './pcap.js';
import { parsePcapngBlocks } from './pcapng.js';
import { ParserState, S_MAGIC, S_PCAP, S_PCAPNG, S_STOPPED } from './state.js';
import { CaptureError, ReadStats } from './types.js';

export class CaptureParser extends ParserState {
  /** true once a corrupt record ended the read: the driver should stop feeding */
  get stopped(): boolean {
    return this.state === S_STOPPED;
  }

  /**
   * Parses the records in buf[off .. end) and returns the position of the first byte not
   * consumed (a record not complete yet). `need` then says how many bytes, counted from that
   * position, must be available before the next call can make progress.
   */
  parse(buf: Buffer, off: number, end: number): number {
    this.winOff = off;
    let p = off;
    if (this.state === S_MAGIC) p = parseFileHeader(this, buf, p, end);
    if (this.state === S_PCAP) p = parsePcapRecords(this, buf, p, end);
    else if (this.state === S_PCAPNG) p = parsePcapngBlocks(this, buf, p, end);
    this.base += p - off;
    this.winOff = 0;
    return p;
  }

  /**
   * The input ended with `leftover` unconsumed bytes. Raises CaptureError when nothing usable
   * was read, records a truncation warning when the input stops mid-record, and returns the
   * statistics of the read.
   */
  finish(leftover: number): ReadStats {
    const total = this.base + leftover;
    if (this.state === S_MAGIC) {
      if (total === 0) throw new CaptureError('empty file');
      if (total < 4) throw new CaptureError(`not a pcap or pcapng capture (only ${total} byte${total === 1 ? '' : 's'})`);
      throw new CaptureError(`file shorter than the pcap global header (${total} of ${PCAP_GLOBAL_HEADER} bytes)`);
    }
    if (this.format === 'pcapng' && this.sections === 0) {
      throw new CaptureError(`file shorter than its pcapng section header block (${total} of ${this.need} bytes)`);
    }
    if (this.state !== S_STOPPED && leftover > 0) {
      this.truncated = true;
      this.warn(`capture cut short: record at byte offset ${this.base} needs ${this.need} bytes, file ends after ${leftover}`);
    }
    return this.stats(total);
  }

  stats(fileBytes: number): ReadStats {
    const warnings = this.warnings.slice();
    if (this.suppressedWarnings > 0) warnings.push(`${this.suppressedWarnings} more warnings not shown`);
    return {
      format: this.format,
      packets: this.packets,
      capturedBytes: this.capturedBytes,
      fileBytes,
      skippedBlocks: this.skippedBlocks,
      truncated: this.truncated,
      warnings,
    };
  }
}
