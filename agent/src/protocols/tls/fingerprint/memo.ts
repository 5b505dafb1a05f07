// Fingerprint hashes by input string: clients of one kind send the same lists in every
// ClientHello (only randoms and key shares differ), so each distinct JA3 string / JA4 list
// is hashed once. Bounded: the table starts afresh when full.

import { createHash } from 'node:crypto';

const MAX_ENTRIES = 8192;

/** A memoised hex digest of strings for one algorithm. */
export function memoHex(algorithm: 'md5' | 'sha256'): (s: string) => string {
  const memo = new Map<string, string>();
  return (s: string): string => {
    let h = memo.get(s);
    if (h === undefined) {
      h = createHash(algorithm).update(s).digest('hex');
      if (memo.size >= MAX_ENTRIES) memo.clear();
      memo.set(s, h);
    }
    return h;
  };
}
