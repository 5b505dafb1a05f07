// Classic libpcap format: the magic number / global header, and the record loop (the hot
// path for most captures). Byte order and timestamp unit come from the magic number.

import { CaptureError, MAX_CAPLEN } from './types.js';
import { ParserState, S_PCAP, S_PCAPNG, hex32, u16, u32 } from './state.js';

export const PCAP_GLOBAL_HEADER = 24;
const PCAPNG_SHB_TYPE = 0x0a0d0d0a;

/**
 * Identifies the format from the first 4 bytes and, for classic pcap, reads the global
 * header. Returns the position after what it consumed (unchanged while waiting for bytes;
 * pcapng consumes nothing: its section header is an ordinary block).
 */
export function parseFileHeader(s: ParserState, buf: Buffer, p: number, end: number): number {
  const avail = end - p;
  if (avail < 4) {
    s.need = 4;
    return p;
  }
  const m = u32(buf, p, false);
  s.magic = m;
  switch (m) {
    case 0xa1b2c3d4: // microseconds, written big-endian
    case 0xd4c3b2a1:
      s.fracToNs = 1000;
      s.recHdr = 16;
      break;
    case 0xa1b23c4d: // nanoseconds
    case 0x4d3cb2a1:
      s.fracToNs = 1;
      s.recHdr = 16;
      break;
    case 0xa1b2cd34: // Kuznetzov's patched libpcap: 8 more bytes per record header
    case 0x34cdb2a1:
      s.fracToNs = 1000;
      s.recHdr = 24;
      break;
    case PCAPNG_SHB_TYPE:
      s.format = 'pcapng';
      s.state = S_PCAPNG;
      return p;
    default:
      if (m >>> 16 === 0x1f8b) throw new CaptureError('gzip-compressed data inside gzip-compressed data: decompress it first');
      throw new CaptureError(`not a pcap or pcapng capture (starts with ${hex32(m)})`);
  }
  s.le = buf[p] !== 0xa1;
  if (avail < PCAP_GLOBAL_HEADER) {
    s.need = PCAP_GLOBAL_HEADER;
    return p;
  }
  const major = u16(buf, p + 4, s.le);
  const minor = u16(buf, p + 6, s.le);
  if (major !== 2) s.warn(`unusual pcap format version ${major}.${minor}; reading it as 2.4`);
  s.snaplen = u32(buf, p + 16, s.le);
  // the upper bits of the link-type field carry FCS information (LT_LINKTYPE in libpcap)
  s.linktype = u32(buf, p + 20, s.le) & 0x03ffffff;
  s.format = 'pcap';
  s.state = S_PCAP;
  return p + PCAP_GLOBAL_HEADER;
}

/** Delivers every complete record in buf[p .. end); returns the position of the first one left. */
export function parsePcapRecords(s: ParserState, buf: Buffer, p: number, end: number): number {
  const le = s.le;
  const hdr = s.recHdr;
  const sink = s.sink;
  const linktype = s.linktype;
  const micro = s.fracToNs === 1000;
  for (;;) {
    const avail = end - p;
    if (avail < hdr) {
      s.need = hdr;
      return p;
    }
    const caplen = u32(buf, p + 8, le);
    if (caplen > MAX_CAPLEN) {
      s.corrupt(p, `captured length ${caplen} is larger than ${MAX_CAPLEN}`);
      return p;
    }
    const recLen = hdr + caplen;
    if (avail < recLen) {
      s.need = recLen;
      return p;
    }
    let sec = u32(buf, p, le);
    let frac = u32(buf, p + 4, le);
    // a fraction past one second is invalid but unambiguous: carry it into the seconds
    if (micro) {
      if (frac >= 1000000) {
        sec += Math.floor(frac / 1000000);
        frac %= 1000000;
      }
      frac *= 1000;
    } else if (frac >= 1000000000) {
      sec += Math.floor(frac / 1000000000);
      frac %= 1000000000;
    }
    s.records++;
    s.packets++;
    s.capturedBytes += caplen;
    sink(buf, p + hdr, caplen, u32(buf, p + 12, le), linktype, sec, frac);
    p += recLen;
  }
}
