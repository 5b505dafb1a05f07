// SEC09-BP02 rules on the negotiated TLS parameters: version, suite, key exchange,
// the client's offer, SNI, handshake outcome, post-quantum readiness. They read
// tls.* and intransit.tls.* only, and stay silent when the value they judge was not seen.

import type { SessionDoc } from '@intransit/shared';
import { cipherInfo, groupByName, offeredVersionRank, versionName, versionRank, weakCipherReasons } from './cipher-facts.js';
import { serverName, tlsFacts, type Rule } from './rule.js';

const RFC8996 = 'RFC 8996';

/** Negotiated version rank (see versionRank), -1 when no ServerHello was seen. */
function negotiatedRank(s: SessionDoc): number {
  return versionRank(s.tls?.version_protocol, s.tls?.version);
}

function isDtls(s: SessionDoc): boolean {
  return s.tls?.version_protocol === 'dtls' || s.network.protocol === 'dtls';
}

/** Every post-quantum group the client named (key shares first), without repeats. */
function offeredPqGroups(s: SessionDoc): string[] {
  const c = tlsFacts(s)?.client;
  if (!c) return [];
  const out = new Set<string>();
  for (const n of [...(c.key_share_groups ?? []), ...(c.groups ?? [])]) if (groupByName(n)?.pq) out.add(n);
  return [...out];
}

export const TLS_RULES: Rule[] = [
  {
    id: 'tls-deprecated-version',
    name: 'Deprecated TLS/SSL version negotiated',
    category: 'SEC09-BP02',
    severity: 4,
    reference: RFC8996,
    check: (s) => {
      const r = negotiatedRank(s);
      if (r < 0 || r >= 4) return null;
      return { message: `${serverName(s)} negotiated ${versionName(s.tls!.version_protocol, s.tls!.version!)}, deprecated by RFC 8996; require TLS 1.2 or later.` };
    },
  },
  {
    id: 'tls-client-legacy-offer',
    name: 'Client offers versions below TLS 1.2',
    category: 'SEC09-BP02',
    severity: 2,
    reference: RFC8996,
    check: (s) => {
      const c = tlsFacts(s)?.client;
      if (!c?.versions) return null;
      const dtls = isDtls(s);
      // without supported_versions the list holds only the client's maximum: below 1.2 means
      // everything it offers is legacy; with it, every listed legacy version is offered
      const old = c.versions.filter((v) => {
        const r = offeredVersionRank(v, dtls);
        return r >= 0 && r < 4;
      });
      if (old.length === 0) return null;
      const names = old.map((v) => versionName(dtls ? 'dtls' : v === '2.0' || v === '3.0' ? 'ssl' : 'tls', v));
      const form = c.sslv2_hello ? ' in an SSLv2-compatible ClientHello' : '';
      return { message: `client ${s.source.ip} offers ${names.join(', ')}${form} to ${serverName(s)}; disable versions below TLS 1.2 in its TLS library.` };
    },
  },
  {
    id: 'tls-weak-cipher',
    name: 'Weak cipher suite negotiated',
    category: 'SEC09-BP02',
    severity: 4,
    reference: 'RFC 9325 section 4.1; RFC 7465',
    check: (s) => {
      const c = s.tls?.cipher;
      const info = c ? cipherInfo(c) : undefined;
      if (!info) return null;
      const weak = weakCipherReasons(info);
      return weak.length ? { message: `${serverName(s)} negotiated ${c} (${weak.join(', ')}); allow only AEAD suites with ephemeral key exchange.` } : null;
    },
  },
  {
    id: 'tls-no-forward-secrecy',
    name: 'Key exchange without forward secrecy',
    category: 'SEC09-BP02',
    severity: 3,
    reference: 'RFC 9325 section 4.1; NIST SP 800-52 Rev. 2 section 3.3.1',
    check: (s) => {
      const c = s.tls?.cipher;
      const info = c ? cipherInfo(c) : undefined;
      if (!info) return null;
      if (info.kx === 'TLS13') {
        // psk_ke resumption: the traffic keys derive from the PSK alone
        if (tlsFacts(s)?.key_exchange !== 'psk') return null;
        return { message: `${serverName(s)} resumed TLS 1.3 with a PSK and no (EC)DHE share (psk_ke); require psk_dhe_ke.` };
      }
      if (info.forwardSecrecy) return null;
      return { message: `${serverName(s)} negotiated ${c}, whose ${info.kx} key exchange has no forward secrecy; prefer ECDHE or DHE suites.` };
    },
  },
  {
    id: 'tls-cipher-not-approved',
    name: 'Negotiated parameters not approved by the profile',
    category: 'SEC09-BP02',
    severity: 2,
    reference: 'https://docs.aws.amazon.com/wellarchitected/latest/security-pillar/sec_protect_data_transit_encrypt.html',
    check: (s, ctx) => {
      const t = s.tls;
      if (!t?.version || !t.cipher) return null;
      const p = ctx.profile;
      const why: string[] = [];
      const rank = negotiatedRank(s);
      if (rank >= 0 && rank < (p.minVersion === '1.3' ? 5 : 4)) why.push(`${versionName(t.version_protocol, t.version)} is below its minimum TLS ${p.minVersion}`);
      if (!p.approvedCiphers.has(t.cipher)) why.push(`${t.cipher} is not on its list`);
      const dh = tlsFacts(s)?.dh_prime_bits;
      const ff = t.curve ? groupByName(t.curve) : undefined;
      const dhBits = dh ?? (ff?.kind === 'ff' ? ff.bits : 0);
      if (dhBits > 0 && dhBits < p.minDhBits) why.push(`its DHE group has ${dhBits} bits, below ${p.minDhBits}`);
      if (why.length === 0) return null;
      return { message: `${serverName(s)}: profile ${p.name} does not approve this session: ${why.join('; ')}.` };
    },
  },
  {
    id: 'tls-weak-dh',
    name: 'Weak Diffie-Hellman group',
    category: 'SEC09-BP02',
    severity: 3,
    reference: 'RFC 7919; NIST SP 800-52 Rev. 2 section 3.3.1.1; Logjam (weakdh.org)',
    check: (s) => {
      const bits = tlsFacts(s)?.dh_prime_bits;
      if (bits !== undefined && bits > 0 && bits < 2048) return { message: `${serverName(s)} used a ${bits}-bit DHE prime; use ffdhe2048 or larger, or ECDHE.` };
      const curve = s.tls?.curve;
      const g = curve ? groupByName(curve) : undefined;
      if (g && g.bits > 0 && ((g.kind === 'ec' && g.bits < 224) || (g.kind === 'ff' && g.bits < 2048)))
        return { message: `${serverName(s)} used key-exchange group ${curve} (${g.bits} bits); use x25519, secp256r1 or larger.` };
      return null;
    },
  },
  {
    id: 'tls-missing-sni',
    name: 'ClientHello without SNI',
    category: 'SEC09-BP02',
    severity: 2,
    reference: 'RFC 6066 section 3; RFC 9325 section 3.6',
    check: (s) => {
      const c = tlsFacts(s)?.client;
      if (!c || c.truncated || s.tls?.client?.server_name) return null;
      return { message: `client ${s.source.ip} sent no server_name (SNI) to ${serverName(s)}: the server cannot pick the right certificate and the client's name check has nothing to match.` };
    },
  },
  {
    id: 'tls-handshake-failed',
    name: 'TLS handshake failed with an alert',
    category: 'SEC09-BP02',
    severity: 2,
    reference: 'RFC 8446 section 6.2; RFC 5246 section 7.2.2',
    check: (s) => {
      if (!s.tls || s.tls.established !== false) return null;
      const alert = (tlsFacts(s)?.alerts ?? []).find((a) => a.level === 'fatal' || a.encrypted);
      if (!alert) return null;
      const what = alert.encrypted ? 'an encrypted alert' : `a fatal ${alert.description ?? 'unknown'} alert`;
      return { message: `handshake with ${serverName(s)} failed before completion: the ${alert.from} sent ${what}.` };
    },
  },
  {
    id: 'tls-pq-not-negotiated',
    name: 'No post-quantum key exchange',
    category: 'SEC09-BP02',
    severity: 1,
    reference: 'draft-ietf-tls-ecdhe-mlkem; NIST FIPS 203',
    check: (s) => {
      const t = s.tls;
      if (!t?.version) return null;
      const it = tlsFacts(s);
      // PSK-only (TLS 1.3 psk_ke) or TLS <= 1.2 abbreviated resumption: no key exchange took place
      if (it?.key_exchange === 'psk' || (t.resumed && !t.curve)) return null;
      const g = t.curve ? groupByName(t.curve) : undefined;
      if (g?.pq) return null;
      const kx = t.curve ?? it?.key_exchange ?? t.cipher ?? 'unknown';
      const offered = offeredPqGroups(s);
      if (offered.length > 0)
        return { message: `${serverName(s)} chose classical key exchange ${kx} although the client offered ${offered.join(', ')}: the server declined post-quantum key exchange.` };
      return { message: `${serverName(s)} used classical key exchange only (${kx}); neither side offered a post-quantum hybrid such as X25519MLKEM768.` };
    },
  },
];
