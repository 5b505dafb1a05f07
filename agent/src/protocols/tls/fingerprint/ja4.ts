// JA4 TLS client fingerprint (FoxIO, JA4 is BSD-3-Clause; only JA4 itself is implemented
// here, none of the FoxIO-licensed JA4+ methods). Layout (technical_details/JA4.md):
//   a = <t|q|d><version><d|i><nn ciphers><nn extensions><alpn first+last>
//   b = sha256[0..12] of the sorted 4-hex cipher list
//   c = sha256[0..12] of "<sorted extensions without SNI and ALPN>_<signature algorithms>"
// GREASE is dropped everywhere; an empty list hashes to "000000000000"; without signature
// algorithms c hashes the extension list alone (no trailing '_').
//
// ALPN characters. The published spec (2026) says: when the first or last byte of the first
// ALPN value is not ASCII alphanumeric, print the first and last hex digits of the whole
// value. FoxIO's reference implementations (Rust and Python, whose outputs the conformance
// corpus holds) instead keep any ASCII character and print '9' for a non-ASCII one, and a
// one-character value yields "<c>0". Default mode 'reference' reproduces them (corpus
// tls-non-ascii-alpn.pcapng: ALPN 0xba 0xad → "99"); mode 'spec' follows the text ("bd").
// ALPN strings are read one char code per byte: the parser should decode them as latin1.
// (A UTF-8-decoded value still gets the '9' decision right, its length may differ.)
//
// Version: highest non-GREASE supported_versions entry, else the hello's legacy version.
// "Highest" is numeric for TLS, as the reference implementations compare; for DTLS, whose
// codes count down (0xfefc = 1.3), the newest version is taken instead.
import { memoHex } from './memo.js';
import type { ClientHello } from '../types.js';
import { isGrease } from '../iana/grease.js';

export type Ja4Transport = 't' | 'q' | 'd';
export interface Ja4Options {
  alpn?: 'reference' | 'spec';
}

const EXT_SNI = 0x0000;
const EXT_ALPN = 0x0010;
const EXT_SUPPORTED_VERSIONS = 0x002b;

const VERSION_CODE = new Map<number, string>([
  [0x0304, '13'], [0x0303, '12'], [0x0302, '11'], [0x0301, '10'], [0x0300, 's3'], [0x0002, 's2'],
  [0xfeff, 'd1'], [0xfefd, 'd2'], [0xfefc, 'd3'],
]);
const DTLS_ORDER = [0xfefc, 0xfefd, 0xfeff]; // newest first

function pickVersion(ch: ClientHello, transport: Ja4Transport): number {
  let hasExt = false;
  for (const e of ch.extensions) if (e.type === EXT_SUPPORTED_VERSIONS) hasExt = true;
  if (!hasExt) return ch.legacyVersion;
  const dtls = transport === 'd' || ch.format === 'dtls';
  let best = -1;
  for (const v of ch.supportedVersions) {
    if (isGrease(v)) continue;
    if (best < 0) best = v;
    else if (dtls) {
      const rv = DTLS_ORDER.indexOf(v);
      const rb = DTLS_ORDER.indexOf(best);
      if (rv >= 0 && (rb < 0 || rv < rb)) best = v;
    } else if (v > best) best = v;
  }
  return best < 0 ? ch.legacyVersion : best;
}

const isAlnum = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const HEX = '0123456789abcdef';

function alpnChars(ch: ClientHello, mode: 'reference' | 'spec'): string {
  const v = ch.alpn.length > 0 ? ch.alpn[0]! : '';
  if (v.length === 0) return '00';
  const first = v.charCodeAt(0) & 0xff;
  const last = v.charCodeAt(v.length - 1) & 0xff;
  if (mode === 'spec') {
    if (isAlnum(first) && isAlnum(last)) return String.fromCharCode(first, last); // 1 char: twice
    return HEX[first >> 4]! + HEX[last & 15]!;
  }
  const ref = (c: number): string => (c < 0x80 ? String.fromCharCode(c) : '9');
  return ref(v.charCodeAt(0)) + (v.length > 1 ? ref(v.charCodeAt(v.length - 1)) : '0');
}

const hex4 = (n: number): string => n.toString(16).padStart(4, '0');
const count2 = (n: number): string => (n > 99 ? 99 : n).toString().padStart(2, '0');

const sha256 = memoHex('sha256');

function hash12(s: string): string {
  if (s.length === 0) return '000000000000';
  return sha256(s).slice(0, 12);
}

interface Parts {
  a: string;
  ciphers: string;
  extsSigs: string;
  /** No extension besides SNI and ALPN: c is all zeros, in JA4_o too (FoxIO Python). */
  noHashedExts: boolean;
}

function parts(ch: ClientHello, transport: Ja4Transport, original: boolean, opts: Ja4Options | undefined): Parts {
  const ciphers: number[] = [];
  for (const c of ch.cipherSuites) if (!isGrease(c)) ciphers.push(c);
  const exts: number[] = [];
  let nExt = 0;
  let sni = false;
  let others = 0;
  for (const e of ch.extensions) {
    if (isGrease(e.type)) continue;
    nExt++;
    if (e.type === EXT_SNI) sni = true;
    else if (e.type !== EXT_ALPN) others++;
    if (!original && (e.type === EXT_SNI || e.type === EXT_ALPN)) continue;
    exts.push(e.type);
  }
  const sigs: string[] = [];
  for (const s of ch.signatureAlgorithms) if (!isGrease(s)) sigs.push(hex4(s));
  if (!original) {
    ciphers.sort((x, y) => x - y);
    exts.sort((x, y) => x - y);
  }
  const version = VERSION_CODE.get(pickVersion(ch, transport)) ?? '00';
  const a = `${transport}${version}${sni ? 'd' : 'i'}${count2(ciphers.length)}${count2(nExt)}${alpnChars(ch, opts?.alpn ?? 'reference')}`;
  const extList = exts.map(hex4).join(',');
  const sigList = sigs.join(',');
  return {
    a, ciphers: ciphers.map(hex4).join(','), extsSigs: sigList.length > 0 ? `${extList}_${sigList}` : extList,
    noHashedExts: others === 0,
  };
}

function hashed(p: Parts): string {
  // Spec: "If there are no extensions in the sorted extensions list [SNI and ALPN removed],
  // then JA4_c = 000000000000" — whatever the signature list, and for JA4_o as well.
  const c = p.noHashedExts ? '000000000000' : hash12(p.extsSigs);
  return `${p.a}_${hash12(p.ciphers)}_${c}`;
}

/** JA4 fingerprint, e.g. "t13d1516h2_8daaf6152771_e5627efa2ab1". */
export function ja4(ch: ClientHello, transport: Ja4Transport, opts?: Ja4Options): string {
  return hashed(parts(ch, transport, false, opts));
}

/** JA4_o: like ja4 but hashing the lists in wire order, SNI and ALPN kept. */
export function ja4Original(ch: ClientHello, transport: Ja4Transport, opts?: Ja4Options): string {
  return hashed(parts(ch, transport, true, opts));
}

/** JA4_r (sorted) or, with `original`, JA4_ro (wire order, SNI and ALPN kept). */
export function ja4Raw(ch: ClientHello, transport: Ja4Transport, original = false, opts?: Ja4Options): string {
  const p = parts(ch, transport, original, opts);
  return `${p.a}_${p.ciphers}_${p.extsSigs}`;
}
