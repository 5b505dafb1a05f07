// Certificate facts for the session document and the audit rules, read from the DER with
// a minimal walker (Node 20 exposes neither the signature algorithm nor keys it cannot
// load, e.g. ML-DSA), and Node's X509Certificate used only to check a self-issued
// certificate's signature. Names and sizes follow OpenSSL as Zeek logs them: algorithm
// long names (sha256WithRSAEncryption, ecdsa-with-SHA256, rsassaPss, ML-DSA-44), curve
// short names (prime256v1), EVP_PKEY_bits sizes (RSA/DSA modulus, EC order bits, Ed25519
// 253, ML-DSA 8 × public key bytes), DNs in RFC 2253 order (most specific first) with
// RFC 2253 escaping, serials as the uppercase hex of the INTEGER's magnitude bytes.
// Never throws: what cannot be read is null and parseError says why.
import { createHash, X509Certificate } from 'node:crypto';
import type { X509Facts } from './types.js';

interface Tlv {
  off: number; // header start
  tag: number;
  start: number; // content start
  end: number; // content end (exclusive)
}

/** One DER TLV at `off` within [off, limit); null when malformed. */
function tlv(b: Buffer, off: number, limit: number): Tlv | null {
  if (off + 2 > limit) return null;
  const tag = b[off]!;
  if ((tag & 0x1f) === 0x1f) return null; // high tag numbers never occur in certificates
  let len = b[off + 1]!;
  let p = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || p + n > limit) return null;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[p + i]!;
    p += n;
  }
  if (p + len > limit) return null;
  return { off, tag, start: p, end: p + len };
}

/** Children of a constructed TLV. */
function children(b: Buffer, t: Tlv): Tlv[] | null {
  const out: Tlv[] = [];
  for (let off = t.start; off < t.end; ) {
    const c = tlv(b, off, t.end);
    if (!c) return null;
    out.push(c);
    off = c.end;
  }
  return out;
}

function oid(b: Buffer, t: Tlv): string {
  if (t.tag !== 0x06 || t.end <= t.start) return '';
  const first = b[t.start]!;
  const parts = [first < 80 ? Math.floor(first / 40) : 2, first < 80 ? first % 40 : first - 80];
  let v = 0;
  for (let i = t.start + 1; i < t.end; i++) {
    v = v * 128 + (b[i]! & 0x7f);
    if (!(b[i]! & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

/** Bit length of a DER INTEGER's magnitude (leading zero bytes ignored). */
function intBits(b: Buffer, t: Tlv): number {
  let i = t.start;
  while (i < t.end && b[i] === 0) i++;
  if (i === t.end) return 0;
  return (t.end - i - 1) * 8 + (32 - Math.clz32(b[i]!));
}

// OpenSSL long names (what `openssl x509 -text` and Zeek print) of signature algorithms.
const SIG_ALGS: Record<string, string> = {
  '1.2.840.113549.1.1.2': 'md2WithRSAEncryption',
  '1.2.840.113549.1.1.3': 'md4WithRSAEncryption',
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'rsassaPss',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.113549.1.1.14': 'sha224WithRSAEncryption',
  '1.3.14.3.2.29': 'sha1WithRSA',
  '1.2.840.10040.4.3': 'dsaWithSHA1',
  '2.16.840.1.101.3.4.3.1': 'dsa_with_SHA224',
  '2.16.840.1.101.3.4.3.2': 'dsa_with_SHA256',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10045.4.3.1': 'ecdsa-with-SHA224',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '2.16.840.1.101.3.4.3.10': 'ecdsa_with_SHA3-256',
  '2.16.840.1.101.3.4.3.14': 'RSA-SHA3-256',
  '1.3.101.112': 'ED25519',
  '1.3.101.113': 'ED448',
  '2.16.840.1.101.3.4.3.17': 'ML-DSA-44',
  '2.16.840.1.101.3.4.3.18': 'ML-DSA-65',
  '2.16.840.1.101.3.4.3.19': 'ML-DSA-87',
  '1.2.156.10197.1.501': 'SM2-with-SM3',
  '1.2.643.7.1.1.3.2': 'GOST R 34.10-2012 with GOST R 34.11-2012 (256 bit)',
  '1.2.643.7.1.1.3.3': 'GOST R 34.10-2012 with GOST R 34.11-2012 (512 bit)',
};

// Public key algorithm OID → Node-style key type.
const KEY_TYPES: Record<string, string> = {
  '1.2.840.113549.1.1.1': 'rsa',
  '1.2.840.113549.1.1.10': 'rsa-pss',
  '1.2.840.10040.4.1': 'dsa',
  '1.2.840.10046.2.1': 'dh',
  '1.2.840.10045.2.1': 'ec',
  '1.3.101.110': 'x25519',
  '1.3.101.111': 'x448',
  '1.3.101.112': 'ed25519',
  '1.3.101.113': 'ed448',
  '2.16.840.1.101.3.4.3.17': 'ml-dsa-44',
  '2.16.840.1.101.3.4.3.18': 'ml-dsa-65',
  '2.16.840.1.101.3.4.3.19': 'ml-dsa-87',
  '1.2.643.7.1.1.1.1': 'gost2012_256',
  '1.2.643.7.1.1.1.2': 'gost2012_512',
};
// EVP_PKEY_bits of the key types whose size does not depend on the key.
const FIXED_BITS: Record<string, number> = { x25519: 253, x448: 448, ed25519: 253, ed448: 456 };

// Named curve OID → [OpenSSL short name, order bits].
const CURVES: Record<string, [string, number]> = {
  '1.2.840.10045.3.1.1': ['prime192v1', 192],
  '1.3.132.0.33': ['secp224r1', 224],
  '1.2.840.10045.3.1.7': ['prime256v1', 256],
  '1.3.132.0.34': ['secp384r1', 384],
  '1.3.132.0.35': ['secp521r1', 521],
  '1.3.132.0.10': ['secp256k1', 256],
  '1.3.36.3.3.2.8.1.1.7': ['brainpoolP256r1', 256],
  '1.3.36.3.3.2.8.1.1.11': ['brainpoolP384r1', 384],
  '1.3.36.3.3.2.8.1.1.13': ['brainpoolP512r1', 512],
  '1.2.156.10197.1.301': ['SM2', 256],
};

// Attribute types → OpenSSL short names used in RFC 2253 output.
const ATTR_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN', '2.5.4.4': 'SN', '2.5.4.5': 'serialNumber', '2.5.4.6': 'C', '2.5.4.7': 'L',
  '2.5.4.8': 'ST', '2.5.4.9': 'street', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.12': 'title',
  '2.5.4.13': 'description', '2.5.4.15': 'businessCategory', '2.5.4.17': 'postalCode',
  '2.5.4.41': 'name', '2.5.4.42': 'GN', '2.5.4.43': 'initials', '2.5.4.44': 'generationQualifier',
  '2.5.4.46': 'dnQualifier', '2.5.4.65': 'pseudonym', '2.5.4.97': 'organizationIdentifier',
  '1.2.840.113549.1.9.1': 'emailAddress', '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID', '1.3.6.1.4.1.311.60.2.1.1': 'jurisdictionL',
  '1.3.6.1.4.1.311.60.2.1.2': 'jurisdictionST', '1.3.6.1.4.1.311.60.2.1.3': 'jurisdictionC',
};

/** Text of a directory string; null for non-string types. */
function dirString(b: Buffer, t: Tlv): string | null {
  const raw = b.subarray(t.start, t.end);
  switch (t.tag) {
    case 0x0c: return raw.toString('utf8'); // UTF8String
    case 0x13: case 0x16: case 0x1a: case 0x12: return raw.toString('latin1'); // Printable, IA5, Visible, Numeric
    case 0x14: return raw.toString('latin1'); // T61String: OpenSSL maps bytes 1:1
    case 0x1e: { // BMPString, UTF-16BE
      let s = '';
      for (let i = 0; i + 1 < raw.length; i += 2) s += String.fromCharCode((raw[i]! << 8) | raw[i + 1]!);
      return s;
    }
    case 0x1c: { // UniversalString, UTF-32BE
      let s = '';
      for (let i = 0; i + 3 < raw.length; i += 4) s += String.fromCodePoint(raw.readUInt32BE(i) & 0x1fffff);
      return s;
    }
    default: return null;
  }
}

/** RFC 2253 §2.4 value escaping, as OpenSSL's ASN1_STRFLGS_ESC_2253 | ESC_CTRL do it. */
function escape2253(v: string): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const ch = v[i]!;
    const c = v.charCodeAt(i);
    if (',+"\\<>;'.includes(ch) || (i === 0 && (ch === '#' || ch === ' ')) || (i === v.length - 1 && ch === ' ')) out += '\\' + ch;
    else if (c < 0x20 || c === 0x7f) out += '\\' + c.toString(16).toUpperCase().padStart(2, '0');
    else out += ch;
  }
  return out;
}

interface NameInfo {
  dn: string;
  cn: string | null; // most specific CN (the last one in DER order)
}

function readName(b: Buffer, name: Tlv): NameInfo | null {
  const rdns = children(b, name);
  if (!rdns) return null;
  const parts: string[] = [];
  let cn: string | null = null;
  for (const rdn of rdns) {
    const atvs = children(b, rdn);
    if (!atvs) return null;
    const rdnParts: string[] = [];
    for (const atv of atvs) {
      const [type, value] = children(b, atv) ?? [];
      if (!type || !value) return null;
      const id = oid(b, type);
      const text = dirString(b, value);
      const key = ATTR_NAMES[id] ?? id;
      // Unknown attributes print as their dotted OID; a non-string value as RFC 2253 '#' +
      // hex of its DER (OpenSSL XN_FLAG_RFC2253: FN_SN, DUMP_UNKNOWN, DUMP_DER).
      rdnParts.push(text === null ? `${key}=#${b.subarray(value.off, value.end).toString('hex')}` : `${key}=${escape2253(text)}`);
      if (id === '2.5.4.3' && text !== null) cn = text;
    }
    // OpenSSL's RFC 2253 output walks the name's entries backwards, so the members of a
    // multi-valued RDN come out reversed as well.
    parts.push(rdnParts.reverse().join('+'));
  }
  return { dn: parts.reverse().join(','), cn };
}

/** UTCTime / GeneralizedTime → ISO-8601 UTC (seconds precision). */
function readTime(b: Buffer, t: Tlv): string | null {
  const s = b.subarray(t.start, t.end).toString('latin1');
  const m = t.tag === 0x17 ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?Z$/.exec(s) : t.tag === 0x18 ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:\.\d+)?Z$/.exec(s) : null;
  if (!m) return null;
  let year = Number(m[1]);
  if (t.tag === 0x17) year += year >= 50 ? 1900 : 2000; // RFC 5280 §4.1.2.5.1
  // digits are not a date: month 13, day 31 in April or hour 27 are no instant (OpenSSL's
  // ASN1_TIME_check rejects them too), and the field must stay a valid ISO-8601 time
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6] ?? 0) > 59) return null;
  return `${String(year).padStart(4, '0')}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}Z`;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Serial as OpenSSL's i2a_ASN1_INTEGER prints it: magnitude bytes, uppercase hex. */
function readSerial(b: Buffer, t: Tlv): string {
  let bytes = b.subarray(t.start, t.end);
  if (bytes.length === 0) return '00';
  let sign = '';
  if (bytes[0]! & 0x80) { // negative (not allowed by RFC 5280, but seen): two's complement
    sign = '-';
    const mag = Buffer.from(bytes);
    let carry = 1;
    for (let i = mag.length - 1; i >= 0; i--) {
      const v = (~mag[i]! & 0xff) + carry;
      mag[i] = v & 0xff;
      carry = v >> 8;
    }
    bytes = mag;
  }
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return sign + bytes.subarray(i).toString('hex').toUpperCase();
}

function emptyFacts(der: Buffer): X509Facts {
  return {
    sha256: createHash('sha256').update(der).digest('hex'), notBefore: null, notAfter: null,
    subjectCommonName: null, issuerCommonName: null, subject: null, issuer: null, alternativeNames: [],
    publicKeyAlgorithm: null, publicKeySize: null, publicKeyCurve: null, signatureAlgorithm: null,
    serialNumber: null, isCA: null, selfIssued: false, selfSigned: null, parseError: null,
  };
}

/** Public key algorithm, size and curve from SubjectPublicKeyInfo. */
function readKey(b: Buffer, spki: Tlv, f: X509Facts): void {
  const [alg, key] = children(b, spki) ?? [];
  if (!alg || !key) return;
  const [algOid, params] = children(b, alg) ?? [];
  if (!algOid) return;
  const id = oid(b, algOid);
  const type = KEY_TYPES[id] ?? id;
  f.publicKeyAlgorithm = type;
  const bits = key.tag === 0x03 && key.end > key.start ? b.subarray(key.start + 1, key.end) : null;
  if (FIXED_BITS[type] !== undefined) f.publicKeySize = FIXED_BITS[type]!;
  else if (type.startsWith('ml-dsa') && bits) f.publicKeySize = bits.length * 8;
  else if ((type === 'rsa' || type === 'rsa-pss') && bits) {
    const seq = tlv(bits, 0, bits.length);
    const n = seq && seq.tag === 0x30 ? tlv(bits, seq.start, seq.end) : null;
    if (n && n.tag === 0x02) f.publicKeySize = intBits(bits, n);
  } else if ((type === 'dsa' || type === 'dh') && params && params.tag === 0x30) {
    const p = children(b, params)?.[0];
    if (p && p.tag === 0x02) f.publicKeySize = intBits(b, p);
  } else if (type === 'ec' && params && params.tag === 0x06) {
    const curveOid = oid(b, params);
    const curve = CURVES[curveOid];
    f.publicKeyCurve = curve ? curve[0] : curveOid;
    if (curve) f.publicKeySize = curve[1];
  }
}

function readExtensions(b: Buffer, exts: Tlv, f: X509Facts): void {
  const list = children(b, exts);
  if (!list) return;
  for (const ext of list) {
    const parts = children(b, ext);
    if (!parts || parts.length < 2) continue;
    const id = oid(b, parts[0]!);
    const value = parts[parts.length - 1]!;
    if (value.tag !== 0x04) continue;
    const inner = tlv(b, value.start, value.end);
    if (!inner || inner.tag !== 0x30) continue;
    if (id === '2.5.29.17') { // subjectAltName: dNSName is [2] IMPLICIT IA5String
      for (const gn of children(b, inner) ?? []) if (gn.tag === 0x82) f.alternativeNames.push(b.subarray(gn.start, gn.end).toString('latin1'));
    } else if (id === '2.5.29.19') { // basicConstraints: cA BOOLEAN DEFAULT FALSE
      const first = children(b, inner)?.[0];
      f.isCA = !!(first && first.tag === 0x01 && first.end > first.start && b[first.start] !== 0);
    }
  }
}

/** Facts about one DER certificate. */
export function x509Facts(der: Buffer): X509Facts {
  const f = emptyFacts(der);
  const cert = tlv(der, 0, der.length);
  const top = cert && cert.tag === 0x30 ? children(der, cert) : null;
  if (!top || top.length < 3 || top[0]!.tag !== 0x30 || top[1]!.tag !== 0x30) {
    f.parseError = 'not a DER X.509 certificate';
    return f;
  }
  const sigAlg = children(der, top[1]!)?.[0];
  if (sigAlg) {
    const id = oid(der, sigAlg);
    f.signatureAlgorithm = SIG_ALGS[id] ?? id;
  }
  const tbs = children(der, top[0]!);
  if (!tbs) {
    f.parseError = 'malformed tbsCertificate';
    return f;
  }
  let i = tbs[0]?.tag === 0xa0 ? 1 : 0; // [0] EXPLICIT version, absent for v1
  const serial = tbs[i++];
  i++; // signature AlgorithmIdentifier (repeats the outer one)
  const issuer = tbs[i++];
  const validity = tbs[i++];
  const subject = tbs[i++];
  const spki = tbs[i++];
  if (!serial || serial.tag !== 0x02 || !issuer || !validity || !subject || !spki) {
    f.parseError = 'truncated tbsCertificate';
    return f;
  }
  f.serialNumber = readSerial(der, serial);
  const iss = readName(der, issuer);
  const sub = readName(der, subject);
  if (iss) {
    f.issuer = iss.dn;
    f.issuerCommonName = iss.cn;
  }
  if (sub) {
    f.subject = sub.dn;
    f.subjectCommonName = sub.cn;
  }
  // Same name: identical encoding, or equal after the case / whitespace folding OpenSSL's
  // canonical name comparison applies (issuers are often re-encoded as another string type).
  const fold = (n: NameInfo | null): string | null => (n ? n.dn.toLowerCase().replace(/\s+/g, ' ') : null);
  f.selfIssued = der.subarray(issuer.start, issuer.end).equals(der.subarray(subject.start, subject.end)) ||
    (fold(iss) !== null && fold(iss) === fold(sub));
  const [nb, na] = children(der, validity) ?? [];
  if (nb) f.notBefore = readTime(der, nb);
  if (na) f.notAfter = readTime(der, na);
  readKey(der, spki, f);
  for (; i < tbs.length; i++) if (tbs[i]!.tag === 0xa3) {
    const exts = tlv(der, tbs[i]!.start, tbs[i]!.end);
    if (exts) readExtensions(der, exts, f);
  }
  if (!f.selfIssued) f.selfSigned = false;
  else {
    // Only the signature check needs OpenSSL; a key type it cannot load leaves it unknown.
    // (checkIssued is not used: OpenSSL answers false, not "unknown", for keys it cannot
    // decode, and names were already compared byte for byte.)
    try {
      const x = new X509Certificate(der);
      const key = x.publicKey; // throws for key types this OpenSSL cannot load
      f.selfSigned = x.verify(key);
    } catch (e) {
      f.parseError = `signature not checked: ${(e as Error).message}`;
    }
  }
  return f;
}
