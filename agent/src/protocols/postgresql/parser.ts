// PostgreSQL frontend/backend protocol up to the end of authentication
// (https://www.postgresql.org/docs/current/protocol-flow.html, protocol-message-formats.html).
//
// Client: untyped messages first ("Int32 length, Int32 code"): SSLRequest (80877103) /
// GSSENCRequest (80877104), each answered by a single byte from the server ('S' / 'G'
// accept, 'N' refuse), CancelRequest, then the StartupMessage (protocol 3.x parameters
// "name\0value\0"..., or the fixed 296-byte 2.0 packet); then typed messages
// ("Byte1 type, Int32 length"). Server: typed messages, except those single bytes.
//
// Audit facts:
//  - starttls: an SSLRequest is the client asking for TLS: {offered: true, offeredBy:
//    'client'}; used when the server answered 'S' (TLS then starts in both directions:
//    the client's bytes after its 8-byte request, the server's after the 'S'). A refusal
//    ('N') leaves used false and details.ssl 'refused'. A StartupMessage without a prior
//    SSLRequest is {offered: false, used: false}, details.ssl 'not-requested'.
//  - credentials: a PasswordMessage answering AuthenticationCleartextPassword (R, 3) is
//    a cleartext password ('postgresql-cleartext', user from the StartupMessage). MD5
//    (R, 5) and SCRAM exchange hashes / proofs, not the password: details.auth only.
//  - details: user, database, application_name, protocol, ssl, gssenc, auth, sasl
//    mechanisms, server_version, error (SQLSTATE) during startup.
// GSSAPI encryption ('G') is not TLS: details.gssenc 'accepted' and the parser stops.

import { registerAppParser } from '../app-parser.js';
import { FRAME_INVALID, FRAME_NEED_MORE, FramedParser, nul, text, userName } from '../framed-parser.js';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const MAX_STARTUP = 10000; // the server's own limit on a startup packet
const MAX_MESSAGE = 0x3fffffff;
const BUDGET = 64 * 1024;

const REQ_SSL = 1;
const REQ_GSS = 2;

const S = 0x53;
const N = 0x4e;
const G = 0x47;
const TLS_HANDSHAKE = 0x16;

const AUTH_METHODS: Record<number, string> = {
  2: 'kerberos-v5',
  3: 'cleartext',
  5: 'md5',
  6: 'scm-credential',
  7: 'gss',
  8: 'sspi',
  10: 'sasl',
};

function u32(buf: Buffer, off: number): number {
  return buf.readUInt32BE(off);
}

function isTypeByte(b: number): boolean {
  return (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || (b >= 0x31 && b <= 0x33);
}

/** A PasswordMessage body that is one printable NUL-terminated string and not an MD5 hash. */
function plainPassword(buf: Buffer, start: number, end: number): boolean {
  if (end - start < 2 || buf[end - 1] !== 0) return false;
  for (let i = start; i < end - 1; i++) if (buf[i] < 0x20 || buf[i] === 0x7f) return false;
  if (end - start === 36 && buf.toString('latin1', start, start + 3) === 'md5') return false;
  return true;
}

export class PostgresqlParser extends FramedParser {
  private clientTyped = false; // the StartupMessage was sent: typed messages follow
  private serverTyped = false;
  private readonly requests: number[] = []; // negotiation requests not answered yet
  private lastRequest = 0; // the client's latest negotiation request, while untyped
  private sslRequested = false;
  private authType = -1; // the server's latest authentication request
  private plainPasswordSent = false; // shape only: the secret is never kept
  private user: string | null = null;
  private sasl: string[] | null = null;

  constructor() {
    super(BUDGET);
  }

  protected frame(fromClient: boolean, buf: Buffer, off: number, avail: number): number {
    if (fromClient) {
      if (!this.clientTyped) {
        // untyped: the length is a small number, its first bytes are zero
        if (buf[off] !== 0 || (avail > 1 && buf[off + 1] !== 0)) return FRAME_INVALID;
        if (avail < 4) return FRAME_NEED_MORE;
        const len = u32(buf, off);
        return len >= 8 && len <= MAX_STARTUP ? len : FRAME_INVALID;
      }
      return typed(buf, off, avail);
    }
    if (!this.serverTyped) {
      // single-byte answers to SSLRequest / GSSENCRequest ('S' and 'G' cannot start a
      // backend message before authentication; 'N' can: NoticeResponse, length follows)
      const b = buf[off];
      if (b === S || b === G) return 1;
      if (b === N) {
        if (this.requests.length > 0) return 1;
        if (avail < 2) return FRAME_NEED_MORE;
        if (buf[off + 1] !== 0) return 1;
      }
    }
    return typed(buf, off, avail);
  }

  protected override upgradesAt(fromClient: boolean, buf: Buffer, off: number): boolean {
    // after an SSLRequest the client's next bytes are a ClientHello (accepted) or another
    // untyped message, whose first byte is 0
    if (fromClient && !this.clientTyped && this.lastRequest === REQ_SSL && buf[off] === TLS_HANDSHAKE) {
      this.tlsUsed();
      return true;
    }
    return false;
  }

  protected message(fromClient: boolean, buf: Buffer, off: number, len: number): void {
    if (fromClient) {
      if (this.clientTyped) this.clientMessage(buf, off, len);
      else this.untyped(buf, off, len);
    } else if (len === 1) {
      this.answer(buf[off]);
    } else {
      this.serverTyped = true;
      this.serverMessage(buf, off, len);
    }
  }

  override end(): void {
    // a capture holding only the client's side: a plain-string password message
    if (this.plainPasswordSent && this.authType < 0) this.addCredential('postgresql-cleartext', this.user);
    super.end();
  }

  private tlsUsed(): void {
    this.facts.upgrade = 'tls';
    this.facts.starttls = { offered: true, used: true, offeredBy: 'client' };
    this.detail('ssl', 'accepted');
  }

  private untyped(buf: Buffer, off: number, len: number): void {
    const code = u32(buf, off + 4);
    if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
      if (len !== 8) {
        this.stop(true);
        return;
      }
      const req = code === SSL_REQUEST ? REQ_SSL : REQ_GSS;
      this.lastRequest = req;
      if (this.requests.length < 4) this.requests.push(req);
      if (req === REQ_SSL) {
        this.sslRequested = true;
        if (!this.facts.starttls) this.facts.starttls = { offered: true, used: false, offeredBy: 'client' };
        if (!this.facts.details?.ssl) this.detail('ssl', 'requested');
      } else if (!this.facts.details?.gssenc) this.detail('gssenc', 'requested');
      return;
    }
    if (code === CANCEL_REQUEST) {
      this.detail('cancel_request', true);
      this.finish();
      return;
    }
    const major = code >>> 16;
    const minor = code & 0xffff;
    if (!((major === 3 && minor <= 0xff) || (major === 2 && minor === 0))) {
      this.stop(true);
      return;
    }
    this.clientTyped = true;
    this.lastRequest = 0;
    this.detail('protocol', `${major}.${minor}`);
    if (!this.sslRequested) {
      this.facts.starttls = { offered: false, used: false };
      this.detail('ssl', 'not-requested');
    }
    if (major === 3) this.startupParameters(buf, off + 8, off + len);
    else if (len === 296) {
      // 2.0: char database[64], user[32], options[64], unused[64], tty[64]
      this.setParameter('database', buf, off + 8, off + 72);
      this.setParameter('user', buf, off + 72, off + 104);
    }
  }

  private startupParameters(buf: Buffer, p: number, end: number): void {
    while (p < end && buf[p] !== 0) {
      const nameEnd = nul(buf, p, end);
      if (nameEnd < 0) return;
      const valueEnd = nul(buf, nameEnd + 1, end);
      if (valueEnd < 0) return;
      const name = buf.toString('latin1', p, Math.min(nameEnd, p + 64));
      if (name === 'user' || name === 'database' || name === 'application_name' || name === 'replication')
        this.setParameter(name, buf, nameEnd + 1, valueEnd);
      p = valueEnd + 1;
    }
  }

  private setParameter(name: string, buf: Buffer, start: number, end: number): void {
    const e = nul(buf, start, end);
    const value = name === 'user' ? userName(buf, start, e < 0 ? end : e) : text(buf, start, e < 0 ? end : e);
    if (value === null || value === '') return;
    if (name === 'user') this.user = value;
    this.detail(name, value);
  }

  private clientMessage(buf: Buffer, off: number, len: number): void {
    const type = buf[off];
    if (type === 0x70 /* 'p' */) {
      const body = off + 5;
      const end = off + len;
      if (this.authType === 3) {
        // the password itself; an empty one ("\0") is no secret
        if (len > 6) this.addCredential('postgresql-cleartext', this.user);
      } else if (this.authType === 10) {
        const e = nul(buf, body, end);
        if (e > body) this.detail('sasl_mechanism', text(buf, body, e));
      } else if (this.authType < 0) {
        this.plainPasswordSent = plainPassword(buf, body, end);
      }
      return;
    }
    // a query, Terminate, or anything past authentication: nothing more on this side
    this.stop(true);
  }

  private answer(b: number): void {
    const req = this.requests.length > 0 ? this.requests.shift()! : b === G ? REQ_GSS : REQ_SSL;
    if (req === REQ_SSL) {
      if (b === S) {
        this.tlsUsed();
        this.upgradeAfter(false, 'tls');
      } else {
        this.detail('ssl', 'refused');
        this.facts.starttls = { offered: true, used: false, offeredBy: 'client' };
      }
      return;
    }
    if (b === G) {
      // GSSAPI-wrapped packets follow in both directions: not readable, not TLS
      this.detail('gssenc', 'accepted');
      this.finish();
      return;
    }
    this.detail('gssenc', 'refused');
  }

  private serverMessage(buf: Buffer, off: number, len: number): void {
    const type = buf[off];
    const end = off + len;
    switch (type) {
      case 0x52 /* 'R' */: {
        if (len < 9) return;
        const code = u32(buf, off + 5);
        this.authType = code;
        if (code === 0) {
          if (!this.facts.details?.auth) this.detail('auth', 'trust');
          this.detail('auth_result', 'ok');
          this.stop(true); // the client has nothing more to authenticate with
          return;
        }
        const method = AUTH_METHODS[code];
        if (method !== undefined && !this.facts.details?.auth) this.detail('auth', method);
        if (code === 10) this.saslMechanisms(buf, off + 9, end);
        return;
      }
      case 0x45 /* 'E' */: {
        this.error(buf, off + 5, end);
        this.finish(); // an error before ReadyForQuery ends the connection
        return;
      }
      case 0x53 /* 'S' ParameterStatus */: {
        const nameEnd = nul(buf, off + 5, end);
        if (nameEnd < 0) return;
        if (buf.toString('latin1', off + 5, nameEnd) === 'server_version') {
          const valueEnd = nul(buf, nameEnd + 1, end);
          if (valueEnd > nameEnd + 1) this.detail('server_version', text(buf, nameEnd + 1, valueEnd));
        }
        return;
      }
      case 0x5a /* 'Z' ReadyForQuery */:
        this.finish();
        return;
      default:
        return;
    }
  }

  private saslMechanisms(buf: Buffer, p: number, end: number): void {
    const list = (this.sasl ??= []);
    while (p < end && buf[p] !== 0 && list.length < 8) {
      const e = nul(buf, p, end);
      if (e < 0) break;
      list.push(text(buf, p, e));
      p = e + 1;
    }
    this.detail('sasl_mechanisms', list);
  }

  /** ErrorResponse fields: "Byte1 code, String value"...; keeps severity and SQLSTATE. */
  private error(buf: Buffer, p: number, end: number): void {
    const err: Record<string, string> = {};
    while (p < end && buf[p] !== 0) {
      const field = buf[p];
      const e = nul(buf, p + 1, end);
      if (e < 0) break;
      if (field === 0x56 /* 'V' */ || (field === 0x53 /* 'S' */ && !err.severity)) err.severity = text(buf, p + 1, e);
      else if (field === 0x43 /* 'C' */) err.code = text(buf, p + 1, e);
      p = e + 1;
    }
    this.detail('error', err);
  }
}

/** A typed message: "Byte1 type, Int32 length (counting itself)". */
function typed(buf: Buffer, off: number, avail: number): number {
  if (!isTypeByte(buf[off])) return FRAME_INVALID;
  if (avail < 5) return FRAME_NEED_MORE;
  const len = u32(buf, off + 1);
  return len >= 4 && len <= MAX_MESSAGE ? len + 1 : FRAME_INVALID;
}

registerAppParser('postgresql', () => new PostgresqlParser());
