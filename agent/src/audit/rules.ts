// The rule registry, in the order findings are written, and a plain evaluation of a
// session document against it. Policies (severity overrides, disabled rules, waivers)
// are applied by the Auditor (auditor.ts); rule ids here are the stable public names.

import type { SessionDoc } from '@intransit/shared';
import { TRANSPORT_RULES } from './rules-transport.js';
import { TLS_RULES } from './rules-tls.js';
import { CERT_RULES } from './rules-cert.js';
import { MTLS_RULES } from './rules-mtls.js';
import { DEFAULT_PROFILE, CABF_MAX_VALIDITY_DAYS } from './profiles.js';
import type { AuditContext, Rule } from './rule.js';

export type { Rule, AuditContext, Verdict, Category } from './rule.js';

export const RULES: readonly Rule[] = [...TRANSPORT_RULES, ...TLS_RULES, ...CERT_RULES, ...MTLS_RULES];

const BY_ID = new Map(RULES.map((r) => [r.id, r]));

export function ruleById(id: string): Rule | undefined {
  return BY_ID.get(id);
}

export const RULE_IDS: readonly string[] = RULES.map((r) => r.id);

export interface Firing {
  rule: Rule;
  message: string;
  evidence?: Record<string, unknown>;
}

/** Context with the default profile and no policy, judged at the session's capture time. */
export function defaultContext(s: SessionDoc): AuditContext {
  return {
    profile: DEFAULT_PROFILE,
    captureMs: Date.parse(s['@timestamp']),
    maxValidityDays: DEFAULT_PROFILE.maxValidityDays ?? CABF_MAX_VALIDITY_DAYS,
    expiringSoonDays: 30,
    mtlsServices: [],
  };
}

/** Rules that fire on `s` (no waivers, default severities); unobservable verdicts are left out. */
export function evaluate(s: SessionDoc, ctx: AuditContext = defaultContext(s), rules: readonly Rule[] = RULES): Firing[] {
  const out: Firing[] = [];
  for (const rule of rules) {
    const v = rule.check(s, ctx);
    if (v !== null && 'message' in v) out.push(v.evidence ? { rule, message: v.message, evidence: v.evidence } : { rule, message: v.message });
  }
  return out;
}
