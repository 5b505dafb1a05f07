// The audit policy: profile, per-rule severity overrides and switches, certificate
// thresholds, mTLS-required services and waivers. Read from a JSON or YAML file and
// validated strictly: an unknown key, a wrong type, an unknown rule id or profile is an
// error naming the file, line and column — a typo must never silently weaken a policy.

import { readFileSync } from 'node:fs';
import { SEVERITY_NAMES, type Severity } from '@intransit/shared';
import { parsePolicyText, PolicySyntaxError, type PEntry, type PNode, type PValue } from './policy-parse.js';
import { DEFAULT_PROFILE, PROFILE_NAMES, profileByName, type Profile } from './profiles.js';
import { ruleById } from './rules.js';
import { globToRegExp, parseCidr, type Cidr, type Scope, type ServiceMatcher } from './scope.js';

export interface RuleSetting {
  enabled: boolean;
  severity?: Severity;
}

export interface Waiver {
  /** 1-based position in the file's waiver list, and its line, for warnings. */
  index: number;
  line: number;
  scope: Scope;
  justification: string;
  owner: string;
  /** As written (YYYY-MM-DD or an ISO-8601 time). */
  expires: string;
  /** The first instant the waiver no longer applies: the day after a bare date, 00:00 UTC. */
  expiresMs: number;
}

export interface Policy {
  source: string | null;
  profile: Profile;
  rules: ReadonlyMap<string, RuleSetting>;
  maxValidityDays: number;
  expiringSoonDays: number;
  mtlsServices: ServiceMatcher[];
  waivers: Waiver[];
}

export const DEFAULT_EXPIRING_SOON_DAYS = 30;

export function defaultPolicy(profile: Profile = DEFAULT_PROFILE): Policy {
  return { source: null, profile, rules: new Map(), maxValidityDays: profile.maxValidityDays, expiringSoonDays: DEFAULT_EXPIRING_SOON_DAYS, mtlsServices: [], waivers: [] };
}

/** Any policy problem; the message is `policy <file>:<line>:<col>: <what>`. */
export class PolicyError extends Error {}

type Fail = (node: { line: number; col: number }, msg: string) => never;

function typeName(n: PNode): string {
  if (n.kind !== 'scalar') return n.kind === 'map' ? 'a mapping' : 'a list';
  return n.value === null ? 'null' : `${typeof n.value} ${JSON.stringify(n.value)}`;
}

class Reader {
  constructor(readonly fail: Fail) {}

  map(n: PNode, what: string, allowed: readonly string[]): Map<string, PEntry> {
    if (n.kind !== 'map') this.fail(n, `${what} must be a mapping, not ${typeName(n)}`);
    const out = new Map<string, PEntry>();
    for (const e of (n as Extract<PNode, { kind: 'map' }>).entries) {
      if (!allowed.includes(e.key)) this.fail(e, `unknown key "${e.key}" in ${what} (allowed: ${allowed.join(', ')})`);
      out.set(e.key, e);
    }
    return out;
  }

  scalar(n: PNode, what: string): PValue {
    if (n.kind !== 'scalar') this.fail(n, `${what} must be a single value, not ${typeName(n)}`);
    return (n as Extract<PNode, { kind: 'scalar' }>).value;
  }

  text(n: PNode, what: string): string {
    const v = this.scalar(n, what);
    if (typeof v !== 'string' || v.trim() === '') this.fail(n, `${what} must be a non-empty string, not ${typeName(n)}`);
    return (v as string).trim();
  }

  int(n: PNode, what: string, min: number, max: number): number {
    const v = this.scalar(n, what);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) this.fail(n, `${what} must be a whole number from ${min} to ${max}, not ${typeName(n)}`);
    return v as number;
  }

  bool(n: PNode, what: string): boolean {
    const v = this.scalar(n, what);
    if (typeof v !== 'boolean') this.fail(n, `${what} must be true or false, not ${typeName(n)}`);
    return v as boolean;
  }

  /** One value or a non-empty list of them. */
  list<T>(n: PNode, what: string, one: (n: PNode, what: string) => T): T[] {
    if (n.kind !== 'seq') return [one(n, what)];
    if (n.items.length === 0) this.fail(n, `${what} must not be an empty list`);
    return n.items.map((x) => one(x, what));
  }
}

const SCOPE_KEYS = ['cidr', 'client_cidr', 'port', 'sni', 'rule'] as const;

function readScope(r: Reader, node: PNode, what: string, keys: readonly string[]): Scope {
  const m = r.map(node, what, keys);
  const scope: Scope = {};
  const cidr = (n: PNode, w: string): Cidr => {
    const text = r.text(n, w);
    const c = parseCidr(text);
    if (!c) r.fail(n, `${w}: "${text}" is not an IPv4 or IPv6 address or CIDR`);
    return c as Cidr;
  };
  for (const [key, e] of m) {
    const w = `${what}.${key}`;
    if (key === 'cidr') scope.cidr = r.list(e.value, w, cidr);
    else if (key === 'client_cidr') scope.clientCidr = r.list(e.value, w, cidr);
    else if (key === 'port') scope.port = r.list(e.value, w, (n, x) => r.int(n, x, 0, 65535));
    else if (key === 'sni') scope.sni = r.list(e.value, w, (n, x) => {
      const glob = r.text(n, x);
      return { glob, re: globToRegExp(glob) };
    });
    else if (key === 'rule') scope.rule = r.list(e.value, w, (n, x) => {
      const id = r.text(n, x);
      if (!ruleById(id)) r.fail(n, `${x}: unknown rule id "${id}" (see docs/rules.md)`);
      return id;
    });
  }
  if (m.size === 0) r.fail(node, `${what} must name at least one of ${keys.join(', ')} (an empty scope would cover every session)`);
  return scope;
}

function readExpiry(r: Reader, n: PNode, what: string): { expires: string; expiresMs: number } {
  const text = r.text(n, what);
  let ms: number;
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) ms = Date.parse(`${text}T00:00:00Z`) + 86_400_000; // valid through that day (UTC)
  else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) ms = Date.parse(text);
  else ms = NaN;
  if (Number.isNaN(ms)) r.fail(n, `${what} must be a date (YYYY-MM-DD) or an ISO-8601 time with a zone, not "${text}"`);
  return { expires: text, expiresMs: ms };
}

function severity(r: Reader, n: PNode, what: string): Severity {
  const v = r.scalar(n, what);
  if (typeof v === 'string' && SEVERITY_NAMES[v.toLowerCase()]) return SEVERITY_NAMES[v.toLowerCase()];
  if (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 5) return v as Severity;
  return r.fail(n, `${what} must be 1-5 or info, low, medium, high, critical, not ${typeName(n)}`);
}

/** Validates a parsed policy tree. `name` is the file name used in messages. */
export function policyFromTree(root: PNode, name: string, profileOverride?: string): Policy {
  const fail: Fail = (node, msg) => {
    throw new PolicyError(`policy ${name}:${node.line}:${node.col}: ${msg}`);
  };
  const r = new Reader(fail);
  const top = r.map(root, 'the policy', ['profile', 'rules', 'certificates', 'mtls_required', 'waivers']);
  let profile = DEFAULT_PROFILE;
  const p = top.get('profile');
  if (p) {
    const n = r.text(p.value, 'profile');
    profile = profileByName(n) ?? fail(p.value, `unknown profile "${n}" (known: ${PROFILE_NAMES.join(', ')})`);
  }
  if (profileOverride !== undefined) {
    profile = profileByName(profileOverride) ?? fail({ line: 1, col: 1 }, `unknown profile "${profileOverride}" (known: ${PROFILE_NAMES.join(', ')})`);
  }
  const policy = defaultPolicy(profile);
  policy.source = name;

  const rules = new Map<string, RuleSetting>();
  const rs = top.get('rules');
  if (rs) {
    if (rs.value.kind !== 'map') fail(rs.value, `rules must be a mapping of rule ids, not ${typeName(rs.value)}`);
    for (const e of (rs.value as Extract<PNode, { kind: 'map' }>).entries) {
      const id = e.key;
      if (!ruleById(id)) fail(e, `unknown rule id "${id}" in rules (see docs/rules.md)`);
      if (rules.has(id)) fail(e, `rule "${id}" is set twice`);
      const m = r.map(e.value, `rules.${id}`, ['enabled', 'severity']);
      const setting: RuleSetting = { enabled: true };
      const en = m.get('enabled');
      if (en) setting.enabled = r.bool(en.value, `rules.${id}.enabled`);
      const sev = m.get('severity');
      if (sev) setting.severity = severity(r, sev.value, `rules.${id}.severity`);
      if (m.size === 0) fail(e.value, `rules.${id} must set enabled and/or severity`);
      rules.set(id, setting);
    }
  }
  policy.rules = rules;

  const certs = top.get('certificates');
  if (certs) {
    const m = r.map(certs.value, 'certificates', ['max_validity_days', 'expiring_soon_days']);
    const mv = m.get('max_validity_days');
    if (mv) policy.maxValidityDays = r.int(mv.value, 'certificates.max_validity_days', 1, 100_000);
    const es = m.get('expiring_soon_days');
    if (es) policy.expiringSoonDays = r.int(es.value, 'certificates.expiring_soon_days', 0, 100_000);
  }

  const mt = top.get('mtls_required');
  if (mt) {
    if (mt.value.kind !== 'seq') fail(mt.value, `mtls_required must be a list of services, not ${typeName(mt.value)}`);
    (mt.value as Extract<PNode, { kind: 'seq' }>).items.forEach((item, i) => {
      const what = `mtls_required[${i + 1}]`;
      const m = r.map(item, what, ['name', 'cidr', 'client_cidr', 'port', 'sni']);
      const nm = m.get('name');
      const label = nm ? r.text(nm.value, `${what}.name`) : `service #${i + 1}`;
      const scopeNode: PNode = { kind: 'map', line: item.line, col: item.col, entries: [...m.values()].filter((e) => e.key !== 'name') };
      policy.mtlsServices.push({ name: label, scope: readScope(r, scopeNode, what, ['cidr', 'client_cidr', 'port', 'sni']) });
    });
  }

  const ws = top.get('waivers');
  if (ws) {
    if (ws.value.kind !== 'seq') fail(ws.value, `waivers must be a list, not ${typeName(ws.value)}`);
    (ws.value as Extract<PNode, { kind: 'seq' }>).items.forEach((item, i) => {
      const what = `waivers[${i + 1}]`;
      const m = r.map(item, what, ['scope', 'justification', 'owner', 'expires']);
      for (const k of ['scope', 'justification', 'owner', 'expires']) if (!m.has(k)) fail(item, `${what} needs "${k}" (every waiver has a scope, a justification, an owner and an expiry date)`);
      policy.waivers.push({
        index: i + 1,
        line: item.line,
        scope: readScope(r, m.get('scope')!.value, `${what}.scope`, SCOPE_KEYS),
        justification: r.text(m.get('justification')!.value, `${what}.justification`),
        owner: r.text(m.get('owner')!.value, `${what}.owner`),
        ...readExpiry(r, m.get('expires')!.value, `${what}.expires`),
      });
    });
  }
  return policy;
}

/** Parses and validates policy text; errors are PolicyError with file:line:col. */
export function parsePolicy(text: string, name: string, profileOverride?: string): Policy {
  let root: PNode;
  try {
    root = parsePolicyText(text, name);
  } catch (e) {
    if (e instanceof PolicySyntaxError) throw new PolicyError(`policy ${name}:${e.line}:${e.col}: ${e.message}`);
    throw e;
  }
  return policyFromTree(root, name, profileOverride);
}

/** Reads a policy file (JSON by its .json name, else YAML). */
export function loadPolicy(file: string, profileOverride?: string): Policy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new PolicyError(`policy ${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parsePolicy(text, file, profileOverride);
}
