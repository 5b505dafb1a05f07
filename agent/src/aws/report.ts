// Text for people: the plan's changes and the status of a deployment.

import type { Plan, Source, Step } from './plan.js';
import { NEW_FILTER, NEW_TARGET } from './plan.js';
import { describeRule, isManaged, type TargetSpec } from './spec.js';
import type { MirrorState } from './plan.js';

export function describeTarget(t: TargetSpec): string {
  const what = t.kind === 'eni' ? `network interface ${t.id}` : t.kind === 'nlb' ? `Network Load Balancer ${t.id}` : `Gateway Load Balancer endpoint ${t.id}`;
  return `${what} (${t.origin})`;
}

export function describeSource(s: Source): string {
  return `${s.eni}${s.instanceId ? ` (${s.instanceId}${s.name ? ` "${s.name}"` : ''})` : ''}`;
}

export function describeStep(step: Step, plan: Plan): string {
  switch (step.op) {
    case 'create-target':
      return `create target: ${describeTarget(step.target)}`;
    case 'create-filter':
      return `create filter: intransit-${plan.name}-filter`;
    case 'create-rule':
      return `create rule: ${describeRule(step.rule)}`;
    case 'delete-rule':
      return `delete rule ${step.ruleId}: ${describeRule(step.rule)} (not asked for)`;
    case 'create-session':
      return `create session: ${describeSource(step.source)} -> target, session number ${step.sessionNumber}, ${step.vni === null ? 'VNI chosen by AWS' : `vni ${step.vni}`}, whole packets`;
    case 'modify-session': {
      const c = step.changes;
      const parts: string[] = [];
      if (c.targetId !== undefined) parts.push(`target -> ${c.targetId === NEW_TARGET ? 'the new target' : c.targetId}`);
      if (c.filterId !== undefined) parts.push(`filter -> ${c.filterId === NEW_FILTER ? 'the new filter' : c.filterId}`);
      if (c.vni !== undefined) parts.push(`vni -> ${c.vni}`);
      if (c.removePacketLength !== undefined) parts.push(`remove PacketLength ${c.removePacketLength} (it cuts mirrored packets)`);
      return `modify session ${step.sessionId} for ${describeSource(step.source)}: ${parts.join(', ')}`;
    }
    case 'delete-session':
      return `delete session ${step.sessionId} (${step.eni}: ${step.reason})`;
    case 'delete-target':
      return `delete target ${step.targetId} (${step.reason})`;
  }
}

export function planText(plan: Plan, region: string): string {
  const lines: string[] = [`deployment "${plan.name}" in ${region}`];
  lines.push(`  target: ${describeTarget(plan.target)}${plan.targetId ? `: ${plan.targetId}${plan.targetManaged ? '' : ' (not tagged by intransit)'}` : ': to create'}`);
  lines.push(`  filter: ${plan.filterId ?? 'to create'}${plan.filterId ? `, ${plan.keptRules} rule(s) as asked` : ''}`);
  lines.push(`  sources: ${plan.sources.length ? plan.sources.map(describeSource).join(', ') : 'none'}`);
  for (const n of plan.notes) lines.push(`  note: ${n}`);
  if (plan.steps.length === 0) lines.push(`no changes: ${plan.keptSessions} session(s) as asked`);
  else {
    lines.push('changes:');
    for (const s of plan.steps) lines.push(`  ${s.op.startsWith('create') ? '+' : s.op.startsWith('delete') ? '-' : '~'} ${describeStep(s, plan)}`);
    const count = (p: string) => plan.steps.filter((s) => s.op.startsWith(p)).length;
    lines.push(`${count('create')} to create, ${count('modify')} to modify, ${count('delete')} to delete`);
  }
  return lines.join('\n') + '\n';
}

type AnyRecord = Record<string, any>;

export interface StatusReport {
  name: string;
  region: string;
  targets: AnyRecord[];
  filters: AnyRecord[];
  sessions: AnyRecord[];
  foreignSessionsOnTargets: AnyRecord[];
  problems: string[];
}

export function statusReport(state: MirrorState, name: string, region: string, sources: Map<string, Source>): StatusReport {
  const targets = state.targets.filter((t) => isManaged(t.Tags, name));
  const filters = state.filters.filter((f) => isManaged(f.Tags, name));
  const sessions = state.sessions.filter((x) => isManaged(x.Tags, name));
  const targetIds = new Set(targets.map((t) => t.TrafficMirrorTargetId));
  const foreign = state.sessions.filter((x) => !isManaged(x.Tags, name) && targetIds.has(x.TrafficMirrorTargetId));
  const problems: string[] = [];
  for (const x of [...sessions, ...foreign]) {
    if (x.PacketLength) problems.push(`session ${x.TrafficMirrorSessionId} (vni ${x.VirtualNetworkId}) has PacketLength ${x.PacketLength}: mirrored packets are cut (intransit aws apply removes it)`);
  }
  for (const f of filters) {
    const ingress = (f.IngressFilterRules ?? []).length;
    const egress = (f.EgressFilterRules ?? []).length;
    if (!ingress || !egress) problems.push(`filter ${f.TrafficMirrorFilterId} has no ${ingress ? 'egress' : 'ingress'} rules: connections are seen in one direction only`);
  }
  return {
    name,
    region,
    targets: targets.map((t) => ({ id: t.TrafficMirrorTargetId, type: t.Type, network_interface: t.NetworkInterfaceId, nlb: t.NetworkLoadBalancerArn, gwlb_endpoint: t.GatewayLoadBalancerEndpointId })),
    filters: filters.map((f) => ({ id: f.TrafficMirrorFilterId, ingress_rules: (f.IngressFilterRules ?? []).length, egress_rules: (f.EgressFilterRules ?? []).length })),
    sessions: sessions.map((x) => {
      const src = sources.get(x.NetworkInterfaceId);
      return { id: x.TrafficMirrorSessionId, vni: x.VirtualNetworkId, source_eni: x.NetworkInterfaceId, instance_id: src?.instanceId ?? null, instance_name: src?.name ?? null, session_number: x.SessionNumber, packet_length: x.PacketLength ?? null, target: x.TrafficMirrorTargetId, filter: x.TrafficMirrorFilterId };
    }),
    foreignSessionsOnTargets: foreign.map((x) => ({ id: x.TrafficMirrorSessionId, vni: x.VirtualNetworkId, source_eni: x.NetworkInterfaceId })),
    problems,
  };
}

export function statusText(r: StatusReport): string {
  const lines = [`deployment "${r.name}" in ${r.region}`];
  if (!r.targets.length && !r.filters.length && !r.sessions.length) lines.push('  nothing tagged intransit:managed here (intransit aws plan shows what apply would create)');
  for (const t of r.targets) lines.push(`  target ${t.id}: ${t.network_interface ?? t.nlb ?? t.gwlb_endpoint} (${t.type})`);
  for (const f of r.filters) lines.push(`  filter ${f.id}: ${f.ingress_rules} ingress, ${f.egress_rules} egress rule(s)`);
  for (const x of r.sessions) {
    const who = x.instance_id ? ` (${x.instance_id}${x.instance_name ? ` "${x.instance_name}"` : ''})` : '';
    lines.push(`  session ${x.id}: vni ${x.vni}, source ${x.source_eni}${who}, session number ${x.session_number}${x.packet_length ? `, PacketLength ${x.packet_length}` : ''}`);
  }
  for (const x of r.foreignSessionsOnTargets) lines.push(`  session ${x.id}: vni ${x.vni}, source ${x.source_eni} (not managed by intransit, mirrors to this target)`);
  for (const p of r.problems) lines.push(`  problem: ${p}`);
  return lines.join('\n') + '\n';
}
