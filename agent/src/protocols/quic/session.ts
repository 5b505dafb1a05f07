// One QUIC connection's handshake as a passive observer sees it (RFC 9000, RFC 9001,
// QUIC v2 RFC 9369): the Initial packets of both sides are opened with keys derived from
// the client's first Destination Connection ID, their CRYPTO frames reassembled per
// direction and handed to a TlsSession as a handshake byte stream. Everything after the
// Initials (Handshake, 0-RTT, 1-RTT packets) is encrypted with keys we cannot have: those
// packets are skipped by their Length field, and the work ends once both hellos are parsed.
//
// Roles: the client is the side whose Initial opens with the client keys of its own DCID.
// Until one does, Initials that do not open (typically the server's, when the capture lost
// or reordered the client's first datagram) are held, a few, and replayed once it does.
// A Retry, a Version Negotiation or a new attempt makes the client send an Initial under
// another DCID or version: keys are derived again for it (a few key sets per flow at most).

import type { DatagramSession } from '../app-parser.js';
import { TlsSession } from '../tls/session.js';
import { initialKeys, openLongPacket, retryIntegrityValid, type InitialKeys, type DirectionKeys } from './crypto.js';
import { CryptoStream } from './crypto-stream.js';
import { googleQuicLegacyVersion } from './detect.js';
import { parseInitialFrames, type ConnectionClose, type FrameSink } from './frames.js';
import { decodeTransportParameters, readVarint, varintEnd } from './transport-params.js';
import { PT_INITIAL, PT_RETRY, isGoogleQuicVersion, longPacketType, quicVersion, versionName, type QuicVersion } from './versions.js';

/** Datagrams looked at per flow before giving up (the hellos come in the first few). */
const MAX_DATAGRAMS = 64;
/** Initial packets we try to open per direction. */
const MAX_OPEN_ATTEMPTS = 16;
/** Distinct (version, DCID) key sets derived per flow. */
const MAX_KEY_SETS = 4;
/** Datagrams held until the client's Initial is known. */
const MAX_HELD = 4;
const MAX_NOTES = 8;
const MAX_CLOSES = 2;
/** A client's first Initial: DCID of at least 8 bytes (RFC 9000 §7.2) in a datagram of at least 1200 (§14.1). */
const CLIENT_MIN_DCID = 8;
const CLIENT_MIN_DATAGRAM = 1200;

class Direction {
  largestPn = -1;
  initials = 0; // Initial packets seen (known version)
  attempts = 0;
  opened = 0;
  failed = 0;
  /** sent a short-header (1-RTT) packet: its Initial phase is over */
  short = false;
  readonly crypto: CryptoStream;
  constructor(deliver: (buf: Buffer, off: number, len: number) => void) {
    this.crypto = new CryptoStream(deliver);
  }
}

interface CloseFact {
  from: 'client' | 'server';
  application: boolean;
  error_code: number;
  frame_type?: number;
  tls_alert?: number;
  reason?: string;
}

export class QuicSession implements DatagramSession {
  readonly tls = new TlsSession();
  readonly fingerprintTransport = 'q' as const;
  private finished = false;
  private datagrams = 0;
  private readonly a: Direction;
  private readonly b: Direction;
  /** side A is the client; null until a client Initial opened */
  private clientIsA: boolean | null = null;
  /** the key set that opened the client's latest Initial */
  private keys: InitialKeys | null = null;
  private readonly keySets: InitialKeys[] = [];
  private firstVersion = -1;
  private serverVersion: QuicVersion | null = null;
  private unknownVersion = -1;
  private anyKnownInitial = false;
  private gquic: string | null = null;
  private originalDcid: Buffer | null = null;
  private clientScid: Buffer | null = null;
  private serverScid: Buffer | null = null;
  private retry = false;
  private retryIntegrity: boolean | null = null;
  private versionsOffered: string[] | null = null;
  private clientShapedFailures = 0; // Initials from an unknown side that looked like a client's first and did not open
  private truncatedInitials = 0;
  private held: { fromA: boolean; data: Buffer }[] = [];
  private readonly closes: CloseFact[] = [];
  private readonly notes: string[] = [];

  constructor() {
    this.a = new Direction((buf, off, len) => this.tls.feedHandshake(true, buf, off, len));
    this.b = new Direction((buf, off, len) => this.tls.feedHandshake(false, buf, off, len));
  }

  get done(): boolean {
    return this.finished;
  }

  datagram(fromA: boolean, buf: Buffer, off: number, len: number): void {
    if (this.finished || len <= 0) return;
    this.datagrams++;
    try {
      this.walk(fromA, buf, off, off + len, true);
    } catch {
      this.note('internal-error'); // last guard: a bug must never take the engine down
    }
    this.checkDone();
  }

  end(): void {
    this.held = [];
    this.tls.end();
  }

  // ---------------------------------------------------------------- packets

  /** The packets of one datagram (coalesced: RFC 9000 §12.2). Returns false when it was held. */
  private walk(fromA: boolean, buf: Buffer, p: number, end: number, fresh: boolean): boolean {
    const dir = fromA ? this.a : this.b;
    const start = p;
    while (p < end) {
      const first = buf[p];
      if (!(first & 0x80)) {
        // short header: 1-RTT to the end of the datagram (zero bytes after packets are padding)
        if (this.firstVersion < 0 && this.gquic === null) {
          const g = googleQuicLegacyVersion(buf, p, end);
          if (g >= 0) this.gquic = versionName(g);
        }
        // a datagram that starts with a short header is 1-RTT (the fixed bit may be greased, RFC 9287)
        if (p === start || first & 0x40) dir.short = true;
        return true;
      }
      if (end - p < 7) return this.note('long-header-truncated');
      const version = buf.readUInt32BE(p + 1);
      if (version === 0) {
        this.versionNegotiation(buf, p, end);
        return true;
      }
      if (this.firstVersion < 0) this.firstVersion = version;
      const v = quicVersion(version);
      if (v === null) {
        if (isGoogleQuicVersion(version)) this.gquic = versionName(version);
        else if (this.unknownVersion < 0) this.unknownVersion = version;
        return true;
      }
      const dcidOff = p + 6;
      const dcidLen = buf[p + 5];
      const scidLenOff = dcidOff + dcidLen;
      if (dcidLen > 20 || scidLenOff >= end) return this.note('long-header-truncated');
      const scidLen = buf[scidLenOff];
      let q = scidLenOff + 1 + scidLen;
      if (scidLen > 20 || q > end) return this.note('long-header-truncated');
      const type = longPacketType(first, v.v2Types);
      if (type === PT_RETRY) {
        this.retryPacket(v, buf, p, q, end);
        return true;
      }
      if (type === PT_INITIAL) {
        const tokenLen = readVarint(buf, q, end);
        if (tokenLen < 0 || varintEnd + tokenLen > end) return this.note('long-header-truncated');
        q = varintEnd + tokenLen;
      }
      const length = readVarint(buf, q, end);
      if (length < 0) return this.note('long-header-truncated');
      const pnOff = varintEnd;
      const pktEnd = pnOff + length;
      if (pktEnd > end) {
        // cut short (snap length, fragment lost, or garbage): cannot be opened
        if (type === PT_INITIAL) {
          this.anyKnownInitial = true;
          this.truncatedInitials++;
        }
        return this.note('packet-truncated');
      }
      if (type === PT_INITIAL) {
        const pkt = { version: v, start: p, dcidOff, dcidLen, scidOff: scidLenOff + 1, scidLen, pnOff, end: pktEnd };
        if (!this.initialPacket(fromA, dir, buf, pkt, end - start, fresh)) {
          // not ours to open yet: the whole datagram waits for the client's keys
          if (this.held.length < MAX_HELD) this.held.push({ fromA, data: Buffer.from(buf.subarray(p, end)) });
          return false;
        }
      }
      p = pktEnd; // Handshake and 0-RTT packets: keys unknown, skipped by Length
    }
    return true;
  }

  /** One Initial packet. Returns false when it should be held until the client is known. */
  private initialPacket(fromA: boolean, dir: Direction, buf: Buffer, pkt: InitialRef, datagramLen: number, fresh: boolean): boolean {
    this.anyKnownInitial = true;
    dir.initials++;
    if (dir.attempts >= MAX_OPEN_ATTEMPTS) return true;
    dir.attempts++;
    const dcid = buf.subarray(pkt.dcidOff, pkt.dcidOff + pkt.dcidLen);
    let opened: ReturnType<typeof openLongPacket> = null;
    if (this.clientIsA === null) {
      const k = this.keySet(pkt.version, dcid);
      opened = k && this.open(k.client, buf, pkt, dir);
      if (opened === null) {
        if (pkt.dcidLen >= CLIENT_MIN_DCID && datagramLen >= CLIENT_MIN_DATAGRAM) this.clientShapedFailures++;
        if (fresh && this.held.length < MAX_HELD) return false;
        dir.failed++;
        return true;
      }
      this.clientIsA = fromA;
      // the client is known even if its ClientHello never completes (the document's originator)
      if (this.tls.clientIsOriginator === null) this.tls.clientIsOriginator = fromA;
      this.keys = k;
      this.originalDcid = Buffer.from(dcid);
    } else if (fromA === this.clientIsA) {
      // the client: the current keys, else (Retry, Version Negotiation, new attempt) keys from this DCID
      let k = this.keySet(pkt.version, this.keys!.dcid);
      opened = k && this.open(k.client, buf, pkt, dir);
      if (opened === null && !dcid.equals(this.keys!.dcid)) {
        k = this.keySet(pkt.version, dcid);
        opened = k && this.open(k.client, buf, pkt, dir);
      }
      if (opened !== null) this.keys = k;
    } else {
      // the server: keys from the client's DCID, in the version the server answered with
      const k = this.keySet(pkt.version, this.keys!.dcid);
      opened = k && this.open(k.server, buf, pkt, dir);
      if (opened !== null) {
        this.serverVersion = pkt.version;
        if (this.serverScid === null) this.serverScid = Buffer.from(buf.subarray(pkt.scidOff, pkt.scidOff + pkt.scidLen));
      }
    }
    if (opened === null) {
      dir.failed++;
      return true;
    }
    if (fromA === this.clientIsA && this.clientScid === null) this.clientScid = Buffer.from(buf.subarray(pkt.scidOff, pkt.scidOff + pkt.scidLen));
    dir.opened++;
    if (opened.packetNumber > dir.largestPn) dir.largestPn = opened.packetNumber;
    const problem = parseInitialFrames(opened.payload, 0, opened.payload.length, this.sink(fromA, dir));
    if (problem !== null) this.note(problem);
    if (this.held.length > 0 && this.clientIsA !== null) this.replayHeld();
    return true;
  }

  private open(keys: DirectionKeys, buf: Buffer, pkt: InitialRef, dir: Direction): ReturnType<typeof openLongPacket> {
    return openLongPacket(keys, buf, pkt.start, pkt.pnOff, pkt.end, dir.largestPn);
  }

  /** Key set for (version, DCID), derived on first use; null past the per-flow bound. */
  private keySet(version: QuicVersion, dcid: Buffer): InitialKeys | null {
    for (const k of this.keySets) if (k.version === version && k.dcid.equals(dcid)) return k;
    if (this.keySets.length >= MAX_KEY_SETS) return null;
    const k = initialKeys(version, dcid);
    this.keySets.push(k);
    return k;
  }

  private replayHeld(): void {
    const list = this.held;
    this.held = [];
    for (const h of list) this.walk(h.fromA, h.data, 0, h.data.length, false);
  }

  private sink(fromA: boolean, dir: Direction): FrameSink {
    return {
      crypto: (at, buf, off, len) => dir.crypto.push(at, buf, off, len),
      connectionClose: (c) => this.connectionClose(fromA, c),
    };
  }

  private connectionClose(fromA: boolean, c: ConnectionClose): void {
    if (this.closes.length >= MAX_CLOSES) return;
    const f: CloseFact = { from: fromA === this.clientIsA ? 'client' : 'server', application: c.application, error_code: c.errorCode };
    if (!c.application) {
      f.frame_type = c.frameType;
      // CRYPTO_ERROR 0x0100-0x01ff carries a TLS alert (RFC 9001 §4.8)
      if (c.errorCode >= 0x100 && c.errorCode <= 0x1ff) f.tls_alert = c.errorCode - 0x100;
    }
    if (c.reason) f.reason = c.reason;
    this.closes.push(f);
  }

  /** Retry (RFC 9000 §17.2.5): the client's next Initial uses its SCID as DCID (new keys). */
  private retryPacket(v: QuicVersion, buf: Buffer, p: number, tokenOff: number, end: number): void {
    this.retry = true;
    if (end - tokenOff < 16) {
      this.note('retry-truncated');
      return;
    }
    if (this.keys !== null && this.retryIntegrity === null) this.retryIntegrity = retryIntegrityValid(v, this.keys.dcid, buf, p, end);
  }

  /** Version Negotiation (RFC 9000 §17.2.1): the versions the server supports. */
  private versionNegotiation(buf: Buffer, p: number, end: number): void {
    const scidLenOff = p + 6 + buf[p + 5];
    if (scidLenOff >= end) {
      this.note('version-negotiation-truncated');
      return;
    }
    let q = scidLenOff + 1 + buf[scidLenOff];
    if (this.versionsOffered !== null) return;
    const list: string[] = [];
    for (; q + 4 <= end && list.length < 16; q += 4) list.push(versionName(buf.readUInt32BE(q)));
    this.versionsOffered = list;
  }

  private note(what: string): false {
    if (this.notes.length < MAX_NOTES && !this.notes.includes(what)) this.notes.push(what);
    return false;
  }

  private checkDone(): void {
    if (this.gquic !== null || this.datagrams >= MAX_DATAGRAMS) this.finished = true;
    else if (this.tls.clientHello !== null && this.tls.serverHello !== null) this.finished = true;
    // both sides speak 1-RTT: no Initial packet follows
    else if (this.a.short && this.b.short) this.finished = true;
    if (this.finished) this.held = [];
  }

  // ---------------------------------------------------------------- results

  get unobservable(): string[] {
    if (this.gquic !== null) return ['gquic'];
    const out: string[] = [];
    const client = this.clientIsA === null ? null : this.clientIsA ? this.a : this.b;
    const server = this.clientIsA === null ? null : this.clientIsA ? this.b : this.a;
    if (this.tls.clientHello === null) {
      if (client === null) {
        if (!this.anyKnownInitial && this.unknownVersion >= 0) out.push('quic-unknown-version');
        else if (this.clientShapedFailures > 0 || this.truncatedInitials > 0) out.push('quic-decryption-failed');
        else out.push('quic-no-initial');
      } else if (client.failed > 0) out.push('quic-decryption-failed'); // a later client Initial did not open
      else out.push('quic-crypto-gap'); // the client's Initials opened, its ClientHello never completed
    }
    if (server !== null && this.tls.serverHello === null && this.tls.helloRetryRequest === null) {
      if (server.opened === 0 && server.failed > 0) out.push('quic-decryption-failed');
      // CRYPTO bytes came, not enough of them (Initials holding only ACKs say nothing)
      else if (server.crypto.gap || server.crypto.next > 0) out.push('quic-crypto-gap');
    }
    return out;
  }

  facts(): Record<string, unknown> | null {
    const code = this.serverVersion?.code ?? this.keys?.version.code ?? this.firstVersion;
    if (code < 0 && this.gquic === null && this.versionsOffered === null) return null;
    const f: Record<string, unknown> = { version: this.gquic ?? (code >= 0 ? versionName(code) : null) };
    if (this.keys !== null && this.serverVersion !== null && this.serverVersion !== this.keys.version)
      f.client_version = this.keys.version.name; // compatible version negotiation (RFC 9368)
    if (this.originalDcid !== null) f.client_dcid = this.originalDcid.toString('hex');
    if (this.clientScid !== null) f.client_scid = this.clientScid.toString('hex');
    if (this.serverScid !== null) f.server_scid = this.serverScid.toString('hex');
    const tp = this.tls.clientHello?.quicTransportParameters;
    if (tp) f.client_transport_parameters = decodeTransportParameters(tp);
    f.retry = this.retry;
    if (this.retryIntegrity !== null) f.retry_integrity = this.retryIntegrity;
    if (this.versionsOffered !== null) f.version_negotiation = this.versionsOffered;
    const client = this.clientIsA === null ? null : this.clientIsA ? this.a : this.b;
    const server = this.clientIsA === null ? null : this.clientIsA ? this.b : this.a;
    if (client !== null && server !== null) f.initial_packets = { client: client.opened, server: server.opened };
    if (this.closes.length) f.connection_close = this.closes;
    if (this.notes.length) f.malformed = this.notes.slice();
    return f;
  }
}

interface InitialRef {
  version: QuicVersion;
  start: number;
  dcidOff: number;
  dcidLen: number;
  scidOff: number;
  scidLen: number;
  pnOff: number;
  end: number;
}
