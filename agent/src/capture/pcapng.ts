// pcapng (draft-ietf-opsawg-pcapng): a sequence of blocks [type, length, body, length].
// Each Section Header Block sets the byte order of its section and starts a new list of
// interfaces (link type, snap length, timestamp resolution and offset). Packets come in
// Enhanced, Simple and the obsolete Packet blocks; every other block is skipped and counted.

import { MICROSECONDS, Resolution, convertTimestamp } from './timestamp.js';
import { MAX_BLOCK_LEN } from './types.js';
import { ParserState, S_PCAPNG, hex32, u16, u32 } from './state.js';

export const BT_SHB = 0x0a0d0d0a;
export const BT_IDB = 1;
export const BT_PB = 2; // obsolete Packet Block
export const BT_SPB = 3;
export const BT_EPB = 6;

const BOM_LE = 0x1a2b3c4d; // byte-order magic read little-endian from a little-endian section
const BOM_BE = 0x4d3c2b1a;
const SHB_MIN = 28;
const IDB_MIN = 20;
const EPB_MIN = 32; // 28 bytes of header fields + 4 bytes of trailing length
const SPB_MIN = 16;

const OPT_ENDOFOPT = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

/** Handles every complete block in buf[p .. end); returns the position of the first one left. */
export function parsePcapngBlocks(s: ParserState, buf: Buffer, p: number, end: number): number {
  const ts = s.ts;
  while (s.state === S_PCAPNG) {
    const avail = end - p;
    if (avail < 12) {
      s.need = 12;
      return p;
    }
    let le = s.le;
    const type = u32(buf, p, le); // the SHB type is a palindrome: readable before the byte order is known
    if (type === BT_SHB) {
      const bom = u32(buf, p + 8, true);
      if (bom === BOM_LE) le = true;
      else if (bom === BOM_BE) le = false;
      else {
        s.corrupt(p, `section header block with a bad byte-order magic ${hex32(bom)}`);
        return p;
      }
    }
    const len = u32(buf, p + 4, le);
    if (len < 12 || (len & 3) !== 0 || len > MAX_BLOCK_LEN || (type === BT_SHB && len < SHB_MIN)) {
      s.corrupt(p, `block of type ${hex32(type)} has an invalid length ${len}`);
      return p;
    }
    if (avail < len) {
      s.need = len;
      return p;
    }
    const trailer = u32(buf, p + len - 4, le);
    if (trailer !== len) {
      s.corrupt(p, `block length ${len} does not match its trailing copy ${trailer}`);
      return p;
    }

    if (type === BT_EPB || type === BT_PB) {
      if (len < EPB_MIN) {
        malformed(s, p, type === BT_EPB ? 'enhanced packet' : 'packet', len, EPB_MIN);
      } else {
        const ifid = type === BT_EPB ? u32(buf, p + 8, le) : u16(buf, p + 8, le);
        if (ifid >= s.ifCount) {
          missingInterface(s, p, ifid);
        } else {
          let caplen = u32(buf, p + 20, le);
          if (caplen > len - EPB_MIN) caplen = len - EPB_MIN;
          convertTimestamp(u32(buf, p + 12, le), u32(buf, p + 16, le), s.ifRes[ifid], s.ifOffset[ifid], ts);
          s.packets++;
          s.capturedBytes += caplen;
          s.sink(buf, p + 28, caplen, u32(buf, p + 24, le), s.ifLink[ifid], ts.sec, ts.nsec);
        }
      }
    } else if (type === BT_SPB) {
      if (s.ifCount === 0) {
        missingInterface(s, p, 0);
      } else {
        // no captured length field: the packet is what fits, bounded by the snap length
        const origlen = u32(buf, p + 8, le);
        let caplen = len - SPB_MIN;
        if (origlen < caplen) caplen = origlen;
        const snap = s.ifSnap[0];
        if (snap !== 0 && snap < caplen) caplen = snap;
        s.packets++;
        s.capturedBytes += caplen;
        // no timestamp either: repeat the previous packet's so time never runs backwards
        s.sink(buf, p + 12, caplen, origlen, s.ifLink[0], ts.sec, ts.nsec);
      }
    } else if (type === BT_IDB) {
      if (len < IDB_MIN) malformed(s, p, 'interface description', len, IDB_MIN);
      else readInterface(s, buf, p, len, le);
    } else if (type === BT_SHB) {
      if (!startSection(s, buf, p, le)) return p;
    } else {
      s.skippedBlocks++; // NRB, ISB, DSB, custom, and block types we do not know
    }
    if (type !== BT_SHB || s.sections > 1) s.records++;
    p += len;
  }
  return p;
}

function startSection(s: ParserState, buf: Buffer, p: number, le: boolean): boolean {
  const major = u16(buf, p + 12, le);
  const minor = u16(buf, p + 14, le);
  if (major !== 1) {
    s.corrupt(p, `section header block of unsupported pcapng version ${major}.${minor}`);
    return false;
  }
  s.le = le;
  s.sections++;
  s.resetInterfaces();
  return true;
}

function readInterface(s: ParserState, buf: Buffer, p: number, len: number, le: boolean): void {
  const linktype = u16(buf, p + 8, le);
  const snaplen = u32(buf, p + 12, le);
  let res = MICROSECONDS;
  let offsetSec = 0;
  const end = p + len - 4;
  let o = p + 16;
  while (o + 4 <= end) {
    const code = u16(buf, o, le);
    const olen = u16(buf, o + 2, le);
    if (code === OPT_ENDOFOPT) break;
    if (o + 4 + olen > end) {
      s.warn(`interface description block at byte offset ${s.abs(p)}: option ${code} runs past the block; later options ignored`);
      break;
    }
    if (code === OPT_IF_TSRESOL && olen >= 1) {
      res = Resolution.fromByte(buf[o + 4]);
    } else if (code === OPT_IF_TSOFFSET && olen >= 8) {
      // signed 64-bit seconds
      const lo = u32(buf, o + 4 + (le ? 0 : 4), le);
      const hi = u32(buf, o + 4 + (le ? 4 : 0), le) | 0;
      offsetSec = hi * 4294967296 + lo;
    }
    o += 4 + ((olen + 3) & ~3);
  }
  s.addInterface(linktype, snaplen, res, offsetSec);
}

function malformed(s: ParserState, p: number, what: string, len: number, min: number): void {
  s.skippedBlocks++;
  s.warn(`${what} block at byte offset ${s.abs(p)} is ${len} bytes, shorter than its ${min}-byte minimum; skipped`);
}

function missingInterface(s: ParserState, p: number, ifid: number): void {
  s.skippedBlocks++;
  if (s.warnedIf.has(ifid)) return;
  s.warnedIf.add(ifid);
  s.warn(
    `packet block at byte offset ${s.abs(p)} refers to interface ${ifid}, which has no interface description block in its section; such packets skipped`,
  );
}
