// JA3 / JA3S (Salesforce, BSD-3): MD5 of the decimal field lists of a ClientHello /
// ServerHello. JA3 = SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats;
// JA3S = SSLVersion,Cipher,Extensions. Values inside a field are '-'-joined, GREASE
// (RFC 8701) is dropped from every list, and the version is the legacy hello version
// (not supported_versions), exactly as the original implementation and Wireshark do.
import { memoHex } from './memo.js';
import type { ClientHello, ServerHello } from '../types.js';
import { isGrease } from '../iana/grease.js';

export interface Ja3 {
  full: string;
  hash: string;
}

function joinNonGrease(values: readonly number[]): string {
  let out = '';
  for (const v of values) {
    if (isGrease(v)) continue;
    out = out.length === 0 ? String(v) : `${out}-${v}`;
  }
  return out;
}

function extensionTypes(exts: ClientHello['extensions']): string {
  let out = '';
  for (const e of exts) {
    if (isGrease(e.type)) continue;
    out = out.length === 0 ? String(e.type) : `${out}-${e.type}`;
  }
  return out;
}

const md5 = memoHex('md5');

export function ja3(ch: ClientHello): Ja3 {
  const full = `${ch.legacyVersion},${joinNonGrease(ch.cipherSuites)},${extensionTypes(ch.extensions)},` +
    `${joinNonGrease(ch.supportedGroups)},${joinNonGrease(ch.ecPointFormats)}`;
  return { full, hash: md5(full) };
}

export function ja3s(sh: ServerHello): Ja3 {
  const full = `${sh.legacyVersion},${sh.cipherSuite},${extensionTypes(sh.extensions)}`;
  return { full, hash: md5(full) };
}
