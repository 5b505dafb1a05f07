// Per-connection TLS state: both directions' record layers, handshake reassembly, and the
// facts the logger and the audit rules read. established / resumed follow Zeek's ssl.log:
//  * a direction turns "encrypted" on its ChangeCipherSpec (TLS <= 1.2; ignored once TLS 1.3 or a
//    TLS 1.3 draft is negotiated), on its first application_data record when the negotiated
//    version is not SSLv2/SSLv3/TLS 1.0-1.2 (TLS 1.3: everything after the hellos is type 23), or
//    for both directions after an SSLv2 CLIENT-MASTER-KEY / session-id hit;
//  * established = the first record seen in an encrypted direction while both are encrypted;
//  * resumed = the server echoes the client's non-empty, non-zero session id (not TLS 1.3), or
//    the client sent CCS before any ClientKeyExchange after offering a ticket with an empty session
//    id, or the client offered pre_shared_key and the server's hello selected one.
// Only handshake bytes are buffered (bounded per direction); other records are skipped by header.

import { cipherSuiteInfo } from './iana/ciphers.js';
import { emptyServerHello, parseClientHello, parseServerHello } from './hello.js';
import { parseSsl2ClientHello, parseSsl2ServerHello } from './ssl2.js';
import * as M from './messages.js';
import { HandshakeAssembler, type HandshakeSink } from './reassembly.js';
import { CT_ALERT, CT_APPLICATION_DATA, CT_CHANGE_CIPHER_SPEC, CT_HANDSHAKE, CT_HEARTBEAT, CT_SSL2, RecordReader, type RecordSink } from './record.js';
import type { Alert, CertificateRequest, ClientHello, ServerHello, ServerKeyExchange } from './types.js';

export { isTlsStart } from './record.js';
export { parseClientHello, parseServerHello } from './hello.js';

export interface TlsSessionOptions {
  /** Largest handshake message buffered (per direction); a larger one is skipped by length and noted. Default 64 KiB. */
  maxHandshakeBytes?: number;
  /** Hello layout for handshakeMessage(): 'dtls' reads the ClientHello cookie. Default 'tls'. */
  format?: 'tls' | 'dtls';
}

const MAX_HISTORY = 100; // Zeek's max_ssl_history_length
const SMALL = 32; // alert / CCS record bytes kept (16 alerts)

/** Zeek's determine_tls13(): TLS 1.3 or any 0x7fXX draft (integer division by 0xFF, as Zeek does). */
export function isTls13Version(v: number): boolean {
  return v === 0x0304 || v === 0xfefc || Math.floor(v / 0xff) === 0x7f;
}

/** Versions whose application_data can only follow a ChangeCipherSpec (Zeek's determine_state list). */
function isPreTls13Version(v: number): boolean {
  return v === 0x0002 || v === 0x0300 || v === 0x0301 || v === 0x0302 || v === 0x0303 || v === 0xfeff || v === 0xfefd;
}

const HISTORY_LETTERS: Record<number, string> = {
  0: 'h', 1: 'c', 2: 's', 3: 'v', 4: 't', 5: 'e', 6: 'j', 8: 'o', 11: 'x', 12: 'k', 13: 'r', 14: 'n',
  15: 'y', 16: 'g', 20: 'f', 21: 'w', 22: 'u', 23: 'a', 24: 'p', 254: 'm',
};

class Side {
  readonly reader: RecordReader;
  readonly hs: HandshakeAssembler;
  encrypted = false;
  recType = 0; // content type of the record whose body is being delivered
  readonly small = Buffer.alloc(SMALL); // alert / CCS body
  smallLen = 0;
  recLen = 0;
  constructor(fromOriginator: boolean, session: TlsSession, maxHs: number) {
    this.reader = new RecordReader(fromOriginator, session);
    this.hs = new HandshakeAssembler(fromOriginator, session, maxHs);
  }
}

export class TlsSession implements RecordSink, HandshakeSink {
  clientHello: ClientHello | null = null;
  /** The ClientHello answering a HelloRetryRequest (fingerprints use the first one). */
  secondClientHello: ClientHello | null = null;
  serverHello: ServerHello | null = null;
  helloRetryRequest: ServerHello | null = null;
  clientIsOriginator: boolean | null = null;
  serverCertificates: Buffer[] = [];
  clientCertificates: Buffer[] | null = null;
  /**
   * SHA-256 of every certificate, set only when a Certificate message was too large to buffer:
   * then serverCertificates / clientCertificates hold the DERs up to the first one that did not fit.
   */
  serverChainSha256: string[] | null = null;
  clientChainSha256: string[] | null = null;
  certificateRequest: CertificateRequest | null = null;
  serverKeyExchange: ServerKeyExchange | null = null;
  alerts: Alert[] = [];
  established = false;
  resumed = false;
  changeCipherSpec: [boolean, boolean] = [false, false];
  malformed: string[] = [];
  /** Version the server chose (supported_versions, else server_version); 0 until a ServerHello / HRR. */
  negotiatedVersion = 0;
  /** Zeek-style ssl_history letters (upper case: client). */
  history = '';
  sessionTicketIssued = false; // cleartext NewSessionTicket
  ocspStapled = false; // CertificateStatus
  /** A direction lost bytes (gap) or stopped parsing (see malformed). */
  gapSeen = false;
  /** Encrypted handshake records (the Finished after CCS) seen per [client, server]. */
  encryptedHandshake: [boolean, boolean] = [false, false];

  private readonly sides: [Side, Side];
  private readonly maxHs: number;
  private readonly format: 'tls' | 'dtls';
  private clientKeyExchangeSeen = false;
  private clientTicketEmptySession = false;
  private clientPskSeen = false;
  private fatalAlert = false;
  private recordVersion = 0; // version field of the record carrying the current handshake bytes

  constructor(opts?: TlsSessionOptions) {
    this.maxHs = Math.max(opts?.maxHandshakeBytes ?? 64 * 1024, 64);
    this.format = opts?.format ?? 'tls';
    this.sides = [new Side(true, this, this.maxHs), new Side(false, this, this.maxHs)];
  }

  /** Nothing we log can change any more: established, failed with a fatal alert, or both directions stopped. */
  get done(): boolean {
    return this.established || this.fatalAlert || (this.sides[0].reader.stopped && this.sides[1].reader.stopped);
  }

  feed(fromOriginator: boolean, buf: Buffer, off: number, len: number): void {
    const s = this.sides[fromOriginator ? 0 : 1];
    if (s.reader.stopped || len <= 0) return;
    try {
      s.reader.feed(buf, off, len);
    } catch {
      // Parsers are written not to throw; this is the last guard so a bug never takes down the engine.
      s.reader.stop('internal-parse-error');
    }
  }

  gap(fromOriginator: boolean): void {
    const s = this.sides[fromOriginator ? 0 : 1];
    this.gapSeen = true;
    s.hs.release();
    s.reader.stopped = true;
  }

  /** The connection ended: a record or handshake message cut short is noted. */
  end(): void {
    for (const s of this.sides) {
      if (!s.reader.stopped) {
        if (!s.reader.atBoundary) this.note('record-truncated');
        if (s.hs.pending) this.note('handshake-message-truncated');
      }
      // nothing is fed after the end: a partial message's buffer goes now, not with the flow
      s.hs.release();
    }
  }

  /**
   * One whole record whose framing the caller decoded itself (DTLS): updates the encryption,
   * CCS, alert and established state exactly as a TCP record would. Returns true when it is a
   * cleartext handshake record, whose reassembled messages the caller then passes to
   * handshakeMessage() (DTLS fragments messages differently); false otherwise.
   */
  datagramRecord(fromOriginator: boolean, type: number, version: number, buf: Buffer, off: number, len: number): boolean {
    const s = this.sides[fromOriginator ? 0 : 1];
    try {
      if (!this.recordStart(fromOriginator, type, version, len)) return false;
      if (type === CT_HANDSHAKE) return true;
      this.recordBody(fromOriginator, buf, off, len);
      this.recordEnd(fromOriginator);
    } catch {
      this.note('internal-parse-error');
    }
    s.recType = 0;
    return false;
  }

  /** True when `fromOriginator` is the TLS client (the originator until a hello says otherwise). */
  isClient(fromOriginator: boolean): boolean {
    return this.clientIsOriginator === null ? fromOriginator : fromOriginator === this.clientIsOriginator;
  }

  // ---------------------------------------------------------------- record sink

  recordStart(fromOriginator: boolean, type: number, version: number, length: number): boolean {
    const s = this.sides[fromOriginator ? 0 : 1];
    s.recType = type;
    s.smallLen = 0;
    s.recLen = length;
    if (type === CT_HANDSHAKE) this.recordVersion = version;
    if (!s.encrypted && type === CT_APPLICATION_DATA && !isPreTls13Version(this.negotiatedVersion)) this.startEncryption(s);
    if (s.encrypted) {
      // A 2-byte alert cannot carry a MAC or AEAD tag: it is a cleartext alert (RFC 8446 allows
      // unprotected alerts when keys are missing), decoded rather than counted as ciphertext.
      if (type === CT_ALERT && length === 2) return true;
      this.ciphertextRecord(fromOriginator, type);
      return false;
    }
    switch (type) {
      case CT_SSL2:
        if (length > this.maxHs) {
          this.note('ssl2-record-too-large');
          return false;
        }
        s.hs.reset();
        return true;
      case CT_HANDSHAKE:
        if (length === 0) this.note('handshake-record-empty');
        return true;
      case CT_ALERT:
      case CT_CHANGE_CIPHER_SPEC:
        if (s.hs.pending) this.note('handshake-message-interleaved');
        return true;
      case CT_HEARTBEAT:
        this.addHistory(fromOriginator, 'b');
        return false;
      default:
        // Cleartext application data before the handshake finished (Zeek: ssl_early_application_data).
        if (this.serverHello !== null) this.note('plaintext-application-data');
        return false;
    }
  }

  recordBody(fromOriginator: boolean, buf: Buffer, off: number, len: number): void {
    const s = this.sides[fromOriginator ? 0 : 1];
    switch (s.recType) {
      case CT_HANDSHAKE:
        s.hs.push(buf, off, len);
        break;
      case CT_SSL2:
        s.hs.append(buf, off, len, s.recLen);
        break;
      default: {
        const n = Math.min(len, SMALL - s.smallLen);
        if (n > 0) buf.copy(s.small, s.smallLen, off, off + n);
        s.smallLen += n;
      }
    }
  }

  recordEnd(fromOriginator: boolean): void {
    const s = this.sides[fromOriginator ? 0 : 1];
    try {
      if (s.recType === CT_CHANGE_CIPHER_SPEC) this.changeCipherSpecRecord(s, fromOriginator);
      else if (s.recType === CT_ALERT) this.alertRecord(s, fromOriginator);
      else if (s.recType === CT_SSL2) {
        const body = s.hs.bytes;
        const n = s.hs.len;
        s.hs.reset();
        if (body !== null && n > 0) this.ssl2Message(fromOriginator, body, n);
      }
    } catch {
      this.note('internal-parse-error');
    }
  }

  recordStop(_fromOriginator: boolean, reason: string): void {
    this.note(reason);
  }

  // ---------------------------------------------------------------- handshake layer

  /**
   * A direction's handshake byte stream without record framing (a QUIC CRYPTO stream), in order.
   * Messages are reassembled and parsed exactly as from TLS records.
   */
  feedHandshake(fromOriginator: boolean, buf: Buffer, off: number, len: number): void {
    const s = this.sides[fromOriginator ? 0 : 1];
    if (s.reader.stopped || len <= 0) return;
    this.recordVersion = 0;
    try {
      s.hs.push(buf, off, len);
    } catch {
      this.note('internal-parse-error');
    }
  }

  // ---------------------------------------------------------------- handshake sink

  halted(fromOriginator: boolean): boolean {
    const s = this.sides[fromOriginator ? 0 : 1];
    return s.reader.stopped || s.encrypted;
  }

  tls13(): boolean {
    return isTls13Version(this.negotiatedVersion);
  }

  /** A message too large to buffer: its body is skipped by length, the message type still counts. */
  oversized(fromOriginator: boolean, type: number, _size: number): void {
    this.note('handshake-message-too-large');
    this.addHistory(fromOriginator, HISTORY_LETTERS[type] ?? 'z');
  }

  /** An oversized Certificate: every certificate's SHA-256, and the DERs up to the first that did not fit. */
  certificates(fromOriginator: boolean, cs: M.CertificateStream): void {
    if (cs.malformed !== null) this.note(cs.malformed);
    const missing = cs.der.indexOf(null);
    const ders = (missing < 0 ? cs.der : cs.der.slice(0, missing)) as Buffer[];
    if (this.isClient(fromOriginator)) {
      if (this.clientCertificates === null) {
        this.clientCertificates = ders;
        this.clientChainSha256 = cs.sha256;
      }
    } else if (this.serverCertificates.length === 0 && this.serverChainSha256 === null) {
      this.serverCertificates = ders;
      this.serverChainSha256 = cs.sha256;
    }
  }

  /**
   * One complete handshake message (body in [off, off+len)). Public so QUIC and DTLS can feed
   * messages they reassembled themselves. Never throws.
   */
  handshakeMessage(fromOriginator: boolean, type: number, buf: Buffer, off: number, len: number): void {
    this.recordVersion = 0;
    this.message(fromOriginator, type, buf, off, len);
  }

  /** HandshakeSink: a message reassembled from this session's own records. */
  message(fromOriginator: boolean, type: number, buf: Buffer, off: number, len: number): void {
    try {
      this.dispatch(fromOriginator, type, buf, off, len);
    } catch {
      this.note('internal-parse-error');
    }
  }

  private dispatch(fromOriginator: boolean, type: number, buf: Buffer, off: number, len: number): void {
    if (this.clientIsOriginator === null) {
      if (type === M.HS_CLIENT_HELLO || type === M.HS_CLIENT_KEY_EXCHANGE || type === M.HS_END_OF_EARLY_DATA) this.clientIsOriginator = fromOriginator;
      else if (type === M.HS_SERVER_HELLO || type === M.HS_SERVER_KEY_EXCHANGE || type === M.HS_SERVER_HELLO_DONE || type === M.HS_CERTIFICATE_REQUEST || type === M.HS_NEW_SESSION_TICKET || type === M.HS_HELLO_VERIFY_REQUEST)
        this.clientIsOriginator = !fromOriginator;
    }
    const fromClient = this.isClient(fromOriginator);
    switch (type) {
      case M.HS_CLIENT_HELLO: {
        const ch = parseClientHello(buf, off, len, this.format);
        ch.recordVersion = this.recordVersion;
        this.mergeMalformed(ch.malformed);
        if (this.clientHello === null) this.clientHello = ch;
        else if (this.helloRetryRequest !== null && this.secondClientHello === null) this.secondClientHello = ch;
        else break;
        // Zeek: a real session id (not 32 zero bytes) cancels the "ticket with empty session" case.
        if (ch.sessionTicket && ch.sessionTicketLength > 0) this.clientTicketEmptySession = true;
        if (ch.sessionId.length > 0 && !ch.sessionId.every((x) => x === 0)) this.clientTicketEmptySession = false;
        if (ch.pskOffered) this.clientPskSeen = true;
        break;
      }
      case M.HS_SERVER_HELLO: {
        const sh = parseServerHello(buf, off, len, this.format);
        this.mergeMalformed(sh.malformed);
        this.serverHelloSeen(fromOriginator, sh);
        return;
      }
      case M.HS_NEW_SESSION_TICKET:
        this.sessionTicketIssued = true;
        break;
      case M.HS_CERTIFICATE: {
        const r = M.parseCertificates(buf, off, len, isTls13Version(this.negotiatedVersion));
        if (r.malformed !== null) this.note(r.malformed);
        if (fromClient) {
          if (this.clientCertificates === null) this.clientCertificates = r.value;
        } else if (this.serverCertificates.length === 0) this.serverCertificates = r.value;
        break;
      }
      case M.HS_SERVER_KEY_EXCHANGE: {
        const info = this.serverHello !== null ? cipherSuiteInfo(this.serverHello.cipherSuite) : undefined;
        const v = this.negotiatedVersion;
        const r = M.parseServerKeyExchange(buf, off, len, info?.kx, v === 0x0303 || v === 0xfefd, info?.auth === 'anon');
        if (r.malformed !== null) this.note(r.malformed);
        if (this.serverKeyExchange === null) this.serverKeyExchange = r.value;
        break;
      }
      case M.HS_CERTIFICATE_REQUEST: {
        const r = M.parseCertificateRequest(buf, off, len, this.negotiatedVersion, isTls13Version(this.negotiatedVersion));
        if (r.malformed !== null) this.note(r.malformed);
        if (this.certificateRequest === null) this.certificateRequest = r.value;
        break;
      }
      case M.HS_CLIENT_KEY_EXCHANGE:
        if (fromClient) this.clientKeyExchangeSeen = true;
        break;
      case M.HS_CERTIFICATE_STATUS:
        this.ocspStapled = true;
        break;
    }
    this.addHistory(fromOriginator, HISTORY_LETTERS[type] ?? 'z');
  }

  private serverHelloSeen(fromOriginator: boolean, sh: ServerHello): void {
    this.addHistory(fromOriginator, sh.isHelloRetryRequest ? 'j' : 's');
    this.negotiatedVersion = sh.selectedVersion !== 0 ? sh.selectedVersion : sh.legacyVersion;
    if (sh.isHelloRetryRequest) {
      if (this.helloRetryRequest === null) this.helloRetryRequest = sh;
      return;
    }
    this.serverHello = sh;
    const ch = this.clientHello;
    const sid = ch?.sessionId;
    if (sid !== undefined && sid.length > 0 && !sid.every((x) => x === 0) && sid.equals(sh.sessionId) && !isTls13Version(this.negotiatedVersion))
      this.resumed = true;
    if (sh.pskSelected && this.clientPskSeen) this.resumed = true;
  }

  // ---------------------------------------------------------------- other records

  private changeCipherSpecRecord(s: Side, fromOriginator: boolean): void {
    if (s.smallLen !== 1 || s.small[0] !== 1) this.note('change-cipher-spec-malformed');
    const fromClient = this.isClient(fromOriginator);
    this.changeCipherSpec[fromClient ? 0 : 1] = true;
    this.addHistory(fromOriginator, 'i');
    if (fromClient && this.clientTicketEmptySession && !this.clientKeyExchangeSeen) this.resumed = true;
    // TLS 1.3 middlebox-compatibility CCS changes nothing (RFC 8446 D.4).
    if (!isTls13Version(this.negotiatedVersion)) this.startEncryption(s);
  }

  private alertRecord(s: Side, fromOriginator: boolean): void {
    const n = Math.min(s.smallLen, SMALL);
    if (n < 2 || s.recLen % 2 !== 0) this.note('alert-record-length');
    const fromClient = this.isClient(fromOriginator);
    // RFC 8446 5.1: one alert per record; earlier versions may coalesce several.
    const max = isTls13Version(this.negotiatedVersion) ? 2 : n;
    for (let p = 0; p + 1 < Math.min(n, max); p += 2) {
      const level = s.small[p];
      this.alerts.push({ fromClient, level, description: s.small[p + 1], encrypted: false, beforeEstablished: !this.established });
      this.addHistory(fromOriginator, 'l');
      if (level === 2 && !this.established) this.fatalAlert = true;
    }
    if (this.fatalAlert) for (const side of this.sides) side.hs.release();
  }

  private ciphertextRecord(fromOriginator: boolean, type: number): void {
    if (this.sides[0].encrypted && this.sides[1].encrypted && !this.established) this.established = true;
    if (type === CT_HANDSHAKE) this.encryptedHandshake[this.isClient(fromOriginator) ? 0 : 1] = true;
    if (type === CT_ALERT) this.alerts.push({ fromClient: this.isClient(fromOriginator), level: 0, description: -1, encrypted: true, beforeEstablished: !this.established });
  }

  private startEncryption(s: Side): void {
    if (s.encrypted) return;
    s.encrypted = true;
    if (s.hs.pending && s.recType !== CT_SSL2) this.note('handshake-message-truncated');
    s.hs.release();
  }

  /** One SSLv2 record body (cleartext): message type, then the message. */
  private ssl2Message(fromOriginator: boolean, body: Buffer, n: number): void {
    const type = body[0];
    if (type === 1) {
      if (this.clientHello !== null) return;
      const ch = parseSsl2ClientHello(body, 1, n - 1);
      this.mergeMalformed(ch.malformed);
      this.clientHello = ch;
      if (this.clientIsOriginator === null) this.clientIsOriginator = fromOriginator;
      this.addHistory(fromOriginator, 'c');
    } else if (type === 4) {
      const sh = n > 1 ? parseSsl2ServerHello(body, 1, n - 1) : emptyServerHello();
      this.mergeMalformed(sh.malformed);
      if (this.clientIsOriginator === null) this.clientIsOriginator = !fromOriginator;
      this.serverHello = sh;
      this.negotiatedVersion = sh.legacyVersion;
      this.addHistory(fromOriginator, 's');
      if (sh.ssl2Certificate) this.serverCertificates = [sh.ssl2Certificate];
      this.sides[0].reader.forceSsl2();
      this.sides[1].reader.forceSsl2();
      if (sh.ssl2SessionIdHit) {
        // Session-id hit: both sides go straight to encrypted CLIENT-FINISHED / SERVER-VERIFY.
        this.resumed = true;
        this.startEncryption(this.sides[0]);
        this.startEncryption(this.sides[1]);
      }
    } else if (type === 2) {
      // CLIENT-MASTER-KEY: encryption starts for both sides after it.
      this.addHistory(fromOriginator, 'g');
      this.startEncryption(this.sides[0]);
      this.startEncryption(this.sides[1]);
    } else if (type === 0) {
      // ERROR message: error code in the next two bytes; the handshake failed.
      const code = n >= 3 ? (body[1] << 8) | body[2] : 0;
      this.alerts.push({ fromClient: this.isClient(fromOriginator), level: 2, description: -1, encrypted: false, beforeEstablished: !this.established, ssl2Error: code });
      this.addHistory(fromOriginator, 'l');
      this.fatalAlert = true;
    } else this.note('ssl2-unknown-message');
  }

  // ---------------------------------------------------------------- helpers

  private addHistory(fromOriginator: boolean, letter: string): void {
    if (this.history.length >= MAX_HISTORY) return;
    this.history += this.isClient(fromOriginator) ? letter.toUpperCase() : letter;
  }

  private note(reason: string): void {
    if (this.malformed.length < 32 && !this.malformed.includes(reason)) this.malformed.push(reason);
  }

  private mergeMalformed(list: string[] | undefined): void {
    if (list !== undefined) for (const r of list) this.note(r);
  }
}
