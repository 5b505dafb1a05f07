// The summary document: what was read, sessions by protocol, the SEC09 KPIs and
// everything that could not be decoded, by reason. Fed one session at a time.

import type { SessionDoc, SummaryDoc } from '@intransit/shared';
import { DEFAULT_PROFILE, versionAtLeast, type Profile } from '../audit/profiles.js';
import { isoTime } from './format.js';

function share(n: number, d: number): number | null {
  return d === 0 ? null : Math.round((n / d) * 10000) / 10000;
}

export interface SummaryInput {
  first: [number, number] | null;
  last: [number, number] | null;
  packets: number;
  capturedBytes: number;
  wireBytes: number;
  undecoded: Record<string, number>;
  flows: Record<string, number>;
  capture: Record<string, unknown>;
}

export class Summary {
  sessions = 0;
  readonly byProtocol: Record<string, number> = Object.create(null);
  readonly byTransport: Record<string, number> = Object.create(null);
  readonly tlsVersions: Record<string, number> = Object.create(null);
  readonly findings: Record<string, number> = Object.create(null);
  encryptedSessions = 0;
  cleartextSessions = 0;
  unknownSessions = 0;
  encryptedBytes = 0;
  cleartextBytes = 0;
  unknownBytes = 0;
  tlsSessions = 0; // sessions with a negotiated version
  tls12plus = 0;
  approvedCipher = 0;

  constructor(private readonly profile: Profile = DEFAULT_PROFILE) {}

  addSession(doc: SessionDoc): void {
    this.sessions++;
    const p = doc.network.protocol;
    this.byProtocol[p] = (this.byProtocol[p] ?? 0) + 1;
    const t = doc.network.transport;
    this.byTransport[t] = (this.byTransport[t] ?? 0) + 1;
    const bytes = doc.source.bytes + doc.destination.bytes;
    const enc = doc.intransit.encrypted;
    if (enc === true) {
      this.encryptedSessions++;
      this.encryptedBytes += bytes;
    } else if (enc === false) {
      this.cleartextSessions++;
      this.cleartextBytes += bytes;
    } else {
      this.unknownSessions++;
      this.unknownBytes += bytes;
    }
    const v = doc.tls?.version;
    if (v !== undefined) {
      const key = `${doc.tls?.version_protocol ?? 'tls'} ${v}`;
      this.tlsVersions[key] = (this.tlsVersions[key] ?? 0) + 1;
      this.tlsSessions++;
      if (doc.tls?.version_protocol !== 'ssl' && versionAtLeast(v, this.profile.minVersion)) this.tls12plus++;
      const c = doc.tls?.cipher;
      if (c !== undefined && this.profile.approvedCiphers.has(c)) this.approvedCipher++;
    }
    for (const id of doc.intransit.findings) this.findings[id] = (this.findings[id] ?? 0) + 1;
  }

  document(input: SummaryInput): SummaryDoc {
    const judged = this.encryptedSessions + this.cleartextSessions;
    const judgedBytes = this.encryptedBytes + this.cleartextBytes;
    const allBytes = judgedBytes + this.unknownBytes;
    const end = input.last ? isoTime(input.last[0], input.last[1]) : undefined;
    const doc: SummaryDoc = {
      '@timestamp': end ?? new Date(0).toISOString(),
      event: { kind: 'metric', dataset: 'intransit.summary' },
      intransit: {
        summary: {
          packets: input.packets,
          bytes: input.capturedBytes,
          wire_bytes: input.wireBytes,
          sessions: this.sessions,
          sessions_by_protocol: sorted(this.byProtocol),
          sessions_by_transport: sorted(this.byTransport),
          tls_versions: sorted(this.tlsVersions),
          kpi: {
            profile: this.profile.name,
            // shares are of the sessions (bytes) whose protocol could be identified;
            // the unidentified ones are reported beside them, never counted as passes
            encrypted_sessions: this.encryptedSessions,
            cleartext_sessions: this.cleartextSessions,
            unidentified_sessions: this.unknownSessions,
            encrypted_session_share: share(this.encryptedSessions, judged),
            encrypted_byte_share: share(this.encryptedBytes, judgedBytes),
            unidentified_byte_share: share(this.unknownBytes, allBytes),
            tls_sessions: this.tlsSessions,
            tls12plus_share: share(this.tls12plus, this.tlsSessions),
            approved_cipher_share: share(this.approvedCipher, this.tlsSessions),
          },
          findings_by_rule: sorted(this.findings),
          undecoded: sorted(input.undecoded),
          flows: input.flows,
          capture: input.capture,
        },
      },
    };
    if (input.first) doc.event.start = isoTime(input.first[0], input.first[1]);
    if (end) doc.event.end = end;
    return doc;
  }
}

function sorted(o: Record<string, number>): Record<string, number> {
  const r: Record<string, number> = {};
  for (const k of Object.keys(o).sort()) r[k] = o[k];
  return r;
}
