// Compares what is asked (target, filter rules, one session per source interface) with
// what exists in the account, found by the intransit:managed tag, and lists the
// changes. Only Describe* calls: `plan` prints this list, `apply` carries it out.

import type { Ec2 } from './ec2.js';
import { AwsError } from './ec2.js';
import { isManaged, ruleKey, TARGET_FIELD, type RuleSpec, type Tag, type TargetSpec } from './spec.js';

export interface Source {
  eni: string;
  instanceId: string | null;
  name: string | null; // the instance's Name tag
}

export interface SessionChanges {
  targetId?: string; // NEW_TARGET when the target is created by the same apply
  filterId?: string;
  vni?: number;
  removePacketLength?: number; // the PacketLength being removed
}

export const NEW_TARGET = '(new target)';
export const NEW_FILTER = '(new filter)';

export type Step =
  | { op: 'create-target'; target: TargetSpec }
  | { op: 'create-filter' }
  | { op: 'delete-rule'; ruleId: string; rule: RuleSpec }
  | { op: 'create-rule'; rule: RuleSpec }
  | { op: 'modify-session'; sessionId: string; source: Source; changes: SessionChanges }
  | { op: 'create-session'; source: Source; sessionNumber: number; vni: number | null }
  | { op: 'delete-session'; sessionId: string; eni: string; reason: string }
  | { op: 'delete-target'; targetId: string; reason: string };

export interface Settings {
  name: string;
  target: TargetSpec;
  sources: Source[];
  rules: RuleSpec[];
  vniBase: number | null;
  sessionNumber: number;
}

export interface Plan {
  name: string;
  target: TargetSpec;
  targetId: string | null; // existing
  targetManaged: boolean;
  filterId: string | null; // existing
  sources: Source[];
  keptRules: number;
  keptSessions: number;
  steps: Step[];
  notes: string[];
}

type AnyRecord = Record<string, any>;

export interface MirrorState {
  targets: AnyRecord[];
  filters: AnyRecord[];
  sessions: AnyRecord[];
}

export async function readState(ec2: Ec2): Promise<MirrorState> {
  const [targets, filters, sessions] = await Promise.all([
    ec2.describeAll('DescribeTrafficMirrorTargets', {}, 'TrafficMirrorTargets'),
    ec2.describeAll('DescribeTrafficMirrorFilters', {}, 'TrafficMirrorFilters'),
    ec2.describeAll('DescribeTrafficMirrorSessions', {}, 'TrafficMirrorSessions'),
  ]);
  return { targets, filters, sessions };
}

function nameTag(tags: Tag[] | undefined): string | null {
  return tags?.find((t) => t.Key === 'Name')?.Value ?? null;
}

/** Source interfaces: given ids (checked to exist), and the interfaces of tagged instances. */
export async function resolveSources(ec2: Ec2, opts: { enis: string[]; tag: { key: string; value: string } | null; allInterfaces: boolean }): Promise<{ sources: Source[]; notes: string[] }> {
  const notes: string[] = [];
  const byEni = new Map<string, Source>();
  const instanceNames = new Map<string, string | null>();
  if (opts.tag) {
    const filters = [
      opts.tag.value === '*' ? { Name: 'tag-key', Values: [opts.tag.key] } : { Name: `tag:${opts.tag.key}`, Values: [opts.tag.value] },
      { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
    ];
    const reservations = await ec2.describeAll('DescribeInstances', { Filters: filters }, 'Reservations');
    const instances = reservations.flatMap((r) => (r.Instances ?? []) as AnyRecord[]);
    if (instances.length === 0) notes.push(`no instance carries the tag ${opts.tag.key}=${opts.tag.value}`);
    for (const inst of instances) {
      const name = nameTag(inst.Tags);
      instanceNames.set(inst.InstanceId, name);
      const enis = ((inst.NetworkInterfaces ?? []) as AnyRecord[]).filter((n) => opts.allInterfaces || n.Attachment?.DeviceIndex === 0);
      for (const n of enis) byEni.set(n.NetworkInterfaceId, { eni: n.NetworkInterfaceId, instanceId: inst.InstanceId, name });
    }
  }
  const given = opts.enis.filter((e) => !byEni.has(e));
  if (given.length) {
    const enis = await ec2.describeAll('DescribeNetworkInterfaces', { NetworkInterfaceIds: given }, 'NetworkInterfaces');
    const found = new Set(enis.map((n) => n.NetworkInterfaceId));
    for (const id of given) if (!found.has(id)) throw new AwsError(`aws: no network interface ${id} in this account and region`);
    const unnamed = enis.map((n) => n.Attachment?.InstanceId).filter((i): i is string => !!i && !instanceNames.has(i));
    if (unnamed.length) {
      const reservations = await ec2.describeAll('DescribeInstances', { InstanceIds: [...new Set(unnamed)] }, 'Reservations');
      for (const inst of reservations.flatMap((r) => (r.Instances ?? []) as AnyRecord[])) instanceNames.set(inst.InstanceId, nameTag(inst.Tags));
    }
    for (const n of enis) {
      const instanceId = n.Attachment?.InstanceId ?? null;
      byEni.set(n.NetworkInterfaceId, { eni: n.NetworkInterfaceId, instanceId, name: instanceId ? (instanceNames.get(instanceId) ?? null) : null });
    }
  }
  return { sources: [...byEni.values()].sort((a, b) => (a.eni < b.eni ? -1 : a.eni > b.eni ? 1 : 0)), notes };
}

function ruleOf(r: AnyRecord): RuleSpec {
  const pr = (p: AnyRecord | undefined) => (p && p.FromPort !== undefined ? { from: p.FromPort as number, to: (p.ToPort ?? p.FromPort) as number } : null);
  return {
    direction: r.TrafficDirection,
    ruleNumber: r.RuleNumber,
    protocol: r.Protocol ?? 0,
    srcCidr: r.SourceCidrBlock,
    dstCidr: r.DestinationCidrBlock,
    srcPorts: pr(r.SourcePortRange),
    dstPorts: pr(r.DestinationPortRange),
  };
}

export function makePlan(state: MirrorState, s: Settings): Plan {
  const steps: Step[] = [];
  const notes: string[] = [];
  const field = TARGET_FIELD[s.target.kind];

  // -- target: one pointing where asked (ours preferred; a foreign one is reused, never deleted)
  const pointing = state.targets.filter((t) => t[field] === s.target.id);
  const target = pointing.find((t) => isManaged(t.Tags, s.name)) ?? pointing[0] ?? null;
  const targetId: string = target ? target.TrafficMirrorTargetId : NEW_TARGET;
  if (!target) steps.push({ op: 'create-target', target: s.target });
  else if (!isManaged(target.Tags, s.name)) notes.push(`target ${target.TrafficMirrorTargetId} for ${s.target.id} exists without the intransit tag: used as it is, never deleted`);

  // -- filter and its rules
  const filter = state.filters.filter((f) => isManaged(f.Tags, s.name)).sort((a, b) => (a.TrafficMirrorFilterId < b.TrafficMirrorFilterId ? -1 : 1))[0] ?? null;
  const filterId: string = filter ? filter.TrafficMirrorFilterId : NEW_FILTER;
  let keptRules = 0;
  if (!filter) {
    steps.push({ op: 'create-filter' });
    for (const rule of s.rules) steps.push({ op: 'create-rule', rule });
  } else {
    const existing = [...(filter.IngressFilterRules ?? []), ...(filter.EgressFilterRules ?? [])] as AnyRecord[];
    const wanted = new Map(s.rules.map((r) => [ruleKey(r), r]));
    const used = { ingress: new Set<number>(), egress: new Set<number>() };
    const have = new Set<string>();
    for (const r of existing) {
      const spec = ruleOf(r);
      const key = ruleKey(spec);
      if (wanted.has(key) && r.RuleAction === 'accept' && !have.has(key)) {
        have.add(key);
        used[spec.direction].add(spec.ruleNumber);
        keptRules++;
      } else steps.push({ op: 'delete-rule', ruleId: r.TrafficMirrorFilterRuleId, rule: spec });
    }
    for (const [key, rule] of wanted) {
      if (have.has(key)) continue;
      let n = rule.ruleNumber;
      while (used[rule.direction].has(n)) n++;
      used[rule.direction].add(n);
      steps.push({ op: 'create-rule', rule: { ...rule, ruleNumber: n } });
    }
  }

  // -- sessions: one per source interface
  const ours = state.sessions.filter((x) => isManaged(x.Tags, s.name));
  const oursByEni = new Map<string, AnyRecord>();
  for (const x of ours) {
    if (oursByEni.has(x.NetworkInterfaceId)) steps.push({ op: 'delete-session', sessionId: x.TrafficMirrorSessionId, eni: x.NetworkInterfaceId, reason: 'a second session on the same interface' });
    else oursByEni.set(x.NetworkInterfaceId, x);
  }
  const sources = s.sources.filter((src) => {
    if (s.target.kind === 'eni' && src.eni === s.target.id) {
      notes.push(`${src.eni} is the target itself: not mirrored`);
      return false;
    }
    return true;
  });
  let keptSessions = 0;
  sources.forEach((src, i) => {
    const vni = s.vniBase === null ? null : s.vniBase + i;
    const mine = oursByEni.get(src.eni);
    if (mine) {
      const changes: SessionChanges = {};
      if (mine.TrafficMirrorTargetId !== targetId) changes.targetId = targetId;
      if (mine.TrafficMirrorFilterId !== filterId) changes.filterId = filterId;
      if (vni !== null && mine.VirtualNetworkId !== vni) changes.vni = vni;
      if (mine.PacketLength !== undefined && mine.PacketLength !== null) changes.removePacketLength = mine.PacketLength;
      if (Object.keys(changes).length) steps.push({ op: 'modify-session', sessionId: mine.TrafficMirrorSessionId, source: src, changes });
      else keptSessions++;
      return;
    }
    const foreign = state.sessions.filter((x) => x.NetworkInterfaceId === src.eni && !isManaged(x.Tags, s.name));
    if (foreign.length >= 3) {
      notes.push(`${src.eni} already has ${foreign.length} mirror sessions, the most AWS allows per interface: skipped`);
      return;
    }
    const taken = new Set(foreign.map((x) => x.SessionNumber as number));
    let sessionNumber = s.sessionNumber;
    while (taken.has(sessionNumber)) sessionNumber++;
    if (sessionNumber !== s.sessionNumber) notes.push(`${src.eni}: session number ${s.sessionNumber} is taken by another session, using ${sessionNumber}`);
    steps.push({ op: 'create-session', source: src, sessionNumber, vni });
  });
  const wantedEnis = new Set(sources.map((x) => x.eni));
  for (const [eni, x] of oursByEni) {
    if (!wantedEnis.has(eni)) steps.push({ op: 'delete-session', sessionId: x.TrafficMirrorSessionId, eni, reason: 'no longer a source' });
  }

  // -- our targets that point elsewhere now, once no session uses them
  for (const t of state.targets.filter((t) => isManaged(t.Tags, s.name) && t.TrafficMirrorTargetId !== targetId)) {
    const users = state.sessions.filter((x) => x.TrafficMirrorTargetId === t.TrafficMirrorTargetId && !isManaged(x.Tags, s.name));
    if (users.length) notes.push(`old target ${t.TrafficMirrorTargetId} is still used by sessions intransit does not manage (${users.map((u) => u.TrafficMirrorSessionId).join(', ')}): kept`);
    else steps.push({ op: 'delete-target', targetId: t.TrafficMirrorTargetId, reason: 'replaced by the new target' });
  }
  return { name: s.name, target: s.target, targetId: target ? targetId : null, targetManaged: !!target && isManaged(target.Tags, s.name), filterId: filter ? filterId : null, sources, keptRules, keptSessions, steps, notes };
}
