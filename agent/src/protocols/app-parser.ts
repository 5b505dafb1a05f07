// What a cleartext application-layer parser is (Suricata-style: one folder per
// protocol holding its detector, parser and facts). After identification, the flow
// hands the parser each direction's in-order stream bytes. The parser learns what the
// audit needs — STARTTLS offered/used, credentials (user names only: secrets are
// never kept), tunnel targets — and says where the cleartext protocol stops and TLS
// (or a tunnelled stream) begins in each direction.

import type { TlsSession } from './tls/session.js';

export interface Credential {
  /** 'http-basic', 'http-bearer', 'http-form-password', 'ftp', 'smtp-auth-plain', 'smtp-auth-login', 'pop3', 'imap', 'redis', 'telnet', 'ldap-simple', 'irc', 'xmpp-plain', ... */
  kind: string;
  /** the user name when the protocol carries one in cleartext, else null; NEVER the secret */
  user: string | null;
}

export interface AppFacts {
  /** STARTTLS-style upgrade: offered (server advertised it, or it was requested: say who in offeredBy), used (the TLS handshake followed) */
  starttls?: { offered: boolean; used: boolean; offeredBy?: 'server' | 'client' | 'both' };
  /** cleartext credentials seen (at most a few; user names only) */
  credentials?: Credential[];
  /** the stream turned into something else: 'tls' after STARTTLS, 'tunnel' after HTTP CONNECT / SOCKS */
  upgrade?: 'tls' | 'tunnel';
  /** HTTP CONNECT / SOCKS destination, "host:port" */
  tunnelTarget?: string;
  /** small protocol facts worth logging (e.g. http: { method, host }, ssh: { client, server } banners) */
  details?: Record<string, unknown>;
}

export interface AppParser {
  readonly facts: AppFacts;
  /**
   * In-order bytes of one direction; fromClient: sent by the protocol's client.
   * Returns how many of these bytes belong to the cleartext protocol. When that is
   * less than len, everything from off + returned on, and all later bytes of this
   * direction, are the upgraded stream (facts.upgrade says what it is); the caller
   * stops feeding this direction to the parser. Bytes are valid only during the call.
   */
  feed(fromClient: boolean, buf: Buffer, off: number, len: number): number;
  /** Bytes were lost in that direction. */
  gap(fromClient: boolean): void;
  /** Nothing more to learn from the cleartext protocol (budget spent, or both directions upgraded). */
  readonly done: boolean;
  /** The connection ended. */
  end(): void;
}

export type AppParserFactory = () => AppParser;

const factories = new Map<string, AppParserFactory>();

/** Each protocol's parser module registers itself under its network.protocol name. */
export function registerAppParser(protocol: string, factory: AppParserFactory): void {
  factories.set(protocol, factory);
}

export function createAppParser(protocol: string): AppParser | null {
  const f = factories.get(protocol);
  return f ? f() : null;
}

/**
 * A datagram protocol's session (QUIC, DTLS): fed whole UDP payloads, it reassembles
 * the handshake into a TlsSession (protocols/tls/session.ts) and keeps its own facts.
 */
export interface DatagramSession {
  /** fromA: sent by the flow's side A (its first sender). Bytes are valid only during the call. */
  datagram(fromA: boolean, buf: Buffer, off: number, len: number): void;
  /** nothing more to learn: the flow only counts packets from now on */
  readonly done: boolean;
  end(): void;
  /** the handshake, fed with fromOriginator = fromA (so tls.clientIsOriginator is relative to side A) */
  readonly tls: TlsSession;
  /** JA4 transport letter: 'q' QUIC, 'd' DTLS */
  readonly fingerprintTransport: 'q' | 'd';
  /** facts for intransit.<protocol name> (QUIC: version, transport parameters, ...), null when none */
  facts(): Record<string, unknown> | null;
  /** stable reasons why part of the handshake could not be seen ('quic-decryption-failed', 'crypto-gap', 'quic-unknown-version', ...) */
  readonly unobservable: string[];
}
