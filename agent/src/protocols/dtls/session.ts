// One DTLS association on a UDP flow (RFC 4347 DTLS 1.0, RFC 6347 DTLS 1.2, RFC 9147 DTLS 1.3,
// RFC 9146 connection ids). Each datagram is demultiplexed first (RFC 7983: WebRTC runs STUN,
// DTLS and SRTP on one 5-tuple, only the DTLS datagrams are read), then split into records:
//  * epoch-0 handshake records: their fragments are reassembled per direction by message_seq
//    (fragments.ts) and the whole messages handed to the TlsSession, which parses the hellos,
//    HelloVerifyRequest, certificates, key exchange and keeps the history, like TLS over TCP;
//  * ChangeCipherSpec, alerts: to the TlsSession as records (it tracks encryption, alerts and
//    the established state the same way as for TLS);
//  * protected records (epoch > 0, tls12_cid, DTLS 1.3 unified headers): counted and handed
//    to the TlsSession as ciphertext, which makes the handshake established once both sides
//    encrypt, as Zeek does.
// A cleartext flight retransmitted after its sender switched keys is ignored, as are
// retransmitted handshake messages (same message_seq). JA4 and the logged hello are the
// first ClientHello (the one a HelloVerifyRequest or HelloRetryRequest answered), as FoxIO's
// tools fingerprint the first ClientHello of a stream.

import type { DatagramSession } from '../app-parser.js';
import { TlsSession } from '../tls/session.js';
import type { ClientHello, ServerHello } from '../tls/types.js';
import { DtlsReassembler } from './fragments.js';
import * as R from './record.js';

const EXT_COOKIE = 44;
const EXT_CONNECTION_ID = 54; // RFC 9146
const HS_CLIENT_HELLO = 1;
const HS_SERVER_HELLO = 2;
const HS_HELLO_VERIFY_REQUEST = 3;

const MAX_HANDSHAKE_MESSAGE = 64 * 1024;
const MAX_BUFFERED = 96 * 1024; // per direction, all messages in reassembly
/** Datagrams read before giving up on a handshake that never settles (one side unseen, SRTP after a lost handshake, ...). */
const MAX_DATAGRAMS = 512;
const MAX_MALFORMED = 16;

const CCS_BODY = Buffer.from([1]);

export class DtlsSession implements DatagramSession {
  readonly tls = new TlsSession({ format: 'dtls', maxHandshakeBytes: MAX_HANDSHAKE_MESSAGE });
  readonly fingerprintTransport = 'd' as const;
  /** stable kebab-case reasons for records or fragments that did not parse */
  readonly malformed: string[] = [];

  // per side, index 0 = side A, 1 = side B
  private readonly reassemblers: [DtlsReassembler, DtlsReassembler];
  private readonly records = [0, 0];
  private readonly encryptedRecords = [0, 0];
  /** length of the connection id on records sent by that side (-1: not negotiated / not known) */
  private readonly cidLength = [-1, -1];
  private readonly multiplexed = [0, 0, 0, 0, 0, 0]; // by R.MUX_*
  private readonly header = new R.DtlsRecordHeader();
  private readonly fragmentHeader = new R.DtlsFragmentHeader();
  private datagrams = 0;
  private helloVerifyRequest = false;
  private cookieLength = -1;
  private cidSeen = false;
  private ccsUnseen = false;
  private cidUnknown = false;
  private ended = false;
  private deliveringFromA = true;

  constructor() {
    const deliver = (type: number, seq: number, buf: Buffer | null, off: number, len: number): void => this.message(type, seq, buf, off, len);
    this.reassemblers = [new DtlsReassembler(deliver, MAX_HANDSHAKE_MESSAGE, MAX_BUFFERED), new DtlsReassembler(deliver, MAX_HANDSHAKE_MESSAGE, MAX_BUFFERED)];
  }

  get done(): boolean {
    return this.tls.done || this.datagrams >= MAX_DATAGRAMS;
  }

  datagram(fromA: boolean, buf: Buffer, off: number, len: number): void {
    if (len <= 0 || this.ended) return;
    const end = Math.min(off + len, buf.length);
    this.datagrams++;
    const kind = R.demultiplex(buf[off]);
    if (kind !== R.MUX_DTLS) {
      this.multiplexed[kind]++;
      return;
    }
    const side = fromA ? 0 : 1;
    const h = this.header;
    let p = off;
    try {
      while (p < end) {
        const next = R.readRecord(buf, p, end, this.cidLength[side], h);
        if (next < 0) {
          if (h.error === 'dtls-cid-length-unknown') this.cidUnknown = true;
          this.note(h.error);
          // the record count still says something: a record was there
          if (h.error === 'dtls-cid-length-unknown') this.count(side, true);
          return;
        }
        this.record(fromA, side, buf);
        p = next;
      }
    } catch {
      // the parsers are written not to throw; this guard keeps a bug from taking the engine down
      this.note('internal-parse-error');
    }
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const side of [0, 1]) {
      this.deliveringFromA = side === 0;
      this.reassemblers[side].end();
    }
    this.tls.end();
  }

  facts(): Record<string, unknown> | null {
    const aIsClient = this.tls.isClient(true);
    const c = aIsClient ? 0 : 1;
    const s = 1 - c;
    const f: Record<string, unknown> = {
      hello_verify_request: this.helloVerifyRequest,
      connection_id: this.cidSeen,
      records: { client: this.records[c], server: this.records[s] },
      encrypted_records: { client: this.encryptedRecords[c], server: this.encryptedRecords[s] },
    };
    if (this.cookieLength >= 0) f.cookie_length = this.cookieLength;
    const retransmissions = this.reassemblers[0].retransmissions + this.reassemblers[1].retransmissions;
    if (retransmissions > 0) f.handshake_retransmissions = retransmissions;
    const m = this.multiplexed;
    if (m[R.MUX_STUN] + m[R.MUX_ZRTP] + m[R.MUX_TURN_CHANNEL] + m[R.MUX_RTP] + m[R.MUX_OTHER] > 0) {
      const mux: Record<string, number> = {};
      if (m[R.MUX_STUN]) mux.stun = m[R.MUX_STUN];
      if (m[R.MUX_ZRTP]) mux.zrtp = m[R.MUX_ZRTP];
      if (m[R.MUX_TURN_CHANNEL]) mux.turn_channel = m[R.MUX_TURN_CHANNEL];
      if (m[R.MUX_RTP]) mux.rtp = m[R.MUX_RTP];
      if (m[R.MUX_OTHER]) mux.other = m[R.MUX_OTHER];
      f.multiplexed = mux;
    }
    if (this.malformed.length > 0) f.malformed = this.malformed.slice();
    return f;
  }

  get unobservable(): string[] {
    const out: string[] = [];
    if (this.tls.clientHello === null && this.tls.serverHello === null && this.tls.helloRetryRequest === null) out.push('dtls-no-hello');
    const [a, b] = this.reassemblers;
    if (a.skipped > 0 || b.skipped > 0 || a.pending > 0 || b.pending > 0) out.push('dtls-fragment-gap');
    if (a.oversized || b.oversized) out.push('dtls-handshake-message-too-large');
    if (this.ccsUnseen) out.push('dtls-change-cipher-spec-unseen');
    if (this.cidUnknown) out.push('dtls-cid-length-unknown');
    return out;
  }

  // ---------------------------------------------------------------- records

  private record(fromA: boolean, side: number, buf: Buffer): void {
    const h = this.header;
    const tls = this.tls;
    this.count(side, h.encrypted);
    if (h.hasCid) this.cidSeen = true;
    // a peer answers a flight only once it has it whole: what of this side's previous
    // flight is still waiting behind a message the capture missed can be delivered now
    this.flush(1 - side);
    if (h.encrypted) {
      this.protectedRecord(fromA, side, buf);
      return;
    }
    switch (h.type) {
      case R.CT_HANDSHAKE:
        // a cleartext flight retransmitted after this side switched keys changes nothing
        if (tls.halted(fromA)) return;
        if (tls.datagramRecord(fromA, h.type, h.version, buf, h.bodyOffset, h.bodyLength)) this.handshakeRecord(fromA, side, buf);
        return;
      case R.CT_CHANGE_CIPHER_SPEC:
        if (tls.halted(fromA)) return;
        this.flush(side);
        tls.datagramRecord(fromA, h.type, h.version, buf, h.bodyOffset, h.bodyLength);
        return;
      case R.CT_ACK:
        return; // DTLS 1.3 acknowledgement: no handshake facts
      default:
        tls.datagramRecord(fromA, h.type, h.version, buf, h.bodyOffset, h.bodyLength);
    }
  }

  /** epoch > 0, tls12_cid or unified header: ciphertext for the TlsSession. */
  private protectedRecord(fromA: boolean, side: number, buf: Buffer): void {
    const h = this.header;
    const tls = this.tls;
    // DTLS 1.3 and tls12_cid records hide their real type (RFC 9147 §4, RFC 9146 §4)
    let type = h.unified || h.type === R.CT_TLS12_CID || tls.tls13() ? R.CT_APPLICATION_DATA : h.type;
    if (!tls.halted(fromA)) {
      // the first protected record of this side: its cleartext handshake is over
      this.flush(side);
      const v = tls.negotiatedVersion;
      if (v === 0) {
        // no ServerHello seen (the capture starts later): application data starts encryption
        type = R.CT_APPLICATION_DATA;
      } else if (!tls.tls13() && !h.unified) {
        // DTLS <= 1.2 only encrypts after a ChangeCipherSpec: it was lost before the capture point
        this.ccsUnseen = true;
        tls.datagramRecord(fromA, R.CT_CHANGE_CIPHER_SPEC, h.version, CCS_BODY, 0, 1);
      }
    }
    tls.datagramRecord(fromA, type, h.version, buf, h.bodyOffset, h.bodyLength);
  }

  private handshakeRecord(fromA: boolean, side: number, buf: Buffer): void {
    const h = this.header;
    const f = this.fragmentHeader;
    const r = this.reassemblers[side];
    const end = h.bodyOffset + h.bodyLength;
    let p = h.bodyOffset;
    this.deliveringFromA = fromA;
    while (p < end) {
      const next = R.readFragment(buf, p, end, f);
      if (next < 0) {
        this.note(f.error);
        return;
      }
      if (f.error !== '') this.note(f.error);
      else {
        const dropped = r.fragment(f, buf);
        if (dropped !== '') this.note(dropped);
      }
      p = next;
    }
  }

  private flush(side: number): void {
    const r = this.reassemblers[side];
    if (!r.deliverable) return;
    this.deliveringFromA = side === 0;
    r.flush();
  }

  private count(side: number, encrypted: boolean): void {
    this.records[side]++;
    if (encrypted) this.encryptedRecords[side]++;
  }

  // ---------------------------------------------------------------- handshake messages

  /** A whole handshake message from the direction being reassembled. */
  private message(type: number, _seq: number, buf: Buffer | null, off: number, len: number): void {
    const fromA = this.deliveringFromA;
    const tls = this.tls;
    if (buf === null) {
      tls.oversized(fromA, type, len);
      return;
    }
    tls.handshakeMessage(fromA, type, buf, off, len);
    if (type === HS_HELLO_VERIFY_REQUEST) {
      this.helloVerifyRequest = true;
      // server_version(2), cookie<0..2^8-1>
      if (len >= 3 && 3 + buf[off + 2] <= len) this.cookieLength = buf[off + 2];
    } else if (type === HS_CLIENT_HELLO || type === HS_SERVER_HELLO) {
      this.helloSeen();
    }
  }

  /** After a hello: the connection ids each side asked for, the DTLS 1.3 cookie. */
  private helloSeen(): void {
    const tls = this.tls;
    const ch = tls.secondClientHello ?? tls.clientHello;
    const sh = tls.serverHello;
    const aIsClient = tls.isClient(true);
    // records sent to a side carry the connection id that side asked for in its hello
    const toClient = ch !== null ? cidOf(ch) : -1;
    const toServer = sh !== null ? cidOf(sh) : -1;
    this.cidLength[aIsClient ? 1 : 0] = toClient;
    this.cidLength[aIsClient ? 0 : 1] = toServer;
    if (toClient > 0 && toServer >= 0) this.cidSeen = true;
    if (toServer > 0) this.cidSeen = true;
    const hrr = tls.helloRetryRequest;
    if (hrr !== null && this.cookieLength < 0) {
      // cookie extension body: cookie<1..2^16-1>
      for (const e of hrr.extensions) if (e.type === EXT_COOKIE && e.length >= 2) this.cookieLength = e.length - 2;
    }
  }

  private note(reason: string): void {
    if (reason === '' || this.malformed.length >= MAX_MALFORMED || this.malformed.includes(reason)) return;
    this.malformed.push(reason);
  }
}

/** The connection id length a hello asks for (connection_id extension body: cid<0..2^8-1>), -1 without it. */
function cidOf(hello: ClientHello | ServerHello): number {
  for (const e of hello.extensions) if (e.type === EXT_CONNECTION_ID && e.length >= 1) return e.length - 1;
  return -1;
}
