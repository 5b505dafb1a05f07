// What a rule is and what it is given. Rules judge a finished session from its
// document only (never packets), so the same rule gives the same answer live, on
// replay, and on a document read back from a store.

import type { SessionDoc, Severity } from '@intransit/shared';
import type { Profile } from './profiles.js';
import type { ServiceMatcher } from './scope.js';

export type Category = 'SEC09-BP01' | 'SEC09-BP02' | 'SEC09-BP03';

/** The AWS Well-Architected pages behind each SEC09 best practice. */
export const SEC09_PAGES: Record<Category, string> = {
  'SEC09-BP01': 'https://docs.aws.amazon.com/wellarchitected/latest/security-pillar/sec_protect_data_transit_key_cert_mgmt.html',
  'SEC09-BP02': 'https://docs.aws.amazon.com/wellarchitected/latest/security-pillar/sec_protect_data_transit_encrypt.html',
  'SEC09-BP03': 'https://docs.aws.amazon.com/wellarchitected/latest/security-pillar/sec_protect_data_transit_authentication.html',
};

/** Everything a rule may consult beside the session document. */
export interface AuditContext {
  readonly profile: Profile;
  /** The session's capture time (`@timestamp`) in ms: certificates are judged then, not now. */
  captureMs: number;
  /** cert-validity-too-long threshold (profile's, or the policy's override). */
  readonly maxValidityDays: number;
  /** cert-expiring-soon threshold. */
  readonly expiringSoonDays: number;
  /** Services the policy says require client certificates (SEC09-BP03). */
  readonly mtlsServices: readonly ServiceMatcher[];
}

/**
 * A rule's answer: null when it does not fire (or has nothing to judge), a message
 * when it fires, or `unobservable` when the session is in the rule's scope but the
 * capture cannot show whether it complies (never counted as a pass).
 */
export type Verdict = null | { message: string; evidence?: Record<string, unknown> } | { unobservable: string };

export interface Rule {
  id: string;
  name: string;
  category: Category;
  severity: Severity;
  /** RFC, NIST publication, Mozilla guideline or AWS page the rule applies. */
  reference: string;
  check(s: SessionDoc, ctx: AuditContext): Verdict;
}

/** `ip:port` of the responder, IPv6 in brackets. */
export function server(s: SessionDoc): string {
  const ip = s.destination.ip;
  return ip.includes(':') ? `[${ip}]:${s.destination.port}` : `${ip}:${s.destination.port}`;
}

/** The responder with its SNI when there is one, for messages. */
export function serverName(s: SessionDoc): string {
  const sni = s.tls?.client?.server_name;
  return sni ? `${server(s)} (${sni})` : server(s);
}

/** The product's TLS facts (intransit.tls), typed loosely: they come from a document. */
export interface TlsFacts {
  version_code?: string;
  key_exchange?: string;
  client?: {
    versions?: string[];
    legacy_version?: string;
    sslv2_hello?: boolean;
    groups?: string[];
    key_share_groups?: string[];
    ech?: boolean;
    truncated?: boolean;
  };
  chain_sha256?: string[];
  chain?: ChainCert[];
  hello_retry?: boolean;
  dh_prime_bits?: number;
  rsa_ephemeral_bits?: number;
  certificate_requested?: boolean;
  client_certificate?: 'none' | 'sent' | 'empty';
  alerts?: { from: string; level?: string; description?: string; encrypted?: boolean }[];
}

export interface ChainCert {
  sha256: string;
  subject?: string;
  issuer?: string;
  not_before?: string;
  not_after?: string;
  public_key_algorithm?: string;
  public_key_size?: number;
  public_key_curve?: string;
  signature_algorithm?: string;
  self_issued?: boolean;
  self_signed?: boolean;
  is_ca?: boolean;
}

export function tlsFacts(s: SessionDoc): TlsFacts | undefined {
  return s.intransit.tls as TlsFacts | undefined;
}

export interface FlowFacts {
  midstream?: boolean;
  gaps?: number;
  snaplen_truncated?: boolean;
  one_direction?: boolean;
}

export function flowFacts(s: SessionDoc): FlowFacts {
  return (s.intransit.flow as FlowFacts | undefined) ?? {};
}
