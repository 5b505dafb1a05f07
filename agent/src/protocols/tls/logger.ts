// ECS view of a TLS session: `tls.*` exactly as the output contract lists it (plus ECS's
// tls.client.hash / tls.client.x509 for a client certificate), and the product's own facts for
// the audit rules under `intransit.tls.*`. Runs once per session when its inspection is over, never per
// packet. Fields without a value are omitted (no nulls).

import { alertLevelName, alertName } from './iana/alerts.js';
import { cipherSuiteInfo } from './iana/ciphers.js';
import { groupInfo, groupName } from './iana/groups.js';
import { signatureSchemeName } from './iana/sigschemes.js';
import { versionInfo } from './iana/versions.js';
import { ja3s } from './fingerprint/ja3.js';
import { cachedX509Facts, certificateSha256 } from './cert-cache.js';
import type { TlsSession } from './session.js';
import { shared } from '../../output/writer.js';
import { clientPart } from './client-part.js';
import { cipherName, hex4, put, safe, type Doc } from './doc-values.js';
import { internDocument } from '../../output/intern.js';
import type { ServerHello, X509Facts } from './types.js';

// certificates recur across sessions: hashed and parsed once each (cert-cache.ts)
const sha256 = certificateSha256;

// SSL 2.0 draft, "Error Message Codes".
const SSL2_ERRORS: Record<number, string> = { 1: 'ssl2_no_cipher', 2: 'ssl2_no_certificate', 4: 'ssl2_bad_certificate', 6: 'ssl2_unsupported_certificate_type' };

// A certificate's documents are built once and shared (read-only) by every session that
// presented it, as its facts are (cert-cache.ts): memory per session stays a few references.
const x509Docs = new WeakMap<X509Facts, Doc>();
const chainEntries = new WeakMap<X509Facts, Doc>();

/** ECS x509.* object of one certificate (shared: never modify it). */
function x509Doc(f: X509Facts): Doc {
  let d = x509Docs.get(f);
  if (d === undefined) {
    d = shared(buildX509Doc(f));
    x509Docs.set(f, d);
  }
  return d;
}

function buildX509Doc(f: X509Facts): Doc {
  const d: Doc = {};
  put(d, 'not_before', f.notBefore);
  put(d, 'not_after', f.notAfter);
  if (f.subjectCommonName) d.subject = { common_name: f.subjectCommonName };
  if (f.issuerCommonName) d.issuer = { common_name: f.issuerCommonName };
  put(d, 'alternative_names', f.alternativeNames);
  put(d, 'public_key_algorithm', f.publicKeyAlgorithm);
  put(d, 'public_key_size', f.publicKeySize);
  put(d, 'public_key_curve', f.publicKeyCurve);
  put(d, 'signature_algorithm', f.signatureAlgorithm);
  put(d, 'serial_number', f.serialNumber);
  return d;
}

const facts = cachedX509Facts;

/** intransit.tls.chain[] entry of one certificate (shared: never modify it). */
function chainEntry(f: X509Facts): Doc {
  let e = chainEntries.get(f);
  if (e !== undefined) return e;
  e = { sha256: f.sha256 };
  put(e, 'subject', f.subject);
  put(e, 'issuer', f.issuer);
  put(e, 'not_before', f.notBefore);
  put(e, 'not_after', f.notAfter);
  // per-certificate facts the audit judges on intermediates too (key, signature, anchor)
  put(e, 'public_key_algorithm', f.publicKeyAlgorithm);
  put(e, 'public_key_size', f.publicKeySize);
  put(e, 'public_key_curve', f.publicKeyCurve);
  put(e, 'signature_algorithm', f.signatureAlgorithm);
  if (f.isCA !== null) e.is_ca = f.isCA;
  e.self_issued = f.selfIssued;
  if (f.selfSigned !== null) e.self_signed = f.selfSigned;
  chainEntries.set(f, shared(e));
  return e;
}

/** Key exchange actually used: from the suite (TLS <= 1.2) or the key_share / PSK mode (TLS 1.3). */
function keyExchange(s: TlsSession, sh: ServerHello): string | null {
  const info = sh.cipherSuite > 0xffff ? null : cipherSuiteInfo(sh.cipherSuite);
  if (sh.keyShareGroup >= 0) {
    const kind = groupInfo(sh.keyShareGroup)?.kind;
    return kind === 'ff' ? 'dhe' : kind === 'hybrid' ? 'hybrid' : kind === 'pq' ? 'kem' : 'ecdhe';
  }
  if (info && info.kx !== 'TLS13') return info.kx.toLowerCase();
  if (info?.kx === 'TLS13' || sh.selectedVersion !== 0) return sh.pskSelected ? 'psk' : null;
  if (sh.cipherSuite > 0xffff) return 'rsa'; // SSLv2 kinds: RSA key transport
  return s.serverKeyExchange ? s.serverKeyExchange.kind : null;
}

export function tlsDocument(s: TlsSession, transport: 't' | 'q' | 'd'): { tls: Doc; intransitTls: Doc } | null {
  const ch = s.clientHello;
  const sh = s.serverHello ?? s.helloRetryRequest;
  if (ch === null && sh === null) return null;
  const tls: Doc = {};
  const it: Doc = {};

  // -- negotiated parameters
  if (sh !== null) {
    const code = s.negotiatedVersion || sh.legacyVersion;
    const v = versionInfo(code);
    if (v) {
      tls.version_protocol = v.protocol;
      tls.version = v.version;
    }
    it.version_code = hex4(code);
    if (sh.cipherSuite >= 0) tls.cipher = cipherName(sh.cipherSuite);
    if (sh.keyShareGroup >= 0) tls.curve = groupName(sh.keyShareGroup);
    else if (s.serverKeyExchange !== null && s.serverKeyExchange.namedCurve >= 0) tls.curve = groupName(s.serverKeyExchange.namedCurve);
    put(it, 'key_exchange', keyExchange(s, sh));
  }
  tls.established = s.established;
  tls.resumed = s.resumed;
  if (sh !== null) put(tls, 'next_protocol', sh.alpn);

  // -- client side
  const client: Doc = {};
  if (ch !== null) {
    const part = clientPart(ch, transport);
    put(client, 'server_name', ch.serverName);
    put(client, 'supported_ciphers', part.supportedCiphers);
    put(client, 'ja3', part.ja3);
    put(client, 'ja4', part.ja4);
    it.client = part.facts;
  }
  const clientCert = s.clientCertificates !== null && s.clientCertificates.length > 0 ? facts(s.clientCertificates[0]) : null;
  const clientSha = s.clientChainSha256?.[0] ?? (s.clientCertificates?.length ? sha256(s.clientCertificates[0]) : undefined);
  if (clientSha) client.hash = { sha256: clientSha };
  if (clientCert && clientCert.sha256 === clientSha) {
    const x = x509Doc(clientCert);
    if (Object.keys(x).length > 0) client.x509 = x;
  }
  if (Object.keys(client).length > 0) tls.client = client;

  // -- server side
  const server: Doc = {};
  if (s.serverHello !== null && s.serverHello.legacyVersion !== 0x0002) put(server, 'ja3s', safe(() => ja3s(s.serverHello as ServerHello).hash));
  const chain = s.serverCertificates.map(facts);
  // A Certificate message too large to buffer leaves only hashes for the certificates past the bound.
  const chainSha = s.serverChainSha256 ?? s.serverCertificates.map(sha256);
  const leaf = chain[0] ?? null;
  if (chainSha.length > 0) server.hash = { sha256: chainSha[0] };
  if (leaf && leaf.sha256 === chainSha[0]) {
    const x = x509Doc(leaf);
    if (Object.keys(x).length > 0) server.x509 = x;
  }
  if (Object.keys(server).length > 0) tls.server = server;

  // -- product facts for the audit rules
  if (chainSha.length > 0) it.chain_sha256 = chainSha;
  if (chain.length > 0) {
    it.chain = chain.filter((f): f is X509Facts => f !== null).map(chainEntry);
  }
  it.hello_retry = s.helloRetryRequest !== null;
  const ske = s.serverKeyExchange;
  if (ske !== null) {
    if (ske.dhPrimeBits > 0) it.dh_prime_bits = ske.dhPrimeBits;
    if (ske.rsaModulusBits) it.rsa_ephemeral_bits = ske.rsaModulusBits;
    if (ske.signatureAlgorithm !== undefined && ske.signatureAlgorithm >= 0) it.key_exchange_signature = signatureSchemeName(ske.signatureAlgorithm);
  }
  it.certificate_requested = s.certificateRequest !== null;
  const clientCount = s.clientChainSha256?.length ?? s.clientCertificates?.length ?? -1;
  it.client_certificate = clientCount < 0 ? 'none' : clientCount > 0 ? 'sent' : 'empty';
  if (s.alerts.length > 0) {
    it.alerts = s.alerts.map((a) => {
      const from = a.fromClient ? 'client' : 'server';
      if (a.encrypted) return { from, encrypted: true };
      if (a.ssl2Error !== undefined) return { from, level: 'fatal', description: SSL2_ERRORS[a.ssl2Error] ?? `ssl2-error-${a.ssl2Error}` };
      return { from, level: alertLevelName(a.level), description: alertName(a.description) };
    });
  }
  if (s.sessionTicketIssued) it.session_ticket_issued = true;
  if (s.ocspStapled) it.ocsp_stapled = true;
  put(it, 'history', s.history);
  put(it, 'malformed', s.malformed.slice());
  // equal documents (same kind of client, same server) share one object: see output/intern.ts
  return { tls: internDocument(tls), intransitTls: internDocument(it) };
}
