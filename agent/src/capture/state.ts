// State shared by the classic pcap and pcapng record parsers: format, byte order, the
// current section's interfaces, counters and warnings. One instance per read; the record
// loops read and update its fields in place, so nothing is allocated per packet.

import { Resolution, Timestamp } from './timestamp.js';
import { CaptureError, MAX_WARNINGS, PacketSink } from './types.js';

/** Waiting for the file's magic number / global header. */
export const S_MAGIC = 0;
export const S_PCAP = 1;
export const S_PCAPNG = 2;
/** A corrupt record ended the read; further input is ignored. */
export const S_STOPPED = 3;

/** Unsigned 32-bit integer at b[p] in the given byte order. */
export function u32(b: Buffer, p: number, le: boolean): number {
  return le
    ? (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16)) + b[p + 3] * 16777216
    : b[p] * 16777216 + ((b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]);
}

export function u16(b: Buffer, p: number, le: boolean): number {
  return le ? b[p] | (b[p + 1] << 8) : (b[p] << 8) | b[p + 1];
}

export function hex32(v: number): string {
  return '0x' + v.toString(16).padStart(8, '0');
}

export class ParserState {
  state = S_MAGIC;
  format: 'pcap' | 'pcapng' = 'pcap';
  /** byte order of the file (classic pcap) or of the current section (pcapng) */
  le = true;
  /** first 4 bytes of the input, big-endian, once seen (for error messages) */
  magic = -1;

  /** absolute input offset of buf[winOff] during parse(); of the next unconsumed byte between calls */
  base = 0;
  winOff = 0;
  /** bytes needed from the resume point before parsing can progress */
  need = 4;

  // -- classic pcap
  recHdr = 16; // record header length (24 for the Kuznetzov/"modified" pcap variant)
  fracToNs = 1000; // 1000 for microsecond files, 1 for nanosecond files
  linktype = 0;
  snaplen = 0;

  // -- pcapng: interfaces of the current section, indexed by interface id
  sections = 0;
  ifCount = 0;
  ifLink: number[] = [];
  ifSnap: number[] = [];
  ifRes: Resolution[] = [];
  ifOffset: number[] = [];
  warnedIf: Set<number> = new Set();

  // -- results
  packets = 0;
  capturedBytes = 0;
  skippedBlocks = 0;
  truncated = false;
  warnings: string[] = [];
  suppressedWarnings = 0;
  /** records/blocks parsed after the file header: a corrupt one while this is 0 makes the input unusable */
  records = 0;

  /** last packet time, reused for pcapng simple packet blocks which carry none */
  readonly ts = new Timestamp();

  constructor(readonly sink: PacketSink) {}

  /** absolute input offset of buf[p] during parse() */
  abs(p: number): number {
    return this.base + (p - this.winOff);
  }

  warn(message: string): void {
    if (this.warnings.length < MAX_WARNINGS) this.warnings.push(message);
    else this.suppressedWarnings++;
  }

  /**
   * The framing is broken at buf[p]: nothing after it can be trusted. Before any record was
   * read the input is unusable (CaptureError); otherwise keep what was read and stop.
   */
  corrupt(p: number, reason: string): void {
    const message = `corrupt record at byte offset ${this.abs(p)}: ${reason}`;
    if (this.records === 0 && this.packets === 0) throw new CaptureError(message);
    this.warn(message);
    this.truncated = true;
    this.state = S_STOPPED;
  }

  /** A pcapng section starts: its interfaces replace the previous section's. */
  resetInterfaces(): void {
    this.ifCount = 0;
    this.ifLink.length = 0;
    this.ifSnap.length = 0;
    this.ifRes.length = 0;
    this.ifOffset.length = 0;
    this.warnedIf.clear();
  }

  addInterface(linktype: number, snaplen: number, res: Resolution, offsetSec: number): void {
    this.ifLink.push(linktype);
    this.ifSnap.push(snaplen);
    this.ifRes.push(res);
    this.ifOffset.push(offsetSec);
    this.ifCount++;
  }
}
