// Small helpers for building the ECS TLS document (logger.ts and client-part.ts): names of
// code points as the document spells them, and members set only when they carry something.

import { cipherSuiteName, sslv2CipherName } from './iana/ciphers.js';
import { versionInfo } from './iana/versions.js';

export type Doc = Record<string, unknown>;

/** A 16-bit code point as `0x0303`. */
export const hex4 = (v: number): string => `0x${v.toString(16).padStart(4, '0')}`;

/** IANA name of a cipher suite, or of an SSLv2 cipher kind (codes above 0xffff). */
export function cipherName(code: number): string {
  return code > 0xffff ? sslv2CipherName(code) : cipherSuiteName(code);
}

/** `1.2`, `3.0`... of a protocol version code, `unknown-0xNNNN` for others. */
export function versionLabel(code: number): string {
  const v = versionInfo(code);
  return v ? v.version : `unknown-${hex4(code)}`;
}

/** Sets `key` only when the value carries something (no null / undefined / empty string / empty list). */
export function put(o: Doc, key: string, value: unknown): void {
  if (value === null || value === undefined || value === '') return;
  if (Array.isArray(value) && value.length === 0) return;
  o[key] = value;
}

/** f(), or null when it throws (a fingerprint of a malformed hello must not stop the document). */
export function safe<T>(f: () => T): T | null {
  try {
    return f();
  } catch {
    return null;
  }
}
