// SEC09-BP02 rules on the connection as a whole: a cleartext protocol, credentials
// sent in it, a STARTTLS upgrade offered and not taken, cleartext on a port that
// promises TLS.

import type { SessionDoc } from '@intransit/shared';
import { SEC09_PAGES, server, type Rule } from './rule.js';

/** Ports whose registered service is the TLS form of a protocol (or HTTPS by convention). */
export const TLS_PORTS: ReadonlyMap<number, string> = new Map([
  [443, 'https'],
  [465, 'smtps'],
  [563, 'nntps'],
  [636, 'ldaps'],
  [853, 'domain-s (DNS over TLS)'],
  [989, 'ftps-data'],
  [990, 'ftps'],
  [992, 'telnets'],
  [993, 'imaps'],
  [994, 'ircs'],
  [995, 'pop3s'],
  [2376, 'docker over TLS'],
  [3269, 'global catalog over TLS'],
  [5061, 'sips'],
  [5223, 'xmpp over TLS'],
  [5986, 'WinRM over HTTPS'],
  [6443, 'Kubernetes API (HTTPS)'],
  [6697, 'ircs-u'],
  [8443, 'https-alt'],
  [8883, 'secure-mqtt'],
]);

interface Credential {
  kind: string;
  user: string | null;
}

function credentials(s: SessionDoc): Credential[] {
  const c = s.intransit.credentials;
  return Array.isArray(c) ? (c as Credential[]) : [];
}

interface Starttls {
  offered?: boolean;
  used?: boolean;
  offered_by?: 'server' | 'client' | 'both';
}

export const TRANSPORT_RULES: Rule[] = [
  {
    id: 'plaintext-protocol',
    name: 'Cleartext application protocol',
    category: 'SEC09-BP02',
    severity: 3,
    reference: SEC09_PAGES['SEC09-BP02'],
    check: (s) =>
      s.intransit.encrypted === false
        ? { message: `${s.network.protocol} to ${server(s)} carries data in cleartext; use its TLS form.` }
        : null,
  },
  {
    id: 'cleartext-credentials',
    name: 'Credentials sent in cleartext',
    category: 'SEC09-BP02',
    severity: 5,
    reference: SEC09_PAGES['SEC09-BP02'],
    check: (s) => {
      const creds = credentials(s);
      if (creds.length === 0) return null;
      // never the secret: the document only holds `[redacted]` for it anyway
      const what = creds.map((c) => (c.user ? `${c.kind} for user "${c.user}"` : c.kind));
      return {
        message: `${s.network.protocol} to ${server(s)} sent credentials in cleartext (${[...new Set(what)].join(', ')}); rotate them and require TLS.`,
        evidence: { credentials: creds.map((c) => ({ kind: c.kind, user: c.user })) },
      };
    },
  },
  {
    id: 'starttls-not-used',
    name: 'STARTTLS offered but not used',
    category: 'SEC09-BP02',
    severity: 4,
    reference: 'RFC 8314 section 3; ' + SEC09_PAGES['SEC09-BP02'],
    check: (s) => {
      const st = s.intransit.starttls as Starttls | undefined;
      if (!st || !st.offered || st.used) return null;
      if (st.offered_by === 'client') return null; // the server never offered it
      return { message: `${server(s)} offered STARTTLS on ${s.network.protocol} but the client stayed in cleartext; require the upgrade (or the implicit-TLS port).` };
    },
  },
  {
    id: 'plaintext-on-tls-port',
    name: 'Cleartext on a TLS port',
    category: 'SEC09-BP02',
    severity: 4,
    reference: 'RFC 8314 section 7; ' + SEC09_PAGES['SEC09-BP02'],
    check: (s) => {
      if (s.intransit.encrypted !== false) return null;
      const service = TLS_PORTS.get(s.destination.port);
      if (service === undefined) return null;
      return { message: `${s.network.protocol} in cleartext on ${server(s)}, the ${service} port where TLS is expected.` };
    },
  },
];
