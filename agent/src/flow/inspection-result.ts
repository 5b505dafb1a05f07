// What a flow's application-layer inspection learnt, in the form its session document needs.
// It is taken once, when inspection is over: at the flow's end, or earlier when the flow is
// decided (nothing more to learn). A decided flow then keeps only this (a few hundred bytes,
// most of them shared with other sessions: cipher names, certificate facts) instead of its
// parsers' state (hellos, certificates, record readers: several KiB), for as long as its
// connection lingers in the flow table. Its packets never reach an inspector again, so the
// result is the same whenever it is taken.

import type { ProtocolSignature } from '../protocols/identify.js';
import type { AppFacts } from '../protocols/app-parser.js';
import { tlsDocument } from '../protocols/tls/logger.js';
import type { AppInspector } from './inspector.js';

export interface InspectionResult {
  /** Identified protocol, or null. */
  protocol: ProtocolSignature | null;
  /** A TLS handshake was seen (directly, after STARTTLS, in a tunnel, or in QUIC/DTLS). */
  tlsSeen: boolean;
  /** The TLS (or QUIC) client is side A (the flow's first sender); null when unknown. */
  clientIsA: boolean | null;
  /** `tls.*` and `intransit.tls.*` of the session document, or null without a handshake. */
  tls: { tls: Record<string, unknown>; intransitTls: Record<string, unknown> } | null;
  /** intransit.<protocol> facts of a datagram session (QUIC, DTLS). */
  datagramFacts: Record<string, unknown> | null;
  /** Why parts of the handshake could not be seen. */
  unobservable: string[];
  /** What a cleartext parser learnt (STARTTLS, credentials, tunnel target, details). */
  app: AppFacts | null;
  /** The inspection budget stopped inspection. */
  wasShed: boolean;
}

/** Ends the inspection (letting the parsers conclude) and keeps what it learnt. */
export function inspectionResult(insp: AppInspector): InspectionResult {
  insp.end();
  const ds = insp.datagramSession;
  const tls = ds ? ds.tls : insp.tls;
  // the contract names the TLS (over TCP) and QUIC clients as originators; a DTLS flow keeps
  // its first sender, as WebRTC peers take the DTLS client role by signalling, not by who
  // spoke first
  const clientTls = ds ? (ds.fingerprintTransport === 'q' ? ds.tls : null) : insp.tls;
  return {
    protocol: insp.protocol,
    tlsSeen: insp.sawTls || (ds !== null && ds.tls.clientHello !== null),
    clientIsA: clientTls ? clientTls.clientIsOriginator : null,
    tls: tls ? tlsDocument(tls, ds ? ds.fingerprintTransport : 't') : null,
    datagramFacts: ds && insp.protocol ? ds.facts() : null,
    unobservable: ds && insp.protocol ? ds.unobservable.slice() : [],
    app: insp.parser?.facts ?? null,
    wasShed: insp.wasShed,
  };
}
