// Community ID v1 flow hash (https://github.com/corelight/community-id-spec):
//   "1:" + base64(SHA-1(seed:u16 | addrA | addrB | proto:u8 | 0:u8 [| portA:u16 | portB:u16]))
// where (A, B) is the endpoint pair in canonical order: A is the smaller address
// (byte-wise), ties broken by the smaller port. Ports are hashed only for TCP, UDP, SCTP,
// ICMP and ICMPv6. For ICMP the "ports" are the message type and code: pass them as
// srcPort = type, dstPort = code; request/reply types are then paired the way the spec's
// reference implementation pairs them (echo 8↔0, ...), so both directions of an exchange
// share one ID, while one-way messages (errors, unsolicited adverts) keep type/code as is.
// Computed once per session, not per packet; the input is assembled in one reused buffer.
import * as crypto from 'node:crypto';

// One-shot hashing (crypto.hash, Node >= 20.12) costs half of a Hash object per call; this
// runs once per session. Older Node 20 releases use the Hash object.
const oneShot = (crypto as unknown as { hash?: (algorithm: string, data: Uint8Array, encoding: 'base64') => string }).hash;
const sha1Base64: (data: Uint8Array) => string = oneShot
  ? (data) => oneShot('sha1', data, 'base64')
  : (data) => crypto.createHash('sha1').update(data).digest('base64');

const PROTO_ICMP = 1;
const PROTO_TCP = 6;
const PROTO_UDP = 17;
const PROTO_ICMP6 = 58;
const PROTO_SCTP = 132;

// ICMP type → counterpart type. Router solicitation maps to advertisement but not back,
// exactly as the reference implementation (and Zeek's ICMP4_counterpart) does.
const ICMP4_COUNTERPART = new Map<number, number>([[8, 0], [0, 8], [13, 14], [14, 13], [15, 16], [16, 15], [10, 9], [17, 18], [18, 17]]);
const ICMP6_COUNTERPART = new Map<number, number>([
  [128, 129], [129, 128], [133, 134], [134, 133], [135, 136], [136, 135],
  [130, 131], [131, 130], [139, 140], [140, 139], [144, 145], [145, 144],
]);

const input = Buffer.alloc(2 + 16 + 16 + 2 + 4);

/** Word i of an address as laid out on the wire: IPv4 lives in word 3, IPv6 is four
 * big-endian words. Returns a negative / positive / zero comparison of a against b. */
function compareAddr(ipVersion: 4 | 6, a: Uint32Array, b: Uint32Array): number {
  for (let i = ipVersion === 4 ? 3 : 0; i < 4; i++) {
    const x = a[i]! >>> 0;
    const y = b[i]! >>> 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function writeAddr(ipVersion: 4 | 6, addr: Uint32Array, off: number): number {
  if (ipVersion === 4) {
    input.writeUInt32BE(addr[3]! >>> 0, off);
    return off + 4;
  }
  for (let i = 0; i < 4; i++) input.writeUInt32BE(addr[i]! >>> 0, off + 4 * i);
  return off + 16;
}

/**
 * Community ID v1 of a flow, e.g. "1:LQU9qZlK+B5F3KDmev6m5PMibrg=".
 * `src`/`dst` are 4-word addresses (IPv4 in word 3). Either direction gives the same ID.
 */
export function communityId(
  ipVersion: 4 | 6, src: Uint32Array, dst: Uint32Array, proto: number,
  srcPort: number, dstPort: number, seed = 0,
): string {
  const hasPorts = proto === PROTO_TCP || proto === PROTO_UDP || proto === PROTO_SCTP || proto === PROTO_ICMP || proto === PROTO_ICMP6;
  let sp = srcPort & 0xffff;
  let dp = dstPort & 0xffff;
  let oneWay = false;
  if (proto === PROTO_ICMP || proto === PROTO_ICMP6) {
    const counterpart = (proto === PROTO_ICMP ? ICMP4_COUNTERPART : ICMP6_COUNTERPART).get(sp & 0xff);
    if (counterpart === undefined) oneWay = true;
    else dp = counterpart;
  }
  const c = compareAddr(ipVersion, src, dst);
  const keep = oneWay || c < 0 || (c === 0 && (!hasPorts || sp < dp));
  let a = src;
  let b = dst;
  if (!keep) {
    a = dst;
    b = src;
    const t = sp;
    sp = dp;
    dp = t;
  }
  input.writeUInt16BE(seed & 0xffff, 0);
  let off = writeAddr(ipVersion, a, 2);
  off = writeAddr(ipVersion, b, off);
  input[off++] = proto & 0xff;
  input[off++] = 0;
  if (hasPorts) {
    input.writeUInt16BE(sp, off);
    input.writeUInt16BE(dp, off + 2);
    off += 4;
  }
  return '1:' + sha1Base64(input.subarray(0, off));
}
