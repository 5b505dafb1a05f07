// Parsed TLS handshake state shared by the parser (TCP, and later QUIC/DTLS), the
// fingerprints (JA3/JA3S/JA4), the logger and the audit rules. Code points are kept
// as numbers in wire order; names are looked up at logging time (iana/*.ts).

export interface Extension {
  type: number; // extension code point (GREASE included, as on the wire)
  length: number; // body length
}

export interface ClientHello {
  /** 'tls' for a record-layer ClientHello, 'ssl2' for an SSLv2-compatible one, 'dtls' for DTLS. */
  format: 'tls' | 'ssl2' | 'dtls';
  recordVersion: number; // record-layer version (0 for SSLv2 format)
  legacyVersion: number; // client_version field
  random: Buffer | null; // 32 bytes (copy) — SSLv2: the challenge
  sessionId: Buffer; // copy, may be empty
  cookie: Buffer | null; // DTLS only
  cipherSuites: number[]; // wire order, GREASE included (SSLv2 3-byte kinds: only those with a 0x00 first byte, as 16-bit codes)
  compressionMethods: number[];
  extensions: Extension[]; // wire order, GREASE included
  serverName: string | null; // SNI host_name (first one)
  alpn: string[]; // ALPN protocol names, wire order
  supportedGroups: number[]; // wire order, GREASE included
  ecPointFormats: number[];
  signatureAlgorithms: number[]; // wire order
  supportedVersions: number[]; // wire order, GREASE included (empty when the extension is absent)
  keyShareGroups: number[]; // groups of the key_share entries, wire order
  sessionTicket: boolean; // session_ticket extension present
  sessionTicketLength: number; // and its length (non-zero: resumption attempt)
  pskOffered: boolean; // pre_shared_key extension present
  pskModes: number[];
  echOffered: boolean; // encrypted_client_hello (0xfe0d) present
  quicTransportParameters: Buffer | null; // 0x39 / 0xffa5 body (copy), for QUIC
  truncated: boolean; // message was cut short; fields parsed up to the cut
  /** Key-exchange byte length of each key_share entry, parallel to keyShareGroups. */
  keyShareLengths?: number[];
  /** SSLv2 format: every 3-byte cipher kind as offered (cipherSuites keeps the 0x00-prefixed ones). */
  ssl2CipherKinds?: number[];
  /** Stable kebab-case reasons for what did not parse (e.g. 'client-hello-sni-past-end'). */
  malformed?: string[];
}

export interface ServerHello {
  legacyVersion: number; // server_version field
  random: Buffer | null;
  sessionId: Buffer;
  cipherSuite: number;
  compressionMethod: number;
  extensions: Extension[]; // wire order
  selectedVersion: number; // supported_versions value (TLS 1.3), 0 when absent
  keyShareGroup: number; // key_share group (TLS 1.3), -1 when absent
  alpn: string | null; // selected ALPN protocol
  sessionTicket: boolean; // server sent an empty session_ticket extension (will issue a ticket)
  pskSelected: boolean; // pre_shared_key extension present (TLS 1.3 PSK accepted)
  isHelloRetryRequest: boolean; // random equals the HRR magic (RFC 8446 4.1.3)
  truncated: boolean;
  /** SSLv2 SERVER-HELLO only: the server certificate (copy) and the session-id-hit flag. */
  ssl2Certificate?: Buffer | null;
  ssl2SessionIdHit?: boolean;
  malformed?: string[];
}

export interface ServerKeyExchange {
  kind: 'ecdhe' | 'dhe' | 'rsa' | 'psk' | 'srp' | 'unknown'; // ECDHE_PSK -> 'ecdhe', DHE_PSK -> 'dhe', PSK/RSA_PSK -> 'psk'
  namedCurve: number; // ECDHE named group, -1 when not ECDHE or explicit curve
  dhPrimeBits: number; // DHE prime size in bits, 0 when not DHE
  /** Ephemeral RSA (export suites): modulus size in bits, 0 otherwise. */
  rsaModulusBits?: number;
  /** TLS 1.2 signature scheme of the params signature, -1 when absent (TLS <= 1.1, anon, PSK) or unparsed. */
  signatureAlgorithm?: number;
}

export interface CertificateRequest {
  certificateTypes: number[];
  signatureAlgorithms: number[];
}

export interface Alert {
  fromClient: boolean;
  level: number; // 1 warning, 2 fatal (0 when encrypted: level/description unknown)
  description: number; // -1 when encrypted
  encrypted: boolean;
  beforeEstablished: boolean;
  /** SSLv2 ERROR message instead of an alert: its error code (level 2, description -1). */
  ssl2Error?: number;
}

export interface X509Facts {
  sha256: string; // lowercase hex of the DER
  notBefore: string | null; // ISO-8601
  notAfter: string | null;
  subjectCommonName: string | null;
  issuerCommonName: string | null;
  subject: string | null; // RFC 2253-like one-line DN
  issuer: string | null;
  alternativeNames: string[]; // DNS names of the SAN, certificate order
  publicKeyAlgorithm: string | null; // 'rsa' | 'ec' | 'dsa' | 'ed25519' | ... (Node's asymmetricKeyType or the OID name)
  publicKeySize: number | null; // bits: RSA/DSA modulus, EC curve size
  publicKeyCurve: string | null; // e.g. 'prime256v1'
  signatureAlgorithm: string | null; // e.g. 'sha256WithRSAEncryption'
  serialNumber: string | null; // uppercase hex
  isCA: boolean | null;
  selfIssued: boolean; // subject == issuer
  selfSigned: boolean | null; // verifies with its own key (null: could not tell)
  parseError: string | null; // Node could not parse it
}
