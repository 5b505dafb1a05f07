// SASL messages that carry a secret in the clear (base64 is an encoding, not a
// protection): PLAIN (RFC 4616), LOGIN (draft-murchison-sasl-login), XOAUTH2 (Google)
// and OAUTHBEARER (RFC 7628). Only the user name is taken out; the decoded bytes are
// wiped before returning, so the secret never outlives the call.
// Challenge-response mechanisms (CRAM-MD5, DIGEST-MD5, SCRAM-*, NTLM, GSSAPI,
// EXTERNAL) send no reusable secret and are not reported as cleartext credentials.

import { cleanString } from './ascii.js';

/** Longest base64 SASL message decoded (bytes of base64 text). */
const MAX_B64 = 8192;

/** Mechanisms whose exchange carries the password or a bearer token itself. */
export type CleartextMechanism = 'PLAIN' | 'LOGIN' | 'XOAUTH2' | 'OAUTHBEARER';

export function cleartextMechanism(name: string): CleartextMechanism | null {
  switch (name) {
    case 'PLAIN':
    case 'LOGIN':
    case 'XOAUTH2':
    case 'OAUTHBEARER':
      return name;
    default:
      return null;
  }
}

/** Credential kind suffix for a mechanism: 'auth-plain', 'auth-login', ... */
export function mechanismKind(m: CleartextMechanism): string {
  return `auth-${m.toLowerCase()}`;
}

function isB64(b: number): boolean {
  return (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) || b === 0x2b || b === 0x2f || b === 0x3d;
}

/** Decodes buf[start, end) as base64 (surrounding blanks ignored); null when it is not base64 or is empty. */
export function decodeBase64(buf: Buffer, start: number, end: number): Buffer | null {
  while (start < end && (buf[start] === 0x20 || buf[start] === 0x09)) start++;
  while (end > start && (buf[end - 1] === 0x20 || buf[end - 1] === 0x09)) end--;
  if (end <= start || end - start > MAX_B64) return null;
  for (let i = start; i < end; i++) if (!isB64(buf[i])) return null;
  const out = Buffer.from(buf.toString('latin1', start, end), 'base64');
  return out.length > 0 ? out : null;
}

/**
 * The user of a SASL message carrying a secret, decoded from base64 buf[start, end):
 * `{ user }` (user null when the message names none), or null when the bytes are not
 * such a message (not base64, or not the mechanism's layout).
 */
export function saslUser(mech: Exclude<CleartextMechanism, 'LOGIN'>, buf: Buffer, start: number, end: number): { user: string | null } | null {
  const raw = decodeBase64(buf, start, end);
  if (raw === null) return null;
  try {
    if (mech === 'PLAIN') return plainUser(raw);
    if (mech === 'XOAUTH2') return xoauth2User(raw);
    return oauthBearerUser(raw);
  } finally {
    raw.fill(0);
  }
}

/** A LOGIN response (the user name, base64) as text; null when it is not base64. */
export function loginUser(buf: Buffer, start: number, end: number): string | null {
  const raw = decodeBase64(buf, start, end);
  if (raw === null) return null;
  const s = cleanString(raw.toString('utf8'));
  raw.fill(0);
  return s;
}

// PLAIN: [authzid] NUL authcid NUL passwd
function plainUser(raw: Buffer): { user: string | null } | null {
  const a = raw.indexOf(0);
  if (a < 0) return null;
  const b = raw.indexOf(0, a + 1);
  if (b < 0) return null;
  const authcid = raw.toString('utf8', a + 1, b);
  const authzid = raw.toString('utf8', 0, a);
  return { user: cleanString(authcid || authzid) };
}

// XOAUTH2: "user=" user ^A "auth=Bearer " token ^A ^A
function xoauth2User(raw: Buffer): { user: string | null } | null {
  const text = raw.toString('latin1');
  if (!text.startsWith('user=')) return null;
  const cut = text.indexOf('\x01');
  if (cut < 0) return null;
  return { user: cleanString(Buffer.from(text.slice(5, cut), 'latin1').toString('utf8')) };
}

// OAUTHBEARER: gs2-header "n,a=user," ^A "auth=Bearer token" ^A ... ^A ^A
function oauthBearerUser(raw: Buffer): { user: string | null } | null {
  const text = raw.toString('latin1');
  const cut = text.indexOf('\x01');
  if (cut < 0 || !/^[nyp]/.test(text)) return null;
  const m = /(?:^|,)a=([^,]*)/.exec(text.slice(0, cut));
  const user = m ? m[1].replace(/=2C/gi, ',').replace(/=3D/gi, '=') : null;
  return { user: cleanString(user === null ? null : Buffer.from(user, 'latin1').toString('utf8')) };
}

/**
 * The client's side of one SASL exchange (AUTH / AUTHENTICATE / <auth>): fed the
 * mechanism, the optional initial response and each later response, it says when a
 * message carried the secret, and whose it was. Responses are base64 text.
 */
export class SaslExchange {
  /** The cleartext mechanism in progress, or null (none, or one that sends no reusable secret). */
  mech: CleartextMechanism | null = null;
  private loginUser: string | null = null;
  private step = 0;

  /** A new exchange; returns the user of a secret-bearing initial response (`{ user }`), else null. */
  begin(mechanism: string, buf?: Buffer, start = 0, end = 0): { user: string | null } | null {
    this.mech = cleartextMechanism(mechanism.toUpperCase());
    this.loginUser = null;
    this.step = 0;
    if (this.mech === null || buf === undefined || end <= start) return null;
    if (end - start === 1 && buf[start] === 0x3d) return null; // "=": empty initial response
    return this.response(buf, start, end);
  }

  /** A client response within the exchange. */
  response(buf: Buffer, start: number, end: number): { user: string | null } | null {
    const mech = this.mech;
    if (mech === null) return null;
    if (end - start === 1 && buf[start] === 0x2a) {
      this.mech = null; // "*": the client cancels
      return null;
    }
    const step = this.step++;
    if (mech === 'LOGIN') {
      if (step === 0) {
        this.loginUser = loginUser(buf, start, end);
        return null;
      }
      if (step === 1) {
        this.mech = null;
        return { user: this.loginUser };
      }
      return null;
    }
    if (step > 0) return null; // later messages of XOAUTH2/OAUTHBEARER are error acknowledgements
    this.mech = null;
    return saslUser(mech, buf, start, end);
  }

  /** The exchange is over (the server answered with a final reply). */
  end(): void {
    this.mech = null;
    this.loginUser = null;
    this.step = 0;
  }

  get active(): boolean {
    return this.mech !== null;
  }
}
