// Parsers for the cleartext handshake messages after the hellos (RFC 5246 7.4.2-7.4.6, RFC 4492
// 5.4, RFC 4279 2-4, RFC 5054 2.5, RFC 8446 4.3.2/4.4.2 for the few TLS 1.3 cases seen in
// cleartext). Bodies only (after the handshake header); never throw; copies of what is kept.

import { internCertificate } from './cert-cache.js';
import { createHash, type Hash } from 'node:crypto';
import type { CertificateRequest, ServerKeyExchange } from './types.js';

// Handshake message types (IANA TLS HandshakeType registry).
export const HS_HELLO_REQUEST = 0;
export const HS_CLIENT_HELLO = 1;
export const HS_SERVER_HELLO = 2;
export const HS_HELLO_VERIFY_REQUEST = 3;
export const HS_NEW_SESSION_TICKET = 4;
export const HS_END_OF_EARLY_DATA = 5;
export const HS_HELLO_RETRY_REQUEST = 6; // draft TLS 1.3 only
export const HS_ENCRYPTED_EXTENSIONS = 8;
export const HS_CERTIFICATE = 11;
export const HS_SERVER_KEY_EXCHANGE = 12;
export const HS_CERTIFICATE_REQUEST = 13;
export const HS_SERVER_HELLO_DONE = 14;
export const HS_CERTIFICATE_VERIFY = 15;
export const HS_CLIENT_KEY_EXCHANGE = 16;
export const HS_FINISHED = 20;
export const HS_CERTIFICATE_URL = 21;
export const HS_CERTIFICATE_STATUS = 22;
export const HS_SUPPLEMENTAL_DATA = 23;
export const HS_KEY_UPDATE = 24;
export const HS_MESSAGE_HASH = 254;

const u16 = (b: Buffer, p: number): number => (b[p] << 8) | b[p + 1];
const u24 = (b: Buffer, p: number): number => (b[p] << 16) | (b[p + 1] << 8) | b[p + 2];

/** Result of a body parser: the value plus the reason it stopped early (null when clean). */
export interface Parsed<T> {
  value: T;
  malformed: string | null;
}

/**
 * Certificate message. TLS <= 1.2: certificate_list<0..2^24-1> of ASN.1Cert<1..2^24-1>.
 * TLS 1.3 (`tls13`): certificate_request_context<0..255> first, and extensions after each entry.
 * Certificates are copied; an entry past the end stops the list (what came before is kept).
 */
export function parseCertificates(b: Buffer, off: number, len: number, tls13: boolean): Parsed<Buffer[]> {
  const certs: Buffer[] = [];
  const end = Math.min(off + len, b.length);
  let p = off;
  if (tls13) {
    if (p + 1 > end || p + 1 + b[p] > end) return { value: certs, malformed: 'certificate-context-past-end' };
    p += 1 + b[p];
  }
  if (p + 3 > end) return { value: certs, malformed: 'certificate-list-past-end' };
  const listEnd = p + 3 + u24(b, p);
  p += 3;
  const lim = Math.min(listEnd, end);
  while (p < lim) {
    if (p + 3 > lim) return { value: certs, malformed: 'certificate-entry-past-end' };
    const n = u24(b, p);
    p += 3;
    if (p + n > lim) return { value: certs, malformed: 'certificate-entry-past-end' };
    // one shared copy per distinct certificate: servers send the same chain to every client
    certs.push(internCertificate(b, p, n).der);
    p += n;
    if (tls13) {
      if (p + 2 > lim || p + 2 + u16(b, p) > lim) return { value: certs, malformed: 'certificate-extensions-past-end' };
      p += 2 + u16(b, p);
    }
  }
  if (listEnd > end) return { value: certs, malformed: 'certificate-list-past-end' };
  return { value: certs, malformed: null };
}

/** Bit length of an unsigned big-endian integer (leading zero bytes and bits excluded). */
export function bitLength(b: Buffer, start: number, end: number): number {
  let p = start;
  while (p < end && b[p] === 0) p++;
  if (p >= end) return 0;
  return (end - p - 1) * 8 + (32 - Math.clz32(b[p]));
}

/** Skips a <0..2^16-1> vector at p; returns the position after it, or -1 when it overruns `end`. */
function skip16(b: Buffer, p: number, end: number): number {
  if (p + 2 > end) return -1;
  const q = p + 2 + u16(b, p);
  return q <= end ? q : -1;
}

/**
 * ServerKeyExchange, whose layout depends on the negotiated suite's key exchange (`kx` as in
 * iana/ciphers CipherInfo: 'ECDHE', 'ECDH' (anon), 'DHE', 'DH' (anon), 'RSA' (export), 'PSK',
 * 'ECDHE_PSK', 'DHE_PSK', 'RSA_PSK', 'SRP'). `signed12`: TLS 1.2 (a SignatureAndHashAlgorithm
 * precedes the signature of non-anonymous suites).
 */
export function parseServerKeyExchange(b: Buffer, off: number, len: number, kx: string | undefined, signed12: boolean, anon: boolean): Parsed<ServerKeyExchange> {
  const ske: ServerKeyExchange = { kind: 'unknown', namedCurve: -1, dhPrimeBits: 0, rsaModulusBits: 0, signatureAlgorithm: -1 };
  const end = Math.min(off + len, b.length);
  let p = off;
  const bad = (what: string): Parsed<ServerKeyExchange> => ({ value: ske, malformed: `server-key-exchange-${what}-past-end` });
  const k = kx ?? '';
  if (k === 'ECDHE_PSK' || k === 'DHE_PSK' || k === 'PSK' || k === 'RSA_PSK') {
    // psk_identity_hint<0..2^16-1> comes first (RFC 4279 2, RFC 5489 2).
    p = skip16(b, p, end);
    if (p < 0) return bad('psk-identity-hint');
  }
  let signed = !anon;
  switch (k) {
    case 'ECDHE':
    case 'ECDH':
    case 'ECDHE_PSK': {
      ske.kind = 'ecdhe';
      if (p + 1 > end) return bad('curve-type');
      const curveType = b[p];
      if (curveType === 3) {
        if (p + 3 > end) return bad('named-curve');
        ske.namedCurve = u16(b, p + 1);
        p += 3;
      } else {
        return { value: ske, malformed: null }; // explicit curves (1, 2): nothing more we report
      }
      if (p + 1 > end || p + 1 + b[p] > end) return bad('ec-point');
      p += 1 + b[p];
      if (k === 'ECDHE_PSK') signed = false;
      break;
    }
    case 'DHE':
    case 'DH':
    case 'DHE_PSK': {
      ske.kind = 'dhe';
      if (p + 2 > end) return bad('dh-p');
      const n = u16(b, p);
      if (p + 2 + n > end) return bad('dh-p');
      ske.dhPrimeBits = bitLength(b, p + 2, p + 2 + n);
      p += 2 + n;
      for (const field of ['dh-g', 'dh-ys']) {
        p = skip16(b, p, end);
        if (p < 0) return bad(field);
      }
      if (k === 'DHE_PSK') signed = false;
      break;
    }
    case 'RSA': {
      ske.kind = 'rsa';
      if (p + 2 > end) return bad('rsa-modulus');
      const n = u16(b, p);
      if (p + 2 + n > end) return bad('rsa-modulus');
      ske.rsaModulusBits = bitLength(b, p + 2, p + 2 + n);
      p = skip16(b, p + 2 + n, end);
      if (p < 0) return bad('rsa-exponent');
      break;
    }
    case 'PSK':
    case 'RSA_PSK':
      ske.kind = 'psk';
      return { value: ske, malformed: null };
    case 'SRP':
      ske.kind = 'srp';
      return { value: ske, malformed: null };
    default:
      return { value: ske, malformed: null };
  }
  if (signed && signed12 && p + 2 <= end) ske.signatureAlgorithm = u16(b, p);
  return { value: ske, malformed: null };
}

/**
 * CertificateRequest. TLS <= 1.2: certificate_types<1..2^8-1>, then (TLS 1.2 only)
 * supported_signature_algorithms<2..2^16-2>, then certificate_authorities. TLS 1.3 (when seen in
 * cleartext): certificate_request_context, then extensions (signature_algorithms is 13).
 */
export function parseCertificateRequest(b: Buffer, off: number, len: number, version: number, tls13: boolean): Parsed<CertificateRequest> {
  const cr: CertificateRequest = { certificateTypes: [], signatureAlgorithms: [] };
  const end = Math.min(off + len, b.length);
  let p = off;
  if (tls13) {
    if (p + 1 > end || p + 1 + b[p] > end) return { value: cr, malformed: 'certificate-request-context-past-end' };
    p += 1 + b[p];
    if (p + 2 > end) return { value: cr, malformed: 'certificate-request-extensions-past-end' };
    const lim = Math.min(p + 2 + u16(b, p), end);
    p += 2;
    while (p + 4 <= lim) {
      const type = u16(b, p);
      const n = u16(b, p + 2);
      p += 4;
      if (p + n > lim) return { value: cr, malformed: 'certificate-request-extension-past-end' };
      if (type === 13 && n >= 2) for (let q = p + 2, e = Math.min(p + 2 + u16(b, p), p + n) - 1; q < e; q += 2) cr.signatureAlgorithms.push(u16(b, q));
      p += n;
    }
    return { value: cr, malformed: null };
  }
  if (p + 1 > end || p + 1 + b[p] > end) return { value: cr, malformed: 'certificate-request-types-past-end' };
  for (let q = p + 1, e = p + 1 + b[p]; q < e; q++) cr.certificateTypes.push(b[q]);
  p += 1 + b[p];
  if (version === 0x0303 || version === 0xfefd) {
    if (p + 2 > end || p + 2 + u16(b, p) > end) return { value: cr, malformed: 'certificate-request-signature-algorithms-past-end' };
    for (let q = p + 2, e = p + 2 + u16(b, p) - 1; q < e; q += 2) cr.signatureAlgorithms.push(u16(b, q));
    p += 2 + u16(b, p);
  }
  if (skip16(b, p, end) < 0) return { value: cr, malformed: 'certificate-request-authorities-past-end' };
  return { value: cr, malformed: null };
}

/**
 * Streaming reader of a Certificate message too large to buffer: it sees the body once, in
 * pieces, and yields every certificate's SHA-256 (and the DER itself when it fits `maxDer`).
 */
export class CertificateStream {
  readonly sha256: string[] = [];
  readonly der: (Buffer | null)[] = [];
  malformed: string | null = null;
  private phase: 'context' | 'list' | 'length' | 'cert' | 'extlen' | 'ext' | 'done';
  private need: number; // bytes left in the current field
  private acc = 0; // big-endian accumulator for length fields
  private listLeft = -1; // bytes left in certificate_list
  private hash: Hash | null = null;
  private parts: Buffer[] | null = null;
  private afterExt: 'list' | 'entry' = 'entry';

  constructor(
    private readonly tls13: boolean,
    private readonly maxDer: number,
  ) {
    this.phase = tls13 ? 'context' : 'list';
    this.need = tls13 ? 1 : 3;
  }

  feed(b: Buffer, off: number, len: number): void {
    let p = off;
    const end = off + len;
    while (p < end && this.phase !== 'done') {
      if (this.phase === 'cert' || this.phase === 'ext') {
        const n = Math.min(this.need, end - p);
        if (this.phase === 'cert' && n > 0) {
          this.hash?.update(b.subarray(p, p + n));
          this.parts?.push(Buffer.from(b.subarray(p, p + n)));
        }
        p += n;
        this.consume(n);
        this.need -= n;
        if (this.need === 0) this.fieldDone();
        continue;
      }
      this.acc = (this.acc * 256 + b[p++]) >>> 0;
      this.consume(1);
      if (--this.need === 0) this.fieldDone();
    }
  }

  /** The message ended: anything still expected means it was cut short. */
  finish(): void {
    if (this.phase !== 'done' && this.malformed === null) this.malformed = 'certificate-list-past-end';
  }

  private consume(n: number): void {
    if (this.listLeft >= 0) this.listLeft -= n;
  }

  private fieldDone(): void {
    const v = this.acc;
    this.acc = 0;
    switch (this.phase) {
      case 'context':
        this.phase = 'list';
        this.need = 3;
        if (v > 0) {
          // Skip the request context by reading it as a (discarded) extension block.
          this.phase = 'ext';
          this.need = v;
          this.afterExt = 'list';
        }
        return;
      case 'list':
        this.listLeft = v;
        this.nextEntry();
        return;
      case 'length':
        this.phase = 'cert';
        this.need = v;
        this.hash = createHash('sha256');
        this.parts = v <= this.maxDer ? [] : null;
        if (v === 0) this.fieldDone();
        return;
      case 'cert':
        this.sha256.push((this.hash as Hash).digest('hex'));
        this.der.push(this.parts ? Buffer.concat(this.parts) : null);
        this.hash = null;
        this.parts = null;
        if (this.tls13) {
          this.phase = 'extlen';
          this.need = 2;
        } else this.nextEntry();
        return;
      case 'extlen':
        this.phase = 'ext';
        this.need = v;
        this.afterExt = 'entry';
        if (v === 0) this.fieldDone();
        return;
      case 'ext':
        if (this.afterExt === 'list') {
          this.phase = 'list';
          this.need = 3;
        } else this.nextEntry();
        return;
    }
  }

  private nextEntry(): void {
    if (this.listLeft <= 0) {
      if (this.listLeft < 0) this.malformed = 'certificate-entry-past-end';
      this.phase = 'done';
      return;
    }
    this.phase = 'length';
    this.need = 3;
  }
}
