// DNS (RFC 1035 §4.1; also mDNS and LLMNR, which share the format). Over UDP each
// datagram is a message; over TCP each message is preceded by a 2-byte length
// (§4.2.2). A message is recognised by a sane header (known opcode, Z bit clear,
// bounded section counts) followed by a well-formed first question (or, for a response
// without questions such as an mDNS announcement, a well-formed first resource record):
// length-prefixed labels of at most 63 bytes, a name of at most 255 bytes, a known class.
// NetBIOS Name Service (RFC 1002, UDP 137) borrows the format and is reported as DNS
// too, as Zeek does.

import { NO, YES, either, more, u16, type ProtocolSignature, type Verdict } from '../signature.js';

const HEADER = 12;

function knownClass(cls: number): boolean {
  const c = cls & 0x7fff; // mDNS uses the top bit as "unicast response" / "cache flush"
  return c === 1 || c === 3 || c === 4 || c === 254 || c === 255;
}

/** End offset of the uncompressed name at `off` (first name in a message: no pointers), INCOMPLETE or INVALID. */
function nameEnd(buf: Buffer, off: number): number {
  let i = off;
  for (;;) {
    if (i >= buf.length) return -1;
    const len = buf[i];
    if (len === 0) return i + 1;
    if (len > 63) return -2; // compression pointer or reserved label type: nothing to point back to yet
    if (i + 1 + len - off > 254) return -2;
    const end = i + 1 + len;
    for (let j = i + 1; j < end && j < buf.length; j++) {
      const b = buf[j];
      if (b < 0x20 || b === 0x7f) return -2; // binary labels are legal but never seen in real names
    }
    i = end;
  }
}

/** A DNS message at `off`; `fromOriginator`: the side that opened the flow (it may send queries, or mDNS announcements). */
export function dnsMessage(buf: Buffer, off: number, done: boolean, fromOriginator: boolean): Verdict {
  if (buf.length - off < HEADER) return more(done);
  const flags = u16(buf, off + 2);
  const qr = flags >>> 15;
  const opcode = (flags >>> 11) & 0xf;
  const rcode = flags & 0xf;
  if (opcode === 3 || opcode > 6) return NO;
  if (flags & 0x40) return NO; // Z
  const qd = u16(buf, off + 4);
  const an = u16(buf, off + 6);
  const ns = u16(buf, off + 8);
  const ar = u16(buf, off + 10);
  if (qd > 32 || an > 512 || ns > 512 || ar > 512) return NO;
  if (qr === 0) {
    // a query (or an UPDATE, whose sections are zone/prerequisite/update/additional)
    if (rcode !== 0 || qd === 0) return NO;
    if (opcode !== 5 && (an > 32 || ns > 32 || ar > 32)) return NO;
  } else if (fromOriginator && qd === 0 && an === 0) {
    return NO;
  }
  if (qd === 0 && an === 0) return rcode !== 0 ? YES : NO; // an error response without a question
  const end = nameEnd(buf, off + HEADER);
  if (end === -1) return more(done);
  if (end === -2) return NO;
  // QTYPE, QCLASS (and for a record: TTL, RDLENGTH)
  const fixed = qd > 0 ? 4 : 10;
  if (end + fixed > buf.length) return more(done);
  const type = u16(buf, end);
  if (type === 0) return NO;
  if (!knownClass(u16(buf, end + 2))) return NO;
  if (qd === 0 && u16(buf, end + 8) > 65535 - HEADER) return NO;
  return YES;
}

function tcpSide(buf: Buffer, done: boolean, fromOriginator: boolean): Verdict {
  if (buf.length < 2) return more(done);
  const len = u16(buf, 0);
  if (len < HEADER + 5) return NO;
  return dnsMessage(buf, 2, done, fromOriginator);
}

export const DNS_UDP: ProtocolSignature = {
  name: 'dns',
  transport: 'udp',
  encrypted: false,
  detect(c, s, cDone, sDone) {
    return either(dnsMessage(c, 0, cDone, true), dnsMessage(s, 0, sDone, false));
  },
};

export const DNS_TCP: ProtocolSignature = {
  name: 'dns',
  transport: 'tcp',
  encrypted: false,
  detect(c, s, cDone, sDone) {
    return either(tcpSide(c, cDone, true), tcpSide(s, sDone, false));
  },
};
