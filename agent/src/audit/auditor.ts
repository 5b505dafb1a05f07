// Applies a policy to finished sessions: runs the enabled rules with the policy's
// severities, matches waivers, and records on the session document what was found
// (intransit.findings), what was waived, how much could be assessed, and the mTLS
// status of required services. One Auditor per run.
//
// Waiver expiry is judged against the wall clock of the run (not the capture time): an
// auditor replaying an old capture today wants today's exceptions, and an expired
// exception must stop hiding findings. Each expired waiver is reported once, on load.

import type { SessionDoc, Severity } from '@intransit/shared';
import { assess, type Assessment } from './assessment.js';
import { defaultPolicy, type Policy, type Waiver } from './policy.js';
import { RULES, type Firing } from './rules.js';
import { mtlsStatus, type MtlsStatus } from './rules-mtls.js';
import { describeScope, scopeMatches } from './scope.js';
import type { AuditContext, Rule } from './rule.js';

export interface WaiverRef {
  justification: string;
  owner: string;
  expires: string;
}

export interface AuditFiring extends Firing {
  /** Effective severity (the policy may override the rule's). */
  severity: Severity;
  /** Set when an active waiver covers this finding: it is still reported, but not counted as a failure. */
  waived?: WaiverRef;
}

export interface AuditResult {
  firings: AuditFiring[];
  assessment: Assessment;
  mtls: MtlsStatus | null;
}

export interface AuditorOptions {
  /** Wall-clock time of the run in ms (waiver expiry); Date.now() by default. */
  now?: number;
  /** Where warnings go (expired waivers); standard error by default. */
  warn?: (message: string) => void;
}

export class Auditor {
  readonly policy: Policy;
  private readonly rules: { rule: Rule; severity: Severity }[];
  private readonly waivers: Waiver[];
  private readonly ctx: AuditContext;
  /** Expired waivers found at load, for reports. */
  readonly expiredWaivers: Waiver[] = [];

  constructor(policy: Policy = defaultPolicy(), options: AuditorOptions = {}) {
    this.policy = policy;
    const now = options.now ?? Date.now();
    const warn = options.warn ?? ((m: string) => process.stderr.write(`intransit: warning: ${m}\n`));
    this.rules = [];
    for (const rule of RULES) {
      const set = policy.rules.get(rule.id);
      if (set && !set.enabled) continue;
      this.rules.push({ rule, severity: set?.severity ?? rule.severity });
    }
    this.waivers = [];
    for (const w of policy.waivers) {
      if (w.expiresMs <= now) {
        this.expiredWaivers.push(w);
        warn(`policy ${policy.source ?? ''}: waiver #${w.index} (line ${w.line}: ${describeScope(w.scope)}; owner ${w.owner}) expired ${w.expires}; it no longer applies and the findings it covered count again.`);
      } else this.waivers.push(w);
    }
    this.ctx = {
      profile: policy.profile,
      captureMs: 0,
      maxValidityDays: policy.maxValidityDays,
      expiringSoonDays: policy.expiringSoonDays,
      mtlsServices: policy.mtlsServices,
    };
  }

  /** Rule ids that run under this policy, in order. */
  get ruleIds(): string[] {
    return this.rules.map((r) => r.rule.id);
  }

  private waiverFor(s: SessionDoc, ruleId: string): Waiver | undefined {
    for (const w of this.waivers) if (scopeMatches(w.scope, s, ruleId)) return w;
    return undefined;
  }

  /** Judges a finished session and records the outcome on its document. */
  audit(s: SessionDoc): AuditResult {
    const ctx = this.ctx;
    const t = Date.parse(s['@timestamp']);
    ctx.captureMs = Number.isNaN(t) ? Date.parse(s.event.start) : t;
    const firings: AuditFiring[] = [];
    const unobservable: string[] = [];
    for (const { rule, severity } of this.rules) {
      const v = rule.check(s, ctx);
      if (v === null) continue;
      if ('unobservable' in v) {
        unobservable.push(v.unobservable);
        continue;
      }
      const f: AuditFiring = { rule, message: v.message, severity };
      if (v.evidence) f.evidence = v.evidence;
      const w = this.waiverFor(s, rule.id);
      if (w) f.waived = { justification: w.justification, owner: w.owner, expires: w.expires };
      firings.push(f);
    }
    const assessment = assess(s, unobservable);
    const mtls = mtlsStatus(s, ctx);
    const it = s.intransit;
    it.findings = firings.map((f) => f.rule.id);
    const waived = firings.filter((f) => f.waived).map((f) => f.rule.id);
    if (waived.length) it.waived_findings = waived;
    it.assessment = assessment.level;
    it.assessment_reasons = assessment.reasons;
    if (mtls) it.mtls = { required: true, ...mtls };
    return { firings, assessment, mtls };
  }
}
