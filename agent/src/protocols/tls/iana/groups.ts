// IANA "TLS Supported Groups" registry (tls-parameters-8), plus CECPQ2 which Zeek names.
// Zeek's spellings (consts.zeek ec_curves) are identical to the registry's for every
// group both have, including the post-quantum hybrids (X25519MLKEM768 = 0x11ec).
// Unknown groups are written `unknown-0xNNNN` (hex, like cipher suites; Zeek writes
// `unknown-<decimal>`), so one convention holds across every tls.* name we emit.

export interface GroupInfo {
  name: string;
  /** EC: field size (x25519 = 255); FF: modulus size; ML-KEM: parameter set (512/768/1024);
   * hybrid: the classical component's field size. */
  bits: number;
  /** Approximate classical security strength (NIST SP 800-57 / OpenSSL BN_security_bits
   * for FF; half the field size for EC; NIST category for ML-KEM; hybrids: the stronger part). */
  securityBits: number;
  /** Resists a quantum adversary (ML-KEM, Kyber or NTRU component present). */
  pq: boolean;
  kind: 'ec' | 'ff' | 'hybrid' | 'pq';
}

type Row = [code: number, name: string, bits: number, securityBits: number, kind: GroupInfo['kind']];

const ROWS: Row[] = [
  [1, 'sect163k1', 163, 80, 'ec'],
  [2, 'sect163r1', 163, 80, 'ec'],
  [3, 'sect163r2', 163, 80, 'ec'],
  [4, 'sect193r1', 193, 96, 'ec'],
  [5, 'sect193r2', 193, 96, 'ec'],
  [6, 'sect233k1', 233, 112, 'ec'],
  [7, 'sect233r1', 233, 112, 'ec'],
  [8, 'sect239k1', 239, 112, 'ec'],
  [9, 'sect283k1', 283, 128, 'ec'],
  [10, 'sect283r1', 283, 128, 'ec'],
  [11, 'sect409k1', 409, 192, 'ec'],
  [12, 'sect409r1', 409, 192, 'ec'],
  [13, 'sect571k1', 571, 256, 'ec'],
  [14, 'sect571r1', 571, 256, 'ec'],
  [15, 'secp160k1', 160, 80, 'ec'],
  [16, 'secp160r1', 160, 80, 'ec'],
  [17, 'secp160r2', 160, 80, 'ec'],
  [18, 'secp192k1', 192, 96, 'ec'],
  [19, 'secp192r1', 192, 96, 'ec'],
  [20, 'secp224k1', 224, 112, 'ec'],
  [21, 'secp224r1', 224, 112, 'ec'],
  [22, 'secp256k1', 256, 128, 'ec'],
  [23, 'secp256r1', 256, 128, 'ec'],
  [24, 'secp384r1', 384, 192, 'ec'],
  [25, 'secp521r1', 521, 256, 'ec'],
  [26, 'brainpoolP256r1', 256, 128, 'ec'],
  [27, 'brainpoolP384r1', 384, 192, 'ec'],
  [28, 'brainpoolP512r1', 512, 256, 'ec'],
  [29, 'x25519', 255, 128, 'ec'],
  [30, 'x448', 448, 224, 'ec'],
  [31, 'brainpoolP256r1tls13', 256, 128, 'ec'],
  [32, 'brainpoolP384r1tls13', 384, 192, 'ec'],
  [33, 'brainpoolP512r1tls13', 512, 256, 'ec'],
  [34, 'GC256A', 256, 128, 'ec'],
  [35, 'GC256B', 256, 128, 'ec'],
  [36, 'GC256C', 256, 128, 'ec'],
  [37, 'GC256D', 256, 128, 'ec'],
  [38, 'GC512A', 512, 256, 'ec'],
  [39, 'GC512B', 512, 256, 'ec'],
  [40, 'GC512C', 512, 256, 'ec'],
  [41, 'curveSM2', 256, 128, 'ec'],
  [0x0100, 'ffdhe2048', 2048, 112, 'ff'],
  [0x0101, 'ffdhe3072', 3072, 128, 'ff'],
  [0x0102, 'ffdhe4096', 4096, 128, 'ff'],
  [0x0103, 'ffdhe6144', 6144, 128, 'ff'],
  [0x0104, 'ffdhe8192', 8192, 192, 'ff'],
  [0x0200, 'MLKEM512', 512, 128, 'pq'],
  [0x0201, 'MLKEM768', 768, 192, 'pq'],
  [0x0202, 'MLKEM1024', 1024, 256, 'pq'],
  [0x11eb, 'SecP256r1MLKEM768', 256, 192, 'hybrid'],
  [0x11ec, 'X25519MLKEM768', 255, 192, 'hybrid'],
  [0x11ed, 'SecP384r1MLKEM1024', 384, 256, 'hybrid'],
  [0x11ee, 'curveSM2MLKEM768', 256, 192, 'hybrid'],
  [0x4138, 'CECPQ2', 255, 128, 'hybrid'], // X25519 + NTRU-HRSS, BoringSSL experiment (not IANA)
  [0x6399, 'X25519Kyber768Draft00', 255, 192, 'hybrid'], // registry: obsoleted
  [0x639a, 'SecP256r1Kyber768Draft00', 256, 192, 'hybrid'], // registry: obsoleted
  [0xff01, 'arbitrary_explicit_prime_curves', 0, 0, 'ec'],
  [0xff02, 'arbitrary_explicit_char2_curves', 0, 0, 'ec'],
];

const INFO = new Map<number, GroupInfo>();
for (const [code, name, bits, securityBits, kind] of ROWS) {
  INFO.set(code, { name, bits, securityBits, pq: kind === 'pq' || kind === 'hybrid', kind });
}

/** Registry name of a supported group / named curve; `unknown-0xNNNN` otherwise. */
export function groupName(code: number): string {
  return INFO.get(code)?.name ?? `unknown-0x${(code & 0xffff).toString(16).padStart(4, '0')}`;
}

export function groupInfo(code: number): GroupInfo | undefined {
  return INFO.get(code);
}
