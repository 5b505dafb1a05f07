// SEC09-BP01 / BP03 rules on the server's certificates. Certificates travel in the
// clear only up to TLS 1.2 (TLS 1.3, DTLS 1.3 and QUIC encrypt them): every rule here
// judges the certificates the capture shows and stays silent — neither firing nor
// passing — when none was seen (the session's assessment says why).
// Dates are judged at the session's capture time, never the wall clock, so a 2013
// capture is audited as of 2013.

import type { SessionDoc } from '@intransit/shared';
import { certificateCovers } from './hostname.js';
import { ipBytes } from './scope.js';
import { SEC09_PAGES, serverName, tlsFacts, type AuditContext, type Rule, type Verdict } from './rule.js';

const DAY_MS = 86_400_000;

/** One certificate as the rules see it, merged from intransit.tls.chain and tls.server.x509. */
export interface CertView {
  position: number; // 0 = leaf
  sha256?: string;
  label: string; // "leaf certificate CN=..." for messages
  notBefore?: number; // ms
  notAfter?: number;
  keyAlgorithm?: string;
  keySize?: number;
  curve?: string;
  signatureAlgorithm?: string;
  /** Verifies with its own key (or, when that could not be checked, subject equals issuer). */
  selfSigned?: boolean;
  sans?: string[];
  commonName?: string;
}

function ms(iso: string | undefined): number | undefined {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
}

function cnOf(dn: string | undefined): string | undefined {
  const m = dn ? /(?:^|,)CN=((?:\\.|[^,])*)/.exec(dn) : null;
  return m ? m[1].replace(/\\(.)/g, '$1') : undefined;
}

// the cert rules all read the same list: build it once per session document
const VIEWS = new WeakMap<SessionDoc, CertView[]>();

/** The certificates the server sent, leaf first; empty when none was seen. */
export function certificates(s: SessionDoc): CertView[] {
  let v = VIEWS.get(s);
  if (v === undefined) {
    v = buildCertificates(s);
    VIEWS.set(s, v);
  }
  return v;
}

function buildCertificates(s: SessionDoc): CertView[] {
  const it = tlsFacts(s);
  const x = s.tls?.server?.x509;
  const leafSha = s.tls?.server?.hash?.sha256;
  const order = it?.chain_sha256 ?? (leafSha ? [leafSha] : []);
  const out: CertView[] = [];
  for (const c of it?.chain ?? []) {
    const position = order.indexOf(c.sha256);
    if (position < 0) continue;
    const cn = cnOf(c.subject);
    out.push({
      position,
      sha256: c.sha256,
      label: `${position === 0 ? 'leaf certificate' : `chain certificate #${position}`}${cn ? ` CN=${cn}` : ''}`,
      notBefore: ms(c.not_before),
      notAfter: ms(c.not_after),
      keyAlgorithm: c.public_key_algorithm,
      keySize: c.public_key_size,
      curve: c.public_key_curve,
      signatureAlgorithm: c.signature_algorithm,
      selfSigned: c.self_signed ?? (c.self_issued === undefined ? (c.subject !== undefined && c.subject === c.issuer) : c.self_issued),
      commonName: cn,
    });
  }
  out.sort((a, b) => a.position - b.position);
  if (x && (out.length === 0 || out[0].position !== 0)) {
    // no chain facts for the leaf: the ECS leaf object alone
    const cn = x.subject?.common_name;
    // (self-signed stays unknown: equal common names alone do not prove it)
    out.unshift({ position: 0, sha256: leafSha, label: `leaf certificate${cn ? ` CN=${cn}` : ''}`, commonName: cn });
  }
  const leaf = out[0];
  if (leaf && leaf.position === 0 && x) {
    // the ECS leaf fields complete (and take precedence for) the leaf
    leaf.notBefore = ms(x.not_before) ?? leaf.notBefore;
    leaf.notAfter = ms(x.not_after) ?? leaf.notAfter;
    leaf.keyAlgorithm = x.public_key_algorithm ?? leaf.keyAlgorithm;
    leaf.keySize = x.public_key_size ?? leaf.keySize;
    leaf.curve = x.public_key_curve ?? leaf.curve;
    leaf.signatureAlgorithm = x.signature_algorithm ?? leaf.signatureAlgorithm;
    leaf.sans = x.alternative_names;
    leaf.commonName = x.subject?.common_name ?? leaf.commonName;
  }
  return out;
}

function leafOf(s: SessionDoc): CertView | undefined {
  const c = certificates(s)[0];
  return c && c.position === 0 ? c : undefined;
}

/** Why a key is too small: RSA / DSA below 2048 bits, EC below 256 bits (P-256). */
export function weakKey(c: CertView): string | null {
  const alg = c.keyAlgorithm?.toLowerCase();
  const bits = c.keySize;
  if (!alg || !bits) return null;
  if ((alg === 'rsa' || alg === 'rsa-pss' || alg === 'dsa') && bits < 2048) return `${bits}-bit ${alg.toUpperCase()} key`;
  if (alg === 'ec' && bits < 256) return `${bits}-bit EC key${c.curve ? ` (${c.curve})` : ''}`;
  return null;
}

/** MD2/MD4/MD5 and SHA-1 signatures (collisions are practical). */
export function weakSignature(alg: string | undefined): boolean {
  return !!alg && /md[245]|sha-?1(?!\d)/i.test(alg);
}

/** `365 days`, or `365 days 23h59m` when not a whole number of days. */
function span(ms: number): string {
  const days = Math.floor(ms / DAY_MS);
  const min = Math.floor((ms - days * DAY_MS) / 60_000);
  return min === 0 ? `${days} days` : `${days} days ${Math.floor(min / 60)}h${String(min % 60).padStart(2, '0')}m`;
}

// the same certificates and capture seconds recur across sessions: format each instant once
const ISO = new Map<number, string>();
function iso(t: number): string {
  let v = ISO.get(t);
  if (v === undefined) {
    if (ISO.size >= 4096) ISO.clear();
    v = new Date(t).toISOString().replace('.000Z', 'Z');
    ISO.set(t, v);
  }
  return v;
}

/** One finding per session: every offending certificate in the message, the first as evidence. */
function perCertificate(s: SessionDoc, pick: (c: CertView) => string | null, advice: string): Verdict {
  const hits: string[] = [];
  let first: CertView | undefined;
  for (const c of certificates(s)) {
    const why = pick(c);
    if (why === null) continue;
    hits.push(`${c.label}: ${why}`);
    first ??= c;
  }
  if (!first) return null;
  return { message: `${serverName(s)} presented ${hits.join('; ')}; ${advice}`, evidence: { certificate_sha256: first.sha256, chain_position: first.position } };
}

function leafVerdict(s: SessionDoc, judge: (leaf: CertView, ctx: AuditContext) => string | null, ctx: AuditContext): Verdict {
  const leaf = leafOf(s);
  if (!leaf) return null;
  const msg = judge(leaf, ctx);
  return msg === null ? null : { message: msg, evidence: { certificate_sha256: leaf.sha256, chain_position: 0 } };
}

export const CERT_RULES: Rule[] = [
  {
    id: 'cert-weak-key',
    name: 'Certificate key too small',
    category: 'SEC09-BP01',
    severity: 4,
    reference: 'NIST SP 800-52 Rev. 2 section 3.2; NIST SP 800-131A Rev. 2',
    check: (s) => perCertificate(s, weakKey, 'reissue with RSA 2048+ or ECDSA P-256+.'),
  },
  {
    id: 'cert-weak-signature',
    name: 'Certificate signed with MD5 or SHA-1',
    category: 'SEC09-BP01',
    severity: 4,
    reference: 'RFC 9155; CA/Browser Forum Baseline Requirements 7.1.3',
    // a self-signed certificate past the leaf is a trust anchor: clients trust its key, not its signature
    check: (s) =>
      perCertificate(s, (c) => (weakSignature(c.signatureAlgorithm) && !(c.position > 0 && c.selfSigned) ? `signed with ${c.signatureAlgorithm}` : null), 'reissue with a SHA-256 (or stronger) signature.'),
  },
  {
    id: 'cert-expired',
    name: 'Certificate expired',
    category: 'SEC09-BP01',
    severity: 4,
    reference: 'RFC 5280 section 4.1.2.5; ' + SEC09_PAGES['SEC09-BP01'],
    check: (s, ctx) =>
      perCertificate(s, (c) => (c.notAfter !== undefined && c.notAfter < ctx.captureMs ? `expired ${iso(c.notAfter)}, before the capture (${iso(ctx.captureMs)})` : null), 'renew it and automate renewal.'),
  },
  {
    id: 'cert-not-yet-valid',
    name: 'Certificate not yet valid',
    category: 'SEC09-BP01',
    severity: 3,
    reference: 'RFC 5280 section 4.1.2.5',
    check: (s, ctx) =>
      perCertificate(s, (c) => (c.notBefore !== undefined && c.notBefore > ctx.captureMs ? `valid only from ${iso(c.notBefore)}, after the capture (${iso(ctx.captureMs)})` : null), 'check the issuer\'s and the server\'s clocks.'),
  },
  {
    id: 'cert-expiring-soon',
    name: 'Certificate expires soon',
    category: 'SEC09-BP01',
    severity: 2,
    reference: SEC09_PAGES['SEC09-BP01'],
    check: (s, ctx) =>
      leafVerdict(s, (leaf) => {
        if (leaf.notAfter === undefined || leaf.notAfter < ctx.captureMs) return null;
        const days = (leaf.notAfter - ctx.captureMs) / DAY_MS;
        if (days >= ctx.expiringSoonDays) return null;
        return `${serverName(s)} presented a ${leaf.label} that expires ${iso(leaf.notAfter)}, ${Math.floor(days)} days after the capture (threshold ${ctx.expiringSoonDays}); renew it.`;
      }, ctx),
  },
  {
    id: 'cert-validity-too-long',
    name: 'Certificate validity period too long',
    category: 'SEC09-BP01',
    severity: 2,
    reference: 'CA/Browser Forum Baseline Requirements 6.3.2; ' + SEC09_PAGES['SEC09-BP01'],
    check: (s, ctx) =>
      leafVerdict(s, (leaf) => {
        if (leaf.notAfter === undefined || leaf.notBefore === undefined) return null;
        // the span notAfter - notBefore (what `openssl x509 -days N` sets to N days); the
        // CA/B Forum also counts the final second, which would flag every exact-year certificate
        const days = (leaf.notAfter - leaf.notBefore) / DAY_MS;
        if (days <= ctx.maxValidityDays) return null;
        return `${serverName(s)} presented a ${leaf.label} valid for ${span(leaf.notAfter - leaf.notBefore)} (${iso(leaf.notBefore)} to ${iso(leaf.notAfter)}), above the ${ctx.maxValidityDays}-day limit of profile ${ctx.profile.name}.`;
      }, ctx),
  },
  {
    id: 'cert-self-signed',
    name: 'Self-signed server certificate',
    category: 'SEC09-BP01',
    severity: 3,
    reference: 'RFC 5280 section 6.1; ' + SEC09_PAGES['SEC09-BP01'],
    check: (s, ctx) =>
      leafVerdict(s, (leaf) => (leaf.selfSigned ? `${serverName(s)} presented a self-signed ${leaf.label}; clients can only trust it by pinning it. Issue it from a managed CA.` : null), ctx),
  },
  {
    id: 'cert-name-mismatch',
    name: 'Certificate does not match the SNI',
    category: 'SEC09-BP03',
    severity: 4,
    reference: 'RFC 6125 section 6.4; RFC 9525',
    check: (s, ctx) =>
      leafVerdict(s, (leaf) => {
        const sni = s.tls?.client?.server_name;
        // an IP literal (RFC 6066 forbids it, some RDP clients send it) would need the
        // certificate's iPAddress SANs, which the document does not carry: not judged
        if (!sni || ipBytes(sni) !== null || (!leaf.sans && !leaf.commonName)) return null;
        const r = certificateCovers(sni, leaf.sans, leaf.commonName);
        if (r.covered) return null;
        const shown = r.presented.slice(0, 5).join(', ') + (r.presented.length > 5 ? `, ... (${r.presented.length})` : '');
        return `${serverName(s)} presented a ${leaf.label} whose names (${shown || 'none'}) do not cover the SNI ${sni}.`;
      }, ctx),
  },
];
