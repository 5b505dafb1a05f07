// Rules judge a finished session from its parsed state only (the session document):
// they never see packets. Each rule has a stable id, a SEC09 category, a reference
// and a severity; `evaluate` returns the rules that fire with a message naming the
// offending value.

import type { SessionDoc, Severity } from '@intransit/shared';
import { cipherSuiteInfoByName } from './cipher-facts.js';

export interface Rule {
  id: string;
  name: string;
  category: 'SEC09-BP01' | 'SEC09-BP02' | 'SEC09-BP03';
  severity: Severity;
  reference: string;
  check(s: SessionDoc): string | null; // message when the rule fires
}

const where = (s: SessionDoc): string => `${s.destination.ip}:${s.destination.port}`;

export const RULES: Rule[] = [
  {
    id: 'plaintext-protocol',
    name: 'Cleartext application protocol',
    category: 'SEC09-BP02',
    severity: 3,
    reference: 'https://docs.aws.amazon.com/wellarchitected/latest/security-pillar/sec_protect_data_transit_encrypt.html',
    check: (s) =>
      s.intransit.encrypted === false ? `${s.network.protocol} to ${where(s)} carries data in cleartext; use its TLS form.` : null,
  },
  {
    id: 'tls-deprecated-version',
    name: 'Deprecated TLS/SSL version negotiated',
    category: 'SEC09-BP02',
    severity: 4,
    reference: 'RFC 8996',
    check: (s) => {
      const t = s.tls;
      if (!t?.version) return null;
      const deprecated =
        t.version_protocol === 'ssl' || (t.version_protocol === 'tls' && (t.version === '1.0' || t.version === '1.1')) || (t.version_protocol === 'dtls' && t.version === '1.0');
      return deprecated ? `${where(s)} negotiated ${t.version_protocol === 'ssl' ? 'SSL' : (t.version_protocol ?? 'tls').toUpperCase()} ${t.version}; require TLS 1.2 or later.` : null;
    },
  },
  {
    id: 'tls-weak-cipher',
    name: 'Weak cipher suite negotiated',
    category: 'SEC09-BP02',
    severity: 4,
    reference: 'RFC 7465, RFC 9325 section 4.1',
    check: (s) => {
      const c = s.tls?.cipher;
      if (!c) return null;
      const info = cipherSuiteInfoByName(c);
      const weak = info ? info.weakReasons : [];
      return weak.length ? `${where(s)} negotiated ${c} (${weak.join(', ')}).` : null;
    },
  },
  {
    id: 'tls-no-forward-secrecy',
    name: 'Key exchange without forward secrecy',
    category: 'SEC09-BP02',
    severity: 3,
    reference: 'RFC 9325 section 4.1',
    check: (s) => {
      const c = s.tls?.cipher;
      if (!c) return null;
      const info = cipherSuiteInfoByName(c);
      return info && info.forwardSecret === false ? `${where(s)} negotiated ${c}, whose key exchange (${info.kx}) has no forward secrecy.` : null;
    },
  },
];

export interface Firing {
  rule: Rule;
  message: string;
}

export function evaluate(s: SessionDoc, rules: Rule[] = RULES): Firing[] {
  const out: Firing[] = [];
  for (const rule of rules) {
    const message = rule.check(s);
    if (message !== null) out.push({ rule, message });
  }
  return out;
}
