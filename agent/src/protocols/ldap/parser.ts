// LDAP over TCP (RFC 4511 messages, RFC 4513 authentication and StartTLS).
// Every PDU is an LDAPMessage: SEQUENCE { messageID, protocolOp, controls }.
//
// Audit facts:
//  - StartTLS: an ExtendedRequest named 1.3.6.1.4.1.1466.20037; when the server's
//    ExtendedResponse to it (same messageID, or carrying that responseName) has
//    resultCode success, TLS starts in both directions right after those two messages
//    (RFC 4511 §4.14.1: the client sends nothing in between). The root DSE listing
//    that OID in supportedExtension is the server offering it. starttls {offered,
//    used, offeredBy 'client' | 'server' | 'both'}; a refusal: details.starttls_result.
//  - credentials: a simple BindRequest with a non-empty password ('ldap-simple', user =
//    the bind DN); SASL PLAIN carries the password too ('ldap-sasl-plain', user = the
//    authentication identity). Anonymous / unauthenticated binds (empty password) and
//    other SASL mechanisms (challenge-response, Kerberos, SCRAM...) carry no password.
//  - details.binds: method, DN, SASL mechanism, resultCode of each bind (a few).
//  - after a SASL (or NTLM "sicily") bind that succeeded, PDUs that no longer start with
//    a SEQUENCE but with a 4-byte length are wrapped in a SASL security layer (integrity
//    or confidentiality): details.sasl_security_layer, and the parser stops there.

import { registerAppParser } from '../app-parser.js';
import { FRAME_INVALID, FRAME_NEED_MORE, FramedParser, nul, text, userName } from '../framed-parser.js';
import { BER_NEED_MORE, elementLength, readTlv, readUint, tlv } from './ber.js';

const STARTTLS_OID = '1.3.6.1.4.1.1466.20037';
// the OID as an OCTET STRING value, as the root DSE lists it in supportedExtension
const STARTTLS_VALUE = Buffer.concat([Buffer.from([0x04, STARTTLS_OID.length]), Buffer.from(STARTTLS_OID, 'latin1')]);
const BUDGET = 128 * 1024;
const MAX_BINDS = 8;
const TLS_HANDSHAKE = 0x16;

// protocolOp tags ([APPLICATION n], constructed unless noted)
const BIND_REQUEST = 0x60;
const BIND_RESPONSE = 0x61;
const UNBIND_REQUEST = 0x42; // primitive
const SEARCH_RES_ENTRY = 0x64;
const EXTENDED_REQUEST = 0x77;
const EXTENDED_RESPONSE = 0x78;

// AuthenticationChoice
const AUTH_SIMPLE = 0x80; // [0] OCTET STRING
const AUTH_SASL = 0xa3; // [3] SaslCredentials
// Microsoft's NTLM binds ("sicily", MS-ADTS §5.1.1.1.3): [9] discovery, [10] negotiate, [11] response
const SICILY_FIRST = 0x89;
const SICILY_LAST = 0x8b;

interface Bind {
  id: number;
  method: 'simple' | 'anonymous' | 'unauthenticated' | 'sasl' | 'ntlm';
  dn?: string;
  mechanism?: string;
  result?: number;
}

export class LdapParser extends FramedParser {
  private binds: Bind[] | null = null;
  private starttlsId = -1; // messageID of the StartTLS request
  private starttlsRequested = false; // the client asked at some point
  private clientAwaitsTls = false; // asked, and not refused (yet)
  private starttlsAdvertised = false;
  private unmatchedSuccess = false; // an ExtendedResponse 0 that may answer an unseen StartTLS
  private securityLayer = false; // a SASL/NTLM bind succeeded: a security layer may follow

  constructor() {
    super(BUDGET);
  }

  protected frame(_fromClient: boolean, buf: Buffer, off: number, avail: number): number {
    if (buf[off] !== 0x30) {
      // a SASL-wrapped PDU: 4-byte big-endian length, first byte 0 for any sane size
      if (this.securityLayer && buf[off] === 0) this.detail('sasl_security_layer', true);
      return FRAME_INVALID;
    }
    const size = elementLength(buf, off, avail);
    if (size === BER_NEED_MORE) return FRAME_NEED_MORE;
    return size < 0 ? FRAME_INVALID : size;
  }

  protected override upgradesAt(fromClient: boolean, buf: Buffer, off: number): boolean {
    if (buf[off] !== TLS_HANDSHAKE) {
      if (!fromClient) this.unmatchedSuccess = false;
      return false;
    }
    // the client's ClientHello right after its StartTLS request; the server's ServerHello
    // after a success response whose request this parser did not see
    if (fromClient ? this.clientAwaitsTls : this.unmatchedSuccess) {
      this.facts.upgrade = 'tls';
      this.setStarttls(true);
      return true;
    }
    return false;
  }

  protected message(fromClient: boolean, buf: Buffer, off: number, len: number): void {
    const end = off + len;
    if (readTlv(buf, off, end) !== 0x30) return;
    const seqEnd = tlv.end;
    if (readTlv(buf, tlv.start, seqEnd) !== 0x02) return;
    const id = readUint(buf, tlv.start, tlv.end);
    const op = readTlv(buf, tlv.end, seqEnd);
    if (op < 0) return;
    const start = tlv.start;
    const opEnd = tlv.end;
    if (fromClient) {
      if (op === BIND_REQUEST) this.bindRequest(id, buf, start, opEnd);
      else if (op === EXTENDED_REQUEST) this.extendedRequest(id, buf, start, opEnd);
      else if (op === UNBIND_REQUEST) this.stop(true);
      return;
    }
    if (op === BIND_RESPONSE) this.bindResponse(id, buf, start, opEnd);
    else if (op === EXTENDED_RESPONSE) this.extendedResponse(id, buf, start, opEnd);
    else if (op === SEARCH_RES_ENTRY && !this.starttlsAdvertised) {
      if (buf.subarray(start, opEnd).indexOf(STARTTLS_VALUE) >= 0) {
        this.starttlsAdvertised = true;
        this.setStarttls(this.facts.starttls?.used ?? false);
      }
    }
  }

  private bindRequest(id: number, buf: Buffer, p: number, end: number): void {
    // version INTEGER, name LDAPDN, authentication CHOICE
    if (readTlv(buf, p, end) !== 0x02) return;
    if (readTlv(buf, tlv.end, end) !== 0x04) return;
    const dnStart = tlv.start;
    const dnEnd = tlv.end;
    const dn = text(buf, dnStart, dnEnd);
    const auth = readTlv(buf, dnEnd, end);
    const authStart = tlv.start;
    const authEnd = tlv.end;
    if (auth < 0 || authEnd !== end) return; // the choice is the last field: anything else is misframed
    if (auth === AUTH_SIMPLE) {
      if (authEnd > authStart) {
        const user = userName(buf, dnStart, dnEnd);
        this.addBind({ id, method: 'simple', dn: user ?? '' });
        this.addCredential('ldap-simple', user);
      } else this.addBind({ id, method: dn === '' ? 'anonymous' : 'unauthenticated', ...(dn ? { dn } : {}) });
      return;
    }
    if (auth === AUTH_SASL) {
      // SaslCredentials: mechanism LDAPString, credentials OCTET STRING OPTIONAL
      if (readTlv(buf, authStart, authEnd) !== 0x04) return;
      const mechanism = text(buf, tlv.start, tlv.end);
      this.addBind({ id, method: 'sasl', mechanism, ...(dn ? { dn } : {}) });
      if (mechanism.toUpperCase() === 'PLAIN' && readTlv(buf, tlv.end, authEnd) === 0x04 && tlv.end === authEnd) this.saslPlain(buf, tlv.start, tlv.end);
      return;
    }
    if (auth >= SICILY_FIRST && auth <= SICILY_LAST) this.addBind({ id, method: 'ntlm', ...(dn ? { dn } : {}) });
  }

  /** RFC 4616: [authzid] NUL authcid NUL passwd. */
  private saslPlain(buf: Buffer, start: number, end: number): void {
    const first = nul(buf, start, end);
    if (first < 0) return;
    const second = nul(buf, first + 1, end);
    if (second < 0 || second + 1 >= end) return; // no password
    this.addCredential('ldap-sasl-plain', userName(buf, first + 1, second));
  }

  private addBind(b: Bind): void {
    const list = (this.binds ??= []);
    if (list.length >= MAX_BINDS) return;
    list.push(b);
    this.detail('binds', list);
  }

  private extendedRequest(id: number, buf: Buffer, p: number, end: number): void {
    // requestName [0] LDAPOID
    if (readTlv(buf, p, end) !== 0x80) return;
    if (buf.toString('latin1', tlv.start, tlv.end) !== STARTTLS_OID) return;
    this.starttlsId = id;
    this.starttlsRequested = true;
    this.clientAwaitsTls = true;
    this.setStarttls(false);
    this.detail('starttls', 'requested');
  }

  /** The resultCode at the start of an LDAPResult; -1 when malformed. */
  private resultCode(buf: Buffer, p: number, end: number): number {
    if (readTlv(buf, p, end) !== 0x0a) return -1;
    return readUint(buf, tlv.start, tlv.end);
  }

  private bindResponse(id: number, buf: Buffer, p: number, end: number): void {
    const code = this.resultCode(buf, p, end);
    if (code < 0 || this.binds === null) return;
    for (let i = this.binds.length - 1; i >= 0; i--) {
      const b = this.binds[i];
      if (b.id !== id || b.result !== undefined) continue;
      b.result = code;
      // success of a SASL / NTLM bind (14 is saslBindInProgress, more steps follow)
      if (code === 0 && (b.method === 'sasl' || b.method === 'ntlm')) this.securityLayer = true;
      break;
    }
  }

  private extendedResponse(id: number, buf: Buffer, p: number, end: number): void {
    const code = this.resultCode(buf, p, end);
    if (code < 0) return;
    // matchedDN, diagnosticMessage, referral [3] OPTIONAL, responseName [10] OPTIONAL
    let named = false;
    let q = tlv.end;
    for (let i = 0; i < 4; i++) {
      const tag = readTlv(buf, q, end);
      if (tag < 0) break;
      if (tag === 0x8a) {
        named = buf.toString('latin1', tlv.start, tlv.end) === STARTTLS_OID;
        break;
      }
      q = tlv.end;
    }
    const answersStarttls = named || (this.starttlsId >= 0 && id === this.starttlsId);
    if (!answersStarttls) {
      // no name and the request was not seen: a ServerHello next will tell
      this.unmatchedSuccess = code === 0 && this.starttlsId < 0 && id !== 0;
      return;
    }
    this.starttlsId = -1;
    if (code === 0) {
      this.setStarttls(true);
      this.detail('starttls', 'accepted');
      this.upgradeAfter(false, 'tls');
    } else {
      this.clientAwaitsTls = false;
      this.detail('starttls', 'refused');
      this.detail('starttls_result', code);
    }
  }

  private setStarttls(used: boolean): void {
    const client = this.starttlsRequested || used;
    const server = this.starttlsAdvertised;
    this.facts.starttls = { offered: true, used, offeredBy: client && server ? 'both' : server ? 'server' : 'client' };
  }
}

registerAppParser('ldap', () => new LdapParser());
