// What the rules need to know about the negotiated parameters, read from the names a
// session document carries: the suite's properties come from the TLS parser's IANA
// tables (one source of truth for names and properties), groups likewise.

import { cipherSuiteInfoByName, type CipherInfo } from '../protocols/tls/iana/ciphers.js';
import { groupInfo, type GroupInfo } from '../protocols/tls/iana/groups.js';

export type { CipherInfo, GroupInfo };

export function cipherInfo(name: string): CipherInfo | undefined {
  return cipherSuiteInfoByName(name);
}

/**
 * Why a suite is weak (empty when it is not): no encryption, no authentication,
 * export grade, broken or 64-bit-block ciphers (RFC 7465 RC4, Sweet32 3DES/IDEA/RC2,
 * single DES), MD5 record MAC. RFC 9325 section 4.1 forbids every one of these.
 */
export function weakCipherReasons(info: CipherInfo): string[] {
  const why: string[] = [];
  const enc = info.enc;
  if (info.kx === 'NULL') why.push('no key exchange');
  if (enc === 'NULL') why.push('NULL encryption');
  if (info.auth === 'anon') why.push('anonymous key exchange');
  if (info.export) why.push('EXPORT grade');
  if (enc.startsWith('RC4')) why.push('RC4');
  if (enc.startsWith('3DES') || enc.startsWith('DES_192_EDE3')) why.push('3DES');
  else if (enc.startsWith('DES')) why.push('single DES');
  if (enc.startsWith('RC2')) why.push('RC2');
  if (enc.startsWith('IDEA')) why.push('IDEA');
  if (info.mac === 'MD5') why.push('MD5 MAC');
  return why;
}

const GROUPS = new Map<string, GroupInfo>();
for (let code = 0; code <= 0xffff; code++) {
  const g = groupInfo(code);
  if (g) GROUPS.set(g.name, g);
}

/** Properties of a key-exchange group given its registry name (`x25519`, `ffdhe2048`, ...). */
export function groupByName(name: string): GroupInfo | undefined {
  return GROUPS.get(name);
}

/**
 * Rank of a negotiated version on one scale for TLS, SSL and DTLS: SSL 2 = 0, SSL 3 = 1,
 * TLS 1.0 = 2, 1.1 = 3, 1.2 = 4, 1.3 = 5; DTLS 1.0 is TLS 1.1, DTLS 1.2 / 1.3 are TLS
 * 1.2 / 1.3 (RFC 6347, 9147). -1 when unknown.
 */
export function versionRank(protocol: string | undefined, version: string | undefined): number {
  if (version === undefined) return -1;
  if (protocol === 'ssl') return version === '2.0' ? 0 : version === '3.0' ? 1 : -1;
  if (protocol === 'dtls') return version === '1.0' ? 3 : version === '1.2' ? 4 : version === '1.3' ? 5 : -1;
  const r = ['1.0', '1.1', '1.2', '1.3'].indexOf(version);
  if (r >= 0) return r + 2;
  return version === '2.0' ? 0 : version === '3.0' ? 1 : -1;
}

/** Rank of an offered version as `intransit.tls.client.versions` lists it ('1.2', '3.0'): DTLS offers when `dtls`. */
export function offeredVersionRank(label: string, dtls: boolean): number {
  return dtls ? versionRank('dtls', label) : versionRank('tls', label);
}

/** Human name of a negotiated version: `TLS 1.0`, `SSL 3.0`, `DTLS 1.2`. */
export function versionName(protocol: string | undefined, version: string): string {
  return `${protocol === 'ssl' ? 'SSL' : protocol === 'dtls' ? 'DTLS' : 'TLS'} ${version}`;
}
