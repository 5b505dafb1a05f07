// The offending value of a finding, as an auditor quotes it: taken from the parsed
// fields the rule judged (the negotiated version, the suite, the certificate's key),
// so it is exact, not paraphrased. Rules without a single value fall back to the
// finding's message, which names it.

import type { FindingDoc, SessionDoc, X509Doc } from '@intransit/shared';

type Json = Record<string, unknown>;

function leaf(doc: FindingDoc): X509Doc | undefined {
  return doc.tls?.server?.x509;
}

function tlsVersion(doc: FindingDoc): string | null {
  const t = doc.tls;
  if (!t?.version) return null;
  const p = t.version_protocol ?? 'tls';
  return `${p === 'ssl' ? 'SSL' : p.toUpperCase()} ${t.version}`;
}

function clientVersions(session: SessionDoc | null): string | null {
  const v = ((session?.intransit?.tls as Json | undefined)?.client as Json | undefined)?.versions;
  return Array.isArray(v) ? `offered ${v.join(', ')}` : null;
}

/** The exact value a finding is about, or null when only its message says it. */
export function offendingValue(doc: FindingDoc, session: SessionDoc | null): string | null {
  const id = doc.rule?.id ?? '';
  const t = doc.tls;
  const x = leaf(doc);
  switch (id) {
    case 'tls-deprecated-version':
      return tlsVersion(doc);
    case 'tls-client-legacy-offer':
      return clientVersions(session);
    case 'tls-weak-cipher':
    case 'tls-no-forward-secrecy':
    case 'tls-cipher-not-approved':
      return t?.cipher ?? null;
    case 'tls-pq-not-negotiated':
      return t?.curve ? `group ${t.curve}` : null;
    case 'tls-weak-dh': {
      const m = /(\d+)-bit/.exec(doc.message ?? '');
      return m ? `${m[1]}-bit ${t?.curve && !t.curve.startsWith('ffdhe') ? t.curve : 'DH prime'}` : (t?.curve ?? null);
    }
    case 'tls-missing-sni':
      return 'no server_name extension';
    case 'cert-weak-key':
      return x?.public_key_algorithm ? `${x.public_key_algorithm.toUpperCase()} ${x.public_key_size ?? ''}${x.public_key_curve ? ` ${x.public_key_curve}` : ''}`.trim() : null;
    case 'cert-weak-signature':
      return x?.signature_algorithm ?? null;
    case 'cert-expired':
    case 'cert-expiring-soon':
      return x?.not_after ? `not_after ${x.not_after}` : null;
    case 'cert-not-yet-valid':
      return x?.not_before ? `not_before ${x.not_before}` : null;
    case 'cert-validity-too-long':
      return x?.not_before && x.not_after ? `${x.not_before} to ${x.not_after}` : null;
    case 'cert-self-signed':
      return x?.subject?.common_name ? `CN=${x.subject.common_name}, issuer CN=${x.issuer?.common_name ?? '?'}` : null;
    case 'cert-name-mismatch':
      return t?.client?.server_name ? `SNI ${t.client.server_name} vs ${(x?.alternative_names ?? [x?.subject?.common_name ?? '?']).join(', ')}` : null;
    case 'plaintext-protocol':
    case 'plaintext-on-tls-port':
    case 'starttls-not-used':
      return `${doc.network?.protocol ?? '?'} on port ${doc.destination?.port ?? '?'}`;
    default:
      return null;
  }
}

/** The certificate a finding is about (`intransit.evidence.certificate_sha256`), or the leaf's hash. */
export function certificateOf(doc: FindingDoc): string | null {
  const e = (doc.intransit as Json | undefined)?.evidence as Json | undefined;
  if (typeof e?.certificate_sha256 === 'string') return e.certificate_sha256;
  return doc.rule?.id?.startsWith('cert-') ? (doc.tls?.server?.hash?.sha256 ?? null) : null;
}
