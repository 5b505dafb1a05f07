// Policy profiles: which negotiated TLS parameters count as approved
// (tls-cipher-not-approved, the approved-suite KPI) and how long a certificate may be
// valid (cert-validity-too-long). Suites are IANA names; every name here must resolve in
// the parser's cipher table (a unit test checks it, so a typo cannot silently disapprove).

export interface Profile {
  name: string;
  title: string;
  reference: string;
  /** Lowest approved version, contract form ('1.2'); DTLS 1.2 counts as 1.2, DTLS 1.0 as 1.1. */
  minVersion: '1.2' | '1.3';
  approvedCiphers: ReadonlySet<string>;
  /** Smallest finite-field DHE prime the profile approves (0: any size the rules accept). */
  minDhBits: number;
  /** cert-validity-too-long threshold in days. */
  maxValidityDays: number;
}

const TLS13 = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'];

/** The CA/Browser Forum Baseline Requirements limit for publicly trusted TLS certificates. */
export const CABF_MAX_VALIDITY_DAYS = 398;

export const PROFILES: Readonly<Record<string, Profile>> = {
  // AWS Well-Architected SEC09 / the list: TLS 1.2+, the ECDHE-RSA AES suites
  // (OpenSSL names ECDHE-RSA-AES256-GCM-SHA384, ECDHE-RSA-AES128-GCM-SHA256,
  // ECDHE-RSA-AES256-SHA384, ECDHE-RSA-AES128-SHA256) and the TLS 1.3 suites; at most
  // one year of certificate validity.
  'aws-sec09': {
    name: 'aws-sec09',
    title: 'AWS Well-Architected SEC09',
    reference: 'https://docs.aws.amazon.com/wellarchitected/latest/security-pillar/sec_protect_data_transit_encrypt.html',
    minVersion: '1.2',
    approvedCiphers: new Set([
      ...TLS13,
      'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
      'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
      'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384',
      'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256',
    ]),
    minDhBits: 2048,
    maxValidityDays: 365,
  },
  // Mozilla Server Side TLS 5.x "Modern": TLS 1.3 only.
  'mozilla-modern': {
    name: 'mozilla-modern',
    title: 'Mozilla Server Side TLS, modern',
    reference: 'https://wiki.mozilla.org/Security/Server_Side_TLS#Modern_compatibility',
    minVersion: '1.3',
    approvedCiphers: new Set(TLS13),
    minDhBits: 2048,
    maxValidityDays: 366,
  },
  // Mozilla "Intermediate": TLS 1.2+, ECDHE and DHE (ffdhe2048 or larger) with AES-GCM or ChaCha20-Poly1305.
  'mozilla-intermediate': {
    name: 'mozilla-intermediate',
    title: 'Mozilla Server Side TLS, intermediate',
    reference: 'https://wiki.mozilla.org/Security/Server_Side_TLS#Intermediate_compatibility_.28recommended.29',
    minVersion: '1.2',
    approvedCiphers: new Set([
      ...TLS13,
      'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
      'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
      'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
      'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
      'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
      'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
      'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256',
      'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384',
      'TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
    ]),
    minDhBits: 2048,
    maxValidityDays: 366,
  },
  // NIST SP 800-52 Rev. 2, section 3.3.1: TLS 1.2 ephemeral (EC)DHE suites with AES
  // (GCM, CCM, CBC) for ECDSA and RSA certificates, and the TLS 1.3 AES suites (no ChaCha20).
  'nist-800-52r2': {
    name: 'nist-800-52r2',
    title: 'NIST SP 800-52 Rev. 2',
    reference: 'NIST SP 800-52 Rev. 2, section 3.3.1',
    minVersion: '1.2',
    approvedCiphers: new Set([
      'TLS_AES_128_GCM_SHA256',
      'TLS_AES_256_GCM_SHA384',
      'TLS_AES_128_CCM_SHA256',
      'TLS_AES_128_CCM_8_SHA256',
      // ECDSA certificates (3.3.1.1.1)
      'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
      'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
      'TLS_ECDHE_ECDSA_WITH_AES_128_CCM',
      'TLS_ECDHE_ECDSA_WITH_AES_256_CCM',
      'TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8',
      'TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8',
      'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256',
      'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384',
      'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA',
      'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA',
      // RSA certificates (3.3.1.1.2)
      'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
      'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
      'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256',
      'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384',
      'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA',
      'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA',
      'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256',
      'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384',
      'TLS_DHE_RSA_WITH_AES_128_CCM',
      'TLS_DHE_RSA_WITH_AES_256_CCM',
      'TLS_DHE_RSA_WITH_AES_128_CCM_8',
      'TLS_DHE_RSA_WITH_AES_256_CCM_8',
      'TLS_DHE_RSA_WITH_AES_128_CBC_SHA256',
      'TLS_DHE_RSA_WITH_AES_256_CBC_SHA256',
      'TLS_DHE_RSA_WITH_AES_128_CBC_SHA',
      'TLS_DHE_RSA_WITH_AES_256_CBC_SHA',
    ]),
    minDhBits: 2048,
    maxValidityDays: CABF_MAX_VALIDITY_DAYS,
  },
};

export const DEFAULT_PROFILE: Profile = PROFILES['aws-sec09'];

export const PROFILE_NAMES: readonly string[] = Object.keys(PROFILES);

export function profileByName(name: string): Profile | undefined {
  return Object.prototype.hasOwnProperty.call(PROFILES, name) ? PROFILES[name] : undefined;
}

const VERSION_ORDER = ['2.0', '3.0', '1.0', '1.1', '1.2', '1.3'];

/** True when `version` (contract form: '1.2', '3.0' for SSL 3...) is at least `min`. */
export function versionAtLeast(version: string, min: string): boolean {
  const v = VERSION_ORDER.indexOf(version);
  const m = VERSION_ORDER.indexOf(min);
  return v >= 0 && m >= 0 && v >= m;
}
