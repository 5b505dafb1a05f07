// Credentials that HTTP carries in the clear, reduced to the user name:
//   - Authorization / Proxy-Authorization "Basic base64(user:password)" (RFC 7617) and
//     "Bearer token" (RFC 6750); challenge-response schemes (Digest, NTLM, Negotiate,
//     SCRAM, HOBA, AWS signatures...) send no reusable secret and are not reported;
//   - a password field in an HTML form post (application/x-www-form-urlencoded), a
//     JSON body, or the query string, with the user from a user-name-like field.
// Secrets are looked at only to see that they are there; nothing of them is kept.

import { cleanString, equalsFold, skipSpaces, wordEnd } from '../text/ascii.js';
import { decodeBase64 } from '../text/sasl.js';

export interface Found {
  kind: string;
  user: string | null;
}

/** A form/JSON field name that holds a password ("password", "j_password", "pwd", "user[pass]", "new-password2"). */
const PASSWORD_NAME = /(?:^|[_-])(?:pass(?:word|wd|wort|phrase)?|pwd|pw)[0-9]*$/;
/** A field name that holds the user name ("username", "j_username", "login", "email", WordPress "log"). */
const USER_NAME = /(?:^|[_-])(?:user(?:_?name|_?id)?|login|e-?mail|uid|account|usr|uname|log)$/;

/** The last component of a structured field name ("user[password]" -> "password"), lower-cased. */
function fieldName(name: string): string {
  const parts = name.toLowerCase().split(/[[\].:]+/).filter((p) => p.length > 0);
  return parts.length > 0 ? parts[parts.length - 1] : '';
}

export function isPasswordField(name: string): boolean {
  return PASSWORD_NAME.test(fieldName(name));
}

export function isUserField(name: string): boolean {
  return USER_NAME.test(fieldName(name));
}

/** Authorization (proxy false) or Proxy-Authorization value in line[vs, ve). */
export function authorizationCredential(line: Buffer, vs: number, ve: number, proxy: boolean): Found | null {
  const se = wordEnd(line, vs, ve);
  const prefix = proxy ? 'http-proxy-' : 'http-';
  if (equalsFold(line, vs, se, 'BASIC')) {
    const t = skipSpaces(line, se, ve);
    const raw = decodeBase64(line, t, ve);
    let user: string | null = null;
    if (raw !== null) {
      const colon = raw.indexOf(0x3a);
      user = cleanString(raw.toString('utf8', 0, colon < 0 ? raw.length : colon));
      raw.fill(0);
    }
    return { kind: `${prefix}basic`, user };
  }
  if (equalsFold(line, vs, se, 'BEARER')) return { kind: `${prefix}bearer`, user: null };
  return null;
}

function decodeComponent(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** "a=1&b=2" (form body or query string): whether a non-empty password field is present, and the user field's value. */
export function urlencodedCredential(text: string): { user: string | null } | null {
  let password = false;
  let user: string | null = null;
  for (const pair of text.split(/[&;]/)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = decodeComponent(pair.slice(0, eq));
    const hasValue = eq < pair.length - 1;
    if (!password && hasValue && isPasswordField(name)) password = true;
    else if (user === null && hasValue && isUserField(name)) user = cleanString(decodeComponent(pair.slice(eq + 1)));
  }
  return password ? { user } : null;
}

/** A JSON body whose object (or an object one level down) has a non-empty password member. */
export function jsonCredential(text: string): { user: string | null } | null {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return null;
  }
  const look = (o: unknown, depth: number): { user: string | null } | null => {
    if (o === null || typeof o !== 'object' || Array.isArray(o)) return null;
    const rec = o as Record<string, unknown>;
    let password = false;
    let user: string | null = null;
    for (const [k, v] of Object.entries(rec)) {
      if (typeof v === 'string' && v.length > 0) {
        if (!password && isPasswordField(k)) password = true;
        else if (user === null && isUserField(k)) user = cleanString(v);
      }
    }
    if (password) return { user };
    if (depth > 0) {
      for (const v of Object.values(rec)) {
        const found = look(v, depth - 1);
        if (found) return found;
      }
    }
    return null;
  };
  return look(doc, 1);
}
