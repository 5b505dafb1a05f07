// Cipher suite names and properties. Names come from the IANA registry (cipher-table.ts)
// plus the non-registry code points Zeek also names; the properties (key exchange,
// authentication, bulk cipher, MAC) are derived from the name's grammar
// TLS_<kx>[_<auth>][_EXPORT]_WITH_<enc>_<mac>, so every suite is described by the same
// rules rather than by a hand-filled column that could drift.
import { EXTRA_CIPHER_SUITES, IANA_CIPHER_SUITES } from './cipher-table.js';

export interface CipherInfo {
  name: string;
  /** Key exchange: 'ECDHE','DHE','RSA','DH','ECDH','PSK','ECDHE_PSK','DHE_PSK','RSA_PSK',
   * 'SRP','KRB5','NULL','TLS13','GOSTR341112_256','GOSTR341094','GOSTR341001','ECCPWD',
   * 'CECPQ1','FORTEZZA_KEA'. 'TLS13' = negotiated separately (key_share / psk modes). */
  kx: string;
  /** Server authentication: 'RSA','ECDSA','DSS','anon','PSK','NULL','KRB5','SRP','ECCPWD',
   * 'GOSTR341112_256','GOSTR341094','GOSTR341001','FORTEZZA', or 'TLS13' (by certificate). */
  auth: string;
  /** Bulk cipher as the name spells it: 'AES_128_GCM','CHACHA20_POLY1305','3DES_EDE_CBC',
   * 'RC4_128','RC4_40','DES40_CBC','DES_CBC_40','NULL','SM4_GCM','KUZNYECHIK_MGM_L', ... */
  enc: string;
  /** Record MAC: 'SHA' (SHA-1),'SHA256','SHA384','MD5','RMD','IMIT','OMAC','GOSTR3411',
   * 'NULL', or 'AEAD' for AEAD ciphers (see prfHash for their handshake hash). */
  mac: string;
  /** Hash named at the end of an AEAD / TLS 1.3 suite (PRF / HKDF hash), e.g. 'SHA256'. */
  prfHash?: string;
  /** Export-grade (40/56-bit era) suite: EXPORT / EXPORT1024 / SSLv2 EXPORT40. */
  export: boolean;
  /** Effective symmetric key strength in bits (3DES counted as 112, NULL as 0). */
  encKeyBits: number;
  aead: boolean;
  /** Ephemeral key agreement (forward secrecy when the suite is used as named). */
  forwardSecrecy: boolean;
  /** Lowest protocol version the suite is defined for: 0x0303 for SHA-2/AEAD TLS 1.2
   * suites, 0x0304 for TLS 1.3 suites; absent when usable from SSL 3.0 / TLS 1.0. */
  minVersion?: number;
}

function parseTable(text: string, into: Map<number, string>): void {
  for (const line of text.split('\n')) {
    if (line.length < 6) continue;
    into.set(parseInt(line.slice(0, 4), 16), line.slice(5));
  }
}

const NAMES = new Map<number, string>();
parseTable(IANA_CIPHER_SUITES, NAMES);
parseTable(EXTRA_CIPHER_SUITES, NAMES);

const HEX4 = (code: number): string => code.toString(16).padStart(4, '0');

/** Registry name of a 16-bit cipher suite; `unknown-0xNNNN` (lowercase) otherwise
 * (GREASE values included: they are reserved, not suites). */
export function cipherSuiteName(code: number): string {
  return NAMES.get(code) ?? `unknown-0x${HEX4(code & 0xffff)}`;
}

/** True when the code point is a known suite (registry or well-known legacy). */
export function isKnownCipherSuite(code: number): boolean {
  return NAMES.has(code);
}

/** Signalling values that ride in the cipher list but select nothing (RFC 5746, 7507). */
export function isSignalingCipherSuite(code: number): boolean {
  return code === 0x00ff || code === 0x5600;
}

// SSLv2 CIPHER-KINDs (3 bytes). Kinds whose first byte is 0 are TLS suites.
const SSLV2_NAMES = new Map<number, string>([
  [0x010080, 'SSL_CK_RC4_128_WITH_MD5'],
  [0x020080, 'SSL_CK_RC4_128_EXPORT40_WITH_MD5'],
  [0x030080, 'SSL_CK_RC2_128_CBC_WITH_MD5'],
  [0x040080, 'SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5'],
  [0x050080, 'SSL_CK_IDEA_128_CBC_WITH_MD5'],
  [0x060040, 'SSL_CK_DES_64_CBC_WITH_MD5'],
  [0x0700c0, 'SSL_CK_DES_192_EDE3_CBC_WITH_MD5'],
  [0x080080, 'SSL_CK_RC4_64_WITH_MD5'],
]);

/** Name of an SSLv2 3-byte cipher kind (TLS names for 0x00xxxx kinds); unknown →
 * `unknown-0xNNNNNN`. Zeek spells these `SSLv20_CK_...`; we keep the SSL 2.0 spec's names. */
export function sslv2CipherName(code: number): string {
  if (code >>> 16 === 0) return cipherSuiteName(code);
  return SSLV2_NAMES.get(code) ?? `unknown-0x${code.toString(16).padStart(6, '0')}`;
}

// Key-exchange part (between the TLS_/SSL_ prefix and _WITH_) → [kx, auth].
const KX_AUTH: Record<string, [string, string]> = {
  NULL: ['NULL', 'NULL'],
  RSA: ['RSA', 'RSA'],
  RSA_FIPS: ['RSA', 'RSA'],
  DH_DSS: ['DH', 'DSS'],
  DH_RSA: ['DH', 'RSA'],
  DHE_DSS: ['DHE', 'DSS'],
  DHE_RSA: ['DHE', 'RSA'],
  DH_anon: ['DH', 'anon'],
  ECDH_ECDSA: ['ECDH', 'ECDSA'],
  ECDH_RSA: ['ECDH', 'RSA'],
  ECDHE_ECDSA: ['ECDHE', 'ECDSA'],
  ECDHE_RSA: ['ECDHE', 'RSA'],
  ECDH_anon: ['ECDH', 'anon'],
  KRB5: ['KRB5', 'KRB5'],
  PSK: ['PSK', 'PSK'],
  DHE_PSK: ['DHE_PSK', 'PSK'],
  PSK_DHE: ['DHE_PSK', 'PSK'], // RFC 6655 spells 0xC0AA/0xC0AB this way round
  RSA_PSK: ['RSA_PSK', 'RSA'],
  ECDHE_PSK: ['ECDHE_PSK', 'PSK'],
  SRP_SHA: ['SRP', 'SRP'],
  SRP_SHA_RSA: ['SRP', 'RSA'],
  SRP_SHA_DSS: ['SRP', 'DSS'],
  ECCPWD: ['ECCPWD', 'ECCPWD'],
  GOSTR341112_256: ['GOSTR341112_256', 'GOSTR341112_256'],
  GOSTR341094: ['GOSTR341094', 'GOSTR341094'],
  GOSTR341001: ['GOSTR341001', 'GOSTR341001'],
  CECPQ1_RSA: ['CECPQ1', 'RSA'],
  CECPQ1_ECDSA: ['CECPQ1', 'ECDSA'],
  FORTEZZA_KEA: ['FORTEZZA_KEA', 'FORTEZZA'],
};

// Key exchanges whose secret comes from ephemeral keys. Anonymous (EC)DH is ephemeral by
// construction (no certificate to hold a static key); SRP and ECCPWD use fresh exponents.
const EPHEMERAL_KX = new Set(['DHE', 'ECDHE', 'DHE_PSK', 'ECDHE_PSK', 'TLS13', 'SRP', 'ECCPWD', 'CECPQ1']);

const MAC_TOKENS = new Set(['SHA', 'SHA256', 'SHA384', 'SHA512', 'MD5', 'NULL', 'RMD', 'IMIT', 'OMAC', 'GOSTR3411', 'SM3']);

/** Effective key strength of the bulk cipher named `enc`. */
function encKeyBits(enc: string): number {
  if (enc === 'NULL') return 0;
  if (enc.startsWith('3DES') || enc.startsWith('DES_192_EDE3')) return 112;
  if (/(^|_)40($|_)|DES40|EXPORT40/.test(enc)) return 40;
  if (/(^|_)56($|_)/.test(enc) || enc.startsWith('DES_') || enc.startsWith('DES64') || enc === 'DES_CBC') return 56;
  if (enc.startsWith('RC4_64')) return 64;
  if (enc.startsWith('FORTEZZA')) return 80; // Skipjack
  if (enc.startsWith('CHACHA20') || enc.startsWith('KUZNYECHIK') || enc.startsWith('MAGMA') || enc.startsWith('28147')) return 256;
  const m = /_(128|256|192)(L)?($|_)/.exec(enc);
  if (m) return Number(m[1]);
  if (enc.startsWith('IDEA') || enc.startsWith('SEED') || enc.startsWith('SM4') || enc.startsWith('RC2_CBC')) return 128;
  return 0;
}

const AEAD_RE = /GCM|CCM|CHACHA20_POLY1305|MGM|AEGIS/;

function describe(name: string): CipherInfo | undefined {
  let body = name.replace(/^(TLS|SSL)_/, '').replace(/_OLD$/, '').replace(/_2$/, '');
  if (body.endsWith('_SCSV')) return undefined;
  // TLS 1.3 suites carry no key exchange: TLS_<AEAD>_<hash> (RFC 8446, 8998, 9150, AEGIS),
  // and RFC 9367's GOST TLS 1.3 suites reuse the WITH form with an MGM cipher.
  const gost13 = /^GOSTR341112_256_WITH_(\w+_MGM_[LS])$/.exec(body);
  if (gost13 || !body.includes('_WITH_')) {
    let enc: string;
    let prfHash: string;
    if (gost13) {
      enc = gost13[1]!;
      prfHash = 'STREEBOG256';
    } else {
      const cut = body.lastIndexOf('_');
      enc = body.slice(0, cut);
      prfHash = body.slice(cut + 1);
    }
    const integrityOnly = /^SHA\d+$/.test(enc); // RFC 9150: TLS_SHA256_SHA256, no encryption
    return {
      name, kx: 'TLS13', auth: 'TLS13', enc: integrityOnly ? 'NULL' : enc,
      mac: integrityOnly ? enc : 'AEAD', prfHash, export: false,
      encKeyBits: integrityOnly ? 0 : encKeyBits(enc), aead: !integrityOnly,
      forwardSecrecy: true, minVersion: 0x0304,
    };
  }
  const w = body.indexOf('_WITH_');
  let kxPart = body.slice(0, w);
  const encPart = body.slice(w + 6);
  let isExport = false;
  const exp = /_EXPORT(1024)?$/.exec(kxPart);
  if (exp) {
    isExport = true;
    kxPart = kxPart.slice(0, exp.index);
  }
  const ka = KX_AUTH[kxPart];
  if (!ka) return undefined;
  const [kx, auth] = ka;
  let enc = encPart;
  let mac = 'AEAD';
  let prfHash: string | undefined;
  const cut = encPart.lastIndexOf('_');
  const last = encPart.slice(cut + 1);
  if (cut > 0 && MAC_TOKENS.has(last)) {
    enc = encPart.slice(0, cut);
    mac = last;
  }
  const aead = AEAD_RE.test(enc);
  if (aead) {
    prfHash = mac === 'AEAD' ? 'SHA256' : mac; // RFC 6655/7251 CCM suites use the SHA-256 PRF
    mac = 'AEAD';
  }
  const info: CipherInfo = {
    name, kx, auth, enc, mac, export: isExport, encKeyBits: encKeyBits(enc), aead,
    forwardSecrecy: EPHEMERAL_KX.has(kx) || auth === 'anon',
  };
  if (prfHash) info.prfHash = prfHash;
  // SHA-2 MACs, AEAD ciphers and the RFC 9189 GOST suites exist only from TLS 1.2 on.
  if (aead || mac === 'SHA256' || mac === 'SHA384' || kx === 'GOSTR341112_256') info.minVersion = 0x0303;
  return info;
}

const INFO = new Map<number, CipherInfo>();
for (const [code, name] of NAMES) {
  const info = describe(name);
  if (info) INFO.set(code, info);
}

/** Properties of a known suite; undefined for unknown codes and the two SCSVs. */
export function cipherSuiteInfo(code: number): CipherInfo | undefined {
  return INFO.get(code);
}

const SSLV2_INFO = new Map<number, CipherInfo>();
for (const [code, name] of SSLV2_NAMES) {
  // SSL_CK_<cipher>[_EXPORT40]_WITH_MD5: RSA key transport, MD5 MAC.
  const m = /^SSL_CK_(\w+?)(_EXPORT40)?_WITH_MD5$/.exec(name)!;
  const isExport = !!m[2];
  const enc = isExport ? m[1]!.replace(/_128/, '_40') : m[1]!;
  SSLV2_INFO.set(code, {
    name, kx: 'RSA', auth: 'RSA', enc, mac: 'MD5', export: isExport,
    encKeyBits: isExport ? 40 : encKeyBits(enc), aead: false, forwardSecrecy: false, minVersion: 0x0002,
  });
}

/** Properties of an SSLv2 cipher kind (TLS suites for 0x00xxxx kinds). */
export function sslv2CipherInfo(code: number): CipherInfo | undefined {
  if (code >>> 16 === 0) return cipherSuiteInfo(code);
  return SSLV2_INFO.get(code);
}

const BY_NAME = new Map<string, CipherInfo>();
for (const info of INFO.values()) BY_NAME.set(info.name, info);
for (const info of SSLV2_INFO.values()) BY_NAME.set(info.name, info);

/** Properties of a suite given its name as cipherSuiteName / sslv2CipherName spell it
 * (for consumers holding only the logged name, e.g. the audit rules). */
export function cipherSuiteInfoByName(name: string): CipherInfo | undefined {
  return BY_NAME.get(name);
}
