// QUIC versions whose Initial packets can be opened: each names its Initial salt, its
// HKDF label prefix, whether long-header packet types are permuted (QUIC v2), and its
// Retry integrity key. Sources: RFC 9001 §5.2 and §5.8 (v1), RFC 9369 §3.3 (v2), the
// quic-tls drafts (draft-23..28, draft-29..32 salts; draft-33 adopted the v1 salt and Retry
// key) and Facebook's mvfst (0xfaceb002 = draft-27 wire image with the draft-23 salt).
// Google QUIC (Q0xx, T0xx) has its own handshake or salts: identified, not opened.

export const V1 = 0x00000001;
export const V2 = 0x6b3343cf;

export interface QuicVersion {
  /** wire version */
  readonly code: number;
  /** 'v1', 'v2', 'draft-29', 'mvfst-draft-27' */
  readonly name: string;
  readonly salt: Buffer;
  /** 'quic ' or 'quicv2 ' (the HKDF labels "quic key", "quicv2 hp", ...) */
  readonly labelPrefix: string;
  /** QUIC v2 permutes the long-header packet type codes */
  readonly v2Types: boolean;
  /** Retry integrity tag key and nonce (null: not checked) */
  readonly retryKey: Buffer | null;
  readonly retryNonce: Buffer | null;
}

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

const SALT_V1 = hex('38762cf7f55934b34d179ae6a4c80cadccbb7f0a');
const SALT_V2 = hex('0dede3def700a6db819381be6e269dcbf9bd2ed9');
const SALT_DRAFT29 = hex('afbfec289993d24c9e9786f19c6111e04390a899');
const SALT_DRAFT23 = hex('c3eef712c72ebb5a11a7d2432bb46365bef9f502');
const RETRY_KEY_V1 = hex('be0c690b9f66575a1d766b54e368c84e');
const RETRY_NONCE_V1 = hex('461599d35d632bf2239825bb');
const RETRY_KEY_V2 = hex('8fb4b01b56ac48e260fbcbcead7ccc92');
const RETRY_NONCE_V2 = hex('d86969bc2d7c6d9990efb04a');
const RETRY_KEY_DRAFT29 = hex('ccce187ed09a09d05728155a6cb96be1');
const RETRY_NONCE_DRAFT29 = hex('e54930f97f2136f0530a8c1c');

function make(code: number, name: string, salt: Buffer, v2: boolean, retryKey: Buffer | null, retryNonce: Buffer | null): QuicVersion {
  return { code, name, salt, labelPrefix: v2 ? 'quicv2 ' : 'quic ', v2Types: v2, retryKey, retryNonce };
}

const known = new Map<number, QuicVersion>();
known.set(V1, make(V1, 'v1', SALT_V1, false, RETRY_KEY_V1, RETRY_NONCE_V1));
known.set(V2, make(V2, 'v2', SALT_V2, true, RETRY_KEY_V2, RETRY_NONCE_V2));
for (let d = 23; d <= 34; d++) {
  const code = (0xff000000 + d) >>> 0;
  if (d >= 33) known.set(code, make(code, `draft-${d}`, SALT_V1, false, RETRY_KEY_V1, RETRY_NONCE_V1));
  else if (d >= 29) known.set(code, make(code, `draft-${d}`, SALT_DRAFT29, false, RETRY_KEY_DRAFT29, RETRY_NONCE_DRAFT29));
  else known.set(code, make(code, `draft-${d}`, SALT_DRAFT23, false, null, null));
}
known.set(0xfaceb002, make(0xfaceb002, 'mvfst-draft-27', SALT_DRAFT23, false, null, null));

/** The version's parameters, or null when its Initial packets cannot be opened. */
export function quicVersion(code: number): QuicVersion | null {
  return known.get(code >>> 0) ?? null;
}

/** Google QUIC: 'Q' or 'T' then three ASCII digits (Q043, Q046, Q050, T051). */
export function isGoogleQuicVersion(code: number): boolean {
  const a = code >>> 24;
  if (a !== 0x51 && a !== 0x54) return false;
  for (let s = 16; s >= 0; s -= 8) {
    const c = (code >>> s) & 0xff;
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** A version's name for the facts: 'v1', 'v2', 'draft-29', 'Q050', else 0x-hex. */
export function versionName(code: number): string {
  const v = known.get(code >>> 0);
  if (v) return v.name;
  if (isGoogleQuicVersion(code)) return String.fromCharCode(code >>> 24, (code >>> 16) & 0xff, (code >>> 8) & 0xff, code & 0xff);
  if (code >>> 8 === 0xff0000) return `draft-${code & 0xff}`;
  return '0x' + (code >>> 0).toString(16).padStart(8, '0');
}

// long-header packet types in v1 terms
export const PT_INITIAL = 0;
export const PT_0RTT = 1;
export const PT_HANDSHAKE = 2;
export const PT_RETRY = 3;

/** Long-header packet type in v1 terms from the first byte (v2: Initial 1, 0-RTT 2, Handshake 3, Retry 0). */
export function longPacketType(first: number, v2Types: boolean): number {
  const t = (first >>> 4) & 3;
  return v2Types ? (t + 3) & 3 : t;
}
