// SEC09-BP03: services the policy names must authenticate their clients with
// certificates (mutual TLS). A TLS <= 1.2 handshake shows the CertificateRequest and
// the client's Certificate in the clear; TLS 1.3 (and QUIC) encrypt both, so such a
// session is unobservable for this rule — never a pass.

import type { SessionDoc } from '@intransit/shared';
import { versionRank } from './cipher-facts.js';
import { scopeMatches, type ServiceMatcher } from './scope.js';
import { serverName, tlsFacts, type AuditContext, type Rule } from './rule.js';

export type MtlsStatus =
  | { service: string; status: 'verified' }
  | { service: string; status: 'missing'; why: string }
  | { service: string; status: 'unobservable'; reason: string };

export function requiredService(s: SessionDoc, services: readonly ServiceMatcher[]): ServiceMatcher | undefined {
  for (const svc of services) if (scopeMatches(svc.scope, s)) return svc;
  return undefined;
}

/** Whether a session to an mTLS-required service shows client authentication; null when no service requires it. */
export function mtlsStatus(s: SessionDoc, ctx: AuditContext): MtlsStatus | null {
  if (ctx.mtlsServices.length === 0) return null;
  const svc = requiredService(s, ctx.mtlsServices);
  if (!svc) return null;
  const service = svc.name;
  if (s.intransit.encrypted === false) return { service, status: 'missing', why: `${s.network.protocol} in cleartext, no TLS at all` };
  const t = s.tls;
  const rank = versionRank(t?.version_protocol, t?.version);
  if (!t || rank < 0) return { service, status: 'unobservable', reason: 'mtls-handshake-not-seen' };
  if (rank >= 5 || s.network.protocol === 'quic') return { service, status: 'unobservable', reason: 'mtls-tls13-encrypted' };
  if (t.resumed) return { service, status: 'unobservable', reason: 'mtls-resumed-session' };
  const it = tlsFacts(s);
  if (it?.certificate_requested === true) {
    if (it.client_certificate === 'sent') return { service, status: 'verified' };
    if (it.client_certificate === 'empty') return { service, status: 'missing', why: 'the client answered the CertificateRequest with an empty Certificate' };
    return { service, status: 'unobservable', reason: 'mtls-client-certificate-not-seen' };
  }
  // no CertificateRequest: conclusive only when the server's flight was seen through to its end
  if (it?.certificate_requested === false && t.established) return { service, status: 'missing', why: 'the server sent no CertificateRequest' };
  return { service, status: 'unobservable', reason: 'mtls-handshake-not-seen' };
}

export const MTLS_RULES: Rule[] = [
  {
    id: 'mtls-missing',
    name: 'Mutual TLS required but not used',
    category: 'SEC09-BP03',
    severity: 4,
    reference: 'https://docs.aws.amazon.com/wellarchitected/latest/security-pillar/sec_protect_data_transit_authentication.html',
    check: (s, ctx) => {
      const m = mtlsStatus(s, ctx);
      if (m === null || m.status === 'verified') return null;
      if (m.status === 'unobservable') return { unobservable: m.reason };
      return { message: `${serverName(s)} belongs to mTLS-required service "${m.service}" but ${m.why}; require client certificates there.` };
    },
  },
];
