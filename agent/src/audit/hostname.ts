// Server identity check (RFC 6125 section 6.4, as the CA/Browser Forum Baseline
// Requirements narrow it): the SNI must equal a DNS name of the certificate's subject
// alternative names (the subject CN only when there is no DNS SAN), compared as
// lowercase A-labels without a trailing dot. A wildcard is honoured only as the whole
// left-most label (`*.example.com`), stands for exactly one non-empty label, and needs
// at least two labels after it; partial (`w*.example.com`) and inner wildcards never match.

import { domainToASCII } from 'node:url';

/** Lowercase A-label form without the trailing dot; null when it is not a usable DNS name. */
export function normalizeHost(name: string): string | null {
  let n = name.trim().replace(/\.$/, '');
  if (n === '') return null;
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(n)) {
    // U-labels: compare in IDNA A-label form (domainToASCII keeps a leading "*." label intact)
    const star = n.startsWith('*.');
    const ascii = domainToASCII(star ? n.slice(2) : n);
    if (ascii === '') return null;
    n = star ? `*.${ascii}` : ascii;
  }
  return n.toLowerCase();
}

/** Whether a presented identifier (SAN dNSName or CN) covers the reference host (SNI), both normalised. */
export function identifierMatches(host: string, pattern: string): boolean {
  if (!pattern.includes('*')) return host === pattern;
  if (!pattern.startsWith('*.')) return false; // partial or non-left-most wildcard
  const base = pattern.slice(2);
  if (base.includes('*') || !base.includes('.')) return false; // `*.*.x`, `*.com`
  const dot = host.indexOf('.');
  if (dot <= 0) return false; // the wildcard stands for one non-empty label
  return host.slice(dot + 1) === base;
}

export interface NameCheck {
  covered: boolean;
  /** The identifiers that were compared (SAN DNS names, or the CN when there is no SAN). */
  presented: string[];
}

/** Whether a certificate with these SAN DNS names (or this CN) is valid for `sni`. */
export function certificateCovers(sni: string, sans: readonly string[] | undefined, commonName: string | undefined): NameCheck {
  const host = normalizeHost(sni);
  const presented = sans && sans.length > 0 ? [...sans] : commonName ? [commonName] : [];
  if (host === null) return { covered: false, presented };
  for (const p of presented) {
    const n = normalizeHost(p);
    if (n !== null && identifierMatches(host, n)) return { covered: true, presented };
  }
  return { covered: false, presented };
}
