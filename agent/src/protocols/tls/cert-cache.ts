// Certificates by content: a server presents the same chain to every client, so each distinct
// DER is hashed and parsed once. Entries are found by a cheap hash of the DER's length and
// trailing bytes (the signature, high in entropy) and confirmed byte for byte; the cache is
// bounded (least recently used entries go first), so memory stays flat over any capture.
// The facts objects are shared by every session that presented the certificate: read-only.

import { createHash } from 'node:crypto';
import { x509Facts } from './x509.js';
import type { X509Facts } from './types.js';

export interface CertEntry {
  /** The DER, one copy shared by every session that saw this certificate. */
  readonly der: Buffer;
  readonly sha256: string;
  /** Parsed on first use; null when the parser threw. */
  facts: X509Facts | null | undefined;
  next: CertEntry | null; // same hash
}

const MAX_ENTRIES = 4096;
/** DERs larger than this are neither cached nor shared (they still get hashed and parsed). */
const MAX_CACHED_DER = 64 * 1024;

const byHash = new Map<number, CertEntry>();
let count = 0;

function contentHash(der: Buffer, off: number, len: number): number {
  let h = Math.imul(len ^ 0x9e3779b9, 0x01000193);
  const end = off + len;
  const from = len > 64 ? end - 64 : off;
  for (let p = from; p < end; p++) h = Math.imul(h ^ der[p], 0x01000193);
  // a few bytes from the middle tell apart certificates with equal tails (truncated inputs)
  if (len > 128) for (let p = off + (len >> 1), e = p + 16; p < e; p++) h = Math.imul(h ^ der[p], 0x01000193);
  return (h ^ (h >>> 15)) >>> 0;
}

function sameBytes(a: Buffer, b: Buffer, off: number, len: number): boolean {
  return a.length === len && (len === 0 || a.equals(off === 0 && b.length === len ? b : b.subarray(off, off + len)));
}

/**
 * The cache entry of the certificate in buf[off, off+len): an existing one when the same bytes
 * were seen before, else a new one holding a copy of them.
 */
export function internCertificate(buf: Buffer, off = 0, len = buf.length - off): CertEntry {
  if (len > MAX_CACHED_DER) {
    const der = Buffer.from(buf.subarray(off, off + len));
    return { der, sha256: createHash('sha256').update(der).digest('hex'), facts: undefined, next: null };
  }
  const h = contentHash(buf, off, len);
  const head = byHash.get(h);
  for (let e = head ?? null; e !== null; e = e.next) {
    if (sameBytes(e.der, buf, off, len)) {
      if (head !== undefined && head === e && e.next === null) {
        // keep recently used entries at the young end of the map's order
        byHash.delete(h);
        byHash.set(h, e);
      }
      return e;
    }
  }
  const der = Buffer.from(buf.subarray(off, off + len));
  const entry: CertEntry = { der, sha256: createHash('sha256').update(der).digest('hex'), facts: undefined, next: head ?? null };
  if (head !== undefined) byHash.delete(h);
  byHash.set(h, entry);
  count++;
  if (count > MAX_ENTRIES) evictOldest();
  return entry;
}

function evictOldest(): void {
  const first = byHash.keys().next();
  if (first.done) return;
  let n = 0;
  for (let e: CertEntry | null = byHash.get(first.value)!; e !== null; e = e.next) n++;
  byHash.delete(first.value);
  count -= n;
}

/** Facts of a certificate seen before (parsed once), or of new bytes. Null when the parser throws. */
export function certificateFacts(e: CertEntry): X509Facts | null {
  if (e.facts === undefined) {
    try {
      e.facts = x509Facts(e.der);
    } catch {
      e.facts = null;
    }
  }
  return e.facts;
}

/** SHA-256 (hex) of a DER, from the cache when these bytes were seen. */
export function certificateSha256(der: Buffer): string {
  return internCertificate(der).sha256;
}

/** Facts of a DER, from the cache when these bytes were seen. Null when the parser throws. */
export function cachedX509Facts(der: Buffer): X509Facts | null {
  return certificateFacts(internCertificate(der));
}
