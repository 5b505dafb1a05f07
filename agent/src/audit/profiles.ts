// Policy profiles: which TLS versions and cipher suites count as approved. The
// default, aws-sec09, follows the AWS Well-Architected SEC09 guidance: TLS 1.2+
// with the recommended forward-secret AEAD/SHA-2 suites, plus the TLS 1.3 suites.

export interface Profile {
  name: string;
  minVersion: string; // lowest approved TLS version, e.g. '1.2'
  approvedCiphers: ReadonlySet<string>; // IANA names
}

const TLS13 = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'];

export const PROFILES: Record<string, Profile> = {
  'aws-sec09': {
    name: 'aws-sec09',
    minVersion: '1.2',
    approvedCiphers: new Set([
      ...TLS13,
      'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
      'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
      'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384',
      'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256',
    ]),
  },
};

export const DEFAULT_PROFILE = PROFILES['aws-sec09'];

const VERSION_ORDER = ['2.0', '3.0', '1.0', '1.1', '1.2', '1.3'];

/** True when `version` (contract form: '1.2', '3.0' for SSL 3...) is at least `min`. */
export function versionAtLeast(version: string, min: string): boolean {
  const v = VERSION_ORDER.indexOf(version);
  const m = VERSION_ORDER.indexOf(min);
  return v >= 0 && m >= 0 && v >= m;
}
