// The part of a session document built from its ClientHello, but for the SNI: offered cipher
// names, JA3, JA4 and the client's offer (intransit.tls.client). Clients of one kind send the
// same hello every time but for randoms, key shares, session ids and the SNI, so this part is
// built once per kind and shared (read-only) by every session of that kind: it costs no time
// and no memory per session. Kinds are found by a hash of every field read here, confirmed
// field by field. Bounded: the table starts afresh when full.

import { cipherSuiteName } from './iana/ciphers.js';
import { isGrease } from './iana/grease.js';
import { groupName } from './iana/groups.js';
import { signatureSchemeName } from './iana/sigschemes.js';
import { ja3 } from './fingerprint/ja3.js';
import { ja4 } from './fingerprint/ja4.js';
import { shared } from '../../output/writer.js';
import type { ClientHello } from './types.js';
import { cipherName, put, safe, versionLabel, type Doc } from './doc-values.js';

/** What a session's document says of its ClientHello apart from the SNI (shared: never modify it). */
export interface ClientPart {
  supportedCiphers: string[];
  ja3: string | null;
  ja4: string | null;
  facts: Doc;
}

interface Entry {
  transport: string;
  format: string;
  legacyVersion: number;
  flags: number;
  cipherSuites: number[];
  extensionTypes: Int32Array;
  supportedGroups: number[];
  ecPointFormats: number[];
  signatureAlgorithms: number[];
  supportedVersions: number[];
  keyShareGroups: number[];
  compressionMethods: number[];
  alpn: string[];
  ssl2CipherKinds: number[] | undefined;
  part: ClientPart;
  next: Entry | null; // same hash
}

const MAX_ENTRIES = 4096;
const byHash = new Map<number, Entry>();
let count = 0;

const mix = (h: number, v: number): number => Math.imul(h ^ v, 0x01000193);

function mixList(h: number, list: readonly number[]): number {
  h = mix(h, list.length | 0x10000000);
  for (let i = 0; i < list.length; i++) h = mix(h, list[i]);
  return h;
}

function flagsOf(ch: ClientHello): number {
  return (ch.echOffered ? 1 : 0) | (ch.sessionTicket ? 2 : 0) | (ch.pskOffered ? 4 : 0) | (ch.truncated ? 8 : 0);
}

function kindHash(ch: ClientHello, transport: string): number {
  let h = mix(0x811c9dc5, transport.charCodeAt(0));
  h = mix(h, ch.format.charCodeAt(0));
  h = mix(h, ch.legacyVersion);
  h = mix(h, flagsOf(ch));
  h = mixList(h, ch.cipherSuites);
  h = mix(h, ch.extensions.length | 0x20000000);
  for (const e of ch.extensions) h = mix(h, e.type);
  h = mixList(h, ch.supportedGroups);
  h = mixList(h, ch.ecPointFormats);
  h = mixList(h, ch.signatureAlgorithms);
  h = mixList(h, ch.supportedVersions);
  h = mixList(h, ch.keyShareGroups);
  h = mixList(h, ch.compressionMethods);
  h = mix(h, ch.alpn.length | 0x30000000);
  for (const a of ch.alpn) {
    h = mix(h, a.length);
    for (let i = 0; i < a.length; i++) h = mix(h, a.charCodeAt(i));
  }
  if (ch.ssl2CipherKinds) h = mixList(h, ch.ssl2CipherKinds);
  return h >>> 0;
}

function sameList(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameKind(e: Entry, ch: ClientHello, transport: string): boolean {
  if (e.transport !== transport || e.format !== ch.format || e.legacyVersion !== ch.legacyVersion || e.flags !== flagsOf(ch)) return false;
  if (e.extensionTypes.length !== ch.extensions.length) return false;
  for (let i = 0; i < ch.extensions.length; i++) if (e.extensionTypes[i] !== ch.extensions[i].type) return false;
  if (e.alpn.length !== ch.alpn.length) return false;
  for (let i = 0; i < ch.alpn.length; i++) if (e.alpn[i] !== ch.alpn[i]) return false;
  return sameList(e.cipherSuites, ch.cipherSuites) && sameList(e.supportedGroups, ch.supportedGroups) && sameList(e.ecPointFormats, ch.ecPointFormats) &&
    sameList(e.signatureAlgorithms, ch.signatureAlgorithms) && sameList(e.supportedVersions, ch.supportedVersions) &&
    sameList(e.keyShareGroups, ch.keyShareGroups) && sameList(e.compressionMethods, ch.compressionMethods) && sameList(e.ssl2CipherKinds, ch.ssl2CipherKinds);
}

/** The shared document part of this ClientHello's kind. */
export function clientPart(ch: ClientHello, transport: 't' | 'q' | 'd'): ClientPart {
  const h = kindHash(ch, transport);
  const head = byHash.get(h) ?? null;
  for (let e = head; e !== null; e = e.next) if (sameKind(e, ch, transport)) return e.part;
  const part: ClientPart = {
    supportedCiphers: shared(offeredCiphers(ch)),
    ja3: safe(() => ja3(ch).hash),
    ja4: safe(() => ja4(ch, transport)),
    facts: shared(clientFacts(ch)),
  };
  if (count >= MAX_ENTRIES) {
    byHash.clear();
    count = 0;
  }
  byHash.set(h, {
    transport, format: ch.format, legacyVersion: ch.legacyVersion, flags: flagsOf(ch),
    cipherSuites: ch.cipherSuites.slice(), extensionTypes: Int32Array.from(ch.extensions, (x) => x.type),
    supportedGroups: ch.supportedGroups.slice(), ecPointFormats: ch.ecPointFormats.slice(), signatureAlgorithms: ch.signatureAlgorithms.slice(),
    supportedVersions: ch.supportedVersions.slice(), keyShareGroups: ch.keyShareGroups.slice(), compressionMethods: ch.compressionMethods.slice(),
    alpn: ch.alpn.slice(), ssl2CipherKinds: ch.ssl2CipherKinds?.slice(), part,
    next: byHash.get(h) ?? null,
  });
  count++;
  return part;
}

function offeredCiphers(ch: ClientHello): string[] {
  if (ch.format === 'ssl2' && ch.ssl2CipherKinds) return ch.ssl2CipherKinds.map(cipherName);
  const out: string[] = [];
  for (const c of ch.cipherSuites) if (!isGrease(c)) out.push(cipherSuiteName(c));
  return out;
}

function clientFacts(ch: ClientHello): Doc {
  const c: Doc = {};
  const versions = ch.supportedVersions.length > 0 ? ch.supportedVersions.filter((v) => !isGrease(v)) : [ch.legacyVersion];
  put(c, 'versions', versions.map(versionLabel));
  put(c, 'legacy_version', versionLabel(ch.legacyVersion));
  if (ch.format === 'ssl2') c.sslv2_hello = true;
  put(c, 'groups', ch.supportedGroups.filter((g) => !isGrease(g)).map(groupName));
  put(c, 'key_share_groups', ch.keyShareGroups.filter((g) => !isGrease(g)).map(groupName));
  put(c, 'signature_algorithms', ch.signatureAlgorithms.filter((g) => !isGrease(g)).map(signatureSchemeName));
  put(c, 'alpn', ch.alpn);
  put(c, 'extensions', ch.extensions.map((e) => e.type));
  put(c, 'compression_methods', ch.compressionMethods.filter((m) => m !== 0));
  c.ech = ch.echOffered;
  c.session_ticket = ch.sessionTicket;
  c.psk = ch.pskOffered;
  if (ch.truncated) c.truncated = true;
  return c;
}

