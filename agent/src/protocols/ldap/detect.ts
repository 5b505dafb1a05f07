// LDAP (RFC 4511 §4.1.1): every PDU is a BER LDAPMessage
//   SEQUENCE (0x30, definite length) { messageID INTEGER (0..2^31-1), protocolOp [APPLICATION n], ... }
// The client's first message is a request (bind 0x60, search 0x63, extended 0x77 for
// StartTLS, ...); the server's a response (bindResponse 0x61, searchResEntry 0x64, ...).
// The first field inside the operation is checked too (bind: version INTEGER; search,
// modify, add, delete...: an OCTET STRING DN; results: resultCode ENUMERATED; extended:
// [0] requestName), so that other BER protocols (SNMP, Kerberos...) do not match.
// Used on TCP and on UDP (CLDAP, RFC 1798 / Active Directory "LDAP ping").

import { NO, YES, either, more, type ProtocolSignature, type Verdict } from '../signature.js';

const INCOMPLETE = -1;
const INVALID = -2;
let lengthEnd = 0; // where the content of the last parsed element starts (set by berLength)

/** Definite BER length at `off`: its value (lengthEnd set past it), INCOMPLETE or INVALID. */
function berLength(buf: Buffer, off: number): number {
  if (off >= buf.length) return INCOMPLETE;
  const first = buf[off];
  if (first < 0x80) {
    lengthEnd = off + 1;
    return first;
  }
  const n = first & 0x7f;
  if (n === 0 || n > 4) return INVALID; // indefinite form is forbidden in LDAP
  if (off + 1 + n > buf.length) return INCOMPLETE;
  let v = 0;
  for (let i = 1; i <= n; i++) v = v * 256 + buf[off + i];
  lengthEnd = off + 1 + n;
  return v;
}

// [APPLICATION n] tags of requests and responses, with the tag of their first field
const REQUESTS = new Map<number, number>([
  [0x60, 0x02], // bindRequest: version INTEGER
  [0x42, -1], // unbindRequest: NULL (primitive, empty)
  [0x63, 0x04], // searchRequest: baseObject LDAPDN
  [0x66, 0x04], // modifyRequest: object
  [0x68, 0x04], // addRequest: entry
  [0x4a, -1], // delRequest: LDAPDN (primitive)
  [0x6c, 0x04], // modDNRequest: entry
  [0x6e, 0x04], // compareRequest: entry
  [0x50, -1], // abandonRequest: MessageID (primitive)
  [0x77, 0x80], // extendedRequest: [0] requestName
]);
const RESPONSES = new Map<number, number>([
  [0x61, 0x0a], // bindResponse: resultCode ENUMERATED
  [0x64, 0x04], // searchResEntry: objectName
  [0x65, 0x0a], // searchResDone
  [0x67, 0x0a], // modifyResponse
  [0x69, 0x0a], // addResponse
  [0x6b, 0x0a], // delResponse
  [0x6d, 0x0a], // modDNResponse
  [0x6f, 0x0a], // compareResponse
  [0x73, 0x04], // searchResRef: URI
  [0x78, 0x0a], // extendedResp
  [0x79, -1], // intermediateResponse
]);

function message(buf: Buffer, done: boolean, ops: Map<number, number>): Verdict {
  if (buf.length === 0) return more(done);
  if (buf[0] !== 0x30) return NO;
  const len = berLength(buf, 1);
  if (len === INCOMPLETE) return more(done);
  if (len === INVALID || len < 5) return NO;
  const msgEnd = lengthEnd + len;
  // messageID
  let i = lengthEnd;
  if (i + 2 > buf.length) return more(done);
  if (buf[i] !== 0x02) return NO;
  const idLen = buf[i + 1];
  if (idLen < 1 || idLen > 4) return NO;
  i += 2;
  if (i >= buf.length) return more(done);
  if (buf[i] & 0x80) return NO; // negative
  i += idLen;
  if (i >= msgEnd) return NO;
  if (i >= buf.length) return more(done);
  // protocolOp
  const tag = buf[i];
  const firstField = ops.get(tag);
  if (firstField === undefined) return NO;
  const opLen = berLength(buf, i + 1);
  if (opLen === INCOMPLETE) return more(done);
  if (opLen === INVALID || lengthEnd + opLen > msgEnd) return NO;
  if (firstField === -1) {
    if (tag === 0x42) return opLen === 0 ? YES : NO;
    return YES;
  }
  if (opLen < 2) return NO;
  if (lengthEnd >= buf.length) return more(done);
  if (buf[lengthEnd] !== firstField) return NO;
  if (tag === 0x60) {
    // version INTEGER 1..3 (3 in practice)
    if (lengthEnd + 3 > buf.length) return more(done);
    return buf[lengthEnd + 1] === 1 && buf[lengthEnd + 2] >= 1 && buf[lengthEnd + 2] <= 3 ? YES : NO;
  }
  return YES;
}

export const LDAP: ProtocolSignature = {
  name: 'ldap',
  transport: 'both',
  encrypted: false,
  detect(c, s, cDone, sDone) {
    return either(message(c, cDone, REQUESTS), message(s, sDone, RESPONSES));
  },
};
