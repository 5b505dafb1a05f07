// ClientHello / ServerHello body parsers (RFC 8446 4.1.2-4.1.4, RFC 5246 7.4.1, RFC 6347
// 4.2.1 for the DTLS cookie; SSLv2 hellos are in ssl2.ts).
// They take the handshake message BODY (after the 4-byte TLS / 12-byte DTLS header), never
// throw, copy what they keep, and fill what they can: a length that points past the end
// sets `truncated` and a stable reason in `malformed`, fields before the cut stay valid.
// Shared by the TCP session, and later QUIC (CRYPTO frames) and DTLS.

import type { ClientHello, ServerHello } from './types.js';

/** RFC 8446 4.1.3: a ServerHello whose random is SHA-256("HelloRetryRequest") is an HRR. */
export const HRR_RANDOM = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');

export const EXT_SERVER_NAME = 0;
export const EXT_SUPPORTED_GROUPS = 10;
export const EXT_EC_POINT_FORMATS = 11;
export const EXT_SIGNATURE_ALGORITHMS = 13;
export const EXT_ALPN = 16;
export const EXT_SESSION_TICKET = 35;
export const EXT_PRE_SHARED_KEY = 41;
export const EXT_SUPPORTED_VERSIONS = 43;
export const EXT_PSK_KEY_EXCHANGE_MODES = 45;
export const EXT_KEY_SHARE = 51;
/** key_share's code point in TLS 1.3 drafts before 23 (and Google's 0x7e01 experiment). */
export const EXT_KEY_SHARE_DRAFT = 40;
export const EXT_QUIC_TRANSPORT_PARAMETERS = 0x39;
export const EXT_QUIC_TRANSPORT_PARAMETERS_DRAFT = 0xffa5;
export const EXT_ECH = 0xfe0d;

export const u16 = (b: Buffer, p: number): number => (b[p] << 8) | b[p + 1];
/**
 * A copy with its own memory: Buffer.from would slice the shared 8 KiB allocation pool, and
 * one 32-byte random kept for a session's lifetime would then pin a whole pool chunk.
 */
export const copy = (b: Buffer, start: number, end: number): Buffer => {
  const out = Buffer.allocUnsafeSlow(end > start ? end - start : 0);
  if (end > start) b.copy(out, 0, start, end);
  return out;
};

/** Adds a malformed reason once (bounded list). */
export function note(list: string[] | undefined, reason: string): string[] {
  const l = list ?? [];
  if (l.length < 16 && !l.includes(reason)) l.push(reason);
  return l;
}

/** The session id of a hello that has none yet (zero bytes: nothing to modify, one for all). */
const NO_SESSION_ID = Buffer.alloc(0);

export function emptyClientHello(format: ClientHello['format']): ClientHello {
  return {
    format,
    recordVersion: 0,
    legacyVersion: 0,
    random: null,
    sessionId: NO_SESSION_ID,
    cookie: null,
    cipherSuites: [],
    compressionMethods: [],
    extensions: [],
    serverName: null,
    alpn: [],
    supportedGroups: [],
    ecPointFormats: [],
    signatureAlgorithms: [],
    supportedVersions: [],
    keyShareGroups: [],
    sessionTicket: false,
    sessionTicketLength: 0,
    pskOffered: false,
    pskModes: [],
    echOffered: false,
    quicTransportParameters: null,
    truncated: false,
    keyShareLengths: [],
  };
}

export function emptyServerHello(): ServerHello {
  return {
    legacyVersion: 0,
    random: null,
    sessionId: NO_SESSION_ID,
    cipherSuite: -1,
    compressionMethod: 0,
    extensions: [],
    selectedVersion: 0,
    keyShareGroup: -1,
    alpn: null,
    sessionTicket: false,
    pskSelected: false,
    isHelloRetryRequest: false,
    truncated: false,
  };
}

const LIST_OK = 0;
const LIST_PAST_END = 1;
const LIST_ODD = 2;

/** Reads a list of 16-bit values with a 1- or 2-byte length prefix inside [p, end). */
function readU16List(b: Buffer, p: number, end: number, prefix: 1 | 2, out: number[]): number {
  if (p + prefix > end) return LIST_PAST_END;
  const n = prefix === 1 ? b[p] : u16(b, p);
  p += prefix;
  const stop = p + n;
  const last = Math.min(stop, end) - 1;
  for (; p < last; p += 2) out.push(u16(b, p));
  return stop > end ? LIST_PAST_END : (n & 1) !== 0 ? LIST_ODD : LIST_OK;
}

/** ALPN ProtocolNameList (RFC 7301 3.1). Names are decoded as latin1 so every byte survives (JA4 hashes raw bytes). */
function readAlpn(b: Buffer, p: number, end: number, out: string[]): boolean {
  if (p + 2 > end) return false;
  const stop = p + 2 + u16(b, p);
  p += 2;
  const lim = Math.min(stop, end);
  while (p < lim) {
    const n = b[p++];
    if (p + n > lim) return false;
    out.push(b.toString('latin1', p, p + n));
    p += n;
  }
  return stop <= end;
}

/** SNI ServerNameList (RFC 6066 3): the first host_name entry. */
function readServerName(b: Buffer, p: number, end: number, ch: ClientHello): boolean {
  if (p + 2 > end) return false;
  const stop = p + 2 + u16(b, p);
  p += 2;
  const lim = Math.min(stop, end);
  while (p + 3 <= lim) {
    const type = b[p];
    const n = u16(b, p + 1);
    p += 3;
    if (p + n > lim) return false;
    if (type === 0 && ch.serverName === null) ch.serverName = b.toString('utf8', p, p + n);
    p += n;
  }
  return p === lim && stop <= end;
}

function parseClientExtension(b: Buffer, type: number, p: number, end: number, ch: ClientHello): void {
  let ok = true;
  let what = '';
  let list = LIST_OK;
  switch (type) {
    case EXT_SERVER_NAME:
      ok = end === p || readServerName(b, p, end, ch); // an empty SNI is legal in a ServerHello only, tolerated here
      what = 'sni';
      break;
    case EXT_SUPPORTED_GROUPS:
      list = readU16List(b, p, end, 2, ch.supportedGroups);
      what = 'supported-groups';
      break;
    case EXT_EC_POINT_FORMATS:
      ok = readU8List(b, p, end, ch.ecPointFormats);
      what = 'ec-point-formats';
      break;
    case EXT_SIGNATURE_ALGORITHMS:
      list = readU16List(b, p, end, 2, ch.signatureAlgorithms);
      what = 'signature-algorithms';
      break;
    case EXT_ALPN:
      ok = readAlpn(b, p, end, ch.alpn);
      what = 'alpn';
      break;
    case EXT_SUPPORTED_VERSIONS:
      list = readU16List(b, p, end, 1, ch.supportedVersions);
      what = 'supported-versions';
      break;
    case EXT_KEY_SHARE:
    case EXT_KEY_SHARE_DRAFT: {
      what = 'key-share';
      if (p + 2 > end) {
        ok = false;
        break;
      }
      const stop = p + 2 + u16(b, p);
      p += 2;
      const lim = Math.min(stop, end);
      while (p + 4 <= lim) {
        const n = u16(b, p + 2);
        ch.keyShareGroups.push(u16(b, p));
        ch.keyShareLengths?.push(n);
        p += 4 + n;
      }
      ok = p === stop && stop <= end;
      break;
    }
    case EXT_SESSION_TICKET:
      ch.sessionTicket = true;
      ch.sessionTicketLength = end - p;
      break;
    case EXT_PRE_SHARED_KEY:
      ch.pskOffered = true;
      break;
    case EXT_PSK_KEY_EXCHANGE_MODES:
      ok = readU8List(b, p, end, ch.pskModes);
      what = 'psk-modes';
      break;
    case EXT_ECH:
      ch.echOffered = true;
      break;
    case EXT_QUIC_TRANSPORT_PARAMETERS:
    case EXT_QUIC_TRANSPORT_PARAMETERS_DRAFT:
      if (ch.quicTransportParameters === null) ch.quicTransportParameters = copy(b, p, end);
      break;
  }
  if (!ok || list === LIST_PAST_END) ch.malformed = note(ch.malformed, `client-hello-${what}-past-end`);
  else if (list === LIST_ODD) ch.malformed = note(ch.malformed, `client-hello-${what}-odd-length`);
}

/** A list of 8-bit values with a 1-byte length prefix (ec_point_formats, psk_key_exchange_modes). */
function readU8List(b: Buffer, p: number, end: number, out: number[]): boolean {
  if (p + 1 > end) return false;
  const stop = p + 1 + b[p];
  const lim = Math.min(stop, end);
  for (p++; p < lim; p++) out.push(b[p]);
  return stop <= end;
}

/**
 * Parses a ClientHello body in [off, off+len). `format` 'dtls' reads the cookie after the session id.
 * Never throws: on a length past the end, fields up to the cut are kept and `truncated` is set.
 */
export function parseClientHello(buf: Buffer, off: number, len: number, format: 'tls' | 'dtls'): ClientHello {
  const ch = emptyClientHello(format);
  const b = buf;
  const end = Math.min(off + Math.max(len, 0), b.length);
  let p = off;
  const cut = (what: string): ClientHello => {
    ch.truncated = true;
    ch.malformed = note(ch.malformed, `client-hello-${what}-past-end`);
    return ch;
  };
  if (p + 2 > end) return cut('version');
  ch.legacyVersion = u16(b, p);
  p += 2;
  if (p + 32 > end) return cut('random');
  ch.random = copy(b, p, p + 32);
  p += 32;
  if (p + 1 > end || p + 1 + b[p] > end) return cut('session-id');
  ch.sessionId = copy(b, p + 1, p + 1 + b[p]);
  p += 1 + b[p];
  if (format === 'dtls') {
    if (p + 1 > end || p + 1 + b[p] > end) return cut('cookie');
    ch.cookie = copy(b, p + 1, p + 1 + b[p]);
    p += 1 + b[p];
  }
  if (p + 2 > end) return cut('cipher-suites');
  const csLen = u16(b, p);
  p += 2;
  if ((csLen & 1) !== 0) ch.malformed = note(ch.malformed, 'client-hello-cipher-suites-odd-length');
  const csEnd = p + csLen;
  for (let q = p, last = Math.min(csEnd, end) - 1; q < last; q += 2) ch.cipherSuites.push(u16(b, q));
  if (csEnd > end) return cut('cipher-suites');
  p = csEnd;
  if (p + 1 > end) return cut('compression-methods');
  const cmEnd = p + 1 + b[p];
  for (let q = p + 1, last = Math.min(cmEnd, end); q < last; q++) ch.compressionMethods.push(b[q]);
  if (cmEnd > end) return cut('compression-methods');
  p = cmEnd;
  if (p === end) return ch; // SSLv3-style hello without extensions
  if (p + 2 > end) return cut('extensions');
  const extEnd = p + 2 + u16(b, p);
  p += 2;
  const lim = Math.min(extEnd, end);
  while (p < lim) {
    if (p + 4 > lim) {
      ch.malformed = note(ch.malformed, 'client-hello-extension-past-end');
      ch.truncated = true;
      return ch;
    }
    const type = u16(b, p);
    const n = u16(b, p + 2);
    p += 4;
    ch.extensions.push({ type, length: n });
    if (p + n > lim) {
      ch.malformed = note(ch.malformed, 'client-hello-extension-past-end');
      ch.truncated = true;
      parseClientExtension(b, type, p, lim, ch);
      return ch;
    }
    parseClientExtension(b, type, p, p + n, ch);
    p += n;
  }
  if (extEnd > end) return cut('extensions');
  if (extEnd < end) ch.malformed = note(ch.malformed, 'client-hello-trailing-bytes');
  return ch;
}

/** TLS 1.3 drafts before 22 sent their version in server_version and had no session id / compression method. */
function isEarlyDraft(version: number): boolean {
  return version >= 0x7f00 && version < 0x7f16;
}

function parseServerExtension(b: Buffer, type: number, p: number, end: number, sh: ServerHello): void {
  let ok = true;
  let what = '';
  switch (type) {
    case EXT_SUPPORTED_VERSIONS:
      what = 'supported-versions';
      if (p + 2 <= end) sh.selectedVersion = u16(b, p);
      ok = p + 2 === end;
      break;
    case EXT_KEY_SHARE:
    case EXT_KEY_SHARE_DRAFT:
      // ServerHello: KeyShareEntry (group, key); HelloRetryRequest: selected_group only.
      what = 'key-share';
      if (p + 2 <= end) sh.keyShareGroup = u16(b, p);
      ok = sh.isHelloRetryRequest ? p + 2 === end : p + 4 <= end && p + 4 + u16(b, p + 2) === end;
      break;
    case EXT_ALPN: {
      what = 'alpn';
      const names: string[] = [];
      ok = readAlpn(b, p, end, names);
      if (names.length > 0) sh.alpn = names[0];
      break;
    }
    case EXT_SESSION_TICKET:
      sh.sessionTicket = true;
      break;
    case EXT_PRE_SHARED_KEY:
      sh.pskSelected = true;
      break;
  }
  if (!ok) sh.malformed = note(sh.malformed, `server-hello-${what}-past-end`);
}

/** Parses a ServerHello (or HelloRetryRequest) body in [off, off+len). Never throws. */
export function parseServerHello(buf: Buffer, off: number, len: number, _format: 'tls' | 'dtls'): ServerHello {
  const sh = emptyServerHello();
  const b = buf;
  const end = Math.min(off + Math.max(len, 0), b.length);
  let p = off;
  const cut = (what: string): ServerHello => {
    sh.truncated = true;
    sh.malformed = note(sh.malformed, `server-hello-${what}-past-end`);
    return sh;
  };
  if (p + 2 > end) return cut('version');
  sh.legacyVersion = u16(b, p);
  p += 2;
  if (p + 32 > end) return cut('random');
  sh.random = copy(b, p, p + 32);
  sh.isHelloRetryRequest = sh.random.equals(HRR_RANDOM);
  p += 32;
  const draft = isEarlyDraft(sh.legacyVersion);
  if (!draft) {
    if (p + 1 > end || p + 1 + b[p] > end) return cut('session-id');
    sh.sessionId = copy(b, p + 1, p + 1 + b[p]);
    p += 1 + b[p];
  }
  if (p + 2 > end) return cut('cipher-suite');
  sh.cipherSuite = u16(b, p);
  p += 2;
  if (!draft) {
    if (p + 1 > end) return cut('compression-method');
    sh.compressionMethod = b[p++];
  }
  if (p === end) return sh;
  if (p + 2 > end) return cut('extensions');
  const extEnd = p + 2 + u16(b, p);
  p += 2;
  const lim = Math.min(extEnd, end);
  while (p < lim) {
    if (p + 4 > lim) {
      sh.truncated = true;
      sh.malformed = note(sh.malformed, 'server-hello-extension-past-end');
      return sh;
    }
    const type = u16(b, p);
    const n = u16(b, p + 2);
    p += 4;
    sh.extensions.push({ type, length: n });
    if (p + n > lim) {
      sh.truncated = true;
      sh.malformed = note(sh.malformed, 'server-hello-extension-past-end');
      return sh;
    }
    parseServerExtension(b, type, p, p + n, sh);
    p += n;
  }
  if (extEnd > end) return cut('extensions');
  if (extEnd < end) sh.malformed = note(sh.malformed, 'server-hello-trailing-bytes');
  return sh;
}
