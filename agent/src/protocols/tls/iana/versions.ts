// Protocol version code points (record layer, client_version, supported_versions).
// TLS 1.3 drafts were negotiated as 0x7f00 | draft (RFC 8446 §4.2.1 history); DTLS counts
// down from 0xfeff (RFC 6347, 9147); 0x0100 is OpenSSL's pre-RFC DTLS (DTLS1_BAD_VER,
// used by Cisco AnyConnect).

export interface VersionInfo {
  protocol: 'tls' | 'ssl' | 'dtls';
  /** '2.0' / '3.0' for SSL, '1.0'..'1.3' for TLS and DTLS. */
  version: string;
  /** TLS 1.3 draft number for 0x7fNN, absent otherwise. */
  draft?: number;
}

const KNOWN = new Map<number, VersionInfo>([
  [0x0002, { protocol: 'ssl', version: '2.0' }],
  [0x0300, { protocol: 'ssl', version: '3.0' }],
  [0x0301, { protocol: 'tls', version: '1.0' }],
  [0x0302, { protocol: 'tls', version: '1.1' }],
  [0x0303, { protocol: 'tls', version: '1.2' }],
  [0x0304, { protocol: 'tls', version: '1.3' }],
  [0x0100, { protocol: 'dtls', version: '1.0' }],
  [0xfeff, { protocol: 'dtls', version: '1.0' }],
  [0xfefd, { protocol: 'dtls', version: '1.2' }],
  [0xfefc, { protocol: 'dtls', version: '1.3' }],
]);

/** What a version code means; undefined for unknown codes (GREASE included). */
export function versionInfo(code: number): VersionInfo | undefined {
  const known = KNOWN.get(code);
  if (known) return known;
  if (code >>> 8 === 0x7f && (code & 0xff) > 0) return { protocol: 'tls', version: '1.3', draft: code & 0xff };
  return undefined;
}

/** Display name: 'SSL 3.0', 'TLS 1.2', 'TLS 1.3 draft 23', 'DTLS 1.2'; `unknown-0xNNNN`. */
export function versionName(code: number): string {
  const v = versionInfo(code);
  if (!v) return `unknown-0x${(code & 0xffff).toString(16).padStart(4, '0')}`;
  const base = `${v.protocol.toUpperCase()} ${v.version}`;
  return v.draft === undefined ? base : `${base} draft ${v.draft}`;
}

/** Orders versions by protocol generation (DTLS codes count down, so the numeric code
 * cannot be compared directly). Higher = newer; 0 for unknown codes. */
export function versionRank(code: number): number {
  const v = versionInfo(code);
  if (!v) return 0;
  const [major, minor] = v.version.split('.').map(Number) as [number, number];
  // SSL 2.0 → 20, SSL 3.0 → 30, TLS/DTLS 1.x → 31 + x; drafts rank just below the RFC.
  const base = v.protocol === 'ssl' ? major * 10 : 31 + minor;
  return v.draft === undefined ? base * 1000 : base * 1000 - 1000 + v.draft;
}
