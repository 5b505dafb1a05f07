// The subset of BER (X.690) that LDAP uses (RFC 4511 §5.1): single-byte tags (LDAP's
// tag numbers are all below 31), definite lengths only (short form, or long form with
// up to 4 length bytes), primitive OCTET STRINGs. Reads in place: results go to the
// module's `tlv` cursor instead of a new object per element.

/** Content bounds of the element last read by readTlv(). */
export const tlv = { start: 0, end: 0 };

/** elementLength(): the header is not complete yet. */
export const BER_NEED_MORE = -1;
/** elementLength() / readTlv(): not a valid element. */
export const BER_INVALID = -2;

const MAX_LENGTH = 0x7fffffff;

/**
 * Total size (header included) of the element starting at buf[off], from the `avail`
 * bytes there: BER_NEED_MORE while the header is incomplete, BER_INVALID for a
 * high-number tag, the indefinite form, or more than 4 length bytes.
 */
export function elementLength(buf: Buffer, off: number, avail: number): number {
  if (avail < 2) return BER_NEED_MORE;
  if ((buf[off] & 0x1f) === 0x1f) return BER_INVALID;
  const first = buf[off + 1];
  if (first < 0x80) return 2 + first;
  const n = first & 0x7f;
  if (n === 0 || n > 4) return BER_INVALID;
  if (avail < 2 + n) return BER_NEED_MORE;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + buf[off + 2 + i];
  if (len > MAX_LENGTH - 6) return BER_INVALID;
  return 2 + n + len;
}

/**
 * Reads the element at buf[p], which must end by `end`: returns its tag and sets tlv
 * (content start, content end); -1 when malformed or running past `end`.
 */
export function readTlv(buf: Buffer, p: number, end: number): number {
  if (p + 2 > end) return -1;
  const size = elementLength(buf, p, end - p);
  if (size < 0 || p + size > end) return -1;
  const first = buf[p + 1];
  tlv.start = p + 2 + (first < 0x80 ? 0 : first & 0x7f);
  tlv.end = p + size;
  return buf[p];
}

/** A non-negative INTEGER / ENUMERATED content of at most 4 bytes; -1 otherwise. */
export function readUint(buf: Buffer, start: number, end: number): number {
  const n = end - start;
  if (n < 1 || n > 5 || buf[start] & 0x80) return -1;
  if (n === 5 && buf[start] !== 0) return -1;
  let v = 0;
  for (let i = start; i < end; i++) v = v * 256 + buf[i];
  return v > 0xffffffff ? -1 : v;
}
