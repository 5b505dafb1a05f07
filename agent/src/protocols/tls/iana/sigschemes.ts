// IANA "TLS SignatureScheme" registry (RFC 8446 §4.2.3 and later additions). TLS 1.2
// code points are (HashAlgorithm << 8 | SignatureAlgorithm) pairs (RFC 5246 §7.4.1.4.1);
// pairs that the registry does not list (e.g. 0x0202 dsa+sha1, 0x0101 rsa+md5) are named
// from their two halves so legacy clients are still readable.

const SCHEMES = new Map<number, string>([
  [0x0201, 'rsa_pkcs1_sha1'],
  [0x0203, 'ecdsa_sha1'],
  [0x0401, 'rsa_pkcs1_sha256'],
  [0x0403, 'ecdsa_secp256r1_sha256'],
  [0x0420, 'rsa_pkcs1_sha256_legacy'],
  [0x0501, 'rsa_pkcs1_sha384'],
  [0x0503, 'ecdsa_secp384r1_sha384'],
  [0x0520, 'rsa_pkcs1_sha384_legacy'],
  [0x0601, 'rsa_pkcs1_sha512'],
  [0x0603, 'ecdsa_secp521r1_sha512'],
  [0x0620, 'rsa_pkcs1_sha512_legacy'],
  [0x0704, 'eccsi_sha256'],
  [0x0705, 'iso_ibs1'],
  [0x0706, 'iso_ibs2'],
  [0x0707, 'iso_chinese_ibs'],
  [0x0708, 'sm2sig_sm3'],
  [0x0709, 'gostr34102012_256a'],
  [0x070a, 'gostr34102012_256b'],
  [0x070b, 'gostr34102012_256c'],
  [0x070c, 'gostr34102012_256d'],
  [0x070d, 'gostr34102012_512a'],
  [0x070e, 'gostr34102012_512b'],
  [0x070f, 'gostr34102012_512c'],
  [0x0804, 'rsa_pss_rsae_sha256'],
  [0x0805, 'rsa_pss_rsae_sha384'],
  [0x0806, 'rsa_pss_rsae_sha512'],
  [0x0807, 'ed25519'],
  [0x0808, 'ed448'],
  [0x0809, 'rsa_pss_pss_sha256'],
  [0x080a, 'rsa_pss_pss_sha384'],
  [0x080b, 'rsa_pss_pss_sha512'],
  [0x081a, 'ecdsa_brainpoolP256r1tls13_sha256'],
  [0x081b, 'ecdsa_brainpoolP384r1tls13_sha384'],
  [0x081c, 'ecdsa_brainpoolP512r1tls13_sha512'],
  // RFC 9189 (TLS 1.2 GOST): HashAlgorithm 8 "Intrinsic" with SignatureAlgorithm 64/65.
  [0x0840, 'gostr34102012_256'],
  [0x0841, 'gostr34102012_512'],
  [0x0904, 'mldsa44'],
  [0x0905, 'mldsa65'],
  [0x0906, 'mldsa87'],
]);

const HASHES = ['none', 'md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'];
const LEGACY_SIGS: Record<number, string> = { 0: 'anonymous', 1: 'rsa_pkcs1', 2: 'dsa', 3: 'ecdsa' };

/** Registry name, a hash/signature pair name for other TLS 1.2 pairs, else `unknown-0xNNNN`. */
export function signatureSchemeName(code: number): string {
  const known = SCHEMES.get(code);
  if (known) return known;
  const hash = code >>> 8;
  const sig = LEGACY_SIGS[code & 0xff];
  if (sig !== undefined && hash >= 1 && hash <= 6) return `${sig}_${HASHES[hash]}`;
  return `unknown-0x${(code & 0xffff).toString(16).padStart(4, '0')}`;
}

/** Hash used by a scheme when it is SHA-1 or MD5 (audit: weak handshake signatures). */
export function signatureSchemeWeakHash(code: number): 'md5' | 'sha1' | null {
  if (code === 0x0201 || code === 0x0203 || code === 0x0202) return 'sha1';
  const hash = code >>> 8;
  const sig = code & 0xff;
  if (sig <= 3 && hash === 1) return 'md5';
  if (sig <= 3 && hash === 2) return 'sha1';
  return null;
}
