// Application protocol identification from payload, not port: the registry of
// recognisers and the lookup the flow table calls a few times per connection (when the
// first bytes of a side arrive, and when a side ends) until it gets an answer.
//
// Order matters only where two recognisers could both accept the same bytes: the most
// specific come first. Each recogniser is written to reject the others' openings, so
// the first YES wins even while an earlier one still waits for more bytes.

import { DNS_TCP, DNS_UDP } from './dns/detect.js';
import { DTLS } from './dtls/detect.js';
import { FTP } from './ftp/detect.js';
import { HTTP } from './http/detect.js';
import { IMAP } from './imap/detect.js';
import { IRC } from './irc/detect.js';
import { LDAP } from './ldap/detect.js';
import { MYSQL } from './mysql/detect.js';
import { POP3 } from './pop3/detect.js';
import { POSTGRESQL } from './postgresql/detect.js';
import { QUIC } from './quic/detect.js';
import { RDP } from './rdp/detect.js';
import { REDIS } from './redis/detect.js';
import {
  NEED_MORE,
  NO,
  YES,
  either,
  more,
  u16,
  type ProtocolSignature,
  type Verdict,
} from './signature.js';
import { SMB } from './smb/detect.js';
import { SMTP } from './smtp/detect.js';
import { SOCKS } from './socks/detect.js';
import { SSH } from './ssh/detect.js';
import { TELNET } from './telnet/detect.js';
import { XMPP } from './xmpp/detect.js';

export { NEED_MORE, NO, YES, INSPECT_LIMIT } from './signature.js';
export type { ProtocolSignature, Verdict } from './signature.js';

const MAX_RECORD = 16384 + 2048; // TLSCiphertext limit (RFC 5246 §6.2.3)

/**
 * A TLS record-layer start on one side: handshake record 0x16, version 0x0300..0x0304,
 * a plausible length, and a hello (ClientHello when `fromClient`, else a ClientHello or
 * ServerHello: without the SYN the flow's originator may be the TLS server) with a 3.x
 * version; or an SSLv2-format ClientHello (RFC 6101 Appendix E.2: 2-byte header with the
 * high bit set, message type 1, version 0x0002 or 0x0300..0x0304) / SSLv2 ServerHello
 * (type 4, version 0x0002).
 */
export function tlsVerdict(buf: Buffer, done: boolean, fromClient: boolean): Verdict {
  if (buf.length === 0) return more(done);
  const b0 = buf[0];
  if (b0 === 0x16) {
    if (buf.length > 1 && buf[1] !== 0x03) return NO;
    if (buf.length > 2 && buf[2] > 0x04) return NO;
    if (buf.length < 6) return more(done);
    const len = u16(buf, 3);
    if (len < 4 || len > MAX_RECORD) return NO;
    if (buf[5] !== 1 && (fromClient || buf[5] !== 2)) return NO;
    if (buf.length < 11) return more(done);
    // handshake length: a hello is at least 38 bytes; the hello version is 3.x (or DTLS-less SSL 3..TLS 1.2)
    const hsLen = (buf[6] << 16) | (buf[7] << 8) | buf[8];
    if (hsLen < 38 || buf[9] !== 0x03 || buf[10] > 0x04) return NO;
    return YES;
  }
  if (b0 & 0x80) {
    if (buf.length < 5) return more(done);
    const len = ((b0 & 0x7f) << 8) | buf[1];
    const type = buf[2];
    const version = u16(buf, 3);
    if (type === 1) {
      // msg type, version, cipher_spec_length (multiple of 3), session_id_length (0 or 16), challenge_length (16..32)
      if (!(version === 0x0002 || (version >= 0x0300 && version <= 0x0304))) return NO;
      if (buf.length < 11) return more(done);
      const specLen = u16(buf, 5);
      const sidLen = u16(buf, 7);
      const challengeLen = u16(buf, 9);
      if (specLen === 0 || specLen % 3 !== 0 || (sidLen !== 0 && sidLen !== 16)) return NO;
      if (challengeLen < 16 || challengeLen > 32 || len !== 9 + specLen + sidLen + challengeLen) return NO;
      return YES;
    }
    // SSLv2 ServerHello: type 4, session_id_hit, certificate_type 1 (X.509), version 0x0002
    if (fromClient || type !== 4) return NO;
    if (buf.length < 7) return more(done);
    return buf[3] <= 1 && buf[4] === 1 && u16(buf, 5) === 0x0002 && len >= 10 ? YES : NO;
  }
  return NO;
}

/** Record content types a connection may carry after its handshake: change_cipher_spec, alert, handshake, application_data. */
function isRecordType(t: number): boolean {
  return t >= 20 && t <= 23;
}

/**
 * A capture that starts after the handshake: the side's bytes are a run of well-formed
 * TLS records (type 20..23, version 0x0300..0x0304, length up to 2^14 + 2048). Two
 * records back to back, or one that fills all the bytes held (at least 256 of them, or
 * exactly, once the side has ended), make it TLS.
 */
export function tlsRecordRun(buf: Buffer, done: boolean): Verdict {
  let off = 0;
  let records = 0;
  while (off < buf.length && records < 2) {
    if (!isRecordType(buf[off])) return NO;
    if (off + 1 < buf.length && buf[off + 1] !== 0x03) return NO;
    if (off + 2 < buf.length && buf[off + 2] > 0x04) return NO;
    if (off + 5 > buf.length) return more(done);
    const len = u16(buf, off + 3);
    if (len === 0 || len > MAX_RECORD) return NO;
    off += 5 + len;
    records++;
  }
  if (records >= 2) return YES;
  if (records === 0) return more(done);
  // one record, which ends past or exactly at the end of what we hold
  if (off > buf.length) return buf.length >= 256 ? YES : more(done);
  return done ? YES : NEED_MORE;
}

/** Whether the bytes a client sent start like a TLS (or SSLv2-format) ClientHello. */
export function looksLikeTls(buf: Buffer): boolean {
  return tlsVerdict(buf, true, true) === YES;
}

export const TLS: ProtocolSignature = {
  name: 'tls',
  transport: 'tcp',
  encrypted: true,
  detect(c, s, cDone, sDone) {
    // either side may hold either hello: without the SYN the originator may be the server
    const hello = either(tlsVerdict(c, cDone, false), tlsVerdict(s, sDone, false));
    if (hello !== NO) return hello;
    // no handshake in view: a connection already under way when the capture started
    return either(tlsRecordRun(c, cDone), tlsRecordRun(s, sDone));
  },
};

/** Every recogniser, most specific first. */
export const SIGNATURES: ProtocolSignature[] = [
  TLS,
  SSH,
  QUIC,
  DTLS,
  HTTP,
  RDP,
  SMB,
  POSTGRESQL,
  MYSQL,
  LDAP,
  SOCKS,
  REDIS,
  XMPP,
  IMAP,
  SMTP,
  FTP,
  POP3,
  IRC,
  TELNET,
  DNS_TCP,
  DNS_UDP,
];

const TCP_SIGNATURES = SIGNATURES.filter((s) => s.transport !== 'udp');
const UDP_SIGNATURES = SIGNATURES.filter((s) => s.transport !== 'tcp');

/**
 * Returns the identified signature, NEED_MORE while some signature could still match
 * with more bytes, or null when none can. `cDone`/`sDone`: that side has ended or we
 * hold as many bytes as we will ever inspect (INSPECT_LIMIT is enough).
 *
 * `c` is taken as the client's bytes. Without the SYN the first sender (the flow's
 * originator) may be the server, e.g. in a server-speaks-first protocol or a capture
 * that starts with a response: the caller then tries identify(transport, s, c, sDone,
 * cDone) as well, and so learns which side is the client. Symmetric recognisers (TLS,
 * QUIC, DTLS, telnet, SMB, XMPP) accept either role on either side anyway.
 */
export function identify(
  transport: 'tcp' | 'udp',
  c: Buffer,
  s: Buffer,
  cDone: boolean,
  sDone: boolean,
): ProtocolSignature | typeof NEED_MORE | null {
  const list = transport === 'tcp' ? TCP_SIGNATURES : UDP_SIGNATURES;
  let pending = false;
  for (let i = 0; i < list.length; i++) {
    const v = list[i].detect(c, s, cDone, sDone);
    if (v === YES) return list[i];
    if (v === NEED_MORE) pending = true;
  }
  return pending ? NEED_MORE : null;
}
