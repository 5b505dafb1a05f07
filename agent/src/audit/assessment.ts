// Coverage honesty: how much of a session the capture let us judge. Every session gets
//   assessed      — everything the rules look at was visible;
//   partial       — the session is judged on what was visible; the reasons say what was not
//                   (e.g. TLS 1.3 encrypts the certificate, the capture joined mid-stream);
//   unobservable  — not even whether the traffic is encrypted could be told.
// A reason never turns into a pass: rules that cannot see their facts stay silent, and the
// KPIs count only what was seen (see output/summary.ts).

import type { SessionDoc } from '@intransit/shared';
import { cipherInfo, versionRank } from './cipher-facts.js';
import { flowFacts, tlsFacts } from './rule.js';

export type AssessmentLevel = 'assessed' | 'partial' | 'unobservable';

export interface Assessment {
  level: AssessmentLevel;
  reasons: string[];
}

const TLS_FAMILY = new Set(['tls', 'dtls', 'quic']);

/** Assessment of a finished session document; `extra` adds rule-level reasons (mTLS unobservable...). */
export function assess(s: SessionDoc, extra: readonly string[] = []): Assessment {
  const reasons: string[] = [];
  const add = (r: string): void => {
    if (!reasons.includes(r)) reasons.push(r);
  };
  const flow = flowFacts(s);
  const t = s.tls;
  const it = tlsFacts(s);
  const proto = s.network.protocol;
  const sawClientHello = it?.client !== undefined;
  const rank = versionRank(t?.version_protocol, t?.version);

  if (proto === 'unknown') add('protocol-unknown');
  else if (s.intransit.encrypted === null) add('encryption-undetermined');
  if (flow.midstream && !sawClientHello) add('midstream');
  if (flow.one_direction) add('one-direction');
  if (flow.snaplen_truncated) add('snaplen-truncated');
  if (flow.gaps) add('stream-gaps');
  for (const u of (s.intransit.unobservable as string[] | undefined) ?? []) add(u);

  const tlsLike = TLS_FAMILY.has(proto) || t !== undefined || it !== undefined;
  if (tlsLike) {
    if (!sawClientHello && rank < 0) add('handshake-not-seen');
    else {
      if (!sawClientHello) add('client-hello-not-seen');
      else if (it?.client?.truncated) add('client-hello-truncated');
      const failed = t?.established === false && (it?.alerts ?? []).some((a) => a.level === 'fatal' || a.encrypted);
      if (rank < 0 && !failed) add('server-hello-not-seen');
      // (QUIC's handshake completion is inside encrypted packets: not judged)
      else if (rank >= 0 && t?.established === false && !failed && proto !== 'quic') add('handshake-incomplete');
    }
    if (it?.client?.ech) add('ech-inner-name-hidden');
    if (proto === 'quic') add('quic-certificate-encrypted');
    else if (rank >= 5) add('tls13-certificate-encrypted');
    else if (rank >= 0 && !(it?.chain_sha256?.length || t?.server?.hash)) {
      // TLS <= 1.2 without a certificate: resumption, or a suite that needs none (anon, PSK)
      const info = t?.cipher ? cipherInfo(t.cipher) : undefined;
      const certless = info && (info.auth === 'anon' || info.auth === 'PSK' || info.auth === 'NULL' || info.auth === 'SRP');
      if (t?.resumed) add('resumed-no-certificate');
      else if (!certless && t?.established !== false) add('certificate-not-seen');
    }
  }
  for (const r of extra) add(r);

  const level: AssessmentLevel = s.intransit.encrypted === null ? 'unobservable' : reasons.length > 0 ? 'partial' : 'assessed';
  return { level, reasons };
}
